"""The "stop these updates" link in every status update (e-mail, Telegram, WhatsApp).

GET shows a page with one button, because mail scanners open links: only the POST stops. Mail programs that
offer an unsubscribe button send that POST themselves (RFC 8058 one-click, `List-Unsubscribe-Post`). The
random token in the link is all it takes; it stops the updates of one question and nothing else.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.notify.updates import stop_updates
from bot.storage.models import Intake
from bot.structuring.municipality import current


def _lookup(request: Request, token: str, stop: bool) -> dict[str, object] | None:
    with request.app.state.sessions.begin() as session:
        if stop:
            intake = stop_updates(session, token)
        else:
            from sqlalchemy import select

            intake = session.scalars(select(Intake).where(Intake.updates_token == token)).one_or_none() if token else None
        if intake is None:
            return None
        return {"reference": intake.reference, "language": intake.language,
                "stopped": intake.updates_stopped_at is not None}


async def stop_page(request: Request) -> Response:
    token = request.path_params["token"]
    found = await run_in_threadpool(_lookup, request, token, request.method == "POST")
    lang = request.query_params.get("lang") or (found or {}).get("language") or "nl"
    lang = lang if lang in ("nl", "en") else "nl"
    return request.app.state.templates.TemplateResponse(
        request, "updates_stop.html",
        {"lang": lang, "found": found, "token": token, "city": current().variables(lang),
         "done": request.method == "POST" and found is not None},
        status_code=200 if found else 404)


routes = [Route("/updates/stop/{token}", stop_page, methods=["GET", "POST"])]


