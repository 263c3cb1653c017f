"""Urgency (low / normal / high) and a timeframe from what people write.

Students work in semesters, so a timeframe ("voor de zomer", "this semester")
matters to the matcher as much as the urgency itself.
"""

from __future__ import annotations

import re

from bot.structuring.text import fold

URGENCY_LEVELS = ("low", "normal", "high")

_CUES: dict[str, tuple[str, ...]] = {
    # checked in this order: negated forms before the plain words they contain
    "low": (
        "geen haast", "niet dringend", "niet zo dringend", "niet heel dringend", "niet urgent", "heeft geen haast",
        "geen spoed", "mag even duren", "geen deadline", "rustig aan", "laag", "lage urgentie", "no rush", "not urgent",
        "not very urgent", "not that urgent", "no hurry", "whenever", "no deadline", "low", "low priority",
        "takes time", "can wait", "kan wachten", "maakt niet uit wanneer", "in no hurry",
    ),
    "high": (
        "heel dringend", "erg dringend", "best dringend", "vrij dringend", "dringend", "urgent", "zo snel mogelijk",
        "zsm", "spoed", "met spoed", "haast", "hoog", "hoge urgentie", "asap", "as soon as possible", "very urgent",
        "quite urgent", "high", "high priority", "immediately", "meteen", "direct", "nu al", "acuut", "pressing",
    ),
    "normal": (
        "normaal", "gemiddeld", "beetje dringend", "redelijk", "normal", "medium", "average", "moderate",
        "somewhat urgent", "a bit urgent", "niet heel snel maar wel", "gewoon",
    ),
}

_MONTHS = (
    "januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december|"
    "january|february|march|may|june|july|august|october|"
    "jan|feb|mrt|apr|jun|jul|aug|sep|sept|okt|oct|nov|dec"
)
_TIMEFRAMES: list[tuple[re.Pattern[str], str | None]] = [
    (re.compile(r"\b(?:voor|vóór|uiterlijk|before|by)\s+(\d{1,2}\s+(?:" + _MONTHS + r")(?:\s+\d{4})?|\d{1,2}[-/]\d{1,2}(?:[-/]\d{2,4})?|(?:" + _MONTHS + r")(?:\s+\d{1,2}(?:st|nd|rd|th)?)?(?:\s+\d{4})?)", re.I), "before"),
    (re.compile(r"\b(dit semester|this semester)\b", re.I), "this_semester"),
    (re.compile(r"\b(volgend semester|next semester|komend semester)\b", re.I), "next_semester"),
    (re.compile(r"\b(dit jaar(?: nog)?|this year|later this year|sometime this year)\b", re.I), "this_year"),
    (re.compile(r"\b(volgend jaar|next year)\b", re.I), "next_year"),
    (re.compile(r"\b(voor de zomer|voor de zomervakantie|before (?:the )?summer)\b", re.I), "before_summer"),
    (re.compile(r"\b(geen deadline|no deadline|maakt niet uit wanneer|whenever)\b", re.I), "no_deadline"),
]


# "not really urgent", "niet zo heel dringend", "no big rush" (also with a typo between): low
_NEGATED = re.compile(r"\b(?:not|niet|geen|no|nt)\s+(?:[a-z]+\s+){0,2}(?:urgent|dringend|haast|rush|hurry|spoed)\b")


def parse_urgency(text: str) -> str | None:
    """The urgency a text expresses, or None when it says nothing about it."""
    if _NEGATED.search(fold(text)):
        return "low"
    padded = f" {fold(text)} "
    for level in ("low", "high", "normal"):
        for cue in _CUES[level]:
            if f" {fold(cue)} " in padded:
                return level
    return None


def parse_timeframe(text: str) -> str | None:
    """A short normalised timeframe: 'before 1 maart', 'this_semester', 'no_deadline', ..."""
    for pattern, kind in _TIMEFRAMES:
        m = pattern.search(text)
        if m:
            if kind == "before":
                return f"before {m.group(1).strip()}"[:120]
            return kind
    return None
