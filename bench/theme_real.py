"""Theme classifier on real, published city questions: a tuning half and a test half.

Usage: .venv/bin/python bench/theme_real.py  -> bench/results/theme_real.json and theme_real.md

Data: bench/data/real_questions/part_a.yml and part_b.yml (questions as published, with source,
language, city, theme label and reason). The model is never trained on them: it learns from our own
examples (data/reference/theme_examples/) and the taxonomy text only.

Split rule (SPLIT_RULE below): items are grouped by (theme label, language); inside a group they are
ordered by the SHA-256 hex digest of their id, and the 1st, 3rd, 5th ... go to the tuning half, the
2nd, 4th, ... to the test half. Deterministic, independent of file order, stratified by theme and
language (an odd group gives the tuning half one more). Nobody moves an item by hand.

Reported for each half, with the model exactly as `bot.structuring.theme_model.get_classifier()` builds it:
top-1 accuracy, top-3 accuracy, coverage (share with confidence >= PROPOSE_THRESHOLD, i.e. themes the
assistant sets directly), precision of those proposals, per language; and in the same run a plain
keyword baseline (the first theme in taxonomy order with one of its themes.yml topics in the text).
The threshold is calibrated on the tuning half only (`calibrate_threshold`).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.structuring.text import fold  # noqa: E402
from bot.structuring.themes import load_themes  # noqa: E402

DATA_DIR = ROOT / "bench/data/real_questions"
SECOND_LABELS = ROOT / "bench/data/second_labels.yml"
RESULTS = ROOT / "bench/results"
TARGETS = {"accuracy": 0.90, "coverage": 0.70, "proposal_precision": 0.90}
SPLIT_RULE = ("group by (theme, language); order each group by sha256(id) hex digest; "
              "1st, 3rd, 5th ... -> tuning, 2nd, 4th ... -> test")

# Labels changed from what the collectors wrote (also changed, with the reason, in the data file).
# Only where the label was clearly wrong against the taxonomy's descriptions, decided before looking
# at any model output for the item.
LABEL_CHANGES = [
    ("b131", "economy_work", "housing_living",
     "asks how city-centre residents experience growing visitor numbers: liveability of their living "
     "environment, not jobs, entrepreneurs or retail (our own examples put tourism promotion under 'other')"),
    ("b132", "economy_work", "housing_living",
     "tourism nuisance for local residents: liveability, not economy"),
    ("b133", "economy_work", "housing_living",
     "effect of tourism on residents' sense of place: living environment, not economy"),
]

# Reference figures measured by this script on the same split and labels, kept in the report:
# BEFORE = the model at the start of the latest round of work (commit 824cf1e: char + word n-grams, topic
# prior, threshold 0.6); FIRST = the model before any tuning on real questions (char 2-5-grams + liblinear
# LR, threshold 0.5; commit fcd7878 + the label changes above).
BEFORE: dict = {"propose_threshold": 0.6, "tuning": {"model": {"all": {"n": 143, "accuracy": 0.671, "top3_accuracy": 0.846, "coverage": 0.448, "proposal_precision": 0.906, "proposals": 64}, "nl": {"n": 83, "accuracy": 0.651, "top3_accuracy": 0.867, "coverage": 0.373, "proposal_precision": 0.935, "proposals": 31}, "en": {"n": 60, "accuracy": 0.7, "top3_accuracy": 0.817, "coverage": 0.55, "proposal_precision": 0.879, "proposals": 33}}, "keyword_baseline": {"all": {"n": 143, "accuracy": 0.462, "top3_accuracy": 0.503, "coverage": 0.643, "proposal_precision": 0.707, "proposals": 92}, "nl": {"n": 83, "accuracy": 0.446, "top3_accuracy": 0.458, "coverage": 0.602, "proposal_precision": 0.72, "proposals": 50}, "en": {"n": 60, "accuracy": 0.483, "top3_accuracy": 0.567, "coverage": 0.7, "proposal_precision": 0.69, "proposals": 42}}}, "test": {"model": {"all": {"n": 132, "accuracy": 0.72, "top3_accuracy": 0.894, "coverage": 0.477, "proposal_precision": 0.984, "proposals": 63}, "nl": {"n": 77, "accuracy": 0.714, "top3_accuracy": 0.883, "coverage": 0.442, "proposal_precision": 1.0, "proposals": 34}, "en": {"n": 55, "accuracy": 0.727, "top3_accuracy": 0.909, "coverage": 0.527, "proposal_precision": 0.966, "proposals": 29}}, "keyword_baseline": {"all": {"n": 132, "accuracy": 0.561, "top3_accuracy": 0.629, "coverage": 0.72, "proposal_precision": 0.779, "proposals": 95}, "nl": {"n": 77, "accuracy": 0.545, "top3_accuracy": 0.597, "coverage": 0.727, "proposal_precision": 0.75, "proposals": 56}, "en": {"n": 55, "accuracy": 0.582, "top3_accuracy": 0.673, "coverage": 0.709, "proposal_precision": 0.821, "proposals": 39}}}}
FIRST: dict = {"propose_threshold": 0.5, "tuning": {"model": {"all": {"n": 143, "accuracy": 0.545, "top3_accuracy": 0.79, "coverage": 0.378, "proposal_precision": 0.889, "proposals": 54}, "nl": {"n": 83, "accuracy": 0.53, "top3_accuracy": 0.795, "coverage": 0.337, "proposal_precision": 0.893, "proposals": 28}, "en": {"n": 60, "accuracy": 0.567, "top3_accuracy": 0.783, "coverage": 0.433, "proposal_precision": 0.885, "proposals": 26}}, "keyword_baseline": {"all": {"n": 143, "accuracy": 0.315, "top3_accuracy": 0.343, "coverage": 0.545, "proposal_precision": 0.564, "proposals": 78}, "nl": {"n": 83, "accuracy": 0.289, "top3_accuracy": 0.301, "coverage": 0.542, "proposal_precision": 0.511, "proposals": 45}, "en": {"n": 60, "accuracy": 0.35, "top3_accuracy": 0.4, "coverage": 0.55, "proposal_precision": 0.636, "proposals": 33}}}, "test": {"model": {"all": {"n": 132, "accuracy": 0.568, "top3_accuracy": 0.841, "coverage": 0.424, "proposal_precision": 0.839, "proposals": 56}, "nl": {"n": 77, "accuracy": 0.545, "top3_accuracy": 0.818, "coverage": 0.416, "proposal_precision": 0.844, "proposals": 32}, "en": {"n": 55, "accuracy": 0.6, "top3_accuracy": 0.873, "coverage": 0.436, "proposal_precision": 0.833, "proposals": 24}}, "keyword_baseline": {"all": {"n": 132, "accuracy": 0.402, "top3_accuracy": 0.462, "coverage": 0.614, "proposal_precision": 0.654, "proposals": 81}, "nl": {"n": 77, "accuracy": 0.403, "top3_accuracy": 0.455, "coverage": 0.623, "proposal_precision": 0.646, "proposals": 48}, "en": {"n": 55, "accuracy": 0.4, "top3_accuracy": 0.473, "coverage": 0.6, "proposal_precision": 0.667, "proposals": 33}}}}


def load_items(directory: Path = DATA_DIR) -> list[dict]:
    items: list[dict] = []
    for path in sorted(directory.glob("*.yml")):
        items.extend(yaml.safe_load(path.read_text(encoding="utf-8"))["questions"])
    ids = [it["id"] for it in items]
    if len(ids) != len(set(ids)):
        raise ValueError("duplicate ids in real_questions")
    return items


def split(items: Sequence[dict]) -> tuple[list[dict], list[dict]]:
    """(tuning, test) by SPLIT_RULE."""
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for it in items:
        groups[(it["theme"], it["language"])].append(it)
    tuning: list[dict] = []
    test: list[dict] = []
    for key in sorted(groups):
        ordered = sorted(groups[key], key=lambda it: hashlib.sha256(it["id"].encode()).hexdigest())
        for rank, it in enumerate(ordered):
            (tuning if rank % 2 == 0 else test).append(it)
    order = {it["id"]: i for i, it in enumerate(items)}
    return sorted(tuning, key=lambda it: order[it["id"]]), sorted(test, key=lambda it: order[it["id"]])


def keyword_rank(text: str) -> list[str]:
    """Baseline: themes (taxonomy order) with a topic occurring as whole words in the text."""
    key = f" {fold(text)} "
    return [t.id for t in load_themes() if any(f" {fold(topic)} " in key for topic in t.topics if fold(topic))]


def score(gold: Sequence[str], ranked: Sequence[Sequence[str]], proposed: Sequence[bool]) -> dict:
    n = len(gold)
    correct = [bool(r) and r[0] == g for g, r in zip(gold, ranked, strict=True)]
    sure = [i for i in range(n) if proposed[i]]
    return {
        "n": n,
        "accuracy": round(sum(correct) / n, 3) if n else None,
        "top3_accuracy": round(sum(g in list(r)[:3] for g, r in zip(gold, ranked, strict=True)) / n, 3) if n else None,
        "coverage": round(len(sure) / n, 3) if n else None,
        "proposal_precision": round(sum(correct[i] for i in sure) / len(sure), 3) if sure else None,
        "proposals": len(sure),
    }


def report(items: Sequence[dict], ranked: Sequence[Sequence[str]], proposed: Sequence[bool]) -> dict:
    out = {"all": score([it["theme"] for it in items], ranked, proposed)}
    for lang in ("nl", "en"):
        idx = [i for i, it in enumerate(items) if it["language"] == lang]
        out[lang] = score([items[i]["theme"] for i in idx], [ranked[i] for i in idx], [proposed[i] for i in idx])
    return out


def calibrate_threshold(gold: Sequence[str], top: Sequence[str], confidence: Sequence[float],
                        target: float = TARGETS["proposal_precision"]) -> float:
    """Lowest threshold (0.05 steps) whose proposals on these items are at least `target` precise."""
    for step in range(5, 100, 5):
        threshold = step / 100
        sure = [i for i in range(len(gold)) if confidence[i] >= threshold]
        if sure and sum(top[i] == gold[i] for i in sure) / len(sure) >= target:
            return threshold
    return 1.0


def model_predictions(predict_many: Callable, items: Sequence[dict]) -> tuple[list[list[str]], list[float]]:
    predictions = predict_many([it["text"] for it in items])
    return [list(p.ranked) for p in predictions], [p.confidence for p in predictions]


def confusions(items: Sequence[dict], ranked: Sequence[Sequence[str]]) -> list[list]:
    pairs = Counter((it["theme"], r[0]) for it, r in zip(items, ranked, strict=True) if r[0] != it["theme"])
    return [[gold, pred, n] for (gold, pred), n in pairs.most_common()]


def second_opinion(items: Sequence[dict], predicted: dict[str, str]) -> dict:
    """How often two independent labellers agree, and how often the model agrees with at least one of them."""
    if not SECOND_LABELS.exists():
        return {}
    second = {x["id"]: x for x in yaml.safe_load(SECOND_LABELS.read_text(encoding="utf-8"))["labels"]}
    out = {}
    for name, half in (("all", items), *split_halves(items)):
        ids = [it["id"] for it in half if it["id"] in second]
        first = {it["id"]: it["theme"] for it in half}
        n = len(ids)
        out[name] = {
            "n": n,
            "labellers_agree": round(sum(first[i] == second[i]["theme"] for i in ids) / n, 3),
            "second_within_first_or_runner_up": round(
                sum(first[i] in (second[i]["theme"], second[i].get("runner_up")) for i in ids) / n, 3),
            "model_matches_first": round(sum(predicted[i] == first[i] for i in ids) / n, 3),
            "model_matches_second": round(sum(predicted[i] == second[i]["theme"] for i in ids) / n, 3),
            "model_matches_either": round(sum(predicted[i] in (first[i], second[i]["theme"]) for i in ids) / n, 3),
        }
        high = [i for i in ids if second[i].get("confidence") == "high"]
        out[name]["second_labeller_sure"] = {
            "n": len(high),
            "labellers_agree": round(sum(first[i] == second[i]["theme"] for i in high) / len(high), 3) if high else None,
            "model_matches_first": round(sum(predicted[i] == first[i] for i in high) / len(high), 3) if high else None,
        }
    return out


def split_halves(items: Sequence[dict]) -> list[tuple[str, list[dict]]]:
    tuning, test = split(items)
    return [("tuning", tuning), ("test", test)]


def training_overlap(items: Sequence[dict]) -> list[str]:
    """Ids of real questions whose folded text also occurs among our own examples (must stay empty)."""
    from bot.structuring.theme_model import load_examples
    own = {fold(t) for t in load_examples()[0]}
    return [it["id"] for it in items if fold(it["text"]) in own]


def main() -> dict:
    from bot.structuring.theme_model import PROPOSE_THRESHOLD, ThemeClassifier

    items = load_items()
    by_id = {it["id"]: it for it in items}
    for item_id, _old, new, _why in LABEL_CHANGES:
        if by_id[item_id]["theme"] != new:
            raise ValueError(f"{item_id}: label change to {new} is recorded but not in the data file")
    tuning, test = split(items)

    started = time.perf_counter()
    clf = ThemeClassifier()
    train_seconds = time.perf_counter() - started

    result: dict = {
        "command": ".venv/bin/python bench/theme_real.py",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "items": len(items), "tuning_items": len(tuning), "test_items": len(test),
        "split_rule": SPLIT_RULE,
        "propose_threshold": PROPOSE_THRESHOLD,
        "train_seconds": round(train_seconds, 2),
        "label_changes": [{"id": i, "from": a, "to": b, "why": w} for i, a, b, w in LABEL_CHANGES],
        "real_questions_in_training": training_overlap(items),
        "targets_on_test": TARGETS,
    }
    started = time.perf_counter()
    clf.predict_many([it["text"] for it in items])
    result["predict_seconds_all_items"] = round(time.perf_counter() - started, 3)

    for name, half in (("tuning", tuning), ("test", test)):
        ranked, confidence = model_predictions(clf.predict_many, half)
        proposed = [c >= PROPOSE_THRESHOLD for c in confidence]
        keyword = [keyword_rank(it["text"]) or ["other"] for it in half]
        keyword_proposed = [bool(keyword_rank(it["text"])) for it in half]
        result[name] = {
            "model": report(half, ranked, proposed),
            "keyword_baseline": report(half, keyword, keyword_proposed),
            "model_confusions": confusions(half, ranked),
        }
        if name == "tuning":
            result["threshold_calibrated_on_tuning"] = calibrate_threshold(
                [it["theme"] for it in half], [r[0] for r in ranked], confidence)
            result["tuning"]["by_threshold"] = {
                str(t): score([it["theme"] for it in half], ranked, [c >= t for c in confidence])
                for t in (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)}
    predicted = dict(zip([it["id"] for it in items], [p.theme for p in clf.predict_many([it["text"] for it in items])],
                         strict=True))
    result["second_opinion"] = second_opinion(items, predicted)
    result["test"]["targets_met"] = {k: (result["test"]["model"]["all"][k] or 0) >= v for k, v in TARGETS.items()}
    if BEFORE:
        result["before"] = BEFORE
    if FIRST:
        result["first"] = FIRST
    return result


def pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def markdown(res: dict) -> str:
    lines = [
        "# Theme classifier on real city questions",
        "",
        f"Command: `{res['command']}` — machine: {res['machine']}. Model trained in {res['train_seconds']} s; "
        f"predicting all {res['items']} questions took {res['predict_seconds_all_items']} s.",
        "",
        f"{res['items']} real, published questions (bench/data/real_questions/part_a.yml, part_b.yml). "
        "The model never sees them in training: it learns from our own written examples, the taxonomy and 192 "
        "other published questions (`data/reference/theme_examples/*_published.yml`, none of them in this set). "
        f"Real questions found verbatim among the training examples: {len(res['real_questions_in_training'])}.",
        "",
        f"**Split rule** ({res['tuning_items']} tuning / {res['test_items']} test): {res['split_rule']}. "
        "All choices (features, examples, threshold) were made on the tuning half; the test half is only reported.",
        "",
        f"Proposal threshold: **{res['propose_threshold']}** (`PROPOSE_THRESHOLD`; the lowest threshold in 0.05 steps "
        f"whose tuning-half precision is ≥ 0.90 is {res['threshold_calibrated_on_tuning']}). A *proposal* is a "
        "prediction at or above it: the assistant sets that theme and shows it in the summary for confirmation; below "
        "it the user picks from the top three.",
        "",
    ]
    header = "| half | method | lang | n | accuracy | top-3 | coverage | proposal precision |"
    rule = "|---|---|---|---:|---:|---:|---:|---:|"

    def rows(block: dict, half: str) -> list[str]:
        out = []
        for method, label in (("model", "model"), ("keyword_baseline", "keywords")):
            for lang in ("all", "nl", "en"):
                s = block[method][lang]
                out.append(f"| {half} | {label} | {lang} | {s['n']} | {pct(s['accuracy'])} | {pct(s['top3_accuracy'])} "
                           f"| {pct(s['coverage'])} | {pct(s['proposal_precision'])} |")
        return out

    lines += ["## Now", "", header, rule, *rows(res["tuning"], "tuning"), *rows(res["test"], "test"), ""]
    met = res["test"]["targets_met"]
    lines += ["Targets on the test half: " + ", ".join(
        f"{k} ≥ {v}: {'met' if met[k] else 'NOT met'}" for k, v in res["targets_on_test"].items()) + ".", ""]
    if res.get("second_opinion"):
        lines += ["## A second, independent labeller (the ceiling)", "",
                  "`bench/data/second_labels.yml`: every question labelled again by someone who saw only the texts and "
                  "the taxonomy, never our labels, sources or model output.", "",
                  "| half | n | labellers agree | first label is the second's choice or runner-up | model = first "
                  "| model = second | model = either | second sure: n / agree / model = first |",
                  "|---|---:|---:|---:|---:|---:|---:|---|"]
        for half, s in res["second_opinion"].items():
            sure = s["second_labeller_sure"]
            lines.append(f"| {half} | {s['n']} | {pct(s['labellers_agree'])} | "
                         f"{pct(s['second_within_first_or_runner_up'])} | {pct(s['model_matches_first'])} | "
                         f"{pct(s['model_matches_second'])} | {pct(s['model_matches_either'])} | "
                         f"{sure['n']} / {pct(sure['labellers_agree'])} / {pct(sure['model_matches_first'])} |")
        lines += ["", "Two careful people give the same theme to about nine in ten of these questions; the rest touch "
                  "two themes (the second labeller's runner-up is nearly always the first label). An accuracy goal of "
                  "0.90 against one labeller is therefore the human ceiling, not a model target that more tuning reaches.",
                  ""]
    if "before" in res:
        lines += ["## Before (model at the start of the latest round, commit 824cf1e; same split and labels)", "",
                  header, rule, *rows(res["before"]["tuning"], "tuning"), *rows(res["before"]["test"], "test"), "",
                  f"Threshold then: {res['before']['propose_threshold']}.", ""]
    if "first" in res:
        lines += ["## First (model before any tuning on real questions; same split and labels)", "", header, rule,
                  *rows(res["first"]["tuning"], "tuning"), *rows(res["first"]["test"], "test"), "",
                  f"Threshold then: {res['first']['propose_threshold']}.", ""]
    lines += ["Notes: the keyword baseline uses the topics in themes.yml as they are at the time of the run (more "
              "topics were added in this work, so its 'before' figures used fewer). The test half is small "
              f"({res['test_items']} questions): a difference of a few points is within chance (±8 points is a "
              "rough 95% interval for an accuracy near 70%). Labels for several questions are debatable "
              "(a question can touch two themes); top-3 accuracy shows how often the right theme is among the "
              "three buttons offered.", ""]
    lines += ["## Latest round (all choices on the tuning half)", "",
              "- Kept: 109 new own examples (`*_broker.yml`, nl + en) in a knowledge broker's register: the design, "
              "renewal and facilities of districts (housing & living environment) and how groups live together and "
              "get a say (social cohesion), plus questions where a method word (participation, with residents) sits "
              "next to the real subject; sharper descriptions and a few more topics for those two themes; threshold "
              "0.55 (the calibrated value). Tuning half: accuracy 67.1% → 72.0%, highest coverage at ≥ 90% "
              "precision 50% → 52%.",
              "- Tried and not kept (each within ±2 questions on the tuning half, i.e. noise): C 2–20, topic prior "
              "0.7–2, char n-gram ranges, word unigrams only, no word features, Dutch suffix stripping and compound "
              "splitting for the word features (also +1.5 s training), weighting research-register examples ×2–3, "
              "concatenated example pairs as longer texts, a lower prior for 'other', temperature scaling, a margin "
              "(top1 − top2) rule instead of the probability (about the same coverage at 90% precision). Calibration "
              "is a monotone map of the confidence, so it can move the threshold but cannot raise coverage at a given "
              "precision; only a better ranking can.",
              "- New guard: tests/unit/test_theme_model.py fails if any own example is a near-copy of a real question "
              "(rapidfuzz ratio ≥ 85 or character 3–5-gram cosine ≥ 0.7).", ""]
    lines += ["## Tuning half: coverage and precision by threshold", "",
              "| threshold | coverage | proposal precision | accuracy |", "|---:|---:|---:|---:|"]
    for t, s in res["tuning"]["by_threshold"].items():
        lines.append(f"| {t} | {pct(s['coverage'])} | {pct(s['proposal_precision'])} | {pct(s['accuracy'])} |")
    lines += ["", "## Most frequent confusions (gold → predicted, count)", ""]
    for half in ("tuning", "test"):
        top = ", ".join(f"{g} → {p} ({n})" for g, p, n in res[half]["model_confusions"][:8])
        lines.append(f"- {half}: {top or 'none'}")
    lines += ["", "## Label changes", ""]
    if res["label_changes"]:
        lines += [f"- {c['id']}: {c['from']} → {c['to']} — {c['why']}" for c in res["label_changes"]]
    else:
        lines.append("- none")
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    res = main()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "theme_real.json").write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (RESULTS / "theme_real.md").write_text(markdown(res), encoding="utf-8")
    print(json.dumps({h: res[h]["model"]["all"] for h in ("tuning", "test")}, indent=2))
