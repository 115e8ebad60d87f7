extension FilesystemMigrations {
    /// `fs.put_file`: a file's new version committed in one round trip. It walks the path (making missing
    /// directories), resolves the storage choice (the request's, else the nearest directory's, else the user's, else
    /// the default) and the quota (the user's, else the default), takes the owner's quota lock when there is one,
    /// creates or locks the file, adds the version and its chunk list (one inline chunk, or chunks on backends),
    /// releases the upload's loose chunks and forgets a finished tus upload or multipart session. It returns the node
    /// as `PostgresNodeRepository.columns` does, plus whether the file is new.
    ///
    /// Refusals are raised with SQLSTATE `CS409` (message `not_a_directory` or `is_a_directory`, detail the path;
    /// `conflict`) or `CS413` (`quota_exceeded`, detail the bytes left), so the whole commit rolls back.
    static let putFile = """
        CREATE FUNCTION fs.put_file(
            p_owner uuid, p_names text[], p_size bigint, p_sha256 text, p_durability text, p_encryption text,
            p_content_type text, p_chunk_ids text[], p_chunk_sizes bigint[], p_sealed bytea, p_wrapped_key bytea,
            p_upload uuid, p_default_quota bigint, p_default_durability text, p_default_encryption text)
        RETURNS TABLE (
            id uuid, owner_id uuid, parent_id uuid, name text, kind text, modified_at timestamptz,
            version integer, size bigint, sha256 text, durability text, encryption text, content_type text,
            created_at timestamptz, attrs text, tags text[], trashed_at timestamptz, dir_durability text,
            dir_encryption text, created boolean)
        LANGUAGE plpgsql AS $$
        #variable_conflict use_column
        DECLARE
            depth integer := coalesce(array_length(p_names, 1), 0);
            dir uuid;
            next_id uuid;
            next_kind text;
            next_durability text;
            next_encryption text;
            chosen_durability text;
            chosen_encryption text;
            user_durability text;
            user_encryption text;
            quota bigint;
            used bigint;
            file uuid;
            file_kind text;
            current_number integer;
            number integer;
        BEGIN
            IF depth = 0 THEN
                RAISE EXCEPTION USING ERRCODE = 'CS409', MESSAGE = 'is_a_directory', DETAIL = '/';
            END IF;
            SELECT n.id, n.durability, n.encryption INTO dir, chosen_durability, chosen_encryption
                FROM fs.nodes n WHERE n.owner_id = p_owner AND n.parent_id IS NULL;
            IF NOT FOUND THEN
                INSERT INTO fs.nodes (id, owner_id, parent_id, name, kind)
                    VALUES (gen_random_uuid(), p_owner, NULL, '', 'dir')
                    ON CONFLICT (owner_id) WHERE parent_id IS NULL DO NOTHING;
                SELECT n.id INTO dir FROM fs.nodes n WHERE n.owner_id = p_owner AND n.parent_id IS NULL;
            END IF;
            FOR i IN 1 .. depth - 1 LOOP
                SELECT n.id, n.kind, n.durability, n.encryption
                    INTO next_id, next_kind, next_durability, next_encryption
                    FROM fs.nodes n WHERE n.parent_id = dir AND n.name = p_names[i] AND n.trashed_at IS NULL;
                IF NOT FOUND THEN
                    INSERT INTO fs.nodes AS n (id, owner_id, parent_id, name, kind)
                        VALUES (gen_random_uuid(), p_owner, dir, p_names[i], 'dir')
                        ON CONFLICT (parent_id, name) WHERE trashed_at IS NULL DO NOTHING
                        RETURNING n.id, n.kind, n.durability, n.encryption
                        INTO next_id, next_kind, next_durability, next_encryption;
                    IF next_id IS NULL THEN
                        SELECT n.id, n.kind, n.durability, n.encryption
                            INTO next_id, next_kind, next_durability, next_encryption
                            FROM fs.nodes n WHERE n.parent_id = dir AND n.name = p_names[i] AND n.trashed_at IS NULL;
                        IF NOT FOUND THEN
                            RAISE EXCEPTION USING ERRCODE = 'CS409', MESSAGE = 'conflict',
                                DETAIL = '/' || array_to_string(p_names[1:i], '/');
                        END IF;
                    END IF;
                END IF;
                IF next_kind <> 'dir' THEN
                    RAISE EXCEPTION USING ERRCODE = 'CS409', MESSAGE = 'not_a_directory',
                        DETAIL = '/' || array_to_string(p_names[1:i], '/');
                END IF;
                chosen_durability := coalesce(next_durability, chosen_durability);
                chosen_encryption := coalesce(next_encryption, chosen_encryption);
                dir := next_id;
            END LOOP;
            SELECT s.durability, s.encryption, s.quota_bytes INTO user_durability, user_encryption, quota
                FROM fs.settings s WHERE s.user_id = p_owner;
            quota := coalesce(quota, p_default_quota);
            IF p_size = 0 THEN
                quota := NULL;
            END IF;
            IF quota IS NOT NULL THEN
                -- The same lock as QuotaLedger's: the owner's commits and charges take turns, so the usage read
                -- below sees every one that held it before.
                PERFORM pg_advisory_xact_lock(hashtext('fs.quota:' || p_owner::text));
            END IF;
            SELECT n.id, n.kind, n.current_version INTO file, file_kind, current_number
                FROM fs.nodes n
                WHERE n.parent_id = dir AND n.name = p_names[depth] AND n.trashed_at IS NULL FOR UPDATE;
            IF NOT FOUND THEN
                INSERT INTO fs.nodes AS n (id, owner_id, parent_id, name, kind)
                    VALUES (gen_random_uuid(), p_owner, dir, p_names[depth], 'file')
                    ON CONFLICT (parent_id, name) WHERE trashed_at IS NULL DO NOTHING
                    RETURNING n.id, n.kind, n.current_version INTO file, file_kind, current_number;
                IF file IS NULL THEN
                    SELECT n.id, n.kind, n.current_version INTO file, file_kind, current_number
                        FROM fs.nodes n
                        WHERE n.parent_id = dir AND n.name = p_names[depth] AND n.trashed_at IS NULL FOR UPDATE;
                    IF NOT FOUND THEN
                        RAISE EXCEPTION USING ERRCODE = 'CS409', MESSAGE = 'conflict',
                            DETAIL = '/' || array_to_string(p_names, '/');
                    END IF;
                END IF;
            END IF;
            IF file_kind <> 'file' THEN
                RAISE EXCEPTION USING ERRCODE = 'CS409', MESSAGE = 'is_a_directory',
                    DETAIL = '/' || array_to_string(p_names, '/');
            END IF;
            IF quota IS NOT NULL THEN
                -- Usage as QuotaLedger counts it: every version once per chunk, plus the raw bytes charged.
                SELECT coalesce(sum(stored.size), 0)::bigint
                        + coalesce((SELECT s.raw_bytes FROM fs.settings s WHERE s.user_id = p_owner), 0)::bigint
                    INTO used
                    FROM (SELECT DISTINCT vc.chunk_id, vc.size FROM fs.version_chunks vc
                        JOIN fs.nodes n ON n.id = vc.file_id WHERE n.owner_id = p_owner) stored;
                IF used + p_size > quota THEN
                    RAISE EXCEPTION USING ERRCODE = 'CS413', MESSAGE = 'quota_exceeded',
                        DETAIL = greatest(0, quota - used)::text;
                END IF;
            END IF;
            number := coalesce(current_number, 0) + 1;
            INSERT INTO fs.versions (file_id, version, size, sha256, durability, encryption, content_type)
                VALUES (file, number, p_size, p_sha256,
                    coalesce(p_durability, chosen_durability, user_durability, p_default_durability),
                    CASE WHEN p_sealed IS NOT NULL THEN 'aes256-gcm'
                        ELSE coalesce(p_encryption, chosen_encryption, user_encryption, p_default_encryption) END,
                    p_content_type);
            IF p_sealed IS NOT NULL THEN
                INSERT INTO fs.version_chunks (file_id, version, seq, chunk_id, size, sealed, wrapped_key)
                    VALUES (file, number, 0, p_chunk_ids[1], p_size, p_sealed, p_wrapped_key);
            ELSIF coalesce(array_length(p_chunk_ids, 1), 0) > 0 THEN
                INSERT INTO fs.version_chunks (file_id, version, seq, chunk_id, size)
                    SELECT file, number, (t.s - 1)::integer, t.c, t.z
                    FROM unnest(p_chunk_ids, p_chunk_sizes) WITH ORDINALITY AS t (c, z, s);
                DELETE FROM fs.loose_chunks lc WHERE lc.chunk_id = ANY (p_chunk_ids);
            END IF;
            UPDATE fs.nodes n SET current_version = number, modified_at = now() WHERE n.id = file;
            IF p_upload IS NOT NULL THEN
                -- Any other chunk of this upload (a request that died after storing it) is collectable at once; a
                -- finished tus upload or multipart session goes, so an expiry never loosens the version's chunks.
                UPDATE fs.loose_chunks lc SET collect_after = now()
                    WHERE lc.upload_id = p_upload AND lc.chunk_id <> ALL (coalesce(p_chunk_ids, '{}'));
                DELETE FROM fs.tus_uploads t WHERE t.id = p_upload;
                DELETE FROM fs.upload_sessions u WHERE u.id = p_upload;
            END IF;
            RETURN QUERY
                SELECT n.id, n.owner_id, n.parent_id, n.name, n.kind, n.modified_at,
                    v.version, v.size, v.sha256, v.durability, v.encryption, v.content_type, v.created_at,
                    n.attrs::text, n.tags, n.trashed_at, n.durability, n.encryption, current_number IS NULL
                FROM fs.nodes n LEFT JOIN fs.versions v ON v.file_id = n.id AND v.version = n.current_version
                WHERE n.id = file;
        END
        $$
        """
}
