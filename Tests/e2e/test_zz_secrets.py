"""Runs last: after everything above, no secret of the suite appears in any log or in any answer we received."""

import pathlib

from conftest import RESPONSES, secrets_to_hide


def test_no_secret_in_any_log(suite, http):
    """Also: no password used by the e2e tests, no S3 secret and no token appears in any log."""
    # Exercise a few routes first, so the logs hold real traffic.
    for name in ["auth", "cloud", "chunk"]:
        http.get(f"{suite.gateway}/api/{name}/ready")
    secrets = secrets_to_hide(suite)
    assert {"POSTGRES_PASSWORD", "REDIS_PASSWORD", "CLOUDSTRYPE_MASTER_KEY", "SERVICE_SECRET",
            "LOCAL_ADMIN_PASSWORD", "E2E_PASSWORD"} <= set(secrets)
    logs = [p for p in pathlib.Path(suite.run_dir).rglob("*.log") if p.is_file()]
    assert any(p.name == "auth.log" for p in logs)
    for path in logs:
        text = path.read_text(errors="replace")
        for key, value in secrets.items():
            assert value not in text, f"{key} appears in {path}"
        assert "eyJ" not in text, f"something like a JWT appears in {path}"
        assert "csr_" not in text and "csa_" not in text, f"a refresh or agent token appears in {path}"
        assert "csl_" not in text, f"a share-link token appears in {path}"
        assert "csd_" not in text, f"a download ticket appears in {path}"


def test_no_secret_in_any_answer(suite):
    """Every answer the whole run received (headers, and bodies of text and JSON) was checked as it arrived."""
    assert RESPONSES.checked > 500, f"only {RESPONSES.checked} answers were checked"
    assert RESPONSES.found == []
