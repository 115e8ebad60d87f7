import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import JWTKit
import StrypeCore
import StrypeService
import StrypeTestSupport
import Testing

@testable import AuthService

/// Ways an attacker might forge or stretch an access token.
enum ForgedToken: String, CaseIterable, Sendable {
    case otherKey, expired, noneAlgorithm, changedPayload, garbage
}

/// Builds forged tokens from a genuine one.
struct TokenForge {
    let core: AuthCore
    let genuine: String

    func make(_ kind: ForgedToken) async throws -> String {
        let parts = genuine.split(separator: ".").map(String.init)
        let header = try JSONSerialization.jsonObject(with: Self.decode(parts[0])) as! [String: Any]
        var payload = try JSONSerialization.jsonObject(with: Self.decode(parts[1])) as! [String: Any]
        let kid = header["kid"] as! String
        switch kind {
        case .otherKey:
            let keys = JWTKeyCollection()
            await keys.add(
                eddsa: EdDSA.PrivateKey(backing: Curve25519.Signing.PrivateKey()),
                kid: JWKIdentifier(string: kid)
            )
            let claims = try JSONDecoder().decode(AccessClaims.self, from: Self.decode(parts[1]))
            return try await keys.sign(claims, kid: JWKIdentifier(string: kid))
        case .expired:
            let claims = AccessClaims(
                subject: payload["sub"] as! String,
                email: payload["email"] as? String,
                roles: ["user"],
                scope: "user",
                sessionID: payload["sid"] as? String,
                issuedAt: Date().addingTimeInterval(-3600)
            )
            return try await core.keys.sign(claims)
        case .noneAlgorithm:
            let none = try JSONSerialization.data(withJSONObject: ["alg": "none", "typ": "JWT", "kid": kid])
            return Self.encode(none) + "." + parts[1] + "."
        case .changedPayload:
            payload["roles"] = ["admin", "user"]
            let changed = try JSONSerialization.data(withJSONObject: payload)
            return parts[0] + "." + Self.encode(changed) + "." + parts[2]
        case .garbage:
            return "not.a.token"
        }
    }

    static func decode(_ text: String) -> Data {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)!
    }

    static func encode(_ data: Data) -> String {
        OpaqueToken.base64URL(data)
    }
}

/// The ring's JWKS document as another service would fetch it from auth, parsed the same way.
struct FixedJWKS: VerificationKeySource {
    let ring: SigningKeyRing
    func verificationKeys(refresh: Bool) async throws -> VerificationKeySet {
        try await RemoteJWKS.parse(try await ring.jwks())
    }
}

extension AuthTests {
    @Suite("token verification, here and in other services")
    struct TokenSecurity {
        @Test("forged, expired and tampered tokens are refused with 401 by auth", arguments: ForgedToken.allCases)
        func refusedByAuth(kind: ForgedToken) async throws {
            let harness = try await AuthHarness()
            try await harness.run { auth in
                let tokens = try await auth.signUp("target@example.com").tokens
                let forged = try await TokenForge(core: harness.core, genuine: tokens.accessToken).make(kind)
                let reply = try await auth.call(.get, "/me", token: forged)
                #expect(reply.status == .unauthorized)
                #expect(reply.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                if kind == .expired { #expect(reply.error?.code == "token_expired") }
                let validated = try await auth.call(.post, "/validate", json: ValidateRequest(token: forged))
                #expect(validated.status == .unauthorized)
                // The genuine token still works.
                #expect(try await auth.call(.get, "/me", token: tokens.accessToken).status == .ok)
            }
        }

        @Test("another service's protected route verifies with the JWKS alone and refuses the same forgeries")
        func refusedByOtherService() async throws {
            let harness = try await AuthHarness()
            let genuine = try await harness.run { auth in
                try await auth.signUp("elsewhere@example.com").tokens.accessToken
            }
            let deps = try TestDependencies()
            let verifier = AccessTokenVerifier(
                keys: FixedJWKS(ring: harness.core.keys),
                revocations: SessionRevocations()
            )
            let app = buildApplication(
                ServiceDefinition(name: .cloud, migrations: []),
                dependencies: deps.dependencies,
                listener: .internalPort
            ) { router in
                WhoAmIController(authentication: AuthenticationMiddleware(verifier: verifier))
                    .addRoutes(to: ServiceRoutes(router: router, authentication: nil))
            }
            var forgeries: [ForgedToken: String] = [:]
            for kind in ForgedToken.allCases {
                forgeries[kind] = try await TokenForge(core: harness.core, genuine: genuine).make(kind)
            }
            let forged = forgeries
            try await app.test(.router) { client in
                try await client.execute(uri: "/whoami", method: .get, headers: [.authorization: "Bearer \(genuine)"]) {
                    response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body).contains("elsewhere@example.com"))
                }
                try await client.execute(uri: "/whoami", method: .get) { response in
                    #expect(response.status == .unauthorized)
                }
                for (kind, token) in forged {
                    try await client.execute(uri: "/whoami", method: .get, headers: [.authorization: "Bearer \(token)"])
                    { response in
                        #expect(response.status == .unauthorized, "\(kind)")
                    }
                }
            }
            await deps.shutdown()
        }

        @Test("POST /validate returns the claims of a valid token")
        func validate() async throws {
            let harness = try await AuthHarness()
            try await harness.run { auth in
                let (user, tokens) = try await auth.signUp("valid@example.com")
                let claims = try await auth.call(.post, "/validate", json: ValidateRequest(token: tokens.accessToken))
                    .decode(ValidatedToken.self)
                #expect(claims.sub == user.id.uuidString.lowercased())
                #expect(claims.scope == "user")
                #expect(claims.email == "valid@example.com")
                let exp = try #require(claims.exp)
                let lifetime = Double(exp) - Date().timeIntervalSince1970
                #expect(lifetime > 14 * 60 && lifetime <= 15 * 60)
            }
        }
    }
}
