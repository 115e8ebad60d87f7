"""End-to-end fixtures: the suite started by the real Deploy/run, on private ports, with prebuilt binaries."""

import os
import pathlib
import signal
import subprocess
import time

import pytest
import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]
SERVICES = ["auth", "cloud", "array", "chunk", "filesystem"]
ADMIN_EMAIL = "admin@e2e.example.com"
# Short, so test_hostile can watch the gateway close slow clients.
CLIENT_TIMEOUT_SECONDS = 10


def suite_env(run_dir, base_port):
    """Environment for Deploy/run: its own run directory and ports from base_port upward."""
    env = dict(os.environ)
    env.update(
        RUN_DIR=str(run_dir),
        SKIP_BUILD="1",
        GATEWAY_PORT=str(base_port),
        POSTGRES_PORT=str(base_port + 10),
        REDIS_PORT=str(base_port + 11),
        LOG_LEVEL="debug",
        ADMIN_EMAIL=ADMIN_EMAIL,
        PRESENCE_TTL_SECONDS="6",
        REPAIR_SCAN_SECONDS="2",
        MEMBER_GRACE_SECONDS="4",
        SCRUB_BATCH="0",
        LOCAL_STORAGE="0",
        ORPHAN_AGE_SECONDS="10",
        ORPHAN_SCAN_SECONDS="2",
        GATEWAY_CLIENT_TIMEOUT=f"{CLIENT_TIMEOUT_SECONDS}s",
        # pg_stat_statements, so test_small_files.py can count what an upload costs.
        PG_STATEMENT_STATS="1",
    )
    for offset, name in enumerate(SERVICES, start=1):
        env[f"{name.upper()}_PORT"] = str(base_port + offset)
    if "BIN_DIR" not in env:
        raise RuntimeError("BIN_DIR must name the directory of the built service binaries (Deploy/test sets it)")
    return env


def deploy(env, *args, timeout=240):
    """Runs Deploy/run with args and returns the completed process; fails the test on a non-zero exit."""
    result = subprocess.run(
        [str(ROOT / "Deploy" / "run"), *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"Deploy/run {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


class Suite:
    """A running suite: where it lives and how to reach it."""

    def __init__(self, run_dir, env):
        self.run_dir = pathlib.Path(run_dir)
        self.env = env
        self.gateway = f"http://127.0.0.1:{env['GATEWAY_PORT']}"

    def service_url(self, name):
        """The service's public port: what the gateway proxies."""
        return f"http://127.0.0.1:{self.env[name.upper() + '_PORT']}"

    def internal_url(self, name):
        """The service's internal listener (its port + 100): service tokens, metrics, relays between instances."""
        return f"http://127.0.0.1:{int(self.env[name.upper() + '_PORT']) + 100}"

    def pid(self, name):
        return int((self.run_dir / "pids" / f"{name}.pid").read_text().strip())

    def start(self):
        return deploy(self.env, "start")

    def log(self, name):
        return (self.run_dir / "logs" / f"{name}.log").read_text()

    def wait_gone(self, pid, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.05)
        return False

    def secrets(self):
        values = {}
        for line in (self.run_dir / "secrets.env").read_text().splitlines():
            key, _, value = line.partition("=")
            values[key] = value
        return values


class ResponseWatch:
    """Every response any test receives through requests, checked as it arrives for the suite's secrets (passwords,
    keys, the S3 secret): test_zz_secrets asserts none was ever seen."""

    TEXT_TYPES = ("json", "text", "html", "javascript", "xml")

    def __init__(self):
        self.secrets = {}
        self.found = []
        self.checked = 0

    def check(self, response, streamed):
        if not self.secrets:
            return
        parts = [response.url, "\n".join(f"{k}: {v}" for k, v in response.headers.items())]
        kind = response.headers.get("Content-Type", "")
        if not streamed and any(name in kind for name in self.TEXT_TYPES):
            parts.append(response.content.decode(errors="replace"))
        text = "\n".join(parts)
        self.checked += 1
        for name, value in self.secrets.items():
            if value in text:
                self.found.append(f"{name} in the answer to {response.request.method} {response.url}")


RESPONSES = ResponseWatch()
_send = requests.Session.send


def _watched_send(session, request, **kwargs):
    response = _send(session, request, **kwargs)
    RESPONSES.check(response, kwargs.get("stream", False))
    return response


requests.Session.send = _watched_send


def secrets_to_hide(running):
    """What must never appear in a log or an answer: the suite's own secrets, the test password, the S3 secret, and
    the marks of Google's secrets (the fake's access tokens begin `ya29.` as Google's do; a service account's key)."""
    hidden = {key: value for key, value in running.secrets().items() if value}
    hidden["E2E_PASSWORD"] = "correct horse battery staple"
    hidden["GOOGLE_ACCESS_TOKEN"] = "ya29."
    hidden["SERVICE_ACCOUNT_KEY"] = "PRIVATE KEY-----"
    if os.environ.get("S3_TEST_SECRET_ACCESS_KEY"):
        hidden["S3_TEST_SECRET_ACCESS_KEY"] = os.environ["S3_TEST_SECRET_ACCESS_KEY"]
    return hidden


@pytest.fixture(scope="session")
def suite(tmp_path_factory):
    run_dir = pathlib.Path(os.environ.get("E2E_RUN_DIR") or tmp_path_factory.mktemp("run"))
    run_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(run_dir, 0o755)
    env = suite_env(run_dir, int(os.environ.get("E2E_BASE_PORT", "18080")))
    deploy(env, "start")
    running = Suite(run_dir, env)
    RESPONSES.secrets = secrets_to_hide(running)
    yield running
    deploy(env, "stop")


@pytest.fixture
def http():
    session = requests.Session()
    yield session
    session.close()


def kill(pid, sig=signal.SIGKILL):
    os.kill(pid, sig)
