import Foundation
import StrypeService
import StrypeTestSupport
import Testing

@testable import ArrayService

@Suite("array members and objects in PostgreSQL", .timeLimit(.minutes(1)))
struct MemberRepositoryTests {
    static func withRepository(_ body: @escaping @Sendable (PostgresMemberRepository) async throws -> Void)
        async throws
    {
        try await TestEnvironment.withPostgres { client in
            try await Migrator(
                client: client,
                schema: "array",
                migrations: ArrayMigrations.all,
                logger: TestEnvironment.logger
            ).run()
            try await body(PostgresMemberRepository(client: client, logger: TestEnvironment.logger))
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
}
