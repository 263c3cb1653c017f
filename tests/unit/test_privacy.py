import logging

import pytest

from bot.conversation import intake_form as f
from bot.privacy.scrub import ScrubFilter, scrub


@pytest.mark.parametrize("text,kinds,masked", [
    ("Mail me op jan@example.nl of bel 06-12345678", ["email", "phone"], "Mail me op [e-mail] of bel [telefoon]"),
    ("Mijn BSN is 111222333, help", ["bsn"], "Mijn BSN is [BSN], help"),
    ("call +31 71 516 5165 please", ["phone"], "call [telefoon] please"),
])
def test_personal_data_is_masked(text: str, kinds: list[str], masked: str) -> None:
    result = scrub(text)
    assert result.text == masked and result.kinds == kinds


@pytest.mark.parametrize("text", ["Er ligt afval bij nummer 123456789", "postcode 2311 AB, huisnummer 12",
                                  "in 2026 wonen er 1234 mensen", "Vraag: hoe houden we de Merenwijk groen?"])
def test_ordinary_numbers_are_left_alone(text: str) -> None:
    assert scrub(text).text == text and scrub(text).kinds == []


def test_a_description_is_stored_masked_and_flagged() -> None:
    out = f.validate_description("Bel me op 0612345678 over het zwerfafval in de Kooi, mijn BSN is 111222333", {})
    assert "0612345678" not in out.slots["description"] and "111222333" not in out.slots["description"]
    assert out.slots["description_flags"] == ["bsn", "phone"]


def test_log_records_are_scrubbed(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.privacy")
    logger.addFilter(ScrubFilter())
    with caplog.at_level(logging.INFO):
        logger.warning("message from %s: %s", "jan@example.nl", "bel 06-12345678")
    assert "jan@example.nl" not in caplog.text and "[e-mail]" in caplog.text and "[telefoon]" in caplog.text
