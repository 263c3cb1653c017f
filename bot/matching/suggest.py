"""Suggestions, never automatic matches: the catalogue's slots ranked for one question, each with its reasons.

A slot scores on four things a broker weighs:
- theme: the question's theme is one of the slot's themes (the strongest signal);
- timing: a slot whose intake deadline has passed is put last; a question that cannot wait (urgent, "this
  semester", "before the summer") prefers a slot that starts within about five months; students start at the
  beginning of a block or semester, so the start date is always said;
- language: a question in English needs a slot that works in English;
- text: how much the question and the slot's title and description say the same (bot/structuring/similarity.py).
Reasons are codes with values; bot/matching/reasons.py puts them in words (Dutch or English).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.matching.store import Question, Slot, needs_of
from bot.structuring.similarity import text_similarity_many

SOON = timedelta(days=150)
KIND_WEIGHT = 0.5
# the kinds of slot that suit a kind of help (bot/structuring/needs.py)
KINDS_FOR_HELP = {"research": ("research", "thesis", "course_assignment"), "advice": ("course_assignment", "minor"),
                  "design": ("course_assignment", "minor"), "hands_on": ("internship", "course_assignment")}
CANNOT_WAIT = ("this_semester", "before_summer")


@dataclass
class Suggestion:
    slot: Slot
    score: float
    reasons: list[tuple[str, dict[str, str]]] = field(default_factory=list)


def _timing(question: Question, slot: Slot, today: date) -> tuple[float, list[tuple[str, dict[str, str]]]]:
    reasons = [("starts", {"date": slot.starts_on.isoformat(), "period": slot.period})]
    if slot.intake_deadline < today:
        return -5.0, [("deadline_passed", {"date": slot.intake_deadline.isoformat()}), *reasons]
    reasons.append(("deadline", {"date": slot.intake_deadline.isoformat()}))
    hurry = (question.urgency == "high" or (question.timeframe or "").startswith(CANNOT_WAIT + ("before",))
             or needs_of(question).get("can_wait_a_semester") is False)
    if hurry:
        if slot.starts_on - today <= SOON:
            return 1.0, [("starts_soon", {}), *reasons]
        return -1.5, [("starts_late", {}), *reasons]
    return 0.5, reasons


def suggest(session: Session, question: Question, today: date | None = None, limit: int = 5) -> list[Suggestion]:
    """The best `limit` active slots for `question`, best first."""
    today = today or date.today()
    slots = list(session.scalars(select(Slot).where(Slot.active.is_(True)).order_by(Slot.code)))
    if not slots:
        return []
    texts = text_similarity_many(question.description or "", [f"{s.title}. {s.description}" for s in slots])
    needs = needs_of(question)
    suited = {kind for help_ in needs.get("help") or [] for kind in KINDS_FOR_HELP.get(help_, ())}
    # the kind of help read from the text is only shown: on the dev half it did not rank better (bench/suggestions.py);
    # the kind the broker confirmed counts
    kind_confirmed = bool(question.needs_broker and json.loads(question.needs_broker).get("help"))
    out = []
    for slot, text in zip(slots, texts, strict=True):
        reasons: list[tuple[str, dict[str, str]]] = []
        score = 0.0
        if question.theme and question.theme in slot.themes.split(";"):
            score += 3.0
            reasons.append(("theme_fits", {}))
        timing, why = _timing(question, slot, today)
        score += timing
        reasons += why
        languages = slot.languages.split(";")
        if question.language == "en" and "en" not in languages:
            score -= 3.0
            reasons.append(("dutch_only", {}))
        elif question.language == "en":
            reasons.append(("english_ok", {}))
        elif languages == ["en"] and needs.get("english_ok") is False:
            score -= 3.0
            reasons.append(("english_only", {}))
        if slot.kind in suited:
            score += KIND_WEIGHT if kind_confirmed else 0.0
            reasons.append(("kind_fits", {}))
        if needs.get("sensitive"):
            reasons.append(("sensitive", {}))
        score += 2.0 * text
        if text >= 0.25:
            reasons.append(("text_close", {}))
        out.append(Suggestion(slot, round(score, 3), reasons))
    out.sort(key=lambda s: (-s.score, s.slot.starts_on, s.slot.code))
    return out[:limit]
