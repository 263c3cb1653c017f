"""A representative part of the conversation set (bench/conversations/*.yml) against the real product.

The simulated person answers whatever the bot asks (identified from domain.yml), so these tests follow the
conversation when its questions or their order change; they check that each intake ends as expected and
that the stored intake holds the fields a knowledge broker expects. The whole set: bench/conversation_set.py.
"""

from __future__ import annotations

import pytest

from bench.conversation_set import DOMAIN_PATH, Matcher, load_set, run_conversation, theme_labels

# Dutch and English; resident, organisation and neighbourhood worker; every consent refused once;
# a labelled worker message, an ambiguous place, a correction in the summary, a FAQ and a language switch.
SUBSET = [
    "nl-res-hangjongeren-stevenshof",     # nl resident, everything in the first message, anonymous
    "nl-res-pancras-ambigu",              # ambiguous place, button when offered
    "nl-res-correctie-buurt",             # correction in the summary, typo
    "nl-res-niet-bewaren-kooi",           # refuses storing: only the anonymous count
    "en-res-refuse-share-phone",          # en, keeps but does not share, phone number
    "en-res-faq-privacy",                 # en, FAQ before the contact question, landmark as place
    "nl-org-woningcorporatie-slaaghwijk",  # organisation, phone number
    "nl-worker-labelled-stevenshof",      # neighbourhood worker, labelled message, e-mail
    "nl-res-taalswitch-en",               # switches from Dutch to English mid-way
]


def test_conversation_set_is_valid() -> None:
    """Every file loads, ids are unique, themes and place codes exist, the subset is in the set."""
    entries = load_set()
    assert len(entries) >= 40
    assert sum(e.language == "en" for e in entries) >= 12
    assert set(SUBSET) <= {e.id for e in entries}


@pytest.fixture(scope="module")
def matcher(product) -> Matcher:  # type: ignore[no-untyped-def]
    return Matcher.from_sources([DOMAIN_PATH], product.stack.model)


@pytest.mark.e2e
@pytest.mark.parametrize("entry", load_set(only=SUBSET), ids=lambda e: e.id)
def test_conversation(entry, product, matcher) -> None:  # type: ignore[no-untyped-def]
    out = run_conversation(entry, product.rasa_url, matcher, product.sessions(), theme_labels())
    transcript = "\n".join(f"> {t['user']}\n" + "\n".join(f"  {b['response']}: {b['text'][:100]}" for b in t["bot"])
                           for t in out.transcript)
    assert out.completed, f"{entry.id} ended {out.ended} after {out.user_turns} messages: {out.failures}\n{transcript}"
    assert not out.mismatches, f"{entry.id}: stored fields differ from expect: {out.mismatches}\n{transcript}"
