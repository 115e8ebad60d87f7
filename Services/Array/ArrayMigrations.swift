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
        ),
        Migration(
            version: 2,
            name: "members_and_objects",
            statements: [
                // A member is one agent token: its id is the token's id, its owner the token's user.
                """
                CREATE TABLE "array".members (
                    id uuid PRIMARY KEY,
                    owner_id uuid NOT NULL,
                    name text NOT NULL,
                    capacity bigint NOT NULL DEFAULT 0,
                    free bigint NOT NULL DEFAULT 0,
                    objects bigint NOT NULL DEFAULT 0,
                    bytes bigint NOT NULL DEFAULT 0,
                    version text,
                    shared boolean NOT NULL DEFAULT false,
                    removed_at timestamptz,
                    last_seen timestamptz,
                    created_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                "CREATE INDEX members_owner ON \"array\".members (owner_id)",
                // What was put on each member, with the precomputed audit challenges that prove it is still held.
                """
                CREATE TABLE "array".objects (
                    member_id uuid NOT NULL REFERENCES "array".members (id) ON DELETE CASCADE,
                    key text NOT NULL,
                    owner_id uuid NOT NULL,
                    size bigint NOT NULL,
                    sha256 text NOT NULL,
                    challenges text[] NOT NULL DEFAULT '{}',
                    lost_at timestamptz,
                    lost_reason text,
                    stored_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (member_id, key)
                )
                """,
                "CREATE INDEX objects_key ON \"array\".objects (key)",
            ]
        ),
        Migration(
            version: 3,
            name: "charged_objects",
            statements: [
                // The user an object put on a member by a user (not a shard chunk wrote) was charged to: deleting it
                // or removing the member refunds its size.
                "ALTER TABLE \"array\".objects ADD COLUMN charged_to uuid",
                // Seed replicas whose chunk was charged once to its owner, whatever the number of replicas.
                "ALTER TABLE \"array\".objects ADD COLUMN seed_charged boolean NOT NULL DEFAULT false",
            ]
        ),
    ]
}
