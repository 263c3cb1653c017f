"""A real HTTP receiver for handoff tests: verifies signatures and counts deliveries per webhook-id."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bot.handoff.signing import verify

# A behaviour gets (webhook_id, how many times this id was seen before) and returns
# (status code, extra headers, seconds to wait before answering).
Behaviour = Callable[[str, int], tuple[int, dict[str, str], float]]


def always_ok(webhook_id: str, seen: int) -> tuple[int, dict[str, str], float]:
    return 200, {}, 0.0


class Receiver:
    def __init__(self, secret: str, port: int = 0, behaviour: Behaviour = always_ok) -> None:
        self.secret = secret
        self.behaviour = behaviour
        self.lock = threading.Lock()
        self.raw: Counter[str] = Counter()  # every request, per webhook-id
        self.accepted: Counter[str] = Counter()  # verified requests answered 2xx, per webhook-id
        self.processed: dict[str, dict] = {}  # de-duplicated: first verified body per webhook-id
        self.times: dict[str, list[float]] = {}
        self.bad_signatures = 0
        self.port = port
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/intakes"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                webhook_id = self.headers.get("webhook-id", "")
                with receiver.lock:
                    seen = receiver.raw[webhook_id]
                    receiver.raw[webhook_id] += 1
                    receiver.times.setdefault(webhook_id, []).append(time.monotonic())
                status, headers, delay = receiver.behaviour(webhook_id, seen)
                if delay:
                    time.sleep(delay)
                try:
                    data = verify(receiver.secret, body, dict(self.headers.items()))
                except ValueError:
                    with receiver.lock:
                        receiver.bad_signatures += 1
                    status = 401
                    data = None
                if status == 200 and data is not None:
                    with receiver.lock:
                        receiver.accepted[webhook_id] += 1
                        receiver.processed.setdefault(webhook_id, data)  # de-duplication by webhook-id
                answer = json.dumps({"match_id": f"m-{webhook_id[-6:]}"} if status == 200 else {"error": "no"})
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("content-type", "application/json")
                    self.end_headers()
                    self.wfile.write(answer.encode())
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    @property
    def duplicates(self) -> int:
        """Accepted deliveries of an id already processed (what de-duplication absorbed)."""
        return sum(n - 1 for n in self.accepted.values() if n > 1)
