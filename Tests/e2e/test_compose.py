"""docker-compose.yml and the Dockerfile, checked without a Docker engine: the Compose schema and our own rules."""

import json
import re

import jsonschema
import pytest
import yaml

from conftest import ROOT, SERVICES

# A copy of ../shared/schemas/compose-spec.json kept in the repository: a checkout tests itself wherever it is cloned.
SCHEMA = ROOT / "Tests" / "e2e" / "schemas" / "compose-spec.json"


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_matches_compose_specification(compose):
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft7Validator(schema)
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(compose)]
    assert errors == []
    # The validator must be able to fail: a misspelt key is refused.
    assert list(validator.iter_errors({**compose, "servicez": {}}))


def test_has_every_part(compose):
    assert set(compose["services"]) == {"postgres", "redis", "gateway", *SERVICES}


@pytest.mark.parametrize("name", SERVICES)
def test_service_is_configured_and_scalable(compose, name):
    service = compose["services"][name]
    env = service["environment"]
    for variable in ["DATABASE_URL", "REDIS_URL", "SERVICE_SECRET", "CLOUDSTRYPE_MASTER_KEY", "PORT", "LOG_LEVEL"]:
        assert variable in env, f"{name} lacks {variable}"
    for peer in ["AUTH_URL", "CLOUD_URL", "ARRAY_URL", "CHUNK_URL", "FILESYSTEM_URL"]:
        assert env[peer].startswith("http://") and env[peer].endswith(":8080")
    assert "/ready" in " ".join(service["healthcheck"]["test"])
    assert service["build"]["args"]["PRODUCT"] == name
    assert service["build"]["dockerfile"] == "Deploy/Dockerfile"
    # Replicas need no fixed name and no host port.
    assert "container_name" not in service
    assert "ports" not in service
    assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert service["depends_on"]["redis"]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", ["postgres", "redis", "gateway"])
def test_infrastructure_has_health_checks(compose, name):
    assert compose["services"][name]["healthcheck"]["test"]


def test_databases_keep_data_in_volumes(compose):
    assert any(v.endswith(":/var/lib/postgresql/data") for v in compose["services"]["postgres"]["volumes"])
    assert any(v.endswith(":/data") for v in compose["services"]["redis"]["volumes"])
    assert "--appendonly" in compose["services"]["redis"]["command"]


def test_gateway_fills_every_template_placeholder(compose):
    gateway = compose["services"]["gateway"]
    placeholders = set(re.findall(r"\$\{([A-Z_]+)\}", (ROOT / "Gateway" / "nginx.conf").read_text()))
    assert placeholders <= set(gateway["environment"]), placeholders - set(gateway["environment"])
    for name in SERVICES:
        assert gateway["environment"][f"{name.upper()}_UPSTREAM"] == f"{name}:8080"


def test_secrets_come_from_the_environment_file(compose):
    text = (ROOT / "docker-compose.yml").read_text()
    for secret in ["POSTGRES_PASSWORD", "REDIS_PASSWORD", "CLOUDSTRYPE_MASTER_KEY", "SERVICE_SECRET"]:
        assert f"${{{secret}:?" in text
    example = (ROOT / "Deploy" / "compose.env.example").read_text()
    for secret in ["POSTGRES_PASSWORD", "REDIS_PASSWORD", "CLOUDSTRYPE_MASTER_KEY", "SERVICE_SECRET"]:
        assert f"{secret}=" in example


def test_dockerfile_builds_any_product_in_stages():
    text = (ROOT / "Deploy" / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", text, re.M)) >= 2
    assert "ARG PRODUCT" in text
    assert '--product "${PRODUCT}"' in text
    assert "libhiredis" in text and "libisal" in text
    assert re.search(r"^USER (?!root)", text, re.M)
    assert "ENTRYPOINT" in text
