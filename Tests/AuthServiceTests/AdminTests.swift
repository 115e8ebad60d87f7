import Foundation
import StrypeCore
import StrypeService
import Testing

@testable import AuthService

extension AuthTests {
    @Suite("admin: users and groups")
    struct Admin {
        @Test("only admins list, create, change and delete users")
        func adminOnly() async throws {
            let harness = try await AuthHarness()
            try await harness.run { auth in
                let admin = try await harness.signUpAdmin("root@example.com", via: auth).tokens
                let (plainUser, plain) = try await auth.signUp("plain@example.com")
                #expect(try await auth.call(.get, "/users", token: plain.accessToken).status == .forbidden)
                #expect(try await auth.call(.get, "/users").status == .unauthorized)
                #expect(
                    try await auth.call(.delete, "/users/\(plainUser.id)", token: plain.accessToken).status
                        == .forbidden
                )

                let page = try await auth.call(.get, "/users?limit=1", token: admin.accessToken).decode(
                    Page<UserResponse>.self
                )
                #expect(page.total == 2 && page.items.count == 1 && page.limit == 1)

                let created = try await auth.call(
                    .post,
                    "/users",
                    json: CreateUserRequest(
                        email: "made@example.com",
                        password: AuthHarness.password,
                        name: "Made",
                        roles: ["admin"]
                    ),
                    token: admin.accessToken
                )
                #expect(created.status == .created)
                #expect(try created.decode(UserResponse.self).roles == ["admin", "user"])
                let badRole = try await auth.call(
                    .post,
                    "/users",
                    json: CreateUserRequest(
                        email: "x@example.com",
                        password: AuthHarness.password,
                        name: "X",
                        roles: ["god"]
                    ),
                    token: admin.accessToken
                )
                #expect(badRole.status == .badRequest && badRole.error?.field == "roles")
                #expect(try await auth.call(.get, "/users/not-a-uuid", token: admin.accessToken).status == .notFound)
                #expect(try await auth.call(.get, "/users/\(UUID())", token: admin.accessToken).status == .notFound)
            }
        }

        @Test("disabling a user ends their sessions at once; enabling lets them sign in again")
        func disable() async throws {
            let harness = try await AuthHarness()
            try await harness.run { auth in
                let admin = try await harness.signUpAdmin("root@example.com", via: auth).tokens
                let (user, tokens) = try await auth.signUp("victim@example.com")
                let off = try await auth.call(
                    .patch,
                    "/users/\(user.id)",
                    json: UpdateUserRequest(disabled: true),
                    token: admin.accessToken
                )
                #expect(try off.decode(UserResponse.self).disabled)
                #expect(
                    try await eventually {
                        try await auth.call(.get, "/me", token: tokens.accessToken).status == .unauthorized
                    }
                )
                #expect(
                    try await auth.call(.post, "/refresh", json: RefreshRequest(refreshToken: tokens.refreshToken))
                        .status == .unauthorized
                )
                #expect(
                    try await auth.call(
                        .post,
                        "/login",
                        json: LoginRequest(email: "victim@example.com", password: AuthHarness.password)
                    ).status == .forbidden
                )
                _ = try await auth.call(
                    .patch,
                    "/users/\(user.id)",
                    json: UpdateUserRequest(disabled: false),
                    token: admin.accessToken
                )
                _ = try await auth.signIn("victim@example.com")
            }
        }

        @Test("the last enabled admin cannot be demoted, disabled or deleted")
        func lastAdmin() async throws {
            let harness = try await AuthHarness()
            try await harness.run { auth in
                let (root, admin) = try await harness.signUpAdmin("only@example.com", via: auth)
                for change in [UpdateUserRequest(roles: ["user"]), UpdateUserRequest(disabled: true)] {
                    let reply = try await auth.call(.patch, "/users/\(root.id)", json: change, token: admin.accessToken)
                    #expect(reply.status == .conflict)
                }
                #expect(try await auth.call(.delete, "/users/\(root.id)", token: admin.accessToken).status == .conflict)
                // With a second admin it can go.
                let second = try await auth.signUp("second@example.com").user
                _ = try await auth.call(
                    .patch,
                    "/users/\(second.id)",
                    json: UpdateUserRequest(roles: ["admin"]),
                    token: admin.accessToken
                )
                #expect(
                    try await auth.call(.delete, "/users/\(root.id)", token: admin.accessToken).status == .noContent
                )
                #expect(try await harness.core.users.find(id: root.id) == nil)
            }
        }

        @Test("groups: create, unique names, members, a user's groups, delete")
        func groups() async throws {
            let harness = try await AuthHarness()
            try await harness.run { auth in
                let admin = try await harness.signUpAdmin("root@example.com", via: auth).tokens
                let (member, memberTokens) = try await auth.signUp("member@example.com")
                let (other, otherTokens) = try await auth.signUp("other@example.com")
                let created = try await auth.call(
                    .post,
                    "/groups",
                    json: NameRequest(name: "Family"),
                    token: admin.accessToken
                )
                #expect(created.status == .created)
                let group = try created.decode(GroupResponse.self)
                #expect(
                    try await auth.call(.post, "/groups", json: NameRequest(name: "Family"), token: admin.accessToken)
                        .status == .conflict
                )
                #expect(
                    try await auth.call(
                        .post,
                        "/groups",
                        json: NameRequest(name: "Mine"),
                        token: memberTokens.accessToken
                    ).status == .forbidden
                )

                let added = try await auth.call(
                    .put,
                    "/groups/\(group.id)/members/\(member.id)",
                    token: admin.accessToken
                )
                #expect(try added.decode(GroupResponse.self).members == [member.id])
                #expect(
                    try await auth.call(.put, "/groups/\(group.id)/members/\(UUID())", token: admin.accessToken).status
                        == .notFound
                )

                let mine = try await auth.call(.get, "/users/\(member.id)/groups", token: memberTokens.accessToken)
                #expect(try mine.decode(Items<GroupSummary>.self).items == [GroupSummary(id: group.id, name: "Family")])
                #expect(
                    try await auth.call(.get, "/users/\(member.id)/groups", token: otherTokens.accessToken).status
                        == .forbidden
                )
                let me = try await auth.call(.get, "/me", token: memberTokens.accessToken).decode(UserResponse.self)
                #expect(me.groups?.map(\.name) == ["Family"])

                #expect(
                    try await auth.call(.delete, "/groups/\(group.id)/members/\(member.id)", token: admin.accessToken)
                        .status == .ok
                )
                #expect(
                    try await auth.call(.delete, "/groups/\(group.id)/members/\(other.id)", token: admin.accessToken)
                        .status == .notFound
                )
                #expect(
                    try await auth.call(.delete, "/groups/\(group.id)", token: admin.accessToken).status == .noContent
                )
                #expect(try await auth.call(.get, "/groups/\(group.id)", token: admin.accessToken).status == .notFound)
            }
        }
    }
}
