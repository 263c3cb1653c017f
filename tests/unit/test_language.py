import pytest

from bot.structuring.language import EN, NL, choose_language, detect, explicit_request


@pytest.mark.parametrize("text,expected", [
    ("English please", EN), ("Nederlands graag", NL), ("kan het in het Engels?", EN), ("can we speak Dutch", NL),
    ("I don't speak Dutch", EN), ("ik spreek geen Engels", NL), ("Merenwijk", None), ("hallo", None),
])
def test_explicit_request(text: str, expected: str | None) -> None:
    assert explicit_request(text) == expected


@pytest.mark.parametrize("text,expected", [
    ("hallo", NL), ("hoi", NL), ("hi", EN), ("hello", EN), ("goedemorgen", NL),
    ("Ik woon in de Merenwijk en maak me zorgen over eenzame ouderen", NL),
    ("There is a lot of litter in our street", EN), ("lots of litter in our street", EN),
    ("how long does it take", EN), ("hoe lang duurt het", NL),
])
def test_first_message_sets_language(text: str, expected: str) -> None:
    assert choose_language(None, text) == expected


def test_short_answers_keep_the_conversation_language() -> None:
    for answer in ("ja", "Merenwijk", "06 12345678", "urgent", "jan@example.nl", "stop", "ok"):
        assert choose_language(NL, answer) == NL
        assert choose_language(EN, answer) == EN


def test_a_clear_sentence_in_the_other_language_switches() -> None:
    assert choose_language(NL, "Sorry, I do not understand Dutch very well, can you help me?") == EN
    assert choose_language(EN, "Er is in onze straat heel veel overlast van jongeren") == NL


def test_unknown_first_message_defaults_to_dutch() -> None:
    assert choose_language(None, "12345") == NL
    assert detect("😀😀")[0] is None
