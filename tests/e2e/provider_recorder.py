"""A local stand-in for the Telegram Bot API and Twilio's REST API: answers like them and records calls."""

from __future__ import annotations

import cgi
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BOT_USERNAME = "stadsvraag_test_bot"


class ProviderRecorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, str]]] = []  # (path, fields)
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> ProviderRecorder:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _fields(self) -> dict[str, str]:
                ctype = self.headers.get("content-type", "")
                length = int(self.headers.get("content-length", 0))
                if ctype.startswith("application/json"):
                    data = json.loads(self.rfile.read(length) or b"{}")
                    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
                form = cgi.FieldStorage(fp=self.rfile, headers=self.headers,
                                        environ={"REQUEST_METHOD": "POST", "CONTENT_TYPE": ctype,
                                                 "CONTENT_LENGTH": str(length)})
                return {k: form.getvalue(k) for k in form.keys()} if form.list is not None else {}

            def _answer(self, status: int, body: dict) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:  # noqa: N802
                self.do_POST()

            def do_POST(self) -> None:  # noqa: N802
                fields = self._fields() if self.command == "POST" else {}
                with recorder.lock:
                    recorder.calls.append((self.path, fields))
                if "/Messages.json" in self.path:  # Twilio: create a message
                    self._answer(201, {"sid": "SM" + "0" * 32, "status": "queued", "to": fields.get("To"),
                                       "from": fields.get("From"), "body": fields.get("Body")})
                elif self.path.endswith("/getMe"):
                    self._answer(200, {"ok": True, "result": {"id": 42, "is_bot": True, "first_name": "Stadsvraag",
                                                              "username": BOT_USERNAME}})
                elif self.path.endswith("/sendMessage"):
                    self._answer(200, {"ok": True, "result": {"message_id": len(recorder.calls), "date": 1700000000,
                                                              "chat": {"id": int(fields.get("chat_id", 0)),
                                                                       "type": "private"},
                                                              "text": fields.get("text", "")}})
                else:  # setWebhook and the rest
                    self._answer(200, {"ok": True, "result": True})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def sent(self, marker: str) -> list[dict[str, str]]:
        with self.lock:
            return [fields for path, fields in self.calls if marker in path]
