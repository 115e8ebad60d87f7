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
        ),
        Migration(
            version: 2,
            name: "hierarchy_versions_chunks",
            statements: [
                // Every user has one root directory (parent NULL, name ''); names are unique among the live entries
                // of a directory; trashed entries keep their name until restored or purged.
                """
                CREATE TABLE fs.nodes (
                    id uuid PRIMARY KEY,
                    owner_id uuid NOT NULL,
                    parent_id uuid REFERENCES fs.nodes (id) ON DELETE CASCADE,
                    name text NOT NULL,
                    kind text NOT NULL CHECK (kind IN ('file', 'dir')),
                    current_version integer,
                    attrs jsonb NOT NULL DEFAULT '{}',
                    tags text[] NOT NULL DEFAULT '{}',
                    -- A directory's storage choice for new files below it (NULL: inherited).
                    durability text,
                    encryption text,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    modified_at timestamptz NOT NULL DEFAULT now(),
                    trashed_at timestamptz,
                    -- The node the user trashed (its live descendants were trashed with it, at the same time).
                    trash_root boolean NOT NULL DEFAULT false
                )
                """,
                "CREATE UNIQUE INDEX nodes_root ON fs.nodes (owner_id) WHERE parent_id IS NULL",
                "CREATE UNIQUE INDEX nodes_live_name ON fs.nodes (parent_id, name) WHERE trashed_at IS NULL",
                "CREATE INDEX nodes_parent ON fs.nodes (parent_id)",
                """
                CREATE TABLE fs.versions (
                    file_id uuid NOT NULL REFERENCES fs.nodes (id) ON DELETE CASCADE,
                    version integer NOT NULL,
                    size bigint NOT NULL,
                    sha256 text NOT NULL,
                    durability text NOT NULL,
                    encryption text NOT NULL,
                    content_type text NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (file_id, version)
                )
                """,
                """
                CREATE TABLE fs.version_chunks (
                    file_id uuid NOT NULL,
                    version integer NOT NULL,
                    seq integer NOT NULL,
                    chunk_id text NOT NULL,
                    size bigint NOT NULL,
                    PRIMARY KEY (file_id, version, seq),
                    FOREIGN KEY (file_id, version) REFERENCES fs.versions ON DELETE CASCADE
                )
                """,
                // Chunks no version refers to: those of uploads in progress (collectable once the upload has been
                // idle past the orphan age) and those of purged versions (collectable at once). A commit removes
                // its upload's rows in the same transaction that makes the version visible.
                """
                CREATE TABLE fs.loose_chunks (
                    chunk_id text PRIMARY KEY,
                    owner_id uuid NOT NULL,
                    upload_id uuid,
                    collect_after timestamptz NOT NULL,
                    attempts integer NOT NULL DEFAULT 0
                )
                """,
                "CREATE INDEX loose_chunks_upload ON fs.loose_chunks (upload_id)",
                // tus uploads in progress: what arrived is in tus_chunks (stored) and tail (not yet a whole chunk);
                // hash_state continues the file's SHA-256 on the next request.
                """
                CREATE TABLE fs.tus_uploads (
                    id uuid PRIMARY KEY,
                    owner_id uuid NOT NULL,
                    path text NOT NULL,
                    length bigint NOT NULL,
                    received bigint NOT NULL DEFAULT 0,
                    durability text NOT NULL,
                    encryption text NOT NULL,
                    hash_state bytea NOT NULL,
                    tail bytea NOT NULL DEFAULT '',
                    head bytea NOT NULL DEFAULT '',
                    expires_at timestamptz NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                "CREATE INDEX tus_uploads_expiry ON fs.tus_uploads (expires_at)",
                """
                CREATE TABLE fs.tus_chunks (
                    upload_id uuid NOT NULL REFERENCES fs.tus_uploads (id) ON DELETE CASCADE,
                    seq integer NOT NULL,
                    chunk_id text NOT NULL,
                    size bigint NOT NULL,
                    PRIMARY KEY (upload_id, seq)
                )
                """,
                // Multipart upload sessions: parts arrive in any order, each stored as whole chunks.
                """
                CREATE TABLE fs.upload_sessions (
                    id uuid PRIMARY KEY,
                    owner_id uuid NOT NULL,
                    path text NOT NULL,
                    size bigint NOT NULL,
                    part_size bigint NOT NULL,
                    durability text NOT NULL,
                    encryption text NOT NULL,
                    expires_at timestamptz NOT NULL
                )
                """,
                """
                CREATE TABLE fs.upload_parts (
                    session_id uuid NOT NULL REFERENCES fs.upload_sessions (id) ON DELETE CASCADE,
                    part integer NOT NULL,
                    seq integer NOT NULL,
                    chunk_id text NOT NULL,
                    size bigint NOT NULL,
                    PRIMARY KEY (session_id, part, seq)
                )
                """,
                // Share links: only the SHA-256 of a link's token is kept, so the table never holds a usable link.
                """
                CREATE TABLE fs.links (
                    id uuid PRIMARY KEY,
                    token_sha256 text NOT NULL UNIQUE,
                    node_id uuid NOT NULL REFERENCES fs.nodes (id) ON DELETE CASCADE,
                    owner_id uuid NOT NULL,
                    expires_at timestamptz,
                    created_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                "CREATE INDEX links_node ON fs.links (node_id)",
                // Each user's storage choice and quota (NULL: the defaults).
                """
                CREATE TABLE fs.settings (
                    user_id uuid PRIMARY KEY,
                    durability text,
                    encryption text,
                    quota_bytes bigint
                )
                """,
                "CREATE INDEX loose_chunks_due ON fs.loose_chunks (collect_after)",
            ]
        ),
        Migration(
            version: 3,
            name: "grants",
            statements: [
                // A directory shared with a user or group; everything below it is reachable with that access. The
                // grantee's email or name is kept for listing without asking auth.
                """
                CREATE TABLE fs.grants (
                    id uuid PRIMARY KEY,
                    node_id uuid NOT NULL REFERENCES fs.nodes (id) ON DELETE CASCADE,
                    owner_id uuid NOT NULL,
                    grantee_kind text NOT NULL CHECK (grantee_kind IN ('user', 'group')),
                    grantee_id uuid NOT NULL,
                    grantee_name text NOT NULL,
                    access text NOT NULL CHECK (access IN ('read', 'read-write')),
                    created_at timestamptz NOT NULL DEFAULT now(),
                    UNIQUE (node_id, grantee_kind, grantee_id)
                )
                """,
                "CREATE INDEX grants_grantee ON fs.grants (grantee_id)",
                // Who sent a tus upload when it goes into another user's shared directory (NULL: the owner).
                "ALTER TABLE fs.tus_uploads ADD COLUMN uploader_id uuid",
            ]
        ),
        Migration(
            version: 4,
            name: "session_uploader",
            statements: [
                // Who sends a multipart session when it goes into another user's shared directory (NULL: the owner).
                "ALTER TABLE fs.upload_sessions ADD COLUMN uploader_id uuid"
            ]
        ),
        Migration(
            version: 5,
            name: "raw_bytes",
            statements: [
                // Bytes a user stored outside files (direct chunks, account and member objects, seeds), charged by
                // chunk, cloud and array through POST /internal/usage: they count against the quota with the files.
                "ALTER TABLE fs.settings ADD COLUMN raw_bytes bigint NOT NULL DEFAULT 0"
            ]
        ),
        Migration(
            version: 6,
            name: "inline_files",
            statements: [
                // A small file's one chunk kept here instead of on backends (DESIGN §7): sealed like a chunk, with its
                // data key wrapped by the owner's key. Ciphertext does not compress, so TOAST is told not to try.
                "ALTER TABLE fs.version_chunks ADD COLUMN sealed bytea, ADD COLUMN wrapped_key bytea",
                "ALTER TABLE fs.version_chunks ALTER COLUMN sealed SET STORAGE EXTERNAL",
                // The owner's key-encryption key for inline content, sealed under the master key.
                "ALTER TABLE fs.settings ADD COLUMN inline_key bytea",
                FilesystemMigrations.putFile,
            ]
        ),
    ]
}
