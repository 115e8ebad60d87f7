"""Shared by the e2e tests: signing in, and real cloudstrype-agent processes as array members."""

import json
import os
import pathlib
import signal
import subprocess
import socket
import time
import urllib.parse
import uuid

import requests

PASSWORD = "correct horse battery staple"
MiB = 1 << 20


def agent_binary():
    return str(pathlib.Path(os.environ["BIN_DIR"]) / "cloudstrype-agent")


def sign_in(suite, email=None):
    """Registers (if new) and signs in; the suite's ADMIN_EMAIL registers with the operator's setup token."""
    email = email or f"array-{uuid.uuid4().hex[:8]}@example.com"
    body = {"email": email, "password": PASSWORD, "name": "A"}
    if email == suite.env.get("ADMIN_EMAIL"):
        body["setup_token"] = suite.secrets()["ADMIN_SETUP_TOKEN"]
    requests.post(f"{suite.gateway}/api/auth/register", json=body)
    reply = requests.post(f"{suite.gateway}/api/auth/login", json={"email": email, "password": PASSWORD})
    assert reply.status_code == 200, reply.text
    return email, {"Authorization": f"Bearer {reply.json()['access_token']}"}


class Agent:
    """One registered member and, while running, its cloudstrype-agent process."""

    def __init__(self, suite, home, email, name):
        self.suite, self.home, self.email, self.name = suite, pathlib.Path(home), email, name
        self.config = self.home / "agent.json"
        self.data = self.home / "data"
        self.log = self.home / "agent.log"
        self.process = None
        env = dict(os.environ, CLOUDSTRYPE_EMAIL=email, CLOUDSTRYPE_PASSWORD=PASSWORD)
        result = subprocess.run(
            [agent_binary(), "register", "--server", suite.gateway, "--name", name, "--config", str(self.config)],
            env=env, capture_output=True, text=True, timeout=60,
        )
        assert result.returncode == 0, result.stderr
        self.member_id = json.loads(self.config.read_text())["member_id"]

    def start(self, capacity="1GB"):
        self.process = subprocess.Popen(
            [agent_binary(), "run", "--dir", str(self.data), "--capacity", capacity, "--config", str(self.config),
             "--status-interval", "1"],
            stdout=subprocess.DEVNULL, stderr=open(self.log, "ab"),
        )
        return self

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def output(self):
        return self.log.read_text() if self.log.exists() else ""

    def objects_url(self, key):
        return f"{self.suite.gateway}/api/array/members/{self.member_id}/objects/{key}"


def member(suite, headers, member_id):
    reply = requests.get(f"{suite.gateway}/api/array/members", headers=headers)
    assert reply.status_code == 200, reply.text
    return next((m for m in reply.json()["items"] if m["id"] == member_id), None)


def wait_online(suite, headers, agent, online=True, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = member(suite, headers, agent.member_id)
        if found and found["online"] == online:
            return found
        time.sleep(0.1)
    raise AssertionError(f"member {agent.name} not {'online' if online else 'offline'}; agent said:\n{agent.output()}")


def truncated_put(base, path, headers, declared=100, sent=b"0123456789"):
    """PUT declaring `declared` bytes, sending only `sent`, then closing the sending side: (status, raw answer)."""
    parsed = urllib.parse.urlparse(base)
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    with socket.create_connection((parsed.hostname, parsed.port), timeout=30) as connection:
        connection.sendall((f"PUT {path} HTTP/1.1\r\nHost: {parsed.hostname}\r\n{lines}"
                            f"Content-Length: {declared}\r\nConnection: close\r\n\r\n").encode() + sent)
        connection.shutdown(socket.SHUT_WR)
        answer = b""
        while piece := connection.recv(65536):
            answer += piece
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None
    return status, answer
