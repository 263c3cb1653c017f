"""Resolve what people type ("de Kooi", "Merewijk", "heel Leiden", "Haagweg") to a CBS code.

Data-driven: one YAML file per municipality (data/reference/municipalities/<id>/places.yml), plus the files it names:
`named_places` (streets, squares, parks, shopping centres, landmarks, each file with its source) and
`neighbours` (other municipalities' place files: their names mean "not this city").
Exact alias matches win; otherwise fuzzy matching (rapidfuzz) with a threshold that rejects words that are
not places. A street or landmark inside a longer text is matched with care (see `_safe_in_text`).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from bot.config import municipality_id
from bot.structuring.text import fold

FUZZY_ANSWER_THRESHOLD = 86  # for a direct answer to "which neighbourhood?"
FUZZY_TEXT_THRESHOLD = 92  # inside a longer description: stricter
_ARTICLES = ("de ", "het ", "the ", "d ")
_ANSWER_PREFIXES = (
    "ik woon in ", "ik woon op ", "ik woon aan ", "ik woon bij ", "wij wonen in ", "we wonen in ", "wij wonen aan ",
    "we wonen aan ", "in de buurt van ", "in de wijk ", "de wijk ", "in de buurt ", "de buurt ", "het gaat om ",
    "het gaat over ", "vlak bij ", "vlakbij ", "dichtbij ", "dicht bij ", "bij ons in ", "bij ons op ", "bij ons aan ",
    "rond ", "rondom ", "naast ", "achter ", "in ", "i live in ", "we live in ", "it is in ", "it s in ", "its in ",
    "the neighbourhood ", "neighbourhood ", "wijk ", "buurt ", "op ", "aan ", "at ", "near ", "bij ",
)
_ANSWER_SUFFIXES = (" hoor", " zo", " denk ik", " geloof ik", " ofzo", " of zo", " i think", " please", " graag")
# A street, park or square name ends in one of these: such a word is a place even in lower case.
_STREET_SUFFIXES = (
    "straat", "straatje", "weg", "laan", "gracht", "singel", "kade", "plein", "steeg", "dreef", "pad", "park", "hof",
    "hofje", "markt", "dijk", "brug", "burcht", "vest", "poort", "baan", "wal", "horst", "plaats", "rode", "dal",
    "duin", "werf", "oord", "passage", "plantsoen", "terrein",
)
_PREPOSITIONS = ("in", "uit", "from", "bij", "near", "te", "naar", "to")
_DEMONYM_ENDINGS = ("enaren", "naren", "aren", "ers", "er")
_MAX_GRAM = 5
_TOKEN = re.compile(r"[A-Za-z0-9]+")


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


def _tokens(text: str) -> list[tuple[str, bool]]:
    """Folded words of `text`, each with whether it was written as a name (capital, not starting a sentence)."""
    ascii_text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    out = []
    for m in _TOKEN.finditer(ascii_text):
        before = ascii_text[:m.start()].rstrip()
        sentence_start = not before or before[-1] in ".!?:\n"
        out.append((m.group().lower().replace("ij", "y"), m.group()[0].isupper() and not sentence_start))
    return out


def _has_street_suffix(key: str) -> bool:
    last = key.rsplit(" ", 1)[-1]
    return any(last.endswith(s) and len(last) > len(s) + 2 for s in _STREET_SUFFIXES)


@dataclass
class _Match:
    kind: str  # place | named | dh | dh_city | outside
    key: str
    start: int
    end: int


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
            for alias in [row["name"], *row.get("aliases", []), *([row["cbs_name"]] if row.get("cbs_name") else [])]:
                self._add(alias, place.code)
            if row.get("area") and row["level"] == "district":  # a stadsdeel names all its districts: ask which
                self._add(row["area"], place.code)
        for alias in muni.get("aliases", []):
            self._names[_strip_article(_fold(alias))].add(self.city.code)
            if _fold(alias) != _fold(muni["name"]):  # bare "Leiden" in a sentence says nothing
                self._text_names[_strip_article(_fold(alias))].add(self.city.code)
        self.places[self.city.code] = self.city
        self._outside = {_strip_article(_fold(n)) for n in data.get("outside", [])}
        self._outside |= {_fold(n) for n in data.get("outside", [])}
        # streets, squares, parks, landmarks: name -> CBS codes (a name's codes are the union of its rows)
        self._named: dict[str, set[str]] = defaultdict(set)
        for row in data.get("named_rows", []):
            codes = {c for c in row.get("codes", [row.get("code")]) if c in self.places}
            for alias in [row["name"], *row.get("aliases", [])]:
                key = _strip_article(_fold(alias))
                if key and key not in self._names and codes:
                    self._named[key] |= codes
        # other municipalities (Den Haag): their place names mean "outside"; names shared with this city are
        # this city's unless the text points at the other one
        self._other: set[str] = set()  # names of other municipalities' places (not shared, not generic)
        self._other_generic: set[str] = set()
        self._other_city: set[str] = set()  # "den haag", "the hague", "haagse" ...
        self._shared: set[str] = set()
        for other in data.get("neighbour_data", []):
            generic = {_strip_article(_fold(n)) for n in other.get("generic_names", [])}
            names = {_fold(n) for n in other.get("areas", [])}
            for row in other["places"]:
                names |= {_fold(n) for n in [row["name"], *row.get("aliases", [])]}
            names = {_strip_article(n) for n in names} | names
            for key in names:
                if key in self._names or key in self._named:
                    self._shared.add(key)
                elif key in generic:
                    self._other_generic.add(key)
                else:
                    self._other.add(key)
            for alias in other["municipality"].get("aliases", []):
                self._other_city |= {_fold(alias), _strip_article(_fold(alias))}
        self._other_city -= set(self._names) | set(self._named)
        self._choices = list(self._names)
        self._answer_choices = self._choices + list(self._named)
        self._text_choices: dict[tuple[str, int], list[str]] = defaultdict(list)
        for key in [*self._text_names, *(k for k in self._named if _has_street_suffix(k))]:
            self._text_choices[(key[0], len(key))].append(key)

    def _add(self, alias: str, code: str) -> None:
        key = _strip_article(_fold(alias))
        self._names[key].add(code)
        self._text_names[key].add(code)

    @classmethod
    def load(cls, path: Path) -> Gazetteer:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
        rows: list[dict] = []
        for name in data.get("named_places", []):
            with open(path.parent / name, encoding="utf-8") as f:
                extra = yaml.safe_load(f)
            rows += extra.get("streets", []) + extra.get("landmarks", [])
        neighbours = []
        for name in data.get("neighbours", []):  # another municipality's id: its folder beside this one
            with open(path.parent.parent / name / "places.yml", encoding="utf-8") as f:
                neighbours.append(yaml.safe_load(f))
        return cls({**data, "named_rows": rows, "neighbour_data": neighbours})

    # -- results ---------------------------------------------------------------------------------------

    def _result(self, codes: set[str], text: str) -> Resolution:
        codes = self._reduce(codes)
        if len(codes) == 1:
            return Resolution("place", place=self.places[next(iter(codes))], text=text)
        candidates = tuple(sorted((self.places[c] for c in codes), key=lambda p: p.code))
        return Resolution("ambiguous", candidates=candidates, text=text)

    def _named_result(self, codes: set[str], text: str) -> Resolution:
        """A street or landmark: several neighbourhoods of one district give the district."""
        codes = self._reduce(codes)
        districts = {self.places[c].district_code for c in codes}
        if len(codes) > 1 and len(districts) == 1 and None not in districts:
            district = districts.pop()
            if district in self.places:
                return Resolution("place", place=self.places[district], text=text)
        return self._result(codes, text)

    def _reduce(self, codes: set[str]) -> set[str]:
        """A district absorbs its own neighbourhoods."""
        return {c for c in codes
                if not (self.places[c].kind == "neighbourhood" and self.places[c].district_code in codes)}

    # -- matching --------------------------------------------------------------------------------------

    def _demonym(self, word: str) -> str | None:
        """'merenwykers' -> 'merenwyk', 'stevenshoffers' -> 'stevenshof', 'leidenaren' -> 'leiden'."""
        for ending in _DEMONYM_ENDINGS:
            if word.endswith(ending) and len(word) - len(ending) >= 5:
                stem = word[: -len(ending)]
                for candidate in (stem, stem[:-1] if len(stem) > 1 and stem[-1] == stem[-2] else None):
                    if candidate and candidate in self._names:
                        return candidate
        return None

    def _scan(self, text: str) -> list[_Match]:
        """Longest non-overlapping matches of every known name in `text`, left to right."""
        toks = _tokens(text)
        words = [t for t, _ in toks]
        found: list[_Match] = []
        i = 0
        while i < len(words):
            hit = None
            for size in range(min(_MAX_GRAM, len(words) - i), 0, -1):
                gram = " ".join(words[i:i + size])
                if gram in self._text_names:
                    hit = _Match("place", gram, i, i + size)
                elif gram in self._named and (size > 1 or self._safe_in_text(gram, toks[i][1])):
                    hit = _Match("named", gram, i, i + size)
                elif gram in self._other_city:
                    hit = _Match("dh_city", gram, i, i + size)
                elif gram in self._other and (size > 1 or len(gram) >= 6):
                    hit = _Match("dh", gram, i, i + size)
                elif gram in self._outside:
                    hit = _Match("outside", gram, i, i + size)
                if hit:
                    break
            if hit is None:
                stem = self._demonym(words[i])
                if stem and stem in self._text_names:
                    hit = _Match("place", stem, i, i + 1)
            if hit:
                found.append(hit)
                i = hit.end
            else:
                i += 1
        return found

    @staticmethod
    def _safe_in_text(key: str, written_as_name: bool) -> bool:
        """A one-word street or landmark counts in a sentence when it looks like one: 'Haagweg', 'Breestraat'
        (a street word ending), or a capitalised name mid-sentence ('aan de Hogewoerd'); 'de haven' does not."""
        return (_has_street_suffix(key) and len(key) >= 7) or (written_as_name and len(key) >= 5)

    def _points_elsewhere(self, matches: list[_Match]) -> bool:
        return any(m.kind in ("dh", "dh_city") for m in matches)

    def resolve(self, text: str) -> Resolution:
        """Resolve a direct answer to "in which neighbourhood?"."""
        raw = text.strip()
        key = _fold(raw)
        for _ in range(3):  # "ik woon in de buurt van de ..." -> several prefixes
            for prefix in (p.replace("ij", "y") for p in _ANSWER_PREFIXES):
                if key.startswith(prefix):
                    key = key[len(prefix):]
                    break
            key = _strip_article(key)
        for suffix in _ANSWER_SUFFIXES:
            if key.endswith(suffix):
                key = key[: -len(suffix)]
        if not key:
            return Resolution("unknown", text=raw)
        if key in self._names:
            if key in self._shared and self._points_elsewhere(self._scan(raw)):
                return Resolution("outside", text=raw)
            return self._result(self._names[key], raw)
        if key in self._named:
            return self._named_result(self._named[key], raw)
        if key.endswith("str") and key + "aat" in self._named:  # "Breestr."
            return self._named_result(self._named[key + "aat"], raw)
        if key in self._other or key in self._other_city:
            return Resolution("outside", text=raw)
        if key in self._outside or any(o in key.split() or f" {o} " in f" {key} " for o in self._outside):
            return Resolution("outside", text=raw)
        stem = self._demonym(key) if " " not in key else None
        if stem:
            return self._result(self._names[stem], raw)
        found = self.find_in_text(raw)
        if found.kind != "unknown":
            return found
        if len(key) >= 4:
            match = process.extractOne(key, self._answer_choices, scorer=fuzz.ratio,
                                       score_cutoff=FUZZY_ANSWER_THRESHOLD)
            if match:
                if match[0] in self._names:
                    return self._result(self._names[match[0]], raw)
                return self._named_result(self._named[match[0]], raw)
        return Resolution("unknown", text=raw)

    def find_in_text(self, text: str) -> Resolution:
        """Find a place mentioned inside a longer text.

        A neighbourhood or district name wins over a street or landmark; a name Leiden shares with Den Haag
        ("Zuidwest", "Transvaal") is Den Haag's when the text points there; a Den Haag-only place or
        "in Oegstgeest" makes the text `outside`.
        """
        matches = self._scan(text)
        elsewhere = self._points_elsewhere(matches)
        places = [m for m in matches if m.kind == "place"]
        own = [m for m in places if not (elsewhere and m.key in self._shared)]
        if own:
            return self._result(self._text_names[own[0].key], text)
        if places:  # only shared names, and the text points at Den Haag
            return Resolution("outside", text=text)
        named = [m for m in matches if m.kind == "named"]
        if named:
            return self._named_result(self._named[named[0].key], text)
        words = [t for t, _ in _tokens(text)]
        for word in words:  # "Breestr." -> Breestraat
            if word.endswith("str") and word + "aat" in self._named:
                return self._named_result(self._named[word + "aat"], text)
        if any(m.kind == "dh" for m in matches):
            return Resolution("outside", text=text)
        covered = {i for m in matches for i in range(m.start, m.end)}
        fuzzy = self._fuzzy_in_text(words, covered)
        if fuzzy is not None:
            return fuzzy
        for m in matches:  # "in Oegstgeest", "uit Den Haag", "in the Hague", or a text that opens with it
            before = words[m.start - 1] if m.start > 0 else ""
            if m.kind in ("outside", "dh_city") and (
                    m.start == 0 or before in _PREPOSITIONS
                    or (before == "the" and m.start > 1 and words[m.start - 2] in _PREPOSITIONS)):
                return Resolution("outside", text=text)
        return Resolution("unknown", text=text)

    def _fuzzy_in_text(self, words: list[str], covered: set[int]) -> Resolution | None:
        """Misspelt names ("Merewyk", "Breestaat"), never on words already read as another place."""
        text = " ".join(words)
        for size in (2, 1):
            for i in range(len(words) - size + 1):
                gram = " ".join(words[i:i + size])
                if len(gram) < 7 or covered.intersection(range(i, i + size)):
                    continue
                low, high = int(len(gram) * 0.84), int(len(gram) * 1.2) + 1
                choices = [k for n in range(low, high + 1) for k in self._text_choices.get((gram[0], n), ())]
                if not choices:
                    continue
                match = process.extractOne(gram, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_TEXT_THRESHOLD)
                if match:
                    if match[0] in self._text_names:
                        return self._result(self._text_names[match[0]], text)
                    return self._named_result(self._named[match[0]], text)
        return None


def get_gazetteer(municipality: str | None = None) -> Gazetteer:
    """The gazetteer of `municipality`, by default the one this deployment serves (MUNICIPALITY)."""
    return _gazetteer(municipality or municipality_id())


@lru_cache(maxsize=4)
def _gazetteer(municipality: str) -> Gazetteer:
    from bot.structuring.municipality import load

    return Gazetteer.load(load(municipality).places_path)
