"""Load time of the broker's pages with 10,000 intakes in PostgreSQL, over real HTTP (uvicorn).

Baseline in the same run: GET /healthz on the same server (no database, no template), so each page is
also reported as a ratio to it. Usage: .venv/bin/python bench/queue_page.py [N]
"""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from bot.review.users import create_user  # noqa: E402
from bot.storage.db import session_factory, upgrade  # noqa: E402
from bot.storage.models import Intake, utcnow  # noqa: E402
from bot.structuring.themes import theme_ids  # noqa: E402
from tests.conftest import _postgres_database  # noqa: E402
from tests.e2e.conftest import free_port  # noqa: E402
from tests.web.conftest import PASSWORD, csrf_of  # noqa: E402

PAGES = {
    "queue": "/broker/",
    "queue, search": "/broker/?q=ouderen",
    "queue, filtered": "/broker/?theme=safety&urgency=high&language=nl",
    "queue, page 100": "/broker/?page=100",
    "intake page": None,
    "overview": "/broker/overview",
    "csv export (all)": "/broker/export.csv",
}


def seed(url: str, n: int) -> str:
    rng = random.Random(5)
    themes = theme_ids()
    places = [("BU05460302", "De Kooi", "WK054603", "Leiden-Noord"), ("WK054608", "Merenwijkdistrict", "WK054608",
              "Merenwijkdistrict"), ("BU05460600", "Transvaalbuurt", "WK054606", "Morsdistrict")]
    words = "eenzame ouderen zwerfafval hitte parkeren jongeren overlast schulden school buurthuis fiets".split()
    now = utcnow()
    rows = []
    for i in range(n):
        code, name, dcode, dname = rng.choice(places)
        created = now - timedelta(minutes=rng.randint(0, 60 * 24 * 120))
        rows.append(dict(uuid=str(uuid.uuid4()), reference=f"LS-2026-{i + 1:06d}", created_at=created,
                         updated_at=created, status=rng.choice(["new", "new", "in_review", "handed_off"]),
                         language=rng.choice(["nl", "en"]), channel="rest", sender_id=f"bench-{i}",
                         description=" ".join(rng.choice(words) for _ in range(25)), theme=rng.choice(themes),
                         theme_confidence=rng.random(), neighbourhood_kind="neighbourhood", neighbourhood_code=code,
                         neighbourhood_name=name, district_code=dcode, district_name=dname,
                         urgency=rng.choice(["low", "normal", "high"]), consent_contact=False))
    sessions = session_factory(url)
    with sessions.begin() as s:
        s.execute(insert(Intake), rows)
        create_user(s, "bench", PASSWORD, "broker")
    return rows[0]["uuid"]


def timed(client: httpx.Client, path: str, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        r = client.get(path)
        out.append(time.perf_counter() - t0)
        assert r.status_code == 200, (path, r.status_code)
    return out


def main(n: int, runs: int = 15) -> dict:
    result: dict = {"intakes": n, "runs_per_page": runs, "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                    f"Python {platform.python_version()}, PostgreSQL on localhost, uvicorn 1 worker"}
    for url in _postgres_database():
        upgrade(url)
        one = seed(url, n)
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url}
        proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "bot.web.app:create_app", "--factory", "--port",
                                 str(port), "--ws", "none", "--log-level", "warning"], env=env, cwd=ROOT)
        try:
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, timeout=60) as client:
                for _ in range(100):
                    try:
                        client.get("/healthz")
                        break
                    except httpx.HTTPError:
                        time.sleep(0.1)
                token = csrf_of(client.get("/broker/login").text)
                client.post("/broker/login", data={"username": "bench", "password": PASSWORD, "csrf": token})
                baseline = statistics.median(timed(client, "/healthz", runs))
                result["baseline_healthz_ms"] = round(baseline * 1000, 2)
                pages = {}
                for name, path in PAGES.items():
                    times = timed(client, path or f"/broker/intakes/{one}", runs)
                    med = statistics.median(times)
                    pages[name] = {"median_ms": round(med * 1000, 1), "max_ms": round(max(times) * 1000, 1),
                                   "ratio_to_healthz": round(med / baseline, 1)}
                result["pages"] = pages
        finally:
            proc.terminate()
            proc.wait(10)
            session_factory(url).kw["bind"].dispose()
    return result


if __name__ == "__main__":
    res = main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
    out = ROOT / "bench/results/queue_page.json"
    out.write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))
