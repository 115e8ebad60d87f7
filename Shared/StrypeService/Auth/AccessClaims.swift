import Foundation
import JWTKit

/// The claims of a Cloudstrype access token (DESIGN §3 auth): an EdDSA JWT, 15 minutes, verified by every service.
package struct AccessClaims: JWTPayload, Equatable {
    /// The issuer every access token carries.
    package static let issuer = "cloudstrype"
    /// How long an access token lives.
    package static let lifetime: TimeInterval = 15 * 60

    package var sub: SubjectClaim
    package var email: String?
    package var roles: [String]
    /// Space-separated scopes, as in OAuth.
    package var scope: String
    package var jti: IDClaim
    /// The session (refresh-token family) the token belongs to; nil for service tokens.
    package var sid: String?
    package var exp: ExpirationClaim
    package var iat: IssuedAtClaim
    package var iss: IssuerClaim

    package init(
        subject: String,
        email: String?,
        roles: [String],
        scope: String,
        sessionID: String?,
        issuedAt: Date = Date(),
        lifetime: TimeInterval = AccessClaims.lifetime
    ) {
        self.sub = SubjectClaim(value: subject)
        self.email = email
        self.roles = roles
        self.scope = scope
        self.jti = IDClaim(value: UUID().uuidString.lowercased())
        self.sid = sessionID
        // Whole seconds, as they travel in the token.
        let issued = Date(timeIntervalSince1970: issuedAt.timeIntervalSince1970.rounded(.down))
        self.iat = IssuedAtClaim(value: issued)
        self.exp = ExpirationClaim(value: issued.addingTimeInterval(lifetime))
        self.iss = IssuerClaim(value: Self.issuer)
    }

    package func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
        guard iss.value == Self.issuer else {
            throw JWTError.claimVerificationFailure(failedClaim: iss, reason: "unknown issuer")
        }
    }
}

/// Who made a request, as proven by a verified token.
package struct Principal: Sendable, Equatable {
    /// A user's id, or `service:<name>` for a service token.
    package let subject: String
    package let email: String?
    package let roles: Set<String>
    package let scopes: Set<String>
    package let sessionID: String?
    package let tokenID: String
    package let expiresAt: Date

    package init(claims: AccessClaims) {
        subject = claims.sub.value
        email = claims.email
        roles = Set(claims.roles)
        scopes = Set(claims.scope.split(separator: " ").map(String.init))
        sessionID = claims.sid
        tokenID = claims.jti.value
        expiresAt = claims.exp.value
    }

    /// The user id, when the principal is a user.
    package var userID: UUID? { UUID(uuidString: subject) }
    package var isAdmin: Bool { roles.contains(Role.admin) }
    package var isService: Bool { roles.contains(Role.service) }
}

/// Role names carried in tokens.
package enum Role {
    package static let user = "user"
    package static let admin = "admin"
    package static let service = "service"
    package static let agent = "agent"
}

/// Scope names carried in tokens.
package enum Scope {
    /// What a user's own session may do: everything the user may do.
    package static let user = "user"
    /// A desktop agent storing objects for the array.
    package static let arrayMember = "array:member"
    /// Background work of a service.
    package static let service = "service"
}
