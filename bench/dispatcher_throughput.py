"""Intakes per second the dispatcher delivers to a local receiver, on PostgreSQL.

Baseline in the same run: the same number of signed POSTs sent straight to the same
receiver in one loop, without the database, so the ratio shows what the outbox costs.
Usage: .venv/bin/python bench/dispatcher_throughput.py [N]   (needs PostgreSQL, see TEST_POSTGRES_URL)
"""

from __future__ import annotations

import base64
import json
import os
import platform
import secrets
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bot.config import HandoffSettings  # noqa: E402
from bot.handoff.delivery import Dispatcher  # noqa: E402
from bot.handoff.outbox import DELIVERED, approve, outbox_counts  # noqa: E402
from bot.handoff.signing import sign_headers  # noqa: E402
from bot.storage.db import session_factory, upgrade  # noqa: E402
from bot.storage.intakes import IntakeDraft, submit_intake  # noqa: E402
from tests.conftest import _postgres_database  # noqa: E402
from tests.handoff.receiver import Receiver  # noqa: E402


def main(n: int) -> dict:
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    receiver = Receiver(secret).start()
    result: dict = {"intakes": n, "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                    f"Python {platform.python_version()}, PostgreSQL on localhost"}
    try:
        with httpx.Client(timeout=10) as client:
            body = json.dumps({"bench": True})
            started = time.perf_counter()
            for i in range(n):
                client.post(receiver.url, content=body, headers=sign_headers(secret, f"base_{i}", body))
            baseline = time.perf_counter() - started
        for url in _postgres_database():
            upgrade(url)
            sessions = session_factory(url)
            settings = HandoffSettings(url=receiver.url, secret=secret, after="approval",
                                       dashboard_url="http://localhost:8000/broker", poll=0.01, batch=50)
            with sessions.begin() as s:
                for i in range(n):
                    intake = submit_intake(s, IntakeDraft(language="nl", description=f"Vraag {i} over zwerfafval",
                                                          theme="sustainability_biodiversity"))
                    approve(s, intake, "bench", settings)
            for dispatchers in (1, 2):
                if dispatchers == 2:  # queue the same number again for the second round
                    with sessions.begin() as s:
                        from sqlalchemy import update

                        from bot.storage.models import OutboxMessage
                        s.execute(update(OutboxMessage).values(status="pending", delivered_at=None))
                workers = [Dispatcher(sessions, settings, name=f"d{k}") for k in range(dispatchers)]
                threads = [threading.Thread(target=w.run, daemon=True) for w in workers]
                started = time.perf_counter()
                for t in threads:
                    t.start()
                while True:
                    with sessions() as s:
                        if outbox_counts(s).get(DELIVERED, 0) == n:
                            break
                    time.sleep(0.01)
                elapsed = time.perf_counter() - started
                for w in workers:
                    w.stop.set()
                for t in threads:
                    t.join()
                result[f"dispatchers_{dispatchers}"] = {"seconds": round(elapsed, 2),
                                                        "intakes_per_second": round(n / elapsed, 1)}
            session_factory(url).kw["bind"].dispose()
    finally:
        receiver.stop()
    result["baseline_direct_posts_per_second"] = round(n / baseline, 1)
    result["ratio_1_dispatcher_to_baseline"] = round(result["dispatchers_1"]["intakes_per_second"] / (n / baseline), 2)
    return result


if __name__ == "__main__":
    res = main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
    out = ROOT / "bench/results/dispatcher_throughput.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))
