import Foundation
import PostgresNIO
import StrypeCore
import StrypeService
import StrypeTestSupport
import Testing

@testable import AuthService

extension AuthTests {
    @Suite("REGISTRATION=invite: admin-made, single-use invitations")
    struct Invitations {
        static var inviteSettings: AuthSettings {
            var settings = AuthHarness.bootstrapSettings
            settings.registration = .invite
            return settings
        }

        static func register(_ auth: AuthClient, _ email: String, invitation: String?) async throws -> Reply {
            try await auth.call(
                .post,
                "/register",
                json: RegisterRequest(
                    email: email,
                    password: AuthHarness.password,
                    name: "Guest",
                    invitation: invitation
                )
            )
        }

        @Test("without an invitation registration is 403; the first admin still bootstraps")
        func invitationRequired() async throws {
            let harness = try await AuthHarness(settings: Self.inviteSettings)
            try await harness.run { auth in
                let refused = try await Self.register(auth, "guest@example.com", invitation: nil)
                #expect(refused.status == .forbidden && refused.error?.code == "invitation_required")
                let forged = try await Self.register(auth, "guest@example.com", invitation: "csi_made-up")
                #expect(forged.status == .forbidden && forged.error?.code == "invalid_invitation")
                let boss = try await auth.signUp(AuthHarness.adminEmail, setupToken: AuthHarness.setupToken).user
                #expect(boss.roles == ["admin", "user"])
                #expect(try await harness.core.users.list(limit: 10, offset: 0).total == 1)
            }
        }

        @Test("an invitation is created by admins only, shown once, used once, and its user is a plain user")
        func singleUse() async throws {
            let harness = try await AuthHarness(settings: Self.inviteSettings)
            try await harness.run { auth in
                let admin = try await auth.signUp(AuthHarness.adminEmail, setupToken: AuthHarness.setupToken).tokens
                let created = try await auth.call(
                    .post,
                    "/invitations",
                    json: CreateInvitationRequest(),
                    token: admin.accessToken
                )
                #expect(created.status == .created)
                let invitation = try created.decode(InvitationResponse.self)
                let token = try #require(invitation.token)
                #expect(token.hasPrefix("csi_") && invitation.email == nil)
                let lifetime = invitation.expires.timeIntervalSinceNow
                #expect(lifetime > 167 * 3600 && lifetime <= 168 * 3600, "a week by default")

                let listed = try await auth.call(.get, "/invitations", token: admin.accessToken)
                let items = try listed.decode(Items<InvitationResponse>.self).items
                #expect(items.map(\.id) == [invitation.id] && items[0].token == nil, "a token is never shown again")
                // Only its digest is stored.
                let rows = try await harness.dependencies.dependencies.postgres.query(
                    "SELECT token_hash FROM auth.invitations",
                    logger: TestEnvironment.logger
                )
                for try await digest in rows.decode(Data.self) { #expect(digest == OpaqueToken.digest(token)) }

                let guest = try await Self.register(auth, "guest@example.com", invitation: token)
                #expect(guest.status == .created)
                #expect(try guest.decode(UserResponse.self).roles == ["user"])
                let reused = try await Self.register(auth, "second@example.com", invitation: token)
                #expect(reused.status == .forbidden && reused.error?.code == "invalid_invitation")
                let used = try await auth.call(.get, "/invitations", token: admin.accessToken)
                    .decode(Items<InvitationResponse>.self).items
                #expect(used.first?.usedAt != nil)

                // Plain users may not make or see invitations.
                let plain = try await auth.signIn("guest@example.com")
                let made = try await auth.call(
                    .post,
                    "/invitations",
                    json: CreateInvitationRequest(),
                    token: plain.accessToken
                )
                #expect(made.status == .forbidden)
                #expect(try await auth.call(.get, "/invitations", token: plain.accessToken).status == .forbidden)
                #expect(try await auth.call(.get, "/invitations").status == .unauthorized)
            }
        }

        @Test("an invitation naming an email admits that email only; a taken email leaves it usable")
        func namedEmail() async throws {
            let harness = try await AuthHarness(settings: Self.inviteSettings)
            try await harness.run { auth in
                let admin = try await auth.signUp(AuthHarness.adminEmail, setupToken: AuthHarness.setupToken).tokens
                let token = try await auth.call(
                    .post,
                    "/invitations",
                    json: CreateInvitationRequest(email: "Named@Example.com"),
                    token: admin.accessToken
                ).decode(InvitationResponse.self).token!
                let stranger = try await Self.register(auth, "stranger@example.com", invitation: token)
                #expect(stranger.status == .forbidden && stranger.error?.code == "invalid_invitation")
                // A registration that fails for another reason does not use the invitation up.
                let taken = try await Self.register(auth, AuthHarness.adminEmail, invitation: token)
                #expect(taken.status == .conflict)
                let named = try await Self.register(auth, "named@example.com", invitation: token)
                #expect(named.status == .created)
            }
        }

        @Test("expired and deleted invitations are refused; lifetimes outside 1…720 hours are 400")
        func expiredAndDeleted() async throws {
            let harness = try await AuthHarness(settings: Self.inviteSettings)
            try await harness.run { auth in
                let admin = try await auth.signUp(AuthHarness.adminEmail, setupToken: AuthHarness.setupToken).tokens
                for hours in [0, 721, -1] {
                    let reply = try await auth.call(
                        .post,
                        "/invitations",
                        json: CreateInvitationRequest(expiresInHours: hours),
                        token: admin.accessToken
                    )
                    #expect(reply.status == .badRequest && reply.error?.field == "expires_in_hours")
                }
                let badEmail = try await auth.call(
                    .post,
                    "/invitations",
                    json: CreateInvitationRequest(email: "not-an-email"),
                    token: admin.accessToken
                )
                #expect(badEmail.status == .badRequest && badEmail.error?.field == "email")

                let expiring = try await auth.call(
                    .post,
                    "/invitations",
                    json: CreateInvitationRequest(expiresInHours: 1),
                    token: admin.accessToken
                ).decode(InvitationResponse.self)
                try await harness.dependencies.dependencies.postgres.query(
                    "UPDATE auth.invitations SET expires_at = now() - interval '1 second' WHERE id = \(expiring.id)",
                    logger: TestEnvironment.logger
                )
                let late = try await Self.register(auth, "late@example.com", invitation: expiring.token)
                #expect(late.status == .forbidden && late.error?.code == "invalid_invitation")

                let deleted = try await auth.call(
                    .post,
                    "/invitations",
                    json: CreateInvitationRequest(),
                    token: admin.accessToken
                ).decode(InvitationResponse.self)
                #expect(
                    try await auth.call(.delete, "/invitations/\(deleted.id)", token: admin.accessToken).status
                        == .noContent
                )
                #expect(
                    try await auth.call(.delete, "/invitations/\(deleted.id)", token: admin.accessToken).status
                        == .notFound
                )
                let gone = try await Self.register(auth, "gone@example.com", invitation: deleted.token)
                #expect(gone.status == .forbidden && gone.error?.code == "invalid_invitation")
                #expect(try await harness.core.users.list(limit: 10, offset: 0).total == 1)
            }
        }

        @Test("in open mode no invitation is needed and none is used up")
        func openModeIgnoresInvitations() async throws {
            let harness = try await AuthHarness(settings: AuthHarness.bootstrapSettings)
            try await harness.run { auth in
                let free = try await Self.register(auth, "free@example.com", invitation: nil)
                #expect(free.status == .created)
            }
        }
    }
}
