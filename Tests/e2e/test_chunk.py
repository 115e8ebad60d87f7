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

from helpers import MiB, Agent, sign_in, wait_online
from test_cloud import account_request, s3_settings


@pytest.fixture(scope="module")
def owner(suite, tmp_path_factory):
    email, headers = sign_in(suite)
    agents = [Agent(suite, tmp_path_factory.mktemp(f"chunk-agent{i}"), email, f"chunk-{i}").start() for i in range(6)]
    for agent in agents:
        wait_online(suite, headers, agent)
    yield headers, agents
    for agent in agents:
        agent.kill()


def store(suite, headers, data, durability, encryption="aes256-gcm"):
    reply = requests.put(
        f"{suite.gateway}/api/chunk/", data=data,
        headers={**headers, "X-Durability": durability, "X-Encryption": encryption},
    )
    assert reply.status_code == 201, reply.text
    return reply.json()


def shard_path(agents, shard, owner_id, chunk_id):
    agent = next(a for a in agents if a.member_id == shard["backend_id"])
    key = f"chunks/{owner_id}/{chunk_id}/{shard['index']}"
    digest = hashlib.sha256(key.encode()).hexdigest()
    return agent.data / digest[:2] / digest[2:4] / key


def user_id(suite, headers):
    return requests.get(f"{suite.gateway}/api/auth/me", headers=headers).json()["id"]


@pytest.mark.parametrize(
    "durability,size",
    [("none", 1), ("raid1(2)", 0), ("raid1(3)", MiB + 1), ("raid1(3)", 64 * MiB), ("rs(2,1)", 1), ("rs(2,1)", MiB + 1),
     ("rs(4,2)", 0), ("rs(4,2)", MiB + 1), ("rs(4,2)", 64 * MiB)],
)
def test_every_durability_round_trips(suite, owner, durability, size):
    headers, _ = owner
    data = os.urandom(size)
    chunk = store(suite, headers, data, durability)
    expected = {"none": 1, "raid1(2)": 2, "raid1(3)": 3, "rs(2,1)": 3, "rs(4,2)": 6}[durability]
    assert len(chunk["shards"]) == expected
    assert len({s["backend_id"] for s in chunk["shards"]}) == expected, "one shard per backend"
    assert chunk["sha256"] == hashlib.sha256(data).hexdigest() and chunk["size"] == size
    got = requests.get(f"{suite.gateway}/api/chunk/{chunk['chunk_id']}", headers=headers)
    assert got.status_code == 200 and got.content == data
    info = requests.get(f"{suite.gateway}/api/chunk/{chunk['chunk_id']}/info", headers=headers).json()
    assert info["health"] == "healthy" and info["durability"] == ("raid1(1)" if durability == "none" else durability)


def test_backends_hold_only_ciphertext(suite, owner):
    headers, agents = owner
    marker = b"CLOUDSTRYPE-PLAINTEXT-MARKER-" * 1000
    sealed = store(suite, headers, marker, "raid1(3)")
    clear = store(suite, headers, marker, "raid1(3)", encryption="none")
    me = user_id(suite, headers)
    for shard in sealed["shards"]:
        assert b"CLOUDSTRYPE-PLAINTEXT-MARKER" not in shard_path(agents, shard, me, sealed["chunk_id"]).read_bytes()
    # The same check finds the marker when the chunk was stored unencrypted: the check itself can fail.
    for shard in clear["shards"]:
        assert b"CLOUDSTRYPE-PLAINTEXT-MARKER" in shard_path(agents, shard, me, clear["chunk_id"]).read_bytes()


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


@pytest.mark.parametrize("durability,broken", [("raid1(3)", 2), ("rs(4,2)", 2)])
def test_reads_survive_losses_up_to_the_tolerance(suite, owner, durability, broken):
    headers, agents = owner
    data = os.urandom(3 * MiB + 7)
    chunk = store(suite, headers, data, durability)
    me = user_id(suite, headers)
    for number, shard in enumerate(chunk["shards"][:broken]):
        damage(shard_path(agents, shard, me, chunk["chunk_id"]), "delete" if number % 2 == 0 else "corrupt")
    # rs reads data shards first, so damaging the first ones forces a decode from parity.
    got = requests.get(f"{suite.gateway}/api/chunk/{chunk['chunk_id']}", headers=headers)
    assert got.status_code == 200 and got.content == data
    # The read reported the bad shards; the repair worker rewrites them and the chunk is whole again.
    info = wait_health(suite, headers, chunk["chunk_id"], "healthy")
    repaired = [s for s in info["shards"] if s["index"] < broken]
    assert all(shard_path(agents, s, me, chunk["chunk_id"]).exists() for s in repaired)
    assert requests.get(f"{suite.gateway}/api/chunk/{chunk['chunk_id']}", headers=headers).content == data


def test_too_many_losses_are_a_clear_503_never_wrong_bytes(suite, owner):
    headers, agents = owner
    chunk = store(suite, headers, os.urandom(MiB), "rs(4,2)")
    me = user_id(suite, headers)
    for number, shard in enumerate(chunk["shards"][:3]):
        damage(shard_path(agents, shard, me, chunk["chunk_id"]), "corrupt" if number else "delete")
    got = requests.get(f"{suite.gateway}/api/chunk/{chunk['chunk_id']}", headers=headers)
    assert got.status_code == 503 and got.json()["error"]["code"] == "data_unavailable"


def test_ranges(suite, owner):
    headers, _ = owner
    data = os.urandom(100_000)
    chunk = store(suite, headers, data, "rs(2,1)")
    url = f"{suite.gateway}/api/chunk/{chunk['chunk_id']}"
    part = requests.get(url, headers={**headers, "Range": "bytes=1000-1999"})
    assert part.status_code == 206 and part.content == data[1000:2000]
    assert part.headers["Content-Range"] == "bytes 1000-1999/100000"
    assert requests.get(url, headers={**headers, "Range": "bytes=-10"}).content == data[-10:]
    assert requests.get(url, headers={**headers, "Range": "bytes=200000-"}).status_code == 416


def test_multipart_seed_route(suite, owner):
    headers, _ = owner
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


def test_bad_requests_store_nothing(suite, owner):
    headers, _ = owner
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
    assert reply.status_code == 507 and "12 backends" in reply.json()["error"]["message"]
    assert requests.put(url, data=b"x").status_code == 401


def test_other_users_cannot_reach_a_chunk(suite, owner):
    headers, _ = owner
    chunk = store(suite, headers, b"private bytes", "raid1(2)")
    _, stranger = sign_in(suite)
    url = f"{suite.gateway}/api/chunk/{chunk['chunk_id']}"
    assert requests.get(url, headers=stranger).status_code == 404
    assert requests.get(url + "/info", headers=stranger).status_code == 404
    assert requests.delete(url, headers=stranger).status_code == 404
    assert requests.get(url, headers=headers).content == b"private bytes"


def test_delete_removes_the_shards(suite, owner):
    headers, agents = owner
    chunk = store(suite, headers, os.urandom(10_000), "rs(2,1)")
    me = user_id(suite, headers)
    paths = [shard_path(agents, s, me, chunk["chunk_id"]) for s in chunk["shards"]]
    assert all(p.exists() for p in paths)
    url = f"{suite.gateway}/api/chunk/{chunk['chunk_id']}"
    assert requests.delete(url, headers=headers).status_code == 204
    assert not any(p.exists() for p in paths)
    assert requests.get(url, headers=headers).status_code == 404


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
        for chunk_id in affected:
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline:
                info = requests.get(f"{suite.gateway}/api/chunk/{chunk_id}/info", headers=headers).json()
                backends = {s["backend_id"] for s in info["shards"]}
                if info["health"] == "healthy" and victim.member_id not in backends:
                    break
                time.sleep(0.25)
            assert info["health"] == "healthy" and victim.member_id not in backends, info
            assert len(backends) == len(info["shards"])
        for chunk_id, data in blobs.items():
            assert requests.get(f"{suite.gateway}/api/chunk/{chunk_id}", headers=headers).content == data
    finally:
        for agent in agents:
            agent.kill()


def test_metrics_show_codec_throughput_and_what_is_stored(suite, owner):
    headers, _ = owner
    store(suite, headers, os.urandom(100_000), "rs(2,1)")
    deadline = time.monotonic() + 20
    text = ""
    while time.monotonic() < deadline:
        text = requests.get(suite.service_url("chunk") + "/metrics").text
        if 'chunk_stored_bytes{durability="rs(2,1)"}' in text and "chunk_repair_queue_depth" in text:
            break
        time.sleep(0.5)
    assert 'chunk_codec_bytes_total{operation="encode"}' in text
    assert 'chunk_stored_bytes{durability="rs(2,1)"}' in text
    assert 'chunk_shards_count{state="ok"}' in text
    assert "chunk_repair_queue_depth" in text
