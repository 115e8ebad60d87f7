"""Attacks on accounts and sessions (issue 17, findings 2, 4 and 8): claiming admin by registering first or as
ADMIN_EMAIL, a password change that leaves agents and other sessions alive, no "sign out everywhere", and guessing
SERVICE_SECRET without limit. The bootstrap tests need a suite in which nobody has registered yet, so they start one
of their own (`fresh`); the others use the shared suite. Invite mode, the absolute refresh-token lifetime and the 503
while Redis is down are covered by the Swift tests (Tests/AuthServiceTests), as this suite runs REGISTRATION=open."""

import http.client
import json
import os
import pathlib
import secrets
import subprocess
import tempfile
import time
import urllib.parse
import uuid

import pytest
import requests

from conftest import ADMIN_EMAIL, Suite, deploy, suite_env
from helpers import PASSWORD

API = "/api/auth"


@pytest.fixture(scope="module")
def fresh():
    """A suite of its own, started for this module, so that its first registrant is one of these tests."""
    # Not under pytest's tmp_path: PostgreSQL runs as its own user and must reach the directory.
    run_dir = pathlib.Path(tempfile.mkdtemp(prefix="cloudstrype-bootstrap-"))
    os.chmod(run_dir, 0o755)
    env = suite_env(run_dir, int(os.environ.get("E2E_BOOTSTRAP_PORT", "19380")))
    deploy(env, "start")
    try:
        yield Suite(run_dir, env)
    finally:
        deploy(env, "stop")


def register(suite, email, **extra):
    return requests.post(f"{suite.gateway}{API}/register", json={"email": email, "password": PASSWORD, "name": "A",
                                                                 **extra})


def login(suite, email, password=PASSWORD):
    reply = requests.post(f"{suite.gateway}{API}/login", json={"email": email, "password": password})
    assert reply.status_code == 200, reply.text
    return reply.json()


def bearer(tokens):
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def roles(suite, tokens):
    reply = requests.get(f"{suite.gateway}{API}/me", headers=bearer(tokens))
    assert reply.status_code == 200, reply.text
    return sorted(reply.json()["roles"])


def fresh_email(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"


def eventually(condition, timeout=5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


# ---------------------------------------------------------------- finding 4: the admin bootstrap (own suite)

def test_first_registrant_is_not_admin(fresh):
    """Today the very first user to register becomes admin (UserRepository.create adminIfFirst), so whoever reaches
    a new install first owns it. Now nobody is admin by being first. (First test of the module: nobody registered
    in `fresh` before it.)"""
    email = fresh_email("first")
    assert register(fresh, email).status_code == 201
    assert roles(fresh, login(fresh, email)) == ["user"]


def test_admin_email_without_setup_token_is_refused(fresh):
    """Today whoever registers ADMIN_EMAIL becomes admin, with nothing but the address. Now, while no admin exists,
    the address is reserved: without the setup token, or with a wrong one, 403 setup_token_required, nothing stored."""
    for extra in ({}, {"setup_token": ""}, {"setup_token": secrets.token_hex(32)}):
        reply = register(fresh, ADMIN_EMAIL, **extra)
        assert reply.status_code == 403, reply.text
        assert reply.json()["error"]["code"] == "setup_token_required"
    reply = requests.post(f"{fresh.gateway}{API}/login", json={"email": ADMIN_EMAIL, "password": PASSWORD})
    assert reply.status_code == 401, "a refused registration must store nothing"


def test_admin_email_with_setup_token_is_admin_once(fresh):
    """With ADMIN_SETUP_TOKEN (in the run's secrets.env) ADMIN_EMAIL becomes the first admin; the token is then spent:
    once an admin exists the address registers like anyone, even with the token. Today ADMIN_EMAIL is admin every
    time it registers, so the last check fails."""
    token = fresh.secrets()["ADMIN_SETUP_TOKEN"]
    reply = register(fresh, ADMIN_EMAIL, setup_token=token)
    assert reply.status_code == 201, reply.text
    assert sorted(reply.json()["roles"]) == ["admin", "user"]
    assert token not in reply.text
    admin = login(fresh, ADMIN_EMAIL)

    # Free the address: a second admin deletes the first, then ADMIN_EMAIL registers again with the same token.
    deputy = fresh_email("deputy")
    assert register(fresh, deputy).status_code == 201
    deputy_id = requests.get(f"{fresh.gateway}{API}/me", headers=bearer(login(fresh, deputy))).json()["id"]
    promoted = requests.patch(f"{fresh.gateway}{API}/users/{deputy_id}", json={"roles": ["admin", "user"]},
                              headers=bearer(admin))
    assert promoted.status_code == 200, promoted.text
    deputy_tokens = login(fresh, deputy)
    admin_id = requests.get(f"{fresh.gateway}{API}/me", headers=bearer(admin)).json()["id"]
    gone = requests.delete(f"{fresh.gateway}{API}/users/{admin_id}", headers=bearer(deputy_tokens))
    assert gone.status_code == 204, gone.text

    again = register(fresh, ADMIN_EMAIL, setup_token=token)
    assert again.status_code == 201, again.text
    assert sorted(again.json()["roles"]) == ["user"], "the setup token must be spent once an admin exists"
    assert token not in fresh.log("auth"), "the setup token must never be logged"


def test_short_setup_token_refused_at_start():
    """ADMIN_SETUP_TOKEN must be at least 32 characters: auth exits 78 naming it, without echoing it. Today the
    variable is ignored and auth goes on to wait for its database (STARTUP_TIMEOUT=1 makes that quick)."""
    env = {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": "postgres://u:p@127.0.0.1:1/db",
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "SERVICE_SECRET": secrets.token_hex(32),
        "CLOUDSTRYPE_MASTER_KEY": secrets.token_hex(32),
        "STARTUP_TIMEOUT": "1",
        "ADMIN_EMAIL": ADMIN_EMAIL,
        "ADMIN_SETUP_TOKEN": "short-secret-value",
    }
    binary = pathlib.Path(os.environ["BIN_DIR"]) / "auth"
    result = subprocess.run([str(binary)], env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 78, result.stderr
    assert result.stderr.strip().startswith("auth: configuration error: ADMIN_SETUP_TOKEN: "), result.stderr
    assert "short-secret-value" not in result.stderr


# ---------------------------------------------------------------- finding 8: sessions and agents (shared suite)

def agent_token(suite, tokens):
    reply = requests.post(f"{suite.gateway}{API}/agents", json={"name": "desk"}, headers=bearer(tokens))
    assert reply.status_code == 201, reply.text
    return reply.json()["token"]


def agent_valid(suite, token):
    return requests.post(f"{suite.gateway}{API}/validate", json={"token": token}).status_code == 200


def refreshes(suite, tokens):
    reply = requests.post(f"{suite.gateway}{API}/refresh", json={"refresh_token": tokens["refresh_token"]})
    return reply.status_code == 200


def elsewhere_ok(suite, tokens):
    """Whether another service (which verifies on its own) still accepts the access token."""
    return requests.get(f"{suite.gateway}/api/filesystem/whoami", headers=bearer(tokens)).status_code == 200


def test_password_change_kills_other_sessions_and_asked_agents(suite):
    """A password change ends every other session at once, in every service; with "sign_out_agents": true it also
    revokes the agent tokens. Today agent tokens survive any password change (so a thief's agent keeps working)."""
    email = fresh_email("pw")
    assert register(suite, email).status_code == 201
    mine, thief = login(suite, email), login(suite, email)
    agent = agent_token(suite, thief)
    assert elsewhere_ok(suite, thief) and agent_valid(suite, agent)

    changed = requests.patch(f"{suite.gateway}{API}/me", headers=bearer(mine), json={
        "password": "a brand new password", "current_password": PASSWORD, "sign_out_agents": True})
    assert changed.status_code == 200, changed.text
    assert not refreshes(suite, thief)
    assert eventually(lambda: not elsewhere_ok(suite, thief)), "the other session's access token must die at once"
    assert not agent_valid(suite, agent), "sign_out_agents must revoke the agent tokens"
    assert elsewhere_ok(suite, mine), "the session that changed the password goes on"


def test_password_change_keeps_agents_unless_asked(suite):
    """Without sign_out_agents the agents keep working (the flag is what a user ticks); other sessions still end."""
    email = fresh_email("pw-keep")
    assert register(suite, email).status_code == 201
    mine, other = login(suite, email), login(suite, email)
    agent = agent_token(suite, mine)
    changed = requests.patch(f"{suite.gateway}{API}/me", headers=bearer(mine), json={
        "password": "a brand new password", "current_password": PASSWORD})
    assert changed.status_code == 200, changed.text
    assert not refreshes(suite, other)
    assert agent_valid(suite, agent)


def test_logout_all_signs_out_everywhere_agents_too(suite):
    """POST /logout-all {"agents": true} ends every session of the caller (this one included) in every service, and
    revokes the agent tokens. Today there is no such route (404)."""
    email = fresh_email("everywhere")
    assert register(suite, email).status_code == 201
    first, second = login(suite, email), login(suite, email)
    agent = agent_token(suite, first)
    reply = requests.post(f"{suite.gateway}{API}/logout-all", json={"agents": True}, headers=bearer(first))
    assert reply.status_code == 204, reply.text
    for tokens in (first, second):
        assert not refreshes(suite, tokens)
        assert eventually(lambda: not elsewhere_ok(suite, tokens))
    assert not agent_valid(suite, agent)


# ---------------------------------------------------------------- finding 2: guessing SERVICE_SECRET

def post_from(url, body, source="127.0.0.2"):
    """POST JSON from a loopback source address of its own, so the limit this provokes locks out no service (they
    all call from 127.0.0.1). Falls back to the default source where 127.0.0.2 cannot be bound."""
    parsed = urllib.parse.urlparse(url)
    try:
        connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10, source_address=(source, 0))
        connection.connect()
    except OSError:
        connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
    try:
        connection.request("POST", parsed.path, body=json.dumps(body), headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        connection.close()


def test_service_token_attempts_are_rate_limited(suite):
    """Wrong SERVICE_SECRET guesses are limited per client address (10 a minute): the 11th answers 429 with
    Retry-After. Today every guess is answered, without limit."""
    url = suite.internal_url("auth") + "/service-token"
    statuses = []
    for attempt in range(11):
        status, headers, text = post_from(url, {"service": "chunk", "secret": f"guess-{attempt}-{uuid.uuid4().hex}"})
        statuses.append(status)
    assert statuses[:10] == [401] * 10, statuses
    assert statuses[10] == 429, statuses
    retry_after = {name.lower(): value for name, value in headers.items()}.get("retry-after")
    assert retry_after is not None and 1 <= int(retry_after) <= 60, headers
    assert json.loads(text)["error"]["code"] == "too_many_attempts"
