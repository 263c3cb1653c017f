"""Resolve what people type ("de Kooi", "Merewijk", "heel Leiden") to a CBS code.

Data-driven: one YAML file per municipality under data/reference/places/.
Exact alias matches win; otherwise fuzzy matching (rapidfuzz) with a threshold
that rejects words that are not places.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from bot.config import REFERENCE_DIR
from bot.text import fold

FUZZY_ANSWER_THRESHOLD = 86  # for a direct answer to "which neighbourhood?"
FUZZY_TEXT_THRESHOLD = 92  # inside a longer description: stricter
_ARTICLES = ("de ", "het ", "the ", "d ")
_ANSWER_PREFIXES = (
    "ik woon in ", "ik woon op ", "wij wonen in ", "we wonen in ", "in de wijk ", "de wijk ", "in de buurt ",
    "de buurt ", "het gaat om ", "het gaat over ", "in ", "i live in ", "we live in ", "it is in ", "it s in ",
    "its in ", "the neighbourhood ", "neighbourhood ", "wijk ", "buurt ", "op ", "at ", "near ", "bij ",
)


@dataclass(frozen=True)
class Place:
    code: str
    kind: str  # neighbourhood | district | city
    name: str
    district_code: str | None = None
    district_name: str | None = None


@dataclass(frozen=True)
class Resolution:
    """The outcome of resolving a text: one place, several candidates, outside, or nothing."""

    kind: str  # place | ambiguous | outside | unknown
    place: Place | None = None
    candidates: tuple[Place, ...] = field(default=())
    text: str = ""


def _fold(text: str) -> str:
    """fold() plus the Dutch ij/y equivalence ("Merenwyk" = "Merenwijk")."""
    return fold(text).replace("ij", "y")


def _strip_article(name: str) -> str:
    for article in _ARTICLES:
        if name.startswith(article) and len(name) > len(article) + 2:
            return name[len(article):]
    return name


class Gazetteer:
    def __init__(self, data: dict) -> None:
        muni = data["municipality"]
        self.city = Place(code=muni["code"], kind="city", name=muni["name"])
        self.attribution: str = data.get("attribution", "")
        self.places: dict[str, Place] = {}
        self._names: dict[str, set[str]] = defaultdict(set)  # folded alias -> codes
        self._text_names: dict[str, set[str]] = defaultdict(set)
        for row in data["places"]:
            place = Place(code=row["code"], kind=row["level"], name=row["name"],
                          district_code=row.get("district_code"), district_name=row.get("district_name"))
            self.places[place.code] = place
            for alias in [row["name"], *row.get("aliases", [])]:
                self._add(alias, place.code)
        for alias in muni.get("aliases", []):
            self._names[_strip_article(_fold(alias))].add(self.city.code)
            if _fold(alias) != _fold(muni["name"]):  # bare "Leiden" in a sentence says nothing
                self._text_names[_strip_article(_fold(alias))].add(self.city.code)
        self.places[self.city.code] = self.city
        self._outside = {_strip_article(_fold(n)) for n in data.get("outside", [])}
        self._choices = list(self._names)

    def _add(self, alias: str, code: str) -> None:
        key = _strip_article(_fold(alias))
        self._names[key].add(code)
        self._text_names[key].add(code)

    @classmethod
    def load(cls, path: Path) -> Gazetteer:
        with open(path, encoding="utf-8") as f:
            return cls(yaml.safe_load(f))

    def _result(self, codes: set[str], text: str) -> Resolution:
        if len(codes) == 1:
            return Resolution("place", place=self.places[next(iter(codes))], text=text)
        candidates = tuple(sorted((self.places[c] for c in codes), key=lambda p: p.code))
        return Resolution("ambiguous", candidates=candidates, text=text)

    def resolve(self, text: str) -> Resolution:
        """Resolve a direct answer to "in which neighbourhood?"."""
        raw = text.strip()
        key = _fold(raw)
        for prefix in (p.replace("ij", "y") for p in _ANSWER_PREFIXES):
            if key.startswith(prefix):
                key = key[len(prefix):]
                break
        key = _strip_article(key)
        if not key:
            return Resolution("unknown", text=raw)
        if key in self._names:
            return self._result(self._names[key], raw)
        if key in self._outside or any(o in key.split() or f" {o} " in f" {key} " for o in self._outside):
            return Resolution("outside", text=raw)
        found = self.find_in_text(raw)
        if found.kind != "unknown":
            return found
        if len(key) >= 4:
            match = process.extractOne(key, self._choices, scorer=fuzz.ratio, score_cutoff=FUZZY_ANSWER_THRESHOLD)
            if match:
                return self._result(self._names[match[0]], raw)
        return Resolution("unknown", text=raw)

    def find_in_text(self, text: str) -> Resolution:
        """Find a place mentioned inside a longer text (longest match first)."""
        words = _fold(text).split()
        for size in (4, 3, 2, 1):
            for i in range(len(words) - size + 1):
                gram = " ".join(words[i:i + size])
                if gram in self._text_names:
                    return self._result(self._text_names[gram], text)
        for size in (2, 1):
            for i in range(len(words) - size + 1):
                gram = " ".join(words[i:i + size])
                if len(gram) < 7:
                    continue
                match = process.extractOne(gram, self._choices, scorer=fuzz.ratio, score_cutoff=FUZZY_TEXT_THRESHOLD)
                if match and match[0] in self._text_names:
                    return self._result(self._text_names[match[0]], text)
        for i in range(len(words)):
            for size in (3, 2, 1):
                gram = " ".join(words[i:i + size])
                if gram in self._outside and i > 0 and words[i - 1] in ("in", "uit", "from", "bij", "near"):
                    return Resolution("outside", text=text)
        return Resolution("unknown", text=text)


@lru_cache(maxsize=4)
def get_gazetteer(municipality: str = "leiden") -> Gazetteer:
    return Gazetteer.load(REFERENCE_DIR / "places" / f"{municipality}.yml")
