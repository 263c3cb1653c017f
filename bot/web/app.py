"""The web app: the demo page with the chat widget and its API (bot/web/widget.py), the broker
dashboard under /broker (bot/web/broker_routes.py) and the matching backend's callbacks.

The widget talks to Rasa through this app, so the conversation id is issued here (random,
signed) and a browser cannot pick another person's conversation.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from bot.config import HandoffSettings, Settings
from bot.review import broker
from bot.review.users import SESSION_LIFETIME
from bot.runtime.rasa_client import RasaClient
from bot.storage.db import session_factory
from bot.web import broker_routes, matching_routes, updates, widget
from bot.web.security import SecurityHeadersMiddleware, web_secret_key

HERE = Path(__file__).resolve().parent
MAX_BODY = 16_384
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.globals["age"] = broker_routes.age
templates.env.filters["theme_pair"] = lambda item, lang: (broker.theme_label(item[0], lang), item[1])
templates.env.filters["district_pair"] = lambda item, t: (t.get(item[1], item[1]), item[2])
templates.env.filters["status_pair"] = lambda item, t: (t["status_" + item[0]], item[1])
templates.env.filters["outcome_pair"] = lambda item, t: (item[0] or t["unresolved"], item[1])

async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def intake_status_callback(request: Request) -> Response:
    """POST /api/intakes/{id}/status from the matching backend, signed like our deliveries but with its own key
    (MATCHING_CALLBACK_SECRET): the key that signs our deliveries must not be able to forge callbacks."""
    from bot.handoff.callbacks import apply_callback
    from bot.handoff.signing import verify

    handoff = request.app.state.handoff
    if not handoff.callback_secret:
        return JSONResponse({"error": "callbacks are not configured"}, status_code=503)
    body = await request.body()
    if len(body) > MAX_BODY:
        return JSONResponse({"error": "too_large"}, status_code=413)
    try:
        data = verify(handoff.callback_secret, body, dict(request.headers))
    except ValueError:
        return JSONResponse({"error": "invalid signature"}, status_code=401)
    result = await run_in_threadpool(apply_callback, request.app.state.sessions, request.path_params["intake_id"],
                                     request.headers["webhook-id"], data)
    return JSONResponse({"result": result.detail}, status_code=result.code)


@asynccontextmanager
async def close_clients(app: Starlette) -> AsyncIterator[None]:
    yield
    await app.state.rasa.close()


def create_app(settings: Settings | None = None) -> Starlette:
    from bot.privacy.logscrub import install

    install()  # uvicorn set up its log handlers before it called us: mask personal data in what they write
    settings = settings or Settings.from_env()
    secret_key = web_secret_key()
    app = Starlette(
        lifespan=close_clients,
        routes=[
            *broker_routes.routes,
            *matching_routes.routes,
            Route("/broker", lambda request: RedirectResponse("/broker/", status_code=307)),
            Route("/", widget.demo_page),
            Route("/healthz", healthz),
            *widget.routes,
            *updates.routes,
            Route("/api/intakes/{intake_id}/status", intake_status_callback, methods=["POST"]),
            Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
        ],
        middleware=[
            # HTTPS-only (Secure cookie, HSTS) unless the app binds to this machine only or WEB_HTTPS_ONLY=false
            Middleware(SecurityHeadersMiddleware, hsts=settings.https_only),
            # the cookie holds the session token, CSRF token and language; who is signed in lives in the database
            Middleware(SessionMiddleware, secret_key=secret_key, session_cookie="stadsvraag_session",
                       same_site="strict", https_only=settings.https_only, max_age=int(SESSION_LIFETIME.total_seconds())),
        ],
    )
    app.state.templates = templates
    app.state.settings = settings
    app.state.secret_key = secret_key  # signs the session cookie and the widget's chat tokens
    app.state.handoff = HandoffSettings.from_env()
    app.state.sessions = session_factory(settings.database_url)
    app.state.rasa = RasaClient(settings.rasa_replicas)  # one pooled client, spreading by load
    return app
