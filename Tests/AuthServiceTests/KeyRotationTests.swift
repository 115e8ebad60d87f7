import Foundation
import PostgresNIO
import StrypeCore
import StrypeService
import StrypeTestSupport
import Testing

@testable import AuthService

extension AuthTests {
    @Suite("signing keys: persisted, shared by replicas, rotated")
    struct KeyRotation {
        private func kid(of token: String) throws -> String {
            let header = try JSONSerialization.jsonObject(
                with: TokenForge.decode(String(token.split(separator: ".")[0]))
            )
            return (header as! [String: Any])["kid"] as! String
        }

        @Test("rotation: new tokens use the new kid, old tokens verify until their key's grace ends")
        func rotate() async throws {
            let harness = try await AuthHarness()
            try await harness.run { auth in
                let admin = try await harness.signUpAdmin("keys@example.com", via: auth).tokens
                let oldKid = try kid(of: admin.accessToken)
                let user = try await auth.signUp("plain@example.com").tokens
                #expect(try await auth.call(.post, "/keys/rotate", token: user.accessToken).status == .forbidden)

                let rotated = try await auth.call(.post, "/keys/rotate", token: admin.accessToken)
                #expect(rotated.status == .ok)
                let newKid = try await harness.core.keys.kids().active
                #expect(newKid != oldKid)

                // A replica that has not reloaded yet: another ring over the same table signs with the same new key
                // once it reloads, and the JWKS lists both keys.
                let replica = SigningKeyRing(
                    client: harness.dependencies.dependencies.postgres,
                    masterKey: harness.dependencies.dependencies.config.masterKey!,
                    logger: TestEnvironment.logger
                )
                #expect(try await replica.kids().active == newKid)
                let jwks = try await auth.call(.get, "/.well-known/jwks.json")
                #expect(jwks.text.contains(oldKid) && jwks.text.contains(newKid))

                let fresh = try await auth.signIn("keys@example.com")
                #expect(try kid(of: fresh.accessToken) == newKid)
                #expect(
                    try await auth.call(.get, "/me", token: admin.accessToken).status == .ok,
                    "old kid still verifies"
                )

                // Once the old key retired longer ago than a token lives, it leaves the JWKS and its tokens fail.
                try await harness.dependencies.dependencies.postgres.query(
                    "UPDATE auth.signing_keys SET retired_at = now() - interval '1 hour' WHERE kid = \(oldKid)",
                    logger: TestEnvironment.logger
                )
                try await harness.core.keys.reload()
                #expect(try await auth.call(.get, "/.well-known/jwks.json").text.contains(oldKid) == false)
                #expect(try await auth.call(.get, "/me", token: admin.accessToken).status == .unauthorized)
                #expect(try await auth.call(.get, "/me", token: fresh.accessToken).status == .ok)
            }
        }

        @Test("the private key is stored sealed under the master key, and a different master key cannot open it")
        func sealedAtRest() async throws {
            let harness = try await AuthHarness()
            try await harness.run { auth in _ = try await auth.signUp("seal@example.com") }
            let deps = try TestDependencies()
            let rows = try await deps.dependencies.postgres.query(
                "SELECT public_key, private_key_sealed FROM auth.signing_keys",
                logger: TestEnvironment.logger
            )
            var count = 0
            for try await (publicKey, sealed) in rows.decode((Data, Data).self) {
                count += 1
                #expect(sealed.count == 32 + 28, "nonce + 32-byte key + tag")
                #expect(!sealed.contains(publicKey))
            }
            #expect(count == 1)
            let stranger = SigningKeyRing(
                client: deps.dependencies.postgres,
                masterKey: try MasterKey(parsing: "77665544332211007766554433221100776655443322110077665544332211ff"),
                logger: TestEnvironment.logger
            )
            await #expect(throws: (any Error).self) { try await stranger.reload() }
            await deps.shutdown()
        }

        @Test("a verifier with an old JWKS copy refetches on an unknown kid")
        func verifierRefreshesOnUnknownKid() async throws {
            let harness = try await AuthHarness()
            try await harness.run { auth in
                let admin = try await harness.signUpAdmin("refetch@example.com", via: auth).tokens
                let verifier = AccessTokenVerifier(
                    keys: FixedJWKS(ring: harness.core.keys),
                    revocations: SessionRevocations()
                )
                _ = try await verifier.verify(admin.accessToken)
                _ = try await auth.call(.post, "/keys/rotate", token: admin.accessToken)
                let fresh = try await auth.signIn("refetch@example.com")
                let principal = try await verifier.verify(fresh.accessToken)
                #expect(principal.email == "refetch@example.com")
            }
        }
    }
}

extension Data {
    fileprivate func contains(_ other: Data) -> Bool { range(of: other) != nil }
}
