"""Security for every page: headers, CSRF tokens, sign-in and roles."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from functools import wraps

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.config import VAR_DIR, WebSettings
from bot.review.users import session_user

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


HSTS = (b"strict-transport-security", b"max-age=31536000")
NO_STORE = (b"cache-control", b"no-store")
PRIVATE_PREFIX = "/broker"  # pages and exports with intakes and contact details: never in a shared or disk cache


class BodyTooLarge(Exception):
    """Raised from `receive` when a request body grows past the cap while it is being read."""


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP response (HSTS when the site is HTTPS-only, `no-store` on the
    dashboard), and caps request bodies: by Content-Length up front, and by counting the bytes as they arrive,
    because a chunked body announces no length."""

    def __init__(self, app: ASGIApp, max_body: int = 65_536, hsts: bool = False) -> None:
        self.app = app
        self.max_body = max_body
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = HEADERS + ([HSTS] if self.hsts else [])
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await self._too_large(scope, receive, send, extra)
            return
        private = scope.get("path", "").startswith(PRIVATE_PREFIX)
        received = 0
        started = False

        async def capped_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [(k, v) for k, v in message.get("headers", []) if not (private and k.lower() == NO_STORE[0])]
                existing = {k.lower() for k, _ in headers}
                message["headers"] = headers + [h for h in extra if h[0] not in existing] + ([NO_STORE] if private
                                                                                              else [])
            await send(message)

        try:
            await self.app(scope, capped_receive, send_with_headers)
        except BodyTooLarge:
            if not started:  # else the handler answered before reading everything: nothing left to do
                await self._too_large(scope, receive, send, extra)

    @staticmethod
    async def _too_large(scope: Scope, receive: Receive, send: Send, extra: list[tuple[bytes, bytes]]) -> None:
        await PlainTextResponse("Request body too large", status_code=413, headers={
            k.decode(): v.decode() for k, v in extra})(scope, receive, send)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def csrf_ok(request: Request) -> bool:
    form = await request.form()
    sent = form.get("csrf") or ""
    return bool(request.session.get("csrf")) and secrets.compare_digest(str(sent), request.session["csrf"])


Handler = Callable[[Request], Awaitable[Response]]


def require(role: str = "broker") -> Callable[[Handler], Handler]:
    """Pages need a live session of an active account (admin pages: role admin), looked up on the server on
    every request, so sign-out, deactivation and role changes take effect at once; forms also need a valid
    CSRF token. The signed user is in `request.state.user`."""

    def decorate(handler: Handler) -> Handler:
        @wraps(handler)
        async def wrapper(request: Request) -> Response:
            user = await current_user(request)
            if not user:
                if request.method == "GET":
                    return RedirectResponse(f"/broker/login?next={request.url.path}", status_code=303)
                return PlainTextResponse("Sign in first", status_code=401)
            if role == "admin" and user.get("role") != "admin":
                return PlainTextResponse("Forbidden", status_code=403)
            if request.method == "POST" and not await csrf_ok(request):
                return PlainTextResponse("Invalid or missing CSRF token", status_code=403)
            return await handler(request)

        return wrapper

    return decorate


async def current_user(request: Request) -> dict | None:
    """The account of this request's session, as {id, username, role}, or None (and the cookie forgets it)."""
    token = request.session.get("sid")
    if not token:
        return None

    def load() -> dict | None:
        with request.app.state.sessions.begin() as s:
            user = session_user(s, str(token))
            return {"id": user.id, "username": user.username, "role": user.role} if user else None

    user = await run_in_threadpool(load)
    if user is None:
        request.session.pop("sid", None)
    request.state.user = user
    return user


def web_secret_key() -> str:
    """WEB_SECRET_KEY, or a random key made once and kept in var/ (readable by this user only)."""
    key = WebSettings.from_env().secret_key
    if key:
        return key
    path = VAR_DIR / "web_secret"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
