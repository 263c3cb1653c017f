"""`stadsvraag structure`: one JSON object per input line, in order, for text or JSON input."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

from bot.structuring.structure import structure, structure_many
from bot.structuring.theme_model import get_classifier
from bot.structuring.themes import theme_ids

STADSVRAAG = str(Path(sys.executable).parent / "stadsvraag")


def test_structures_a_dutch_question() -> None:
    result = structure("In de Kooi zijn veel ouderen eenzaam. Het is best dringend, graag dit semester nog.")
    assert result["language"] == "nl"
    assert result["theme"] in theme_ids() and result["themes"][0] == result["theme"]
    assert 0.0 <= result["theme_confidence"] <= 1.0
    assert result["neighbourhood"] == {"code": "BU05460302", "name": "De Kooi", "district_code": "WK054603",
                                       "district_name": "Leiden-Noord"}
    assert (result["urgency"], result["timeframe"]) == ("high", "this_semester")


def test_district_only_and_no_place() -> None:
    assert structure("Too many shared scooters on the pavements in the Stevenshof")["neighbourhood"]["code"] == "WK054609"
    assert structure("Parking near the station is a mess")["neighbourhood"] is None
    amb = structure("In Pancras hangen 's avonds jongeren rond")["neighbourhood"]
    assert amb["code"] == "WK054601"  # both Pancras neighbourhoods lie in Binnenstad-Noord


def test_obvious_questions_get_the_obvious_theme() -> None:
    clf = get_classifier()
    cases = {
        "Er zijn te weinig fietsenstallingen bij het station en fietsen staan overal": "mobility",
        "How can we help families with debts and children growing up in poverty?": "poverty_livelihood",
        "Jongeren plegen inbraken en dealen drugs bij het winkelcentrum, mensen voelen zich onveilig": "safety",
        "We want to record the history of our old monuments and the museum collections": "heritage_collections",
    }
    for text, theme in cases.items():
        assert theme in clf.predict(text).top3, (text, clf.predict(text))


def test_cli_keeps_order_and_accepts_json_lines(tmp_path: Path) -> None:
    lines = [
        "Er ligt veel zwerfafval in de Merenwijk",
        json.dumps({"text": "Lonely elderly people in Leiden-Noord, it is urgent", "id": 7}),
        "",
        "{not json",
        "<script>alert(1)</script> 😀 '; DROP TABLE x; --",
        json.dumps({"text": 42}),
    ]
    done = subprocess.run([STADSVRAAG, "structure"], input="\n".join(lines) + "\n", capture_output=True, text=True,
                          check=True)
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) == len(lines)
    assert rows[0]["neighbourhood"]["code"] == "WK054608"
    assert rows[1]["language"] == "en" and rows[1]["urgency"] == "high" and rows[1]["neighbourhood"]["code"] == "WK054603"
    assert rows[2]["neighbourhood"] is None and rows[2]["urgency"] is None
    for row in rows:
        assert set(row) == {"language", "theme", "theme_confidence", "themes", "neighbourhood", "urgency", "timeframe"}
        assert row["language"] in ("nl", "en") and row["theme"] in theme_ids()


def test_cli_structures_a_spreadsheet(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    with open(src, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["id", "text"])
        w.writeheader()
        w.writerow({"id": "1", "text": "Hittestress in onze stenige straat in Transvaal"})
        w.writerow({"id": "2", "text": "Student nuisance in the Vogelwijk, no rush"})
    subprocess.run([STADSVRAAG, "structure", "--csv", str(src), str(dst)], check=True, capture_output=True)
    with open(dst, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["id"] for r in rows] == ["1", "2"]
    assert rows[0]["neighbourhood_code"] == "BU05460600" and rows[1]["urgency"] == "low"


def test_many_at_once_equals_one_by_one() -> None:
    texts = ["Er ligt veel zwerfafval in de Merenwijk", "Parking near the station"]
    assert structure_many(texts) == [structure(t) for t in texts]
