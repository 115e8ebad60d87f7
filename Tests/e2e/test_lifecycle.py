"""Deploy/run start, status, start again, stop: nothing of ours is left running."""

import os
import pathlib
import shutil
import subprocess
import tempfile

from conftest import SERVICES, Suite, deploy, suite_env


def processes_mentioning(text):
    listing = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in listing.splitlines() if text in line and "ps -eo" not in line]


def test_start_twice_then_stop_leaves_nothing():
    # Not under pytest's tmp_path: PostgreSQL runs as its own user and must reach the directory.
    run_dir = pathlib.Path(tempfile.mkdtemp(prefix="cloudstrype-lifecycle-"))
    os.chmod(run_dir, 0o755)
    env = suite_env(run_dir, int(os.environ.get("E2E_LIFECYCLE_PORT", "19080")))
    suite = Suite(run_dir, env)
    try:
        deploy(env, "start")
        status = deploy(env, "status").stdout
        for name in SERVICES:
            assert f"{name}" in status and "ready" in status.split(name, 1)[1].splitlines()[0]
        pids = {name: suite.pid(name) for name in SERVICES}
        deploy(env, "start")
        assert {name: suite.pid(name) for name in SERVICES} == pids, "a second start must not restart services"
    finally:
        deploy(env, "stop")
    for name, pid in pids.items():
        assert suite.wait_gone(pid, timeout=1), f"{name} still runs"
    assert processes_mentioning(str(run_dir)) == []
    status = deploy(env, "status").stdout
    assert status.count("stopped") == len(SERVICES) + 3
    shutil.rmtree(run_dir, ignore_errors=True)
