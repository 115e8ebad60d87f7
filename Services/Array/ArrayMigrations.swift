import StrypeService

/// The versioned changes to the `array` schema, applied in order at start.
enum ArrayMigrations {
    static let all: [Migration] = [
        Migration(
            version: 1,
            name: "create_schema",
            statements: [
                "CREATE SCHEMA IF NOT EXISTS \"array\"",
                "COMMENT ON SCHEMA \"array\" IS 'Cloudstrype array service: desktop agents as storage members'",
            ]
        )
    ]
}
