"""Personal data in free text: find and mask e-mail addresses, phone numbers and BSNs.

A description is a question about the city, not a place for personal data: what looks
like an e-mail address, a phone number or a Dutch citizen service number (BSN, checked
with python-stdnum's eleven-test) is masked before it is stored, and the kinds found are
flagged to the broker. The same masking runs over every log record.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import phonenumbers
from stdnum.nl import bsn

EMAIL = re.compile(r"[^\s<>\"',;:()\[\]]+@[^\s<>\"',;:()\[\]]+\.[a-z]{2,}", re.IGNORECASE)
BSN_LIKE = re.compile(r"(?<![\d.])(\d{4}[ .]?\d{2}[ .]?\d{3}|\d{9})(?![\d])")
MASKS = {"email": "[e-mail]", "phone": "[telefoon]", "bsn": "[BSN]"}


@dataclass
class Scrubbed:
    text: str
    kinds: list[str] = field(default_factory=list)


def scrub(text: str) -> Scrubbed:
    """`text` with personal data masked, and which kinds were found (email, phone, bsn)."""
    kinds: list[str] = []
    if EMAIL.search(text):
        text = EMAIL.sub(MASKS["email"], text)
        kinds.append("email")

    def mask_bsn(m: re.Match[str]) -> str:
        if bsn.is_valid(re.sub(r"\D", "", m.group(1))):
            if "bsn" not in kinds:
                kinds.append("bsn")
            return MASKS["bsn"]
        return m.group(0)

    text = BSN_LIKE.sub(mask_bsn, text)
    found_phone = False
    for match in reversed(list(phonenumbers.PhoneNumberMatcher(text, "NL"))):
        text = text[:match.start] + MASKS["phone"] + text[match.end:]
        found_phone = True
    if found_phone:
        kinds.append("phone")
    return Scrubbed(text, kinds)


class ScrubFilter(logging.Filter):
    """Masks personal data in every log record (used by bot/runtime/rasa_logging.yml and our loggers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler
            return True
        cleaned = scrub(message).text
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
