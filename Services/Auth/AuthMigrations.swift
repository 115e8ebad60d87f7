import StrypeService

/// The versioned changes to the `auth` schema, applied in order at start.
enum AuthMigrations {
    static let all: [Migration] = [
        Migration(
            version: 1,
            name: "create_schema",
            statements: [
                "CREATE SCHEMA IF NOT EXISTS \"auth\"",
                "COMMENT ON SCHEMA \"auth\" IS 'Cloudstrype auth service: accounts, tokens, groups and agent tokens'",
            ]
        )
    ]
}
