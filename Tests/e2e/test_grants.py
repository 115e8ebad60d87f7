"""Directory grants through the gateway: an owner shares a folder with a user (by email) or a group (by name), read or
read-write. A grantee reaches exactly that folder and what is below it, by id, and nothing else of the owner's; what
they write is the owner's (the owner's tree, trash, quota and storage); revoking, or leaving the group, ends it."""

import base64
import os
import time
import uuid

import pytest
import requests

from conftest import ADMIN_EMAIL
from helpers import Agent, sign_in, wait_online

FS = "/api/filesystem"


@pytest.fixture(scope="module")
def owner(suite, tmp_path_factory):
    email, headers = sign_in(suite, f"owner-{uuid.uuid4().hex[:8]}@example.com")
    agents = [Agent(suite, tmp_path_factory.mktemp(f"grant-agent{i}"), email, f"grant-{i}").start() for i in range(2)]
    for agent in agents:
        wait_online(suite, headers, agent)
    yield email, headers
    for agent in agents:
        agent.kill()


def call(suite, method, path, headers, **kwargs):
    return requests.request(method, f"{suite.gateway}{FS}{path}", headers=headers, **kwargs)


def put(suite, headers, data, **params):
    return call(suite, "PUT", "/data", headers, params=params, data=data)


def me(suite, headers):
    return requests.get(f"{suite.gateway}/api/auth/me", headers=headers).json()


def test_a_user_grant_gives_read_then_read_write_and_nothing_more(suite, owner):
    owner_email, alice = owner
    bob_email, bob = sign_in(suite, f"bob-{uuid.uuid4().hex[:8]}@example.com")
    doc = put(suite, alice, b"team notes", path="/team/doc.txt").json()
    secret = put(suite, alice, b"not for bob", path="/private/secret.txt").json()
    team = call(suite, "GET", "/info", alice, params={"path": "/team", "depth": 0}).json()
    private = call(suite, "GET", "/info", alice, params={"path": "/private", "depth": 0}).json()

    # Before any grant bob sees nothing of alice's, as if it did not exist.
    assert call(suite, "GET", f"/info/{team['id']}", bob).status_code == 404
    assert call(suite, "GET", f"/data/{doc['id']}", bob).status_code == 404
    assert call(suite, "GET", "/shared", bob).json()["items"] == []

    granted = call(suite, "POST", f"/info/{team['id']}/grants", alice, json={"user": bob_email, "access": "read"})
    assert granted.status_code == 201, granted.text
    grant = granted.json()
    assert grant["grantee"]["kind"] == "user" and grant["grantee"]["name"] == bob_email and grant["access"] == "read"
    listed = call(suite, "GET", f"/info/{team['id']}/grants", alice).json()["items"]
    assert [g["id"] for g in listed] == [grant["id"]]

    shared = call(suite, "GET", "/shared", bob).json()["items"]
    assert len(shared) == 1 and shared[0]["node"]["id"] == team["id"]
    assert shared[0]["node"]["path"] == "/team" and shared[0]["node"]["access"] == "read"
    tree = call(suite, "GET", f"/info/{team['id']}", bob, params={"depth": 1}).json()
    assert [(c["name"], c["path"], c["access"]) for c in tree["children"]] == [("doc.txt", "/team/doc.txt", "read")]
    assert call(suite, "GET", f"/data/{doc['id']}", bob).content == b"team notes"
    assert call(suite, "GET", f"/info/{doc['id']}/versions", bob).status_code == 200
    # Bob sees the health of the file's shards, not which of alice's backends hold them.
    owner_chunks = call(suite, "GET", f"/info/{doc['id']}/chunks", alice).json()["items"]
    bob_chunks = call(suite, "GET", f"/info/{doc['id']}/chunks", bob).json()["items"]
    assert owner_chunks and all("backend_id" in s for c in owner_chunks for s in c["shards"])
    assert [[s["state"] for s in c["shards"]] for c in bob_chunks] == [[s["state"] for s in c["shards"]] for c in owner_chunks]
    assert all("backend_id" not in s for c in bob_chunks for s in c["shards"])
    # Alice's other folders stay hidden; bob's own tree is untouched.
    assert call(suite, "GET", f"/info/{private['id']}", bob).status_code == 404
    assert call(suite, "GET", f"/data/{secret['id']}", bob).status_code == 404
    assert call(suite, "GET", "/info", bob, params={"path": "/"}).json()["children"] == []

    # Read-only: every change is refused and nothing changes.
    assert put(suite, bob, b"x", parent=team["id"], name="new.txt").status_code == 403
    assert call(suite, "POST", "/dirs", bob, json={"parent_id": team["id"], "name": "sub"}).status_code == 403
    assert call(suite, "POST", f"/info/{doc['id']}", bob, json={"name": "renamed.txt"}).status_code == 403
    assert call(suite, "DELETE", f"/info/{doc['id']}", bob).status_code == 403
    assert call(suite, "POST", f"/info/{doc['id']}/links", bob, json={}).status_code == 403
    assert call(suite, "GET", f"/info/{team['id']}/grants", bob).status_code == 403
    names = [c["name"] for c in call(suite, "GET", f"/info/{team['id']}", alice, params={"depth": 1}).json()["children"]]
    assert names == ["doc.txt"]

    upgraded = call(suite, "POST", f"/info/{team['id']}/grants", alice, json={"user": bob_email, "access": "read-write"})
    assert upgraded.status_code == 200 and upgraded.json()["id"] == grant["id"]

    usage_before = call(suite, "GET", "/usage", alice).json()["bytes"]
    written = put(suite, bob, b"bob wrote this", parent=team["id"], name="bob.txt")
    assert written.status_code == 201, written.text
    bobs = written.json()
    assert bobs["path"] == "/team/bob.txt" and bobs["access"] == "read-write"
    # It is alice's file: in her tree, her usage, and readable by her.
    assert call(suite, "GET", f"/info/{bobs['id']}", alice).json()["path"] == "/team/bob.txt"
    assert call(suite, "GET", f"/data/{bobs['id']}", alice).content == b"bob wrote this"
    assert call(suite, "GET", "/usage", alice).json()["bytes"] == usage_before + len(b"bob wrote this")
    assert call(suite, "GET", "/usage", bob).json()["bytes"] == 0

    sub = call(suite, "POST", "/dirs", bob, json={"parent_id": team["id"], "name": "sub"})
    assert sub.status_code == 201 and sub.json()["path"] == "/team/sub"
    moved = call(suite, "POST", f"/info/{bobs['id']}/move", bob, json={"parent_id": sub.json()["id"]})
    assert moved.status_code == 200 and moved.json()["path"] == "/team/sub/bob.txt"
    renamed = call(suite, "POST", f"/info/{bobs['id']}", bob, json={"name": "b.txt"})
    assert renamed.status_code == 200 and renamed.json()["path"] == "/team/sub/b.txt"
    # Out of the shared folder: into alice's private folder (not shared) or into bob's own tree.
    assert call(suite, "POST", f"/info/{bobs['id']}/move", bob, json={"parent_id": private["id"]}).status_code == 404
    bob_root = call(suite, "GET", "/info", bob, params={"path": "/", "depth": 0}).json()
    out = call(suite, "POST", f"/info/{bobs['id']}/move", bob, json={"parent_id": bob_root["id"]})
    assert out.status_code == 409 and out.json()["error"]["code"] == "other_owner"
    assert call(suite, "POST", f"/info/{bobs['id']}/move", bob, json={"to": "/mine.txt"}).status_code == 409
    # The shared folder itself stays the owner's to rename, move or delete.
    assert call(suite, "POST", f"/info/{team['id']}", bob, json={"name": "ours"}).status_code == 403
    assert call(suite, "DELETE", f"/info/{team['id']}", bob).status_code == 403
    # A grantee's delete goes to the owner's trash; purging is the owner's.
    assert call(suite, "DELETE", f"/info/{bobs['id']}", bob, params={"purge": "true"}).status_code == 403
    assert call(suite, "DELETE", f"/info/{bobs['id']}", bob).status_code == 204
    assert bobs["id"] in [n["id"] for n in call(suite, "GET", "/trash", alice).json()["items"]]
    assert call(suite, "GET", "/trash", bob).json()["items"] == []

    # A tus upload into the shared folder lands in alice's tree; its upload URL is bob's alone.
    meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in
                    {"filename": "resumable.bin", "parent": team["id"]}.items())
    tus = {"Tus-Resumable": "1.0.0"}
    created = call(suite, "POST", "/tus", {**bob, **tus, "Upload-Length": "6", "Upload-Metadata": meta})
    assert created.status_code == 201, created.text
    location = created.headers["Location"]
    assert requests.head(f"{suite.gateway}{location}", headers={**alice, **tus}).status_code == 404
    patched = requests.patch(f"{suite.gateway}{location}", data=b"abcdef", headers={
        **bob, **tus, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    assert patched.status_code == 204, patched.text
    after = call(suite, "GET", "/info", alice, params={"path": "/team/resumable.bin", "depth": 0})
    assert after.status_code == 200 and after.json()["size"] == 6

    revoked = call(suite, "DELETE", f"/info/{team['id']}/grants/{grant['id']}", alice)
    assert revoked.status_code == 204
    assert call(suite, "GET", f"/info/{team['id']}", bob).status_code == 404
    assert call(suite, "GET", f"/data/{doc['id']}", bob).status_code == 404
    assert put(suite, bob, b"late", parent=team["id"], name="late.txt").status_code == 404
    assert call(suite, "GET", "/shared", bob).json()["items"] == []
    assert call(suite, "DELETE", f"/info/{team['id']}/grants/{grant['id']}", alice).status_code == 404


def test_a_group_grant_reaches_its_members_only_while_they_are_members(suite, owner):
    _, alice = owner
    _, admin = sign_in(suite, ADMIN_EMAIL)
    carol_email, carol = sign_in(suite, f"carol-{uuid.uuid4().hex[:8]}@example.com")
    _, dave = sign_in(suite, f"dave-{uuid.uuid4().hex[:8]}@example.com")
    group_name = f"editors-{uuid.uuid4().hex[:6]}"
    group = requests.post(f"{suite.gateway}/api/auth/groups", headers=admin, json={"name": group_name}).json()
    carol_id = me(suite, carol)["id"]
    added = requests.put(f"{suite.gateway}/api/auth/groups/{group['id']}/members/{carol_id}", headers=admin)
    assert added.status_code == 200, added.text

    folder = call(suite, "POST", "/dirs", alice, json={"path": "/editors"}).json()
    granted = call(suite, "POST", f"/info/{folder['id']}/grants", alice, json={"group": group_name, "access": "read-write"})
    assert granted.status_code == 201 and granted.json()["grantee"] == {"kind": "group", "id": group["id"],
                                                                         "name": group_name}
    written = put(suite, carol, b"carol's", parent=folder["id"], name="c.txt")
    assert written.status_code == 201 and written.json()["path"] == "/editors/c.txt"
    assert [s["node"]["id"] for s in call(suite, "GET", "/shared", carol).json()["items"]] == [folder["id"]]
    assert call(suite, "GET", f"/info/{folder['id']}", dave).status_code == 404
    assert put(suite, dave, b"x", parent=folder["id"], name="d.txt").status_code == 404

    # Leaving the group ends the access (filesystem keeps memberships for a few seconds).
    removed = requests.delete(f"{suite.gateway}/api/auth/groups/{group['id']}/members/{carol_id}", headers=admin)
    assert removed.status_code == 200
    deadline = time.time() + 15
    while call(suite, "GET", f"/info/{folder['id']}", carol).status_code != 404:
        assert time.time() < deadline, "carol kept access after leaving the group"
        time.sleep(0.5)
    assert put(suite, carol, b"y", parent=folder["id"], name="late.txt").status_code == 404


def test_bad_grants_are_refused_and_change_nothing(suite, owner):
    owner_email, alice = owner
    folder = call(suite, "POST", "/dirs", alice, json={"path": "/refusals"}).json()
    file = put(suite, alice, b"f", path="/refusals/f.txt").json()
    root = call(suite, "GET", "/info", alice, params={"path": "/", "depth": 0}).json()
    other_email, _ = sign_in(suite, f"other-{uuid.uuid4().hex[:8]}@example.com")
    url = f"/info/{folder['id']}/grants"
    cases = [
        (url, {"user": f"nobody-{uuid.uuid4().hex[:6]}@example.com", "access": "read"}, 404),
        (url, {"group": f"no-group-{uuid.uuid4().hex[:6]}", "access": "read"}, 404),
        (url, {"user": other_email, "access": "admin"}, 400),
        (url, {"user": other_email, "group": "x", "access": "read"}, 400),
        (url, {"access": "read"}, 400),
        (url, {"user": owner_email, "access": "read"}, 400),
        (f"/info/{file['id']}/grants", {"user": other_email, "access": "read"}, 400),
        (f"/info/{root['id']}/grants", {"user": other_email, "access": "read"}, 400),
        (f"/info/{uuid.uuid4()}/grants", {"user": other_email, "access": "read"}, 404),
    ]
    for path, body, status in cases:
        reply = call(suite, "POST", path, alice, json=body)
        assert reply.status_code == status, (body, reply.text)
        assert "error" in reply.json()
    malformed = call(suite, "POST", url, {**alice, "Content-Type": "application/json"}, data=b"{not json")
    assert malformed.status_code == 400
    assert call(suite, "GET", url, alice).json()["items"] == []
    # Bad destinations by parent id.
    assert put(suite, alice, b"x", parent="not-a-uuid", name="a").status_code == 400
    assert put(suite, alice, b"x", parent=folder["id"], name="../a").status_code == 400
    assert put(suite, alice, b"x", parent=folder["id"]).status_code == 400
    assert put(suite, alice, b"x", parent=file["id"], name="a").status_code == 409
    assert put(suite, alice, b"x", parent=folder["id"], name="a", path="/a").status_code == 400
    assert [c["name"] for c in call(suite, "GET", f"/info/{folder['id']}", alice, params={"depth": 1})
            .json()["children"]] == ["f.txt"]


def test_users_cannot_look_up_other_users(suite, owner):
    owner_email, _ = owner
    _, erin = sign_in(suite, f"erin-{uuid.uuid4().hex[:8]}@example.com")
    assert "admin" not in me(suite, erin)["roles"]
    for path in (f"/api/auth/lookup/user?email={owner_email}", "/api/auth/lookup/group?name=x"):
        reply = requests.get(f"{suite.gateway}{path}", headers=erin)
        assert reply.status_code == 403 and reply.json()["error"]["code"] == "forbidden"
    _, admin = sign_in(suite, ADMIN_EMAIL)
    found = requests.get(f"{suite.gateway}/api/auth/lookup/user", params={"email": owner_email}, headers=admin)
    assert found.status_code == 200 and found.json()["kind"] == "user" and found.json()["name"] == owner_email
    by_id = requests.get(f"{suite.gateway}/api/auth/lookup/user", params={"id": found.json()["id"]}, headers=admin)
    assert by_id.json() == found.json()
    for bad, status in ((str(uuid.uuid4()), 404), ("not-an-id", 400)):
        assert requests.get(f"{suite.gateway}/api/auth/lookup/user", params={"id": bad}, headers=admin).status_code \
            == status
