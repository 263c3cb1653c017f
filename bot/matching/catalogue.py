"""The aanbod catalogue as CSV: import with a clear error per row, export in the same columns.

The broker keeps the catalogue (docs/matching.md). A file is imported whole or not at all: when any row has an
error, nothing changes and every error is listed with its row number and column, in words a broker can act on.
Rows are matched on `id`: a known id is updated, a new one added; slots missing from the file stay (a broker
switches a slot off rather than losing its history).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import REFERENCE_DIR
from bot.matching.store import Slot
from bot.structuring.themes import load_themes

COLUMNS = ("id", "institution", "programme", "title", "level", "kind", "period", "starts_on", "intake_deadline",
           "group_size", "themes", "languages", "contact", "description", "source")
LEVELS = ("mbo", "hbo", "wo")
KINDS = ("course_assignment", "internship", "thesis", "minor", "research")
LANGUAGES = ("nl", "en")
EXAMPLE = REFERENCE_DIR / "aanbod_example.csv"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def parse_row(row: dict[str, str], number: int) -> tuple[dict[str, Any] | None, list[str]]:
    """One CSV row as slot values, or the errors in it ("row 4, level: 'HBO+' is not mbo, hbo or wo")."""
    errors: list[str] = []

    def fail(column: str, message: str) -> None:
        errors.append(f"row {number}, {column}: {message}")

    value = {c: (row.get(c) or "").strip() for c in COLUMNS}
    for column in ("id", "institution", "programme", "title", "period", "contact"):
        if not value[column]:
            fail(column, "is empty")
    if value["level"].lower() not in LEVELS:
        fail("level", f"{value['level']!r} is not one of {', '.join(LEVELS)}")
    if value["kind"] not in KINDS:
        fail("kind", f"{value['kind']!r} is not one of {', '.join(KINDS)}")
    starts, deadline = _date(value["starts_on"]), _date(value["intake_deadline"])
    if starts is None:
        fail("starts_on", f"{value['starts_on']!r} is not a date like 2027-02-01")
    if deadline is None:
        fail("intake_deadline", f"{value['intake_deadline']!r} is not a date like 2027-01-15")
    if starts and deadline and deadline > starts:
        fail("intake_deadline", "is after starts_on")
    try:
        size = int(value["group_size"] or "1")
        if size < 1:
            raise ValueError
    except ValueError:
        fail("group_size", f"{value['group_size']!r} is not a whole number of students (1 or more)")
        size = 1
    known = {t.id for t in load_themes()}
    themes = [t.strip() for t in value["themes"].split(";") if t.strip()]
    if not themes:
        fail("themes", "is empty: give one or more theme ids separated by ';'")
    for theme in themes:
        if theme not in known:
            fail("themes", f"{theme!r} is not a theme id ({', '.join(sorted(known))})")
    languages = [x.strip().lower() for x in value["languages"].split(";") if x.strip()]
    if not languages or any(x not in LANGUAGES for x in languages):
        fail("languages", f"{value['languages']!r} should be nl, en or nl;en")
    if value["contact"] and not _EMAIL.match(value["contact"]):
        fail("contact", f"{value['contact']!r} is not an e-mail address")
    if errors:
        return None, errors
    return {"code": value["id"], "institution": value["institution"], "programme": value["programme"],
            "title": value["title"], "level": value["level"].lower(), "kind": value["kind"], "period": value["period"],
            "starts_on": starts, "intake_deadline": deadline, "group_size": size, "themes": ";".join(themes),
            "languages": ";".join(sorted(set(languages), key=LANGUAGES.index)), "contact": value["contact"],
            "description": value["description"], "source": value["source"] or None}, []


def import_csv(session: Session, text: str, example: bool = False) -> ImportResult:
    """Import the catalogue in `text` (UTF-8 CSV with the header COLUMNS); all or nothing."""
    result = ImportResult()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        result.errors.append(f"the header lacks {', '.join(missing)}; expected: {','.join(COLUMNS)}")
        return result
    parsed: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, row in enumerate(reader, start=2):  # row 1 is the header
        values, errors = parse_row(row, number)
        result.errors += errors
        if values is not None:
            if values["code"] in seen:
                result.errors.append(f"row {number}, id: {values['code']!r} appears twice")
            seen.add(str(values["code"]))
            parsed.append(values)
    if result.errors:
        return result
    existing = {s.code: s for s in session.scalars(select(Slot))}
    for values in parsed:
        slot = existing.get(str(values["code"]))
        if slot is None:
            session.add(Slot(**values, example=example, active=True))
            result.added += 1
        else:
            for key, v in values.items():
                setattr(slot, key, v)
            result.updated += 1
    return result


def export_csv(session: Session, out: IO[str]) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    slots = session.scalars(select(Slot).order_by(Slot.code)).all()
    for s in slots:
        writer.writerow([s.code, s.institution, s.programme, s.title, s.level, s.kind, s.period,
                         s.starts_on.isoformat(), s.intake_deadline.isoformat(), s.group_size, s.themes, s.languages,
                         s.contact, s.description, s.source or ""])
    return len(slots)


def load_example_if_empty(session: Session) -> int:
    """On a fresh matching database: the shipped example catalogue, every slot marked as example data."""
    if session.scalars(select(Slot.id).limit(1)).first() is not None or not EXAMPLE.exists():
        return 0
    result = import_csv(session, EXAMPLE.read_text(encoding="utf-8"), example=True)
    if not result.ok:
        raise ValueError(f"{EXAMPLE}: " + "; ".join(result.errors))
    return result.added
