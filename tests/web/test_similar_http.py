"""The dashboard's similar questions through the real ASGI app: side by side, join into a group (one queue row
with the number of residents), unlink, leave the group; and the public message with a status change."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.review import grouping
from bot.storage.db import session_factory
from bot.storage.intakes import IntakeDraft, submit_intake
from bot.storage.models import Intake, IntakeEvent, IntakeLink, OutboxMessage
from tests.web.conftest import csrf_of

PLACE = dict(neighbourhood_code="WK054609", district_code="WK054609", district_name="Stevenshofdistrict",
             neighbourhood_name="Stevenshofdistrict")
TEXTS = ("Rond het winkelcentrum in de Stevenshof ligt altijd veel zwerfafval",
         "Zwerfafval bij winkelcentrum Stevenshof, elke dag weer troep",
         "winkelcentrum stevenshof: overal afval op straat rond de winkels")


def stored(database_url: str) -> list[str]:
    sessions = session_factory(database_url)
    uuids = []
    for text in TEXTS:
        with sessions.begin() as s:
            intake = submit_intake(s, IntakeDraft(language="nl", description=text, theme="public_space",
                                                  consent_contact=True, contact_email="bewoner@example.nl", **PLACE))
            grouping.link_similar(s, intake)
            uuids.append(str(intake.uuid))
    return uuids


def post(client, uuid: str, action: str, **form: str):  # type: ignore[no-untyped-def]
    page = client.get(f"/broker/intakes/{uuid}")
    return client.post(f"/broker/intakes/{uuid}/{action}", data={"csrf": csrf_of(page.text), **form},
                       follow_redirects=False)


def test_side_by_side_join_unlink_and_the_queue_counts_residents(broker_client, database_url: str) -> None:  # type: ignore[no-untyped-def]
    first, second, third = stored(database_url)
    page = broker_client.get(f"/broker/intakes/{first}")
    assert page.status_code == 200 and "Vergelijkbare vragen" in page.text
    assert page.text.count('class="side-by-side"') == 2 and TEXTS[1] in page.text and TEXTS[0] in page.text
    answer = post(broker_client, second, "join", other=first)
    assert answer.status_code == 303 and answer.headers["location"].endswith("msg=joined")
    assert post(broker_client, third, "join", other=first).status_code == 303
    queue = broker_client.get("/broker/")
    assert "3 bewoners" in queue.text
    shown = set(re.findall(r'href="/broker/intakes/([0-9a-f-]{36})"', queue.text))
    assert first in shown and second not in shown and third not in shown  # one row for the group
    lead = broker_client.get(f"/broker/intakes/{first}")
    assert "Deze vragen worden samen behandeld" in lead.text and 'class="side-by-side"' not in lead.text
    assert post(broker_client, third, "leave-group").headers["location"].endswith("msg=left_group")
    assert post(broker_client, third, "unlink", other=second).headers["location"].endswith("msg=unlinked")
    assert post(broker_client, third, "unlink", other=second).headers["location"].endswith("msg=not_allowed")
    with session_factory(database_url)() as s:
        ids = {u: s.scalars(select(Intake.id).where(Intake.uuid == u)).one() for u in (first, second, third)}
        states = {(link.intake_id, link.other_id): link.state for link in s.scalars(select(IntakeLink))}
        assert states[(ids[second], ids[third])] == "unlinked"
        kinds = s.scalars(select(IntakeEvent.kind).where(IntakeEvent.intake_id == ids[third])).all()
        assert {"grouped", "ungrouped", "unlinked"} <= set(kinds)
    assert "2 bewoners" in broker_client.get("/broker/").text


def test_a_status_change_with_a_message_for_the_asker_queues_their_update(broker_client, database_url: str) -> None:  # type: ignore[no-untyped-def]
    first, *_ = stored(database_url)
    answer = post(broker_client, first, "status", status="in_review", reason="intern: drie keer gemeld",
                  public_note="We nemen dit mee met vergelijkbare meldingen.")
    assert answer.headers["location"].endswith("msg=saved")
    page = broker_client.get(f"/broker/intakes/{first}")
    assert "De vrager ziet" in page.text and "wordt bekeken" in page.text
    assert "We nemen dit mee met vergelijkbare meldingen." in page.text  # in the history
    with session_factory(database_url)() as s:
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.destination == "resident")).one()
        assert '"status":"in_review"' in row.payload and "drie keer" not in row.payload
