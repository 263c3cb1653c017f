"""Questions that belong together: similar intakes are linked when stored; the broker groups or unlinks them.

- `link_similar` runs when an intake is stored: it scores the open intakes of this municipality
  (bot/structuring/similarity.py) and links those that are similar (state "suggested").
- The broker sees the links side by side on the intake page and either joins two intakes into one group
  (`join`: every member gets the group's first intake as `group_id`; the queue shows one row with the number
  of residents behind it) or says they do not belong together (`unlink`: the link stays, as "unlinked", so it
  is not suggested again). `leave_group` takes an intake out of its group.
- Every decision is a history row on both intakes.
"""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.review import workflow
from bot.storage.models import Intake, IntakeEvent, IntakeLink, utcnow
from bot.structuring.municipality import current
from bot.structuring.similarity import Question, score_many

SUGGESTED, UNLINKED = "suggested", "unlinked"
CLOSED_STATUSES = (workflow.CLOSED, workflow.REJECTED)
MAX_CANDIDATES = 1000  # the most recent open intakes are compared


def question_of(intake: Intake) -> Question:
    return Question(text=str(intake.description or ""), theme=intake.theme,
                    place_code=intake.neighbourhood_code, district_code=intake.district_code)


def _this_municipality(intake: Intake) -> bool:
    """An intake of the municipality this deployment serves (or one without a place in it)."""
    digits = current().code.removeprefix("GM")
    return not intake.neighbourhood_code or digits in intake.neighbourhood_code


def link_similar(session: Session, intake: Intake) -> list[IntakeLink]:
    """Link `intake` to the open intakes that ask much the same; in the caller's transaction."""
    session.flush()
    candidates = [c for c in session.scalars(
        select(Intake).where(Intake.id != intake.id, Intake.status.not_in(CLOSED_STATUSES))
        .order_by(Intake.id.desc()).limit(MAX_CANDIDATES)) if _this_municipality(c)]
    if not candidates or not intake.description:
        return []
    links = []
    for other, scored in zip(candidates, score_many(question_of(intake), [question_of(c) for c in candidates]),
                             strict=True):
        if scored.similar:
            low, high = sorted((intake.id, other.id))
            link = IntakeLink(intake_id=low, other_id=high, score=scored.value, state=SUGGESTED)
            session.add(link)
            links.append(link)
    return links


def links_of(session: Session, intake: Intake, state: str | None = SUGGESTED) -> list[tuple[IntakeLink, Intake]]:
    """The links of `intake` with the intake at the other end, best first."""
    query = select(IntakeLink).where(or_(IntakeLink.intake_id == intake.id, IntakeLink.other_id == intake.id))
    if state:
        query = query.where(IntakeLink.state == state)
    out = []
    for link in session.scalars(query.order_by(IntakeLink.score.desc())):
        other = session.get(Intake, link.other_id if link.intake_id == intake.id else link.intake_id)
        if other is not None:
            out.append((link, other))
    return out


def similar_references(session: Session, intake: Intake) -> list[str]:
    return [str(other.reference) for _, other in links_of(session, intake)]


def group_members(session: Session, intake: Intake) -> list[Intake]:
    if intake.group_id is None:
        return []
    return list(session.scalars(select(Intake).where(Intake.group_id == intake.group_id).order_by(Intake.id)))


def group_sizes(session: Session, lead_ids: list[int]) -> dict[int, int]:
    """The number of intakes (residents) in each group led by one of `lead_ids`."""
    if not lead_ids:
        return {}
    rows = session.execute(select(Intake.group_id, func.count()).where(Intake.group_id.in_(lead_ids))
                           .group_by(Intake.group_id)).all()
    return {int(lead): int(count) for lead, count in rows}


def _event(session: Session, intake: Intake, actor: str, kind: str, other: Intake | None, note: str | None = None) -> None:
    session.add(IntakeEvent(intake_id=intake.id, actor=actor, kind=kind, field="group",
                            new_value=other.reference if other is not None else None, note=note))


def join(session: Session, intake: Intake, other: Intake, actor: str) -> int:
    """Put both intakes (and the groups they are in) into one group, led by the oldest; returns the lead's id."""
    members = {intake.id: intake, other.id: other}
    for member in (intake, other):
        members.update({m.id: m for m in group_members(session, member)})
    lead = min(members)
    for member in members.values():
        if member.group_id != lead:
            member.group_id = lead
            partner = other if member.id == intake.id else intake
            _event(session, member, actor, "grouped", partner)
    link = _link(session, intake, other)
    if link is not None:
        link.decided_by, link.decided_at = actor, utcnow()
    return lead


def _link(session: Session, intake: Intake, other: Intake) -> IntakeLink | None:
    low, high = sorted((intake.id, other.id))
    return session.scalars(select(IntakeLink).where(IntakeLink.intake_id == low, IntakeLink.other_id == high)
                           .with_for_update()).first()


def leave_group(session: Session, intake: Intake, actor: str) -> None:
    """Take `intake` out of its group; a group of one is no group."""
    if intake.group_id is None:
        return
    rest = [m for m in group_members(session, intake) if m.id != intake.id]
    intake.group_id = None
    _event(session, intake, actor, "ungrouped", None)
    if len(rest) == 1:
        rest[0].group_id = None
        _event(session, rest[0], actor, "ungrouped", None)
    elif rest:
        lead = min(m.id for m in rest)
        for member in rest:
            member.group_id = lead


def unlink(session: Session, intake: Intake, other: Intake, actor: str) -> bool:
    """The broker says these two do not belong together: not suggested again."""
    link = _link(session, intake, other)
    if link is None or link.state == UNLINKED:
        return False
    link.state, link.decided_by, link.decided_at = UNLINKED, actor, utcnow()
    for a, b in ((intake, other), (other, intake)):
        _event(session, a, actor, "unlinked", b)
    return True
