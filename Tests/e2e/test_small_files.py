"""Small files (issue 18): a file of at most INLINE_MAX_BYTES (64 KiB by default) is kept sealed in PostgreSQL
(`fs.version_chunks.sealed`) instead of as shards on backends, and a 4 KiB upload costs at most 8 SQL statements in
all services together (counted with pg_stat_statements, which the suite's PostgreSQL loads). The inline content is
sealed as chunks are: it opens with the keys derived from the master key as the test derives them here, and holds no
plaintext. Ranges, versions (a file that grows moves to chunks), trash, purge, quotas, tus, multipart, links and
shared folders behave as for chunked files."""

import base64
import hashlib
import os
import subprocess
import time
import uuid

import pytest
import requests
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from conftest import ADMIN_EMAIL
from helpers import Agent, sign_in, truncated_put, wait_online
from test_filesystem import shard_files

KiB = 1 << 10
INLINE_MAX = 64 * KiB
# The budget the issue sets for one 4 KiB upload, all services together.
STATEMENT_BUDGET = 8


@pytest.fixture(scope="module")
def user(suite, tmp_path_factory):
    email, headers = sign_in(suite)
    agents = [Agent(suite, tmp_path_factory.mktemp(f"small-agent{i}"), email, f"small-{i}").start() for i in range(2)]
    for agent in agents:
        wait_online(suite, headers, agent)
    me = requests.get(f"{suite.gateway}/api/auth/me", headers=headers).json()
    yield {"email": email, "headers": headers, "agents": agents, "id": me["id"]}
    for agent in agents:
        agent.kill()


def psql(suite, query, database="cloudstrype"):
    """One query as the cluster's superuser over its socket; the answer's lines."""
    result = subprocess.run(
        ["psql", "-h", str(suite.run_dir / "postgres"), "-p", suite.env["POSTGRES_PORT"], "-U", "postgres", "-d",
         database, "-v", "ON_ERROR_STOP=1", "-Atc", query],
        capture_output=True, text=True, check=True,
    )
    return [line for line in result.stdout.splitlines() if line]


def put(suite, headers, path, data, **extra):
    return requests.put(f"{suite.gateway}/api/filesystem/data", params={"path": path}, data=data,
                        headers={**headers, **extra})


def chunks_of(suite, headers, file_id):
    reply = requests.get(f"{suite.gateway}/api/filesystem/info/{file_id}/chunks", headers=headers)
    assert reply.status_code == 200, reply.text
    return reply.json()["items"]


def tus_create(suite, headers, path, data, **extra):
    """creation-with-upload: the whole file in the request that creates the upload, as the web client sends it."""
    return requests.post(
        f"{suite.gateway}/api/filesystem/tus", data=data,
        headers={**headers, "Tus-Resumable": "1.0.0", "Upload-Length": str(len(data)),
                 "Upload-Metadata": f"path {base64.b64encode(path.encode()).decode()}",
                 "Content-Type": "application/offset+octet-stream", **extra})


def statements(suite):
    """Statements the services' role has run, all services together (pg_stat_statements, top level)."""
    rows = psql(suite, "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid "
                       "WHERE r.rolname = 'cloudstrype'")
    return int(rows[0])


def statements_per_file(suite, upload, count=40):
    """Statements per call of `upload(index)`, less what the services run on their own (scans, presence) over as
    long a pause."""
    psql(suite, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    before = statements(suite)
    start = time.monotonic()
    for index in range(count):
        upload(index)
    elapsed = time.monotonic() - start
    during = statements(suite) - before
    quiet = statements(suite)
    time.sleep(elapsed)
    background = statements(suite) - quiet
    return (during - background) / count


def test_a_small_upload_costs_at_most_eight_statements(suite, user):
    headers = user["headers"]
    payloads = [os.urandom(4 * KiB) for _ in range(40)]
    # The first upload of a user makes their root folder and inline key: a one-time cost, not counted.
    assert put(suite, headers, "/budget/warm.bin", os.urandom(4 * KiB)).status_code == 201

    def by_put(index):
        reply = put(suite, headers, f"/budget/put-{index}.bin", payloads[index])
        assert reply.status_code == 201, reply.text

    def by_tus(index):
        reply = tus_create(suite, headers, f"/budget/tus-{index}.bin", payloads[index])
        assert reply.status_code == 201 and reply.headers["Upload-Offset"] == str(4 * KiB), reply.text

    per_put = statements_per_file(suite, by_put)
    per_tus = statements_per_file(suite, by_tus)
    print(f"statements per 4 KiB upload, all services: PUT /data {per_put:.2f}, tus {per_tus:.2f}")
    assert per_put <= STATEMENT_BUDGET, f"a 4 KiB PUT /data took {per_put:.1f} statements"
    assert per_tus <= STATEMENT_BUDGET, f"a 4 KiB tus upload took {per_tus:.1f} statements"


def open_inline(suite, owner_id, chunk_id):
    """The plaintext of an inline chunk, opened as the operator could with the master key alone: the owner's key
    (SecretBox purpose filesystem.user-keys, bound to the owner id), the data key it wraps (purpose chunk.data-key,
    bound to the chunk id), then the content (AES-256-GCM, the chunk id as associated data) — chunk's envelope."""
    master = bytes.fromhex(suite.secrets()["CLOUDSTRYPE_MASTER_KEY"])

    def box(key, purpose):
        return HKDF(algorithm=SHA256(), length=32, salt=b"cloudstrype.secretbox.v1", info=purpose).derive(key)

    def unseal(key, sealed, context):
        return AESGCM(key).decrypt(sealed[:12], sealed[12:], context.encode())

    owner_key_sealed = bytes.fromhex(psql(suite, f"SELECT encode(inline_key, 'hex') FROM fs.settings "
                                                 f"WHERE user_id = '{owner_id}'")[0])
    sealed_hex, wrapped_hex = psql(suite, f"SELECT encode(sealed, 'hex'), encode(wrapped_key, 'hex') "
                                          f"FROM fs.version_chunks WHERE chunk_id = '{chunk_id}' LIMIT 1")[0].split("|")
    owner_key = unseal(box(master, b"filesystem.user-keys"), owner_key_sealed, owner_id)
    data_key = unseal(box(owner_key, b"chunk.data-key"), bytes.fromhex(wrapped_hex), chunk_id)
    return bytes.fromhex(sealed_hex), unseal(data_key, bytes.fromhex(sealed_hex), chunk_id)


def test_a_small_file_is_sealed_in_the_database_and_reads_back_with_ranges(suite, user):
    headers, agents = user["headers"], user["agents"]
    shards_before = shard_files(agents)
    data = b"small file plaintext marker " + os.urandom(4000)
    reply = put(suite, headers, "/inline/a.txt", data, **{"X-Durability": "raid1(2)"})
    assert reply.status_code == 201, reply.text
    file = reply.json()
    assert file["size"] == len(data) and file["sha256"] == hashlib.sha256(data).hexdigest()
    assert file["durability"] == "raid1(2)" and file["encryption"] == "aes256-gcm"
    [chunk] = chunks_of(suite, headers, file["id"])
    assert chunk["inline"] is True and chunk["shards"] == [] and chunk["size"] == len(data)
    assert shard_files(agents) == shards_before, "an inline file put shards on agents"
    sealed, plaintext = open_inline(suite, user["id"], chunk["chunk_id"])
    assert plaintext == data and b"plaintext marker" not in sealed
    url = f"{suite.gateway}/api/filesystem/data/{file['id']}"
    got = requests.get(url, headers=headers)
    assert got.status_code == 200 and got.content == data and got.headers["ETag"] == f"\"{file['sha256']}\""
    part = requests.get(url, headers={**headers, "Range": "bytes=5-104"})
    assert part.status_code == 206 and part.content == data[5:105]
    assert part.headers["Content-Range"] == f"bytes 5-104/{len(data)}"
    suffix = requests.get(url, headers={**headers, "Range": "bytes=-10"})
    assert suffix.status_code == 206 and suffix.content == data[-10:]
    assert requests.get(url, headers={**headers, "Range": f"bytes={len(data)}-"}).status_code == 416


def test_the_threshold_is_inclusive_and_larger_files_go_to_chunks(suite, user):
    headers = user["headers"]
    at = os.urandom(INLINE_MAX)
    over = os.urandom(INLINE_MAX + 1)
    first = put(suite, headers, "/threshold/at.bin", at).json()
    second = put(suite, headers, "/threshold/over.bin", over).json()
    assert chunks_of(suite, headers, first["id"])[0]["inline"] is True
    [chunk] = chunks_of(suite, headers, second["id"])
    assert not chunk.get("inline") and len(chunk["shards"]) == 2
    for file, data in ((first, at), (second, over)):
        assert requests.get(f"{suite.gateway}/api/filesystem/data/{file['id']}", headers=headers).content == data
    # Sent without a length (chunked transfer encoding), the same rule holds once the end is seen.
    streamed = put(suite, headers, "/threshold/streamed.bin", iter([at[:1000], at[1000:]])).json()
    assert chunks_of(suite, headers, streamed["id"])[0]["inline"] is True


def test_a_file_that_grows_moves_to_chunks_and_old_versions_stay_inline(suite, user):
    headers = user["headers"]
    small, large = os.urandom(3000), os.urandom(200 * KiB)
    file = put(suite, headers, "/grow/notes.md", small).json()
    grown = put(suite, headers, "/grow/notes.md", large)
    assert grown.status_code == 200 and grown.json()["version"] == 2 and grown.json()["id"] == file["id"]
    assert not chunks_of(suite, headers, file["id"])[0].get("inline")
    versions = requests.get(f"{suite.gateway}/api/filesystem/info/{file['id']}/versions", headers=headers).json()
    assert [v["version"] for v in versions["items"]] == [2, 1]
    restored = requests.post(f"{suite.gateway}/api/filesystem/info/{file['id']}/versions/1/restore", headers=headers)
    assert restored.status_code == 200, restored.text
    assert chunks_of(suite, headers, file["id"])[0]["inline"] is True
    got = requests.get(f"{suite.gateway}/api/filesystem/data/{file['id']}", headers=headers)
    assert got.content == small


def test_trash_restore_and_purge_of_an_inline_file(suite, user):
    headers = user["headers"]
    data = os.urandom(1234)
    file = put(suite, headers, "/bin/gone.bin", data).json()
    [chunk] = chunks_of(suite, headers, file["id"])
    info = f"{suite.gateway}/api/filesystem/info/{file['id']}"
    assert requests.delete(info, headers=headers).status_code == 204
    assert requests.get(f"{suite.gateway}/api/filesystem/data/{file['id']}", headers=headers).status_code == 404
    assert requests.post(f"{suite.gateway}/api/filesystem/trash/{file['id']}/restore", headers=headers).status_code \
        == 200
    assert requests.get(f"{suite.gateway}/api/filesystem/data/{file['id']}", headers=headers).content == data
    assert requests.delete(info, params={"purge": "true"}, headers=headers).status_code == 204
    assert psql(suite, f"SELECT count(*) FROM fs.version_chunks WHERE chunk_id = '{chunk['chunk_id']}'") == ["0"]
    # Nothing of it was ever on a backend, so nothing is handed to chunk for deletion.
    assert psql(suite, f"SELECT count(*) FROM fs.loose_chunks WHERE chunk_id = '{chunk['chunk_id']}'") == ["0"]


def test_inline_files_count_against_the_quota(suite):
    _, admin = sign_in(suite, ADMIN_EMAIL)
    _, headers = sign_in(suite)
    user_id = requests.get(f"{suite.gateway}/api/auth/me", headers=headers).json()["id"]
    assert requests.put(f"{suite.gateway}/api/filesystem/quotas/{user_id}", json={"bytes": 10_000},
                        headers=admin).status_code == 204
    assert put(suite, headers, "/q/a.bin", os.urandom(6000)).status_code == 201
    refused = put(suite, headers, "/q/new/b.bin", os.urandom(6000))
    assert refused.status_code == 413 and refused.json()["error"]["code"] == "quota_exceeded", refused.text
    refused_tus = tus_create(suite, headers, "/q/new/c.bin", os.urandom(6000))
    assert refused_tus.status_code == 413, refused_tus.text
    # Refused means unchanged: not even the folder the upload would have made.
    tree = requests.get(f"{suite.gateway}/api/filesystem/info", params={"path": "/q", "depth": 1}, headers=headers)
    assert [c["name"] for c in tree.json()["children"]] == ["a.bin"]
    usage = requests.get(f"{suite.gateway}/api/filesystem/usage", headers=headers).json()
    assert usage["bytes"] == 6000 and usage["files"] == 1
    assert put(suite, headers, "/q/d.bin", os.urandom(4000)).status_code == 201


def test_bad_small_uploads_are_refused_and_change_nothing(suite, user):
    headers = user["headers"]
    assert put(suite, headers, "/bad/dir/inner.bin", b"x").status_code == 201
    taken = put(suite, headers, "/bad/dir", b"small")
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "is_a_directory"
    blocked = put(suite, headers, "/bad/dir/inner.bin/deeper.bin", b"small")
    assert blocked.status_code == 409 and blocked.json()["error"]["code"] == "not_a_directory"
    status, _ = truncated_put(suite.service_url("filesystem"), "/data?path=/bad/short.bin", headers, declared=100)
    assert status == 400
    bad_durability = put(suite, headers, "/bad/durability.bin", b"small", **{"X-Durability": "raid1(0)"})
    assert bad_durability.status_code == 400
    bad_checksum = tus_create(suite, headers, "/bad/checksum.bin", b"small content",
                              **{"Upload-Checksum": f"sha256 {base64.b64encode(b'0' * 32).decode()}"})
    assert bad_checksum.status_code == 460, bad_checksum.text
    tree = requests.get(f"{suite.gateway}/api/filesystem/info", params={"path": "/bad", "depth": 1}, headers=headers)
    assert [c["name"] for c in tree.json()["children"]] == ["dir"]


def test_tus_in_pieces_multipart_links_and_shared_folders_with_small_files(suite, user):
    headers = user["headers"]
    data = os.urandom(10_000)
    tus = {**headers, "Tus-Resumable": "1.0.0"}
    created = requests.post(f"{suite.gateway}/api/filesystem/tus", headers={
        **tus, "Upload-Length": str(len(data)),
        "Upload-Metadata": f"path {base64.b64encode(b'/pieces/t.bin').decode()}"})
    assert created.status_code == 201, created.text
    location = f"{suite.gateway}{created.headers['Location']}"
    for offset in (0, 4000):
        end = 4000 if offset == 0 else len(data)
        patched = requests.patch(location, data=data[offset:end], headers={
            **tus, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"})
        assert patched.status_code == 204, patched.text
    info = requests.get(f"{suite.gateway}/api/filesystem/info", params={"path": "/pieces/t.bin", "depth": 0},
                        headers=headers).json()
    assert chunks_of(suite, headers, info["id"])[0]["inline"] is True
    assert requests.get(f"{suite.gateway}/api/filesystem/data/{info['id']}", headers=headers).content == data
    # A link to an inline file serves it like any other.
    link = requests.post(f"{suite.gateway}/api/filesystem/info/{info['id']}/links", json={}, headers=headers)
    assert link.status_code == 201, link.text
    shared = requests.get(f"{suite.gateway}/api/filesystem/s/{link.json()['token']}")
    assert shared.status_code == 200 and shared.content == data
    # Another user writes a small file into a folder shared read-write: it is the owner's, inline.
    folder = requests.post(f"{suite.gateway}/api/filesystem/dirs", json={"path": "/team"}, headers=headers).json()
    friend_email, friend = sign_in(suite)
    granted = requests.post(f"{suite.gateway}/api/filesystem/info/{folder['id']}/grants",
                            json={"user": friend_email, "access": "read-write"}, headers=headers)
    assert granted.status_code == 201, granted.text
    written = requests.put(f"{suite.gateway}/api/filesystem/data", params={"parent": folder["id"], "name": "f.txt"},
                           data=b"from a friend", headers=friend)
    assert written.status_code == 201, written.text
    mine = requests.get(f"{suite.gateway}/api/filesystem/info", params={"path": "/team/f.txt", "depth": 0},
                        headers=headers).json()
    assert chunks_of(suite, headers, mine["id"])[0]["inline"] is True
    assert requests.get(f"{suite.gateway}/api/filesystem/data/{mine['id']}", headers=headers).content == \
        b"from a friend"


def test_a_tampered_inline_file_is_not_served(suite, user):
    headers = user["headers"]
    data = os.urandom(2000)
    file = put(suite, headers, "/tamper/t.bin", data).json()
    [chunk] = chunks_of(suite, headers, file["id"])
    psql(suite, f"UPDATE fs.version_chunks SET sealed = set_byte(sealed, 20, get_byte(sealed, 20) # 255) "
                f"WHERE chunk_id = '{chunk['chunk_id']}'")
    # An inline file is opened before the answer starts, so a failed check is a clean error, never wrong bytes.
    got = requests.get(f"{suite.gateway}/api/filesystem/data/{file['id']}", headers=headers)
    assert got.status_code == 503 and got.json()["error"]["code"] == "data_unavailable", got.text
