"""Questions that belong together: scoring, linking when stored, grouping and unlinking, the export."""

from __future__ import annotations

import io
import json

from sqlalchemy import select

from bot.review import broker, grouping
from bot.storage.intakes import IntakeDraft, export_jsonl, submit_intake
from bot.storage.models import Intake, IntakeEvent, IntakeLink
from bot.structuring.similarity import Question, place_relation, score

STEVENSHOF = dict(neighbourhood_code="WK054609", district_code="WK054609")
MERENWIJK = dict(neighbourhood_code="WK054608", district_code="WK054608")


def q(text: str, theme: str | None = None, place: dict | None = None) -> Question:
    place = place or {}
    return Question(text, theme, place.get("neighbourhood_code"), place.get("district_code"))


def test_the_same_problem_in_the_same_place_is_similar_in_other_words() -> None:
    a = q("Rond het winkelcentrum in de Stevenshof ligt altijd veel zwerfafval", "public_space", STEVENSHOF)
    b = q("overal afval en rommel bij het winkelcentrum stevenshof, wie ruimt dit op", "public_space", STEVENSHOF)
    assert score(a, b).similar and score(a, b).place == "same"


def test_a_different_problem_in_the_same_place_or_the_same_problem_far_away_is_not() -> None:
    litter = q("Rond het winkelcentrum in de Stevenshof ligt altijd veel zwerfafval", "public_space", STEVENSHOF)
    lonely = q("Veel ouderen in de Stevenshof zijn eenzaam en komen de deur niet uit", "health_wellbeing", STEVENSHOF)
    far = q("Rond het winkelcentrum in de Merenwijk ligt altijd veel zwerfafval", "public_space", MERENWIJK)
    assert not score(litter, lonely).similar
    assert place_relation(litter, far) == "far" and not score(litter, far).similar


def test_neighbourhoods_of_one_district_or_touching_each_other_are_near() -> None:
    kooi = q("x", place=dict(neighbourhood_code="BU05460302", district_code="WK054603"))
    groenoord = q("x", place=dict(neighbourhood_code="BU05460300", district_code="WK054603"))
    district = q("x", place=dict(neighbourhood_code="WK054603", district_code="WK054603"))
    city = q("x", place=dict(neighbourhood_code="GM0546"))
    assert place_relation(kooi, groenoord) == "near" and place_relation(kooi, district) == "near"
    assert place_relation(kooi, city) == "unknown" and place_relation(kooi, q("x")) == "unknown"


def store(sessions, text: str, **kw) -> Intake:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        intake = submit_intake(s, IntakeDraft(language="nl", description=text, theme="public_space", **kw))
        grouping.link_similar(s, intake)
        s.flush()
        s.expunge(intake)
        return intake


def test_linked_when_stored_then_grouped_or_unlinked_by_the_broker(sessions) -> None:  # type: ignore[no-untyped-def]
    first = store(sessions, "Rond het winkelcentrum in de Stevenshof ligt altijd veel zwerfafval", **STEVENSHOF)
    other = store(sessions, "Er staan te weinig bankjes in het park in de Merenwijk", **MERENWIJK)
    second = store(sessions, "Zwerfafval bij winkelcentrum Stevenshof, elke dag weer troep", **STEVENSHOF)
    third = store(sessions, "winkelcentrum stevenshof: overal afval op straat rond de winkels", **STEVENSHOF)
    with sessions() as s:
        links = {(link.intake_id, link.other_id) for link in s.scalars(select(IntakeLink))}
        assert links == {(first.id, second.id), (first.id, third.id), (second.id, third.id)}
        out = io.StringIO()
        export_jsonl(s, out)
        exported = {row["reference"]: row for row in map(json.loads, out.getvalue().splitlines())}
        assert sorted(exported[first.reference]["similar"]) == sorted([second.reference, third.reference])
        assert exported[other.reference]["similar"] == [] and exported[first.reference]["group"] is None
    with sessions.begin() as s:
        a, b, c = (s.get(Intake, i.id) for i in (first, second, third))
        assert grouping.join(s, b, a, "broker:bea") == first.id  # led by the oldest
        grouping.join(s, c, a, "broker:bea")
        assert grouping.unlink(s, b, c, "broker:bea") and not grouping.unlink(s, b, c, "broker:bea")
    with sessions() as s:
        rows, total = broker.queue(s, broker.QueueFilter.from_params({}))
        assert [r.reference for r in rows] == [other.reference, first.reference] and total == 2  # one row per group
        assert grouping.group_sizes(s, [first.id]) == {first.id: 3}
        b = s.get(Intake, second.id)
        assert [other_.reference for _, other_ in grouping.links_of(s, b)] == [first.reference]  # unlinked: gone
        kinds = s.scalars(select(IntakeEvent.kind).where(IntakeEvent.intake_id == second.id)).all()
        assert "grouped" in kinds and "unlinked" in kinds
    with sessions.begin() as s:
        grouping.leave_group(s, s.get(Intake, third.id), "broker:bea")
        grouping.leave_group(s, s.get(Intake, second.id), "broker:bea")
    with sessions() as s:  # a group of one is no group
        assert [s.get(Intake, i.id).group_id for i in (first, second, third)] == [None, None, None]


def test_closed_questions_are_not_linked(sessions) -> None:  # type: ignore[no-untyped-def]
    from bot.review.workflow import change_status

    first = store(sessions, "Rond het winkelcentrum in de Stevenshof ligt altijd veel zwerfafval", **STEVENSHOF)
    with sessions.begin() as s:
        change_status(s, s.get(Intake, first.id), "rejected", "broker:bea", "al opgelost")
    store(sessions, "Zwerfafval bij winkelcentrum Stevenshof, elke dag weer troep", **STEVENSHOF)
    with sessions() as s:
        assert s.scalars(select(IntakeLink)).all() == []
