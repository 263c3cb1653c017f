"""Suggestion quality: top-3 hit rate of the matching service's ranked slots on a labelled set.

Usage: .venv/bin/python bench/suggestions.py  -> bench/results/suggestions.json and suggestions.md

Data: bench/data/aanbod_labels.yml (real published city questions from bench/data/real_questions/, each with the
slots of the example catalogue a broker judged suitable; split dev / test) and data/reference/aanbod_example.csv
(the shipped example catalogue: 39 slots, most from real published course descriptions with their URL).

Each question goes through what the product does: the theme the theme classifier gives the text (as an intake
would have it), its language, no timeframe (the published questions have none), the needs read from its text
(bot/structuring/needs.py); `bot.matching.suggest.suggest`
ranks the catalogue as on the broker's page, on a fixed day (2026-06-01, when every example slot is still open,
so timing does not decide). A hit: one of the first three suggestions is among the suitable slots. In the same
run: the same with the labelled theme (a broker who corrected the theme), and a baseline that lists the slots of
the question's theme in catalogue order.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from bot.matching.catalogue import EXAMPLE, import_csv  # noqa: E402
from bot.matching.store import Question, Slot, sessions_for  # noqa: E402
from bot.matching.suggest import suggest  # noqa: E402
from bot.structuring.needs import infer as infer_needs  # noqa: E402
from bot.structuring.theme_model import get_classifier  # noqa: E402

DATA = ROOT / "bench" / "data" / "aanbod_labels.yml"
OUT = ROOT / "bench" / "results"
DAY = date(2026, 6, 1)


def main() -> int:
    started = time.perf_counter()
    items = yaml.safe_load(DATA.read_text(encoding="utf-8"))["items"]
    classifier = get_classifier()
    with tempfile.TemporaryDirectory() as tmp:
        sessions = sessions_for(f"sqlite:///{Path(tmp) / 'matching.db'}")
        with sessions.begin() as s:
            result = import_csv(s, EXAMPLE.read_text(encoding="utf-8"), example=True)
            assert result.ok, result.errors
        rows = []
        with sessions() as s:
            slots = list(s.scalars(select(Slot).order_by(Slot.code)))
            for n, item in enumerate(items):
                predicted = classifier.predict(item["text"]).theme
                row = {"question": item["question"], "split": item["split"], "language": item["language"],
                       "suitable": item["suitable"], "predicted_theme": predicted, "labelled_theme": item["theme"]}
                for name, theme in (("stadsvraag", predicted), ("labelled_theme", item["theme"])):
                    q = Question(intake_id=f"b{n}-{name}", match_id=f"b{n}-{name}", language=item["language"],
                                 theme=theme, urgency=None, timeframe=item.get("timeframe"), description=item["text"],
                                 needs=json.dumps(infer_needs(item["text"], item.get("timeframe"))))
                    top = [x.slot.code for x in suggest(s, q, DAY, limit=3)]
                    row[name] = top
                baseline = [sl.code for sl in slots if item["theme"] in sl.themes.split(";")][:3]
                row["theme_only_baseline"] = baseline
                rows.append(row)

    def hit_rate(split: str, key: str) -> dict[str, float | int]:
        chosen = [r for r in rows if r["split"] == split]
        hits = sum(1 for r in chosen if set(r[key]) & set(r["suitable"]))
        return {"questions": len(chosen), "hits": hits, "top3_hit_rate": round(hits / len(chosen), 3) if chosen else 0.0}

    results: dict[str, object] = {"day": DAY.isoformat(), "catalogue": str(EXAMPLE.relative_to(ROOT)), "slots": len(slots)}
    for split in ("dev", "test"):
        results[split] = {key: hit_rate(split, key) for key in ("stadsvraag", "labelled_theme", "theme_only_baseline")}
    results["machine"] = (f"{platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
                          f"Python {platform.python_version()}")
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["rows"] = rows
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "suggestions.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    lines = ["# Suggestion quality: top-3 hit rate", "",
             f"`python bench/suggestions.py` on {results['machine']}; {len(rows)} labelled questions "
             f"(bench/data/aanbod_labels.yml) against the {len(slots)} slots of the example catalogue, on {DAY}.", "",
             "| split | method | questions | hits | top-3 hit rate |", "| --- | --- | --- | --- | --- |"]
    names = {"stadsvraag": "Stadsvraag (theme from the classifier)", "labelled_theme": "Stadsvraag with the labelled theme",
             "theme_only_baseline": "baseline: first 3 slots of the labelled theme"}
    for split in ("dev", "test"):
        block = results[split]
        assert isinstance(block, dict)
        for key, name in names.items():
            m = block[key]
            lines.append(f"| {split} | {name} | {m['questions']} | {m['hits']} | {m['top3_hit_rate']} |")
    (OUT / "suggestions.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
