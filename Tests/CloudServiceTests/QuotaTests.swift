import Foundation
import StrypeCore
import StrypeService
import StrypeTestSupport
import Testing

@testable import CloudService

extension CloudTests {
    @Suite("quota charges of users' objects and seed chunks")
    struct Quota {
        @Test("a user's object is charged, refused past the quota, refunded on delete and with its account")
        func objects() async throws {
            let quota = RecordingQuota(limit: 1 << 20)
            let harness = try await CloudHarness(quota: quota)
            let user = UUID()
            try await harness.run { cloud in
                let token = try await cloud.tokens.token(user: user)
                let service = try await cloud.tokens.serviceToken()
                let account = try await cloud.createAccount(try CloudHarness.s3Account(), token: token)
                let objects = "/accounts/\(account.id)/objects"
                func put(_ key: String, _ count: Int, as caller: String) async throws -> Reply {
                    try await cloud.call(.put, "\(objects)/\(key)", bytes: Objects.random(count), token: caller)
                }

                let refused = try await put("big", (1 << 20) + 1, as: token)
                #expect(refused.status == .contentTooLarge, "\(refused.text)")
                #expect(refused.error?.code == "quota_exceeded")
                #expect(try await cloud.call(.head, "\(objects)/big", token: token).status == .notFound)
                #expect(quota.used(user) == 0)

                #expect(try await put("a", 300_000, as: token).status == .created)
                #expect(quota.used(user) == 300_000)
                // The same key written again is charged the whole new object, then refunded the one it replaced.
                #expect(try await put("a", 700_000, as: token).status == .created)
                #expect(quota.used(user) == 700_000)
                // Two objects cannot together pass the quota.
                #expect(try await put("b", 400_000, as: token).status == .contentTooLarge)
                #expect(try await cloud.call(.head, "\(objects)/b", token: token).status == .notFound)

                // What a service (chunk) writes belongs to files, which filesystem counts.
                #expect(try await put("shard", 400_000, as: service).status == .created)
                #expect(quota.used(user) == 700_000)
                #expect(try await cloud.call(.delete, "\(objects)/shard", token: service).status == .noContent)
                #expect(quota.used(user) == 700_000)

                #expect(try await cloud.call(.delete, "\(objects)/a", token: token).status == .noContent)
                #expect(quota.used(user) == 0)

                #expect(try await put("c", 300_000, as: token).status == .created)
                #expect(quota.used(user) == 300_000)
                #expect(try await cloud.call(.delete, "/accounts/\(account.id)", token: token).status == .noContent)
                #expect(quota.used(user) == 0)
            }
        }

        @Test("a seed chunk is charged once whatever its replicas and refunded when its last account goes")
        func seeds() async throws {
            let quota = RecordingQuota(limit: 1 << 20)
            let harness = try await CloudHarness(quota: quota)
            let user = UUID()
            try await harness.run { cloud in
                let token = try await cloud.tokens.token(user: user)
                let first = try await cloud.createAccount(try CloudHarness.s3Account(name: "one"), token: token)
                let second = try await cloud.createAccount(try CloudHarness.s3Account(name: "two"), token: token)
                func seed(_ chunk: String, _ count: Int, replicas: Int) async throws -> Reply {
                    let bytes = Objects.random(count)
                    return try await cloud.call(.post, "/\(chunk)?replicas=\(replicas)", bytes: bytes, token: token)
                }

                let big = String(repeating: "ab", count: 16)
                let refused = try await seed(big, 3 << 20, replicas: 2)
                #expect(refused.status == .contentTooLarge, "\(refused.text)")
                #expect(refused.error?.code == "quota_exceeded")
                #expect(try await cloud.call(.get, "/\(big)", token: token).status == .notFound)
                #expect(quota.used(user) == 0)

                let chunk = String(repeating: "cd", count: 16)
                let stored = try await seed(chunk, 600_000, replicas: 2)
                #expect(stored.status == .created, "\(stored.text)")
                #expect(quota.used(user) == 600_000)
                // Written again, the same chunk costs nothing more.
                #expect(try await seed(chunk, 600_000, replicas: 2).status == .created)
                #expect(quota.used(user) == 600_000)
                // Another one that would pass the quota with it is refused.
                let other = String(repeating: "ef", count: 16)
                #expect(try await seed(other, 500_000, replicas: 1).status == .contentTooLarge)

                // One copy is left on the other account: nothing is refunded yet.
                #expect(try await cloud.call(.delete, "/accounts/\(first.id)", token: token).status == .noContent)
                #expect(quota.used(user) == 600_000)
                #expect(try await cloud.call(.delete, "/accounts/\(second.id)", token: token).status == .noContent)
                #expect(quota.used(user) == 0)
            }
        }
    }
}
