#!/usr/bin/env python3
"""The fault run (Deploy/fault starts the suite and calls this): a user with three agents and an S3 account, under a
steady load of uploads and downloads of mixed sizes (empty and small files kept inline in PostgreSQL among them),
while faults come one at a time — each service instance killed (SIGKILL) and restarted, Redis and PostgreSQL
restarted, PostgreSQL and an agent killed mid-batch of small files, a stored shard corrupted on disk, the S3 endpoint
failing, an agent killed for good. Afterwards: every acknowledged file reads back with its SHA-256, every visible
file is whole, repair has restored full durability, no orphan chunks remain, no backend and no inline row holds a
byte of plaintext, some files were kept inline, and no log holds a secret. Prints a table per fault and exits 1 when
any promise is broken.

Environment: GATEWAY, RUN_DIR, BIN_DIR, WORK, the S3_TEST_* settings of an S3 server, and Deploy/run's own settings
(ports, REPLICAS) so `Deploy/run start` brings back what a fault stopped."""

import hashlib
import json
import os
import pathlib
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
import requests

ROOT = pathlib.Path(__file__).resolve().parents[1]
GATEWAY = os.environ["GATEWAY"]
RUN_DIR = pathlib.Path(os.environ["RUN_DIR"])
BIN_DIR = pathlib.Path(os.environ["BIN_DIR"])
WORK = pathlib.Path(os.environ["WORK"])
SERVICES = ["auth", "cloud", "array", "chunk", "filesystem"]
PASSWORD = "fault run password 1"
KiB, MiB = 1 << 10, 1 << 20
# Filesystem's INLINE_MAX_BYTES (its default): a file of at most this many bytes is sealed inline in PostgreSQL.
INLINE_MAX = 64 * KiB
# Size -> weight in the load's mix: an empty file, small ones up to the inline limit and one byte over it (chunks).
SIZES = {0: 1, 100: 2, 4 * KiB: 3, 60 * KiB: 2, INLINE_MAX: 2, INLINE_MAX + 1: 2, 200 * KiB: 2, 1 * MiB: 2, 5 * MiB: 1}
DURABILITIES = ["raid1(2)", "rs(2,1)"]
# Every uploaded file starts with this: finding it on an agent's disk, in the bucket or in an inline row means
# plaintext was stored.
MARKER = b"CLOUDSTRYPE-FAULT-RUN-PLAINTEXT-MARKER"
# A client retries like a careful one would: the gateway's 502/503/504, a dropped connection, a 429.
RETRY_STATUSES = {429, 500, 502, 503, 504}
ATTEMPTS = 10


def log(message):
    print(f"[fault {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def content(rng, size):
    """`size` random bytes after the marker (as much of it as fits: an empty file holds none)."""
    return (MARKER + rng.randbytes(max(size - len(MARKER), 0)))[:size]


def alive(pid):
    """Whether process `pid` runs (a zombie, gone but not reaped, does not)."""
    try:
        return pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def children(pid):
    """The ids of the processes whose parent is `pid`."""
    found = []
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            pass
    return found


def secrets():
    values = {}
    for line in (RUN_DIR / "secrets.env").read_text().splitlines():
        key, _, value = line.partition("=")
        values[key] = value
    return values


def sql(query, **params):
    """One value-per-line answer of `query` against the suite's database; each of `params` is a psql variable the
    query quotes as :'name', so no value is ever spliced into the SQL text."""
    env = {**os.environ, "PGPASSWORD": secrets()["POSTGRES_PASSWORD"]}
    variables = [argument for name, value in params.items() for argument in ("-v", f"{name}={value}")]
    # From standard input, not -c: psql interpolates variables only in what it reads as a script.
    result = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", os.environ["POSTGRES_PORT"], "-U", "cloudstrype", "-d", "cloudstrype",
         "-At", "-v", "ON_ERROR_STOP=1", *variables, "-f", "-"],
        input=query, env=env, capture_output=True, text=True, timeout=30,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip())
    return [line for line in result.stdout.splitlines() if line]


def deploy(*args):
    env = {**os.environ, "SKIP_BUILD": "1"}
    result = subprocess.run([str(ROOT / "Deploy" / "run"), *args], env=env, capture_output=True, text=True,
                            timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"Deploy/run {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


def instance_ports(name):
    base = int(os.environ[f"{name.upper()}_PORT"])
    return [base + 20 * k for k in range(int(os.environ.get("REPLICAS", "1")))]


def all_ready():
    for name in SERVICES:
        for port in instance_ports(name):
            try:
                if requests.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code != 200:
                    return False
            except requests.RequestException:
                return False
    return True


def wait_for(condition, timeout, step=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except Exception:  # noqa: BLE001 - a check that cannot run yet is a check that has not passed
            pass
        time.sleep(step)
    return False


class S3Proxy:
    """A TCP relay in front of the S3 server, so the run can make the endpoint fail (connections reset at once)
    without losing what the server holds."""

    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.failing = False
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # A fixed port (Deploy/fault's S3_RELAY_PORT), allowed in ALLOWED_PRIVATE_ENDPOINTS like the S3 server's.
        self.listener.bind(("127.0.0.1", int(os.environ.get("S3_RELAY_PORT", "0"))))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            client, _ = self.listener.accept()
            if self.failing:
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pipe, args=(source, sink), daemon=True).start()

    def pipe(self, source, sink):
        try:
            while data := source.recv(256 * KiB):
                if self.failing:
                    break
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Load:
    """Steady uploads (new files, mixed sizes and durabilities) and downloads of acknowledged files, each operation
    retried as a client would; every attempt is recorded."""

    def __init__(self, headers, workers=3):
        self.headers = headers
        self.lock = threading.Lock()
        self.acknowledged = {}  # path -> (id, sha256, size)
        self.acknowledged_at = {}  # path -> when the upload was acknowledged
        self.attempted = {}  # path -> sha256 of what was sent
        self.operations = []  # (start, end, kind, failed attempts, ok)
        self.wrong_bytes = []  # downloads that returned other bytes than acknowledged
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.work, args=(n,), daemon=True) for n in range(workers)]

    def start(self):
        for thread in self.threads:
            thread.start()

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(180)

    def work(self, worker):
        rng = random.Random(worker)
        http = requests.Session()
        number = 0
        while not self.stopping.is_set():
            with self.lock:
                known = list(self.acknowledged.items())
            if known and rng.random() < 0.35:
                self.download(http, *rng.choice(known))
            else:
                number += 1
                self.upload(http, rng, f"/load/w{worker}/f{number}.bin")

    def attempt(self, kind, call):
        """Runs `call` until it gives a final answer; returns the response or None."""
        started, failures = time.monotonic(), 0
        response = None
        for attempt in range(ATTEMPTS):
            try:
                response = call()
                if response.status_code not in RETRY_STATUSES:
                    break
            except requests.RequestException:
                response = None
            failures += 1
            time.sleep(min(0.25 * 2 ** attempt, 4))
        ok = response is not None and response.ok
        with self.lock:
            self.operations.append((started, time.monotonic(), kind, failures, ok))
        return response if ok else None

    def upload(self, http, rng, path, size=None):
        """Uploads a new file of `size` bytes (drawn from SIZES without it); remembered once acknowledged."""
        size = rng.choices(list(SIZES), weights=list(SIZES.values()))[0] if size is None else size
        data = content(rng, size)
        digest = hashlib.sha256(data).hexdigest()
        with self.lock:
            self.attempted[path] = digest
        headers = {**self.headers, "X-Durability": rng.choice(DURABILITIES)}
        reply = self.attempt("upload", lambda: http.put(f"{GATEWAY}/api/filesystem/data", params={"path": path},
                                                         data=data, headers=headers, timeout=120))
        if reply is not None and reply.status_code in (200, 201):
            body = reply.json()
            if body["sha256"] != digest:
                self.wrong_bytes.append(f"upload {path}: acknowledged {body['sha256']}, sent {digest}")
            with self.lock:
                self.acknowledged[path] = (body["id"], digest, len(data))
                self.acknowledged_at[path] = time.monotonic()

    def download(self, http, path, known):
        file_id, digest, size = known
        reply = self.attempt("download", lambda: http.get(f"{GATEWAY}/api/filesystem/data/{file_id}",
                                                           headers=self.headers, timeout=120))
        if reply is not None and hashlib.sha256(reply.content).hexdigest() != digest:
            self.wrong_bytes.append(f"download {path}: {len(reply.content)} bytes, not the acknowledged {size}")

    def acknowledged_under(self, folder):
        with self.lock:
            return sum(1 for path in self.acknowledged if path.startswith(folder))

    def between(self, start, end):
        with self.lock:
            return [op for op in self.operations if op[0] < end and op[1] > start]


class Run:
    def __init__(self):
        self.email = f"fault-{uuid.uuid4().hex[:8]}@example.com"
        requests.post(f"{GATEWAY}/api/auth/register",
                      json={"email": self.email, "password": PASSWORD, "name": "Fault run"}, timeout=30)
        self.refresh_token = None
        self.headers = {}
        self.sign_in()
        self.agents = [self.start_agent(n) for n in range(3)]
        self.prefix = f"fault-{uuid.uuid4().hex[:8]}"
        self.proxy = S3Proxy("127.0.0.1", int(os.environ["S3_TEST_ENDPOINT"].rsplit(":", 1)[1]))
        account = requests.post(f"{GATEWAY}/api/cloud/accounts", headers=self.headers, timeout=60, json={
            "provider": "s3", "name": "fault-s3", "endpoint": f"http://127.0.0.1:{self.proxy.port}",
            "region": os.environ["S3_TEST_REGION"], "bucket": os.environ["S3_TEST_BUCKET"],
            "prefix": self.prefix, "path_style": True,
            "access_key_id": os.environ["S3_TEST_ACCESS_KEY_ID"],
            "secret_access_key": os.environ["S3_TEST_SECRET_ACCESS_KEY"],
        })
        assert account.status_code == 201, account.text
        self.account_id = account.json()["id"]
        self.rows = []

    def sign_in(self):
        reply = requests.post(f"{GATEWAY}/api/auth/login", json={"email": self.email, "password": PASSWORD},
                              timeout=30)
        assert reply.status_code == 200, reply.text
        self.headers.clear()
        self.headers["Authorization"] = f"Bearer {reply.json()['access_token']}"

    def start_agent(self, number):
        home = WORK / f"agent{number}"
        (home / "data").mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "CLOUDSTRYPE_EMAIL": self.email, "CLOUDSTRYPE_PASSWORD": PASSWORD}
        subprocess.run([str(BIN_DIR / "cloudstrype-agent"), "register", "--server", GATEWAY, "--name",
                        f"fault-{number}", "--config", str(home / "agent.json")],
                       env=env, check=True, capture_output=True, timeout=60)
        return self.run_agent(home)

    def run_agent(self, home):
        """Runs the agent registered in `home` (again, after a kill: same member, same disk) until it is online."""
        process = subprocess.Popen(
            [str(BIN_DIR / "cloudstrype-agent"), "run", "--dir", str(home / "data"), "--capacity", "4GB",
             "--config", str(home / "agent.json"), "--status-interval", "1"],
            stdout=subprocess.DEVNULL, stderr=open(home / "agent.log", "ab"),
        )
        member = json.loads((home / "agent.json").read_text())["member_id"]
        assert wait_for(lambda: self.member_online(member), 30), f"{home.name} did not come online"
        return {"home": home, "process": process, "member": member}

    def member_online(self, member):
        reply = requests.get(f"{GATEWAY}/api/array/members/{member}", headers=self.headers, timeout=5)
        return reply.ok and reply.json()["online"]

    def fault(self, name, inject, recovered, settle=4.0, timeout=120):
        """Injects one fault under load, waits until `recovered()`, lets the load run on, and records the row."""
        log(f"fault: {name}")
        start = time.monotonic()
        inject()
        ok = wait_for(recovered, timeout)
        recovery = time.monotonic() - start
        time.sleep(settle)
        end = time.monotonic()
        ops = self.load.between(start, end)
        self.rows.append({
            "fault": name, "start": start, "end": end, "requests": len(ops),
            "failed attempts": sum(op[3] for op in ops), "failed requests": sum(1 for op in ops if not op[4]),
            "recovery": f"{recovery:.1f} s" if ok else f"not within {timeout} s",
        })
        if not ok:
            self.broken.append(f"{name}: did not recover within {timeout} s")

    def kill_instance(self, service):
        pid = int((RUN_DIR / "pids" / f"{service}.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        # The other instance carries the load for a moment before the operator (Deploy/run) restarts this one.
        time.sleep(2)
        deploy("start")

    def restart_redis(self):
        os.kill(int((RUN_DIR / "redis" / "redis.pid").read_text()), signal.SIGKILL)
        time.sleep(2)
        deploy("start")

    def restart_postgres(self, kill=False):
        """Crashes PostgreSQL, an immediate stop or (`kill`) a SIGKILL of its postmaster, and starts it again."""
        data = RUN_DIR / "postgres" / "data"
        if kill:
            postmaster = int((data / "postmaster.pid").read_text().split()[0])
            # Stopped first, so it forks no backend the list misses.
            os.kill(postmaster, signal.SIGSTOP)
            backends = children(postmaster)
            os.kill(postmaster, signal.SIGKILL)
            # The backends exit once they see the postmaster gone; a new one will not start beside them.
            if not wait_for(lambda: not any(alive(pid) for pid in backends), 60):
                self.broken.append("PostgreSQL's backends outlived their killed postmaster by 60 s")
        else:
            as_pg = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
            pg_bin = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")
            subprocess.run([*as_pg, f"{pg_bin}/pg_ctl", "-D", str(data), "-m", "immediate", "stop"], check=True,
                           capture_output=True, timeout=60)
        time.sleep(2)
        deploy("start")

    def kill_agent(self, number):
        self.agents[number]["process"].kill()
        self.agents[number]["process"].wait(10)

    def small_burst(self, clients=8, files=40):
        """Starts `clients` clients each uploading `files` files of 1 to 64 KiB into /load/burst; returns them."""
        def client(n):
            rng, http = random.Random(100 + n), requests.Session()
            for i in range(files):
                self.load.upload(http, rng, f"/load/burst/c{n}-f{i}.bin", size=rng.randint(KiB, INLINE_MAX))

        threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
        for thread in threads:
            thread.start()
        return threads

    def crash_mid_burst(self, burst):
        """While a burst of small uploads runs (`burst` gets its clients): SIGKILLs one agent and PostgreSQL's
        postmaster, then starts both again."""
        burst += self.small_burst()
        # Part of the batch acknowledged before the crash, part in flight, part still to come.
        wait_for(lambda: self.load.acknowledged_under("/load/burst/") >= 40, 30, step=0.05)
        self.kill_agent(1)
        self.restart_postgres(kill=True)
        self.agents[1] = self.run_agent(self.agents[1]["home"])
        log(f"the burst had {self.load.acknowledged_under('/load/burst/')} files acknowledged when both were back")

    def corrupt_shard(self):
        """Flips bytes in the middle of one shard file of an acknowledged file on an agent's disk; returns a check
        that the shard is whole again (repaired in place, or replaced elsewhere)."""
        agent = self.agents[0]
        files = sorted(p for p in (agent["home"] / "data").rglob("*") if p.is_file() and "/chunks/" in str(p)
                       and p.stat().st_size > 1024)
        target = random.Random(7).choice(files)
        original = hashlib.sha256(target.read_bytes()).hexdigest()
        chunk_id, index = sql("SELECT chunk_id || '|' || index FROM chunk.shards WHERE sha256 = :'sha256' "
                              "AND backend_id = :'member' LIMIT 1", sha256=original, member=agent["member"])[0].split("|")
        with open(target, "r+b") as handle:
            handle.seek(target.stat().st_size // 2)
            handle.write(os.urandom(64))
        log(f"corrupted shard {index} of chunk {chunk_id[:12]}… ({target.name})")
        # Reading the file at once must still give its bytes: a damaged shard is never passed on.
        file_id = sql("SELECT file_id FROM fs.version_chunks WHERE chunk_id = :'chunk' LIMIT 1", chunk=chunk_id)[0]
        with self.load.lock:
            digest = next((known[1] for known in self.load.acknowledged.values() if known[0] == file_id), None)
        reply = requests.get(f"{GATEWAY}/api/filesystem/data/{file_id}", headers=self.headers, timeout=120)
        if digest and (reply.status_code != 200 or hashlib.sha256(reply.content).hexdigest() != digest):
            self.broken.append(f"with a damaged shard the file read back {reply.status_code}, not its bytes")

        def whole():
            state, backend = sql("SELECT state || '|' || backend_id FROM chunk.shards WHERE chunk_id = :'chunk' "
                                 "AND index = :'index'", chunk=chunk_id, index=index)[0].split("|")
            if state != "ok":
                return False
            if backend != agent["member"]:
                return True
            return target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == original

        return whole

    def under_replicated(self):
        """Chunks with fewer whole shards on distinct live backends than their durability asks for (the dead agent's
        shards do not count, even before the grace period lets chunk call them lost)."""
        dead = ",".join(agent["member"] for agent in self.agents if agent["process"].poll() is not None)
        return int(sql("""
            SELECT count(*) FROM chunk.chunks c
            WHERE (SELECT count(DISTINCT s.backend_id) FROM chunk.shards s
                   WHERE s.chunk_id = c.id AND s.state = 'ok' AND s.backend_id::text <> ALL (string_to_array(:'dead', ',')))
                < CASE WHEN c.durability LIKE 'raid1(%' THEN substring(c.durability FROM 'raid1\\((\\d+)\\)')::int
                       WHEN c.durability LIKE 'rs(%' THEN substring(c.durability FROM 'rs\\((\\d+),')::int
                                                         + substring(c.durability FROM ',(\\d+)\\)')::int
                       ELSE 1 END""", dead=dead)[0])

    def account_healthy(self):
        reply = requests.get(f"{GATEWAY}/api/cloud/accounts/{self.account_id}", headers=self.headers, timeout=5)
        return reply.ok and reply.json()["health"] == "healthy"

    def main(self):
        self.broken = []
        self.load = Load(self.headers)
        self.load.start()
        time.sleep(8)
        for service in SERVICES:
            self.fault(f"kill -9 {service} (one of {len(instance_ports(service))})",
                       lambda s=service: self.kill_instance(s), all_ready)
        self.fault("restart Redis (kill -9)", self.restart_redis, all_ready)
        self.fault("restart PostgreSQL (immediate stop)", self.restart_postgres, all_ready)
        burst = []
        self.fault("kill -9 PostgreSQL and an agent mid-batch of small files", lambda: self.crash_mid_burst(burst),
                   lambda: all_ready() and not any(thread.is_alive() for thread in burst))
        whole = {}
        self.fault("corrupt a shard on an agent's disk", lambda: whole.setdefault("check", self.corrupt_shard()),
                   lambda: whole["check"]())

        def fail_s3():
            self.proxy.failing = True
            time.sleep(10)
            self.proxy.failing = False

        self.fault("S3 endpoint fails for 10 s", fail_s3, self.account_healthy)

        self.fault("kill an agent for good", lambda: self.kill_agent(2), lambda: self.under_replicated() == 0,
                   timeout=180)
        self.load.stop()
        self.verify()
        self.report()
        for agent in self.agents:
            agent["process"].kill()
        return 1 if self.broken else 0

    def entries(self, path):
        """Every entry of a folder, page after page (an answer lists at most 1000 and says where to go on)."""
        found, cursor = [], None
        while True:
            params = {"path": path, "depth": 1, **({"cursor": cursor} if cursor else {})}
            page = requests.get(f"{GATEWAY}/api/filesystem/info", params=params, headers=self.headers,
                                timeout=60).json()
            found += page.get("children", [])
            cursor = page.get("next")
            if not cursor:
                return found

    def verify(self):
        log("verifying every acknowledged file, every visible file, durability and orphans")
        self.sign_in()
        self.lost = []
        acknowledged = sorted(self.load.acknowledged.items())
        # Four at a time: most of the run's files are small, and one by one their round trips would take minutes.
        with ThreadPoolExecutor(4) as pool:
            answers = pool.map(self.digest_back, [known[0] for _, known in acknowledged])
            for (path, known), (status, digest, length) in zip(acknowledged, answers):
                if status != 200 or digest != known[1]:
                    self.lost.append(path)
                    self.broken.append(f"acknowledged {path} reads back {status}, {length} bytes")
        self.broken += self.load.wrong_bytes
        visible = [entry for folder in self.entries("/load") for entry in self.entries(folder["path"])]
        self.visible = len(visible)
        for entry in visible:
            path = entry["path"]
            known = self.load.acknowledged.get(path)
            if known and (known[0], known[1], known[2]) == (entry["id"], entry["sha256"], entry["size"]):
                continue  # read back above
            # Visible but never acknowledged (the answer was lost to a fault): it must be whole all the same.
            _, digest, length = self.digest_back(entry["id"])
            if digest != entry["sha256"] or length != entry["size"] or digest != self.load.attempted.get(path):
                self.broken.append(f"visible {path} is not whole: {length} of {entry['size']} bytes")
        if not wait_for(lambda: self.under_replicated() == 0, 120, step=2):
            self.broken.append(f"{self.under_replicated()} chunks are still short of their durability after 120 s")
        orphans_query = ("SELECT (SELECT count(*) FROM fs.loose_chunks) + (SELECT count(*) FROM chunk.chunks c "
                         "WHERE NOT EXISTS (SELECT 1 FROM fs.version_chunks v WHERE v.chunk_id = c.id))")
        if not wait_for(lambda: sql(orphans_query) == ["0"], 120, step=2):
            orphans = sql("SELECT chunk_id FROM fs.loose_chunks UNION ALL SELECT c.id FROM chunk.chunks c "
                          "WHERE NOT EXISTS (SELECT 1 FROM fs.version_chunks v WHERE v.chunk_id = c.id)")
            self.broken.append(f"orphan chunks remain after collection: {', '.join(orphans)}")
        self.broken += self.leaks()

    def digest_back(self, file_id):
        """(status, SHA-256, length) of a file as read_back reads it."""
        status, content = self.read_back(file_id)
        return status, hashlib.sha256(content).hexdigest(), len(content)

    def read_back(self, file_id):
        """(status, bytes) of a file as a client reads it, in up to three attempts. Faults are over by now, so every
        failed attempt is logged with its cause: the run shows a read that fails now and then."""
        problem = None
        for attempt in range(3):
            try:
                reply = requests.get(f"{GATEWAY}/api/filesystem/data/{file_id}", headers=self.headers, timeout=120)
                if reply.status_code == 200:
                    return 200, reply.content
                problem = (reply.status_code, reply.text[:300])
            except requests.RequestException as error:
                problem = (None, str(error)[:300])
            log(f"reading {file_id} failed (attempt {attempt + 1} of 3): {problem[1]}")
            time.sleep(1)
        return problem[0], b""

    def leaks(self):
        """Plaintext on any backend (the marker every upload starts with, on the agents' disks or in the bucket) or in
        a small file's inline row, no file kept inline at all, and secrets in any log of the run."""
        found = []
        for agent in self.agents:
            for path in (agent["home"] / "data").rglob("*"):
                if path.is_file() and MARKER in path.read_bytes():
                    found.append(f"plaintext on agent disk: {path}")
        s3 = boto3.client("s3", endpoint_url=os.environ["S3_TEST_ENDPOINT"], region_name=os.environ["S3_TEST_REGION"],
                          aws_access_key_id=os.environ["S3_TEST_ACCESS_KEY_ID"],
                          aws_secret_access_key=os.environ["S3_TEST_SECRET_ACCESS_KEY"])
        bucket, objects = os.environ["S3_TEST_BUCKET"], 0
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                objects += 1
                if MARKER in s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read():
                    found.append(f"plaintext in the bucket: {item['Key']}")
        if objects == 0:
            found.append("the S3 account holds no objects: the plaintext scan of the bucket saw nothing")
        inline = "SELECT count(*) FROM fs.version_chunks WHERE sealed IS NOT NULL"
        self.inline = int(sql(inline)[0])
        if self.inline == 0:
            found.append("no file was kept inline in PostgreSQL: the small-file path was not exercised")
        # The run uploads with PUT only, so no tus upload's tail holds its bytes.
        plain = int(sql(f"{inline} AND position(decode(:'marker', 'hex') IN sealed) > 0", marker=MARKER.hex())[0])
        if plain:
            found.append(f"plaintext in {plain} inline rows of fs.version_chunks")
        hidden = {**secrets(), "S3 secret access key": os.environ["S3_TEST_SECRET_ACCESS_KEY"], "password": PASSWORD}
        for path in [*RUN_DIR.rglob("*.log"), *WORK.rglob("*.log")]:
            text = path.read_text(errors="replace")
            found += [f"{name} appears in {path}" for name, value in hidden.items() if value and value in text]
        log(f"scanned the agents' disks, {objects} objects in the bucket and {self.inline} inline rows for "
            "plaintext, and the logs for secrets")
        return found

    def report(self):
        ops = self.load.operations
        print()
        print(f"Fault run: {len(ops)} client requests ({sum(1 for op in ops if op[2] == 'upload')} uploads), "
              f"{len(self.load.acknowledged)} files acknowledged, {self.visible} visible; "
              f"{int(os.environ.get('REPLICAS', '1'))} instances of every service.")
        small = sum(1 for known in self.load.acknowledged.values() if known[2] <= INLINE_MAX)
        print(f"Small files: {small} acknowledged of at most {INLINE_MAX} bytes; {self.inline} kept inline in "
              "PostgreSQL (rows of fs.version_chunks with `sealed`).")
        print()
        print("| fault | requests during it | failed attempts (retried) | failed requests | data lost | recovery |")
        print("|---|---|---|---|---|---|")
        for row in self.rows:
            # A file is counted against the fault during which it was acknowledged.
            lost = sum(1 for path in self.lost if row["start"] <= self.load.acknowledged_at[path] <= row["end"])
            print(f"| {row['fault']} | {row['requests']} | {row['failed attempts']} | {row['failed requests']} | "
                  f"{lost} | {row['recovery']} |")
        print()
        total = len(self.load.acknowledged)
        print(f"Afterwards: {total - len(self.lost)} of {total} acknowledged files read back with their SHA-256 "
              f"(data lost: {len(self.lost)}); every visible file whole, every chunk healthy, no orphan chunks, no "
              f"plaintext on any backend and no secret in any log: "
              f"{'yes' if not self.broken else 'NO'}.")
        for problem in self.broken:
            print(f"BROKEN: {problem}")
        if self.broken:
            # The run's directory is gone after it: the services' last complaints are all CI keeps of them.
            lines = [line for path in (RUN_DIR / "logs").glob("*.log") for line in path.read_text(errors="replace")
                     .splitlines() if '"level":"error"' in line or '"level":"warning"' in line]
            print("\nThe services' last 40 errors and warnings:")
            for line in sorted(lines)[-40:]:
                print(line[:600])


if __name__ == "__main__":
    sys.exit(Run().main())
