"""Google Cloud Storage accounts (`provider: "gcs"`) with a service account's JSON key, against fake-gcs-server
(Deploy/test starts it) behind a fake of Google's side that fake-gcs-server lacks: the OAuth 2.0 token endpoint
of the JWT bearer grant, and a front that admits only the access tokens it issued.

The fake follows Google's documentation, not our client:
- https://developers.google.com/identity/protocols/oauth2/service-account#authorizingrequests (the assertion:
  RS256, `kid` the key's id, claims `iss` the client email, `scope`, `aud` the token URI, `iat`, `exp` at most an
  hour later; the form `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=…`; the answer
  `{"access_token", "expires_in", "token_type": "Bearer"}`, a refusal `{"error": "invalid_grant", …}` with 400);
- https://cloud.google.com/storage/docs/json_api/v1/status-codes (a missing or refused token is 401 with the JSON
  error document)."""

import hashlib
import http.client
import http.server
import json
import os
import secrets
import threading
import time
import urllib.parse
import uuid

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

PASSWORD = "correct horse battery staple"
SCOPE = "https://www.googleapis.com/auth/devstorage.read_write"
GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def environment():
    missing = [name for name in ("GCS_TEST_EMULATOR", "GOOGLE_TEST_PORT") if not os.environ.get(name)]
    assert not missing, f"Deploy/test sets {missing}: run through it"
    return os.environ["GCS_TEST_EMULATOR"], int(os.environ["GOOGLE_TEST_PORT"])


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeGoogle(http.server.ThreadingHTTPServer):
    """Google's token endpoint for registered service accounts, and an authorising front of fake-gcs-server."""

    daemon_threads = True

    def __init__(self, port, emulator):
        super().__init__(("127.0.0.1", port), FakeGoogleHandler)
        self.emulator = urllib.parse.urlsplit(emulator)
        self.token_uri = f"http://127.0.0.1:{port}/token"
        self.accounts = {}  # client_email → (key id, public key)
        self.tokens = set()
        self.grants = 0
        self.lock = threading.Lock()

    def register(self, email, key_id, public_key):
        self.accounts[email] = (key_id, public_key)

    def revoke_all(self):
        with self.lock:
            self.tokens.clear()

    def grant(self, form):
        if form.get("grant_type") != GRANT:
            return 400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type."}
        assertion = form.get("assertion", "")
        try:
            header = jwt.get_unverified_header(assertion)
            claims = jwt.decode(assertion, options={"verify_signature": False})
            key_id, public_key = self.accounts[claims["iss"]]
            if header.get("alg") != "RS256" or header.get("kid") != key_id:
                raise jwt.InvalidTokenError("wrong alg or kid")
            claims = jwt.decode(assertion, public_key, algorithms=["RS256"], audience=self.token_uri,
                                options={"require": ["iss", "aud", "iat", "exp", "scope"]})
            if claims["exp"] - claims["iat"] > 3600 or SCOPE not in claims["scope"].split():
                raise jwt.InvalidTokenError("lifetime or scope")
        except (KeyError, jwt.InvalidTokenError):
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        token = "ya29." + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens.add(token)
            self.grants += 1
        return 200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}


class FakeGoogleHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, document):
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def handle_any(self):
        server = self.server
        if self.path == "/token" and self.command == "POST":
            form = dict(urllib.parse.parse_qsl(self.body().decode()))
            self.answer(*server.grant(form))
            return
        body = self.body()
        bearer = self.headers.get("Authorization", "")
        with server.lock:
            admitted = bearer.startswith("Bearer ") and bearer[7:] in server.tokens
        if not admitted:
            self.answer(401, {"error": {"code": 401, "message": "Invalid Credentials",
                                        "errors": [{"reason": "authError", "message": "Invalid Credentials"}]}})
            return
        upstream = http.client.HTTPConnection(server.emulator.hostname, server.emulator.port, timeout=60)
        headers = {name: self.headers[name] for name in ("Content-Type", "Range") if self.headers.get(name)}
        upstream.request(self.command, self.path, body=body, headers=headers)
        reply = upstream.getresponse()
        content = reply.read()
        self.send_response(reply.status)
        for name in ("Content-Type", "Content-Range"):
            if reply.getheader(name):
                self.send_header(name, reply.getheader(name))
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)
        upstream.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_any


@pytest.fixture(scope="module")
def google():
    emulator, port = environment()
    server = FakeGoogle(port, emulator)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def bucket():
    emulator, _ = environment()
    name = f"strype-{uuid.uuid4().hex[:10]}"
    made = requests.post(f"{emulator}/storage/v1/b", params={"project": "test"}, json={"name": name})
    assert made.status_code == 200, made.text
    return name


def key_file(google, key=None, register=True, email=None):
    key = key or rsa_key()
    email = email or f"strype-{uuid.uuid4().hex[:6]}@test-project.iam.gserviceaccount.com"
    key_id = secrets.token_hex(20)
    if register:
        google.register(email, key_id, key.public_key())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return {"type": "service_account", "project_id": "test-project", "private_key_id": key_id, "private_key": pem,
            "client_email": email, "client_id": "1234567890", "token_uri": google.token_uri}


def sign_in(suite):
    email = f"gcs-{uuid.uuid4().hex[:8]}@example.com"
    requests.post(f"{suite.gateway}/api/auth/register", json={"email": email, "password": PASSWORD, "name": "G"})
    token = requests.post(f"{suite.gateway}/api/auth/login", json={"email": email, "password": PASSWORD}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def account_request(google, bucket, key):
    return {"provider": "gcs", "name": "google", "endpoint": f"http://127.0.0.1:{google.server_port}",
            "bucket": bucket, "prefix": f"e2e-{uuid.uuid4().hex[:6]}", "service_account_key": json.dumps(key)}


def test_a_gcs_account_stores_objects_with_its_service_account(suite, google, bucket):
    headers = sign_in(suite)
    key = key_file(google)
    grants = google.grants
    request = account_request(google, bucket, key)
    created = requests.post(f"{suite.gateway}/api/cloud/accounts", json=request, headers=headers)
    assert created.status_code == 201, created.text
    assert key["private_key"].splitlines()[1] not in created.text and "PRIVATE KEY" not in created.text
    account = created.json()
    assert account["provider"] == "gcs" and account["bucket"] == bucket and account["health"] == "healthy"
    assert google.grants > grants, "the probe went through the JWT bearer grant"

    data = os.urandom(5 * 1024 * 1024 + 7)
    digest = hashlib.sha256(data).hexdigest()
    url = f"{suite.gateway}/api/cloud/accounts/{account['id']}/objects/e2e/a-b_c.bin"
    put = requests.put(url, data=data, headers={**headers, "X-Content-SHA256": digest})
    assert put.status_code == 201, put.text
    assert put.json() == {"key": "e2e/a-b_c.bin", "size": len(data), "sha256": digest}
    # Stored under the account's prefix, with the name as given.
    emulator, _ = environment()
    listed = requests.get(f"{emulator}/storage/v1/b/{bucket}/o", params={"prefix": request["prefix"] + "/"}).json()
    assert [item["name"] for item in listed.get("items", [])] == [request["prefix"] + "/e2e/a-b_c.bin"]
    assert requests.get(url, headers=headers).content == data
    part = requests.get(url, headers={**headers, "Range": "bytes=1000-1999"})
    assert part.status_code == 206 and part.content == data[1000:2000]
    assert requests.head(url, headers=headers).headers["Content-Length"] == str(len(data))
    assert requests.delete(url, headers=headers).status_code == 204
    assert requests.get(url, headers=headers).status_code == 404


def test_a_body_that_does_not_match_its_hash_leaves_nothing(suite, google, bucket):
    headers = sign_in(suite)
    created = requests.post(f"{suite.gateway}/api/cloud/accounts", json=account_request(google, bucket, key_file(google)),
                            headers=headers)
    assert created.status_code == 201, created.text
    url = f"{suite.gateway}/api/cloud/accounts/{created.json()['id']}/objects/bad.bin"
    put = requests.put(url, data=b"x" * 1000, headers={**headers, "X-Content-SHA256": "0" * 64})
    assert put.status_code == 400, put.text
    assert requests.get(url, headers=headers).status_code == 404


def test_a_token_refused_mid_use_is_fetched_again(suite, google, bucket):
    headers = sign_in(suite)
    created = requests.post(f"{suite.gateway}/api/cloud/accounts", json=account_request(google, bucket, key_file(google)),
                            headers=headers)
    assert created.status_code == 201, created.text
    url = f"{suite.gateway}/api/cloud/accounts/{created.json()['id']}/objects/kept.bin"
    assert requests.put(url, data=b"kept", headers=headers).status_code == 201
    grants = google.grants
    google.revoke_all()
    assert requests.get(url, headers=headers).content == b"kept"
    assert google.grants == grants + 1


@pytest.mark.parametrize("case", ["not json", "not a service account", "no private key", "token uri with password",
                                  "unknown to google", "signed by another key"])
def test_a_bad_or_refused_key_is_refused_and_saves_nothing(suite, google, bucket, case):
    headers = sign_in(suite)
    key = key_file(google)
    text = json.dumps(key)
    expected = (400, "invalid_field")
    if case == "not json":
        text = "{" + text
    elif case == "not a service account":
        text = json.dumps({**key, "type": "authorized_user"})
    elif case == "no private key":
        text = json.dumps({**key, "private_key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"})
    elif case == "token uri with password":
        text = json.dumps({**key, "token_uri": f"http://u:p@127.0.0.1:{google.server_port}/token"})
    elif case == "unknown to google":
        text = json.dumps(key_file(google, register=False))
        expected = (422, "account_probe_failed")
    elif case == "signed by another key":
        text = json.dumps(key_file(google, key=rsa_key(), register=False, email=key["client_email"]))
        expected = (422, "account_probe_failed")
    request = {**account_request(google, bucket, key), "service_account_key": text}
    refused = requests.post(f"{suite.gateway}/api/cloud/accounts", json=request, headers=headers)
    assert (refused.status_code, refused.json()["error"]["code"]) == expected, refused.text
    assert "PRIVATE KEY" not in refused.text
    assert requests.get(f"{suite.gateway}/api/cloud/accounts", headers=headers).json()["items"] == []


def test_a_token_endpoint_inside_the_network_is_not_called(suite, google, bucket):
    """A key file's `token_uri` is a URL the user chose: it goes through the endpoint policy as every provider
    call does, so it cannot reach a private address the operator did not allow."""
    headers = sign_in(suite)
    key = {**key_file(google), "token_uri": "http://127.0.0.1:1/token"}
    request = {**account_request(google, bucket, key), "service_account_key": json.dumps(key)}
    refused = requests.post(f"{suite.gateway}/api/cloud/accounts", json=request, headers=headers)
    assert refused.status_code in (400, 422), refused.text
    assert requests.get(f"{suite.gateway}/api/cloud/accounts", headers=headers).json()["items"] == []
