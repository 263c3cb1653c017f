"""How much two city questions ask the same: text, place and theme together.

"Similar" means a broker would want to handle the two together: the same concrete problem in the same or a
neighbouring place. The text part is the cosine of TF-IDF vectors over character n-grams (typos, compounds,
inflections) and words without stop words; the word weights (IDF) come from our theme examples, a fixed
corpus of city questions, so a score does not depend on what else is in the database. The place part rewards
the same neighbourhood and a neighbouring one (the same district, or polygons that touch) and punishes places
far apart: the same complaint about two different shopping centres is two questions. The theme part rewards
the same theme. Weights and threshold were chosen on the dev half of bench/data/similarity_pairs.yml and are
reported on its test half (bench/similarity.py, bench/results/similarity.md).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml

from bot.config import REFERENCE_DIR
from bot.structuring.municipality import current
from bot.structuring.text import fold
from bot.structuring.theme_model import STOP_WORDS, load_examples

THRESHOLD = 0.40  # score at or above: similar (tuned on the dev half)
CONCEPT_WEIGHT = 0.8  # the text part: this share from shared concepts, the rest from TF-IDF
CONCEPTS = REFERENCE_DIR / "similarity_concepts.yml"
COMPOUND_LETTERS = 6  # a concept term this long also counts inside a compound word (one letter less: at its start)
INFLECTIONS = "e|en|s|n|es|je|jes|tje|tjes|er|ers|d|ed|ing"
PLACE_WEIGHT = {"same": 0.10, "near": 0.05, "unknown": -0.05, "far": -1.0}  # far apart: two questions
THEME_WEIGHT = 0.05
NEAR_METRES = 150.0  # polygons whose corners come this close are neighbours


@dataclass(frozen=True)
class Question:
    text: str
    theme: str | None = None
    place_code: str | None = None  # neighbourhood (BU...) or district (WK...) code; GM... is the whole city
    district_code: str | None = None


@dataclass(frozen=True)
class Score:
    value: float
    text: float
    place: str  # same | near | far | unknown

    @property
    def similar(self) -> bool:
        return self.value >= THRESHOLD


@lru_cache(maxsize=1)
def _vectorizers() -> tuple[Any, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts, _, _ = load_examples()
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, preprocessor=fold)
    words = TfidfVectorizer(analyzer="word", sublinear_tf=True, preprocessor=fold, stop_words=sorted(STOP_WORDS),
                            token_pattern=r"(?u)\b\w\w\w+\b")
    chars.fit(texts)
    words.fit(texts)
    return chars, words


def tfidf_similarity_many(text: str, others: list[str]) -> list[float]:
    """Cosine similarity of `text` with each of `others` (0..1): the mean of the character and word parts."""
    if not others:
        return []
    chars, words = _vectorizers()
    out = []
    for vectorizer in (chars, words):
        matrix = vectorizer.transform([text, *others])
        out.append((matrix[1:] @ matrix[0].T).toarray().ravel())  # rows are L2-normalised: dot = cosine
    return [float(0.5 * c + 0.5 * w) for c, w in zip(out[0], out[1], strict=True)]


@lru_cache(maxsize=1)
def _concept_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    with open(CONCEPTS, encoding="utf-8") as f:
        data = yaml.safe_load(f)["concepts"]
    patterns = []
    for concept, terms in data.items():
        words = sorted({fold(str(t)) for t in terms}, key=len, reverse=True)
        exact = "|".join(re.escape(w) for w in words)
        heads = "|".join(re.escape(w) for w in words if len(w) >= COMPOUND_LETTERS - 1 and " " not in w)
        inside = "|".join(re.escape(w) for w in words if len(w) >= COMPOUND_LETTERS and " " not in w)
        # the word itself with an inflection (bomen, fietsen, speelveldje), the head of a compound
        # (fietsendiefstal), or a long term inside one (weesfietsen, zwerfafval)
        pattern = rf"\b(?:{exact})(?:{INFLECTIONS})?\b" + (rf"|\b(?:{heads})" if heads else "") + (
            rf"|(?:{inside})" if inside else "")
        patterns.append((str(concept), re.compile(pattern)))
    return tuple(patterns)


def concepts_of(text: str) -> frozenset[str]:
    """The concepts a question mentions, in either language ("weesfietsen" and "abandoned bikes": bikes, abandoned)."""
    folded = fold(text)
    return frozenset(concept for concept, pattern in _concept_patterns() if pattern.search(folded))


@lru_cache(maxsize=1)
def _concept_weights() -> dict[str, float]:
    """IDF of each concept over the theme examples: a concept every question has ("residents") weighs little."""
    texts, _, _ = load_examples()
    found = [concepts_of(t) for t in texts]
    n = len(found)
    return {c: math.log((n + 1) / (sum(1 for f in found if c in f) + 1)) + 1.0 for c, _ in _concept_patterns()}


def concept_similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Weighted cosine of two concept sets (0..1)."""
    if not a or not b:
        return 0.0
    w = _concept_weights()
    shared = sum(w[c] ** 2 for c in a & b)
    return shared / math.sqrt(sum(w[c] ** 2 for c in a) * sum(w[c] ** 2 for c in b))


def text_similarity_many(text: str, others: list[str]) -> list[float]:
    """How much the words of `text` and each of `others` say the same (0..1): TF-IDF and shared concepts."""
    tfidf = tfidf_similarity_many(text, others)
    mine = concepts_of(text)
    return [(1 - CONCEPT_WEIGHT) * t + CONCEPT_WEIGHT * concept_similarity(mine, concepts_of(o))
            for t, o in zip(tfidf, others, strict=True)]


@lru_cache(maxsize=4)
def _neighbours(municipality: str) -> dict[str, frozenset[str]]:
    """Codes of the areas whose polygons touch, from the municipality's areas.geojson."""
    with open(current().areas_path, encoding="utf-8") as f:
        features = json.load(f)["features"]
    corners: dict[str, list[tuple[float, float]]] = {}
    for feature in features:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        points = [(lon, lat) for polygon in polygons for ring in polygon for lon, lat in ring]
        corners[feature["properties"]["code"]] = points
    lat0 = math.radians(52.1)
    tol = NEAR_METRES / 111_320.0
    found: dict[str, set[str]] = {code: set() for code in corners}
    codes = sorted(corners)
    for i, a in enumerate(codes):
        for b in codes[i + 1:]:
            if a[:2] != b[:2]:
                continue  # neighbourhoods with neighbourhoods, districts with districts
            if any(abs(y1 - y2) < tol and abs(x1 - x2) * math.cos(lat0) < tol
                   for x1, y1 in corners[a] for x2, y2 in corners[b]):
                found[a].add(b)
                found[b].add(a)
    return {code: frozenset(near) for code, near in found.items()}


def place_relation(a: Question, b: Question) -> str:
    city = current().code
    codes = [q.place_code if q.place_code and q.place_code != city else None for q in (a, b)]
    if not codes[0] or not codes[1]:
        return "unknown"
    if codes[0] == codes[1]:
        return "same"
    if a.district_code and a.district_code == b.district_code:
        return "near"  # the same district, or a neighbourhood and its own district
    if codes[1] in _neighbours(current().id).get(codes[0], frozenset()):
        return "near"
    if a.district_code and b.district_code and b.district_code in _neighbours(current().id).get(a.district_code, ()):
        return "near" if codes[0].startswith("WK") or codes[1].startswith("WK") else "far"
    return "far"


def score_many(question: Question, others: list[Question]) -> list[Score]:
    texts = text_similarity_many(question.text, [o.text for o in others])
    scores = []
    for other, text in zip(others, texts, strict=True):
        place = place_relation(question, other)
        theme = THEME_WEIGHT if question.theme and question.theme == other.theme and question.theme != "other" else 0.0
        scores.append(Score(round(text + PLACE_WEIGHT[place] + theme, 4), round(text, 4), place))
    return scores


def score(a: Question, b: Question) -> Score:
    return score_many(a, [b])[0]
