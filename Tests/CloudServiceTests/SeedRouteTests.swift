import Foundation
import StrypeCore
import StrypeService
import StrypeTestSupport
import Testing

@testable import CloudService

extension CloudTests {
    @Suite("seed chunk routes")
    struct SeedRoutes {
        @Test("POST /{chunk}?replicas=2 writes two accounts; GET falls back when one copy is gone; too few is 422")
        func replicas() async throws {
            let harness = try await CloudHarness()
            let user = UUID()
            try await harness.run { cloud in
                let token = try await cloud.tokens.token(user: user, roles: ["admin", "user"])
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seed-\(UUID())")
                let local = try await cloud.createAccount(
                    CreateAccountRequest(provider: "local", name: "disk", path: directory.path),
                    token: token
                )
                _ = try await cloud.createAccount(try CloudHarness.s3Account(), token: token)
                let chunk = String(repeating: "ab", count: 16)
                let bytes = Objects.random(100_000)
                let stored = try await cloud.call(.post, "/\(chunk)?replicas=2", bytes: bytes, token: token)
                #expect(stored.status == .created, "\(stored.text)")
                let locations = try stored.decode(ChunkLocationsResponse.self)
                #expect(locations.accounts.count == 2 && locations.sha256 == Objects.sha256(bytes))
                #expect(Array(try await cloud.call(.get, "/\(chunk)", token: token).body) == bytes)

                // Lose the local copy: the read goes on from S3.
                try FileManager.default.removeItem(at: directory.appendingPathComponent("chunks/\(chunk)"))
                let fallback = try await cloud.call(.get, "/\(chunk)", token: token)
                #expect(fallback.status == .ok && Array(fallback.body) == bytes)
                _ = local

                let tooMany = try await cloud.call(.post, "/\(chunk)?replicas=3", bytes: bytes, token: token)
                #expect(tooMany.status == .unprocessableContent && tooMany.error?.code == "insufficient_backends")
                #expect(
                    try await cloud.call(.get, "/\(String(repeating: "cd", count: 16))", token: token).status
                        == .notFound
                )
                #expect(try await cloud.call(.get, "/not-a-chunk-id", token: token).status == .notFound)
                // Another user has no such chunk.
                #expect(
                    try await cloud.call(.get, "/\(chunk)", token: try await cloud.tokens.token(user: UUID())).status
                        == .notFound
                )
            }
        }
    }
}
