"""Deploy/run as an operator runs it: three shared local agents and a shared local-directory account come up with
the suite, so a user who just signed up stores files at once, with any durability up to four backends; stop stops
the agents too."""

import hashlib
import os
import pathlib
import shutil
import tempfile

import requests

from conftest import Suite, deploy, suite_env
from helpers import MiB, sign_in


def test_a_new_user_stores_files_at_once_on_the_shared_local_storage():
    run_dir = pathlib.Path(tempfile.mkdtemp(prefix="cloudstrype-local-"))
    os.chmod(run_dir, 0o755)
    env = suite_env(run_dir, int(os.environ.get("E2E_LOCAL_PORT", "19180")))
    env.update(LOCAL_STORAGE="1", ADMIN_EMAIL="operator@local.example.com")
    suite = Suite(run_dir, env)
    try:
        deploy(env, "start")
        # Starting again provisions nothing twice.
        deploy(env, "start")
        _, headers = sign_in(suite)
        members = requests.get(f"{suite.gateway}/api/array/members", headers=headers).json()["items"]
        assert len(members) == 3 and all(m["shared"] and m["online"] for m in members)
        accounts = requests.get(f"{suite.gateway}/api/cloud/accounts", headers=headers).json()["items"]
        assert [(a["provider"], a["shared"]) for a in accounts] == [("local", True)]
        for durability in ("raid1(2)", "rs(2,2)"):
            data = os.urandom(5 * MiB)
            reply = requests.put(f"{suite.gateway}/api/filesystem/data", params={"path": f"/{durability}.bin"},
                                 data=data, headers={**headers, "X-Durability": durability})
            assert reply.status_code == 201, reply.text
            got = requests.get(f"{suite.gateway}/api/filesystem/data/{reply.json()['id']}", headers=headers)
            assert hashlib.sha256(got.content).hexdigest() == hashlib.sha256(data).hexdigest()
        # Past the inline threshold (64 KiB), so the file needs backends: five are more than there are.
        too_many = requests.put(f"{suite.gateway}/api/filesystem/data", params={"path": "/five.bin"},
                                data=os.urandom(100 * 1024), headers={**headers, "X-Durability": "rs(3,2)"})
        assert too_many.status_code == 422 and too_many.json()["error"]["code"] == "insufficient_backends"
        status = deploy(env, "status").stdout
        assert status.count("agent") == 3 and "stopped" not in status
    finally:
        deploy(env, "stop")
    status = deploy(env, "status").stdout
    assert all(line.endswith("stopped") for line in status.splitlines() if line.startswith("agent"))
    shutil.rmtree(run_dir, ignore_errors=True)
