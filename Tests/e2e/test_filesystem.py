"""Filesystem through the gateway over three real agents: files stream in and out in 4 MiB chunks, versions commit
atomically, ranges and conditional requests work, bad paths change nothing, a truncated or killed upload leaves no
visible file and its chunks are collected, and users stay apart."""

import datetime
import hashlib
import json
import os
import socket
import subprocess
import threading
import time
import urllib.parse
import uuid

import pytest
import requests

from conftest import ADMIN_EMAIL, kill
from helpers import MiB, Agent, sign_in, truncated_put, wait_online


@pytest.fixture(scope="module")
def user(suite, tmp_path_factory):
    email, headers = sign_in(suite)
    agents = [Agent(suite, tmp_path_factory.mktemp(f"fs-agent{i}"), email, f"fs-{i}").start() for i in range(3)]
    for agent in agents:
        wait_online(suite, headers, agent)
    yield headers, agents
    for agent in agents:
        agent.kill()


def put(suite, headers, path, data, **extra):
    return requests.put(f"{suite.gateway}/api/filesystem/data", params={"path": path}, data=data,
                        headers={**headers, **extra})


def listing(suite, headers, path="/", depth=1):
    reply = requests.get(f"{suite.gateway}/api/filesystem/info", params={"path": path, "depth": depth}, headers=headers)
    assert reply.status_code == 200, reply.text
    return reply.json()


def shard_files(agents):
    return sorted(str(p) for a in agents for p in a.data.rglob("*") if p.is_file() and "/chunks/" in str(p))


def test_a_file_round_trips_in_chunks_and_versions(suite, user):
    headers, _ = user
    data = os.urandom(10 * MiB + 3)  # three chunks of 4 MiB
    reply = put(suite, headers, "/docs/report.bin", data)
    assert reply.status_code == 201, reply.text
    file = reply.json()
    assert file["path"] == "/docs/report.bin" and file["name"] == "report.bin" and file["version"] == 1
    assert file["size"] == len(data) and file["sha256"] == hashlib.sha256(data).hexdigest()
    assert file["durability"] == "raid1(2)" and file["encryption"] == "aes256-gcm"
    got = requests.get(f"{suite.gateway}/api/filesystem/data/{file['id']}", headers=headers)
    assert got.status_code == 200 and got.content == data
    assert got.headers["ETag"] == f"\"{file['sha256']}\""
    tree = listing(suite, headers, "/docs")
    assert [c["name"] for c in tree["children"]] == ["report.bin"]
    assert requests.get(f"{suite.gateway}/api/filesystem/info/{file['id']}", headers=headers).json()["path"] == \
        "/docs/report.bin"
    newer = os.urandom(5000)
    again = put(suite, headers, "/docs/report.bin", newer)
    assert again.status_code == 200 and again.json()["version"] == 2 and again.json()["id"] == file["id"]
    assert requests.get(f"{suite.gateway}/api/filesystem/data/{file['id']}", headers=headers).content == newer


def test_ranges_conditions_and_headers(suite, user):
    headers, _ = user
    data = os.urandom(9 * MiB)
    file = put(suite, headers, "/ranges/grüße.bin", data, **{"X-Durability": "rs(2,1)"}).json()
    assert file["durability"] == "rs(2,1)"
    url = f"{suite.gateway}/api/filesystem/data/{file['id']}"
    # Across the first chunk boundary (4 MiB).
    start, end = 4 * MiB - 100, 4 * MiB + 99
    part = requests.get(url, headers={**headers, "Range": f"bytes={start}-{end}"})
    assert part.status_code == 206 and part.content == data[start:end + 1]
    assert part.headers["Content-Range"] == f"bytes {start}-{end}/{len(data)}"
    assert requests.get(url, headers={**headers, "Range": "bytes=-10"}).content == data[-10:]
    assert requests.get(url, headers={**headers, "Range": f"bytes={8 * MiB}-"}).content == data[8 * MiB:]
    assert requests.get(url, headers={**headers, "Range": f"bytes={len(data)}-"}).status_code == 416
    etag = f"\"{file['sha256']}\""
    assert requests.get(url, headers={**headers, "If-None-Match": etag}).status_code == 304
    full = requests.get(url, headers=headers, stream=True)
    assert "filename*=UTF-8''gr%C3%BC%C3%9Fe.bin" in full.headers["Content-Disposition"]
    assert full.headers["Last-Modified"].endswith("GMT")
    full.close()


def test_content_type_from_bytes_and_name(suite, user):
    headers, _ = user
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(100)
    assert put(suite, headers, "/types/picture.dat", png).json()["content_type"] == "image/png"
    assert put(suite, headers, "/types/notes", "plain words\n".encode()).json()["content_type"].startswith("text/plain")
    assert put(suite, headers, "/types/page.html", b"<p>x</p>").json()["content_type"].startswith("text/html")
    assert put(suite, headers, "/types/blob", os.urandom(100) + b"\0").json()["content_type"] == \
        "application/octet-stream"


def test_empty_file_and_directories(suite, user):
    headers, _ = user
    empty = put(suite, headers, "/tree/a/b/empty.txt", b"")
    assert empty.status_code == 201 and empty.json()["size"] == 0
    assert requests.get(f"{suite.gateway}/api/filesystem/data/{empty.json()['id']}", headers=headers).content == b""
    made = requests.post(f"{suite.gateway}/api/filesystem/dirs", json={"path": "/tree/c/d"}, headers=headers)
    assert made.status_code == 201 and made.json()["kind"] == "dir"
    assert requests.post(f"{suite.gateway}/api/filesystem/dirs", json={"path": "/tree/c/d"},
                         headers=headers).status_code == 200
    tree = listing(suite, headers, "/tree", depth=3)
    assert [c["name"] for c in tree["children"]] == ["a", "c"]
    assert tree["children"][0]["children"][0]["children"][0]["name"] == "empty.txt"
    # A file in the way of a directory, and a directory in the way of a file.
    assert requests.post(f"{suite.gateway}/api/filesystem/dirs", json={"path": "/tree/a/b/empty.txt/x"},
                         headers=headers).status_code == 409
    assert put(suite, headers, "/tree/c", b"x").status_code == 409


@pytest.mark.parametrize("path", [
    "/a/../b", "/a/./b", "/a//b", "relative", "/a/\0b", "/" + "x" * 256, "/", "", "/a/b\x01",
])
def test_bad_paths_are_400_and_change_nothing(suite, user, path):
    headers, _ = user
    before = listing(suite, headers, "/", depth=2)
    reply = put(suite, headers, path, b"data")
    assert reply.status_code == 400, (path, reply.text)
    assert reply.json()["error"]["code"] in ("invalid_field", "bad_request")
    assert listing(suite, headers, "/", depth=2) == before


def test_bad_requests(suite, user):
    headers, _ = user
    url = f"{suite.gateway}/api/filesystem/data"
    assert requests.put(url, params={"path": "/x"}, data=b"x",
                        headers={**headers, "X-Durability": "raid5"}).status_code == 400
    assert requests.put(url, params={"path": "/x"}, data=b"x").status_code == 401
    assert requests.put(url, params={"path": "/x"}, data=b"x",
                        headers={"Authorization": "Bearer nonsense"}).status_code == 401
    assert requests.get(f"{url}/not-a-uuid", headers=headers).status_code in (400, 404)
    assert requests.post(f"{suite.gateway}/api/filesystem/dirs", data=b"{not json",
                         headers={**headers, "Content-Type": "application/json"}).status_code == 400
    assert requests.get(f"{suite.gateway}/api/filesystem/info", params={"depth": "99"},
                        headers=headers).status_code == 400
    # A body that breaks off before its length, straight to filesystem (the gateway drops such a client): 400.
    status, answer = truncated_put(suite.service_url("filesystem"), "/data?path=/truncated.bin", headers)
    assert status == 400 and b"truncated_body" in answer, answer[:300]
    assert requests.get(f"{suite.gateway}/api/filesystem/info", params={"path": "/truncated.bin"},
                        headers=headers).status_code == 404


def hang_up_mid_upload(suite, headers, path, declared, sent):
    """Declares `declared` bytes, sends `sent` and hangs up, as a client that dies mid-upload."""
    port = int(suite.env["GATEWAY_PORT"])
    query = urllib.parse.urlencode({"path": path})
    head = (f"PUT /api/filesystem/data?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: {headers['Authorization']}\r\nContent-Length: {declared}\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.sendall(head.encode())
        block = os.urandom(MiB)
        for _ in range(sent // MiB):
            connection.sendall(block)
        time.sleep(1)


def wait_until(condition, timeout=40, step=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def test_a_client_hanging_up_leaves_no_file_and_its_chunks_are_collected(suite, user):
    headers, agents = user
    baseline = shard_files(agents)
    hang_up_mid_upload(suite, headers, "/cut/short.bin", declared=20 * MiB, sent=10 * MiB)
    assert wait_until(lambda: len(shard_files(agents)) > len(baseline), timeout=10), "no chunk was stored"
    reply = requests.get(f"{suite.gateway}/api/filesystem/info", params={"path": "/cut/short.bin"}, headers=headers)
    assert reply.status_code == 404
    # A failed upload's chunks are collectable at once; the collector runs every 2 s in this suite.
    assert wait_until(lambda: shard_files(agents) == baseline), "orphan chunks were not collected"


def test_killing_filesystem_mid_overwrite_keeps_the_old_version(suite, user):
    headers, agents = user
    old = os.urandom(MiB)
    file = put(suite, headers, "/crash/file.bin", old).json()
    baseline = shard_files(agents)
    big = suite.run_dir / "overwrite.bin"
    with open(big, "wb") as out:
        for _ in range(64):
            out.write(os.urandom(MiB))
    curl = subprocess.Popen(
        ["curl", "-s", "-o", "/dev/null", "-T", str(big), "-H", f"Authorization: {headers['Authorization']}",
         f"{suite.gateway}/api/filesystem/data?path=/crash/file.bin", "--limit-rate", "8M"],
    )
    try:
        assert wait_until(lambda: len(shard_files(agents)) > len(baseline), timeout=20), "no chunk was stored"
        pid = suite.pid("filesystem")
        kill(pid)
        assert suite.wait_gone(pid)
    finally:
        curl.wait(30)
        big.unlink()
    suite.start()
    got = requests.get(f"{suite.gateway}/api/filesystem/data/{file['id']}", headers=headers)
    assert got.status_code == 200 and got.content == old
    assert listing(suite, headers, "/crash")["children"][0]["version"] == 1
    # The dead upload's chunks wait out the orphan age (10 s in this suite), then go.
    assert wait_until(lambda: shard_files(agents) == baseline, timeout=60), "orphan chunks were not collected"


def test_a_download_outlives_a_chunk_restart_in_its_middle(suite, user):
    headers, _ = user
    data = os.urandom(40 * MiB)
    file = put(suite, headers, "/restart/read.bin", data).json()
    reply = requests.get(f"{suite.gateway}/api/filesystem/data/{file['id']}", headers=headers, stream=True)
    assert reply.status_code == 200
    got = hashlib.sha256()
    received = 0
    restarter = None
    # Read slowly: a few chunks are read ahead, the rest must come from a chunk service that was killed meanwhile. It
    # comes back only once the reader has used up what was read ahead (16 MiB at 0.05 s a MiB), so that filesystem's
    # next chunk read meets it down and has to try again, however fast the restart.
    for piece in reply.iter_content(MiB):
        got.update(piece)
        received += len(piece)
        if restarter is None and received >= 4 * MiB:
            pid = suite.pid("chunk")
            kill(pid)
            assert suite.wait_gone(pid)
            restarter = threading.Timer(1.5, suite.start)
            restarter.start()
        time.sleep(0.05)
    assert restarter is not None, "the chunk service was never stopped"
    restarter.join()
    assert received == len(data) and got.hexdigest() == file["sha256"]
    assert "chunk read failed; trying again" in suite.log("filesystem")


def test_a_large_file_streams_through_curl(suite, user, tmp_path):
    headers, _ = user
    source = tmp_path / "large.bin"
    digest = hashlib.sha256()
    with open(source, "wb") as out:
        for _ in range(200):
            block = os.urandom(MiB)
            digest.update(block)
            out.write(block)
    upload = subprocess.run(
        ["curl", "-sf", "-T", str(source), "-H", f"Authorization: {headers['Authorization']}",
         f"{suite.gateway}/api/filesystem/data?path=/large/file.bin"],
        capture_output=True, text=True, timeout=300,
    )
    assert upload.returncode == 0, upload.stderr
    file = json.loads(upload.stdout)
    assert file["sha256"] == digest.hexdigest() and file["size"] == 200 * MiB
    download = subprocess.run(
        f"curl -sf -H 'Authorization: {headers['Authorization']}' "
        f"{suite.gateway}/api/filesystem/data/{file['id']} | sha256sum",
        shell=True, capture_output=True, text=True, timeout=300,
    )
    assert download.stdout.split()[0] == digest.hexdigest()


def test_other_users_cannot_reach_a_file(suite, user):
    headers, _ = user
    file = put(suite, headers, "/private/secret.txt", b"mine").json()
    _, stranger = sign_in(suite)
    assert requests.get(f"{suite.gateway}/api/filesystem/data/{file['id']}", headers=stranger).status_code == 404
    assert requests.get(f"{suite.gateway}/api/filesystem/info/{file['id']}", headers=stranger).status_code == 404
    reply = requests.get(f"{suite.gateway}/api/filesystem/info", params={"path": "/private"}, headers=stranger)
    assert reply.status_code == 404


def info(suite, headers, node_id, method="get", suffix="", **kwargs):
    return getattr(requests, method)(f"{suite.gateway}/api/filesystem/info/{node_id}{suffix}", headers=headers, **kwargs)


def test_rename_move_and_no_cycles(suite, user):
    headers, _ = user
    file = put(suite, headers, "/moves/a/file.txt", b"hello").json()
    folder = requests.post(f"{suite.gateway}/api/filesystem/dirs", json={"path": "/moves/b"}, headers=headers).json()
    renamed = info(suite, headers, file["id"], "post", json={"name": "renamed.txt", "tags": ["x"], "attrs": {"k": "v"}})
    assert renamed.status_code == 200 and renamed.json()["path"] == "/moves/a/renamed.txt"
    assert renamed.json()["tags"] == ["x"] and renamed.json()["attrs"] == {"k": "v"}
    moved = info(suite, headers, file["id"], "post", "/move", json={"to": "/moves/b/moved.txt"})
    assert moved.status_code == 200 and moved.json()["path"] == "/moves/b/moved.txt"
    assert requests.get(f"{suite.gateway}/api/filesystem/data/{file['id']}", headers=headers).content == b"hello"
    a = listing(suite, headers, "/moves/a")
    # A folder cannot go into itself or below itself; a taken name is a conflict; a bad name is a 400.
    assert info(suite, headers, folder["id"], "post", "/move", json={"to": "/moves/b/inner"}).status_code == 409
    assert info(suite, headers, a["id"], "post", "/move", json={"to": "/moves/b"}).status_code == 409
    assert info(suite, headers, file["id"], "post", json={"name": "../x"}).status_code == 400
    put(suite, headers, "/moves/b/other.txt", b"o")
    assert info(suite, headers, file["id"], "post", json={"name": "other.txt"}).status_code == 409
    assert info(suite, headers, file["id"], "post", "/move", json={"to": "/nowhere/x.txt"}).status_code == 404
    assert listing(suite, headers, "/moves/b")["children"][0]["name"] == "moved.txt"


def test_trash_restore_and_purge(suite, user):
    headers, agents = user
    baseline = shard_files(agents)
    file = put(suite, headers, "/bin/doc.bin", os.urandom(6 * MiB)).json()
    folder = listing(suite, headers, "/bin")
    assert info(suite, headers, folder["id"], "delete").status_code == 204
    assert requests.get(f"{suite.gateway}/api/filesystem/data/{file['id']}", headers=headers).status_code == 404
    assert requests.get(f"{suite.gateway}/api/filesystem/info", params={"path": "/bin"}, headers=headers).status_code == 404
    trash = requests.get(f"{suite.gateway}/api/filesystem/trash", headers=headers).json()["items"]
    assert [(t["id"], t["path"]) for t in trash][:1] == [(folder["id"], "/bin")]
    restored = requests.post(f"{suite.gateway}/api/filesystem/trash/{folder['id']}/restore", headers=headers)
    assert restored.status_code == 200 and restored.json()["path"] == "/bin"
    assert requests.get(f"{suite.gateway}/api/filesystem/data/{file['id']}", headers=headers).status_code == 200
    # A name taken meanwhile blocks the restore.
    assert info(suite, headers, folder["id"], "delete").status_code == 204
    requests.post(f"{suite.gateway}/api/filesystem/dirs", json={"path": "/bin"}, headers=headers)
    assert requests.post(f"{suite.gateway}/api/filesystem/trash/{folder['id']}/restore", headers=headers).status_code == 409
    # Purging from the trash deletes the chunks: the agents' shard files go back to what they were.
    assert info(suite, headers, folder["id"], "delete", params={"purge": "true"}).status_code == 204
    assert info(suite, headers, folder["id"], "delete").status_code == 404
    assert wait_until(lambda: shard_files(agents) == baseline), "purged chunks were not deleted"


def test_versions_list_and_restore(suite, user):
    headers, _ = user
    first = put(suite, headers, "/versions/v.txt", b"one").json()
    put(suite, headers, "/versions/v.txt", b"two")
    versions = info(suite, headers, first["id"], suffix="/versions").json()["items"]
    assert [(v["version"], v["current"]) for v in versions] == [(2, True), (1, False)]
    restored = info(suite, headers, first["id"], "post", "/versions/1/restore")
    assert restored.status_code == 200 and restored.json()["version"] == 3
    assert requests.get(f"{suite.gateway}/api/filesystem/data/{first['id']}", headers=headers).content == b"one"
    assert info(suite, headers, first["id"], "post", "/versions/9/restore").status_code == 404


def test_settings_and_directory_overrides(suite, user):
    headers, _ = user
    url = f"{suite.gateway}/api/filesystem/settings"
    assert requests.get(url, headers=headers).json() == {"durability": "raid1(2)", "encryption": "aes256-gcm"}
    assert requests.put(url, json={"durability": "raid5"}, headers=headers).status_code == 400
    assert requests.put(url, json={"durability": "rs(2,1)"}, headers=headers).json()["durability"] == "rs(2,1)"
    try:
        assert put(suite, headers, "/settings/plain.txt", b"a").json()["durability"] == "rs(2,1)"
        requests.post(f"{suite.gateway}/api/filesystem/dirs", json={"path": "/settings/important"}, headers=headers)
        override = requests.put(url, params={"path": "/settings/important"}, json={"durability": "raid1(3)"},
                                headers=headers)
        assert override.status_code == 200
        assert put(suite, headers, "/settings/important/deep/x.txt", b"b").json()["durability"] == "raid1(3)"
        assert put(suite, headers, "/settings/important/y.txt", b"c",
                   **{"X-Durability": "raid1(1)"}).json()["durability"] == "raid1(1)"
    finally:
        requests.put(url, json={}, headers=headers)
    assert requests.get(url, headers=headers).json()["durability"] == "raid1(2)"


def test_usage_and_quota(suite, user):
    headers, _ = user
    usage = requests.get(f"{suite.gateway}/api/filesystem/usage", headers=headers).json()
    assert usage["bytes"] > 0 and usage["files"] > 0 and usage["quota"] is None
    _, admin = sign_in(suite, ADMIN_EMAIL)
    _, limited = sign_in(suite)
    me = requests.get(f"{suite.gateway}/api/auth/me", headers=limited).json()["id"]
    quota_url = f"{suite.gateway}/api/filesystem/quotas/{me}"
    assert requests.put(quota_url, json={"bytes": MiB}, headers=limited).status_code == 403
    assert requests.put(quota_url, json={"bytes": MiB}, headers=admin).status_code == 204
    nobody = f"{suite.gateway}/api/filesystem/quotas/{uuid.uuid4()}"
    assert requests.put(nobody, json={"bytes": MiB}, headers=admin).status_code == 404
    declared = put(suite, limited, "/big.bin", os.urandom(2 * MiB))
    assert declared.status_code == 413 and declared.json()["error"]["code"] == "quota_exceeded"
    streamed = put(suite, limited, "/big.bin", iter([os.urandom(MiB // 2) for _ in range(4)]))
    assert streamed.status_code == 413 and "quota" in streamed.json()["error"]["message"]
    after = requests.get(f"{suite.gateway}/api/filesystem/usage", headers=limited).json()
    assert after == {"bytes": 0, "files": 0, "quota": MiB}


def test_multipart_upload_streams_with_fields_before_or_after_the_file(suite, user):
    headers, _ = user
    url = f"{suite.gateway}/api/filesystem/data"
    data = os.urandom(9 * MiB + 11)
    reply = requests.post(url, headers=headers, data={"directory": "/forms"},
                          files={"file": ("upload.bin", data, "application/octet-stream")})
    assert reply.status_code == 201, reply.text
    assert reply.json()["path"] == "/forms/upload.bin" and reply.json()["sha256"] == hashlib.sha256(data).hexdigest()
    assert requests.get(f"{url}/{reply.json()['id']}", headers=headers).content == data
    # The path after the file part, and a durability field: the chunks are stored before the path is known.
    boundary = "cloudstrype-test-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"ignored.txt\"\r\n\r\n".encode()
            + b"late path" + f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"path\"\r\n\r\n/forms/late.txt"
            f"\r\n--{boundary}--\r\n".encode())
    late = requests.post(url, data=body, headers={**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert late.status_code == 201 and late.json()["path"] == "/forms/late.txt", late.text
    again = requests.post(url, headers=headers, data={"path": "/forms/late.txt", "durability": "rs(2,1)"},
                          files={"file": ("x", b"second", "text/plain")})
    assert again.status_code == 200 and again.json()["version"] == 2 and again.json()["durability"] == "rs(2,1)"


def test_broken_multipart_uploads_are_400_and_store_nothing(suite, user):
    headers, _ = user
    url = f"{suite.gateway}/api/filesystem/data"
    before = listing(suite, headers, "/", depth=3)
    form = {**headers, "Content-Type": "multipart/form-data; boundary=xyz"}
    cut = requests.post(url, data=b"--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nabc",
                        headers=form)
    assert cut.status_code == 400 and cut.json()["error"]["code"] == "malformed_form"
    no_file = requests.post(url, headers=headers, files={"path": (None, "/forms/nothing.txt")})
    assert no_file.status_code == 400
    bad_path = requests.post(url, headers=headers, data={"path": "/a/../b"}, files={"file": ("x", b"x")})
    assert bad_path.status_code == 400
    bad_name = requests.post(url, headers=headers, files={"file": ("..", b"x")})
    assert bad_name.status_code == 400
    assert requests.post(url, data=b"x", headers={**headers, "Content-Type": "text/plain"}).status_code == 415
    assert listing(suite, headers, "/", depth=3) == before


def test_share_links_give_exactly_what_they_name(suite, user):
    headers, _ = user
    data = os.urandom(5 * MiB)
    file = put(suite, headers, "/shared/report.pdf", data).json()
    inner = put(suite, headers, "/shared/sub/inner.txt", b"inner bytes").json()
    outside = put(suite, headers, "/not-shared.txt", b"private").json()
    created = info(suite, headers, file["id"], "post", "/links", json={"expires_in": 3600})
    assert created.status_code == 201, created.text
    link = created.json()
    assert link["url"] == f"/api/filesystem/s/{link['token']}"
    anonymous = requests.Session()
    got = anonymous.get(suite.gateway + link["url"])
    assert got.status_code == 200 and got.content == data
    assert anonymous.get(suite.gateway + link["url"], headers={"Range": "bytes=0-9"}).content == data[:10]
    meta = anonymous.get(suite.gateway + link["url"] + "/info").json()
    assert meta["name"] == "report.pdf" and meta["size"] == len(data) and meta["path"] == "/report.pdf"
    listed = info(suite, headers, file["id"], suffix="/links").json()["items"]
    assert [l["id"] for l in listed] == [link["id"]] and "token" not in listed[0]
    # A folder link reaches what is below the folder, and nothing else.
    folder = listing(suite, headers, "/shared")
    folder_link = info(suite, headers, folder["id"], "post", "/links", json={}).json()
    base = suite.gateway + folder_link["url"]
    assert {c["name"] for c in anonymous.get(base).json()["children"]} == {"report.pdf", "sub"}
    assert anonymous.get(f"{base}/files/{inner['id']}").content == b"inner bytes"
    assert anonymous.get(f"{base}/files/{outside['id']}").status_code == 404
    # Bad requests, revocation, and links to trashed files.
    assert info(suite, headers, file["id"], "post", "/links", json={"expires_in": 5}).status_code == 400
    assert anonymous.get(f"{suite.gateway}/api/filesystem/s/csl_nonsense").status_code == 404
    _, stranger = sign_in(suite)
    assert info(suite, stranger, file["id"], "post", "/links", json={}).status_code == 404
    assert info(suite, stranger, file["id"], "delete", f"/links/{link['id']}").status_code == 404
    assert info(suite, headers, file["id"], "delete", f"/links/{link['id']}").status_code == 204
    assert anonymous.get(suite.gateway + link["url"]).status_code == 404
    assert info(suite, headers, folder["id"], "delete").status_code == 204
    assert anonymous.get(base).status_code == 404


def test_download_tickets_stream_a_file_without_a_token_for_a_minute(suite, user):
    headers, _ = user
    data = os.urandom(3 * MiB + 7)
    file = put(suite, headers, "/tickets/movie.mkv", data).json()
    created = info(suite, headers, file["id"], "post", "/download")
    assert created.status_code == 201, created.text
    ticket = created.json()
    assert ticket["url"].startswith("/api/filesystem/d/csd_")
    assert 50 <= time_left(ticket["expires"]) <= 61
    anonymous = requests.Session()
    got = anonymous.get(suite.gateway + ticket["url"])
    assert got.status_code == 200 and got.content == data
    assert got.headers["Content-Disposition"].startswith('attachment; filename="movie.mkv"')
    ranged = anonymous.get(suite.gateway + ticket["url"], headers={"Range": "bytes=5-14"})
    assert ranged.status_code == 206 and ranged.content == data[5:15]
    # Only the file's readers get tickets; folders, unknown and forged tickets are refused.
    _, stranger = sign_in(suite)
    assert info(suite, stranger, file["id"], "post", "/download").status_code == 404
    folder = listing(suite, headers, "/tickets")
    assert info(suite, headers, folder["id"], "post", "/download").status_code == 400
    assert anonymous.get(suite.gateway + ticket["url"] + "x").status_code == 404
    assert anonymous.get(f"{suite.gateway}/api/filesystem/d/{'a' * 200}").status_code == 404
    # A ticket ends with the reader's access: a trashed file no longer downloads.
    assert info(suite, headers, file["id"], "delete").status_code == 204
    gone = anonymous.get(suite.gateway + ticket["url"])
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"


def time_left(stamp):
    expires = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return (expires - datetime.datetime.now(datetime.timezone.utc)).total_seconds()


def test_multipart_sessions_take_parts_in_any_order(suite, user):
    headers, agents = user
    url = f"{suite.gateway}/api/filesystem/uploads"
    data = os.urandom(10 * MiB + 5)
    assert requests.post(url, json={"path": "/parts/x.bin", "size": 10, "part_size": 1000},
                         headers=headers).status_code == 400
    session = requests.post(url, json={"path": "/parts/x.bin", "size": len(data), "part_size": 4 * MiB},
                            headers=headers)
    assert session.status_code == 201, session.text
    session = session.json()
    parts = session["parts"]
    assert [(p["part"], p["size"]) for p in parts] == [(1, 4 * MiB), (2, 4 * MiB), (3, 2 * MiB + 5)]
    piece = {1: data[:4 * MiB], 2: data[4 * MiB:8 * MiB], 3: data[8 * MiB:]}
    # Part URLs need no token; a forged signature or a wrong length is refused.
    forged = parts[0]["url"].replace("signature=", "signature=0")
    assert requests.put(suite.gateway + forged, data=piece[1]).status_code == 403
    assert requests.put(suite.gateway + parts[0]["url"], data=piece[1][:-1]).status_code == 400
    for number in (3, 1):
        assert requests.put(suite.gateway + parts[number - 1]["url"], data=piece[number]).status_code == 200
    early = requests.post(f"{url}/{session['upload_id']}/complete", headers=headers)
    assert early.status_code == 409 and "2" in early.json()["error"]["message"]
    assert [p["received"] for p in requests.get(f"{url}/{session['upload_id']}", headers=headers).json()["parts"]] == \
        [True, False, True]
    baseline = shard_files(agents)
    assert requests.put(suite.gateway + parts[1]["url"], data=piece[2]).status_code == 200
    # Sending a part again replaces it; the first copy's chunks are collected.
    assert requests.put(suite.gateway + parts[1]["url"], data=piece[2]).status_code == 200
    done = requests.post(f"{url}/{session['upload_id']}/complete", headers=headers)
    assert done.status_code == 201, done.text
    assert done.json()["sha256"] == hashlib.sha256(data).hexdigest() and done.json()["size"] == len(data)
    assert requests.get(f"{suite.gateway}/api/filesystem/data/{done.json()['id']}", headers=headers).content == data
    assert wait_until(lambda: len(shard_files(agents)) == len(baseline) + 2), "the replaced part was not collected"
    assert requests.get(f"{url}/{session['upload_id']}", headers=headers).status_code == 404
    # Aborting deletes what was stored.
    before = shard_files(agents)
    aborted = requests.post(url, json={"path": "/parts/y.bin", "size": 5 * MiB, "part_size": 4 * MiB},
                            headers=headers).json()
    assert requests.put(suite.gateway + aborted["parts"][0]["url"], data=os.urandom(4 * MiB)).status_code == 200
    _, stranger = sign_in(suite)
    assert requests.delete(f"{url}/{aborted['upload_id']}", headers=stranger).status_code == 404
    assert requests.delete(f"{url}/{aborted['upload_id']}", headers=headers).status_code == 204
    assert requests.put(suite.gateway + aborted["parts"][1]["url"], data=os.urandom(MiB)).status_code == 404
    assert wait_until(lambda: shard_files(agents) == before), "an aborted session's chunks were not collected"


def test_a_file_shows_where_its_shards_are(suite, user):
    headers, agents = user
    data = os.urandom(9 * MiB)
    file = put(suite, headers, "/placement/spread.bin", data, **{"X-Durability": "rs(2,1)"}).json()
    url = f"{suite.gateway}/api/filesystem/info/{file['id']}/chunks"
    page = requests.get(url, headers=headers).json()
    assert page["total"] == 3 and [c["size"] for c in page["items"]] == [4 * MiB, 4 * MiB, MiB]
    members = {a.member_id for a in agents}
    for chunk in page["items"]:
        assert chunk["durability"] == "rs(2,1)" and chunk["health"] == "healthy"
        assert len(chunk["shards"]) == 3 and {s["backend_id"] for s in chunk["shards"]} == members
        assert all(s["backend"] == "array" and s["state"] == "ok" for s in chunk["shards"])
    second = requests.get(url, params={"limit": 1, "offset": 2}, headers=headers).json()
    assert [c["chunk_id"] for c in second["items"]] == [page["items"][2]["chunk_id"]]
    _, stranger = sign_in(suite)
    assert requests.get(url, headers=stranger).status_code == 404
