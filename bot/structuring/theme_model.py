"""Predict the theme of a city question from free text (Dutch or English).

A small, explainable model: TF-IDF over character n-grams (robust to typos, compounds and the two
languages) and over words and word pairs (stop words left out), with logistic regression for
probabilities, and a small keyword prior: a theme whose themes.yml topic occurs in the text (as a word
or at the start of a compound) gets its probability raised. Trained on our own examples in
data/reference/theme_examples/*.yml (own examples and other published questions) plus the taxonomy text in one or two seconds, the first time it is
used. Tuned and measured on real published questions: bench/theme_real.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.config import REFERENCE_DIR
from bot.structuring.text import fold
from bot.structuring.themes import load_themes

EXAMPLES_DIR = REFERENCE_DIR / "theme_examples"
# At or above: the theme is set and shown in the summary for confirmation; below: the top three are offered.
# Calibrated on the tuning half of the real questions: the lowest threshold (0.05 steps) whose proposals
# there are at least 90% right (bench/theme_real.py, bench/results/theme_real.md).
PROPOSE_THRESHOLD = 0.55
TOPIC_PRIOR = 1.0  # a theme's probability is multiplied by 1 + TOPIC_PRIOR * (number of its topics found, max 3)
MAX_TOPIC_HITS = 3

# Function words of both languages, left out of the word features (the character features keep them).
STOP_WORDS = frozenset("""
de het een en of in op aan van voor met door bij naar uit over om te tot als dan dat die dit deze er is zijn
was waren wordt worden werd kan kunnen moet moeten zal zullen wil willen hoe wat wie waar waarom welke
wanneer ik je jij u we wij ze zij hij hun hen ons onze mijn zich niet geen ook nog al wel maar dus want zo
meer veel heel erg echt
the a an and or of to in on at for with by from as is are was were be been being it its this that these
those there their they we our you your i my he she his her them how what who where why which when can
could would should will do does did has have had not no also more very into about than so such
""".split())


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
        # Own examples: {examples: {theme: [text, ...]}}; published questions: {questions: [{text, theme, ...}]}.
        pairs = [(theme, text) for theme, examples in (doc.get("examples") or {}).items() for text in examples]
        pairs += [(item["theme"], item["text"]) for item in doc.get("questions") or []]
        for theme, text in pairs:
            if theme not in known:
                raise ValueError(f"{path.name}: unknown theme id {theme!r}; fix it to one of {sorted(known)}")
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


def build_pipeline():
    """Character 2-5-grams within word boundaries + word 1-2-grams without stop words, one-vs-rest
    logistic regression (liblinear: about a second; lbfgs/saga took 5-20 s for no better accuracy).

    Chosen on the tuning half of bench/theme_real.py: the word features help on the long, wordy real
    questions (own examples alone did not show it); C=5 with the topic prior.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    return Pipeline([
        ("features", FeatureUnion([
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, lowercase=True,
                                      strip_accents="unicode")),
            ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, lowercase=True,
                                      strip_accents="unicode", stop_words=sorted(STOP_WORDS))),
        ])),
        ("clf", LogisticRegression(C=5.0, solver="liblinear", random_state=0)),
    ])


def topic_hits(text: str, topics: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """How many folded topics of each theme occur in `text`: as whole words, or as the start of a word
    (Dutch compounds: 'woning' in 'woningnood')."""
    key = f" {fold(text)} "
    return {theme: sum(1 for topic in words if f" {topic}" in key) for theme, words in topics.items()}


class ThemeClassifier:
    def __init__(self) -> None:
        texts, labels, _ = load_examples()
        extra_texts, extra_labels = taxonomy_examples()
        self.pipeline = build_pipeline()
        self.pipeline.fit(texts + extra_texts, labels + extra_labels)
        self.classes: list[str] = list(self.pipeline.classes_)
        self.topics = {t.id: tuple(f for f in dict.fromkeys(fold(x) for x in t.topics) if f) for t in load_themes()}

    def predict_many(self, texts: list[str]) -> list[ThemePrediction]:
        if not texts:
            return []
        texts = [t[:5000] for t in texts]
        probabilities = self.pipeline.predict_proba(texts)
        out = []
        for text, row in zip(texts, probabilities, strict=True):
            for theme, hits in topic_hits(text, self.topics).items():
                if hits and theme in self.classes:
                    row[self.classes.index(theme)] *= 1 + TOPIC_PRIOR * min(hits, MAX_TOPIC_HITS)
            row = row / row.sum()
            order = sorted(range(len(row)), key=lambda i: -row[i])
            ranked = tuple(self.classes[i] for i in order)
            out.append(ThemePrediction(theme=ranked[0], confidence=round(float(row[order[0]]), 4), ranked=ranked))
        return out

    def predict(self, text: str) -> ThemePrediction:
        return self.predict_many([text])[0]


@lru_cache(maxsize=1)
def get_classifier() -> ThemeClassifier:
    return ThemeClassifier()
