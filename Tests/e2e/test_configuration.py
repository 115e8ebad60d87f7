"""Each binary refuses a bad configuration at start: non-zero exit and one line naming the variable."""

import os
import pathlib
import subprocess

import pytest

from conftest import SERVICES

GOOD = {
    "DATABASE_URL": "postgres://u:p@127.0.0.1:1/db",
    "REDIS_URL": "redis://127.0.0.1:1/0",
    "SERVICE_SECRET": "0123456789abcdef0123456789abcdef01",
    "CLOUDSTRYPE_MASTER_KEY": "a1b2c3d4e5f60718293a4b5c6d7e8f90" * 2,
    "AUTH_URL": "http://127.0.0.1:1",
    "CLOUD_URL": "http://127.0.0.1:1",
    "ARRAY_URL": "http://127.0.0.1:1",
    "CHUNK_URL": "http://127.0.0.1:1",
    "FILESYSTEM_URL": "http://127.0.0.1:1",
}


def run(name, env):
    binary = pathlib.Path(os.environ["BIN_DIR"]) / name
    return subprocess.run([str(binary)], env={"PATH": os.environ["PATH"], **env}, capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("name", SERVICES)
@pytest.mark.parametrize(
    "variable,value",
    [
        ("DATABASE_URL", None),
        ("DATABASE_URL", "not a url"),
        ("REDIS_URL", "http://cache"),
        ("PORT", "eighty"),
        ("SERVICE_SECRET", "short"),
        ("LOG_LEVEL", "shouty"),
    ],
)
def test_bad_value_exits_naming_variable(name, variable, value):
    env = dict(GOOD)
    if value is None:
        env.pop(variable)
    else:
        env[variable] = value
    result = run(name, env)
    assert result.returncode == 78
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{name}: configuration error: {variable}: ")


@pytest.mark.parametrize(
    "name,variable",
    [("cloud", "AUTH_URL"), ("chunk", "ARRAY_URL"), ("filesystem", "CHUNK_URL"), ("array", "FILESYSTEM_URL")],
)
def test_missing_peer_url(name, variable):
    env = dict(GOOD)
    env.pop(variable)
    result = run(name, env)
    assert result.returncode == 78
    assert f"configuration error: {variable}: is required" in result.stderr


@pytest.mark.parametrize("name", ["auth", "cloud", "chunk"])
def test_bad_master_key(name):
    result = run(name, {**GOOD, "CLOUDSTRYPE_MASTER_KEY": "too-short"})
    assert result.returncode == 78
    assert "CLOUDSTRYPE_MASTER_KEY" in result.stderr
    assert "too-short" not in result.stderr
