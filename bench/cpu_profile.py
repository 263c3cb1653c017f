"""Where a process spends its CPU under load: py-spy samples, summed into a short table.

Used by `bench/load.py --profile` (the Rasa server and the action server during the 10-user level),
and on its own against any running process:

    .venv/bin/python bench/cpu_profile.py PID SECONDS OUT_NAME   -> bench/results/profile-OUT_NAME.md/.json

py-spy (PyPI; `pip install py-spy`, not a runtime dependency) samples the stacks of the process at
100 Hz without stopping it. Of every sample we count
- *self*: the innermost frame of our or a library's Python code (where the time is actually spent);
- *cost centres*: a sample counts once for each centre on its stack (inclusive time), so the table
  answers "what share of the process's CPU is inside X" for the places this project cares about.
Idle samples (the event loop waiting for work) are not counted: shares are of the busy time of the
Python threads (TensorFlow's own native threads are not sampled).
"""

from __future__ import annotations

import json
import platform
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench/results"

# Inclusive cost centres: a name for the table -> a pattern that matches a frame "function (file:line)".
CENTRES = {
    "jsonschema validation": r"jsonschema/",
    "TED policy prediction": r"rasa/core/policies/ted_policy\.py",
    "rule policy prediction": r"rasa/core/policies/rule_policy\.py",
    "memoization policy": r"rasa/core/policies/memoization\.py",
    "policy ensemble / featurising the tracker": r"rasa/core/featurizers/",
    "DIET classifier": r"rasa/nlu/classifiers/diet_classifier\.py",
    "spaCy": r"spacy/|thinc/",
    "TensorFlow (any caller)": r"tensorflow/",
    "tracker store: retrieve": r"tracker_store\.py.*\b(retrieve|_retrieve)\b|\b(retrieve|_retrieve)\b.*tracker_store\.py",
    "tracker store: save": r"\bsave\b.*tracker_store\.py|tracker_store\.py.*\bsave\b",
    "tracker from events (replay)": r"\b(from_dict|recreate_from_dialogue|replay_events|update_with_events)\b",
    "SQLAlchemy": r"sqlalchemy/",
    "lock store": r"lock_store\.py",
    "remote action call (HTTP to the action server)": r"rasa/core/actions/action\.py.*\brun\b|aiohttp/",
    "sanic / HTTP server": r"sanic/",
    "JSON (de)serialising": r"json/(decoder|encoder)\.py|\bjson\.(loads|dumps)\b",
    "deepcopy": r"copy\.py.*deepcopy|deepcopy.*copy\.py",
    "our code (bot/, actions/)": r"/(bot|actions)/[a-z_]+\.py",
    "rasa_sdk": r"rasa_sdk/",
}


# A sample whose innermost frame is the event loop waiting for work is idle time, not cost.
IDLE = re.compile(r"^(serve \(sanic/server/runners\.py\)|select \(selectors\.py\)|run_forever|_run_once "
                  r"\(asyncio/base_events\.py\)|wait \(threading\.py\))")


def have_py_spy() -> str | None:
    found = shutil.which("py-spy") or (Path(sys.executable).parent / "py-spy")
    return str(found) if found and Path(found).exists() else None


def record(pid: int, seconds: float, out: Path, subprocesses: bool = False) -> subprocess.Popen:
    """Start py-spy on `pid` for `seconds`, writing collapsed stacks to `out`; returns the process."""
    exe = have_py_spy()
    if not exe:
        raise RuntimeError("py-spy is not installed. Fix: .venv/bin/pip install py-spy")
    cmd = [exe, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "100",
           "--format", "raw", "--output", str(out), "--nonblocking"]
    if subprocesses:
        cmd.append("--subprocesses")
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def read_collapsed(path: Path) -> list[tuple[list[str], int]]:
    """py-spy's raw format: 'frame;frame;...;frame COUNT' per line, outermost frame first."""
    stacks = []
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    return stacks


def _short(frame: str) -> str:
    """'validate (jsonschema/validators.py:1120)' -> 'validate (jsonschema/validators.py)'."""
    frame = re.sub(r":\d+\)$", ")", frame)
    return re.sub(r"\(/.*?/(site-packages|lib/python3\.\d+|main)/", "(", frame)


def summarise(path: Path, top: int = 15) -> dict:
    stacks = read_collapsed(path)
    idle = sum(n for frames, n in stacks if frames and IDLE.search(_short(frames[-1])))
    stacks = [(frames, n) for frames, n in stacks if frames and not IDLE.search(_short(frames[-1]))]
    total = sum(n for _, n in stacks)
    self_time: Counter[str] = Counter()
    centres: Counter[str] = Counter()
    compiled = {name: re.compile(pattern) for name, pattern in CENTRES.items()}
    for frames, n in stacks:
        if frames:
            self_time[_short(frames[-1])] += n
        for name, pattern in compiled.items():
            if any(pattern.search(f) for f in frames):
                centres[name] += n
    pct = (lambda n: round(100 * n / total, 1)) if total else (lambda n: 0.0)
    return {
        "samples": total,
        "idle_samples": idle,
        "self_top": [{"frame": f, "percent": pct(n)} for f, n in self_time.most_common(top)],
        "centres": [{"centre": c, "percent": pct(n)} for c, n in centres.most_common()],
    }


def markdown(title: str, summaries: dict[str, dict], note: str = "") -> str:
    lines = [f"# {title}", ""]
    if note:
        lines += [note, ""]
    for process, s in summaries.items():
        lines += [f"## {process} ({s['samples']} busy samples at 100 Hz; {s.get('idle_samples', 0)} idle, "
                  "waiting in the event loop, left out)", "",
                  "Inclusive share of busy CPU (a sample counts for every centre on its stack, so shares overlap):",
                  "", "| cost centre | % |", "|---|---:|"]
        lines += [f"| {c['centre']} | {c['percent']} |" for c in s["centres"] if c["percent"] >= 0.5]
        lines += ["", "Innermost frames (self time):", "", "| frame | % |", "|---|---:|"]
        lines += [f"| `{t['frame']}` | {t['percent']} |" for t in s["self_top"]]
        lines.append("")
    return "\n".join(lines)


def write(name: str, summaries: dict[str, dict], note: str = "") -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    machine = f"{platform.machine()}, {__import__('os').cpu_count()} cores, Python {platform.python_version()}"
    note = (note + "\n\n" if note else "") + f"Machine: {machine}."
    (RESULTS / f"profile-{name}.json").write_text(json.dumps({"note": note, "processes": summaries}, indent=2))
    out = RESULTS / f"profile-{name}.md"
    out.write_text(markdown(f"CPU profile: {name}", summaries, note))
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__)
        return 2
    pid, seconds, name = int(argv[0]), float(argv[1]), argv[2]
    raw = RESULTS / f"profile-{name}.txt"
    proc = record(pid, seconds, raw)
    _, err = proc.communicate()
    if proc.returncode != 0 or not raw.exists():
        print(err.decode(errors="replace"))
        return 1
    print(write(name, {f"pid {pid}": summarise(raw)}))
    raw.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
