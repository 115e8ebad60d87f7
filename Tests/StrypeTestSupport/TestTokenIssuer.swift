import Crypto
import Foundation
import JWTKit
import StrypeService

/// Signs access tokens for tests of services other than auth, with a key of its own that it also serves as their
/// verification keys, so those services verify exactly as they would against auth's JWKS.
package struct TestTokenIssuer: VerificationKeySource {
    private let collection = JWTKeyCollection()
    private let kid = "test-key"

    package init() async {
        await collection.add(
            eddsa: EdDSA.PrivateKey(backing: Curve25519.Signing.PrivateKey()),
            kid: JWKIdentifier(string: kid)
        )
    }

    package func verificationKeys(refresh: Bool) async throws -> VerificationKeySet {
        VerificationKeySet(collection: collection, kids: [kid])
    }

    /// A user's access token.
    package func token(user: UUID, roles: [String] = [Role.user]) async throws -> String {
        try await collection.sign(
            AccessClaims(
                subject: user.uuidString.lowercased(),
                email: "\(user.uuidString.prefix(8).lowercased())@example.com",
                roles: roles,
                scope: Scope.user,
                sessionID: UUID().uuidString.lowercased()
            ),
            kid: JWKIdentifier(string: kid)
        )
    }

    /// A service token.
    package func serviceToken(_ service: String = "chunk") async throws -> String {
        try await collection.sign(
            AccessClaims(
                subject: "service:\(service)",
                email: nil,
                roles: [Role.service],
                scope: Scope.service,
                sessionID: nil
            ),
            kid: JWKIdentifier(string: kid)
        )
    }
}
