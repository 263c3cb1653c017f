"""The chat API behind the website widget (`static/widget.js`).

The conversation id is issued here: `POST /chat/session` returns a signed token
that holds a random id. The widget keeps the token for the browser session and
sends it as `X-Stadsvraag-Token`; the id inside it is the Rasa sender id, so a
client can neither choose nor guess another person's conversation. Tokens are
valid for 24 hours.

Cross-origin embedding: only origins listed in `WIDGET_ORIGINS` (comma-separated)
get CORS headers; everything else gets none, so browsers refuse the answer.

Rate limits (bot/web/ratelimit.py) apply to new sessions per address and to messages per conversation and
per address, so a client cannot dodge the conversation limit by asking for fresh tokens.
"""

from __future__ import annotations

import json
import secrets
from typing import Any
from urllib.parse import urlsplit

import httpx
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.config import WebSettings
from bot.privacy.attempts import hash_key
from bot.runtime.rasa_client import RasaUnavailable
from bot.storage import transcripts
from bot.structuring.municipality import current
from bot.web.ratelimit import ChatLimits, client_address, trusted_proxies

TOKEN_HEADER = "X-Stadsvraag-Token"
TOKEN_SALT = "stadsvraag-chat"
TOKEN_MAX_AGE = 24 * 3600
MAX_BODY = 16_384
MAX_MESSAGE = 10_000
MAX_HISTORY = 500
CORS_METHODS = "GET, POST, OPTIONS"
CORS_HEADERS = f"Content-Type, {TOKEN_HEADER}"


def serializer(request: Request) -> URLSafeTimedSerializer:
    """The token signer, keyed with the web app's secret (made once per app)."""
    state = request.app.state
    signer = getattr(state, "chat_serializer", None)
    if signer is None:
        signer = state.chat_serializer = URLSafeTimedSerializer(state.secret_key, salt=TOKEN_SALT)
    return signer


def conversation_from_token(request: Request, token: str) -> str | None:
    if not token or len(token) > 512:
        return None
    try:
        conversation_id = serializer(request).loads(token, max_age=TOKEN_MAX_AGE)
    except BadSignature:  # also SignatureExpired
        return None
    return conversation_id if isinstance(conversation_id, str) and conversation_id else None


# --- CORS: only for the origins in WIDGET_ORIGINS ---------------------------------------------------

def allowed_origins() -> set[str]:
    return set(WebSettings.from_env().widget_origins)


def cors_headers(request: Request) -> dict[str, str]:
    origin = request.headers.get("origin")
    allowed = allowed_origins()
    if not allowed:
        return {}
    headers = {"Vary": "Origin"}
    if origin and origin in allowed:
        headers["Access-Control-Allow-Origin"] = origin
    return headers


def answer(request: Request, content: Any, status_code: int = 200) -> JSONResponse:
    return JSONResponse(content, status_code=status_code, headers=cors_headers(request))


def preflight(request: Request) -> Response:
    headers = cors_headers(request)
    if "Access-Control-Allow-Origin" not in headers:
        if request.headers.get("origin"):
            return JSONResponse({"error": "origin_not_allowed"}, status_code=403, headers=headers)
        return Response(status_code=204, headers={**headers, "Allow": CORS_METHODS})
    headers.update({"Access-Control-Allow-Methods": CORS_METHODS, "Access-Control-Allow-Headers": CORS_HEADERS,
                    "Access-Control-Max-Age": "600"})
    return Response(status_code=204, headers=headers)


def cross_origin(request: Request) -> bool:
    """Does the request come from a page on another host than this app? (No Origin: not a cross-origin fetch.)"""
    origin = request.headers.get("origin")
    if origin is None:
        return False
    return urlsplit(origin).netloc != request.headers.get("host", request.url.netloc)


async def read_body(request: Request) -> bytes | None:
    """The request body, or None when it is larger than MAX_BODY (also without a Content-Length)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


# --- The demo page -----------------------------------------------------------------------------------

async def demo_page(request: Request) -> Response:
    """GET /: a mock page of the municipality with the widget embedded by one script tag (?lang=en)."""
    lang = "en" if request.query_params.get("lang") == "en" else "nl"
    municipality = current()
    config = {"lang": lang, "title": "Stel je vraag aan de stad" if lang == "nl" else "Ask the city your question",
              "colors": {"primary": municipality.data.get("colours", {}).get("primary", "#a3001b"),
                         "onPrimary": "#ffffff"}}
    return request.app.state.templates.TemplateResponse(
        request, "demo.html", {"lang": lang, "config": config, "city": municipality.variables(lang)})


MAX_CHARS = 2000  # a longer message gets a friendly "please make it shorter" in the widget


def limits(request: Request) -> ChatLimits:
    """The app's limits: in Redis when REDIS_URL is set (shared by the web replicas), else in memory."""
    state = request.app.state
    if not hasattr(state, "chat_limits"):
        state.chat_limits = ChatLimits(getattr(state.settings, "redis_url", None))
    return state.chat_limits


def client_ip(request: Request) -> str:
    """The client's address for the rate limits (X-Forwarded-For only from WEB_TRUSTED_PROXIES)."""
    state = request.app.state
    if not hasattr(state, "trusted_proxies"):
        state.trusted_proxies = trusted_proxies()
    return client_address(request.client.host if request.client else None, request.headers.get("x-forwarded-for"),
                          state.trusted_proxies)


def too_many(request: Request, wait: float) -> Response:
    response = answer(request, {"error": "rate_limited", "retry_after": round(wait, 1)}, 429)
    response.headers["Retry-After"] = str(max(1, int(wait + 0.999)))
    return response


# --- Routes -----------------------------------------------------------------------------------------

async def new_session(request: Request) -> Response:
    """POST /chat/session: a new conversation; the token is all the client needs to keep."""
    if request.method == "OPTIONS":
        return preflight(request)
    wait = await run_in_threadpool(limits(request).check_session, client_ip(request))
    if wait:
        return too_many(request, wait)
    token = serializer(request).dumps(secrets.token_urlsafe(24))
    return answer(request, {"token": token, "max_age": TOKEN_MAX_AGE})


async def messages(request: Request) -> Response:
    """POST /chat/messages {"message": str}: forward to Rasa's REST channel, return Rasa's answers."""
    if request.method == "OPTIONS":
        return preflight(request)
    body = await read_body(request)
    if body is None:
        return answer(request, {"error": "too_large"}, 413)
    token = request.headers.get(TOKEN_HEADER)
    if token is not None:
        conversation_id = conversation_from_token(request, token.strip())
        if conversation_id is None:
            return answer(request, {"error": "invalid_token"}, 401)
    elif cross_origin(request):
        return answer(request, {"error": "invalid_token"}, 401)
    else:  # the older same-origin page: the id lives in the signed session cookie
        conversation_id = request.session.get("conversation_id")
        if not conversation_id:
            conversation_id = secrets.token_urlsafe(24)
            request.session["conversation_id"] = conversation_id
    try:
        payload = json.loads(body)
        message = payload.get("message", "") if isinstance(payload, dict) else None
    except ValueError:
        return answer(request, {"error": "bad_request"}, 400)
    if not isinstance(message, str):
        return answer(request, {"error": "bad_request"}, 400)
    if len(message) > MAX_CHARS:
        return answer(request, {"error": "message_too_long", "max_chars": MAX_CHARS}, 413)
    wait = await run_in_threadpool(limits(request).check, conversation_id, client_ip(request))
    if wait:
        return too_many(request, wait)
    try:
        # the address only as a keyed hash: the status lookup counts per address (actions/actions.py)
        metadata = {"client": hash_key("client", client_ip(request))}
        answers = await request.app.state.rasa.send(conversation_id, message[:MAX_MESSAGE], metadata)
    except (RasaUnavailable, httpx.HTTPError, ValueError):
        return answer(request, {"error": "assistant_unavailable"}, 503)
    return answer(request, answers if isinstance(answers, list) else [])


async def history(request: Request) -> Response:
    """GET /chat/history: the conversation so far, so a reloaded page can show it again."""
    if request.method == "OPTIONS":
        return preflight(request)
    conversation_id = conversation_from_token(request, (request.headers.get(TOKEN_HEADER) or "").strip())
    if conversation_id is None:
        return answer(request, {"error": "invalid_token"}, 401)
    turns = await run_in_threadpool(read_history, request.app.state.sessions, conversation_id)
    return answer(request, turns)


def read_history(sessions: sessionmaker, conversation_id: str, limit: int = MAX_HISTORY) -> list[dict[str, Any]]:
    """User and bot messages of one conversation from Rasa's SQL tracker store (table `events`).

    A user text that starts with "/" is a button payload: it is shown as the title of the button in the bot
    messages just before it, or left out when no such button is found.
    """
    with sessions() as session:
        events = transcripts.conversation(session, conversation_id, last=limit)
    turns: list[dict[str, Any]] = []
    offered: list[dict[str, Any]] = []  # buttons of the bot messages since the last user message
    for type_name, data in ((e.type_name, e.data) for e in events):
        try:
            event = json.loads(data) if data else {}
        except ValueError:
            event = {}
        if not isinstance(event, dict):
            event = {}
        said_text = event.get("text")
        said = said_text if isinstance(said_text, str) else ""
        if type_name == "bot":
            data = event.get("data")
            extra = data if isinstance(data, dict) else {}
            buttons = [{"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
                       for b in (extra.get("buttons") or []) if isinstance(b, dict)]
            offered.extend(buttons)
            turns.append({"who": "bot", "text": said, "buttons": buttons})
            continue
        if said.startswith("/"):
            titles = [b["title"] for b in offered if b["payload"] == said]
            offered = []
            if not titles:
                continue
            said = titles[0]
        else:
            offered = []
        turns.append({"who": "user", "text": said, "buttons": []})
    return turns


routes = [
    Route("/chat/session", new_session, methods=["POST", "OPTIONS"]),
    Route("/chat/messages", messages, methods=["POST", "OPTIONS"]),
    Route("/chat/history", history, methods=["GET", "OPTIONS"]),
]
