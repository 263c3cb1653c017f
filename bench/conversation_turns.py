"""User turns and response times for complete intakes over the REST channel (real Rasa + action server).

Six fixed scripts (Dutch and English; everything in the first message or the rest in one answer; with and
without contact details) talk to a freshly started product on a temporary SQLite database. They are also the
conversations of the load benchmark (bench/load.py). The adaptive conversation set is bench/conversation_set.py.
Usage: .venv/bin/python bench/conversation_turns.py  -> bench/results/conversation_turns.json
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.runtime.runner import Stack  # noqa: E402
from bot.runtime.training import train_if_stale  # noqa: E402
from tests.e2e.conftest import free_port  # noqa: E402

SCRIPTS = {
    "nl, all in one message, with contact": [
        "hallo", "Ik woon in de Merenwijk en maak me zorgen over eenzame ouderen, het is best dringend", "ja",
        "Sanne de Vries, sanne@example.nl"],
    "nl, question first, anonymous": [
        "In de Stevenshof hangen jongeren rond bij het winkelcentrum en bewoners voelen zich onveilig, geen haast",
        "ik ben bewoner", "ja", "nee"],
    "nl, place and urgency in one answer, anonymous": [
        "hoi", "Er ligt heel veel zwerfafval rond de speeltuin bij ons in de straat", "Groenoord, normaal", "ja",
        "nee"],
    "en, all in one message, with contact": [
        "hello", "I live in Stevenshof and I am worried about lonely elderly people, it is quite urgent", "yes",
        "Sam Jones, +31 6 12345678"],
    "en, organisation, anonymous": [
        "hi", "Parents in our area cannot afford sports clubs for their children and we want to understand why",
        '/choose{"theme":"poverty_livelihood"}', "de Kooi, no rush, on behalf of Stichting Kinderkansen", "yes",
        "no"],
    "en, question first, anonymous": [
        "There is a lot of litter and heat in our stony street and we want more green", "Transvaal, normal", "yes",
        "no"],
}


def main() -> dict:
    tmp = Path(tempfile.mkdtemp())
    settings = Settings(database_url=f"sqlite:///{tmp / 'bench.db'}", rasa_url="", action_port=free_port(),
                        rasa_port=free_port(), web_port=free_port(), web_host="127.0.0.1")
    stack = Stack(settings, train_if_stale(), log_dir=tmp / "log")
    started = time.perf_counter()
    stack.start()
    start_seconds = time.perf_counter() - started
    url = f"http://127.0.0.1:{settings.rasa_port}/webhooks/rest/webhook"
    turns, latencies, completed = {}, [], 0
    try:
        with httpx.Client(timeout=60) as client:
            for name, script in SCRIPTS.items():
                sender = f"bench-{uuid.uuid4().hex}"
                answer: list = []
                for message in script:
                    t0 = time.perf_counter()
                    answer = client.post(url, json={"sender": sender, "message": message}).json()
                    latencies.append(time.perf_counter() - t0)
                saved = any("LS-" in (m.get("text") or "") for m in answer)
                completed += saved
                turns[name] = {"user_turns": len(script), "saved": saved}
    finally:
        stack.stop()
    latencies.sort()
    return {
        "intakes": len(SCRIPTS), "completed": completed,
        "median_user_turns": statistics.median(t["user_turns"] for t in turns.values()), "per_script": turns,
        "turn_latency_ms": {"p50": round(1000 * latencies[len(latencies) // 2], 1),
                            "p95": round(1000 * latencies[int(len(latencies) * 0.95) - 1], 1)},
        "start_to_ready_seconds": round(start_seconds, 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }


if __name__ == "__main__":
    res = main()
    out = ROOT / "bench/results/conversation_turns.json"
    out.write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))
