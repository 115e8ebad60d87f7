import StrypeService

/// The versioned changes to the `chunk` schema, applied in order at start.
enum ChunkMigrations {
    static let all: [Migration] = [
        Migration(
            version: 1,
            name: "create_schema",
            statements: [
                "CREATE SCHEMA IF NOT EXISTS \"chunk\"",
                "COMMENT ON SCHEMA \"chunk\" IS 'Cloudstrype chunk service: encryption, replication and erasure coding of chunks'",
            ]
        )
    ]
}
