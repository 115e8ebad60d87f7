"""Attacks on cloud's accounts. S3 endpoints on loopback, private, link-local or other non-public addresses, in any
spelling, are refused with 400 before cloud connects anywhere (finding 5); a failed probe answers a fixed message,
never what the endpoint said. Local-directory accounts live only inside LOCAL_STORAGE_ROOTS, symlinks resolved,
and a link swapped in after creation leads nowhere (finding 3).

Every address these tests make cloud consider is loopback, or is sent only once loopback proved refused without a
connection: on code without the policy, no test makes cloud connect to a non-loopback address.

Deploy/run sets LOCAL_STORAGE_ROOTS to <run dir>/storage and Deploy/test sets ALLOWED_PRIVATE_ENDPOINTS to moto's
address: the wrong-secret probe goes to moto."""

import shutil
import socket
import threading
import uuid

import pytest
import requests

from conftest import ADMIN_EMAIL, SERVICES
from helpers import sign_in
from test_cloud import account_request

# Spellings of the loopback address (the listener's, with its port); [::1] and [::] reach no IPv4 listener but are
# loopback all the same.
LOOPBACK_HOSTS = [
    "127.0.0.1", "localhost", "127.1", "0x7f.1", "2130706433", "0177.0.0.1", "017700000001", "0x7f000001",
    "[::ffff:127.0.0.1]", "0.0.0.0", "[::1]", "[::]",
]
# Never connected to: sent only when the loopback spellings were refused without a connection.
PRIVATE_HOSTS = [
    "10.0.0.1", "172.16.0.1", "192.168.0.1", "169.254.169.254", "100.64.0.1", "224.0.0.1", "[fe80::1]", "[fc00::1]",
    "[::ffff:10.0.0.1]", "[::ffff:169.254.169.254]",
]
OUTSIDE_MESSAGE = "path: must lie inside one of the server's LOCAL_STORAGE_ROOTS"


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it gets and closes each at once."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while self.running:
            try:
                connection, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            connection.close()

    def close(self):
        self.running = False
        self.thread.join(2)
        self.sock.close()


def accounts_url(suite):
    return f"{suite.gateway}/api/cloud/accounts"


def fake_account(endpoint, bucket="some-bucket"):
    return {"provider": "s3", "name": "fake", "endpoint": endpoint, "region": "us-east-1", "bucket": bucket,
            "prefix": "p", "path_style": True, "access_key_id": "AKIDEXAMPLE",
            "secret_access_key": "fake-secret-0123456789"}


def error(reply):
    try:
        return reply.status_code, reply.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return reply.status_code, None


@pytest.fixture(scope="module")
def user(suite):
    return sign_in(suite)[1]


@pytest.fixture(scope="module")
def admin(suite):
    return sign_in(suite, ADMIN_EMAIL)[1]


@pytest.fixture(scope="module")
def loopback(suite, user):
    """Every loopback spelling posted as an endpoint at a listener: the answers, and how many connections the
    listener got (after a pause, so a late probe would still be seen)."""
    listener = Listener()
    try:
        answers = {}
        for host in LOOPBACK_HOSTS:
            reply = requests.post(accounts_url(suite), json=fake_account(f"http://{host}:{listener.port}"),
                                  headers=user, timeout=60)
            answers[host] = error(reply)
        threading.Event().wait(0.5)
        return answers, listener.connections
    finally:
        listener.close()


def test_loopback_endpoints_are_refused_before_any_connection(suite, user, loopback):
    """Today cloud probes any endpoint: the listener sees cloud connect and the answers are 422s."""
    answers, connections = loopback
    assert connections == 0, f"cloud connected {connections} times to the loopback listener"
    assert all(answer == (400, "endpoint_not_allowed") for answer in answers.values()), answers
    assert requests.get(accounts_url(suite), headers=user).json()["items"] == []


@pytest.mark.parametrize("host", PRIVATE_HOSTS)
def test_private_and_link_local_endpoints_are_refused(suite, user, loopback, host):
    """Sent only once loopback was refused without a connection (today it is not, so this fails without sending
    anything: cloud would try to connect to the address)."""
    answers, connections = loopback
    if connections or any(answer != (400, "endpoint_not_allowed") for answer in answers.values()):
        pytest.fail("loopback endpoints were not refused without a connection: private addresses are not sent")
    reply = requests.post(accounts_url(suite), json=fake_account(f"http://{host}:9000"), headers=user, timeout=30)
    assert error(reply) == (400, "endpoint_not_allowed"), reply.text
    assert reply.json()["error"]["field"] == "endpoint"


@pytest.mark.parametrize("name", SERVICES)
def test_the_suites_own_services_are_not_endpoints(suite, user, name):
    """Today an account at auth's port makes cloud PUT to auth and answers 422 with auth's own words."""
    reply = requests.post(accounts_url(suite), json=fake_account(suite.service_url(name)), headers=user, timeout=30)
    assert error(reply) == (400, "endpoint_not_allowed"), reply.text


def test_probe_failures_do_not_relay_what_the_endpoint_said(suite, user):
    """Against moto (allowed by the operator): today the 422 carries moto's SignatureDoesNotMatch and NoSuchBucket."""
    wrong = requests.post(accounts_url(suite), json=account_request(secret="wrong-secret"), headers=user, timeout=30)
    assert error(wrong) == (422, "account_probe_failed"), wrong.text
    assert wrong.json()["error"]["message"] == "the provider refused the credentials"
    assert "SignatureDoesNotMatch" not in wrong.text
    missing = {**account_request(), "bucket": f"no-such-bucket-{uuid.uuid4().hex[:8]}"}
    absent = requests.post(accounts_url(suite), json=missing, headers=user, timeout=30)
    assert error(absent) == (422, "account_probe_failed"), absent.text
    assert absent.json()["error"]["message"] == "the bucket does not exist"
    assert "NoSuchBucket" not in absent.text
    assert requests.get(accounts_url(suite), headers=user).json()["items"] == []


def storage_root(suite):
    """LOCAL_STORAGE_ROOTS of the suite, as Deploy/run sets it."""
    root = suite.run_dir / "storage"
    root.mkdir(exist_ok=True)
    return root


def create_local(suite, admin, path):
    return requests.post(accounts_url(suite), json={"provider": "local", "name": "disk", "path": str(path)},
                         headers=admin, timeout=30)


def remove_account(suite, admin, reply):
    if reply.status_code == 201:
        requests.delete(f"{accounts_url(suite)}/{reply.json()['id']}", headers=admin)


def test_local_paths_outside_the_roots_are_refused(suite, admin, tmp_path):
    """Today the admin's accounts at the suite's own run directory (its secrets.env), a sibling of the root, and
    links under the root that lead out are all accepted (and a directory is made behind the link)."""
    root = storage_root(suite)
    outside = tmp_path / "outside"
    outside.mkdir()
    link = root / f"link-out-{uuid.uuid4().hex[:8]}"
    link.symlink_to(outside)
    try:
        for path in [suite.run_dir, suite.run_dir / "logs", f"{root}2", link, link / "sub", outside]:
            reply = create_local(suite, admin, path)
            remove_account(suite, admin, reply)
            assert error(reply) == (400, "local_path_not_allowed"), f"{path}: {reply.text}"
            # The same words whatever lies there: nothing about the server's files beyond the path given.
            assert reply.json()["error"]["message"] == OUTSIDE_MESSAGE
        assert list(outside.iterdir()) == []
    finally:
        link.unlink()


def test_local_paths_must_be_plain_absolute_paths(suite, admin):
    """Today `/./` segments pass (relative paths, `..` and NUL were already refused)."""
    root = storage_root(suite)
    for path in ["relative/dir", f"{root}/../escape", f"{root}/./dot", f"{root}/a\u0000b"]:
        reply = create_local(suite, admin, path)
        remove_account(suite, admin, reply)
        assert reply.status_code == 400 and reply.json()["error"].get("field") == "path", f"{path!r}: {reply.text}"


def test_a_link_swapped_in_after_creation_leads_nowhere(suite, admin, tmp_path):
    """Today the account's directory is used as it is at each write: once it is a link, objects land outside."""
    root = storage_root(suite)
    outside = tmp_path / "outside"
    outside.mkdir()
    directory = root / f"swap-{uuid.uuid4().hex[:8]}"
    created = create_local(suite, admin, directory)
    assert created.status_code == 201, created.text
    url = f"{accounts_url(suite)}/{created.json()['id']}/objects/note.txt"
    try:
        assert requests.put(url, data=b"inside", headers=admin).status_code == 201
        shutil.rmtree(directory)
        directory.symlink_to(outside)
        swapped = requests.put(url, data=b"outside", headers=admin)
        assert error(swapped) == (502, "local_path_not_allowed"), swapped.text
        assert requests.get(url, headers=admin).status_code == 502
        assert list(outside.iterdir()) == []
    finally:
        remove_account(suite, admin, created)
        if directory.is_symlink():
            directory.unlink()
