"""The broker's pages for the matching side (docs/matching.md): questions with ranked suggestions and their
reasons, the lifecycle steps, outcomes, and the aanbod catalogue (edit, CSV import with errors per row, export).

They work on the embedded matching service's database (MATCHING_DATABASE_URL), with the dashboard's sign-in,
roles and CSRF tokens. When the handoff goes to another platform, matching happens there and these pages are empty.
"""

from __future__ import annotations

import io
from datetime import date

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from bot.config import MatchingSettings
from bot.matching import catalogue, service
from bot.matching.reasons import in_words
from bot.matching.store import Question, QuestionEvent, Slot, needs_of, sessions_for
from bot.matching.suggest import suggest
from bot.structuring.needs import HELP_KINDS
from bot.web.broker_routes import _actor, _render
from bot.web.i18n import language
from bot.web.security import require

MAX_UPLOAD = 1_000_000


def matching_sessions(request: Request):
    state = request.app.state
    if not hasattr(state, "matching_sessions"):
        state.matching_sessions = sessions_for(MatchingSettings.from_env().database_url)
    return state.matching_sessions


def _back(path: str, msg: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?msg={msg}", status_code=303)


@require()
async def questions_page(request: Request) -> Response:
    def load():
        with matching_sessions(request)() as s:
            return list(s.scalars(select(Question).order_by(Question.id.desc()).limit(500)))

    return _render(request, "broker/matching.html", questions=await run_in_threadpool(load))


@require()
async def question_page(request: Request) -> Response:
    lang = language(request)

    def load():
        with matching_sessions(request)() as s:
            question = s.scalars(select(Question).where(Question.match_id == request.path_params["match_id"])).one_or_none()
            if question is None:
                return None
            found = [(x.slot, x.score, in_words(x.reasons, lang)) for x in suggest(s, question)]
            events = list(s.scalars(select(QuestionEvent).where(QuestionEvent.question_id == question.id)
                                    .order_by(QuestionEvent.id)))
            slot = s.get(Slot, question.slot_id) if question.slot_id else None
            return question, found, events, slot, needs_of(question)

    loaded = await run_in_threadpool(load)
    if loaded is None:
        return PlainTextResponse("Not found", status_code=404)
    question, found, events, slot, needs = loaded
    return _render(request, "broker/matching_question.html", question=question, suggestions=found, events=events,
                   slot=slot, next_steps=sorted(service.TRANSITIONS.get(question.status, ())), needs=needs,
                   help_kinds=HELP_KINDS, message=request.query_params.get("msg"))


def _yes_no(value: object) -> bool | None:
    return {"yes": True, "no": False}.get(str(value))


@require()
async def question_needs(request: Request) -> Response:
    """The broker fills in or corrects what matching needs to know."""
    match_id = request.path_params["match_id"]
    form = await request.form()
    answers = {"help": [k for k in HELP_KINDS if form.get(f"help_{k}") == "on"] or None,
               **{k: _yes_no(form.get(k)) for k in ("can_wait_a_semester", "english_ok", "can_guide_students",
                                                    "sensitive")}}

    def apply() -> bool:
        with matching_sessions(request).begin() as s:
            question = s.scalars(select(Question).where(Question.match_id == match_id)).one_or_none()
            if question is None:
                return False
            service.set_needs(s, question, answers, _actor(request))
            return True

    if not await run_in_threadpool(apply):
        return PlainTextResponse("Not found", status_code=404)
    return _back(f"/broker/matching/{match_id}", "saved")


@require()
async def question_step(request: Request) -> Response:
    """Confirm a slot, ask the asker for information, mark not suitable, in progress, or done with its outcome."""
    match_id = request.path_params["match_id"]
    form = await request.form()
    action = str(form.get("action", ""))

    def apply() -> str:
        with matching_sessions(request).begin() as s:
            question = s.scalars(select(Question).where(Question.match_id == match_id).with_for_update()).one_or_none()
            if question is None:
                return "missing"
            public = str(form.get("public_note", ""))[:1000] or None
            note = str(form.get("note", ""))[:2000] or None
            try:
                if action == "confirm":
                    slot = s.scalars(select(Slot).where(Slot.code == str(form.get("slot", "")))).one_or_none()
                    if slot is None:
                        return "not_allowed"
                    service.confirm(s, question, slot, _actor(request), public)
                elif action == "done":
                    service.finish(s, question, _actor(request), str(form.get("summary", "")),
                                   str(form.get("link", "")), str(form.get("institution", "")))
                elif action in service.STATUSES:
                    service.change_status(s, question, action, _actor(request), note, public)
                else:
                    return "not_allowed"
            except service.TransitionError:
                return "not_allowed"
            return "saved"

    result = await run_in_threadpool(apply)
    if result == "missing":
        return PlainTextResponse("Not found", status_code=404)
    return _back(f"/broker/matching/{match_id}", result)


# ------------------------------------------------------------------ the aanbod catalogue


@require()
async def catalogue_page(request: Request) -> Response:
    def load():
        with matching_sessions(request)() as s:
            return list(s.scalars(select(Slot).order_by(Slot.code)))

    return _render(request, "broker/catalogue.html", slots=await run_in_threadpool(load), errors=[],
                   message=request.query_params.get("msg"), today=date.today())


@require()
async def catalogue_import(request: Request) -> Response:
    form = await request.form()
    upload = form.get("file")
    raw = await upload.read(MAX_UPLOAD + 1) if upload is not None and hasattr(upload, "read") else b""
    if len(raw) > MAX_UPLOAD:
        errors = [f"the file is larger than {MAX_UPLOAD // 1000} kB"]
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text, errors = "", ["the file is not UTF-8 text: save it as 'CSV UTF-8'"]
        else:
            errors = []

        def run() -> catalogue.ImportResult:
            with matching_sessions(request).begin() as s:
                result = catalogue.import_csv(s, text)
                if not result.ok:
                    s.rollback()
                return result

        if not errors:
            result = await run_in_threadpool(run)
            if result.ok:
                return _back("/broker/catalogue", "imported")
            errors = result.errors

    def load():
        with matching_sessions(request)() as s:
            return list(s.scalars(select(Slot).order_by(Slot.code)))

    return _render(request, "broker/catalogue.html", status_code=422, slots=await run_in_threadpool(load),
                   errors=errors, message=None, today=date.today())


@require()
async def catalogue_export(request: Request) -> Response:
    def build() -> str:
        out = io.StringIO()
        with matching_sessions(request)() as s:
            catalogue.export_csv(s, out)
        return out.getvalue()

    body = await run_in_threadpool(build)
    return StreamingResponse(iter([body]), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="aanbod.csv"'})


@require()
async def slot_page(request: Request) -> Response:
    code = request.path_params["code"]
    if request.method == "POST":
        form = await request.form()

        def save() -> list[str]:
            with matching_sessions(request).begin() as s:
                slot = s.scalars(select(Slot).where(Slot.code == code)).one_or_none()
                if slot is None:
                    return ["missing"]
                row = {c: str(form.get(c, "")) for c in catalogue.COLUMNS}
                row["id"] = code
                values, errors = catalogue.parse_row(row, 1)
                if values is None:
                    return [e.removeprefix("row 1, ") for e in errors]
                for key, value in values.items():
                    setattr(slot, key, value)
                slot.active = form.get("active") == "on"
                slot.example = False  # edited by the broker: no longer the shipped example
                return []

        errors = await run_in_threadpool(save)
        if not errors:
            return _back(f"/broker/catalogue/{code}", "saved")
        if errors == ["missing"]:
            return PlainTextResponse("Not found", status_code=404)
    else:
        errors = []

    def load():
        with matching_sessions(request)() as s:
            return s.scalars(select(Slot).where(Slot.code == code)).one_or_none()

    slot = await run_in_threadpool(load)
    if slot is None:
        return PlainTextResponse("Not found", status_code=404)
    return _render(request, "broker/slot.html", status_code=422 if errors else 200, slot=slot, errors=errors,
                   message=request.query_params.get("msg"), levels=catalogue.LEVELS, kinds=catalogue.KINDS)


routes = [
    Route("/broker/matching", questions_page),
    Route("/broker/matching/{match_id}", question_page),
    Route("/broker/matching/{match_id}/step", question_step, methods=["POST"]),
    Route("/broker/matching/{match_id}/needs", question_needs, methods=["POST"]),
    Route("/broker/catalogue", catalogue_page),
    Route("/broker/catalogue/import", catalogue_import, methods=["POST"]),
    Route("/broker/catalogue/export.csv", catalogue_export),
    Route("/broker/catalogue/{code}", slot_page, methods=["GET", "POST"]),
]
