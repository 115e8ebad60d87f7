import StrypeService

/// The versioned changes to the `fs` schema, applied in order at start.
enum FilesystemMigrations {
    static let all: [Migration] = [
        Migration(
            version: 1,
            name: "create_schema",
            statements: [
                "CREATE SCHEMA IF NOT EXISTS \"fs\"",
                "COMMENT ON SCHEMA \"fs\" IS 'Cloudstrype filesystem service: the file hierarchy over chunks'",
            ]
        )
    ]
}
