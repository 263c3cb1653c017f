"""The matching service over HTTP: the handoff's receiving end (POST /webhooks/intake, verified per Standard
Webhooks with the delivery key) and a health check. Its callback sender runs beside it in the same process.

`make run` starts it (`stadsvraag matching run`) and points MATCHING_BACKEND_URL at it, unless that variable
names another platform (docs/matching.md).
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.config import ConfigError, MatchingSettings
from bot.handoff.signing import verify
from bot.matching.callbacks import CallbackSender
from bot.matching.catalogue import load_example_if_empty
from bot.matching.service import receive
from bot.matching.store import sessions_for

MAX_BODY = 256 * 1024


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def intake_webhook(request: Request) -> Response:
    body = await request.body()
    if len(body) > MAX_BODY:
        return JSONResponse({"error": "too_large"}, status_code=413)
    try:
        data = verify(str(request.app.state.settings.secret), body, dict(request.headers))
    except ValueError:
        return JSONResponse({"error": "invalid signature"}, status_code=401)
    answer = await run_in_threadpool(receive, request.app.state.sessions, request.headers["webhook-id"], data)
    return JSONResponse(answer.body, status_code=answer.code)


def create_app(settings: MatchingSettings | None = None, send_callbacks: bool = True) -> Starlette:
    settings = settings or MatchingSettings.from_env()
    if not (settings.secret and settings.callback_secret):
        raise ConfigError("the matching service needs MATCHING_BACKEND_SECRET (to verify deliveries) and "
                          "MATCHING_CALLBACK_SECRET (to sign its callbacks). `make run` sets both; see docs/matching.md.")
    sessions = sessions_for(settings.database_url)
    with sessions.begin() as session:
        load_example_if_empty(session)  # a fresh service shows the example catalogue, marked as example data
    sender = CallbackSender(sessions, settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        thread = threading.Thread(target=sender.run, name="callbacks", daemon=True) if send_callbacks else None
        if thread:
            thread.start()
        yield
        sender.close()
        if thread:
            thread.join(timeout=5)

    app = Starlette(lifespan=lifespan, routes=[
        Route("/healthz", healthz),
        Route("/webhooks/intake", intake_webhook, methods=["POST"]),
    ])
    app.state.settings, app.state.sessions, app.state.sender = settings, sessions, sender
    return app
