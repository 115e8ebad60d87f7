"""Gateway/openapi.yaml against the code: a valid OpenAPI 3.1 document; every operation in it answers through the
gateway as documented (secured ones 401 without a token, anonymous ones reach a handler), one request each; and every
route the Swift controllers register is in it, and nothing else."""

import re
import urllib.parse
import uuid

import pytest
import requests
import yaml
from openapi_spec_validator import validate

from conftest import ROOT, SERVICES

SPEC = yaml.safe_load((ROOT / "Gateway" / "openapi.yaml").read_text())
METHODS = ("get", "put", "post", "patch", "delete", "head", "options")
# Documented for agents, but a WebSocket upgrade is no request to probe.
WEBSOCKET = ("get", "/api/array/ws")

# Routes the controllers register that the public document leaves out on purpose.
EXCLUDED = {
    # Array instances relay agent frames to each other; service role only, under /internal.
    ("POST", "/api/array/internal/members/{}/frames"),
    # Background work trades SERVICE_SECRET for a service token: for services, never for clients.
    ("POST", "/api/auth/service-token"),
    # chunk, cloud and array charge users' raw bytes to filesystem's quota ledger; service role only.
    ("POST", "/api/filesystem/internal/usage/{}"),
}
# These and /metrics exist on each service's internal listener only (INTERNAL_PORT), which the gateway never proxies.
EXCLUDED |= {("GET", f"/api/{name}/metrics") for name in SERVICES}

# Controllers of the runtime every service shares, and the services that mount them.
SHARED_CONTROLLERS = {
    "Shared/StrypeService/HTTP/OperationalController.swift": SERVICES,
    # Only services with an auth peer (AUTH_URL) verify tokens themselves, so auth has no /whoami.
    "Shared/StrypeService/Auth/WhoAmIController.swift": [name for name in SERVICES if name != "auth"],
    # The seed's chunk routes, over cloud accounts and array members alike.
    "Shared/StrypeService/Storage/SeedController.swift": ["cloud", "array"],
}
# The shared object routes, mounted where each service's conformance says (`static let route = "..."`).
MOUNTED_CONTROLLERS = {
    "Shared/StrypeService/Storage/ObjectsController.swift": {
        "cloud": "Services/Cloud/AccountObjects.swift",
        "array": "Services/Array/MemberObjects.swift",
    },
}

# `.name(arguments)`, with one level of parentheses inside the arguments (`RoleMiddleware(Role.admin)`).
CALL = re.compile(r"\.(\w+)\(((?:[^()]|\([^()]*\))*)\)")


def operations():
    for path, item in SPEC["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item, item[method]


def lookup(node):
    """The node a local `$ref` points at (followed until it is no reference)."""
    while "$ref" in node:
        target = SPEC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def parameters(item, operation, location):
    merged = {}
    for parameter in item.get("parameters", []) + operation.get("parameters", []):
        parameter = lookup(parameter)
        merged[(parameter["name"], parameter["in"])] = parameter
    return [parameter for (_, where), parameter in merged.items() if where == location]


def sample(parameter):
    """A harmless value: a random id where an id goes, the documented constant or example, else a random word."""
    schema = lookup(parameter.get("schema", {}))
    if "example" in parameter:
        return str(parameter["example"])
    if "const" in schema:
        return str(schema["const"])
    if schema.get("format") == "uuid":
        return str(uuid.uuid4())
    if schema.get("pattern") == "^[0-9a-f]{32}$":
        return uuid.uuid4().hex
    if schema.get("type") == "integer":
        return "1"
    return f"e2e-{uuid.uuid4().hex[:12]}"


def is_secured(operation):
    requirements = operation.get("security", SPEC.get("security", []))
    return bool(requirements) and {} not in requirements


def probe(suite, path, method, item, operation):
    url = path
    for parameter in parameters(item, operation, "path"):
        url = url.replace("{" + parameter["name"] + "}", urllib.parse.quote(sample(parameter), safe=""))
    assert "{" not in url, f"{path}: a path parameter is not declared"
    query = {p["name"]: sample(p) for p in parameters(item, operation, "query") if p.get("required")}
    headers = {
        p["name"]: sample(p)
        for p in parameters(item, operation, "header")
        if p.get("required") and p["name"] != "Content-Length"
    }
    return requests.request(
        method.upper(), suite.gateway + url, params=query, headers=headers, timeout=30, allow_redirects=False
    )


def test_document_is_valid_openapi_3_1():
    validate(SPEC)
    assert SPEC["openapi"].startswith("3.1.")
    ids = [operation["operationId"] for _, _, _, operation in operations()]
    assert len(ids) == len(set(ids)), "operationIds must be unique"
    for path, method, _, operation in operations():
        assert any(code.startswith("2") or code == "101" for code in operation["responses"]), f"{method} {path}"
        if is_secured(operation) and (method, path) != WEBSOCKET:
            assert "401" in operation["responses"], f"{method} {path} is secured but does not document 401"


PROBED = [entry for entry in operations() if (entry[1], entry[0]) != WEBSOCKET]


@pytest.mark.parametrize("path, method, item, operation", PROBED, ids=[entry[3]["operationId"] for entry in PROBED])
def test_operation_answers_as_documented(suite, path, method, item, operation):
    reply = probe(suite, path, method, item, operation)
    where = f"{method.upper()} {path} answered {reply.status_code}: {reply.text[:300]}"
    if is_secured(operation):
        assert reply.status_code == 401, where
        assert reply.headers.get("WWW-Authenticate", "").startswith("Bearer"), where
        if method != "head":
            body = reply.json()
            assert set(body) == {"error"}, where
            assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str), where
        return
    assert reply.status_code != 405, where
    if reply.status_code == 404 and method != "head":
        message = reply.json()["error"]["message"]
        assert message != "no such service", where
        assert not message.startswith("no route for"), where
    assert str(reply.status_code) in operation["responses"], f"undocumented status: {where}"


def add_routes_body(source, where):
    """The body of the file's one `func addRoutes(to routes:)`."""
    starts = [m.start() for m in re.finditer(r"func addRoutes\(to routes:", source)]
    assert len(starts) == 1, f"{where}: expected one addRoutes(to:), found {len(starts)}"
    opening = source.index("{", starts[0])
    depth = 0
    for index in range(opening, len(source)):
        depth += {"{": 1, "}": -1}.get(source[index], 0)
        if depth == 0:
            return source[opening + 1 : index]
    raise AssertionError(f"{where}: addRoutes(to:) does not end")


def registered_routes(source, where):
    """(METHOD, path) of every route addRoutes registers: `routes.router.get("/x", use:)`, authenticated groups
    (`routes.authenticated("/a")`, a group at /a) and groups bound to names (`let b = a.add(middleware: n)`), chains
    across lines (`routes.authenticated("/me").get(use: me).patch(use: update)`), and
    `.on("/x", method: .options, use:)`."""
    body = add_routes_body(source, where)
    body = re.sub(r"\broutes\.router\b", "router", body)
    body = re.sub(r"\broutes\.authenticated\(", "router.group(", body)
    body = re.sub(r"\broutes\.authentication\b", "authentication", body)
    prefixes = {"router": ""}
    routes = []
    for line in re.sub(r"\n\s*\.", ".", body).splitlines():
        line = line.strip()
        if not line or line.startswith("//"):
            continue
        statement = re.fullmatch(r"(?:let (\w+) = )?(\w+)((?:\..*)?)", line)
        assert statement, f"{where}: cannot read {line!r}"
        name, receiver, chain = statement.groups()
        assert receiver in prefixes, f"{where}: unknown router or group {receiver!r} in {line!r}"
        assert CALL.sub("", chain) == "", f"{where}: cannot read {line!r}"
        prefix = prefixes[receiver]
        for call, arguments in CALL.findall(chain):
            literal = re.match(r'\s*"([^"]*)"', arguments)
            segment = literal.group(1) if literal else ""
            if call == "group":
                prefix += segment
            elif call == "add":
                continue
            elif call in ("get", "put", "post", "patch", "delete", "head"):
                assert "use:" in arguments, f"{where}: {line!r}"
                routes.append((call.upper(), prefix + segment))
            elif call == "on":
                method = re.search(r"method: \.(\w+)", arguments)
                assert method and "use:" in arguments, f"{where}: {line!r}"
                routes.append((method.group(1).upper(), prefix + segment))
            else:
                raise AssertionError(f"{where}: unknown call .{call}( in {line!r}; teach this test about it")
        if name:
            prefixes[name] = prefix
    assert len(routes) == body.count("use:"), f"{where}: read {len(routes)} routes of {body.count('use:')}"
    return routes


def template(path):
    """A path with every parameter (`{id}`, `{chunk_id}`) and catch-all (`**`) as `{}`."""
    return re.sub(r"\{[^}]*\}|\*\*", "{}", path)


def test_every_registered_route_is_documented():
    code = set()
    for controller in sorted(ROOT.glob("Services/*/*Controller.swift")):
        service = controller.parent.name.lower()
        for method, path in registered_routes(controller.read_text(), controller.name):
            code.add((method, template(f"/api/{service}{path}")))
    for relative, services in SHARED_CONTROLLERS.items():
        for method, path in registered_routes((ROOT / relative).read_text(), relative):
            code |= {(method, template(f"/api/{service}{path}")) for service in services}
    for relative, mounts in MOUNTED_CONTROLLERS.items():
        for service, conformance in mounts.items():
            route = re.search(r'static let route = ("[^"]*")', (ROOT / conformance).read_text()).group(1)
            source = re.sub(r"\bObjects\.route\b", route, (ROOT / relative).read_text())
            for method, path in registered_routes(source, relative):
                code.add((method, template(f"/api/{service}{path}")))
    assert code >= EXCLUDED, f"exclusions no longer registered: {sorted(EXCLUDED - code)}"
    documented = {(method.upper(), template(path)) for path, method, _, _ in operations()}
    public = code - EXCLUDED
    assert not public - documented, f"registered but not in openapi.yaml: {sorted(public - documented)}"
    assert not documented - public, f"in openapi.yaml but not registered: {sorted(documented - public)}"
