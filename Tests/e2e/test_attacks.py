"""Attacks a hostile review tried (issue 17), one test each, all against the real suite: the gateway's blocks in
every spelling, the internal listener, service tokens on the public port, example secrets, security headers.
Findings on accounts, sign-in, uploads and limits are in test_attacks_cloud.py, test_attacks_auth.py and
test_attacks_filesystem.py. Each test failed on the code before the fix (the docstrings say how)."""

import http.client
import json
import os
import re
import socket
import subprocess
import urllib.parse
import uuid

import pytest
import requests

from conftest import ROOT, SERVICES, deploy
from helpers import sign_in
from test_configuration import GOOD, run

# Spellings of one blocked path that nginx or the router might once have taken for another route.
SPELLINGS = [
    "{p}/",
    "{p}//",
    "{p}/.",
    "{p};x=1",
    "{p}%2F",
    "{p}.json",
    "{p}?x=1",
    "{svc}//{name}",
    "{svc}/./{name}",
    "{svc}/x/../{name}",
    "{svc}/%2e/{name}",
    "/api/./{rest}",
    "//api/{rest}",
    "{svc}%2F{name}",
    "{p_upper}",
    "{p_title}",
    "{svc}/{name_first_escaped}",
    "{svc}/{name_all_escaped}",
]


def spellings(path):
    """At least 12 spellings of `path` (`/api/<service>/<name>[...]`)."""
    _, api, service, rest = path.split("/", 3)
    name = rest
    svc = f"/{api}/{service}"
    out = []
    for pattern in SPELLINGS:
        out.append(pattern.format(
            p=path, svc=svc, name=name, rest=f"{service}/{rest}", p_upper=path.upper(),
            p_title="/".join(part.title() for part in path.split("/")),
            name_first_escaped=f"%{ord(name[0]):02x}{name[1:]}",
            name_all_escaped="".join(f"%{ord(c):02X}" if c.isalpha() else c for c in name),
        ))
    assert len(set(out)) >= 12
    return out


def raw(base, method, path, headers=None, body=None):
    """Sends `path` exactly as written (requests would normalise it): (status, body text)."""
    parsed = urllib.parse.urlparse(base)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        connection.close()


def service_token_request(secret):
    return {"service": "filesystem", "secret": secret}


@pytest.fixture(scope="module")
def service_secret(suite):
    return suite.secrets()["SERVICE_SECRET"]


@pytest.mark.parametrize("path", spellings("/api/auth/service-token"))
def test_service_token_is_refused_through_the_gateway_in_every_spelling(suite, service_secret, path):
    """Before: `POST /api/auth/service-token/` reached auth (the exact-match block missed it) and, with the secret,
    answered a service token that read any user's chunks."""
    status, text = raw(suite.gateway, "POST", path, {"Content-Type": "application/json"},
                       json.dumps(service_token_request(service_secret)))
    assert status in (400, 404), (path, status, text)
    assert "access_token" not in text and "secret" not in text, (path, text)


@pytest.mark.parametrize("name", SERVICES)
@pytest.mark.parametrize("spelling", range(len(SPELLINGS)))
def test_metrics_are_refused_through_the_gateway_in_every_spelling(suite, name, spelling):
    """Before: `GET /api/chunk/metrics/` served chunk's metrics past the `^/api/[a-z]+/metrics$` block."""
    path = spellings(f"/api/{name}/metrics")[spelling]
    status, text = raw(suite.gateway, "GET", path)
    assert status in (400, 404), (path, status)
    assert "http_requests_total" not in text


@pytest.mark.parametrize("path", spellings(f"/api/array/internal/members/{uuid.uuid4()}/frames")
                         + spellings(f"/api/filesystem/internal/usage/{uuid.uuid4()}"))
def test_internal_routes_are_refused_through_the_gateway_in_every_spelling(suite, path):
    status, text = raw(suite.gateway, "POST", path, {"Content-Type": "application/json"}, b'{"bytes": -1}')
    assert status in (400, 404), (path, status, text)


@pytest.mark.parametrize("name", SERVICES)
def test_public_ports_do_not_serve_internal_routes(suite, service_secret, name):
    """Before: every service served /metrics on the port the gateway proxies, auth served /service-token there and
    array its relay: the gateway was the only thing keeping them in."""
    public = suite.service_url(name)
    for path in ["/metrics", "/metrics/", "//metrics"]:
        status, text = raw(public, "GET", path)
        assert status == 404, (name, path, status)
        assert "http_requests_total" not in text
    internal = requests.get(f"{suite.internal_url(name)}/metrics")
    assert internal.status_code == 200 and "http_requests_total" in internal.text
    if name == "auth":
        for path in ["/service-token", "/service-token/", "//service-token"]:
            answer = requests.post(public + path, json=service_token_request(service_secret))
            assert answer.status_code == 404, (path, answer.text)
    if name == "array":
        answer = requests.post(f"{public}/internal/members/{uuid.uuid4()}/frames", data=b"\x00\x00\x00\x02{}")
        assert answer.status_code == 404
    if name == "filesystem":
        # The quota ledger: a user who reached it could refund their own quota.
        _, user = sign_in(suite)
        answer = requests.post(f"{public}/internal/usage/{uuid.uuid4()}", json={"bytes": -1}, headers=user)
        assert answer.status_code == 404


def test_a_service_token_is_worthless_on_public_ports(suite, service_secret):
    """Before: a service token with X-Strype-User read another user's chunk in plaintext through the gateway. Now even
    a genuine one (minted on auth's internal port with the real secret) is refused on every public port."""
    minted = requests.post(f"{suite.internal_url('auth')}/service-token", json=service_token_request(service_secret))
    assert minted.status_code == 200, minted.text
    token = minted.json()["access_token"]
    _, alice = sign_in(suite)
    me = requests.get(f"{suite.gateway}/api/auth/me", headers=alice).json()
    as_service = {"Authorization": f"Bearer {token}", "X-Strype-User": me["id"]}
    chunk_id = uuid.uuid4().hex
    for base in [suite.gateway + "/api/chunk", suite.service_url("chunk")]:
        answer = requests.get(f"{base}/{chunk_id}", headers=as_service)
        assert answer.status_code == 401, (base, answer.text)
        assert answer.json()["error"]["code"] == "invalid_token"
    for base in [suite.gateway + "/api/filesystem", suite.service_url("filesystem")]:
        assert requests.get(f"{base}/info?path=/", headers=as_service).status_code == 401
    assert requests.get(f"{suite.gateway}/api/cloud/accounts", headers=as_service).status_code == 401
    # On chunk's internal port the same token is what peers use: the chunk is simply not there.
    internal = requests.get(f"{suite.internal_url('chunk')}/{chunk_id}", headers=as_service)
    assert internal.status_code == 404, internal.text


SECRET_CASES = [
    ("SERVICE_SECRET", "change-me-to-a-long-random-string"),
    ("SERVICE_SECRET", "0123456789abcdef0123456789abcde"),
    ("SERVICE_SECRET", "x" * 48),
    ("CLOUDSTRYPE_MASTER_KEY", "0" * 64),
    ("CLOUDSTRYPE_MASTER_KEY", "ab" * 32),
    ("DATABASE_URL", "postgres://cloudstrype:change-me@127.0.0.1:1/cloudstrype"),
    ("REDIS_URL", "redis://:change-me@127.0.0.1:1/0"),
]


@pytest.mark.parametrize("name", ["auth", "chunk"])
@pytest.mark.parametrize("variable,value", SECRET_CASES)
def test_example_secrets_refuse_to_start(name, variable, value):
    """Before: a master key of 64 zeros and SERVICE_SECRET=change-me-to-a-long-random-string (the compose example's
    values) started every service."""
    result = run(name, {**GOOD, variable: value})
    assert result.returncode == 78, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{name}: configuration error: {variable}: "), result.stderr
    assert value not in result.stderr


def test_the_compose_example_holds_no_usable_secret():
    """Before: Deploy/compose.env.example held `change-me` passwords and a zero master key that worked as they were."""
    example = (ROOT / "Deploy" / "compose.env.example").read_text()
    values = dict(line.split("=", 1) for line in example.splitlines() if line and not line.startswith("#"))
    for secret in ["POSTGRES_PASSWORD", "REDIS_PASSWORD", "CLOUDSTRYPE_MASTER_KEY", "SERVICE_SECRET",
                   "ADMIN_SETUP_TOKEN"]:
        assert values[secret] == "", secret
    assert "openssl rand -hex 32" in example
    compose = (ROOT / "docker-compose.yml").read_text()
    for secret in ["POSTGRES_PASSWORD", "REDIS_PASSWORD", "CLOUDSTRYPE_MASTER_KEY", "SERVICE_SECRET",
                   "ADMIN_SETUP_TOKEN"]:
        assert f"${{{secret}:?" in compose, secret


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


@pytest.mark.parametrize("path", ["/", "/js/app.js", "/api/auth/health", "/api/auth/no/such/route", "/api/nothing",
                                  "/api/chunk/metrics/", "/api/filesystem/info?path=/"])
def test_every_gateway_answer_carries_the_security_headers(suite, path):
    """Before: the gateway sent none of them."""
    answer = requests.get(suite.gateway + path)
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers.get(name) == value, (path, name, answer.headers)
    policy = answer.headers["Content-Security-Policy"]
    directives = dict((part.split(" ", 1) + [""])[:2] for part in (p.strip() for p in policy.split(";")) if part)
    assert directives["default-src"] == "'self'" and directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert len(answer.headers.get("X-Request-Id", "").split(",")) == 1


def test_the_web_client_has_no_inline_script_or_style():
    """The policy forbids inline script and style: the client must not need them (test_web runs it in Chromium
    under this policy and fails on any console error, CSP violations included)."""
    for page in (ROOT / "Gateway" / "web").rglob("*.html"):
        text = page.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), page
        assert "<style" not in text and " style=" not in text and not re.search(r"\son[a-z]+=", text), page
    for script in (ROOT / "Gateway" / "web").rglob("*.js"):
        text = script.read_text()
        assert "eval(" not in text and "new Function" not in text, script


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_gateway_serves_https_with_hsts_when_given_a_certificate(suite, tmp_path):
    """Before: the gateway spoke plain HTTP only and Deploy/run had no way to give it a certificate. A second gateway
    for the running suite, made by `Deploy/run gateway` with GATEWAY_TLS_CERT and GATEWAY_TLS_KEY."""
    os.chmod(tmp_path, 0o755)
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    port, local_port = free_port(), free_port()
    run_dir = tmp_path / "run"
    env = dict(suite.env, RUN_DIR=str(run_dir), GATEWAY_PORT=str(port), GATEWAY_LOCAL_PORT=str(local_port),
               GATEWAY_TLS_CERT=str(cert), GATEWAY_TLS_KEY=str(key))
    deploy(env, "gateway")
    try:
        answer = requests.get(f"https://127.0.0.1:{port}/api/auth/health", verify=str(cert))
        assert answer.status_code == 200 and answer.json()["service"] == "auth"
        assert answer.headers["Strict-Transport-Security"] == "max-age=31536000"
        assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(f"https://127.0.0.1:{port}/api/auth/health")  # a self-signed certificate is not trusted
        plain = requests.get(f"http://127.0.0.1:{port}/api/auth/health")
        assert plain.status_code == 400  # plain HTTP on the TLS port
        local = requests.get(f"http://127.0.0.1:{local_port}/api/auth/health")
        assert local.status_code == 200  # the loopback listener Deploy/run and its agents use
    finally:
        conf = run_dir / "nginx" / "nginx.conf"
        subprocess.run(["nginx", "-p", str(run_dir / "nginx"), "-e", str(run_dir / "nginx" / "error.log"), "-c",
                        str(conf), "-s", "quit"], capture_output=True)
