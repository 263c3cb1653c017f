"""Throughput of `stadsvraag structure` on 1,000 questions, against a baseline in the same run.

Baseline: `python -c pass` started the same way (interpreter start-up), so the ratio shows
what structuring adds. Usage: .venv/bin/python bench/structure_throughput.py
"""

from __future__ import annotations

import json
import platform
import random
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def questions(n: int = 1000) -> list[str]:
    pool: list[str] = []
    for path in sorted((ROOT / "data/reference/theme_examples").glob("*.yml")):
        for examples in yaml.safe_load(path.read_text(encoding="utf-8"))["examples"].values():
            pool.extend(examples)
    rng = random.Random(3)
    return [rng.choice(pool) for _ in range(n)]


def timed(cmd: list[str], stdin: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(cmd, input=stdin, capture_output=True, text=True, cwd=ROOT, check=True)
    elapsed = time.perf_counter() - started
    if cmd[-1] == "structure":
        assert len(done.stdout.splitlines()) == stdin.count("\n"), "one output line per input line"
    return elapsed


def main() -> dict:
    text = "\n".join(questions()) + "\n"
    baseline = min(timed([sys.executable, "-c", "pass"], "") for _ in range(3))
    runs = [timed([str(BIN / "stadsvraag"), "structure"], text) for _ in range(3)]
    best = min(runs)
    return {"questions": 1000, "seconds_best_of_3": round(best, 2), "seconds_runs": [round(r, 2) for r in runs],
            "questions_per_second": round(1000 / best, 1), "baseline_python_start_seconds": round(baseline, 3),
            "ratio_to_python_start": round(best / baseline, 1),
            "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores, Python {platform.python_version()}"}


if __name__ == "__main__":
    res = main()
    out = ROOT / "bench/results/structure_throughput.json"
    out.write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))
