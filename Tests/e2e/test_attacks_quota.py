"""Quotas count every byte a user stores (issue 17, finding 6). A user with a 1 MiB quota, set by the admin, stores
through each raw route — seed chunks on array members and cloud accounts, direct chunks, objects on an account and
on a member. Today none of them is counted: 3 MiB goes through each (the issue verified it on
`POST /api/array/{chunk_id}`). Now 3 MiB is a 413 `quota_exceeded` that stores nothing, 512 KiB twice fits exactly
and shows in `GET /api/filesystem/usage`, 600 KiB more is refused, and deleting (or removing the account or member)
gives the bytes back. A file that would fit alone is refused when raw bytes already take the room."""

import os
import uuid

import pytest
import requests

from conftest import ADMIN_EMAIL
from helpers import MiB, Agent, sign_in, wait_online
from test_cloud import account_request

KiB = 1 << 10
QUOTA = MiB


@pytest.fixture
def user(suite):
    """A fresh user (so bytes one test leaves charged never reach another) with a quota of 1 MiB."""
    _, admin = sign_in(suite, ADMIN_EMAIL)
    email, headers = sign_in(suite)
    me = requests.get(f"{suite.gateway}/api/auth/me", headers=headers)
    assert me.status_code == 200, me.text
    user_id = me.json()["id"]
    quota = requests.put(f"{suite.gateway}/api/filesystem/quotas/{user_id}", json={"bytes": QUOTA}, headers=admin)
    assert quota.status_code == 204, quota.text
    return {"email": email, "headers": headers, "id": user_id}


@pytest.fixture
def agent(suite, user, tmp_path):
    running = Agent(suite, tmp_path / "agent", user["email"], f"quota-{uuid.uuid4().hex[:6]}").start()
    wait_online(suite, user["headers"], running)
    yield running
    running.kill()


@pytest.fixture
def account(suite, user):
    created = requests.post(f"{suite.gateway}/api/cloud/accounts", json=account_request(), headers=user["headers"])
    assert created.status_code == 201, created.text
    return created.json()


def usage(suite, user):
    reply = requests.get(f"{suite.gateway}/api/filesystem/usage", headers=user["headers"])
    assert reply.status_code == 200, reply.text
    assert reply.json()["quota"] == QUOTA
    return reply.json()["bytes"]


def assert_quota_exceeded(reply):
    assert reply.status_code == 413, f"{reply.status_code} {reply.text}"
    assert reply.json()["error"]["code"] == "quota_exceeded"
    assert "bytes are left" in reply.json()["error"]["message"]


@pytest.mark.parametrize("service", ["array", "cloud"])
def test_seed_routes_count_against_the_quota(suite, user, request, service):
    """Today `POST /api/<service>/{chunk_id}` with 3 MiB is a 201 and usage stays 0. Now: 413 and nothing stored;
    512 KiB twice fits (counted once whatever the replicas), 600 KiB more is refused; seed chunks have no delete
    route, so removing the member or account that holds them gives the bytes back."""
    backend = request.getfixturevalue("agent" if service == "array" else "account")
    headers = user["headers"]
    seeds = f"{suite.gateway}/api/{service}"

    big = uuid.uuid4().hex
    assert_quota_exceeded(requests.post(f"{seeds}/{big}", data=os.urandom(3 * MiB), headers=headers))
    assert requests.get(f"{seeds}/{big}", headers=headers).status_code == 404
    assert usage(suite, user) == 0

    for _ in range(2):
        chunk = uuid.uuid4().hex
        stored = requests.post(f"{seeds}/{chunk}", data=os.urandom(512 * KiB), headers=headers)
        assert stored.status_code == 201, stored.text
    assert usage(suite, user) == QUOTA
    # Written again, a chunk costs nothing more.
    assert requests.post(f"{seeds}/{chunk}", data=os.urandom(512 * KiB), headers=headers).status_code == 201
    assert usage(suite, user) == QUOTA
    refused = uuid.uuid4().hex
    assert_quota_exceeded(requests.post(f"{seeds}/{refused}", data=os.urandom(600 * KiB), headers=headers))
    assert requests.get(f"{seeds}/{refused}", headers=headers).status_code == 404

    if service == "array":
        removed = requests.delete(f"{suite.gateway}/api/array/members/{backend.member_id}", headers=headers)
    else:
        removed = requests.delete(f"{suite.gateway}/api/cloud/accounts/{backend['id']}", headers=headers)
    assert removed.status_code == 204, removed.text
    assert usage(suite, user) == 0


@pytest.mark.parametrize("service", ["array", "cloud"])
def test_objects_count_against_the_quota(suite, user, request, service):
    """Today a user's `PUT …/objects/{key}` on an account or member stores 3 MiB uncounted. Now: 413 before a byte
    is stored; two 512 KiB objects fit, a third of 600 KiB does not; a DELETE refunds its object, and removing the
    account or member refunds the rest."""
    backend = request.getfixturevalue("agent" if service == "array" else "account")
    headers = user["headers"]
    if service == "array":
        objects = f"{suite.gateway}/api/array/members/{backend.member_id}/objects"
    else:
        objects = f"{suite.gateway}/api/cloud/accounts/{backend['id']}/objects"

    assert_quota_exceeded(requests.put(f"{objects}/big", data=os.urandom(3 * MiB), headers=headers))
    assert requests.head(f"{objects}/big", headers=headers).status_code == 404
    assert usage(suite, user) == 0

    for key in ("a", "b"):
        stored = requests.put(f"{objects}/{key}", data=os.urandom(512 * KiB), headers=headers)
        assert stored.status_code == 201, stored.text
    assert usage(suite, user) == QUOTA
    assert_quota_exceeded(requests.put(f"{objects}/c", data=os.urandom(600 * KiB), headers=headers))
    assert requests.head(f"{objects}/c", headers=headers).status_code == 404
    assert requests.delete(f"{objects}/a", headers=headers).status_code == 204
    assert usage(suite, user) == 512 * KiB
    # Rewriting a key is charged the new object and refunded the one it replaced.
    assert requests.put(f"{objects}/b", data=os.urandom(100 * KiB), headers=headers).status_code == 201
    assert usage(suite, user) == 100 * KiB
    if service == "array":
        removed = requests.delete(f"{suite.gateway}/api/array/members/{backend.member_id}", headers=headers)
    else:
        removed = requests.delete(f"{suite.gateway}/api/cloud/accounts/{backend['id']}", headers=headers)
    assert removed.status_code == 204, removed.text
    assert usage(suite, user) == 0


def test_direct_chunks_count_against_the_quota(suite, user, account):
    """Today `PUT /api/chunk/` and `POST /api/chunk/` store chunks no quota counts. Now: 3 MiB is a 413 and stores
    nothing; 512 KiB twice fits, a form of 600 KiB more is refused; deleting a chunk refunds it."""
    headers = {**user["headers"], "X-Durability": "raid1(1)"}
    assert_quota_exceeded(requests.put(f"{suite.gateway}/api/chunk/", data=os.urandom(3 * MiB), headers=headers))
    assert usage(suite, user) == 0

    chunks = []
    for _ in range(2):
        stored = requests.put(f"{suite.gateway}/api/chunk/", data=os.urandom(512 * KiB), headers=headers)
        assert stored.status_code == 201, stored.text
        chunks.append(stored.json()["chunk_id"])
    assert usage(suite, user) == QUOTA
    form = requests.post(
        f"{suite.gateway}/api/chunk/",
        files={"durability": (None, "raid1(1)"), "data": ("data", os.urandom(600 * KiB))},
        headers=user["headers"],
    )
    assert_quota_exceeded(form)

    assert requests.delete(f"{suite.gateway}/api/chunk/{chunks[0]}", headers=user["headers"]).status_code == 204
    assert usage(suite, user) == 512 * KiB
    # Deleted again (already gone), it refunds nothing more.
    assert requests.delete(f"{suite.gateway}/api/chunk/{chunks[0]}", headers=user["headers"]).status_code == 404
    assert usage(suite, user) == 512 * KiB
    assert requests.delete(f"{suite.gateway}/api/chunk/{chunks[1]}", headers=user["headers"]).status_code == 204
    assert usage(suite, user) == 0


def test_raw_bytes_and_files_share_one_quota(suite, user, account):
    """Today the quota checks of uploads count only files, so raw bytes and files together pass the quota. Now a
    600 KiB file that fits alone is refused while 600 KiB of raw objects take the room, and fits once they are
    deleted."""
    objects = f"{suite.gateway}/api/cloud/accounts/{account['id']}/objects"
    headers = user["headers"]
    assert requests.put(f"{objects}/raw", data=os.urandom(600 * KiB), headers=headers).status_code == 201
    upload = {**headers, "X-Durability": "raid1(1)"}
    data = os.urandom(600 * KiB)
    refused = requests.put(f"{suite.gateway}/api/filesystem/data", params={"path": "/q.bin"}, data=data, headers=upload)
    assert_quota_exceeded(refused)
    assert usage(suite, user) == 600 * KiB

    assert requests.delete(f"{objects}/raw", headers=headers).status_code == 204
    stored = requests.put(f"{suite.gateway}/api/filesystem/data", params={"path": "/q.bin"}, data=data, headers=upload)
    assert stored.status_code == 201, stored.text
    assert usage(suite, user) == 600 * KiB
    # With the file stored, raw bytes get only what the file left.
    assert_quota_exceeded(requests.put(f"{objects}/raw", data=os.urandom(600 * KiB), headers=headers))
