import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
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
            peers: [.auth, .cloud, .array, .filesystem],
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
            let repository = ChunkRepository(client: postgres, logger: logger)
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

    @Test("a user's chunk is charged once its size is known: 413 past the quota, refunded when the store fails")
    func quotaCharges() async throws {
        let dependencies = try TestDependencies(service: .chunk, peers: [.auth, .cloud, .array, .filesystem])
        let deps = dependencies.dependencies
        try await Migrator(client: deps.postgres, schema: "chunk", migrations: ChunkMigrations.all, logger: deps.logger)
            .run()
        let quota = RecordingQuota(limit: 100)
        let core = ChunkService.makeCore(dependencies: deps, quota: quota)
        let tokens = await TestTokenIssuer()
        let verifier = AccessTokenVerifier(keys: tokens, revocations: SessionRevocations())
        let definition = ServiceDefinition(
            name: .chunk,
            needsMasterKey: true,
            migrations: [],
            build: { runtime in
                ServiceParts(
                    controllers: [ChunkController(core: core)],
                    authentication: runtime.authentication(verifier)
                )
            }
        )
        let user = UUID()
        let token = try await tokens.token(user: user)
        let service = try await tokens.serviceToken("filesystem")
        let app = buildApplication(definition, dependencies: deps, listener: .internalPort)
        do {
            try await Self.exerciseQuota(app, quota: quota, user: user, token: token, service: service)
        } catch {
            await dependencies.shutdown()
            throw error
        }
        await dependencies.shutdown()
    }

    private static func exerciseQuota(
        _ app: StrypeApplication,
        quota: RecordingQuota,
        user: UUID,
        token: String,
        service: String
    ) async throws {
        try await app.test(.router) { client in
            func put(_ count: Int, token: String, for owner: UUID? = nil) async throws -> HTTPResponse.Status {
                var headers: HTTPFields = [.authorization: "Bearer \(token)", .contentLength: String(count)]
                if let owner { headers[ChunkController.userHeader] = owner.uuidString }
                let body = ByteBuffer(bytes: [UInt8](repeating: 7, count: count))
                return try await client.execute(uri: "/", method: .put, headers: headers, body: body) { $0.status }
            }
            #expect(try await put(101, token: token) == .contentTooLarge)
            #expect(quota.charges.isEmpty)
            // Within the quota, but no backend answers (the peers point at a closed port): the store fails and the
            // charge is given back.
            #expect(try await put(50, token: token) != .created)
            #expect(quota.charges.map(\.bytes) == [50, -50])
            #expect(quota.used(user) == 0)
            // What filesystem stores for the user is counted as file bytes, not here.
            _ = try await put(50, token: service, for: user)
            #expect(quota.charges.count == 2)
        }
    }
}
