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
        ),
        Migration(
            version: 2,
            name: "accounts_and_chunk_locations",
            statements: [
                """
                CREATE TABLE accounts (
                    id uuid PRIMARY KEY,
                    owner_id uuid NOT NULL,
                    provider text NOT NULL CHECK (provider IN ('s3', 'local')),
                    name text NOT NULL,
                    settings jsonb NOT NULL,
                    secret_sealed bytea,
                    shared boolean NOT NULL DEFAULT false,
                    health text NOT NULL DEFAULT 'healthy',
                    health_reason text,
                    health_checked_at timestamptz,
                    capacity bigint,
                    used_bytes bigint NOT NULL DEFAULT 0,
                    objects bigint NOT NULL DEFAULT 0,
                    created_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                "CREATE INDEX accounts_owner ON accounts (owner_id)",
                """
                CREATE TABLE chunk_locations (
                    chunk_id text NOT NULL,
                    account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                    owner_id uuid NOT NULL,
                    size bigint NOT NULL,
                    sha256 text NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (chunk_id, account_id)
                )
                """,
            ]
        ),
        Migration(
            version: 3,
            name: "charged_objects",
            statements: [
                // Objects users put on accounts themselves, charged to their quota: what a rewrite or a deletion
                // of the key (or removing the account) refunds. Shards chunk writes are not here.
                """
                CREATE TABLE user_objects (
                    account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                    stored_key text NOT NULL,
                    owner_id uuid NOT NULL,
                    size bigint NOT NULL,
                    PRIMARY KEY (account_id, stored_key)
                )
                """,
                // Seed chunks written since quotas count them: their size was charged once, whatever the replicas.
                "ALTER TABLE chunk_locations ADD COLUMN charged boolean NOT NULL DEFAULT false",
            ]
        ),
        Migration(
            version: 4,
            name: "gcs_accounts",
            statements: [
                "ALTER TABLE accounts DROP CONSTRAINT accounts_provider_check",
                "ALTER TABLE accounts ADD CONSTRAINT accounts_provider_check CHECK (provider IN ('s3', 'gcs', 'local'))",
            ]
        ),
    ]
}
