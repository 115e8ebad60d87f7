"""tus 1.0.0 at /api/filesystem/tus/ with a real client (tuspy): a 200 MiB upload is cut off mid-request, resumes
from what the server kept, and the stored file matches; every chunk was stored exactly once. Protocol details:
discovery, version check, offsets, content type, checksums, termination, creation-with-upload."""

import base64
import hashlib
import os
import socket
import time

import pytest
import requests
from tusclient import client as tus

from helpers import MiB, Agent, sign_in, wait_online
from test_filesystem import shard_files


@pytest.fixture(scope="module")
def user(suite, tmp_path_factory):
    email, headers = sign_in(suite)
    agents = [Agent(suite, tmp_path_factory.mktemp(f"tus-agent{i}"), email, f"tus-{i}").start() for i in range(2)]
    for agent in agents:
        wait_online(suite, headers, agent)
    yield headers, agents
    for agent in agents:
        agent.kill()


def tus_headers(headers, **extra):
    return {**headers, "Tus-Resumable": "1.0.0", **extra}


def metadata(**values):
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())




def test_an_interrupted_upload_resumes_and_stores_each_chunk_once(suite, user, tmp_path):
    headers, agents = user
    source = tmp_path / "big.bin"
    with open(source, "wb") as out:
        for _ in range(200):
            out.write(os.urandom(MiB))
    content = source.read_bytes()
    before = len(shard_files(agents))
    client = tus.TusClient(f"{suite.gateway}/api/filesystem/tus/", headers=headers)
    uploader = client.uploader(str(source), chunk_size=16 * MiB, metadata={"filename": "big.bin", "path": "/tus/"})
    uploader.upload(stop_at=60 * MiB)
    assert uploader.url.startswith(f"{suite.gateway}/api/filesystem/tus/")
    location = uploader.url[len(suite.gateway):]
    offset = int(requests.head(uploader.url, headers=tus_headers(headers)).headers["Upload-Offset"])
    assert offset >= 60 * MiB
    # The connection drops in the middle of a request: the server keeps what arrived.
    with socket.create_connection(("127.0.0.1", int(suite.env["GATEWAY_PORT"]))) as connection:
        connection.sendall((
            f"PATCH {location} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {headers['Authorization']}\r\n"
            f"Tus-Resumable: 1.0.0\r\nUpload-Offset: {offset}\r\nContent-Type: application/offset+octet-stream\r\n"
            f"Content-Length: {100 * MiB}\r\n\r\n").encode())
        connection.sendall(content[offset:offset + 40 * MiB])
        time.sleep(1)
    deadline = time.monotonic() + 20
    kept = offset
    while time.monotonic() < deadline:
        kept = int(requests.head(uploader.url, headers=tus_headers(headers)).headers["Upload-Offset"])
        if kept > offset:
            break
        time.sleep(0.2)
    assert offset < kept <= offset + 40 * MiB, "the server kept nothing of the cut-off request"
    resumed = client.uploader(str(source), url=uploader.url, chunk_size=16 * MiB)
    resumed.upload()
    assert requests.head(uploader.url, headers=tus_headers(headers)).status_code == 404, "a finished upload is gone"
    listing = requests.get(f"{suite.gateway}/api/filesystem/info", params={"path": "/tus/big.bin"}, headers=headers)
    assert listing.status_code == 200, listing.text
    file = listing.json()
    assert file["size"] == len(content) and file["sha256"] == hashlib.sha256(content).hexdigest()
    got = requests.get(f"{suite.gateway}/api/filesystem/data/{file['id']}", headers=headers)
    assert hashlib.sha256(got.content).hexdigest() == file["sha256"]
    # 200 MiB in 4 MiB chunks, two copies each: nothing was stored twice (and no orphan waits for collection).
    assert len(shard_files(agents)) - before == 2 * 50


def test_protocol_details(suite, user):
    headers, _ = user
    url = f"{suite.gateway}/api/filesystem/tus/"
    options = requests.options(url)
    assert options.status_code == 204 and options.headers["Tus-Version"] == "1.0.0"
    assert "creation-with-upload" in options.headers["Tus-Extension"]
    assert "sha256" in options.headers["Tus-Checksum-Algorithm"]
    assert requests.post(url, headers={**headers, "Upload-Length": "5"}).status_code == 412
    assert requests.post(url, headers=tus_headers(headers)).status_code == 400
    assert requests.post(url, headers=tus_headers({}, **{"Upload-Length": "5"})).status_code == 401
    bad_path = requests.post(url, headers=tus_headers(headers, **{
        "Upload-Length": "5", "Upload-Metadata": metadata(path="/a/../b")}))
    assert bad_path.status_code == 400
    # Creation with upload: the whole small file in the first request.
    done = requests.post(url, data=b"hello", headers=tus_headers(headers, **{
        "Upload-Length": "5", "Upload-Metadata": metadata(filename="hello.txt", path="/tus-small/"),
        "Content-Type": "application/offset+octet-stream"}))
    assert done.status_code == 201 and done.headers["Upload-Offset"] == "5", done.text
    assert done.headers["Location"].startswith("/api/filesystem/tus/")
    small = requests.get(f"{suite.gateway}/api/filesystem/info", params={"path": "/tus-small/hello.txt"},
                         headers=headers).json()
    assert small["sha256"] == hashlib.sha256(b"hello").hexdigest()
    # Offsets, content type and checksums on a second upload.
    created = requests.post(url, headers=tus_headers(headers, **{
        "Upload-Length": "10", "Upload-Metadata": metadata(filename="ten.txt")}))
    assert created.status_code == 201 and "Upload-Expires" in created.headers
    target = suite.gateway + created.headers["Location"]
    patch = {"Content-Type": "application/offset+octet-stream"}
    assert requests.patch(target, data=b"abc", headers=tus_headers(headers, **patch, **{"Upload-Offset": "3"})
                          ).status_code == 409
    assert requests.patch(target, data=b"abc", headers=tus_headers(headers, **{"Upload-Offset": "0"})
                          ).status_code == 415
    wrong = base64.b64encode(hashlib.sha256(b"xyz").digest()).decode()
    mismatch = requests.patch(target, data=b"abc", headers=tus_headers(headers, **patch, **{
        "Upload-Offset": "0", "Upload-Checksum": f"sha256 {wrong}"}))
    assert mismatch.status_code == 460
    assert requests.head(target, headers=tus_headers(headers)).headers["Upload-Offset"] == "0"
    right = base64.b64encode(hashlib.sha1(b"abc").digest()).decode()
    good = requests.patch(target, data=b"abc", headers=tus_headers(headers, **patch, **{
        "Upload-Offset": "0", "Upload-Checksum": f"sha1 {right}"}))
    assert good.status_code == 204 and good.headers["Upload-Offset"] == "3"
    assert requests.patch(target, data=b"0123456789", headers=tus_headers(headers, **patch, **{"Upload-Offset": "3"})
                          ).status_code == 413
    _, stranger = sign_in(suite)
    assert requests.head(target, headers=tus_headers(stranger)).status_code == 404
    assert requests.delete(target, headers=tus_headers(headers)).status_code == 204
    assert requests.head(target, headers=tus_headers(headers)).status_code == 404
    assert requests.get(f"{suite.gateway}/api/filesystem/info", params={"path": "/ten.txt"},
                        headers=headers).status_code == 404
