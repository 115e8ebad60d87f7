"""A fake of Google's side of a gcs account that fake-gcs-server lacks (Deploy/test starts fake-gcs-server): the
OAuth 2.0 token endpoint of the JWT bearer grant, and a front of fake-gcs-server that admits only the access tokens
it issued. Written from Google's documentation, not from our client:
- https://developers.google.com/identity/protocols/oauth2/service-account#authorizingrequests (the assertion:
  RS256, `kid` the key's id, claims `iss` the client email, `scope`, `aud` the token URI, `iat`, `exp` at most an
  hour later; the form `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=…`; the answer
  `{"access_token", "expires_in", "token_type": "Bearer"}`, a refusal `{"error": "invalid_grant", …}` with 400);
- https://cloud.google.com/storage/docs/json_api/v1/status-codes (a missing or refused token is 401 with the JSON
  error document)."""

import http.client
import http.server
import json
import os
import secrets
import threading
import urllib.parse
import uuid
from contextlib import contextmanager

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

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



def make_bucket(name=None):
    """A new bucket in fake-gcs-server, named for this run unless `name` is given."""
    emulator, _ = environment()
    name = name or f"strype-{uuid.uuid4().hex[:10]}"
    made = requests.post(f"{emulator}/storage/v1/b", params={"project": "test"}, json={"name": name})
    assert made.status_code == 200, made.text
    return name


@contextmanager
def running_google():
    """The fake Google on the port Deploy/test allows (GOOGLE_TEST_PORT), for the length of the block."""
    emulator, port = environment()
    server = FakeGoogle(port, emulator)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
