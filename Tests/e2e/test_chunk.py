"""Chunk through the gateway over real backends: six cloudstrype-agent members and a moto S3 account. Every
durability form round-trips; providers and agents hold only ciphertext; lost and damaged shards are survived up to
the spec's tolerance and never answered with wrong bytes; users cannot reach each other's chunks."""

import hashlib
import os
import time
import uuid

import boto3
import pytest
import requests

from helpers import MiB, Agent, sign_in, truncated_put, wait_online
from test_cloud import account_request, s3_settings


def s3_client():
    s3 = s3_settings()
    return boto3.client(
        "s3", endpoint_url=s3["S3_TEST_ENDPOINT"], region_name=s3["S3_TEST_REGION"],
        aws_access_key_id=s3["S3_TEST_ACCESS_KEY_ID"], aws_secret_access_key=s3["S3_TEST_SECRET_ACCESS_KEY"],
    )


class Pool:
    """A user's backends: three agent members and three moto S3 accounts (each its own prefix), so every placement
    mixes kinds. Reads and damages stored shards where they lie, on disk or in the bucket."""

    def __init__(self, suite, headers, agents, accounts):
        self.headers, self.agents, self.accounts = headers, agents, accounts
        self.owner_id = requests.get(f"{suite.gateway}/api/auth/me", headers=headers).json()["id"]
        self.s3 = s3_client()
        self.bucket = s3_settings()["S3_TEST_BUCKET"]

    def key(self, chunk_id, shard):
        return f"chunks/{self.owner_id}/{chunk_id}/{shard['index']}"

    def path(self, chunk_id, shard):
        agent = next(a for a in self.agents if a.member_id == shard["backend_id"])
        return shard_file(agent, self.key(chunk_id, shard))

    def s3_key(self, chunk_id, shard):
        account = next(a for a in self.accounts if a["id"] == shard["backend_id"])
        return account["prefix"].rstrip("/") + "/" + self.key(chunk_id, shard)

    def read(self, chunk_id, shard):
        if shard["backend"] == "array":
            return self.path(chunk_id, shard).read_bytes()
        return self.s3.get_object(Bucket=self.bucket, Key=self.s3_key(chunk_id, shard))["Body"].read()

    def damage(self, chunk_id, shard, how):
        if shard["backend"] == "array":
            damage(self.path(chunk_id, shard), how)
        elif how == "delete":
            self.s3.delete_object(Bucket=self.bucket, Key=self.s3_key(chunk_id, shard))
        else:
            data = bytearray(self.read(chunk_id, shard))
            data[len(data) // 2] ^= 0x01
            self.s3.put_object(Bucket=self.bucket, Key=self.s3_key(chunk_id, shard), Body=bytes(data))


def add_s3_account(suite, headers):
    created = requests.post(f"{suite.gateway}/api/cloud/accounts", json=account_request(), headers=headers)
    assert created.status_code == 201, created.text
    return created.json()


@pytest.fixture(scope="module")
def owner(suite, tmp_path_factory):
    email, headers = sign_in(suite)
    agents = [Agent(suite, tmp_path_factory.mktemp(f"chunk-agent{i}"), email, f"chunk-{i}").start() for i in range(3)]
    for agent in agents:
        wait_online(suite, headers, agent)
    accounts = [add_s3_account(suite, headers) for _ in range(3)]
    yield Pool(suite, headers, agents, accounts)
    for agent in agents:
        agent.kill()


def store(suite, headers, data, durability, encryption="aes256-gcm"):
    reply = requests.put(
        f"{suite.gateway}/api/chunk/", data=data,
        headers={**headers, "X-Durability": durability, "X-Encryption": encryption},
    )
    assert reply.status_code == 201, reply.text
    return reply.json()


def shard_file(agent, key):
    digest = hashlib.sha256(key.encode()).hexdigest()
    return agent.data / digest[:2] / digest[2:4] / key


def shard_path(agents, shard, owner_id, chunk_id):
    agent = next(a for a in agents if a.member_id == shard["backend_id"])
    return shard_file(agent, f"chunks/{owner_id}/{chunk_id}/{shard['index']}")


def user_id(suite, headers):
    return requests.get(f"{suite.gateway}/api/auth/me", headers=headers).json()["id"]


@pytest.mark.parametrize("size", [0, 1, MiB + 1, 64 * MiB])
@pytest.mark.parametrize("durability", ["raid1(1)", "raid1(2)", "raid1(3)", "rs(2,1)", "rs(4,2)"])
def test_every_durability_round_trips(suite, owner, durability, size):
    data = os.urandom(size)
    chunk = store(suite, owner.headers, data, durability)
    expected = {"raid1(1)": 1, "raid1(2)": 2, "raid1(3)": 3, "rs(2,1)": 3, "rs(4,2)": 6}[durability]
    assert len(chunk["shards"]) == expected
    assert len({s["backend_id"] for s in chunk["shards"]}) == expected, "one shard per backend"
    if durability == "rs(4,2)":
        assert {s["backend"] for s in chunk["shards"]} == {"array", "cloud"}, "the pool mixes agents and S3"
    assert chunk["sha256"] == hashlib.sha256(data).hexdigest() and chunk["size"] == size
    got = requests.get(f"{suite.gateway}/api/chunk/{chunk['chunk_id']}", headers=owner.headers)
    assert got.status_code == 200 and got.content == data
    info = requests.get(f"{suite.gateway}/api/chunk/{chunk['chunk_id']}/info", headers=owner.headers).json()
    assert info["health"] == "healthy" and info["durability"] == durability
    # What each backend holds is ciphertext of the recorded size and SHA-256, never the plaintext.
    for shard, stored in zip(chunk["shards"], [owner.read(chunk["chunk_id"], s) for s in chunk["shards"]]):
        assert len(stored) == shard["size"] and hashlib.sha256(stored).hexdigest() == shard["sha256"]
        if size >= MiB:
            assert data[:4096] not in stored


def test_none_is_one_copy(suite, owner):
    chunk = store(suite, owner.headers, b"x", "none")
    assert chunk["durability"] == "raid1(1)" and len(chunk["shards"]) == 1


def test_backends_hold_only_ciphertext(suite, owner):
    marker = b"CLOUDSTRYPE-PLAINTEXT-MARKER-" * 1000
    sealed = store(suite, owner.headers, marker, "rs(4,2)")
    clear = store(suite, owner.headers, marker, "raid1(3)", encryption="none")
    for shard in sealed["shards"]:
        assert b"CLOUDSTRYPE-PLAINTEXT-MARKER" not in owner.read(sealed["chunk_id"], shard)
    # The same check finds the marker when the chunk was stored unencrypted: the check itself can fail.
    for shard in clear["shards"]:
        assert b"CLOUDSTRYPE-PLAINTEXT-MARKER" in owner.read(clear["chunk_id"], shard)


def test_s3_account_gets_ciphertext_only(suite, tmp_path):
    email, headers = sign_in(suite)
    settings = account_request()
    account = requests.post(f"{suite.gateway}/api/cloud/accounts", json=settings, headers=headers)
    assert account.status_code == 201, account.text
    marker = b"S3-PLAINTEXT-MARKER-" * 500
    chunk = store(suite, headers, marker, "none")
    assert chunk["shards"][0]["backend"] == "cloud"
    assert requests.get(f"{suite.gateway}/api/chunk/{chunk['chunk_id']}", headers=headers).content == marker
    s3 = s3_settings()
    client = boto3.client(
        "s3", endpoint_url=s3["S3_TEST_ENDPOINT"], region_name=s3["S3_TEST_REGION"],
        aws_access_key_id=s3["S3_TEST_ACCESS_KEY_ID"], aws_secret_access_key=s3["S3_TEST_SECRET_ACCESS_KEY"],
    )
    listed = client.list_objects_v2(Bucket=s3["S3_TEST_BUCKET"], Prefix=settings["prefix"])
    keys = [item["Key"] for item in listed.get("Contents", []) if chunk["chunk_id"] in item["Key"]]
    assert len(keys) == 1
    stored = client.get_object(Bucket=s3["S3_TEST_BUCKET"], Key=keys[0])["Body"].read()
    assert b"S3-PLAINTEXT-MARKER" not in stored and len(stored) == len(marker) + 28


def wait_health(suite, headers, chunk_id, health, timeout=30):
    deadline = time.monotonic() + timeout
    info = None
    while time.monotonic() < deadline:
        info = requests.get(f"{suite.gateway}/api/chunk/{chunk_id}/info", headers=headers).json()
        if info["health"] == health:
            return info
        time.sleep(0.25)
    raise AssertionError(f"chunk {chunk_id} not {health}: {info}")


def damage(path, how):
    if how == "delete":
        path.unlink()
    else:
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x01
        path.write_bytes(bytes(data))


def present(owner, chunk_id, shard):
    if shard["backend"] == "array":
        return owner.path(chunk_id, shard).exists()
    listed = owner.s3.list_objects_v2(Bucket=owner.bucket, Prefix=owner.s3_key(chunk_id, shard))
    return listed.get("KeyCount", 0) > 0


# Which shards break: the first two (rs reads data shards first, so a decode from parity is forced), or for rs(4,2)
# one cloud and one agent shard among the four data shards (six backends: three of each kind hold its shards).
# One is deleted and one corrupted. (Placement weighs free space, so raid1(3) here mostly lands on the S3 accounts.)
@pytest.mark.parametrize("durability,pick", [("raid1(3)", "first"), ("rs(4,2)", "first"), ("rs(4,2)", "mixed")])
def test_reads_survive_losses_up_to_the_tolerance(suite, owner, durability, pick):
    data = os.urandom(3 * MiB + 7)
    chunk = store(suite, owner.headers, data, durability)
    # rs reads data shards in index order, so damage among the first needed is what a read must meet and report;
    # raid1 reads its replicas in a random order, so the reads below go on until every bad copy was met.
    shards = sorted(chunk["shards"], key=lambda s: s["index"])
    if pick == "mixed":
        data_shards = shards[:4]
        broken = [next(s for s in data_shards if s["backend"] == kind) for kind in ("cloud", "array")]
    else:
        broken = shards[:2]
    for number, shard in enumerate(broken):
        owner.damage(chunk["chunk_id"], shard, "delete" if number % 2 == 0 else "corrupt")
    # Every read gives the data back; the reads report the bad shards they meet, the repair worker rewrites them,
    # and the chunk is whole again: every shard on record holds bytes that match its SHA-256.
    deadline = time.monotonic() + 30
    while True:
        got = requests.get(f"{suite.gateway}/api/chunk/{chunk['chunk_id']}", headers=owner.headers)
        assert got.status_code == 200 and got.content == data
        info = wait_health(suite, owner.headers, chunk["chunk_id"], "healthy")
        if all(intact(owner, chunk["chunk_id"], shard) for shard in info["shards"]):
            break
        assert time.monotonic() < deadline, (info, [s["index"] for s in broken])
        time.sleep(0.2)
    assert requests.get(f"{suite.gateway}/api/chunk/{chunk['chunk_id']}", headers=owner.headers).content == data


def intact(owner, chunk_id, shard):
    """Whether the shard's backend holds bytes matching its recorded SHA-256."""
    try:
        return hashlib.sha256(owner.read(chunk_id, shard)).hexdigest() == shard["sha256"]
    except Exception:
        return False


@pytest.mark.parametrize("durability,lost", [("raid1(3)", 3), ("rs(4,2)", 3)])
def test_too_many_losses_are_a_clear_503_never_wrong_bytes(suite, owner, durability, lost):
    chunk = store(suite, owner.headers, os.urandom(MiB), durability)
    for number, shard in enumerate(chunk["shards"][:lost]):
        owner.damage(chunk["chunk_id"], shard, "corrupt" if number else "delete")
    got = requests.get(f"{suite.gateway}/api/chunk/{chunk['chunk_id']}", headers=owner.headers)
    assert got.status_code == 503 and got.json()["error"]["code"] == "data_unavailable"


def test_ranges(suite, owner):
    headers = owner.headers
    data = os.urandom(100_000)
    chunk = store(suite, headers, data, "rs(2,1)")
    url = f"{suite.gateway}/api/chunk/{chunk['chunk_id']}"
    part = requests.get(url, headers={**headers, "Range": "bytes=1000-1999"})
    assert part.status_code == 206 and part.content == data[1000:2000]
    assert part.headers["Content-Range"] == "bytes 1000-1999/100000"
    assert requests.get(url, headers={**headers, "Range": "bytes=-10"}).content == data[-10:]
    assert requests.get(url, headers={**headers, "Range": "bytes=200000-"}).status_code == 416


def test_multipart_seed_route(suite, owner):
    headers = owner.headers
    data = os.urandom(50_000)
    reply = requests.post(
        f"{suite.gateway}/api/chunk/", headers=headers,
        files={"data": ("blob.bin", data, "application/octet-stream")},
        data={"durability": "rs(2,1)", "encryption": "aes256-gcm"},
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["durability"] == "rs(2,1)"
    assert requests.get(f"{suite.gateway}/api/chunk/{reply.json()['chunk_id']}", headers=headers).content == data
    broken = requests.post(
        f"{suite.gateway}/api/chunk/", data=b"--xyz\r\nContent-Disposition: form-data; name=\"data\"\r\n\r\nabc",
        headers={**headers, "Content-Type": "multipart/form-data; boundary=xyz"},
    )
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "malformed_form"
    # The form streams in, so its fields are bounded in number as well as in size.
    crowded = requests.post(
        f"{suite.gateway}/api/chunk/", headers=headers,
        files={"data": ("blob.bin", data, "application/octet-stream")},
        data={f"field{index}": "x" for index in range(17)},
    )
    assert crowded.status_code == 400 and crowded.json()["error"]["code"] == "malformed_form", crowded.text


def test_bad_requests_store_nothing(suite, owner):
    headers = owner.headers
    url = f"{suite.gateway}/api/chunk/"
    for spec in ("raid1(0)", "raid1(9)", "rs(17,1)", "rs(4,0)", "RAID1(2)", "rs(4, 2)", "raid5", "rs(04,2)"):
        reply = requests.put(url, data=b"x", headers={**headers, "X-Durability": spec})
        assert reply.status_code == 400, spec
        assert "raid1(N)" in reply.json()["error"]["message"]
    reply = requests.put(url, data=b"x", headers={**headers, "X-Encryption": "rot13"})
    assert reply.status_code == 400
    reply = requests.put(url, data=b"", headers={**headers, "Content-Length": str(65 * MiB)})
    assert reply.status_code == 413
    reply = requests.put(url, data=b"x", headers={**headers, "X-Durability": "rs(8,4)"})
    assert reply.status_code == 422 and "12 backends" in reply.json()["error"]["message"]
    assert reply.json()["error"]["code"] == "insufficient_backends"
    assert requests.put(url, data=b"x").status_code == 401
    # A body that breaks off before its length (straight to chunk: the gateway drops such a client) is a 400.
    status, answer = truncated_put(suite.service_url("chunk"), "/", headers)
    assert status == 400 and b"truncated_body" in answer, answer[:300]


def test_other_users_cannot_reach_a_chunk(suite, owner):
    headers = owner.headers
    chunk = store(suite, headers, b"private bytes", "raid1(2)")
    _, stranger = sign_in(suite)
    url = f"{suite.gateway}/api/chunk/{chunk['chunk_id']}"
    assert requests.get(url, headers=stranger).status_code == 404
    assert requests.get(url + "/info", headers=stranger).status_code == 404
    assert requests.delete(url, headers=stranger).status_code == 404
    assert requests.get(url, headers=headers).content == b"private bytes"


def test_delete_removes_the_shards(suite, owner):
    chunk = store(suite, owner.headers, os.urandom(10_000), "rs(4,2)")
    assert all(present(owner, chunk["chunk_id"], s) for s in chunk["shards"])
    url = f"{suite.gateway}/api/chunk/{chunk['chunk_id']}"
    assert requests.delete(url, headers=owner.headers).status_code == 204
    assert not any(present(owner, chunk["chunk_id"], s) for s in chunk["shards"])
    assert requests.get(url, headers=owner.headers).status_code == 404


def test_a_member_gone_for_good_is_repaired_onto_the_others(suite, tmp_path):
    email, headers = sign_in(suite)
    agents = [Agent(suite, tmp_path / f"r{i}", email, f"repair-{i}").start() for i in range(5)]
    try:
        for agent in agents:
            wait_online(suite, headers, agent)
        blobs = {}
        for durability in ("raid1(3)", "rs(2,1)", "raid1(2)"):
            for _ in range(3):
                data = os.urandom(200_000)
                blobs[store(suite, headers, data, durability)["chunk_id"]] = data
        victim = agents[0]
        affected = [
            chunk_id for chunk_id in blobs
            if any(s["backend_id"] == victim.member_id
                   for s in requests.get(f"{suite.gateway}/api/chunk/{chunk_id}/info", headers=headers).json()["shards"])
        ]
        assert affected, "placement put nothing on the victim; the test proves nothing"
        victim.kill()
        # Grace period 4 s + scans every 2 s in this suite.
        wait_moved_off(suite, headers, affected, victim.member_id)
        for chunk_id, data in blobs.items():
            assert requests.get(f"{suite.gateway}/api/chunk/{chunk_id}", headers=headers).content == data
    finally:
        for agent in agents:
            agent.kill()


def wait_moved_off(suite, headers, chunk_ids, gone_backend, timeout=40):
    for chunk_id in chunk_ids:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = requests.get(f"{suite.gateway}/api/chunk/{chunk_id}/info", headers=headers).json()
            backends = {s["backend_id"] for s in info["shards"]}
            if info["health"] == "healthy" and gone_backend not in backends:
                break
            time.sleep(0.25)
        assert info["health"] == "healthy" and gone_backend not in backends, info
        assert len(backends) == len(info["shards"])


def test_a_removed_account_is_repaired_onto_the_others(suite, tmp_path):
    email, headers = sign_in(suite)
    agents = [Agent(suite, tmp_path / f"a{i}", email, f"removed-account-{i}").start() for i in range(3)]
    try:
        for agent in agents:
            wait_online(suite, headers, agent)
        account = add_s3_account(suite, headers)
        blobs = {}
        for _ in range(6):
            data = os.urandom(100_000)
            blobs[store(suite, headers, data, "raid1(3)")["chunk_id"]] = data
        affected = [
            chunk_id for chunk_id in blobs
            if any(s["backend_id"] == account["id"]
                   for s in requests.get(f"{suite.gateway}/api/chunk/{chunk_id}/info", headers=headers).json()["shards"])
        ]
        assert affected, "placement put nothing on the account; the test proves nothing"
        assert requests.delete(f"{suite.gateway}/api/cloud/accounts/{account['id']}", headers=headers).status_code == 204
        wait_moved_off(suite, headers, affected, account["id"])
        for chunk_id, data in blobs.items():
            assert requests.get(f"{suite.gateway}/api/chunk/{chunk_id}", headers=headers).content == data
    finally:
        for agent in agents:
            agent.kill()


def test_metrics_show_codec_throughput_and_what_is_stored(suite, owner):
    headers = owner.headers
    store(suite, headers, os.urandom(100_000), "rs(2,1)")
    deadline = time.monotonic() + 20
    text = ""
    while time.monotonic() < deadline:
        text = requests.get(suite.internal_url("chunk") + "/metrics").text
        if 'chunk_stored_bytes{durability="rs(2,1)"}' in text and "chunk_repair_queue_depth" in text:
            break
        time.sleep(0.5)
    assert 'chunk_codec_bytes_total{operation="encode"}' in text
    assert 'chunk_stored_bytes{durability="rs(2,1)"}' in text
    assert 'chunk_shards_count{state="ok"}' in text
    assert "chunk_repair_queue_depth" in text
