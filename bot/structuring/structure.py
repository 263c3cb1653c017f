"""Structure a city question from free text: language, theme, place in the city, urgency, timeframe.

The same functions serve the conversation and `stadsvraag structure`, the
command-line tool for questions that arrive by e-mail or at events.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Iterator
from typing import IO, Any, TypeVar

from bot.structuring.gazetteer import Place, get_gazetteer
from bot.structuring.language import DEFAULT_LANGUAGE, choose_language, detect
from bot.structuring.text import clean_user_text
from bot.structuring.theme_model import get_classifier
from bot.structuring.urgency import parse_timeframe, parse_urgency

MAX_TEXT = 10_000
BATCH = 256


def warm_up() -> None:
    """Load the theme model, the gazetteer and the language detector now (about 3 s), so that the action
    server does it at start-up and not inside the first resident's turn, on its event loop."""
    get_classifier()
    get_gazetteer()
    detect("warm up")


def place_json(place: Place) -> dict[str, Any]:
    return {"code": place.code, "name": place.name, "district_code": place.district_code,
            "district_name": place.district_name}


def find_place(text: str) -> dict[str, Any] | None:
    """A place of this city mentioned in `text`; an ambiguous name gives its district when all parts share one."""
    gazetteer = get_gazetteer()
    found = gazetteer.find_in_text(text)
    if found.kind == "place" and found.place:
        return place_json(found.place)
    if found.kind == "ambiguous":
        districts = {p.district_code for p in found.candidates}
        if len(districts) == 1:
            code = districts.pop()
            if code in gazetteer.places:
                return place_json(gazetteer.places[code])
    return None


def structure_many(texts: list[str]) -> list[dict[str, Any]]:
    cleaned = [clean_user_text(t, MAX_TEXT) for t in texts]
    predictions = get_classifier().predict_many([t or " " for t in cleaned])
    out = []
    for text, prediction in zip(cleaned, predictions, strict=True):
        has_text = bool(text.strip())
        out.append({
            "language": choose_language(None, text) if has_text else DEFAULT_LANGUAGE,
            "theme": prediction.theme if has_text else "other",
            "theme_confidence": prediction.confidence if has_text else 0.0,
            "themes": list(prediction.ranked[:3]) if has_text else ["other"],
            "neighbourhood": find_place(text) if has_text else None,
            "urgency": parse_urgency(text) if has_text else None,
            "timeframe": parse_timeframe(text) if has_text else None,
        })
    return out


def structure(text: str) -> dict[str, Any]:
    return structure_many([text])[0]


def _text_of(line: str) -> str:
    """A line is plain text, or a JSON object with a `text` field."""
    stripped = line.strip()
    if stripped.startswith("{"):
        try:
            obj = json.loads(stripped)
        except json.JSONDecodeError:
            return stripped
        if isinstance(obj, dict):
            value = obj.get("text", "")
            return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return line.rstrip("\r\n")


T = TypeVar("T")


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def structure_stream(lines: Iterable[str], out: IO[str]) -> int:
    """One JSON object per input line, in order. Returns the number of lines."""
    n = 0
    for batch in _batches((_text_of(line) for line in lines), BATCH):
        for result in structure_many(batch):
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
            n += 1
        out.flush()
    return n


CSV_COLUMNS = ["language", "theme", "theme_confidence", "themes", "neighbourhood_code", "neighbourhood_name",
               "district_code", "district_name", "urgency", "timeframe"]


def structure_csv(in_path: str, out_path: str, progress: bool = True) -> int:
    """Add the structured columns to a spreadsheet of questions (column `text`)."""
    from tqdm import tqdm

    with open(in_path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or "text" not in reader.fieldnames:
            raise ValueError(f"{in_path} has no column 'text'. Fix: name the column with the questions 'text'.")
        rows = list(reader)
        fieldnames = list(reader.fieldnames)
    bar = tqdm(total=len(rows), unit="question", disable=not progress, file=sys.stderr)
    with open(out_path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fieldnames + [c for c in CSV_COLUMNS if c not in fieldnames])
        writer.writeheader()
        for batch in _batches(range(len(rows)), BATCH):
            results = structure_many([rows[i]["text"] or "" for i in batch])
            for i, result in zip(batch, results, strict=True):
                place = result["neighbourhood"] or {}
                writer.writerow({**rows[i], "language": result["language"], "theme": result["theme"],
                                 "theme_confidence": result["theme_confidence"], "themes": ";".join(result["themes"]),
                                 "neighbourhood_code": place.get("code"), "neighbourhood_name": place.get("name"),
                                 "district_code": place.get("district_code"),
                                 "district_name": place.get("district_name"),
                                 "urgency": result["urgency"], "timeframe": result["timeframe"]})
            bar.update(len(batch))
    bar.close()
    return len(rows)
