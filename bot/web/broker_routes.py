"""The knowledge broker's dashboard under /broker: server-rendered, works without JavaScript."""

from __future__ import annotations

import csv
import io
import json
import math
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from bot.handoff.outbox import DEAD, approve, retry_dead
from bot.privacy import attempts
from bot.privacy.erasure import BROKER, REFERENCE, erase_intake, parse_reference
from bot.review import broker, grouping, maps
from bot.review.users import (
    ACCOUNT_ROLES,
    UserError,
    authenticate,
    create_user,
    deactivate,
    end_session,
    start_session,
)
from bot.review.workflow import STATUSES, TRANSITIONS, TransitionError, change_status, public_status
from bot.storage.models import BrokerUser, Intake, OutboxMessage, as_utc, utcnow
from bot.structuring.gazetteer import get_gazetteer
from bot.structuring.municipality import current
from bot.structuring.themes import load_themes
from bot.web.i18n import language, texts
from bot.web.security import csrf_ok, csrf_token, require


def _render(request: Request, template: str, status_code: int = 200, headers: dict[str, str] | None = None,
            **context: object) -> Response:
    lang = language(request)
    return request.app.state.templates.TemplateResponse(request, template, {
        "t": texts(request), "lang": lang, "user": getattr(request.state, "user", None), "csrf": csrf_token(request),
        "themes": load_themes(), "statuses": STATUSES, "places": get_gazetteer().places, "city_code": current().code,
        **context},
        status_code=status_code, headers=headers)


def _actor(request: Request) -> str:
    return f"broker:{request.state.user['username']}"


def _sessions(request: Request):
    return request.app.state.sessions


# ------------------------------------------------------------------ sign in / out


async def login(request: Request) -> Response:
    """Sign in. Failures are counted in the database per address and per user name typed (bot/privacy/attempts.py);
    past the limit the answer is 429 without checking the password. Unknown, deactivated and wrong all get the
    same answer."""
    error, wait = None, 0.0
    if request.method == "POST":
        if not await csrf_ok(request):
            return PlainTextResponse("Invalid or missing CSRF token", status_code=403)
        form = await request.form()
        username, password = str(form.get("username", ""))[:100], str(form.get("password", ""))[:500]
        address = request.client.host if request.client else "unknown"

        def check() -> tuple[dict | None, str | None, float]:
            with _sessions(request).begin() as s:  # counted first, so other replicas see it during the hashing
                wait, counted = attempts.guard(s, [(attempts.SIGNIN_ADDRESS, address),
                                                   (attempts.SIGNIN_ACCOUNT, username.strip().lower())])
            if wait:
                return None, None, wait
            with _sessions(request).begin() as s:
                user = authenticate(s, username, password)
                if user is None:
                    return None, None, 0.0
                attempts.forget(s, counted)
                return {"id": user.id, "username": user.username, "role": user.role}, start_session(s, user), 0.0

        user, token, wait = await run_in_threadpool(check)
        if user:
            lang = request.session.get("lang")
            request.session.clear()  # a new session: nothing carried over from before sign-in but the language
            if lang:
                request.session["lang"] = lang
            request.session["sid"] = token
            target = str(request.query_params.get("next", "/broker/"))
            if not target.startswith("/broker/") or target.startswith("//"):
                target = "/broker/"
            return RedirectResponse(target, status_code=303)
        error = "signin_throttled" if wait else "signin_failed"
    if wait:
        minutes = max(1, math.ceil(wait / 60))
        return _render(request, "broker/login.html", status_code=429, error=error, minutes=minutes,
                       headers={"retry-after": str(math.ceil(wait))})
    return _render(request, "broker/login.html", status_code=401 if error else 200, error=error)


async def logout(request: Request) -> Response:
    if not await csrf_ok(request):
        return PlainTextResponse("Invalid or missing CSRF token", status_code=403)
    token = request.session.get("sid")

    def end() -> None:
        with _sessions(request).begin() as s:
            end_session(s, token)

    await run_in_threadpool(end)
    request.session.clear()
    return RedirectResponse("/broker/login", status_code=303)


# ------------------------------------------------------------------ queue


@require()
async def queue_page(request: Request) -> Response:
    flt = broker.QueueFilter.from_params(request.query_params)

    def load():
        with _sessions(request)() as s:
            rows, total = broker.queue(s, flt)
            return rows, total, broker.status_counts(s), sorted(
                {c for (c,) in s.execute(broker.select(broker.Intake.channel).distinct())}), grouping.group_sizes(
                s, [i.id for i in rows if i.group_id == i.id])

    rows, total, counts, channels, group_sizes = await run_in_threadpool(load)
    return _render(request, "broker/queue.html", rows=rows, total=total, counts=counts, flt=flt, now=utcnow(),
                   channels=channels, pages=max(1, -(-total // broker.PAGE_SIZE)), group_sizes=group_sizes)


@require()
async def export_csv(request: Request) -> Response:
    flt = broker.QueueFilter.from_params(request.query_params)
    lang = language(request)

    def build() -> str:
        out = io.StringIO()
        out.write("\ufeff")  # BOM: Excel opens UTF-8 correctly
        writer = csv.writer(out)
        writer.writerow(["reference", "created_at", "status", "language", "channel", "theme", "theme_label",
                         "neighbourhood_code", "neighbourhood", "district", "urgency", "timeframe", "asker_role",
                         "organisation", "description"])
        with _sessions(request)() as s:
            for i in broker.filtered(s, flt):
                row = [i.reference, i.created_at.isoformat(), i.status, i.language, i.channel, i.theme,
                       broker.theme_label(i.theme, lang), i.neighbourhood_code, i.neighbourhood_name
                       or i.neighbourhood_text, i.district_name, i.urgency, i.timeframe, i.asker_role, i.organisation,
                       i.description]
                writer.writerow([_csv_safe(v) for v in row])  # every cell: typed text can start like a formula
        return out.getvalue()

    body = await run_in_threadpool(build)
    return StreamingResponse(iter([body.encode("utf-8")]), media_type="text/csv; charset=utf-8",
                             headers={"content-disposition": 'attachment; filename="stadsvraag-intakes.csv"'})


def _csv_safe(value: str | None) -> str:
    """Text that a spreadsheet will not run as a formula."""
    value = value or ""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


# ------------------------------------------------------------------ one intake


@require()
async def intake_page(request: Request) -> Response:
    intake_id = request.path_params["intake_id"]

    def load():
        with _sessions(request)() as s:
            intake = broker.get_intake(s, intake_id)
            if intake is None:
                return None
            turns = broker.transcript(s, intake.sender_id)
            similar = [(link, other) for link, other in grouping.links_of(s, intake)
                       if not (intake.group_id and other.group_id == intake.group_id)]
            members = [m for m in grouping.group_members(s, intake) if m.id != intake.id]
            return intake, turns, broker.attention(intake, turns), broker.outbox_for(s, intake), similar, members

    found = await run_in_threadpool(load)
    if found is None:
        return PlainTextResponse("Not found", status_code=404)
    intake, turns, reasons, outbox, similar, members = found
    alternatives = json.loads(intake.theme_alternatives) if intake.theme_alternatives else []
    erasure = next((e for e in intake.events if e.kind == "erased"), None)
    return _render(request, "broker/intake.html", intake=intake, turns=turns, reasons=reasons, outbox=outbox,
                   alternatives=alternatives, place_map=_place_map(request, intake.neighbourhood_code), next_statuses=sorted(TRANSITIONS.get(intake.status, ())),
                   message=request.query_params.get("msg"), backend=request.app.state.handoff.url, erasure=erasure,
                   erase_reason_max=ERASE_REASON_MAX, similar=similar, members=members,
                   public_status=public_status(intake.status, intake.matching_status))


def _place_map(request: Request, code: str | None) -> dict[str, object] | None:
    """The intake's area on a small map of the city; None for the whole city, outside, or unknown."""
    city = maps.locator(maps.load_areas(current().areas_path), code) if code else None
    if city is None or code is None:
        return None
    place = get_gazetteer().places.get(code)
    title = texts(request)["map_locator"].format(name=place.name if place else code)
    return {"svg": maps.svg(city, "map-place", title, interactive=False), "title": title}


def _back(intake_id: str, msg: str) -> RedirectResponse:
    return RedirectResponse(f"/broker/intakes/{intake_id}?msg={msg}", status_code=303)


async def _with_intake(request: Request, change) -> Response:
    """Run `change(session, intake, form)` in one transaction with the intake row locked."""
    intake_id = request.path_params["intake_id"]
    form = await request.form()

    def apply() -> str:
        with _sessions(request).begin() as s:
            intake = broker.get_intake(s, intake_id)
            if intake is None:
                return "missing"
            s.refresh(intake, with_for_update=True)
            try:
                return change(s, intake, form) or "saved"
            except TransitionError:
                return "not_allowed"

    result = await run_in_threadpool(apply)
    if result == "missing":
        return PlainTextResponse("Not found", status_code=404)
    return _back(intake_id, result)


@require()
async def intake_fields(request: Request) -> Response:
    return await _with_intake(request, lambda s, i, f: (
        broker.update_fields(s, i, {k: str(f[k]) for k in broker.EDITABLE if k in f}, _actor(request)) and None))


@require()
async def intake_note(request: Request) -> Response:
    return await _with_intake(request, lambda s, i, f: broker.add_note(s, i, str(f.get("note", "")), _actor(request))
                              and None)


@require()
async def intake_status(request: Request) -> Response:
    def change(s, intake, form):
        change_status(s, intake, str(form.get("status", "")), _actor(request), str(form.get("reason", ""))[:1000] or None,
                      public_note=str(form.get("public_note", ""))[:1000] or None)

    return await _with_intake(request, change)


def _other(s, form) -> Intake | None:
    return broker.get_intake(s, str(form.get("other", "")))


@require()
async def intake_join(request: Request) -> Response:
    def join(s, intake, form):
        other = _other(s, form)
        if other is None or other.id == intake.id:
            return "not_allowed"
        grouping.join(s, intake, other, _actor(request))
        return "joined"

    return await _with_intake(request, join)


@require()
async def intake_unlink(request: Request) -> Response:
    def unlink(s, intake, form):
        other = _other(s, form)
        if other is None or not grouping.unlink(s, intake, other, _actor(request)):
            return "not_allowed"
        return "unlinked"

    return await _with_intake(request, unlink)


@require()
async def intake_leave_group(request: Request) -> Response:
    def leave(s, intake, form):
        grouping.leave_group(s, intake, _actor(request))
        return "left_group"

    return await _with_intake(request, leave)


@require()
async def intake_forward(request: Request) -> Response:
    handoff = request.app.state.handoff

    def forward(s, intake, form):
        if intake.status == "new":
            change_status(s, intake, "in_review", _actor(request))
        approve(s, intake, _actor(request), handoff)

    return await _with_intake(request, forward)


@require()
async def outbox_retry(request: Request) -> Response:
    def retry(s, intake, form):
        message = s.get(OutboxMessage, int(request.path_params["message_id"]))
        if message is None or message.intake_id != intake.id or message.status != DEAD:
            return "not_allowed"
        retry_dead(s, message.id)

    return await _with_intake(request, retry)


ERASE_REASON_MAX = 500


def _same_reference(typed: str, reference: str | None) -> bool:
    """Whether the admin typed this intake's reference number (any common spelling, nothing else)."""
    typed = typed.strip()[:50]
    return bool(reference) and REFERENCE.fullmatch(typed) is not None and parse_reference(typed) == reference


@require("admin")
async def intake_erase(request: Request) -> Response:
    """Erase the personal data of one intake (art. 17 AVG): admins only, with a reason and the reference typed."""
    handoff = request.app.state.handoff

    def erase(s, intake, form):
        if intake.erased_at is not None:
            return "erase_already"
        reason = str(form.get("reason", "")).strip()
        if not reason:
            return "erase_no_reason"
        if len(reason) > ERASE_REASON_MAX:
            return "erase_reason_long"
        if not _same_reference(str(form.get("confirm_reference", "")), intake.reference):
            return "erase_wrong_reference"
        result = erase_intake(s, intake, actor=_actor(request), reason=reason, category=BROKER, settings=handoff)
        return "erase_already" if result.already else "erased"

    return await _with_intake(request, erase)


# ------------------------------------------------------------------ overview and accounts


@require()
async def overview_page(request: Request) -> Response:
    def load():
        with _sessions(request)() as s:
            return broker.overview(s)

    def load_outcomes():  # what came of questions, from the matching service's database (docs/matching.md)
        from bot.matching.service import outcomes
        from bot.web.matching_routes import matching_sessions

        with matching_sessions(request)() as s:
            return outcomes(s)

    data = await run_in_threadpool(load)
    return _render(request, "broker/overview.html", o=data, maps=_overview_maps(request, data),
                   outcomes=await run_in_threadpool(load_outcomes))


def _overview_maps(request: Request, data: broker.Overview) -> list[dict[str, object]]:
    """The questions per district and per neighbourhood on maps; each area links to the queue filtered on it."""
    t = texts(request)
    areas = maps.load_areas(current().areas_path)
    names = {code: p.name for code, p in get_gazetteer().places.items()}

    def label(name: str, count: int) -> str:
        return t["map_area_one" if count == 1 else "map_area"].format(name=name, count=count)

    drawn: list[dict[str, object]] = []
    for ident, level, rows, title in (("map-districts", "district", data.per_district, t["map_districts"]),
                                      ("map-neighbourhoods", "neighbourhood", data.per_neighbourhood,
                                       t["map_neighbourhoods"])):
        def href(code: str, level: str = level) -> str:
            return "/broker/?" + urlencode({level: code})

        city = maps.choropleth(areas, level, {code: n for code, _, n in rows}, names, href, label)
        drawn.append({"id": ident, "title": title, "level": level, "svg": maps.svg(city, ident, title), "legend": city.legend,
                      "shapes": city.shapes})
    return drawn


@require("admin")
async def users_page(request: Request) -> Response:
    error = None
    if request.method == "POST":
        form = await request.form()

        def add() -> str | None:
            try:
                with _sessions(request).begin() as s:
                    create_user(s, str(form.get("username", "")), str(form.get("password", "")),
                                str(form.get("role", "broker")))
            except UserError as exc:
                return str(exc)
            return None

        error = await run_in_threadpool(add)
        if error is None:
            return RedirectResponse("/broker/users", status_code=303)

    def load():
        with _sessions(request)() as s:
            return list(s.scalars(broker.select(BrokerUser).order_by(BrokerUser.username)))

    return _render(request, "broker/users.html", status_code=400 if error else 200, users=await run_in_threadpool(load),
                   roles=ACCOUNT_ROLES, error=error)


@require("admin")
async def user_deactivate(request: Request) -> Response:
    def off() -> None:
        with _sessions(request).begin() as s:
            user = s.get(BrokerUser, int(request.path_params["user_id"]))
            if user and user.id != request.state.user["id"]:
                deactivate(s, user)  # also ends its open sessions

    await run_in_threadpool(off)
    return RedirectResponse("/broker/users", status_code=303)


def age(created, now) -> str:
    hours = int((now - as_utc(created)).total_seconds() // 3600)
    return f"{hours // 24}d" if hours >= 24 else f"{hours}h"


routes = [
    Route("/broker/login", login, methods=["GET", "POST"]),
    Route("/broker/logout", logout, methods=["POST"]),
    Route("/broker/", queue_page),
    Route("/broker/export.csv", export_csv),
    Route("/broker/overview", overview_page),
    Route("/broker/intakes/{intake_id}", intake_page),
    Route("/broker/intakes/{intake_id}/fields", intake_fields, methods=["POST"]),
    Route("/broker/intakes/{intake_id}/note", intake_note, methods=["POST"]),
    Route("/broker/intakes/{intake_id}/status", intake_status, methods=["POST"]),
    Route("/broker/intakes/{intake_id}/forward", intake_forward, methods=["POST"]),
    Route("/broker/intakes/{intake_id}/join", intake_join, methods=["POST"]),
    Route("/broker/intakes/{intake_id}/unlink", intake_unlink, methods=["POST"]),
    Route("/broker/intakes/{intake_id}/leave-group", intake_leave_group, methods=["POST"]),
    Route("/broker/intakes/{intake_id}/erase", intake_erase, methods=["POST"]),
    Route("/broker/intakes/{intake_id}/outbox/{message_id:int}/retry", outbox_retry, methods=["POST"]),
    Route("/broker/users", users_page, methods=["GET", "POST"]),
    Route("/broker/users/{user_id:int}/deactivate", user_deactivate, methods=["POST"]),
]
