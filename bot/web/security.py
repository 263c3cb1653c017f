"""Security for every page: headers, CSRF tokens, sign-in and roles."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from functools import wraps

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP response, and caps request bodies."""

    def __init__(self, app: ASGIApp, max_body: int = 65_536) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await PlainTextResponse("Request body too large", status_code=413, headers={
                k.decode(): v.decode() for k, v in HEADERS})(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                existing = {k.lower() for k, _ in message.get("headers", [])}
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [h for h in HEADERS if h[0] not in existing]
            await send(message)

        await self.app(scope, receive, send_with_headers)


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
    """Pages need a signed-in user (admin pages: role admin); forms also need a valid CSRF token."""

    def decorate(handler: Handler) -> Handler:
        @wraps(handler)
        async def wrapper(request: Request) -> Response:
            user = request.session.get("user")
            if not user:
                if request.method == "GET":
                    return RedirectResponse(f"/broker/login?next={request.url.path}", status_code=303)
                return PlainTextResponse("Sign in first", status_code=401)
            if role == "admin" and user.get("role") != "admin":
                return PlainTextResponse("Forbidden", status_code=403)
            if request.method == "POST" and not await csrf_ok(request):
                return PlainTextResponse("Invalid or missing CSRF token", status_code=403)
            request.state.user = user
            return await handler(request)

        return wrapper

    return decorate
