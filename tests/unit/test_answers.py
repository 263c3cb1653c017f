"""How short answers are read (bot/conversation/answers.py): as people type them, in Dutch and English."""

import pytest

from bot.conversation import answers

YES = ["ja", "Ja!", "jaa", "jaaaa", "ja hoor", "ja, dat is prima", "Ja graag 😊", "yes", "Yes, that's fine",
       "yse", "yep", "sure thing", "ok", "oké", "prima", "doe maar", "is goed", "akkoord", "👍", "ja, geen probleem",
       "no problem", "natuurlijk", "of course!", "dat mag", "ja hoor, bewaar hem maar", "tuurlijk", "liever wel",
       "Ja, bewaar mijn vraag", "Yes, keep and share"]
NO = ["nee", "Nee.", "neee", "neeee!", "nope", "no", "No thanks", "nee, liever anoniem",
      "no, I prefer to stay anonymous", "liever niet", "nee dank je", "rather not", "👎", "nee, ik wil niet dat "
      "mijn vraag bewaard wordt want ik ken die mensen niet", "niet doen", "Nee, niet bewaren", "nah",
      "ik blijf liever anoniem", "nee hoor"]
UNCLEAR = ["misschien", "maybe", "hmm", "is dat verplicht?", "wat gebeurt er dan?", "why do you need that?",
           "weet niet zeker", "", "   ", "/restart", "Sanne de Vries", "42"]


@pytest.mark.parametrize("text", YES)
def test_a_clear_yes(text: str) -> None:
    assert answers.yes_or_no(text) is True


@pytest.mark.parametrize("text", NO)
def test_a_refusal_is_read_liberally(text: str) -> None:
    assert answers.yes_or_no(text) is False


@pytest.mark.parametrize("text", UNCLEAR)
def test_anything_else_is_neither(text: str) -> None:
    assert answers.yes_or_no(text) is None


def test_a_yes_with_a_negation_is_never_a_yes() -> None:
    # consent must be unambiguous: a negation anywhere makes it a refusal (the safe reading)
    for text in ("ja, maar liever niet", "yes but not now", "ok nee toch niet"):
        assert answers.yes_or_no(text) is False, text
    # a question back is not a yes either
    assert answers.yes_or_no("ja? wat betekent dat?") is None


def test_dont_know_and_skip() -> None:
    for text in ("weet ik niet", "Geen idee!", "I don't know", "sla over", "skip", "zeg ik liever niet"):
        assert answers.is_dont_know(text), text
    assert not answers.is_dont_know("Merenwijk")


def test_role_is_inferred_only_from_plain_cues() -> None:
    assert answers.infer_role("Ik woon in de Kooi en er is veel afval") == "resident"
    assert answers.infer_role("There are no trees in my street") == "resident"
    assert answers.infer_role("Namens de bibliotheek willen we weten ...") == "organisation"
    assert answers.infer_role("Als buurtwerker in Leiden-Noord zie ik veel eenzaamheid") == "neighbourhood_worker"
    assert answers.infer_role("Ik werk bij de gemeente en wil weten ...") == "municipality"
    assert answers.infer_role("De gemeente doet niets aan het afval") is None
    assert answers.infer_role("Er is veel afval op straat") is None


def test_organisation_name_from_the_question() -> None:
    assert answers.infer_organisation("Wij zijn Stichting Kinderkansen en zien dat ...") == "Stichting Kinderkansen"
    assert answers.infer_organisation("namens de Bibliotheek Leiden") == "Bibliotheek Leiden"
    assert answers.infer_organisation("wij zijn een buurthuis in Noord") is None


@pytest.mark.parametrize(("text", "expected"), [
    ("ja", (True, True)),  # the question asked both
    ("Ja, bewaren en delen", (True, True)),
    ("bewaren mag, delen liever niet", (True, False)),
    ("alleen bewaren", (True, False)),
    ("yes, but don't share it", (True, False)),
    ("ok, maar alleen voor de kennismakelaar", (True, False)),
    ("bewaren mag", (True, None)),  # sharing left open: asked on its own
    ("niet delen", (None, False)),  # keeping left open: asked on its own
    ("nee, liever anoniem", (False, None)),
    ("nee, niet bewaren", (False, None)),
    ("misschien", (None, None)),
])
def test_keep_and_share_read_per_part(text: str, expected: tuple) -> None:
    assert answers.keep_and_share(text) == expected
