import Logging
import PostgresNIO

/// Applies a service's migrations to its schema once: an advisory lock serialises replicas starting together, and
/// `<schema>.schema_migrations` records what has been applied.
package struct Migrator: Sendable {
    package let client: PostgresClient
    package let schema: String
    package let migrations: [Migration]
    package let logger: Logger

    package init(client: PostgresClient, schema: String, migrations: [Migration], logger: Logger) {
        self.client = client
        self.schema = schema
        self.migrations = migrations
        self.logger = logger
    }

    /// Applies the missing migrations in version order and returns the versions it applied.
    @discardableResult
    package func run() async throws -> [Int] {
        try validate()
        return try await client.withConnection { connection in
            let lockKey = "cloudstrype.migrate.\(schema)"
            _ = try await connection.query("SELECT pg_advisory_lock(hashtext(\(lockKey)))", logger: logger)
            do {
                let applied = try await applyPending(on: connection)
                _ = try await connection.query("SELECT pg_advisory_unlock(hashtext(\(lockKey)))", logger: logger)
                return applied
            } catch {
                // The lock is per session; release it so a retry or another replica can go on.
                _ = try? await connection.query("ROLLBACK", logger: logger)
                _ = try? await connection.query("SELECT pg_advisory_unlock(hashtext(\(lockKey)))", logger: logger)
                throw error
            }
        }
    }

    private func applyPending(on connection: PostgresConnection) async throws -> [Int] {
        try await execute("CREATE SCHEMA IF NOT EXISTS \"\(schema)\"", on: connection)
        try await execute(
            """
            CREATE TABLE IF NOT EXISTS "\(schema)".schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            on: connection
        )
        var done = Set<Int>()
        let rows = try await connection.query(
            PostgresQuery(unsafeSQL: "SELECT version FROM \"\(schema)\".schema_migrations"),
            logger: logger
        )
        for try await version in rows.decode(Int.self) { done.insert(version) }
        let known = Set(migrations.map(\.version))
        if let newer = done.subtracting(known).max() {
            logger.warning(
                "database has migration \(newer) of \(schema) that this build does not know; a newer build ran"
            )
        }
        var applied: [Int] = []
        for migration in migrations.sorted(by: { $0.version < $1.version }) where !done.contains(migration.version) {
            try await apply(migration, on: connection)
            applied.append(migration.version)
        }
        return applied
    }

    private func apply(_ migration: Migration, on connection: PostgresConnection) async throws {
        logger.info(
            "applying migration",
            metadata: ["schema": "\(schema)", "version": "\(migration.version)", "name": "\(migration.name)"]
        )
        try await execute("BEGIN", on: connection)
        do {
            try await execute("SET LOCAL search_path TO \"\(schema)\"", on: connection)
            for statement in migration.statements {
                try await execute(statement, on: connection)
            }
            _ = try await connection.query(
                PostgresQuery(
                    unsafeSQL: "INSERT INTO \"\(schema)\".schema_migrations (version, name) VALUES ($1, $2)",
                    binds: {
                        var binds = PostgresBindings()
                        binds.append(migration.version)
                        binds.append(migration.name)
                        return binds
                    }()
                ),
                logger: logger
            )
            try await execute("COMMIT", on: connection)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw MigrationError.failed(
                version: migration.version,
                name: migration.name,
                underlying: String(reflecting: error)
            )
        }
    }

    private func execute(_ sql: String, on connection: PostgresConnection) async throws {
        _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
    }

    private func validate() throws {
        let validName =
            !schema.isEmpty && schema.utf8.count <= 63
            && schema.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
            && !(schema.utf8.first! >= 0x30 && schema.utf8.first! <= 0x39)
        guard validName else { throw MigrationError.invalidSchemaName(schema) }
        let versions = migrations.map(\.version)
        guard Set(versions).count == versions.count else { throw MigrationError.invalidVersions("duplicate versions") }
        guard versions.allSatisfy({ $0 > 0 }) else { throw MigrationError.invalidVersions("versions must be positive") }
    }
}
