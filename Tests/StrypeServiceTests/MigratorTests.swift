import PostgresNIO
import StrypeService
import StrypeTestSupport
import Testing

@Suite("Migrations against a real Postgres")
struct MigratorTests {
    private func migrations(_ schema: String) -> [Migration] {
        [
            Migration(
                version: 1,
                name: "create_table",
                statements: ["CREATE TABLE runs (id serial PRIMARY KEY, note text)"]
            ),
            // Not idempotent on purpose: a second application would insert a second row.
            Migration(version: 2, name: "seed", statements: ["INSERT INTO runs (note) VALUES ('seeded')"]),
        ]
    }

    private func count(_ client: PostgresClient, _ sql: String) async throws -> Int {
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql), logger: TestEnvironment.logger)
        for try await value in rows.decode(Int.self) { return value }
        return -1
    }

    @Test("a second run is a no-op")
    func idempotent() async throws {
        let schema = TestEnvironment.uniqueName("mig")
        try await TestEnvironment.withPostgres { (client) async throws in
            let migrator = Migrator(
                client: client,
                schema: schema,
                migrations: migrations(schema),
                logger: TestEnvironment.logger
            )
            #expect(try await migrator.run() == [1, 2])
            #expect(try await migrator.run() == [])
            #expect(try await count(client, "SELECT count(*)::int FROM \(schema).runs") == 1)
            #expect(try await count(client, "SELECT count(*)::int FROM \(schema).schema_migrations") == 2)
        }
    }

    @Test("two runners starting together apply each migration once")
    func concurrentRunners() async throws {
        let schema = TestEnvironment.uniqueName("mig")
        let list = migrations(schema)
        // Separate clients, as separate replicas would have.
        let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<3 {
                group.addTask {
                    try await TestEnvironment.withPostgres { client in
                        try await Migrator(
                            client: client,
                            schema: schema,
                            migrations: list,
                            logger: TestEnvironment.logger
                        ).run()
                    }
                }
            }
            var all: [[Int]] = []
            for try await result in group { all.append(result) }
            return all
        }
        #expect(applied.flatMap { $0 }.sorted() == [1, 2])
        try await TestEnvironment.withPostgres { (client) async throws in
            #expect(try await count(client, "SELECT count(*)::int FROM \(schema).runs") == 1)
        }
    }

    @Test("a later migration is applied on the next start; a failing one leaves nothing behind")
    func laterAndFailingMigrations() async throws {
        let schema = TestEnvironment.uniqueName("mig")
        try await TestEnvironment.withPostgres { client in
            var list = migrations(schema)
            try await Migrator(client: client, schema: schema, migrations: list, logger: TestEnvironment.logger).run()
            list.append(
                Migration(version: 3, name: "add_column", statements: ["ALTER TABLE runs ADD COLUMN size bigint"])
            )
            list.append(
                Migration(
                    version: 4,
                    name: "broken",
                    statements: ["CREATE TABLE partial (id int)", "SELECT * FROM no_such_table"]
                )
            )
            let migrator = Migrator(client: client, schema: schema, migrations: list, logger: TestEnvironment.logger)
            await #expect {
                try await migrator.run()
            } throws: { error in
                "\(error)".contains("migration 4 (broken) failed")
            }
            let recorded = try await count(client, "SELECT max(version)::int FROM \(schema).schema_migrations")
            #expect(recorded == 3)
            let partial = try await count(
                client,
                "SELECT count(*)::int FROM information_schema.tables WHERE table_schema = '\(schema)' AND table_name = 'partial'"
            )
            #expect(partial == 0)
        }
    }

    @Test(
        "schema names that could inject SQL are refused",
        arguments: ["", "a; DROP TABLE x", "Upper", "1abc", "a\"b"]
    )
    func invalidSchema(name: String) async throws {
        _ = try await TestEnvironment.withPostgres { client in
            await #expect(throws: MigrationError.self) {
                try await Migrator(client: client, schema: name, migrations: [], logger: TestEnvironment.logger).run()
            }
        }
    }
}
