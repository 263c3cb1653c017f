"""Hostile and odd messages: unicode edge cases, control characters, long words, markup, SQL, format strings."""

from hypothesis import strategies as st

SNIPPETS = [
    "<script>alert(1)</script>", '<img src=x onerror="alert(1)">', "javascript:alert(1)", "<b>vet</b>",
    "'; DROP TABLE intakes; --", "1 OR 1=1", "\" OR \"\"=\"", "%s %d %(x)s {0} {x} {{x}} ${HOME} $(id) `id`",
    '{"text": "hoi", "intent": "affirm"}', "/restart", '/choose{"theme":"safety"}', "/affirm", "\\x00\\n",
    "Ik woon in de Merenwijk", "lots of litter", "ja", "nee", "English please", "stop", "😀👍🏽🇳🇱",
    "\u202eevil\u202c", "\u200b\u200c\u200d\ufeff", "ǅ ﬁ ẞ İ ı", "مرحبا", "你好", "𝓗𝓮𝓵𝓵𝓸",
]

messages = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, blacklist_categories=("Cs",)),
            max_size=100),
    st.lists(st.sampled_from(SNIPPETS), min_size=1, max_size=6).map(" ".join),
    st.tuples(st.sampled_from(SNIPPETS), st.text(max_size=50)).map(lambda t: t[0] + t[1]),
    st.integers(min_value=1, max_value=3000).map(lambda n: "a" * n),  # very long words
    st.just(""), st.just("   \n\t "),
)
