import StrypeService

/// The versioned changes to the `cloud` schema, applied in order at start.
enum CloudMigrations {
    static let all: [Migration] = [
        Migration(
            version: 1,
            name: "create_schema",
            statements: [
                "CREATE SCHEMA IF NOT EXISTS \"cloud\"",
                "COMMENT ON SCHEMA \"cloud\" IS 'Cloudstrype cloud service: provider accounts and object I/O on S3-compatible storage and local directories'",
            ]
        )
    ]
}
