"""Size of the website chat widget (widget.js + widget.css), raw and gzipped, into bench/results/widget.json.

The browser test (tests/e2e/test_widget_browser.py) adds its timings to the same file through `record()`.
Usage: .venv/bin/python bench/widget_size.py
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "bot" / "web" / "static"
RESULTS = ROOT / "bench" / "results" / "widget.json"
FILES = ("widget.js", "widget.css")


def sizes() -> dict[str, Any]:
    out: dict[str, Any] = {}
    total_raw = total_gz = 0
    for name in FILES:
        raw = (STATIC / name).read_bytes()
        gz = len(gzip.compress(raw, compresslevel=9, mtime=0))
        out[name] = {"bytes": len(raw), "gzip_bytes": gz}
        total_raw += len(raw)
        total_gz += gz
    out["total"] = {"bytes": total_raw, "gzip_bytes": total_gz}
    return out


def record(**measurements: Any) -> dict[str, Any]:
    """Merge measurements (and the current sizes) into bench/results/widget.json; returns the whole file."""
    data: dict[str, Any] = {}
    if RESULTS.exists():
        try:
            data = json.loads(RESULTS.read_text())
        except ValueError:
            data = {}
    data.update(measurements)
    data["size"] = sizes()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return data


if __name__ == "__main__":
    result = record()
    for name, s in result["size"].items():
        print(f"{name:10} {s['bytes']:7d} bytes  {s['gzip_bytes']:6d} bytes gzipped")
