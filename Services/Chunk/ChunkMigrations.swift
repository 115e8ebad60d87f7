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
        ),
        Migration(
            version: 2,
            name: "chunks_and_shards",
            statements: [
                // Each user's key-encryption key, sealed under the master key (purpose chunk.user-keys, context user id).
                """
                CREATE TABLE chunk.user_keys (
                    user_id uuid PRIMARY KEY,
                    sealed_key bytea NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                """
                CREATE TABLE chunk.chunks (
                    id text PRIMARY KEY,
                    owner_id uuid NOT NULL,
                    size bigint NOT NULL,
                    sealed_size bigint NOT NULL,
                    sha256 text NOT NULL,
                    durability text NOT NULL,
                    encryption text NOT NULL,
                    wrapped_key bytea,
                    created_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                "CREATE INDEX chunks_owner ON chunk.chunks (owner_id)",
                """
                CREATE TABLE chunk.shards (
                    chunk_id text NOT NULL REFERENCES chunk.chunks (id) ON DELETE CASCADE,
                    index integer NOT NULL,
                    backend text NOT NULL,
                    backend_id uuid NOT NULL,
                    key text NOT NULL,
                    size bigint NOT NULL,
                    sha256 text NOT NULL,
                    state text NOT NULL DEFAULT 'ok',
                    lost_reason text,
                    PRIMARY KEY (chunk_id, index)
                )
                """,
                "CREATE INDEX shards_backend ON chunk.shards (backend, backend_id)",
                // Shards whose deletion failed: retried until the backend confirms, never forgotten.
                """
                CREATE TABLE chunk.pending_deletions (
                    backend text NOT NULL,
                    backend_id uuid NOT NULL,
                    key text NOT NULL,
                    attempts integer NOT NULL DEFAULT 0,
                    last_error text,
                    next_attempt_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (backend, backend_id, key)
                )
                """,
            ]
        ),
        Migration(
            version: 3,
            name: "shard_audit_cycle",
            statements: [
                // When the scrubber last audited each shard: it takes the longest-unaudited first, so every shard is
                // audited once per cycle instead of at random.
                "ALTER TABLE chunk.shards ADD COLUMN audited_at timestamptz",
                "CREATE INDEX shards_audit ON chunk.shards (audited_at NULLS FIRST) WHERE state = 'ok'",
            ]
        ),
        Migration(
            version: 4,
            name: "charged_chunks",
            statements: [
                // Chunks a user stored directly, charged to the user's quota (a file's chunks are counted by
                // filesystem as file bytes): deleting one refunds its size.
                "ALTER TABLE chunk.chunks ADD COLUMN charged boolean NOT NULL DEFAULT false"
            ]
        ),
        Migration(
            version: 5,
            name: "plaintext_hash_optional",
            statements: [
                // A chunk a service stores is part of a file whose own SHA-256 the service keeps, and its bytes are
                // authenticated by AES-GCM or by its shards' hashes: hashing its plaintext too was a sixth of chunk's
                // CPU in an upload, for a value nobody checked. Chunks users store directly still have it.
                "ALTER TABLE chunk.chunks ALTER COLUMN sha256 DROP NOT NULL"
            ]
        ),
    ]
}
