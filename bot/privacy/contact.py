"""Validation of contact details: e-mail syntax and Dutch phone numbers."""

from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from bot.privacy.scrub import EMAIL  # one e-mail pattern for finding and for masking

_PHONE_IN_TEXT = re.compile(r"(?:\+|00)?[\d][\d\s\-().]{7,}\d")
_NAME = re.compile(r"^[^\W\d_][^\W\d_ .'\-]*(?:[ .'\-]+[^\W\d_]+)*\.?$", re.UNICODE)
_NAME_PREFIX = re.compile(r"^(?:mijn naam is|ik heet|ik ben|my name is|i am|i'm|naam:|name:)\s+", re.IGNORECASE)


def normalise_email(text: str) -> str | None:
    """The e-mail address in `text`, normalised, or None if there is no valid one."""
    m = EMAIL.search(text)
    if not m:
        return None
    try:
        return validate_email(m.group(0), check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def normalise_phone(text: str) -> str | None:
    """A valid Dutch (or international) phone number in E.164, or None."""
    m = _PHONE_IN_TEXT.search(text)
    if not m:
        return None
    try:
        number = phonenumbers.parse(m.group(0), "NL")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def strip_contact_details(text: str) -> str:
    """`text` without the e-mail addresses and phone numbers in it."""
    return " ".join(_PHONE_IN_TEXT.sub(" ", EMAIL.sub(" ", text)).split())


def normalise_name(text: str) -> str | None:
    """A plausible personal name (letters, spaces, hyphens, apostrophes), max 100 characters."""
    name = _NAME_PREFIX.sub("", " ".join(text.split())).strip(" .,!")
    if not (1 < len(name) <= 100) or not _NAME.match(name):
        return None
    return name
