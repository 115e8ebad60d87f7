import Foundation
import StrypeService
import StrypeTestSupport
import Testing

@testable import ArrayService

@Suite("array members and objects in PostgreSQL", .timeLimit(.minutes(1)))
struct MemberRepositoryTests {
    static func withRepository(_ body: @escaping @Sendable (MemberRepository) async throws -> Void)
        async throws
    {
        try await TestEnvironment.withPostgres { client in
            try await Migrator(
                client: client,
                schema: "array",
                migrations: ArrayMigrations.all,
                logger: TestEnvironment.logger
            ).run()
            try await body(MemberRepository(client: client, logger: TestEnvironment.logger))
        }
    }

    static let report = MemberReport(capacity: 1000, free: 900, objects: 1, bytes: 100, version: "t")

    @Test("a member checks in, is visible to its owner only until shared, and stays removed")
    func lifecycle() async throws {
        try await Self.withRepository { members in
            let id = UUID()
            let owner = UUID()
            let stranger = UUID()
            let created = try await members.checkIn(id: id, ownerID: owner, name: "desk", report: Self.report)
            #expect(created?.capacity == 1000 && created?.removed == false)
            #expect(try await members.visible(to: owner).contains { $0.id == id })
            #expect(try await !members.visible(to: stranger).contains { $0.id == id })
            _ = try await members.update(id: id, name: nil, shared: true)
            #expect(try await members.visible(to: stranger).contains { $0.id == id })
            // Another user's token can never take the member over.
            #expect(try await members.checkIn(id: id, ownerID: stranger, name: "x", report: Self.report) == nil)
            #expect(try await members.remove(id: id))
            #expect(try await members.checkIn(id: id, ownerID: owner, name: "desk", report: Self.report) == nil)
            #expect(try await !members.visible(to: owner).contains { $0.id == id })
        }
    }

    @Test("each audit challenge is used once; lost objects are not offered as holders")
    func challenges() async throws {
        try await Self.withRepository { members in
            let id = UUID()
            let owner = UUID()
            _ = try await members.checkIn(id: id, ownerID: owner, name: "desk", report: Self.report)
            let object = ObjectRecord(
                memberID: id,
                key: "chunks/a",
                size: 5,
                sha256: "s",
                challenges: ["n1:p1", "n2:p2"],
                lost: false
            )
            try await members.recordObject(object, ownerID: owner)
            #expect(try await members.takeChallenge(memberID: id, key: "chunks/a") == "n1:p1")
            #expect(try await members.takeChallenge(memberID: id, key: "chunks/a") == "n2:p2")
            #expect(try await members.takeChallenge(memberID: id, key: "chunks/a") == nil)
            #expect(try await members.holders(keys: ["chunks/a"], ownerID: owner).map(\.memberID) == [id])
            #expect(try await members.holders(keys: ["chunks/a"], ownerID: UUID()).isEmpty)
            try await members.markLost(memberID: id, key: "chunks/a", reason: "test")
            #expect(try await members.object(memberID: id, key: "chunks/a")?.lost == true)
            #expect(try await members.holders(keys: ["chunks/a"], ownerID: owner).isEmpty)
        }
    }

    @Test("users' objects and seed chunks are refunded once: on delete, and with the member (seeds with the last copy)")
    func refunds() async throws {
        try await Self.withRepository { members in
            let (one, two, owner, user) = (UUID(), UUID(), UUID(), UUID())
            _ = try await members.checkIn(id: one, ownerID: owner, name: "a", report: Self.report)
            _ = try await members.checkIn(id: two, ownerID: owner, name: "b", report: Self.report)
            func object(_ member: UUID, _ key: String, _ size: Int64) -> ObjectRecord {
                ObjectRecord(memberID: member, key: key, size: size, sha256: "s", challenges: [], lost: false)
            }
            let chunk = String(repeating: "ab", count: 16)
            let seedKeys = ["chunks/\(chunk)", "users/\(user.uuidString.lowercased())/chunks/\(chunk)"]
            try await members.recordObject(object(one, "mine", 4), ownerID: user, chargedTo: user, seedCharged: false)
            // Writing a key again hands back the charge of what it replaced, once: the writer was charged in full.
            let replaced = try await members.recordObject(
                object(one, "mine", 10),
                ownerID: user,
                chargedTo: user,
                seedCharged: false
            )
            #expect(replaced?.ownerID == user && replaced?.bytes == 4)
            #expect(try await members.recordObject(object(one, "shard", 20), ownerID: user) == nil)
            for (member, key) in [(one, seedKeys[0]), (two, seedKeys[1])] {
                let replica = object(member, key, 30)
                try await members.recordObject(replica, ownerID: user, chargedTo: nil, seedCharged: true)
            }
            #expect(try await members.chargedObjectSize(memberID: one, key: "mine") == 10)
            #expect(try await members.chargedObjectSize(memberID: one, key: "shard") == nil)
            #expect(try await members.chargedSeedSize(keys: seedKeys, ownerID: user) == 30)
            #expect(try await members.chargedSeedSize(keys: seedKeys, ownerID: owner) == nil)
            // A shard chunk wrote was charged to nobody.
            #expect(try await members.deleteObjectRefunding(memberID: one, key: "shard") == nil)

            // The user's object goes back with the member; the seed does not, a copy is left on the other member.
            let refunds = try await members.removeRefunding(id: one)
            #expect(refunds?.map(\.ownerID) == [user])
            #expect(refunds?.map(\.bytes) == [10])
            #expect(try await members.removeRefunding(id: one) == nil)
            #expect(try await members.chargedSeedSize(keys: seedKeys, ownerID: user) == 30)

            // Its last copy deleted, the seed chunk is refunded, once.
            let last = try await members.deleteObjectRefunding(memberID: two, key: seedKeys[1])
            #expect(last?.ownerID == user)
            #expect(last?.bytes == 30)
            #expect(try await members.deleteObjectRefunding(memberID: two, key: seedKeys[1]) == nil)
        }
    }
}
