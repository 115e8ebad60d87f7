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
        ),
        Migration(
            version: 2,
            name: "accounts_sessions_keys_groups_agents",
            statements: [
                """
                CREATE TABLE users (
                    id uuid PRIMARY KEY,
                    email text NOT NULL UNIQUE,
                    name text NOT NULL,
                    password_hash text NOT NULL,
                    roles text[] NOT NULL DEFAULT ARRAY['user'],
                    disabled boolean NOT NULL DEFAULT false,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                """
                CREATE TABLE refresh_tokens (
                    id uuid PRIMARY KEY,
                    family_id uuid NOT NULL,
                    user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    token_hash bytea NOT NULL UNIQUE,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    expires_at timestamptz NOT NULL,
                    used_at timestamptz,
                    revoked_at timestamptz
                )
                """,
                "CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id)",
                "CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id)",
                """
                CREATE TABLE signing_keys (
                    kid text PRIMARY KEY,
                    public_key bytea NOT NULL,
                    private_key_sealed bytea NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    retired_at timestamptz
                )
                """,
                """
                CREATE TABLE groups (
                    id uuid PRIMARY KEY,
                    name text NOT NULL UNIQUE,
                    created_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                """
                CREATE TABLE group_members (
                    group_id uuid NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
                    user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    added_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (group_id, user_id)
                )
                """,
                "CREATE INDEX group_members_user ON group_members (user_id)",
                """
                CREATE TABLE agent_tokens (
                    id uuid PRIMARY KEY,
                    user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    name text NOT NULL,
                    token_hash bytea NOT NULL UNIQUE,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    last_used_at timestamptz,
                    revoked_at timestamptz
                )
                """,
                "CREATE INDEX agent_tokens_user ON agent_tokens (user_id)",
            ]
        ),
        Migration(
            version: 3,
            name: "invitations",
            statements: [
                """
                CREATE TABLE invitations (
                    id uuid PRIMARY KEY,
                    token_hash bytea NOT NULL UNIQUE,
                    email text,
                    created_by uuid REFERENCES users(id) ON DELETE SET NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    expires_at timestamptz NOT NULL,
                    used_at timestamptz,
                    used_by uuid REFERENCES users(id) ON DELETE SET NULL
                )
                """,
                "CREATE INDEX invitations_expires ON invitations (expires_at)",
            ]
        ),
    ]
}
