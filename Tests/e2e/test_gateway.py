"""The gateway in front of the five services: routing, JSON errors, request ids, what is hidden."""

import re
import signal
import time

import pytest

from conftest import SERVICES, kill


@pytest.mark.parametrize("name", SERVICES)
def test_health_and_ready_through_gateway(suite, http, name):
    health = http.get(f"{suite.gateway}/api/{name}/health")
    assert health.status_code == 200
    assert health.headers["Content-Type"].startswith("application/json")
    assert health.json()["service"] == name
    ready = http.get(f"{suite.gateway}/api/{name}/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"postgres": "ok", "redis": "ok"}


def test_unknown_route_is_json_404(suite, http):
    response = http.get(f"{suite.gateway}/api/auth/no/such/thing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_unknown_service_is_json_404(suite, http):
    response = http.get(f"{suite.gateway}/api/nosuchservice/health")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "no such service"}}


@pytest.mark.parametrize("name", SERVICES)
def test_metrics_hidden_at_gateway_but_served_by_service(suite, http, name):
    hidden = http.get(f"{suite.gateway}/api/{name}/metrics")
    assert hidden.status_code == 404
    assert hidden.json()["error"]["code"] == "not_found"
    direct = http.get(f"{suite.internal_url(name)}/metrics")
    assert direct.status_code == 200
    assert "http_requests_total" in direct.text


def test_request_id_passes_through_and_is_logged(suite, http):
    response = http.get(f"{suite.gateway}/api/chunk/no-route", headers={"X-Request-Id": "e2e-trace-0001"})
    assert response.headers["X-Request-Id"] == "e2e-trace-0001"
    deadline = time.monotonic() + 5
    while "e2e-trace-0001" not in suite.log("chunk") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert '"request_id":"e2e-trace-0001"' in suite.log("chunk")


def test_request_id_generated_when_absent_or_unsafe(suite, http):
    generated = http.get(f"{suite.gateway}/api/auth/health").headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    replaced = http.get(f"{suite.gateway}/api/auth/health", headers={"X-Request-Id": "bad id<script>"})
    assert replaced.headers["X-Request-Id"] != "bad id<script>"


def test_web_root_is_served(suite, http):
    response = http.get(f"{suite.gateway}/")
    assert response.status_code == 200
    assert "<title>Cloudstrype</title>" in response.text


def test_dead_service_gives_json_502_and_run_again_heals(suite, http):
    kill(suite.pid("cloud"))
    assert suite.wait_gone(suite.pid("cloud"))
    response = http.get(f"{suite.gateway}/api/cloud/health")
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "bad_gateway"
    # Deploy/run is safe to run again: it starts only what is missing.
    before = {name: suite.pid(name) for name in SERVICES if name != "cloud"}
    suite.start()
    assert {name: suite.pid(name) for name in before} == before
    assert http.get(f"{suite.gateway}/api/cloud/ready").status_code == 200


def test_sigterm_stops_a_service_cleanly(suite, http):
    pid = suite.pid("array")
    kill(pid, signal.SIGTERM)
    assert suite.wait_gone(pid, timeout=10), "array did not exit within 10 s of SIGTERM"
    assert '"msg":"stopped"' in suite.log("array")
    suite.start()
    assert http.get(f"{suite.gateway}/api/array/ready").status_code == 200
