"""What matching needs to know, read from the question as people write it; unknown stays None."""

from __future__ import annotations

from bot.structuring.needs import infer


def test_an_organisation_that_says_a_lot() -> None:
    needs = infer("Wij willen weten hoe huurders in de Slaaghwijk hun buurt ervaren. Geen haast, volgend semester is "
                  "prima. Engels is prima. Wij kunnen studenten begeleiden.")
    assert needs == {"help": ["research"], "can_wait_a_semester": True, "english_ok": True, "can_guide_students": True,
                     "sensitive": None, "sensitive_because": None}


def test_urgency_timeframe_vulnerable_people_and_personal_data() -> None:
    assert infer("We want a design for the square", "this_semester")["can_wait_a_semester"] is False
    assert infer("Een plan voor het plein", urgency="low")["can_wait_a_semester"] is True
    needs = infer("Kunnen studenten onze cliëntdossiers van kwetsbare ouderen analyseren? Alleen Nederlands graag.")
    assert needs["sensitive"] is True and "ouderen" in needs["sensitive_because"]
    assert needs["english_ok"] is False


def test_a_short_question_leaves_everything_unknown() -> None:
    assert infer("Het speelveld staat vaak onder water") == {
        "help": None, "can_wait_a_semester": None, "english_ok": None, "can_guide_students": None,
        "sensitive": None, "sensitive_because": None}
