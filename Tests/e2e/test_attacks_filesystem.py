"""Attacks on filesystem through the gateway, each closed by issue 17: a grantee whose read-write grant was revoked
finishing an upload into the owner's tree (tus and multipart); tus appends and concurrent commits passing the quota;
share links and download tickets of a disabled user; and requests that ask for unbounded work (listings without end,
part URLs by the thousand, JSON nested ten thousand deep). Every refusal is a clear 4xx, changes nothing, and what an
upload refused at its end had stored is collected."""

import base64
import os
import threading
import time
import uuid

import pytest
import requests

from conftest import ADMIN_EMAIL
from helpers import MiB, Agent, sign_in, wait_online

FS = "/api/filesystem"
TUS = {"Tus-Resumable": "1.0.0"}
CHUNK = 4 * MiB


@pytest.fixture(scope="module")
def owner(suite, tmp_path_factory):
    """alice, with two agents of her own: enough for the default raid1(2)."""
    email, headers = sign_in(suite, f"alice-{uuid.uuid4().hex[:8]}@example.com")
    agents = [Agent(suite, tmp_path_factory.mktemp(f"attack-agent{i}"), email, f"attack-{i}").start() for i in range(2)]
    for agent in agents:
        wait_online(suite, headers, agent)
    yield email, headers, agents
    for agent in agents:
        agent.kill()


@pytest.fixture(scope="module")
def admin(suite):
    return sign_in(suite, ADMIN_EMAIL)[1]


def call(suite, method, path, headers=None, **kwargs):
    return requests.request(method, f"{suite.gateway}{FS}{path}", headers=headers or {}, **kwargs)


def me(suite, headers):
    return requests.get(f"{suite.gateway}/api/auth/me", headers=headers).json()["id"]


def shard_files(agents):
    return sorted(str(p) for a in agents for p in a.data.rglob("*") if p.is_file() and "/chunks/" in str(p))


def wait_until(condition, timeout=40, step=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def tus_create(suite, headers, length, **metadata):
    encoded = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in metadata.items())
    return call(suite, "POST", "/tus", {**headers, **TUS, "Upload-Length": str(length), "Upload-Metadata": encoded})


def tus_patch(suite, headers, location, offset, data):
    return requests.patch(f"{suite.gateway}{location}", data=data, headers={
        **headers, **TUS, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"})


def share(suite, alice, folder_path, grantee_email):
    """alice's folder at `folder_path`, granted read-write to the grantee: (folder, grant)."""
    folder = call(suite, "POST", "/dirs", alice, json={"path": folder_path})
    assert folder.status_code in (200, 201), folder.text
    grant = call(suite, "POST", f"/info/{folder.json()['id']}/grants", alice,
                 json={"user": grantee_email, "access": "read-write"})
    assert grant.status_code == 201, grant.text
    return folder.json(), grant.json()


def exists(suite, headers, path):
    return call(suite, "GET", "/info", headers, params={"path": path, "depth": 0}).status_code == 200


@pytest.fixture
def quota(suite, owner, admin):
    """Sets alice's quota to her usage plus `room` bytes; removed again after the test."""
    _, alice, _ = owner
    url = f"{suite.gateway}{FS}/quotas/{me(suite, alice)}"

    def set_room(room):
        used = call(suite, "GET", "/usage", alice).json()["bytes"]
        assert requests.put(url, json={"bytes": used + room}, headers=admin).status_code == 204
        return used + room

    yield set_room
    requests.put(url, json={"bytes": None}, headers=admin)


def test_a_revoked_grantee_cannot_finish_a_tus_upload(suite, owner):
    """Today the grant is checked only when the upload is created: bob's last PATCH after the revoke answers 204 and
    the file appears in alice's tree. Now every PATCH checks again: 403, no file, the upload is cancelled and the
    chunk it had stored is collected."""
    _, alice, agents = owner
    bob_email, bob = sign_in(suite, f"bob-{uuid.uuid4().hex[:8]}@example.com")
    folder, grant = share(suite, alice, f"/team-{uuid.uuid4().hex[:6]}", bob_email)
    baseline = shard_files(agents)
    data = os.urandom(CHUNK + 10)
    created = tus_create(suite, bob, len(data), filename="late.bin", parent=folder["id"])
    assert created.status_code == 201, created.text
    location = created.headers["Location"]
    first = tus_patch(suite, bob, location, 0, data[:CHUNK])
    assert first.status_code == 204, first.text
    assert len(shard_files(agents)) == len(baseline) + 2  # one whole chunk stored, raid1(2)

    assert call(suite, "DELETE", f"/info/{folder['id']}/grants/{grant['id']}", alice).status_code == 204
    last = tus_patch(suite, bob, location, CHUNK, data[CHUNK:])
    assert last.status_code == 403, last.text
    assert last.json()["error"]["code"] == "forbidden"
    assert not exists(suite, alice, f"{folder['path']}/late.bin")
    assert requests.head(f"{suite.gateway}{location}", headers={**bob, **TUS}).status_code == 404
    assert wait_until(lambda: shard_files(agents) == baseline), "the cancelled upload's chunk was not collected"


def test_a_revoked_grantee_cannot_finish_a_multipart_upload(suite, owner):
    """Multipart sessions now reach folders shared read-write (`parent_id`), and are held to the same rule as tus: a
    grant revoked after the parts arrived makes `complete` a 403 and nothing appears. Today `POST /uploads` knows no
    `parent_id` (400), so a grantee has no multipart upload at all, let alone one that is checked."""
    _, alice, agents = owner
    bob_email, bob = sign_in(suite, f"bob-{uuid.uuid4().hex[:8]}@example.com")
    folder, grant = share(suite, alice, f"/drop-{uuid.uuid4().hex[:6]}", bob_email)
    baseline = shard_files(agents)
    data = os.urandom(CHUNK + 5)
    session = call(suite, "POST", "/uploads", bob,
                   json={"parent_id": folder["id"], "name": "parts.bin", "size": len(data), "part_size": CHUNK})
    assert session.status_code == 201, session.text
    session = session.json()
    assert [p["part"] for p in session["parts"]] == [1, 2] and "next_part" not in session
    # alice does not see bob's session; bob does.
    assert call(suite, "GET", f"/uploads/{session['upload_id']}", alice).status_code == 404
    assert call(suite, "GET", f"/uploads/{session['upload_id']}", bob).status_code == 200
    for part, piece in zip(session["parts"], (data[:CHUNK], data[CHUNK:])):
        assert requests.put(suite.gateway + part["url"], data=piece).status_code == 200
    assert len(shard_files(agents)) == len(baseline) + 4

    assert call(suite, "DELETE", f"/info/{folder['id']}/grants/{grant['id']}", alice).status_code == 204
    done = call(suite, "POST", f"/uploads/{session['upload_id']}/complete", bob)
    assert done.status_code == 403, done.text
    assert not exists(suite, alice, f"{folder['path']}/parts.bin")
    assert call(suite, "GET", f"/uploads/{session['upload_id']}", bob).status_code == 404
    assert wait_until(lambda: shard_files(agents) == baseline), "the cancelled session's chunks were not collected"


def test_a_grantee_still_granted_finishes_a_multipart_upload_in_the_owners_tree(suite, owner):
    """The control for the test above: with the grant in place the file lands in alice's tree, shown to bob from the
    shared folder. Today `parent_id` is refused (400)."""
    _, alice, _ = owner
    bob_email, bob = sign_in(suite, f"bob-{uuid.uuid4().hex[:8]}@example.com")
    folder, _ = share(suite, alice, f"/inbox-{uuid.uuid4().hex[:6]}", bob_email)
    session = call(suite, "POST", "/uploads", bob,
                   json={"parent_id": folder["id"], "name": "ok.bin", "size": 7, "part_size": CHUNK}).json()
    assert requests.put(suite.gateway + session["parts"][0]["url"], data=b"granted").status_code == 200
    done = call(suite, "POST", f"/uploads/{session['upload_id']}/complete", bob)
    assert done.status_code == 201, done.text
    assert done.json()["access"] == "read-write" and done.json()["path"].endswith("/ok.bin")
    assert exists(suite, alice, f"{folder['path']}/ok.bin")


def test_a_tus_append_beyond_the_quota_is_refused(suite, owner, quota):
    """The quota is checked at creation only today: an upload created while it fit takes all its bytes even after
    another file used the room up (204, usage past the quota). Now each PATCH checks usage plus the whole upload:
    413 `quota_exceeded`, and nothing is committed."""
    _, alice, _ = owner
    limit = quota(3 * MiB)
    name = f"/quota-{uuid.uuid4().hex[:6]}"
    created = tus_create(suite, alice, 2 * MiB, path=f"{name}/big.bin")
    assert created.status_code == 201, created.text
    filler = call(suite, "PUT", "/data", alice, params={"path": f"{name}/filler.bin"}, data=os.urandom(2 * MiB))
    assert filler.status_code == 201, filler.text
    refused = tus_patch(suite, alice, created.headers["Location"], 0, os.urandom(2 * MiB))
    assert refused.status_code == 413, refused.text
    assert refused.json()["error"]["code"] == "quota_exceeded"
    assert not exists(suite, alice, f"{name}/big.bin")
    assert call(suite, "GET", "/usage", alice).json()["bytes"] <= limit
    # What still fits goes in: the upload stays, and once room is made it finishes.
    assert requests.head(f"{suite.gateway}{created.headers['Location']}", headers={**alice, **TUS}).status_code == 200
    quota(2 * MiB)
    assert tus_patch(suite, alice, created.headers["Location"], 0, os.urandom(2 * MiB)).status_code == 204
    assert exists(suite, alice, f"{name}/big.bin")


def test_concurrent_uploads_that_each_fit_cannot_pass_the_quota_together(suite, owner, quota):
    """Two uploads of 4 MiB under 6 MiB of room, sent at the same moment: each fits alone when it starts, and today
    both commit (8 MiB stored). Now the owner's commits take turns and check the quota inside the transaction:
    exactly one succeeds, the other is a 413 and leaves no file."""
    _, alice, _ = owner
    limit = quota(6 * MiB)
    name = f"/race-{uuid.uuid4().hex[:6]}"
    answers = [None, None]
    barrier = threading.Barrier(2)

    def upload(index):
        barrier.wait()
        answers[index] = call(suite, "PUT", "/data", alice, params={"path": f"{name}/{index}.bin"},
                              data=os.urandom(CHUNK))

    threads = [threading.Thread(target=upload, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201, 413], [answer.text for answer in answers]
    refused = next(answer for answer in answers if answer.status_code == 413)
    assert refused.json()["error"]["code"] == "quota_exceeded"
    assert call(suite, "GET", "/usage", alice).json()["bytes"] <= limit
    assert [exists(suite, alice, f"{name}/{index}.bin") for index in range(2)].count(True) == 1


def test_open_uploads_hold_the_room_they_declared(suite, owner, quota):
    """Today each tus upload or multipart session is checked against the quota alone, so many left unfinished hold
    many times the quota in stored chunks. Now one created while others are open gets only the room they leave:
    the second 4 MiB session under 6 MiB of room is a 413 until the first is aborted."""
    _, alice, _ = owner
    quota(6 * MiB)
    name = f"/held-{uuid.uuid4().hex[:6]}"
    first = call(suite, "POST", "/uploads", alice, json={"path": f"{name}/a.bin", "size": CHUNK, "part_size": CHUNK})
    assert first.status_code == 201, first.text
    second = call(suite, "POST", "/uploads", alice, json={"path": f"{name}/b.bin", "size": CHUNK, "part_size": CHUNK})
    assert second.status_code == 413 and second.json()["error"]["code"] == "quota_exceeded", second.text
    by_tus = tus_create(suite, alice, CHUNK, path=f"{name}/c.bin")
    assert by_tus.status_code == 413, by_tus.text
    assert call(suite, "DELETE", f"/uploads/{first.json()['upload_id']}", alice).status_code == 204
    again = call(suite, "POST", "/uploads", alice, json={"path": f"{name}/b.bin", "size": CHUNK, "part_size": CHUNK})
    assert again.status_code == 201, again.text
    assert call(suite, "DELETE", f"/uploads/{again.json()['upload_id']}", alice).status_code == 204


def test_a_disabled_users_share_links_and_download_tickets_stop_working(suite, admin):
    """Today a disabled user's share links keep serving what they name and their download tickets keep downloading.
    Now filesystem asks auth whether the owner is still active (kept 30 s, never assumed): a disabled owner's link is
    a 404 as if it did not exist, and so is the ticket. A user still active is the control."""
    results = {}
    for who in ("carol", "dave"):
        email, headers = sign_in(suite, f"{who}-{uuid.uuid4().hex[:8]}@example.com")
        folder = call(suite, "POST", "/dirs", headers, json={"path": "/public"}).json()
        # An empty file needs no storage: enough for a ticket.
        empty = call(suite, "PUT", "/data", headers, params={"path": "/public/empty.txt"}, data=b"")
        assert empty.status_code == 201, empty.text
        link = call(suite, "POST", f"/info/{folder['id']}/links", headers, json={})
        assert link.status_code == 201, link.text
        ticket = call(suite, "POST", f"/info/{empty.json()['id']}/download", headers)
        assert ticket.status_code == 201, ticket.text
        results[who] = (me(suite, headers), link.json()["token"], ticket.json()["url"])
    carol_id, carol_link, carol_ticket = results["carol"]
    disabled = requests.patch(f"{suite.gateway}/api/auth/users/{carol_id}", json={"disabled": True}, headers=admin)
    assert disabled.status_code == 200, disabled.text

    for route in ("", "/info"):
        assert call(suite, "GET", f"/s/{carol_link}{route}").status_code == 404
        assert call(suite, "GET", f"/s/{results['dave'][1]}{route}").status_code == 200
    gone = call(suite, "GET", f"/s/{carol_link}/info")
    assert gone.json()["error"]["code"] == "not_found"
    assert requests.get(suite.gateway + carol_ticket).status_code == 404
    assert requests.get(suite.gateway + results["dave"][2]).status_code == 200


def test_listings_answer_pages_with_a_continuation(suite):
    """Today a listing answers every entry of every folder to the depth asked, however many: `limit` is ignored and
    there is no `next`. Now an answer holds at most `limit` entries in all (1–1000) and each folder with entries left
    out says where to go on; following `next` gives every entry once, in order."""
    _, headers = sign_in(suite)
    for name in ("d1", "d2", "d3", "d1/inner-a", "d1/inner-b"):
        assert call(suite, "POST", "/dirs", headers, json={"path": f"/page/{name}"}).status_code == 201
    for name in ("f1.txt", "f2.txt", "f3.txt"):
        assert call(suite, "PUT", "/data", headers, params={"path": f"/page/{name}"}, data=b"").status_code == 201
    first = call(suite, "GET", "/info", headers, params={"path": "/page", "depth": 1, "limit": 2})
    assert first.status_code == 200, first.text
    node = first.json()
    assert [c["name"] for c in node["children"]] == ["d1", "d2"] and node["next"]
    names = [c["name"] for c in node["children"]]
    while node.get("next"):
        node = call(suite, "GET", f"/info/{node['id']}", headers,
                    params={"depth": 1, "limit": 2, "cursor": node["next"]}).json()
        assert len(node["children"]) <= 2
        names += [c["name"] for c in node["children"]]
    assert names == ["d1", "d2", "d3", "f1.txt", "f2.txt", "f3.txt"]

    # Deeper listings share one budget: the folder's own six entries, then d1's two; d2 and d3 wait for their turn.
    deep = call(suite, "GET", "/info", headers, params={"path": "/page", "depth": 2, "limit": 8}).json()

    def count(entry):
        return sum(1 + count(child) for child in entry.get("children") or [])

    assert count(deep) == 8 and "next" not in deep
    d1, d2 = deep["children"][0], deep["children"][1]
    assert d1["name"] == "d1" and [c["name"] for c in d1["children"]] == ["inner-a", "inner-b"] and "next" not in d1
    assert d2["name"] == "d2" and "children" not in d2 and d2["next"]
    later = call(suite, "GET", f"/info/{d2['id']}", headers, params={"depth": 1, "cursor": d2["next"]}).json()
    assert later["children"] == [] and "next" not in later

    for bad in ({"limit": 0}, {"limit": 1001}, {"limit": "many"}, {"cursor": "not-ours"}, {"depth": 9}):
        refused = call(suite, "GET", "/info", headers, params={"path": "/page", **bad})
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_field", bad

    # A share link's folder pages the same way.
    page = call(suite, "GET", "/info", headers, params={"path": "/page", "depth": 0}).json()
    token = call(suite, "POST", f"/info/{page['id']}/links", headers, json={}).json()["token"]
    shared = call(suite, "GET", f"/s/{token}/info", params={"limit": 4}).json()
    assert len(shared["children"]) == 4 and shared["next"]
    rest = call(suite, "GET", f"/s/{token}/info", params={"cursor": shared["next"]}).json()
    assert [c["name"] for c in shared["children"] + rest["children"]] == names and "next" not in rest


def test_multipart_part_urls_are_capped_and_paged(suite):
    """Today a session answers one signed URL per part, all at once (up to 10,000), and the part cap is a generic
    `invalid_field`. Now more than 10,000 parts is a 400 `too_many_parts`, and an answer signs at most 1,000 URLs with
    `next_part` saying where `GET /uploads/{id}?from=` goes on."""
    _, headers = sign_in(suite)
    too_many = call(suite, "POST", "/uploads", headers,
                    json={"path": "/huge.bin", "size": 10_001 * CHUNK, "part_size": CHUNK})
    assert too_many.status_code == 400 and too_many.json()["error"]["code"] == "too_many_parts", too_many.text
    session = call(suite, "POST", "/uploads", headers,
                   json={"path": "/wide.bin", "size": 1_001 * CHUNK, "part_size": CHUNK})
    assert session.status_code == 201, session.text
    body = session.json()
    assert len(body["parts"]) == 1000 and body["parts"][-1]["part"] == 1000 and body["next_part"] == 1001
    rest = call(suite, "GET", f"/uploads/{body['upload_id']}", headers, params={"from": body["next_part"]}).json()
    assert [p["part"] for p in rest["parts"]] == [1001] and "next_part" not in rest
    assert call(suite, "GET", f"/uploads/{body['upload_id']}", headers, params={"from": 1002}).status_code == 400
    assert call(suite, "DELETE", f"/uploads/{body['upload_id']}", headers).status_code == 204


@pytest.mark.parametrize("depth", [33, 10_000])
def test_json_nested_too_deeply_is_refused_before_parsing(suite, depth):
    """Today a body nested 33 levels is parsed (and then refused for its shape, `bad_request`), one 10,000 deep is
    refused by the parser's own limit after recursing into it, both as a generic 400. Now every service scans the
    depth first: 400 `invalid_json` naming the nesting, and the service answers the next request as ever."""
    _, headers = sign_in(suite)
    nested = "[" * depth + "]" * depth
    json_headers = {**headers, "Content-Type": "application/json"}
    for url in (f"{suite.gateway}{FS}/dirs", f"{suite.gateway}/api/auth/login"):
        refused = requests.post(url, data=f'{{"path": {nested}}}', headers=json_headers)
        assert refused.status_code == 400, refused.text
        error = refused.json()["error"]
        assert error["code"] == "invalid_json" and "nested too deeply" in error["message"], error
    # Brackets inside strings are not nesting.
    fine = call(suite, "POST", "/dirs", headers, json={"path": f"/{'[' * 40}{{"})
    assert fine.status_code in (200, 201), fine.text
    assert call(suite, "GET", "/info", headers, params={"path": "/"}).status_code == 200
