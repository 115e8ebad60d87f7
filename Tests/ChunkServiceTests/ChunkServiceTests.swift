import Foundation
import PostgresNIO
import StrypeService
import StrypeTestSupport
import Testing

@testable import ChunkService

/// Both tests use the `chunk` schema of the test database, so they run one at a time.
@Suite("Chunk service on the shared runtime", .serialized, .timeLimit(.minutes(1)))
struct ChunkServiceTests {
    @Test("configuration, migrations and operational routes")
    func conformsToRuntime() async throws {
        let problems = try await ServiceConformance.problems(
            of: ChunkService.definition,
            peers: [.auth, .cloud, .array],
            needsMasterKey: true
        )
        #expect(problems == [])
    }

    @Test("the scrub takes every intact shard once per cycle, never a lost one, and instances take different shards")
    func auditCycle() async throws {
        try await TestEnvironment.withPostgres { postgres in
            let logger = TestEnvironment.logger
            try await Migrator(client: postgres, schema: "chunk", migrations: ChunkMigrations.all, logger: logger)
                .run()
            try await postgres.query("TRUNCATE chunk.chunks CASCADE", logger: logger)
            let chunkID = String(repeating: "ab", count: 16)
            try await postgres.query(
                """
                INSERT INTO chunk.chunks (id, owner_id, size, sealed_size, sha256, durability, encryption)
                VALUES (\(chunkID), \(UUID()), 10, 10, 'x', 'raid1(6)', 'none')
                """,
                logger: logger
            )
            for index in 0..<6 {
                try await postgres.query(
                    """
                    INSERT INTO chunk.shards (chunk_id, index, backend, backend_id, key, size, sha256, state)
                    VALUES (\(chunkID), \(index), 'array', \(UUID()), \("k\(index)"), 10, 'x',
                            \(index == 5 ? "lost" : "ok"))
                    """,
                    logger: logger
                )
            }
            let repository = PostgresChunkRepository(client: postgres, logger: logger)
            // Two instances scrubbing at the same moment.
            async let first = repository.shardsDueForAudit(limit: 2)
            async let second = repository.shardsDueForAudit(limit: 2)
            let (a, b) = try await (first, second)
            let third = try await repository.shardsDueForAudit(limit: 1)
            let taken = [a, b, third].map { Set($0.map(\.shard.index)) }
            #expect(taken.map(\.count) == [2, 2, 1])
            #expect(taken[0].isDisjoint(with: taken[1]) && taken[0].union(taken[1]).union(taken[2]) == [0, 1, 2, 3, 4])
            // The cycle starts again with what was audited longest ago.
            let next = Set(try await repository.shardsDueForAudit(limit: 2).map(\.shard.index))
            #expect(next.count == 2 && next.isSubset(of: taken[0].union(taken[1])))
            try await postgres.query("TRUNCATE chunk.chunks CASCADE", logger: logger)
        }
    }
}
