"""Auth through the gateway: the account flow with plain HTTP, and forged tokens refused by auth and by the other
services' protected routes (each verifies on its own with auth's JWKS)."""

import base64
import json
import os
import subprocess
import time
import uuid

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from conftest import ADMIN_EMAIL
from helpers import sign_in

PASSWORD = "correct horse battery staple"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(private_key, header, payload):
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(payload).encode())
    return signing_input + "." + b64url(private_key.sign(signing_input.encode()))


def parts(token):
    header, payload, _ = token.split(".")
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(payload))


@pytest.fixture(scope="module")
def account(suite):
    http = requests.Session()
    email = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
    registered = http.post(f"{suite.gateway}/api/auth/register", json={"email": email, "password": PASSWORD, "name": "E2E"})
    assert registered.status_code == 201, registered.text
    tokens = http.post(f"{suite.gateway}/api/auth/login", json={"email": email, "password": PASSWORD}).json()
    return {"email": email, "user": registered.json(), "tokens": tokens}


def real_signing_key(suite):
    """The active private key, unsealed as the operator could with the master key: proves the storage format and
    lets the test mint an expired token that is otherwise perfectly signed."""
    secrets = suite.secrets()
    env = {**os.environ, "PGPASSWORD": secrets["POSTGRES_PASSWORD"]}
    row = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", suite.env["POSTGRES_PORT"], "-U", "cloudstrype", "-d", "cloudstrype", "-Atc",
         "SELECT kid, encode(private_key_sealed, 'hex') FROM auth.signing_keys WHERE retired_at IS NULL "
         "ORDER BY created_at DESC LIMIT 1"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()
    kid, sealed_hex = row.split("|")
    sealed = bytes.fromhex(sealed_hex)
    key = HKDF(algorithm=SHA256(), length=32, salt=b"cloudstrype.secretbox.v1", info=b"auth.signing-keys").derive(
        bytes.fromhex(secrets["CLOUDSTRYPE_MASTER_KEY"])
    )
    raw = AESGCM(key).decrypt(sealed[:12], sealed[12:], kid.encode())
    return kid, Ed25519PrivateKey.from_private_bytes(raw)


def test_account_flow_through_gateway(suite, http, account):
    gateway = suite.gateway
    tokens = account["tokens"]
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 900
    me = http.get(f"{gateway}/api/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200 and me.json()["email"] == account["email"]
    refreshed = http.post(f"{gateway}/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    new = refreshed.json()
    assert new["refresh_token"] != tokens["refresh_token"]
    out = http.post(f"{gateway}/api/auth/logout", json={"refresh_token": new["refresh_token"]})
    assert out.status_code == 204
    again = http.post(f"{gateway}/api/auth/refresh", json={"refresh_token": new["refresh_token"]})
    assert again.status_code == 401
    # The signed-out session's access token is refused by every service within seconds.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        statuses = {
            name: http.get(f"{gateway}/api/{name}/{'me' if name == 'auth' else 'whoami'}",
                           headers={"Authorization": f"Bearer {new['access_token']}"}).status_code
            for name in ["auth", "cloud", "chunk"]
        }
        if set(statuses.values()) == {401}:
            break
        time.sleep(0.1)
    assert set(statuses.values()) == {401}, statuses


@pytest.mark.parametrize("kind", ["other_key", "expired", "none_algorithm", "changed_payload"])
@pytest.mark.parametrize("route", ["auth/me", "cloud/whoami", "array/whoami", "chunk/whoami", "filesystem/whoami"])
def test_forged_tokens_are_refused_everywhere(suite, http, kind, route):
    email = f"forge-{uuid.uuid4().hex[:8]}@example.com"
    http.post(f"{suite.gateway}/api/auth/register", json={"email": email, "password": PASSWORD, "name": "F"})
    genuine = http.post(f"{suite.gateway}/api/auth/login", json={"email": email, "password": PASSWORD}).json()["access_token"]
    ok = http.get(f"{suite.gateway}/api/{route}", headers={"Authorization": f"Bearer {genuine}"})
    assert ok.status_code == 200, ok.text
    header, payload = parts(genuine)
    if kind == "other_key":
        forged = sign(Ed25519PrivateKey.generate(), header, payload)
    elif kind == "expired":
        kid, key = real_signing_key(suite)
        now = int(time.time())
        forged = sign(key, {**header, "kid": kid}, {**payload, "iat": now - 3600, "exp": now - 1800})
    elif kind == "none_algorithm":
        forged = b64url(json.dumps({**header, "alg": "none"}).encode()) + "." + genuine.split(".")[1] + "."
    else:
        changed = {**payload, "roles": ["admin", "user"]}
        forged = genuine.split(".")[0] + "." + b64url(json.dumps(changed).encode()) + "." + genuine.split(".")[2]
    refused = http.get(f"{suite.gateway}/api/{route}", headers={"Authorization": f"Bearer {forged}"})
    assert refused.status_code == 401, refused.text
    assert refused.json()["error"]["code"] in {"invalid_token", "token_expired"}
    if kind == "expired":
        assert refused.json()["error"]["code"] == "token_expired"


def test_agent_token_revocation_through_gateway(suite, http, account):
    gateway = suite.gateway
    tokens = http.post(f"{gateway}/api/auth/login", json={"email": account["email"], "password": PASSWORD}).json()
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    agent = http.post(f"{gateway}/api/auth/agents", json={"name": "desk"}, headers=auth).json()
    assert http.post(f"{gateway}/api/auth/validate", json={"token": agent["token"]}).json()["scope"] == "array:member"
    assert http.delete(f"{gateway}/api/auth/agents/{agent['id']}", headers=auth).status_code == 204
    assert http.post(f"{gateway}/api/auth/validate", json={"token": agent["token"]}).status_code == 401


def test_a_rotated_key_reaches_every_service_under_steady_traffic(suite, http):
    """Every service keeps auth's keys and fetches them again when a token names a new kid; traffic that never
    pauses must not keep the old copy alive."""
    _, admin = sign_in(suite, ADMIN_EMAIL)
    routes = ["cloud/whoami", "array/whoami", "chunk/whoami", "filesystem/whoami"]
    for route in routes:
        assert http.get(f"{suite.gateway}/api/{route}", headers=admin).status_code == 200
    rotated = http.post(f"{suite.gateway}/api/auth/keys/rotate", headers=admin)
    assert rotated.status_code == 200, rotated.text
    email = f"rotated-{uuid.uuid4().hex[:8]}@example.com"
    http.post(f"{suite.gateway}/api/auth/register", json={"email": email, "password": PASSWORD, "name": "R"})
    token = http.post(f"{suite.gateway}/api/auth/login", json={"email": email, "password": PASSWORD}).json()
    assert parts(token["access_token"])[0]["kid"] == rotated.json()["active"]
    fresh = {"Authorization": f"Bearer {token['access_token']}"}
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        # The old token keeps every service busy between the tries of the new one.
        for route in routes:
            http.get(f"{suite.gateway}/api/{route}", headers=admin)
        statuses = {route: http.get(f"{suite.gateway}/api/{route}", headers=fresh).status_code for route in routes}
        if set(statuses.values()) == {200}:
            break
        time.sleep(0.05)
    assert set(statuses.values()) == {200}, statuses
