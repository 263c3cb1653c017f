"""The aanbod catalogue: CSV import all-or-nothing with an error per row, export round trip, ranked suggestions
with reasons in words — on a real (SQLite) matching database."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.matching.catalogue import COLUMNS, EXAMPLE, export_csv, import_csv, load_example_if_empty
from bot.matching.reasons import in_words
from bot.matching.store import Question, Slot, sessions_for
from bot.matching.suggest import suggest

HEADER = ",".join(COLUMNS)
GOOD = [
    "A1,Hogeschool Leiden,Sociaal Werk,Minor Wijkgericht werken,hbo,minor,2026-2027 semester 2,2027-02-01,2027-01-15,"
    "4,social_cohesion;health_wellbeing,nl,minor@hsleiden.example,Studenten onderzoeken eenzaamheid en ontmoeting "
    "in een wijk samen met bewoners.,written",
    "A2,Universiteit Leiden,Urban Studies,Bachelor project city,wo,course_assignment,2026-2027 blok 3,2027-02-03,"
    "2026-12-01,6,housing_living;sustainability_biodiversity,nl;en,urban@leiden.example,Student teams research "
    "heat stress greenery and liveability in city streets.,written",
    "A3,mboRijnland,Groen,Praktijkopdracht groen,mbo,internship,2026-2027 periode 3,2027-09-01,2027-06-01,2,"
    "sustainability_biodiversity,nl,groen@rijnland.example,Leerlingen leggen geveltuinen en groen aan in de wijk.,",
]


@pytest.fixture
def sessions(tmp_path: Path):  # type: ignore[no-untyped-def]
    return sessions_for(f"sqlite:///{tmp_path / 'matching.db'}")


def test_a_file_with_errors_changes_nothing_and_names_each_row(sessions) -> None:  # type: ignore[no-untyped-def]
    bad = [GOOD[0], GOOD[1].replace(",wo,", ",HBO+,").replace("housing_living", "wonen"),
           GOOD[2].replace("2027-06-01", "2027-10-01").replace("groen@rijnland.example", "Piet")]
    with sessions.begin() as s:
        result = import_csv(s, "\n".join([HEADER, *bad]))
    assert not result.ok and s.scalars(select(Slot)).all() == []
    assert "row 3, level: 'HBO+' is not one of mbo, hbo, wo" in result.errors
    assert any(e.startswith("row 3, themes: 'wonen' is not a theme id") for e in result.errors)
    assert "row 4, intake_deadline: is after starts_on" in result.errors
    assert "row 4, contact: 'Piet' is not an e-mail address" in result.errors
    with sessions.begin() as s:
        assert import_csv(s, "id,title\nA1,x").errors[0].startswith("the header lacks institution")


def test_import_export_round_trip_and_update_by_id(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        assert (import_csv(s, "\n".join([HEADER, *GOOD])).added, 3) == (3, 3)
    with sessions.begin() as s:
        out = io.StringIO()
        assert export_csv(s, out) == 3
    changed = out.getvalue().replace("Minor Wijkgericht werken", "Minor Wijkgericht werken (nieuw)")
    with sessions.begin() as s:
        result = import_csv(s, changed)
        assert (result.added, result.updated) == (0, 3)
    with sessions() as s:
        assert s.scalars(select(Slot.title).where(Slot.code == "A1")).one() == "Minor Wijkgericht werken (nieuw)"


def test_suggestions_rank_by_theme_timing_language_and_text_with_reasons(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        import_csv(s, "\n".join([HEADER, *GOOD]))
        lonely = Question(intake_id="i1", match_id="m1", language="nl", theme="health_wellbeing", urgency="normal",
                          description="Veel ouderen in de Merenwijk zijn eenzaam. Hoe brengen we ze in contact?")
        heat = Question(intake_id="i2", match_id="m2", language="en", theme="sustainability_biodiversity",
                        urgency="high", description="Our stony street gets very hot in summer, we want more green")
        s.add_all([lonely, heat])
        s.flush()
        today = date(2026, 12, 10)
        first = suggest(s, lonely, today)
        assert first[0].slot.code == "A1"
        assert in_words(first[0].reasons) == ("thema past; start 1 februari 2027 (2026-2027 semester 2); "
                                              "aanmelden vóór 15 januari 2027; de beschrijving lijkt op de vraag")
        ranked = [x.slot.code for x in suggest(s, heat, today)]
        assert ranked[0] == "A3" or ranked[0] == "A2"
        by_code = {x.slot.code: x for x in suggest(s, heat, today)}
        assert "applications closed on December 1, 2026" in in_words(by_code["A2"].reasons, "en")  # deadline passed
        assert "Dutch only" in in_words(by_code["A3"].reasons, "en")
        assert by_code["A2"].score < by_code["A3"].score  # a passed deadline weighs more than the language


def test_the_shipped_example_catalogue_loads_marked_as_example(sessions) -> None:  # type: ignore[no-untyped-def]
    if not EXAMPLE.exists():
        pytest.fail(f"{EXAMPLE} is missing")
    with sessions.begin() as s:
        assert load_example_if_empty(s) >= 20
        assert load_example_if_empty(s) == 0  # only on a fresh database
    with sessions() as s:
        assert all(slot.example for slot in s.scalars(select(Slot)))
