"""Property-based fuzzing of the structuring code (FUZZ_STRUCTURE_EXAMPLES, default 3,000 messages).

The REST channel is fuzzed in tests/e2e/test_fuzz_rest.py against the real servers.
"""

from __future__ import annotations

import os

from hypothesis import given, settings

from bot.structuring.structure import structure
from bot.structuring.themes import theme_ids
from tests.fuzz.strategies import messages

STRUCTURE_EXAMPLES = int(os.environ.get("FUZZ_STRUCTURE_EXAMPLES", 3000))
COUNTS = {"structure": 0}


@settings(max_examples=STRUCTURE_EXAMPLES, deadline=None, database=None)
@given(text=messages)
def test_structure_never_crashes_and_answers_in_shape(text: str) -> None:
    result = structure(text)
    COUNTS["structure"] += 1
    assert result["language"] in ("nl", "en") and result["theme"] in theme_ids()
    assert 0.0 <= result["theme_confidence"] <= 1.0
    assert result["urgency"] in (None, "low", "normal", "high")
    place = result["neighbourhood"]
    assert place is None or place["code"].startswith(("BU0546", "WK0546", "GM0546"))
