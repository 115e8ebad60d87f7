"""End-to-end benchmark of the filesystem through the gateway (Deploy/bench runs it against a suite of its own).

Measures, with aes256-gcm: raid1(3) on three local agents and rs(4,2) on six — upload and download MiB/s of one
SIZE_MIB file, files/s for FILES files of 4 KiB, p99 latency of listing an ENTRIES-entry directory — and in the same
run rclone doing the same into a crypt remote over a union of three local directories (create_policy = all: three
copies, the loss tolerance of raid1(3) and rs(4,2)). Then memory: FOUR concurrent SIZE_MIB uploads (summed peak RSS
of filesystem + chunk) and one 4 × SIZE_MIB upload against one SIZE_MIB upload. Peak RSS per process throughout.
Prints a Markdown section and appends it to docs/BENCHMARKS.md. ONLY=memory measures just the memory figures (with
six agents) and prints them without touching docs/BENCHMARKS.md: for trying a change quickly."""

import concurrent.futures
import datetime
import json
import os
import pathlib
import shutil
import signal
import statistics
import subprocess
import sys
import time

import requests

GATEWAY = os.environ["GATEWAY"]
RUN_DIR = pathlib.Path(os.environ["RUN_DIR"])
BIN_DIR = pathlib.Path(os.environ["BIN_DIR"])
WORK = pathlib.Path(os.environ["WORK"])
SIZE_MIB = int(os.environ.get("SIZE_MIB", "1024"))
FILES = int(os.environ.get("FILES", "1000"))
ENTRIES = int(os.environ.get("ENTRIES", "10000"))
MiB = 1 << 20
PASSWORD = "benchmark password"
SERVICES = ["filesystem", "chunk", "array"]


def pid(name):
    return int((RUN_DIR / "pids" / f"{name}.pid").read_text())


class PeakRSS:
    """Samples the resident memory of processes every 20 ms while in use; `peak(pid)` is the largest seen (MiB).
    (Sampling, because resetting the kernel's own peak, clear_refs, is not allowed everywhere.)"""

    def __init__(self, pids):
        self.pids = list(pids)
        self.peaks = {p: 0 for p in self.pids}
        self.running = False

    def __enter__(self):
        import threading
        self.running = True
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()

    def sample(self):
        while self.running:
            for p in self.pids:
                try:
                    for line in pathlib.Path(f"/proc/{p}/status").read_text().splitlines():
                        if line.startswith("VmRSS:"):
                            self.peaks[p] = max(self.peaks[p], int(line.split()[1]) // 1024)
                except OSError:
                    pass
            time.sleep(0.02)

    def peak(self, p):
        return self.peaks[p]


def timed(command, **kwargs):
    start = time.monotonic()
    subprocess.run(command, check=True, **kwargs)
    return time.monotonic() - start


def timed_rss(command, **kwargs):
    """Runs under /usr/bin/time -v: seconds and the peak RSS in MiB."""
    start = time.monotonic()
    result = subprocess.run(["/usr/bin/time", "-v", *command], check=True, stderr=subprocess.PIPE, text=True, **kwargs)
    seconds = time.monotonic() - start
    rss = next(int(l.split()[-1]) for l in result.stderr.splitlines() if "Maximum resident set size" in l)
    return seconds, rss // 1024


class User:
    def __init__(self):
        email = f"bench-{int(time.time())}@example.com"
        requests.post(f"{GATEWAY}/api/auth/register", json={"email": email, "password": PASSWORD, "name": "B"})
        token = requests.post(f"{GATEWAY}/api/auth/login", json={"email": email, "password": PASSWORD}).json()
        self.email = email
        self.token = token["access_token"]
        self.headers = {"Authorization": f"Bearer {self.token}"}

    def agent(self, number):
        home = WORK / f"agent{number}"
        home.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, CLOUDSTRYPE_EMAIL=self.email, CLOUDSTRYPE_PASSWORD=PASSWORD)
        subprocess.run([str(BIN_DIR / "cloudstrype-agent"), "register", "--server", GATEWAY, "--name",
                        f"bench-{number}", "--config", str(home / "agent.json")], env=env, check=True,
                       capture_output=True)
        process = subprocess.Popen(
            [str(BIN_DIR / "cloudstrype-agent"), "run", "--dir", str(home / "data"), "--capacity", "60GB",
             "--config", str(home / "agent.json"), "--status-interval", "3600"],
            stdout=subprocess.DEVNULL, stderr=open(home / "agent.log", "ab"))
        member = json.loads((home / "agent.json").read_text())["member_id"]
        for _ in range(200):
            items = requests.get(f"{GATEWAY}/api/array/members", headers=self.headers).json()["items"]
            if any(m["id"] == member and m["online"] for m in items):
                return process
            time.sleep(0.1)
        raise RuntimeError("agent did not come online")


def curl_upload(user, source, path, durability):
    return ["curl", "-sf", "-o", "/dev/null", "-T", str(source), "-H", f"Authorization: Bearer {user.token}",
            "-H", f"X-Durability: {durability}", f"{GATEWAY}/api/filesystem/data?path={path}"]


def file_id(user, path):
    reply = requests.get(f"{GATEWAY}/api/filesystem/info", params={"path": path, "depth": 0}, headers=user.headers)
    reply.raise_for_status()
    return reply.json()["id"]


def small_files(user, durability, folder):
    payloads = [os.urandom(4096) for _ in range(FILES)]
    session = requests.Session()
    session.headers.update({**user.headers, "X-Durability": durability})

    def put(index):
        reply = session.put(f"{GATEWAY}/api/filesystem/data", params={"path": f"{folder}/f{index:05}.bin"},
                            data=payloads[index])
        reply.raise_for_status()

    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(put, range(FILES)))
    return FILES / (time.monotonic() - start)


def listing_p99(user):
    session = requests.Session()
    session.headers.update(user.headers)

    def mkdir(index):
        session.post(f"{GATEWAY}/api/filesystem/dirs", json={"path": f"/list/d{index:05}"}).raise_for_status()

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(mkdir, range(ENTRIES)))
    samples = []
    for _ in range(50):
        # The whole directory, page after page (an answer holds at most 1000 entries and says where to go on).
        start = time.monotonic()
        entries, cursor = 0, None
        while True:
            params = {"path": "/list", "depth": 1, **({"cursor": cursor} if cursor else {})}
            reply = session.get(f"{GATEWAY}/api/filesystem/info", params=params)
            reply.raise_for_status()
            page = reply.json()
            entries += len(page["children"])
            cursor = page.get("next")
            if not cursor:
                break
        samples.append(time.monotonic() - start)
        assert entries == ENTRIES, entries
    return statistics.quantiles(samples, n=100)[98] * 1000


def suite_run(user, durability, source, agents):
    path = f"/bench/{durability}.bin"
    with PeakRSS([pid(name) for name in SERVICES] + [a.pid for a in agents]) as rss:
        up = timed(curl_upload(user, source, path, durability))
        down = timed(["curl", "-sf", "-o", "/dev/null", "-H", f"Authorization: Bearer {user.token}",
                      f"{GATEWAY}/api/filesystem/data/{file_id(user, path)}"])
    peaks = {name: rss.peak(pid(name)) for name in SERVICES}
    peaks["agents (max)"] = max(rss.peak(a.pid) for a in agents)
    files = small_files(user, durability, f"/small-{durability}")
    return {"upload": SIZE_MIB / up, "download": SIZE_MIB / down, "files": files, "peaks": peaks}


def rclone_run(source):
    base = WORK / "rclone"
    dirs = [base / f"r{i}" for i in range(3)]
    for d in dirs:
        d.mkdir(parents=True, exist_ok=True)
    password = subprocess.run(["rclone", "obscure", "benchmark-pass"], capture_output=True, text=True,
                              check=True).stdout.strip()
    config = base / "rclone.conf"
    config.write_text(
        f"[u]\ntype = union\nupstreams = {' '.join(str(d) for d in dirs)}\ncreate_policy = all\n"
        f"action_policy = all\nsearch_policy = ff\n\n[c]\ntype = crypt\nremote = u:data\npassword = {password}\n")
    env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}
    rc = ["rclone", "--config", str(config)]
    up, up_rss = timed_rss([*rc, "copyto", str(source), "c:big.bin"], env=env)
    down, down_rss = timed_rss([*rc, "cat", "c:big.bin"], env=env, stdout=subprocess.DEVNULL)
    small = base / "small"
    small.mkdir()
    for index in range(FILES):
        (small / f"f{index:05}.bin").write_bytes(os.urandom(4096))
    files_seconds, _ = timed_rss([*rc, "copy", str(small), "c:small", "--transfers", "8"], env=env)
    listing = base / "list"
    listing.mkdir()
    for index in range(ENTRIES):
        (listing / f"d{index:05}").touch()
    subprocess.run([*rc, "copy", str(listing), "c:list", "--transfers", "16"], env=env, check=True)
    samples = []
    for _ in range(20):
        start = time.monotonic()
        subprocess.run([*rc, "lsf", "c:list"], env=env, check=True, stdout=subprocess.DEVNULL)
        samples.append(time.monotonic() - start)
    shutil.rmtree(base)
    return {"upload": SIZE_MIB / up, "download": SIZE_MIB / down, "files": FILES / files_seconds,
            "list_p99": statistics.quantiles(samples, n=100)[98] * 1000, "rss": max(up_rss, down_rss)}


def restart(names):
    """Fresh filesystem and chunk processes: a process's resident memory does not shrink after a peak, so each
    memory figure is taken from processes that did nothing else before."""
    for name in names:
        process = pid(name)
        os.kill(process, signal.SIGTERM)
        while pathlib.Path(f"/proc/{process}").exists():
            time.sleep(0.05)
    subprocess.run([str(pathlib.Path(__file__).resolve().parent / "run"), "start"], check=True,
                   capture_output=True)


def memory_run(user, source):
    """Four concurrent SIZE_MIB uploads, one SIZE_MIB upload, one 4 × SIZE_MIB upload (streamed from a pipe)."""
    restart(["filesystem", "chunk"])
    watched = [pid("filesystem"), pid("chunk")]
    commands = [curl_upload(user, source, f"/memory/four-{i}.bin", "rs(4,2)") for i in range(4)]
    with PeakRSS(watched) as rss:
        start = time.monotonic()
        running = [subprocess.Popen(c) for c in commands]
        assert all(p.wait() == 0 for p in running)
        four_seconds = time.monotonic() - start
    four = sum(rss.peak(p) for p in watched)
    four_each = {name: rss.peak(p) for name, p in zip(["filesystem", "chunk"], watched)}
    restart(["filesystem", "chunk"])
    watched = [pid("filesystem"), pid("chunk")]
    with PeakRSS(watched) as rss:
        timed(curl_upload(user, source, "/memory/one.bin", "rs(4,2)"))
    one = sum(rss.peak(p) for p in watched)
    restart(["filesystem", "chunk"])
    watched = [pid("filesystem"), pid("chunk")]
    with PeakRSS(watched) as rss:
        cat = subprocess.Popen(["cat", str(source), str(source), str(source), str(source)], stdout=subprocess.PIPE)
        subprocess.run(curl_upload(user, "-", "/memory/big.bin", "rs(4,2)"), stdin=cat.stdout, check=True)
        cat.wait()
    large = sum(rss.peak(p) for p in watched)
    size = requests.get(f"{GATEWAY}/api/filesystem/info", params={"path": "/memory/big.bin", "depth": 0},
                        headers=user.headers).json()["size"]
    assert size == 4 * SIZE_MIB * MiB, size
    return {"four": four, "four_each": four_each, "four_rate": 4 * SIZE_MIB / four_seconds, "one": one,
            "large": large}


def main():
    source = WORK / "source.bin"
    with open(source, "wb") as out:
        for _ in range(SIZE_MIB):
            out.write(os.urandom(MiB))
    user = User()
    if os.environ.get("ONLY") == "memory":
        agents = [user.agent(i) for i in range(6)]
        print(json.dumps(memory_run(user, source)))
        for agent in agents:
            agent.kill()
        return 0
    agents = [user.agent(i) for i in range(3)]
    raid = suite_run(user, "raid1(3)", source, agents)
    agents += [user.agent(i) for i in range(3, 6)]
    # Chunk lists an owner's backends at most every 2 s: the new members are placed on from the next listing.
    time.sleep(3)
    rs = suite_run(user, "rs(4,2)", source, agents)
    p99 = listing_p99(user)
    memory = memory_run(user, source)
    rclone = rclone_run(source)
    for agent in agents:
        agent.kill()
    machine = f"{os.cpu_count()} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') >> 30} GiB"
    day = datetime.date.today().isoformat()

    def row(name, result, rss):
        return (f"| {name} | {result['upload']:.0f} MiB/s ({result['upload'] / rclone['upload']:.2f}×) | "
                f"{result['download']:.0f} MiB/s ({result['download'] / rclone['download']:.2f}×) | "
                f"{result['files']:.0f}/s ({result['files'] / rclone['files']:.2f}×) | {rss} |")

    peaks = lambda r: ", ".join(f"{k} {v} MiB" for k, v in r["peaks"].items())
    lines = [
        "",
        f"## filesystem end to end (Deploy/bench) — {day}, {machine}, release build",
        "",
        f"One {SIZE_MIB} MiB file up (`curl -T`, PUT /data) and down, {FILES} files of 4 KiB (8 at a time), "
        f"aes256-gcm, 4 MiB chunks, 4 in flight; rclone: crypt over a union of three local directories "
        "(create_policy = all), same data, same run. Ratios are to rclone.",
        "",
        "| setup | upload | download | 4 KiB files | peak RSS |",
        "|---|---|---|---|---|",
        row("raid1(3), 3 agents", raid, peaks(raid)),
        row("rs(4,2), 6 agents", rs, peaks(rs)),
        f"| rclone crypt/union ×3 | {rclone['upload']:.0f} MiB/s | {rclone['download']:.0f} MiB/s | "
        f"{rclone['files']:.0f}/s | rclone {rclone['rss']} MiB |",
        "",
        f"Listing a {ENTRIES}-entry directory (`GET /info?depth=1`, every page of 1000): p99 {p99:.0f} ms; rclone `lsf` of "
        f"{ENTRIES} files: p99 {rclone['list_p99']:.0f} ms.",
        "",
        f"Memory (filesystem + chunk, summed peak RSS): four concurrent {SIZE_MIB} MiB uploads {memory['four']} MiB "
        f"(target < 300; {memory['four_rate']:.0f} MiB/s together); one {SIZE_MIB} MiB upload {memory['one']} MiB; "
        f"one {4 * SIZE_MIB} MiB upload {memory['large']} MiB ({memory['large'] / max(memory['one'], 1):.2f}× the "
        f"{SIZE_MIB} MiB one; target within ±15%).",
    ]
    text = "\n".join(lines)
    print(text)
    with open(pathlib.Path(__file__).resolve().parent.parent / "docs" / "BENCHMARKS.md", "a") as out:
        out.write(text + "\n")


if __name__ == "__main__":
    sys.exit(main())
