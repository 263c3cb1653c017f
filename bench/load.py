"""Load, memory and start-up of the assistant over Rasa's REST channel, against a stock Rasa baseline.

One command measures, in one run on one machine:
1. latency (p50/p95/p99 per user message) and throughput (messages/s, complete intakes/s) of full
   scripted intakes (the Dutch/English scripts of bench/conversation_turns.py, a fresh sender id per
   conversation) at 1, 10 and 50 concurrent virtual users, for
   a. our assistant on SQLite (`Stack(settings, model)`, temporary SQLite file),
   b. our assistant in production mode (`Stack(..., prod=True, replicas=2)`, fresh PostgreSQL database,
      private redis-server; messages spread over the replicas by `RasaClient` (least outstanding requests)),
   c. the baseline: a stock `rasa init --no-prompt` assistant (moodbot), created and trained now under
      var/bench/, served with `rasa run`; its conversations are of similar length ("hello", "I am sad", ...);
   every number of ours also as a ratio to the baseline at the same concurrency;
2. training time (ours only with --train, else the last measured one; the baseline's `rasa train --force`)
   and model load time (process start to first answered message);
3. resident memory (RSS) of every process of the Stack after --conversations conversations, and its
   growth over a soak of --soak-seconds at a constant moderate load (samples and slope in MB/min);
4. intakes per second the handoff dispatcher delivers (bench/dispatcher_throughput.py's main()).
The load comes from a separate process (this file started with --_generate: asyncio + httpx), bounded in
conversations and time. Results: bench/results/load.json, load.md, load.png.

Usage: .venv/bin/python bench/load.py [--quick] [--users 1,10,50] [--duration-seconds 60]
       [--conversations 1000] [--soak-seconds 600] [--train] [--configs sqlite,prod,baseline]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib.util
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench/results"
BENCH_VAR = ROOT / "var/bench"
PYTHON = sys.executable
RASA = str(Path(sys.executable).parent / "rasa")
TICK = os.sysconf("SC_CLK_TCK")
QUIET_ENV = {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2",
             "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "PYTHONUNBUFFERED": "1"}

# The baseline's conversations: moodbot's own intents, about as many user turns as ours (mean 7.5).
BASELINE_SCRIPTS = [
    ["hello", "I am sad", "yes", "I am great", "are you a bot?", "great", "goodbye", "bye"],
    ["hi", "I am feeling very good", "am I talking to a bot?", "hey there", "very sad", "no", "bye"],
    ["hey", "not good", "of course", "perfect", "are you a human?", "hello there", "amazing", "see you later"],
    ["good morning", "unhappy", "no", "super sad", "yes", "wonderful", "bye bye"],
]
LOG_PATTERN = re.compile(r"ERROR|CRITICAL|Traceback|Exception|database is locked|timed out|LockError|"
                         r"Too many connections|Internal Server Error|Service Unavailable", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------
# The load generator (runs in its own process: `bench/load.py --_generate SPEC OUT`)
# ---------------------------------------------------------------------------------------------

async def _generate(spec: dict) -> dict:
    import httpx

    from bot.runtime.rasa_client import RasaClient

    router = RasaClient(spec["urls"])
    users, scripts, marker = spec["users"], spec["scripts"], spec.get("complete_marker")
    duration, max_conversations, drain = spec["duration"], spec["max_conversations"], spec["drain"]
    latencies: list[float] = []          # seconds, every answered message
    message_done: list[float] = []       # completion time of each answered message, relative to t0
    conversations_done: list[tuple[float, bool]] = []
    errors: Counter = Counter()
    samples: list[str] = []
    counts = Counter()
    state = {"started": 0}
    limits = httpx.Limits(max_connections=users * len(spec["urls"]) + 10,
                          max_keepalive_connections=users * len(spec["urls"]) + 10)

    def error(kind: str, text: str) -> None:
        errors[kind] += 1
        if len(samples) < 20:
            samples.append(f"{time.perf_counter() - t0:.1f}s {kind}: {text[:300]}")

    async with httpx.AsyncClient(timeout=spec["timeout"], limits=limits) as client:
        t0 = time.perf_counter()
        deadline = t0 + duration        # no new conversation starts after this
        hard_deadline = deadline + drain  # conversations in progress may finish until this

        async def send(sender: str, message: str) -> list[dict] | None:
            started = time.perf_counter()
            for attempt, url in enumerate(router.order_for(sender)):  # the product's replica choice
                if attempt:
                    counts["failovers"] += 1
                try:
                    with router.busy(url):  # the product's load count: least outstanding requests
                        answer = await client.post(f"{url}/webhooks/rest/webhook",
                                                   json={"sender": sender, "message": message})
                except httpx.TimeoutException as exc:
                    error("timeout", f"{url} {type(exc).__name__} after {time.perf_counter() - started:.1f}s")
                    return None
                except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError) as exc:
                    error(type(exc).__name__, f"{url} {exc}")
                    continue
                if answer.status_code >= 500:
                    error(f"HTTP {answer.status_code}", f"{url} {answer.text}")
                    continue
                if answer.status_code != 200:
                    error(f"HTTP {answer.status_code}", f"{url} {answer.text}")
                    return None
                done = time.perf_counter()
                latencies.append(done - started)
                message_done.append(done - t0)
                body = answer.json()
                if not body:
                    counts["empty_answers"] += 1
                return body
            return None

        async def user(index: int) -> None:
            await asyncio.sleep(index / max(users, 1))  # users arrive spread over the first second
            while time.perf_counter() < deadline and state["started"] < max_conversations:
                script = scripts[state["started"] % len(scripts)]
                state["started"] += 1
                sender = f"load-{uuid.uuid4().hex}"
                answer: list[dict] | None = []
                for message in script:
                    if time.perf_counter() >= hard_deadline:
                        counts["abandoned_at_deadline"] += 1
                        answer = None
                        break
                    answer = await send(sender, message)
                    if answer is None:
                        counts["failed_conversations"] += 1
                        break
                if answer is None:
                    continue
                texts = " ".join(m.get("text") or "" for m in answer)
                complete = marker is None or marker in texts
                if not complete:
                    counts["finished_without_reference"] += 1
                    if len(samples) < 20:
                        samples.append(f"no reference at the end of {script!r}: {texts[:200]!r}")
                conversations_done.append((time.perf_counter() - t0, complete))

        try:
            await asyncio.wait_for(asyncio.gather(*(user(i) for i in range(users))),
                                   timeout=duration + drain + spec["timeout"] + 30)
        except asyncio.TimeoutError:
            counts["generator_hard_stop"] += 1
        ended = time.perf_counter() - t0

    import numpy as np

    # Closed loop: users start conversations until the deadline (or the conversation cap), the ones in
    # progress then finish; throughput is everything answered over the whole time (the server stays busy).
    window = ended
    msgs_in_window = len(message_done)
    intakes_in_window = sum(1 for _, ok in conversations_done if ok)
    ms = np.array(latencies) * 1000.0
    pct = (lambda q: round(float(np.percentile(ms, q)), 1)) if len(ms) else (lambda q: None)
    return {
        "users": users, "urls": spec["urls"], "duration_limit_s": duration, "drain_limit_s": drain,
        "conversation_limit": max_conversations, "window_s": round(window, 2), "ended_after_s": round(ended, 2),
        "conversations_started": state["started"],
        "conversations_finished": len(conversations_done),
        "intakes_complete": sum(1 for _, ok in conversations_done if ok),
        "messages_answered": len(latencies),
        "errors": dict(errors), "error_count": sum(errors.values()), "error_samples": samples,
        **{k: counts.get(k, 0) for k in ("failed_conversations", "finished_without_reference",
                                         "abandoned_at_deadline", "empty_answers", "failovers",
                                         "generator_hard_stop")},
        "latency_ms": {"p50": pct(50), "p95": pct(95), "p99": pct(99),
                       "mean": round(float(ms.mean()), 1) if len(ms) else None,
                       "max": round(float(ms.max()), 1) if len(ms) else None},
        "messages_per_s": round(msgs_in_window / window, 2) if window > 0 else None,
        "intakes_per_s": round(intakes_in_window / window, 3) if window > 0 else None,
        "mean_turns_per_conversation": round(sum(map(len, scripts)) / len(scripts), 2),
    }


def generator_main(spec_path: str, out_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    Path(out_path).write_text(json.dumps(asyncio.run(_generate(spec))))


# ---------------------------------------------------------------------------------------------
# Processes: CPU, RSS, start times (all from /proc)
# ---------------------------------------------------------------------------------------------

def _stat(pid: int) -> list[str] | None:
    try:
        data = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return data[data.rfind(")") + 2:].split()  # field N of proc(5) is [N - 3]


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            st = _stat(int(entry.name))
            if st:
                children.setdefault(int(st[1]), []).append(int(entry.name))
    return children


def tree(pid: int, children: dict[int, list[int]] | None = None) -> list[int]:
    children = children if children is not None else _children_map()
    out, todo = [], [pid]
    while todo and len(out) < 1000:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        st = _stat(pid)
        if st:
            total += int(st[11]) + int(st[12])
    return total / TICK


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return round(total / 1024, 1)


def uptime() -> float:
    return float(Path("/proc/uptime").read_text().split()[0])


def process_started_at(pid: int) -> float | None:
    st = _stat(pid)
    return int(st[19]) / TICK if st else None


def system_busy_seconds() -> float:
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    return (sum(fields) - fields[3] - fields[4]) / TICK  # minus idle and iowait


def postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if Path(f"/proc/{entry.name}/comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


# ---------------------------------------------------------------------------------------------
# What is measured: a "target" is one running assistant (ours on SQLite, ours in production mode, baseline)
# ---------------------------------------------------------------------------------------------

class Target:
    name: str
    urls: list[str]
    scripts: list[list[str]]
    complete_marker: str | None
    log_files: list[Path]

    def processes(self) -> dict[str, int]:
        """Service name -> pid of its main process."""
        raise NotImplementedError


class OurStack(Target):
    def __init__(self, name: str, stack: Any, scripts: list[list[str]]) -> None:
        self.name, self.stack, self.scripts = name, stack, scripts
        self.urls = [f"http://127.0.0.1:{p}" for p in stack.rasa_ports]
        self.complete_marker = "LS-"

    @property
    def log_files(self) -> list[Path]:  # type: ignore[override]
        return [s.log_path for s in self.stack.services if s.log_path]

    def processes(self) -> dict[str, int]:
        return {s.name: s.process.pid for s in self.stack.services if s.process and s.process.poll() is None}


class Baseline(Target):
    def __init__(self, project: Path, log_dir: Path) -> None:
        self.name, self.project, self.log_dir = "baseline", project, log_dir
        self.port = free_port()
        self.urls = [f"http://127.0.0.1:{self.port}"]
        self.scripts, self.complete_marker = BASELINE_SCRIPTS, None
        self.procs: dict[str, subprocess.Popen] = {}
        self.log_files = []

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **QUIET_ENV}
        endpoints = (self.project / "endpoints.yml").read_text()
        if re.search(r"^action_endpoint:", endpoints, re.MULTILINE):  # moodbot has none
            self._spawn("action server", [RASA, "run", "actions", "--port", str(free_port())], env)
        self._spawn("rasa", [RASA, "run", "--port", str(self.port), "--interface", "127.0.0.1"], env)

    def _spawn(self, name: str, cmd: list[str], env: dict[str, str]) -> None:
        log = self.log_dir / f"{name.replace(' ', '_')}.log"
        self.log_files.append(log)
        with open(log, "w") as f:
            self.procs[name] = subprocess.Popen(cmd, cwd=self.project, env=env, stdout=f, stderr=subprocess.STDOUT,
                                                start_new_session=True)

    def processes(self) -> dict[str, int]:
        return {n: p.pid for n, p in self.procs.items() if p.poll() is None}

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_pair() -> int:
    """A port p with p + 1 free too (the second Rasa replica listens on rasa_port + 1)."""
    for _ in range(50):
        p = free_port()
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", p + 1))
            return p
        except OSError:
            continue
    raise RuntimeError("no two adjacent free ports found")


def probe_first_answer(urls: list[str], message: str, deadline: float, stop: threading.Event) -> dict[str, float]:
    """Poll each Rasa URL with one message until it answers; returns url -> uptime of the first answer."""
    import httpx

    answered: dict[str, float] = {}
    with httpx.Client(timeout=120) as client:
        while len(answered) < len(urls) and time.monotonic() < deadline and not stop.is_set():
            for url in urls:
                if url in answered:
                    continue
                try:
                    r = client.post(f"{url}/webhooks/rest/webhook",
                                    json={"sender": f"probe-{uuid.uuid4().hex[:8]}", "message": message})
                    if r.status_code == 200 and r.json():
                        answered[url] = uptime()
                except (httpx.HTTPError, ValueError):
                    pass
            time.sleep(0.2)
    return answered


def start_measuring_load_time(target_urls: list[str], message: str, start: Any, timeout: float) -> dict:
    """Run start() while probing the REST channel; process start -> first answered message, per server."""
    stop = threading.Event()
    box: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: box.update(
        answered=probe_first_answer(target_urls, message, time.monotonic() + timeout, stop)), daemon=True)
    t0 = time.perf_counter()
    thread.start()
    try:
        start()
    except BaseException:
        stop.set()
        thread.join(5)
        raise
    ready = time.perf_counter() - t0
    thread.join(timeout)
    stop.set()
    return {"answered": box.get("answered", {}), "start_call_seconds": round(ready, 1)}


def load_times(answered: dict[str, float], pid_by_url: dict[str, int]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for url, pid in pid_by_url.items():
        started = process_started_at(pid)
        out[url] = round(answered[url] - started, 1) if url in answered and started is not None else None
    return out


# ---------------------------------------------------------------------------------------------
# Running the load generator against a target
# ---------------------------------------------------------------------------------------------

def run_load(target: Target, run_dir: Path, users: int, duration: float, max_conversations: int,
             timeout: float, label: str, sample_every: float | None = None, drain: float = 120.0,
             quiet_wait: float = 0.0) -> dict:
    """One load phase from a separate process; CPU of every process measured around it.

    With sample_every, the RSS of the target's processes is sampled while the load runs (soak)."""
    spec = {"urls": target.urls, "users": users, "duration": duration, "max_conversations": max_conversations,
            "scripts": target.scripts, "complete_marker": target.complete_marker, "timeout": timeout,
            "drain": drain}
    busy_before = wait_for_quiet(quiet_wait) if quiet_wait else None
    spec_path = run_dir / f"spec-{target.name}-{label}.json"
    out_path = run_dir / f"result-{target.name}-{label}.json"
    spec_path.write_text(json.dumps(spec))
    procs = target.processes()
    children = _children_map()
    trees = {name: tree(pid, children) for name, pid in procs.items()}
    pg = postgres_pids()
    cpu0 = {name: cpu_seconds(pids) for name, pids in trees.items()}
    pg0, sys0 = cpu_seconds(pg), system_busy_seconds()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    gen = subprocess.Popen([PYTHON, __file__, "--_generate", str(spec_path), str(out_path)], cwd=ROOT,
                           env={**os.environ, **QUIET_ENV})
    hard = t0 + duration + drain + timeout + 90
    samples: list[dict] = []
    next_sample = t0
    while gen.poll() is None and time.perf_counter() < hard:
        if sample_every and time.perf_counter() >= next_sample:
            samples.append(rss_sample(target, time.perf_counter() - t0))
            next_sample += sample_every
        time.sleep(0.5)
    if gen.poll() is None:
        gen.kill()
        gen.wait(10)
        result: dict = {"generator_killed": True, "error_count": 1, "errors": {"generator did not finish": 1}}
    elif gen.returncode != 0 or not out_path.exists():
        result = {"generator_failed": gen.returncode, "error_count": 1, "errors": {"generator crashed": 1}}
    else:
        result = json.loads(out_path.read_text())
    wall = time.perf_counter() - t0
    if sample_every:
        samples.append(rss_sample(target, wall))
        result["rss_samples"] = samples
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = {name: round(100 * (cpu_seconds(trees[name]) - cpu0[name]) / wall, 1) for name in trees}
    gen_cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    cpu["load generator"] = round(100 * gen_cpu / wall, 1)
    cpu["postgres (all backends)"] = round(100 * (cpu_seconds(pg) - pg0) / wall, 1)
    busy = round(100 * (system_busy_seconds() - sys0) / wall, 1)
    cpu["machine total (of 200)"] = busy
    cpu["other processes"] = round(busy - sum(v for k, v in cpu.items() if k != "machine total (of 200)"), 1)
    result["cpu_percent"] = cpu
    result["alive_after"] = sorted(target.processes())
    if busy_before is not None:
        result["machine_busy_before_percent"] = busy_before
    for path in (spec_path, out_path):
        path.unlink(missing_ok=True)
    return result


def wait_for_quiet(max_wait: float, threshold: float = 30.0) -> dict:
    """Before a level: wait (bounded) until the machine is idle apart from our idle servers.

    Others share this machine (tests, training); their CPU use is recorded with every level."""
    t0 = time.perf_counter()
    while True:
        b0 = system_busy_seconds()
        time.sleep(3)
        busy = 100 * (system_busy_seconds() - b0) / 3
        waited = time.perf_counter() - t0
        if busy < threshold or waited >= max_wait:
            return {"busy_percent_of_200": round(busy, 1), "waited_s": round(waited, 1)}


def rss_sample(target: Target, t: float) -> dict:
    children = _children_map()
    return {"t_s": round(t, 1), "rss_mb": {name: rss_mb(tree(pid, children))
                                           for name, pid in target.processes().items()}}


def rss_now(target: Target) -> dict:
    children = _children_map()
    return {name: {"pids": tree(pid, children), "rss_mb": rss_mb(tree(pid, children))}
            for name, pid in target.processes().items()}


def scan_logs(files: list[Path], max_lines: int = 12) -> dict:
    """Lines in the services' logs that look like errors, with the first traceback of each file."""
    out: dict[str, dict] = {}
    for path in files:
        try:
            lines = path.read_text(errors="replace").splitlines()
        except OSError:
            continue
        hits = [line for line in lines if LOG_PATTERN.search(line)]
        if not hits:
            continue
        unique: list[str] = []
        for line in hits:
            short = line.strip()[:400]
            if short not in unique:
                unique.append(short)
        first_tb: list[str] = []
        for i, line in enumerate(lines):
            if line.startswith("Traceback"):
                first_tb = lines[i:i + 60]
                break
        out[str(path)] = {"matching_lines": len(hits), "distinct_first": unique[:max_lines],
                          "first_traceback": "\n".join(first_tb)[:6000]}
    return out


def run_levels(target: Target, args: argparse.Namespace, run_dir: Path, log: Any) -> dict:
    levels = {}
    for users in args.user_levels:
        log(f"   {target.name}: {users} users for up to {args.duration_seconds:.0f}s")
        spies = start_profile(target, args, run_dir, users, log)
        res = run_load(target, run_dir, users, args.duration_seconds, args.level_conversations,
                       args.request_timeout, f"u{users}", drain=args.drain_seconds, quiet_wait=args.quiet_wait_seconds)
        levels[str(users)] = res
        finish_profile(target, spies, users, log)
        log(f"   -> p50 {res.get('latency_ms', {}).get('p50')} ms, p95 {res.get('latency_ms', {}).get('p95')} ms,"
            f" {res.get('messages_per_s')} msg/s, {res.get('intakes_per_s')} intakes/s, "
            f"errors {res.get('error_count')}, cpu {res.get('cpu_percent')}")
        time.sleep(2)
    return levels


def start_profile(target: Target, args: argparse.Namespace, run_dir: Path, users: int, log: Any) -> dict:
    """With --profile: py-spy on the Rasa server(s) and the action server during the level of
    --profile-users users (bench/cpu_profile.py)."""
    if not args.profile or users != args.profile_users or not isinstance(target, OurStack):
        return {}
    import cpu_profile as spy  # bench/cpu_profile.py

    spies = {}
    for name, pid in target.processes().items():
        if name.startswith("rasa-") or name == "action server":
            raw = run_dir / f"profile-{target.name}-{name.replace(' ', '_')}.txt"
            spies[name] = (spy.record(pid, args.duration_seconds, raw), raw)
    log(f"   profiling {sorted(spies)} for {args.duration_seconds:.0f}s")
    return spies


def finish_profile(target: Target, spies: dict, users: int, log: Any) -> None:
    if not spies:
        return
    import cpu_profile as spy  # bench/cpu_profile.py

    summaries = {}
    for name, (proc, raw) in spies.items():
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        if raw.exists():
            summaries[name] = spy.summarise(raw)
    note = (f"`bench/load.py --profile` on the `{target.name}` stack: py-spy at 100 Hz on each process while "
            f"{users} virtual users ran full intakes over the REST channel (bench/conversation_turns.py scripts).")
    out = spy.write(target.name, summaries, note)
    log(f"   profile written: {out}")


def slope_mb_per_min(samples: list[dict], name: str, from_t: float = 0.0) -> float | None:
    import numpy as np

    pts = [(s["t_s"] / 60.0, s["rss_mb"][name]) for s in samples if name in s["rss_mb"] and s["t_s"] >= from_t]
    if len(pts) < 3:
        return None
    x, y = np.array(pts).T
    return round(float(np.polyfit(x, y, 1)[0]), 3)


# ---------------------------------------------------------------------------------------------
# The phases
# ---------------------------------------------------------------------------------------------

def our_stack(kind: str, args: argparse.Namespace, run_dir: Path, results: dict, log: Any,
              scripts: list[list[str]], model: Path) -> None:
    """Start our Stack (sqlite or prod), measure load time, levels, and (for --memory-stack) memory + soak."""
    from bot.config import Settings
    from bot.runtime.runner import Stack

    out: dict = {"kind": kind}
    results["configs"][kind] = out
    base = run_dir / kind
    base.mkdir(parents=True, exist_ok=True)
    redis = None
    pg_databases = None
    try:
        if kind == "prod":
            from tests.conftest import _postgres_database
            from tests.services import PrivateRedis

            redis = PrivateRedis()
            redis.start()
            pg_databases = _postgres_database()
            url = next(pg_databases)
            out["database"] = url.rsplit("/", 1)[1] + " (fresh PostgreSQL database, dropped afterwards)"
            out["redis"] = f"private redis-server on 127.0.0.1:{redis.port}"
        else:
            url = f"sqlite:///{base / 'bench.db'}"
            out["database"] = str(base / "bench.db") + " (temporary SQLite file)"
        settings = Settings(database_url=url, rasa_url="", action_port=free_port(), rasa_port=free_port_pair(),
                            web_port=free_port(), web_host="127.0.0.1",
                            redis_url=f"redis://127.0.0.1:{redis.port}/0" if redis else None)
        stack = Stack(settings, model, log_dir=base / "log", prod=kind == "prod", replicas=2 if kind == "prod" else 1,
                      extra_env={"RASA_TELEMETRY_ENABLED": "false"})
        out["log_dir"] = str(base / "log")
        target = OurStack(kind, stack, scripts)
        log(f"== {kind}: starting the Stack ({len(stack.rasa_ports)} Rasa server(s))")
        try:
            started = start_measuring_load_time(target.urls, "hallo", lambda: stack.start(timeout=400), 420)
            pids = {f"http://127.0.0.1:{p}": stack.service(f"rasa-{p}").process.pid for p in stack.rasa_ports}
            out["load_time_s"] = load_times(started["answered"], pids)
            out["stack_start_call_s"] = started["start_call_seconds"]
            log(f"   load time (process start -> first answer): {out['load_time_s']}")
            out["rss_after_start_mb"] = rss_now(target)
            # warm-up: each script once, not measured
            warm = run_load(target, run_dir, 1, 120, len(scripts), args.request_timeout, "warmup")
            out["warmup"] = {k: warm.get(k) for k in ("conversations_finished", "intakes_complete", "error_count",
                                                      "errors", "error_samples")}
            out["levels"] = run_levels(target, args, run_dir, log)
            out["rss_after_levels_mb"] = rss_now(target)
            if kind == args.memory_stack:
                out["memory"] = memory_and_soak(target, args, run_dir, out, log)
            out["log_findings"] = scan_logs(target.log_files)
        finally:
            stack.stop()
            out["exit_codes"] = {s.name: s.process.returncode for s in stack.services if s.process}
    except Exception as exc:
        out["failed"] = f"{type(exc).__name__}: {exc}"
        out["traceback"] = traceback.format_exc()[-4000:]
        log(f"!! {kind} failed: {exc}")
    except BaseException as exc:  # pytest.fail() from _postgres_database when PostgreSQL is missing
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        out["failed"] = f"{type(exc).__name__}: {exc}"
        log(f"!! {kind} failed: {exc}")
    finally:
        if pg_databases is not None:
            pg_databases.close()  # drops the database
        if redis:
            redis.stop()


def memory_and_soak(target: Target, args: argparse.Namespace, run_dir: Path, out: dict, log: Any) -> dict:
    mem: dict = {}
    so_far = out["warmup"].get("conversations_finished") or 0
    so_far += sum(level.get("conversations_finished") or 0 for level in out["levels"].values())
    remaining = max(0, args.conversations - so_far)
    mem["conversations_before_top_up"] = so_far
    log(f"   {target.name}: {so_far} conversations so far; {remaining} more at {args.top_up_users} users "
        f"to reach {args.conversations}")
    if remaining:
        top = run_load(target, run_dir, args.top_up_users, args.top_up_limit_seconds, remaining,
                       args.request_timeout, "topup", drain=args.drain_seconds)
        mem["top_up"] = top
        so_far += top.get("conversations_finished") or 0
    mem["conversations_total"] = so_far
    mem["rss_after_conversations_mb"] = rss_now(target)
    log(f"   RSS after {so_far} conversations: "
        f"{ {k: v['rss_mb'] for k, v in mem['rss_after_conversations_mb'].items()} }")
    log(f"   soak: {args.soak_users} users for {args.soak_seconds:.0f}s, RSS every {args.sample_seconds:.0f}s")
    soak = run_load(target, run_dir, args.soak_users, args.soak_seconds, 10**7, args.request_timeout, "soak",
                    sample_every=args.sample_seconds, drain=60.0)
    samples = soak.pop("rss_samples", [])
    mem["soak"] = soak
    mem["soak_rss_samples"] = samples
    names = sorted({n for s in samples for n in s["rss_mb"]})
    half = (samples[-1]["t_s"] / 2) if samples else 0
    mem["soak_slope_mb_per_min"] = {n: slope_mb_per_min(samples, n) for n in names}
    mem["soak_slope_second_half_mb_per_min"] = {n: slope_mb_per_min(samples, n, half) for n in names}
    mem["soak_rss_first_last_mb"] = {n: [samples[0]["rss_mb"].get(n), samples[-1]["rss_mb"].get(n)] for n in names}
    log(f"   soak slope MB/min: {mem['soak_slope_mb_per_min']}")
    return mem


def baseline_phase(args: argparse.Namespace, run_dir: Path, results: dict, log: Any) -> None:
    out: dict = {"kind": "baseline", "what": "stock `rasa init --no-prompt` (moodbot), in-memory tracker store, "
                 "no action server, served with `rasa run`"}
    results["configs"]["baseline"] = out
    project = run_dir / "baseline-moodbot"
    env = {**os.environ, **QUIET_ENV}
    try:
        log(f"== baseline: rasa init --no-prompt --init-dir {project.relative_to(ROOT)}")
        project.mkdir(parents=True)  # --no-prompt needs an existing (empty) directory
        t0 = time.perf_counter()
        init = subprocess.run([RASA, "init", "--no-prompt", "--init-dir", str(project)], cwd=run_dir, env=env,
                              capture_output=True, text=True, timeout=1800)
        out["rasa_init_seconds_including_training"] = round(time.perf_counter() - t0, 1)
        (run_dir / "baseline-init.log").write_text(init.stdout + init.stderr)
        if init.returncode != 0:
            raise RuntimeError(f"rasa init failed: {(init.stdout + init.stderr)[-2000:]}")
        log("   rasa train --force (timed)")
        for old in (project / "models").glob("*.tar.gz"):
            old.unlink()
        t0 = time.perf_counter()
        train = subprocess.run([RASA, "train", "--force"], cwd=project, env=env, capture_output=True, text=True,
                               timeout=1800)
        out["train_seconds"] = round(time.perf_counter() - t0, 1)
        (run_dir / "baseline-train.log").write_text(train.stdout + train.stderr)
        if train.returncode != 0:
            raise RuntimeError(f"rasa train failed: {(train.stdout + train.stderr)[-2000:]}")
        model = sorted((project / "models").glob("*.tar.gz"))[-1]
        out["model_mb"] = round(model.stat().st_size / 2**20, 1)
        log(f"   baseline training {out['train_seconds']}s; starting rasa run")
        target = Baseline(project, run_dir / "baseline" / "log")
        out["log_dir"] = str(target.log_dir)
        try:
            started = start_measuring_load_time(target.urls, "hello", target.start, 420)
            out["load_time_s"] = load_times(started["answered"], {target.urls[0]: target.procs["rasa"].pid})
            log(f"   load time (process start -> first answer): {out['load_time_s']}")
            if not started["answered"]:
                raise RuntimeError("the baseline never answered; see " + str(target.log_dir))
            out["rss_after_start_mb"] = rss_now(target)
            run_load(target, run_dir, 1, 120, len(target.scripts), args.request_timeout, "warmup")
            out["levels"] = run_levels(target, args, run_dir, log)
            out["rss_after_levels_mb"] = rss_now(target)
            out["log_findings"] = scan_logs(target.log_files)
        finally:
            target.stop()
    except Exception as exc:
        out["failed"] = f"{type(exc).__name__}: {exc}"
        out["traceback"] = traceback.format_exc()[-4000:]
        log(f"!! baseline failed: {exc}")


def dispatcher_phase(args: argparse.Namespace, results: dict, log: Any) -> None:
    n = 200 if args.quick else 500
    log(f"== dispatcher: bench/dispatcher_throughput.py main({n})")
    try:
        spec = importlib.util.spec_from_file_location("dispatcher_throughput", ROOT / "bench/dispatcher_throughput.py")
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        results["dispatcher"] = module.main(n)
    except BaseException as exc:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        results["dispatcher"] = {"failed": f"{type(exc).__name__}: {exc}"}
    log(f"   {results['dispatcher']}")


def training_phase(args: argparse.Namespace, results: dict, previous: dict, log: Any) -> Path:
    """Our model: trained (and timed) only with --train; otherwise the model in models/ as it is."""
    from bot.runtime.training import MODELS_DIR, model_path, train_if_stale

    current = model_path()
    if args.train:
        log("== training our model cold: train_if_stale(force=True) with an empty Rasa cache")
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="rasa-cache-") as cache:  # cold, as the baseline's fresh project
            os.environ["RASA_CACHE_DIRECTORY"] = cache
            try:
                model = train_if_stale(force=True)
            finally:
                del os.environ["RASA_CACHE_DIRECTORY"]
        results["training"] = {"seconds": round(time.perf_counter() - t0, 1), "measured_at": results["started_at"],
                               "how": "train_if_stale(force=True), i.e. rasa train --force, empty cache",
                               "source": "measured in this run"}
    else:
        # Never train here: others may be using models/ and a training run would disturb the measurement.
        existing = sorted(MODELS_DIR.glob("stadsvraag-*.tar.gz"), key=lambda p: p.stat().st_mtime)
        if current.exists():
            model = current
        elif existing:
            model = existing[-1]
            log(f"!! {current.name} (current data) is not trained; measuring the newest model {model.name}")
        else:
            raise SystemExit("no trained model in models/: run `make train` or bench/load.py --train")
        last = previous.get("training") or {}
        if last.get("seconds"):
            results["training"] = {**last, "source": f"measured in the run of {last.get('measured_at')}"}
        else:
            results["training"] = {"seconds": None, "how": "not measured yet: bench/load.py --train measures it"}
    results["model"] = {"path": str(model.relative_to(ROOT)), "mb": round(model.stat().st_size / 2**20, 1),
                        "matches_current_data": model == current}
    return model


def machine() -> dict:
    meminfo = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    versions = {}
    for name, cmd in {"redis": ["redis-server", "--version"], "rasa": [RASA, "--version"]}.items():
        try:
            versions[name] = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                                            env={**os.environ, **QUIET_ENV}).stdout.strip().splitlines()[:3]
        except (OSError, subprocess.TimeoutExpired):
            versions[name] = None
    try:
        from sqlalchemy import create_engine, text

        from tests.conftest import POSTGRES_ADMIN_URL

        engine = create_engine(POSTGRES_ADMIN_URL)
        with engine.connect() as conn:
            versions["postgresql"] = conn.execute(text("select version()")).scalar()
        engine.dispose()
    except Exception as exc:  # noqa: BLE001
        versions["postgresql"] = f"unavailable: {exc}"
    return {"platform": platform.platform(), "machine": platform.machine(), "cpu": cpu, "cores": os.cpu_count(),
            "memory_total": meminfo.get("MemTotal", "").strip(), "python": platform.python_version(),
            "versions": versions, "loadavg_at_start": Path("/proc/loadavg").read_text().split()[:3]}


# ---------------------------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------------------------

def ratios(results: dict) -> None:
    base = (results["configs"].get("baseline") or {}).get("levels") or {}
    for kind in ("sqlite", "prod"):
        cfg = results["configs"].get(kind) or {}
        for users, level in (cfg.get("levels") or {}).items():
            b = base.get(users)
            if not b or not level.get("latency_ms"):
                continue
            r = {}
            for q in ("p50", "p95", "p99"):
                ours, theirs = level["latency_ms"].get(q), (b.get("latency_ms") or {}).get(q)
                r[q] = round(ours / theirs, 2) if ours and theirs else None
            for k in ("messages_per_s", "intakes_per_s"):
                r[k] = round(level[k] / b[k], 2) if level.get(k) and b.get(k) else None
            level["ratio_to_baseline"] = r


def one_line(text: str, limit: int = 300) -> str:
    """Error text for a Markdown table cell: no colour codes, no newlines, no pipes."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    return re.sub(r"\s+", " ", text).replace("|", "/").strip()[:limit]


def fmt(v: Any, nd: int = 1) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.{nd}f}"
    return str(v)


def markdown(results: dict) -> str:
    m = results["machine"]
    lines = [f"# Load benchmark ({'quick smoke run' if results['args']['quick'] else 'full run'})", "",
             f"Run {results['started_at']} – {results.get('finished_at', '…')} on {m['platform']}, {m['cpu']}, "
             f"{m['cores']} cores, {m['memory_total']} RAM, Python {m['python']}. "
             f"Load generator: a separate process on the same machine (asyncio + httpx). "
             f"Configurations: **sqlite** = `Stack(settings, model)` on a temporary SQLite file; **prod** = "
             f"`Stack(prod=True, replicas=2)`, fresh PostgreSQL database, private Redis, users spread over both "
             f"replicas by `RasaClient` (least outstanding requests); **baseline** = stock `rasa init` moodbot (`rasa run`, in-memory "
             f"tracker store, no action server). Ratios are ours / baseline at the same concurrency "
             f"(latency: > 1 is slower; throughput: < 1 is less).", "",
             "## Latency and throughput over the REST channel", "",
             "| config | users | conversations | messages | errors | p50 ms | p95 ms | p99 ms | msgs/s | intakes/s "
             "| ratio p50 / p95 / p99 | ratio msgs/s | ratio intakes/s | CPU % (main processes) |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | --- |"]
    for kind in ("sqlite", "prod", "baseline"):
        cfg = results["configs"].get(kind)
        if not cfg:
            continue
        if cfg.get("failed") and not cfg.get("levels"):
            lines.append(f"| {kind} | – | failed: {one_line(cfg['failed'])} | | | | | | | | | | | |")
            continue
        for users, lv in (cfg.get("levels") or {}).items():
            lat, r = lv.get("latency_ms") or {}, lv.get("ratio_to_baseline") or {}
            cpu = lv.get("cpu_percent") or {}
            cpu_txt = ", ".join(f"{k.replace(' (of 200)', '').replace(' (all backends)', '')} {v:.0f}"
                                for k, v in cpu.items() if v >= 5 or k.startswith("machine"))
            errs = lv.get("error_count", 0) + lv.get("finished_without_reference", 0)
            lines.append(
                f"| {kind} | {users} | {lv.get('intakes_complete', '–')}/{lv.get('conversations_finished', '–')} "
                f"| {lv.get('messages_answered', '–')} | {errs} | {fmt(lat.get('p50'))} | {fmt(lat.get('p95'))} "
                f"| {fmt(lat.get('p99'))} | {fmt(lv.get('messages_per_s'))} | {fmt(lv.get('intakes_per_s'), 2)} "
                f"| {' / '.join(fmt(r.get(q), 2) for q in ('p50', 'p95', 'p99')) if r else '–'} "
                f"| {fmt(r.get('messages_per_s'), 2) if r else '–'} | {fmt(r.get('intakes_per_s'), 2) if r else '–'} "
                f"| {cpu_txt} |")
    lines += ["", "conversations = complete intakes (reference number shown; for the baseline: all turns answered) / "
              "conversations finished; errors = failed requests (timeouts, 5xx, refused) plus conversations of ours "
              "that ended without a reference number. Each level is a closed loop: every user starts a new "
              f"conversation (fresh sender id) as soon as one ends, for {results['args']['duration_seconds']:.0f} s; "
              "conversations in progress then finish; throughput = everything answered / the level's whole time. "
              "CPU % is per process over the level (100 = one core; the machine has "
              f"{results['machine']['cores']} cores); 'other processes' is load on the machine that is not ours.",
              "", *bottlenecks(results), "",
              "## Training and model load", "",
              "| | ours | baseline |", "| --- | --- | --- |"]
    tr, b = results.get("training") or {}, results["configs"].get("baseline") or {}
    lines.append(f"| `rasa train` (s) | {fmt(tr.get('seconds'))} ({'; '.join(x for x in (tr.get('how'), tr.get('source')) if x)}) "
                 f"| {fmt(b.get('train_seconds'))} (`rasa train --force`; `rasa init` incl. training "
                 f"{fmt(b.get('rasa_init_seconds_including_training'))}) |")
    lines.append(f"| model size (MB) | {fmt((results.get('model') or {}).get('mb'))} | {fmt(b.get('model_mb'))} |")
    for kind in ("sqlite", "prod"):
        cfg = results["configs"].get(kind) or {}
        if cfg.get("load_time_s"):
            lines.append(f"| load time, process start → first answer (s), {kind} "
                         f"| {', '.join(fmt(v) for v in cfg['load_time_s'].values())} "
                         f"| {', '.join(fmt(v) for v in (b.get('load_time_s') or {}).values())} |")
    lines += ["", "## Resident memory (RSS, MB, process + children)", ""]
    rows = []
    for kind in ("sqlite", "prod", "baseline"):
        cfg = results["configs"].get(kind) or {}
        for key, label in (("rss_after_start_mb", "after start"), ("rss_after_levels_mb", "after the load levels")):
            if cfg.get(key):
                rows.append(f"| {kind} | {label} | " + ", ".join(f"{n} {v['rss_mb']:.0f}" for n, v in cfg[key].items())
                            + " |")
        mem = cfg.get("memory")
        if mem:
            rows.append(f"| {kind} | after {mem['conversations_total']} conversations | "
                        + ", ".join(f"{n} {v['rss_mb']:.0f}" for n, v in mem["rss_after_conversations_mb"].items())
                        + " |")
    lines += ["| config | when | RSS per process |", "| --- | --- | --- |", *rows]
    for kind in ("sqlite", "prod"):
        mem = (results["configs"].get(kind) or {}).get("memory")
        if not mem:
            continue
        soak = mem["soak"]
        lines += ["", f"### Soak ({kind}): {results['args']['soak_users']} users for {results['args']['soak_seconds']:.0f} s,"
                  f" RSS every {results['args']['sample_seconds']:.0f} s", "",
                  f"{soak.get('conversations_finished')} conversations, {soak.get('messages_answered')} messages, "
                  f"{soak.get('error_count')} errors, p50 {fmt((soak.get('latency_ms') or {}).get('p50'))} ms, "
                  f"p95 {fmt((soak.get('latency_ms') or {}).get('p95'))} ms.", "",
                  "| process | first MB | last MB | slope MB/min | slope, second half |", "| --- | ---: | ---: | ---: | ---: |"]
        for n, (first, last) in mem["soak_rss_first_last_mb"].items():
            lines.append(f"| {n} | {fmt(first)} | {fmt(last)} | {fmt(mem['soak_slope_mb_per_min'].get(n), 3)} "
                         f"| {fmt(mem['soak_slope_second_half_mb_per_min'].get(n), 3)} |")
        names = list(mem["soak_rss_first_last_mb"])
        lines += ["", "Samples (s: " + ", ".join(names) + "): " + "; ".join(
            f"{s['t_s']:.0f}: " + "/".join(fmt(s["rss_mb"].get(n), 0) for n in names) for s in mem["soak_rss_samples"])]
    d = results.get("dispatcher") or {}
    lines += ["", "## Handoff dispatcher (bench/dispatcher_throughput.py)", ""]
    if d.get("failed"):
        lines.append(f"failed: {d['failed']}")
    elif d:
        lines.append(f"{d.get('intakes')} approved intakes on PostgreSQL delivered to a local signed-webhook receiver: "
                     f"1 dispatcher {fmt((d.get('dispatchers_1') or {}).get('intakes_per_second'))} intakes/s, "
                     f"2 dispatchers {fmt((d.get('dispatchers_2') or {}).get('intakes_per_second'))} intakes/s; "
                     f"direct signed POSTs without the outbox {fmt(d.get('baseline_direct_posts_per_second'))}/s "
                     f"(ratio {d.get('ratio_1_dispatcher_to_baseline')}).")
    problems = results.get("problems") or []
    lines += ["", "## Failures and errors", ""]
    lines += [f"- {one_line(p, 1500)}" for p in problems] or ["- none: no failed requests, no 5xx, no timeouts, no error lines in the logs"]
    lines += ["", "Full numbers (CPU per process per level, error samples, log excerpts): `bench/results/load.json`; "
              "plot: `bench/results/load.png`.", ""]
    return "\n".join(lines)


def bottlenecks(results: dict) -> list[str]:
    """Per configuration, at its highest concurrency: the busiest process and how busy the machine was."""
    out = []
    cores = results["machine"]["cores"] or 1
    for kind, cfg in results["configs"].items():
        levels = cfg.get("levels") or {}
        if not levels:
            continue
        top = max(levels, key=int)
        cpu = levels[top].get("cpu_percent") or {}
        ours = {k: v for k, v in cpu.items() if not k.startswith(("machine", "other", "load generator"))}
        if not ours:
            continue
        busiest = max(ours, key=lambda k: ours[k])
        total = cpu.get("machine total (of 200)", 0)
        verdict = ("CPU-bound on that one process: it uses one core (a single Python "
                   "process, asyncio) while the other cores idle" if ours[busiest] >= 85 and total < 100 * cores - 40 else
                   "the machine's cores are nearly all busy" if total >= 100 * cores - 30 else "not CPU-bound")
        out.append(f"- Bottleneck, {kind} at {top} users: busiest process {busiest} at {ours[busiest]:.0f} % CPU, "
                   f"machine {total:.0f} % of {100 * cores} — {verdict}.")
    return out


def problems(results: dict) -> list[str]:
    out = []
    for kind, cfg in results["configs"].items():
        if cfg.get("failed"):
            out.append(f"{kind}: the phase failed: {cfg['failed']}")
        phases = [(f"{u} users", lv) for u, lv in (cfg.get("levels") or {}).items()]
        mem = cfg.get("memory") or {}
        phases += [(n, mem[k]) for n, k in (("top-up", "top_up"), ("soak", "soak")) if mem.get(k)]
        for name, lv in phases:
            bad = {k: v for k, v in (lv.get("errors") or {}).items()}
            if lv.get("finished_without_reference"):
                bad["finished without a reference number"] = lv["finished_without_reference"]
            if lv.get("empty_answers"):
                bad["empty answers"] = lv["empty_answers"]
            if bad:
                out.append(f"{kind}, {name}: {bad}; first: {(lv.get('error_samples') or [''])[:3]}")
        for path, f in (cfg.get("log_findings") or {}).items():
            out.append(f"{kind}: {f['matching_lines']} error-like lines in {path}, e.g. {f['distinct_first'][:3]}")
        died = [n for n, rc in (cfg.get("exit_codes") or {}).items() if rc not in (0, -15, None)]
        if died:
            out.append(f"{kind}: services ended with unexpected exit codes: "
                       f"{ {n: cfg['exit_codes'][n] for n in died} }")
    return out


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 4, figsize=(20, 4.8))
    colors = {"sqlite": "tab:blue", "prod": "tab:orange", "baseline": "tab:gray"}
    for kind, cfg in results["configs"].items():
        levels = cfg.get("levels") or {}
        users = [int(u) for u in levels if levels[u].get("latency_ms")]
        if not users:
            continue
        for q, style in (("p50", "-o"), ("p95", "--s"), ("p99", ":^")):
            axes[0].plot(users, [levels[str(u)]["latency_ms"][q] for u in users], style, color=colors.get(kind),
                         label=f"{kind} {q}")
        axes[1].plot(users, [levels[str(u)]["messages_per_s"] for u in users], "-o", color=colors.get(kind),
                     label=kind)
        axes[2].plot(users, [levels[str(u)]["intakes_per_s"] for u in users], "-o", color=colors.get(kind),
                     label=kind)
    axes[0].set(xscale="log", yscale="log", xlabel="concurrent users", ylabel="latency per message (ms)",
                title="Latency")
    axes[1].set(xscale="log", xlabel="concurrent users", ylabel="messages/s", title="Messages per second")
    axes[2].set(xscale="log", xlabel="concurrent users", ylabel="complete conversations/s",
                title="Complete intakes (baseline: conversations) per second")
    axes[1].set_ylim(bottom=0)
    axes[2].set_ylim(bottom=0)
    for kind, cfg in results["configs"].items():
        samples = (cfg.get("memory") or {}).get("soak_rss_samples") or []
        for name in sorted({n for s in samples for n in s["rss_mb"]}):
            if name.startswith(("rasa", "action")):
                axes[3].plot([s["t_s"] / 60 for s in samples], [s["rss_mb"].get(name) for s in samples], "-o",
                             label=f"{kind} {name}")
    axes[3].set(xlabel="soak minutes", ylabel="RSS (MB)", title="Memory during the soak")
    for ax in axes:
        ax.grid(True, alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    fig.suptitle(f"Stadsvraag load benchmark {results['started_at']} ({results['machine']['cores']} cores)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_outputs(results: dict, final: bool = False) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    ratios(results)
    results["problems"] = problems(results)
    tmp = RESULTS / "load.json.tmp"
    tmp.write_text(json.dumps(results, indent=2, default=str) + "\n")
    tmp.replace(RESULTS / "load.json")
    (RESULTS / "load.md").write_text(markdown(results))
    if final:
        plot(results, RESULTS / "load.png")


# ---------------------------------------------------------------------------------------------

def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--users", default="1,10,50", help="concurrency levels, comma-separated (default 1,10,50)")
    p.add_argument("--duration-seconds", type=float, default=None, help="per level (default 60; --quick 15)")
    p.add_argument("--level-conversations", type=int, default=5000,
                   help="upper bound of conversations per level (the level ends at whichever limit comes first)")
    p.add_argument("--conversations", type=int, default=None,
                   help="conversations before the RSS measurement (default 1000; --quick 50)")
    p.add_argument("--soak-seconds", type=float, default=None, help="soak length (default 600; --quick 60)")
    p.add_argument("--soak-users", type=int, default=5)
    p.add_argument("--sample-seconds", type=float, default=None, help="RSS sample interval (default 30; --quick 10)")
    p.add_argument("--top-up-users", type=int, default=10, help="users while reaching --conversations")
    p.add_argument("--top-up-limit-seconds", type=float, default=None,
                   help="time bound for reaching --conversations (default 1200; --quick 180)")
    p.add_argument("--drain-seconds", type=float, default=None,
                   help="after a level's time, conversations in progress may finish for this long (default 120; "
                        "--quick 45)")
    p.add_argument("--quiet-wait-seconds", type=float, default=None,
                   help="before each level wait up to this long for other CPU load to stop (default 120; --quick 10)")
    p.add_argument("--request-timeout", type=float, default=60.0)
    p.add_argument("--configs", default="sqlite,baseline,prod", help="which of sqlite,baseline,prod to run")
    p.add_argument("--memory-stack", choices=["prod", "sqlite"], default="prod",
                   help="the Stack whose memory is measured after --conversations and during the soak")
    p.add_argument("--no-dispatcher", action="store_true", help="skip the dispatcher throughput")
    p.add_argument("--train", action="store_true", help="time train_if_stale(force=True) (retrains models/)")
    p.add_argument("--quick", action="store_true", help="short smoke run: 15 s levels, 50 conversations, 60 s soak")
    p.add_argument("--profile", action="store_true",
                   help="py-spy the Rasa and action servers during one level -> bench/results/profile-<stack>.md")
    p.add_argument("--profile-users", type=int, default=10, help="the level profiled (default 10 users)")
    p.add_argument("--_generate", nargs=2, metavar=("SPEC", "OUT"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    quick = args.quick
    args.duration_seconds = args.duration_seconds or (15.0 if quick else 60.0)
    args.conversations = args.conversations if args.conversations is not None else (50 if quick else 1000)
    args.soak_seconds = args.soak_seconds if args.soak_seconds is not None else (60.0 if quick else 600.0)
    args.sample_seconds = args.sample_seconds or (10.0 if quick else 30.0)
    args.top_up_limit_seconds = args.top_up_limit_seconds or (180.0 if quick else 1200.0)
    args.drain_seconds = args.drain_seconds if args.drain_seconds is not None else (45.0 if quick else 120.0)
    args.quiet_wait_seconds = (args.quiet_wait_seconds if args.quiet_wait_seconds is not None
                               else (10.0 if quick else 120.0))
    args.user_levels = [int(u) for u in args.users.split(",") if u.strip()]
    args.config_list = [c.strip() for c in args.configs.split(",") if c.strip()]
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args._generate:
        generator_main(*args._generate)
        return 0
    def _interrupted(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, _interrupted)
    os.environ.update(QUIET_ENV)
    started = dt.datetime.now().astimezone()
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    for old in BENCH_VAR.glob("load-*"):  # earlier runs of this benchmark (logs, baseline project)
        shutil.rmtree(old, ignore_errors=True)
    run_dir = Path(tempfile.mkdtemp(prefix=f"load-{started:%Y%m%d-%H%M%S}-", dir=BENCH_VAR))
    previous = {}
    if (RESULTS / "load.json").exists():
        try:
            previous = json.loads((RESULTS / "load.json").read_text())
        except ValueError:
            previous = {}
    t_start = time.perf_counter()

    def log(msg: str) -> None:
        print(f"[{time.perf_counter() - t_start:7.1f}s] {msg}", flush=True)

    results: dict = {"started_at": started.isoformat(timespec="seconds"), "args": {
        k: v for k, v in vars(args).items() if not k.startswith("_")}, "run_dir": str(run_dir), "configs": {}}
    results["machine"] = machine()
    log(f"machine: {results['machine']}")
    model = training_phase(args, results, previous, log)
    spec = importlib.util.spec_from_file_location("conversation_turns", ROOT / "bench/conversation_turns.py")
    turns = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(turns)  # type: ignore[union-attr]
    scripts = list(turns.SCRIPTS.values())
    results["scripts"] = {"ours": turns.SCRIPTS, "baseline": BASELINE_SCRIPTS}
    try:
        for kind in args.config_list:
            if kind == "baseline":
                baseline_phase(args, run_dir, results, log)
            else:
                our_stack(kind, args, run_dir, results, log, scripts, model)
            write_outputs(results)
        if not args.no_dispatcher:
            dispatcher_phase(args, results, log)
    finally:
        results["finished_at"] = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        results["total_seconds"] = round(time.perf_counter() - t_start, 1)
        results["machine"]["loadavg_at_end"] = Path("/proc/loadavg").read_text().split()[:3]
        write_outputs(results, final=True)
    log(f"wrote {RESULTS / 'load.json'}, load.md, load.png in {results['total_seconds']:.0f}s")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
