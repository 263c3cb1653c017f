"""Cross-validated theme accuracy and macro-F1 per language (5-fold, stratified, seeded).

Usage: .venv/bin/python bench/theme_cv.py  -> bench/results/theme_cv.json
The model is trained on both languages in each fold, as in production; scores are
reported on the held-out examples of each language separately.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sklearn.metrics import accuracy_score, f1_score  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402

from bot.structuring.theme_model import build_pipeline, load_examples, taxonomy_examples  # noqa: E402


def main() -> dict:
    texts, labels, languages = load_examples()
    extra_texts, extra_labels = taxonomy_examples()  # always in training, never tested
    strata = [f"{lab}|{lang}" for lab, lang in zip(labels, languages, strict=True)]
    predicted = [""] * len(texts)
    top3 = [False] * len(texts)
    confidence = [0.0] * len(texts)
    started = time.perf_counter()
    for train, test in StratifiedKFold(n_splits=5, shuffle=True, random_state=7).split(texts, strata):
        model = build_pipeline().fit([texts[i] for i in train] + extra_texts, [labels[i] for i in train] + extra_labels)
        classes = list(model.classes_)
        for i, row in zip(test, model.predict_proba([texts[i] for i in test]), strict=True):
            order = sorted(range(len(row)), key=lambda k: -row[k])
            predicted[i] = classes[order[0]]
            confidence[i] = float(row[order[0]])
            top3[i] = labels[i] in {classes[k] for k in order[:3]}
    elapsed = time.perf_counter() - started
    result: dict = {"folds": 5, "examples": len(texts), "seconds": round(elapsed, 1),
                    "machine": f"{platform.machine()}, {platform.python_version()}", "per_language": {}}
    for lang in sorted(set(languages)):
        idx = [i for i, la in enumerate(languages) if la == lang]
        gold = [labels[i] for i in idx]
        pred = [predicted[i] for i in idx]
        result["per_language"][lang] = {
            "examples": len(idx),
            "accuracy": round(accuracy_score(gold, pred), 4),
            "macro_f1": round(f1_score(gold, pred, average="macro"), 4),
            "top3_accuracy": round(sum(top3[i] for i in idx) / len(idx), 4),
        }
    result["proposal_threshold"] = {}
    for threshold in (0.3, 0.4, 0.5, 0.6, 0.7):
        sure = [i for i in range(len(texts)) if confidence[i] >= threshold]
        result["proposal_threshold"][str(threshold)] = {
            "share_proposed": round(len(sure) / len(texts), 3),
            "proposal_correct": round(sum(predicted[i] == labels[i] for i in sure) / max(1, len(sure)), 3),
        }
    result["per_theme_f1"] = dict(zip(sorted(set(labels)), [round(x, 3) for x in f1_score(
        labels, predicted, average=None, labels=sorted(set(labels)))], strict=True))
    return result


if __name__ == "__main__":
    res = main()
    out = ROOT / "bench/results/theme_cv.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))
