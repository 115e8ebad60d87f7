"""Array members through the gateway with real cloudstrype-agent processes: registration, round trips of 0 B to
64 MiB, concurrency, capacity, a killed agent, a second array instance forwarding, isolation between users, audits,
revocation, and hostile frames on the WebSocket."""

import concurrent.futures
import hashlib
import json
import os
import pathlib
import signal
import struct
import subprocess
import time
import uuid

import pytest
import requests
import websocket

from conftest import ADMIN_EMAIL

from helpers import MiB, Agent, agent_binary, member, sign_in, wait_online


@pytest.fixture(scope="module")
def owner(suite):
    # The first user to register becomes admin; make sure that is not the owner whose rights are under test.
    sign_in(suite, ADMIN_EMAIL)
    return sign_in(suite)


@pytest.fixture(scope="module")
def agent(suite, owner, tmp_path_factory):
    email, headers = owner
    running = Agent(suite, tmp_path_factory.mktemp("agent"), email, "desk-1").start()
    wait_online(suite, headers, running)
    yield running
    running.kill()


def test_register_writes_a_private_config(agent):
    assert agent.config.stat().st_mode & 0o777 == 0o600
    config = json.loads(agent.config.read_text())
    assert config["token"].startswith("csa_") and config["name"] == "desk-1"


@pytest.mark.parametrize("size", [0, 1, 4 * MiB, 64 * MiB])
def test_objects_round_trip(suite, owner, agent, size):
    _, headers = owner
    data = os.urandom(size)
    key = f"obj-{size}-{uuid.uuid4().hex[:6]}"
    put = requests.put(agent.objects_url(key), data=data, headers=headers)
    assert put.status_code == 201, put.text
    assert put.json()["sha256"] == hashlib.sha256(data).hexdigest()
    got = requests.get(agent.objects_url(key), headers=headers)
    assert got.status_code == 200 and got.content == data
    digest = hashlib.sha256(key.encode()).hexdigest()
    stored = agent.data / digest[:2] / digest[2:4] / key
    assert stored.read_bytes() == data
    assert requests.delete(agent.objects_url(key), headers=headers).status_code == 204
    assert requests.get(agent.objects_url(key), headers=headers).status_code == 404
    assert not stored.exists()


def test_sixteen_concurrent_requests_on_one_agent(suite, owner, agent):
    _, headers = owner
    blobs = {f"par-{i}-{uuid.uuid4().hex[:6]}": os.urandom(MiB + i) for i in range(16)}

    def round_trip(item):
        key, data = item
        put = requests.put(agent.objects_url(key), data=data, headers=headers)
        got = requests.get(agent.objects_url(key), headers=headers)
        return put.status_code, got.content == data

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        results = list(pool.map(round_trip, blobs.items()))
    assert results == [(201, True)] * 16


def test_status_command_shows_the_member(agent):
    result = subprocess.run(
        [agent_binary(), "status", "--config", str(agent.config)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert "online" in result.stdout and "desk-1" in result.stdout


def test_bad_requests_change_nothing(suite, owner, agent):
    _, headers = owner
    key = f"bad-{uuid.uuid4().hex[:6]}"
    wrong_sum = requests.put(agent.objects_url(key), data=b"abc", headers={**headers, "X-Content-SHA256": "0" * 64})
    assert wrong_sum.status_code == 400 and wrong_sum.json()["error"]["code"] == "checksum_mismatch"
    too_big = requests.put(agent.objects_url(key), headers={**headers, "Content-Length": str(65 * MiB)}, data=b"")
    assert too_big.status_code in (400, 413)
    for bad_key in ("nul%00key", "sp%20ace", "x" * 600):
        reply = requests.put(agent.objects_url(bad_key), data=b"x", headers=headers)
        assert reply.status_code in (400, 404), (bad_key, reply.status_code)
        assert "error" in reply.json()
    assert requests.get(agent.objects_url(key), headers=headers).status_code == 404
    no_token = requests.put(agent.objects_url(key), data=b"abc")
    assert no_token.status_code == 401


def test_capacity_is_never_exceeded(suite, owner, tmp_path):
    email, headers = owner
    small = Agent(suite, tmp_path, email, "small").start(capacity="2MiB")
    try:
        wait_online(suite, headers, small)
        assert requests.put(small.objects_url("first"), data=os.urandom(MiB + MiB // 2), headers=headers).status_code == 201
        refused = requests.put(small.objects_url("second"), data=os.urandom(MiB), headers=headers)
        assert refused.status_code == 507, refused.text
        assert "capacity" in refused.json()["error"]["message"]
        assert requests.get(small.objects_url("second"), headers=headers).status_code == 404
    finally:
        small.kill()


def test_killed_agent_fails_fast_goes_offline_and_comes_back_intact(suite, owner, tmp_path):
    email, headers = owner
    victim = Agent(suite, tmp_path, email, "victim").start()
    wait_online(suite, headers, victim)
    kept = os.urandom(2 * MiB)
    assert requests.put(victim.objects_url("kept"), data=kept, headers=headers).status_code == 201

    # Frozen, the agent keeps its connection open but reads nothing: the 64 MiB put is surely in flight when it dies.
    victim.process.send_signal(signal.SIGSTOP)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        future = pool.submit(requests.put, victim.objects_url("big"), data=os.urandom(64 * MiB), headers=headers)
        time.sleep(1.5)
        killed = time.monotonic()
        victim.kill()
        reply = future.result(timeout=30)
    assert reply.status_code == 503, reply.text
    assert time.monotonic() - killed < 5
    assert reply.json()["error"]["code"] == "member_offline"
    wait_online(suite, headers, victim, online=False, timeout=10)
    victim.start()
    wait_online(suite, headers, victim)
    assert requests.get(victim.objects_url("kept"), headers=headers).content == kept
    victim.kill()


def test_request_to_a_second_array_instance_is_forwarded(suite, owner, agent, tmp_path):
    _, headers = owner
    env = {}
    for line in (suite.run_dir / "array.env").read_text().splitlines():
        key, _, value = line.partition("=")
        env[key] = value
    port = int(suite.env["ARRAY_PORT"]) + 100
    env["PORT"] = str(port)
    second = subprocess.Popen(
        [str(pathlib.Path(os.environ["BIN_DIR"]) / "array")], env={**os.environ, **env},
        stdout=open(tmp_path / "array2.log", "wb"), stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/ready", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        data = os.urandom(3 * MiB)
        url = f"{base}/members/{agent.member_id}/objects/forwarded"
        put = requests.put(url, data=data, headers=headers)
        assert put.status_code == 201, put.text
        assert requests.get(url, headers=headers).content == data
        assert requests.get(agent.objects_url("forwarded"), headers=headers).content == data
    finally:
        second.terminate()
        second.wait(20)


def test_other_users_cannot_reach_a_member_until_an_admin_shares_it(suite, owner, agent):
    _, headers = owner
    _, stranger = sign_in(suite)
    assert member(suite, stranger, agent.member_id) is None
    url = agent.objects_url("private")
    assert requests.put(url, data=b"mine", headers=headers).status_code == 201
    for method in ("get", "delete", "head"):
        assert getattr(requests, method)(url, headers=stranger).status_code == 404
    assert requests.put(url, data=b"theirs", headers=stranger).status_code == 404
    share = requests.patch(f"{suite.gateway}/api/array/members/{agent.member_id}", json={"shared": True}, headers=stranger)
    assert share.status_code == 404
    share = requests.patch(
        f"{suite.gateway}/api/array/members/{agent.member_id}", json={"shared": True}, headers=headers
    )
    assert share.status_code == 403
    _, admin = sign_in(suite, ADMIN_EMAIL)
    share = requests.patch(f"{suite.gateway}/api/array/members/{agent.member_id}", json={"shared": True}, headers=admin)
    assert share.status_code == 200 and share.json()["shared"] is True
    assert member(suite, stranger, agent.member_id)["shared"] is True
    # On a shared member the stranger gets a namespace: same key, another object, the owner's untouched.
    assert requests.put(url, data=b"theirs", headers=stranger).status_code == 201
    assert requests.get(url, headers=stranger).content == b"theirs"
    assert requests.get(url, headers=headers).content == b"mine"
    assert requests.delete(f"{suite.gateway}/api/array/members/{agent.member_id}", headers=stranger).status_code == 404
    requests.patch(f"{suite.gateway}/api/array/members/{agent.member_id}", json={"shared": False}, headers=admin)


def test_audits_prove_possession_and_catch_a_damaged_copy(suite, owner, agent):
    _, headers = owner
    key = f"audited-{uuid.uuid4().hex[:6]}"
    data = os.urandom(MiB)
    assert requests.put(agent.objects_url(key), data=data, headers=headers).status_code == 201
    audit_url = f"{suite.gateway}/api/array/members/{agent.member_id}/audit/{key}"
    methods = []
    for _ in range(3):
        reply = requests.post(audit_url, headers=headers)
        assert reply.status_code == 200 and reply.json()["status"] == "held", reply.text
        methods.append(reply.json()["method"])
    # The first audit reads the object back and prepares challenges; the next ones move no data.
    assert methods == ["download", "challenge", "challenge"]
    digest = hashlib.sha256(key.encode()).hexdigest()
    stored = agent.data / digest[:2] / digest[2:4] / key
    damaged = bytearray(stored.read_bytes())
    damaged[100] ^= 0xFF
    stored.write_bytes(bytes(damaged))
    reply = requests.post(audit_url, headers=headers)
    assert reply.json()["status"] == "lost", reply.text
    got = requests.get(agent.objects_url(key), headers=headers)
    assert got.status_code == 502 and got.json()["error"]["code"] == "corrupt_object"


def test_seed_routes_place_replicas_on_distinct_members(suite, tmp_path):
    email, headers = sign_in(suite)
    agents = [Agent(suite, tmp_path / f"s{i}", email, f"seed-{i}").start() for i in range(2)]
    try:
        for each in agents:
            wait_online(suite, headers, each)
        chunk = uuid.uuid4().hex
        data = os.urandom(MiB)
        stored = requests.post(f"{suite.gateway}/api/array/{chunk}?replicas=2", data=data, headers=headers)
        assert stored.status_code == 201, stored.text
        assert sorted(stored.json()["replicas"]) == sorted(a.member_id for a in agents)
        assert requests.get(f"{suite.gateway}/api/array/{chunk}", headers=headers).content == data
        agents[0].kill()
        assert requests.get(f"{suite.gateway}/api/array/{chunk}", headers=headers).content == data
        too_many = requests.post(f"{suite.gateway}/api/array/{uuid.uuid4().hex}?replicas=3", data=data, headers=headers)
        assert too_many.status_code == 422 and too_many.json()["error"]["code"] == "insufficient_backends"
    finally:
        for each in agents:
            each.kill()


def test_revoking_the_token_disconnects_the_agent_for_good(suite, tmp_path):
    email, headers = sign_in(suite)
    doomed = Agent(suite, tmp_path, email, "doomed").start()
    wait_online(suite, headers, doomed)
    assert requests.delete(f"{suite.gateway}/api/auth/agents/{doomed.member_id}", headers=headers).status_code == 204
    doomed.process.wait(15)
    assert doomed.process.returncode != 0
    assert "register again" in doomed.output()
    wait_online(suite, headers, doomed, online=False, timeout=10)


def test_removing_a_member_disconnects_it(suite, tmp_path):
    email, headers = sign_in(suite)
    removed = Agent(suite, tmp_path, email, "removed").start()
    wait_online(suite, headers, removed)
    assert requests.delete(f"{suite.gateway}/api/array/members/{removed.member_id}", headers=headers).status_code == 204
    removed.process.wait(15)
    assert "removed" in removed.output()
    assert member(suite, headers, removed.member_id) is None


def frame(header, payload=b""):
    body = json.dumps(header).encode()
    return struct.pack(">I", len(body)) + body + payload


@pytest.mark.parametrize(
    "message",
    [
        b"\x00\x01",
        struct.pack(">I", 1 << 20) + b"{}",
        frame({"op": "put", "id": 1, "key": "k", "size": 10}, b"short"),
        frame({"op": "frobnicate", "id": 2}),
        b"\x00\x00\x00\x05not{}",
        frame({"op": "get", "id": 3, "key": "../etc/passwd"}),
    ],
    ids=["truncated", "header-too-large", "short-payload", "unknown-op", "not-json", "bad-key"],
)
def test_hostile_frames_close_the_connection_and_harm_nothing(suite, owner, agent, message):
    _, headers = owner
    token = json.loads(agent.config.read_text())["token"]
    email, user = sign_in(suite)
    # A second member of another user speaks the protocol badly; the service and the first member carry on.
    intruder = Agent(suite, pathlib.Path(agent.home).parent / f"intruder-{uuid.uuid4().hex[:6]}", email, "intruder")
    intruder_token = json.loads(intruder.config.read_text())["token"]
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{suite.env['GATEWAY_PORT']}/api/array/ws",
        header=[f"Authorization: Bearer {intruder_token}"], timeout=10,
    )
    ws.send_binary(frame({"op": "hello", "id": 0, "member_id": intruder.member_id, "capacity": 1 << 30, "free": 1 << 30}))
    ws.send_binary(message)
    closed = False
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not closed:
        try:
            opcode, data = ws.recv_data(control_frame=True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                closed = True
                assert struct.unpack(">H", data[:2])[0] == 4400
        except (websocket.WebSocketConnectionClosedException, ConnectionError):
            closed = True
    assert closed
    assert requests.get(suite.service_url("array") + "/health").status_code == 200
    assert token != intruder_token
    assert requests.put(agent.objects_url("after-hostile"), data=b"fine", headers=headers).status_code == 201


def test_a_connection_without_a_valid_token_is_closed(suite):
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{suite.env['GATEWAY_PORT']}/api/array/ws",
        header=["Authorization: Bearer csa_forged"], timeout=10,
    )
    opcode, data = ws.recv_data(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE and struct.unpack(">H", data[:2])[0] == 4401
    plain = requests.get(f"{suite.gateway}/api/array/ws")
    assert plain.status_code in (400, 426)
