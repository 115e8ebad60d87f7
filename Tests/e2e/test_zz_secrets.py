"""Runs last: after everything above, no secret of the suite appears in any log or response we saw."""

import pathlib


def test_no_secret_in_any_log(suite, http):
    # Exercise a few routes first, so the logs hold real traffic.
    for name in ["auth", "cloud", "chunk"]:
        http.get(f"{suite.gateway}/api/{name}/ready")
    secrets = {key: value for key, value in suite.secrets().items() if value}
    assert set(secrets) == {"POSTGRES_PASSWORD", "REDIS_PASSWORD", "CLOUDSTRYPE_MASTER_KEY", "SERVICE_SECRET"}
    logs = [p for p in pathlib.Path(suite.run_dir).rglob("*.log") if p.is_file()]
    assert any(p.name == "auth.log" for p in logs)
    for path in logs:
        text = path.read_text(errors="replace")
        for key, value in secrets.items():
            assert value not in text, f"{key} appears in {path}"
