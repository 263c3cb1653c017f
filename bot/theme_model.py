"""Predict the theme of a city question from free text (Dutch or English).

A small, explainable model: TF-IDF over character n-grams (robust to typos,
compounds and the two languages) with logistic regression for probabilities. It is trained on our own examples in
data/reference/theme_examples/*.yml in about a second, the first time it is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.config import REFERENCE_DIR
from bot.themes import load_themes

EXAMPLES_DIR = REFERENCE_DIR / "theme_examples"
PROPOSE_THRESHOLD = 0.5  # above: propose the theme; below: offer the top three


@dataclass(frozen=True)
class ThemePrediction:
    theme: str
    confidence: float
    ranked: tuple[str, ...]  # all theme ids, most likely first

    @property
    def top3(self) -> list[str]:
        return list(self.ranked[:3])


def load_examples(directory: Path = EXAMPLES_DIR) -> tuple[list[str], list[str], list[str]]:
    """Texts, theme labels and languages of all examples."""
    texts: list[str] = []
    labels: list[str] = []
    languages: list[str] = []
    known = {t.id for t in load_themes()}
    for path in sorted(directory.glob("*.yml")):
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        for theme, examples in doc["examples"].items():
            if theme not in known:
                raise ValueError(f"{path.name}: unknown theme id {theme!r}; fix it to one of {sorted(known)}")
            for text in examples:
                texts.append(str(text))
                labels.append(theme)
                languages.append(doc.get("language", path.stem))
    return texts, labels, languages


def taxonomy_examples() -> tuple[list[str], list[str]]:
    """The taxonomy itself as extra training text: labels, descriptions and topics of each theme."""
    texts: list[str] = []
    labels: list[str] = []
    for theme in load_themes():
        for text in (theme.label_nl, theme.label_en, theme.description_nl, theme.description_en, *theme.topics):
            texts.append(text)
            labels.append(theme.id)
    return texts, labels


def build_pipeline():  # type: ignore[no-untyped-def]
    """Character n-grams within word boundaries + one-vs-rest logistic regression.

    Compared in bench/theme_cv.py: word n-grams added nothing; liblinear fits in
    about half a second where lbfgs needed several seconds for the same accuracy.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    return Pipeline([
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, lowercase=True,
                                  strip_accents="unicode")),
        ("clf", LogisticRegression(C=10.0, solver="liblinear")),
    ])


class ThemeClassifier:
    def __init__(self) -> None:
        texts, labels, _ = load_examples()
        extra_texts, extra_labels = taxonomy_examples()
        self.pipeline = build_pipeline()
        self.pipeline.fit(texts + extra_texts, labels + extra_labels)
        self.classes: list[str] = list(self.pipeline.classes_)

    def predict_many(self, texts: list[str]) -> list[ThemePrediction]:
        if not texts:
            return []
        probabilities = self.pipeline.predict_proba([t[:5000] for t in texts])
        out = []
        for row in probabilities:
            order = sorted(range(len(row)), key=lambda i: -row[i])
            ranked = tuple(self.classes[i] for i in order)
            out.append(ThemePrediction(theme=ranked[0], confidence=round(float(row[order[0]]), 4), ranked=ranked))
        return out

    def predict(self, text: str) -> ThemePrediction:
        return self.predict_many([text])[0]


@lru_cache(maxsize=1)
def get_classifier() -> ThemeClassifier:
    return ThemeClassifier()
