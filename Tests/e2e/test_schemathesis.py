"""Hostile input through the gateway: schemathesis generates valid and invalid requests (a bounded, reproducible
number per operation) for every operation of Gateway/openapi.yaml, as alice of test_isolation's world (a cloud
account, two online array members, files, links, uploads), and as the admin for the admin routes. Valid requests
name alice's real things instead of random ids, so they reach the handlers past the lookup; invalid ones and deletes
keep what was generated. No answer is a 5xx, and every answer is documented: its status, its content type and its
body's schema."""

import hypothesis
import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from conftest import ROOT
from test_isolation import FS, World

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# The coverage phase's every-boundary cases are unbounded; the examples and fuzzing phases are enough here.
CONFIG = SchemathesisConfig.from_dict({"seed": 20240601, "phases": {"coverage": {"enabled": False}}})
SETTINGS = hypothesis.settings(
    max_examples=25, deadline=None, derandomize=True, database=None,
    suppress_health_check=list(hypothesis.HealthCheck), print_blob=False,
)
# tus bodies are raw bytes like any octet stream.
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")

# Operations that would end the run's own session or signing key, or are no plain request.
DISRUPTIVE = [
    "POST /api/auth/logout",
    "POST /api/auth/logout-all",
    "POST /api/auth/keys/rotate",
    "PATCH /api/auth/me",
    "DELETE /api/auth/users/{user_id}",
    "GET /api/array/ws",
]
# Reached as the admin in their own pass; as alice they are one 403 each.
ADMIN_PATHS = r"^/api/auth/(users|groups|keys|lookup|invitations)|^/api/filesystem/quotas/"

SCHEMA = schemathesis.openapi.from_path(ROOT / "Gateway" / "openapi.yaml", config=CONFIG).exclude(name=DISRUPTIVE)
AS_ALICE = SCHEMA.exclude(path_regex=ADMIN_PATHS)
AS_ADMIN = SCHEMA.include(path_regex=ADMIN_PATHS)


@pytest.fixture(scope="module")
def w(suite, tmp_path_factory):
    world = World(suite, tmp_path_factory.mktemp("schemathesis"))
    world.ticket = world.ok("alice", "POST", f"{FS}/info/{world.secret['id']}/download").json()["url"].split("/")[-1]
    yield world
    world.close()


def real_ids(w, path):
    """alice's things by path parameter name (and, where a name means two kinds of thing, by service)."""
    service = path.split("/")[2]
    return {
        "account_id": w.account["id"],
        "member_id": w.member.member_id,
        "key": w.account_key if service == "cloud" else w.member_key,
        "chunk_id": w.chunk if service == "chunk" else w.seed,
        "file_id": w.secret["id"],
        "version": 1,
        "token": w.link["token"],
        "ticket": w.ticket,
        "upload_id": w.tus.split("/")[-1] if "/tus/" in path else w.session["upload_id"],
        "part": 1,
        # The admin's pass: never the admin themself, who must stay one.
        "user_id": w.user["bob"]["id"],
        "group_id": w.group["id"],
    }


def aim(case, w):
    """A valid request names alice's real things instead of random ids (but a DELETE, which would take them away,
    keeps its random ones), and a service's `X-Strype-User` is alice. A generated `Content-Length` goes: one that
    promises more bytes than the body has leaves any server waiting for them until the gateway's timeout; requests
    sends the true one."""
    if case.headers:
        case.headers.pop("Content-Length", None)
    if case.meta.generation.mode != GenerationMode.POSITIVE:
        return
    if "X-Strype-User" in (case.headers or {}):
        case.headers["X-Strype-User"] = w.alice_id
    if case.method == "DELETE":
        return
    known = real_ids(w, case.path)
    for name in case.path_parameters:
        if name in known:
            case.path_parameters[name] = known[name]


def caller(case, w, default):
    """The agent token where the operation takes only that, else the pass's user."""
    if case.operation.definition.raw.get("security") == [{"agentToken": []}]:
        return w.headers["agent"]
    return w.headers[default]


@AS_ALICE.parametrize()
@SETTINGS
def test_hostile_input_as_a_user(case, w):
    aim(case, w)
    case.call_and_validate(base_url=w.suite.gateway, headers=caller(case, w, "alice"), checks=CHECKS, timeout=20)


@AS_ADMIN.parametrize()
@SETTINGS
def test_hostile_input_as_the_admin(case, w):
    aim(case, w)
    case.call_and_validate(base_url=w.suite.gateway, headers=caller(case, w, "admin"), checks=CHECKS, timeout=20)
