"""Hostile clients at the gateway, bounded in time: an overlong request line and an oversized header get JSON
errors, not nginx pages; clients that send their headers or bodies a byte at a time (slowloris) do not keep others
out, and their uploads never appear; the gateway closes a client that takes too long over its headers or stalls in
its body. (An upload cut off midway: test_filesystem.py.)"""

import socket
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import requests

from conftest import CLIENT_TIMEOUT_SECONDS
from helpers import MiB, sign_in


def gateway_address(suite):
    parsed = urllib.parse.urlparse(suite.gateway)
    return parsed.hostname, parsed.port


def upload_head(suite, headers, path, length):
    """The request line and headers of an upload of `length` bytes to `path`, sent raw by a slow client."""
    return (f"PUT /api/filesystem/data?path={path} HTTP/1.1\r\nHost: {gateway_address(suite)[0]}\r\n"
            f"Authorization: {headers['Authorization']}\r\nContent-Length: {length}\r\n\r\n").encode()


def unfinished_header(suite):
    """A request whose last header is never finished: what a slowloris client sends before trickling."""
    return f"GET /api/auth/health HTTP/1.1\r\nHost: {gateway_address(suite)[0]}\r\nX-Slow: ".encode()


def root_names(suite, headers):
    """The names in the user's root folder."""
    reply = requests.get(f"{suite.gateway}/api/filesystem/info", params={"path": "/"}, headers=headers)
    return [child["name"] for child in reply.json()["children"]]


def test_an_overlong_request_line_is_a_json_414(suite):
    reply = requests.get(f"{suite.gateway}/api/auth/lookup/group", params={"name": "a" * 100_000})
    assert reply.status_code == 414 and reply.headers["Content-Type"].startswith("application/json")
    assert reply.json()["error"]["code"] == "uri_too_long"


def test_an_oversized_header_is_a_json_400(suite):
    reply = requests.get(f"{suite.gateway}/api/auth/health", headers={"X-Big": "a" * 20_000})
    assert reply.status_code == 400 and reply.headers["Content-Type"].startswith("application/json")
    assert reply.json()["error"]["code"] == "bad_request"


def trickle(suite, first_bytes, seconds, stop):
    """Opens a connection, sends `first_bytes`, then one more byte a second until `stop` or `seconds` pass."""
    try:
        connection = socket.create_connection(gateway_address(suite), timeout=5)
    except OSError:
        return
    try:
        connection.sendall(first_bytes)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not stop.is_set():
            connection.sendall(b"x")
            stop.wait(1)
    except OSError:
        pass
    finally:
        connection.close()


def test_slow_clients_do_not_keep_others_out(suite):
    _, headers = sign_in(suite)
    stop = threading.Event()
    slow_headers = unfinished_header(suite)
    slow_body = upload_head(suite, headers, "/slow.bin", 10 * MiB)
    threads = [threading.Thread(target=trickle, args=(suite, slow_headers if n % 2 else slow_body, 8, stop))
               for n in range(100)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1)
        for _ in range(5):
            started = time.monotonic()
            assert requests.get(f"{suite.gateway}/api/auth/health", timeout=5).status_code == 200
            listing = requests.get(f"{suite.gateway}/api/filesystem/info", params={"path": "/"}, headers=headers,
                                   timeout=5)
            assert listing.status_code == 200, listing.text
            assert time.monotonic() - started < 2, "a normal request waited behind the slow clients"
            time.sleep(0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
    # The slow uploads never finished: no file appears.
    assert "slow.bin" not in root_names(suite, headers)



def seconds_until_closed(suite, first_bytes, keep_sending, limit):
    """Sends `first_bytes`, then (when `keep_sending`) one byte a second, and returns how long the gateway took to
    close the connection, or None if it was still open after `limit` seconds."""
    connection = socket.create_connection(gateway_address(suite), timeout=5)
    started = time.monotonic()
    try:
        connection.sendall(first_bytes)
        connection.settimeout(1)
        while time.monotonic() - started < limit:
            try:
                if keep_sending:
                    connection.sendall(b"x")
                if connection.recv(65536) == b"":
                    return time.monotonic() - started
            except socket.timeout:
                continue
            except OSError:
                return time.monotonic() - started
        return None
    finally:
        connection.close()


def test_the_gateway_closes_clients_too_slow_with_their_headers_or_body(suite):
    _, headers = sign_in(suite)
    # One header a byte a second: the header timeout counts from the start, so trickling does not reset it.
    trickled_header = unfinished_header(suite)
    # A body that stops after its first bytes.
    stalled_body = upload_head(suite, headers, "/stalled.bin", MiB) + b"0123456789"
    limit = CLIENT_TIMEOUT_SECONDS + 10
    with ThreadPoolExecutor(2) as pool:
        header_wait = pool.submit(seconds_until_closed, suite, trickled_header, True, limit)
        body_wait = pool.submit(seconds_until_closed, suite, stalled_body, False, limit)
        header_closed, body_closed = header_wait.result(), body_wait.result()
    assert header_closed is not None, "a client trickling its header was never closed"
    assert body_closed is not None, "a client stalled in its body was never closed"
    for closed in (header_closed, body_closed):
        assert CLIENT_TIMEOUT_SECONDS - 1 <= closed <= CLIENT_TIMEOUT_SECONDS + 5, closed
    # The stalled upload stored nothing.
    assert "stalled.bin" not in root_names(suite, headers)
