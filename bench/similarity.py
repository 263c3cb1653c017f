"""Similar-question linking on labelled pairs: precision and recall on a dev half and a test half.

Usage: .venv/bin/python bench/similarity.py  -> bench/results/similarity.json and similarity.md

Data: bench/data/similarity_pairs.yml (pairs of city questions labelled similar / not_similar by the team:
published questions from bench/data/real_questions/ and resident reports written for Stadsvraag; split dev /
test, pairs sharing a text in one split). Each side goes through what the product does with a stored question:
the place as the asker named it is resolved by the municipality's gazetteer (or found in the text), the theme
is predicted by the theme classifier; then `bot.structuring.similarity.score` decides, exactly as
`bot.review.grouping.link_similar` does when an intake is stored. Weights and threshold were chosen on the dev
half; the test half is reported as it comes. In the same run, a text-only baseline (TF-IDF cosine only: no
concepts, no place, no theme) at its own best dev threshold.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.structuring import similarity  # noqa: E402
from bot.structuring.gazetteer import get_gazetteer  # noqa: E402
from bot.structuring.theme_model import get_classifier  # noqa: E402

DATA = ROOT / "bench" / "data" / "similarity_pairs.yml"
OUT = ROOT / "bench" / "results"


def place_of(text: str, named: str, municipality: str) -> tuple[str | None, str | None]:
    """(place code, district code) as the intake would store them."""
    gazetteer = get_gazetteer(municipality)
    for source in (named, text):
        if not source:
            continue
        found = gazetteer.find_in_text(source)
        if found.kind == "place" and found.place:
            place = found.place
            return place.code, place.district_code or (place.code if place.kind == "district" else None)
        if found.kind == "ambiguous":
            districts = {p.district_code for p in found.candidates}
            if len(districts) == 1:
                code = districts.pop()
                return code, code
    return None, None


def questions(pairs: list[dict]) -> list[tuple[dict, similarity.Question, similarity.Question]]:
    classifier = get_classifier()
    out = []
    for pair in pairs:
        os.environ["MUNICIPALITY"] = pair["municipality"]
        sides = []
        for side in (pair["a"], pair["b"]):
            code, district = place_of(side["text"], side.get("place") or "", pair["municipality"])
            sides.append(similarity.Question(side["text"], classifier.predict(side["text"]).theme, code, district))
        out.append((pair, sides[0], sides[1]))
    return out


def metrics(labels: list[bool], predicted: list[bool]) -> dict[str, float | int]:
    tp = sum(1 for y, p in zip(labels, predicted, strict=True) if y and p)
    fp = sum(1 for y, p in zip(labels, predicted, strict=True) if not y and p)
    fn = sum(1 for y, p in zip(labels, predicted, strict=True) if y and not p)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"pairs": len(labels), "similar": sum(labels), "tp": tp, "fp": fp, "fn": fn,
            "precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}


def main() -> int:
    started = time.perf_counter()
    pairs = yaml.safe_load(DATA.read_text(encoding="utf-8"))["pairs"]
    scored = []
    for pair, a, b in questions(pairs):
        os.environ["MUNICIPALITY"] = pair["municipality"]
        result = similarity.score(a, b)
        tfidf = similarity.tfidf_similarity_many(a.text, [b.text])[0]
        scored.append({"id": pair["id"], "split": pair["split"], "kind": pair["kind"], "municipality": pair["municipality"],
                       "label": pair["label"] == "similar", "score": result.value, "text": result.text, "tfidf": round(tfidf, 4),
                       "place": result.place, "theme_a": a.theme, "theme_b": b.theme})
    results: dict[str, object] = {"threshold": similarity.THRESHOLD, "place_weight": similarity.PLACE_WEIGHT,
                                  "theme_weight": similarity.THEME_WEIGHT}
    dev = [s for s in scored if s["split"] == "dev"]
    # the text-only baseline gets its best threshold on dev (F1), then is measured on test with it
    grid = [round(0.05 * i, 2) for i in range(1, 20)]
    base_t = max(grid, key=lambda t: metrics([s["label"] for s in dev], [s["tfidf"] >= t for s in dev])["f1"])
    for split in ("dev", "test"):
        rows = [s for s in scored if s["split"] == split]
        labels = [bool(s["label"]) for s in rows]
        results[split] = {
            "stadsvraag": metrics(labels, [s["score"] >= similarity.THRESHOLD for s in rows]),
            "text_only_baseline": {"threshold": base_t, **metrics(labels, [s["tfidf"] >= base_t for s in rows])},
            "by_kind": {kind: metrics([bool(s["label"]) for s in rows if s["kind"] == kind],
                                      [s["score"] >= similarity.THRESHOLD for s in rows if s["kind"] == kind])
                        for kind in sorted({s["kind"] for s in rows})},
        }
    results["machine"] = f"{platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, Python {platform.python_version()}"
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["pairs"] = scored
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "similarity.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    lines = ["# Similar-question linking: precision and recall", "",
             f"`python bench/similarity.py` on {results['machine']}; {len(scored)} labelled pairs "
             f"(bench/data/similarity_pairs.yml), threshold {similarity.THRESHOLD} chosen on dev.", "",
             "| split | method | pairs | similar | precision | recall | F1 |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for split in ("dev", "test"):
        block = results[split]
        assert isinstance(block, dict)
        for name in ("stadsvraag", "text_only_baseline"):
            m = block[name]
            lines.append(f"| {split} | {name.replace('_', ' ')} | {m['pairs']} | {m['similar']} | {m['precision']} | "
                         f"{m['recall']} | {m['f1']} |")
    lines += ["", "Per kind of pair (test half; for not-similar kinds only false positives count):", "",
              "| kind | pairs | tp | fp | fn |", "| --- | --- | --- | --- | --- |"]
    test_block = results["test"]
    assert isinstance(test_block, dict)
    for kind, m in test_block["by_kind"].items():
        lines.append(f"| {kind} | {m['pairs']} | {m['tp']} | {m['fp']} | {m['fn']} |")
    (OUT / "similarity.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
