"""Theme classifier: plain questions get their theme, the keyword prior, the real-question split rule, and no\nreal question (or a near-copy of one) among our own training examples."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from bot.structuring.theme_model import PROPOSE_THRESHOLD, get_classifier, topic_hits
from bot.structuring.themes import theme_ids

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("theme_real", ROOT / "bench/theme_real.py")
assert _spec and _spec.loader
theme_real = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(theme_real)


def test_plain_questions_get_their_theme_in_both_languages() -> None:
    clf = get_classifier()
    cases = {
        "Waarom staan er overal fietsen op de stoep bij het station en waar kan ik parkeren?": "mobility",
        "Veel gezinnen in onze wijk hebben schulden en kunnen de boodschappen niet betalen": "poverty_livelihood",
        "Ouderen in de wijk zijn eenzaam en gaan niet meer naar de huisarts": "health_wellbeing",
        "How can we make our street greener and cooler during heat waves?": "sustainability_biodiversity",
        "Young people deal drugs near the shopping centre at night and residents feel unsafe": "safety",
        "What is the history of the old almshouses and who lived there?": "heritage_collections",
    }
    for text, theme in cases.items():
        prediction = clf.predict(text)
        assert prediction.theme == theme, (text, prediction)
        assert sorted(prediction.ranked) == sorted(theme_ids())


def test_a_topic_word_raises_its_theme_also_at_the_start_of_a_compound() -> None:
    clf = get_classifier()
    hits = topic_hits("De woningnood onder starters", clf.topics)
    assert hits["housing_living"] >= 1 and hits["mobility"] == 0
    assert topic_hits("een woning", clf.topics)["housing_living"] >= 1
    assert topic_hits("parkeergarage", clf.topics)["sustainability_biodiversity"] == 0


def test_threshold_is_a_probability() -> None:
    assert 0.0 < PROPOSE_THRESHOLD < 1.0


def _items() -> list[dict]:
    return [{"id": f"x{i:03d}", "theme": theme, "language": lang}
            for i, (theme, lang) in enumerate([("safety", "nl")] * 7 + [("safety", "en")] * 4 + [("mobility", "nl")] * 5)]


def test_split_is_stratified_complete_and_independent_of_order() -> None:
    items = _items()
    tuning, test = theme_real.split(items)
    assert {it["id"] for it in tuning} | {it["id"] for it in test} == {it["id"] for it in items}
    assert not {it["id"] for it in tuning} & {it["id"] for it in test}
    for key, size in ((("safety", "nl"), 7), (("safety", "en"), 4), (("mobility", "nl"), 5)):
        n_tune = sum((it["theme"], it["language"]) == key for it in tuning)
        assert n_tune == (size + 1) // 2  # odd groups give the tuning half one more
    tuning_reversed, _ = theme_real.split(list(reversed(items)))
    assert {it["id"] for it in tuning_reversed} == {it["id"] for it in tuning}


def test_split_of_a_group_does_not_depend_on_other_groups() -> None:
    items = _items()
    tuning, _ = theme_real.split(items)
    more = [*items, {"id": "y001", "theme": "economy_work", "language": "en"}]
    tuning_more, _ = theme_real.split(more)
    assert {it["id"] for it in tuning_more} - {"y001"} == {it["id"] for it in tuning}


def test_no_real_question_is_among_the_training_examples() -> None:
    assert theme_real.training_overlap(theme_real.load_items()) == []


def test_no_training_example_is_a_near_copy_of_a_real_question() -> None:
    """Our own examples must not copy or paraphrase a real question (tuning or test half): no example may be
    close to one by edit distance (rapidfuzz ratio) or by shared character 3-5-grams (TF-IDF cosine). The
    closest pairs today score about 75 and 0.61 (short examples sharing one topic word with a real one)."""
    from rapidfuzz import fuzz, process
    from sklearn.feature_extraction.text import TfidfVectorizer

    from bot.structuring.text import fold
    from bot.structuring.theme_model import load_examples

    real = [fold(it["text"]) for it in theme_real.load_items()]
    own = [fold(t) for t in load_examples()[0]]
    near_by_edits = [(t, m[0]) for t in own if (m := process.extractOne(t, real, scorer=fuzz.ratio, score_cutoff=85))]
    assert near_by_edits == []
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True).fit(real + own)
    cosine = (vectorizer.transform(own) @ vectorizer.transform(real).T).toarray()
    near_by_ngrams = [(own[i], real[j]) for i, j in zip(*(cosine >= 0.7).nonzero(), strict=True)]
    assert near_by_ngrams == []
