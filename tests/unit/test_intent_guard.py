"""The NLU step after DIET: an intent the words cannot carry gives way to the next likely one."""

from __future__ import annotations

from rasa.shared.nlu.training_data.message import Message

from bot.runtime.intent_guard import IntentGuard


def classified(text: str, ranking: list[tuple[str, float]]) -> Message:
    message = Message(data={"text": text})
    message.set("intent", {"name": ranking[0][0], "confidence": ranking[0][1]})
    message.set("intent_ranking", [{"name": n, "confidence": c} for n, c in ranking])
    return message


def test_an_organisation_name_is_no_language_switch() -> None:
    (message,) = IntentGuard().process([classified("Portaal", [("switch_language", 0.61), ("inform", 0.3),
                                                                ("greet", 0.09)])])
    assert message.get("intent") == {"name": "inform", "confidence": 0.3}
    assert [r["name"] for r in message.get("intent_ranking")] == ["inform", "greet"]


def test_english_allowed_for_the_students_is_no_switch() -> None:
    from bot.structuring.language import explicit_request

    text = "ja, wij kunnen begeleiden en Engels is prima"
    (message,) = IntentGuard().process([classified(text, [("switch_language", 0.7), ("inform", 0.25)])])
    assert message.get("intent")["name"] == "inform" and explicit_request(text) is None


def test_a_real_request_to_switch_stays() -> None:
    for text in ("English please", "kan het in een andere taal?", "Nederlands graag", "do you speak Dutch"):
        (message,) = IntentGuard().process([classified(text, [("switch_language", 0.9), ("inform", 0.1)])])
        assert message.get("intent")["name"] == "switch_language", text


def test_other_intents_pass_untouched() -> None:
    (message,) = IntentGuard().process([classified("LS-2026-000123", [("ask_status", 0.8), ("inform", 0.2)])])
    assert message.get("intent") == {"name": "ask_status", "confidence": 0.8}


def test_a_question_about_the_city_is_no_status_question() -> None:
    text = "hoe staat het met de plannen voor het park in de Merenwijk?"
    (message,) = IntentGuard().process([classified(text, [("ask_status", 0.45), ("describe_problem", 0.4)])])
    assert message.get("intent")["name"] == "describe_problem"
    for own in ("Hoe staat het met mijn vraag?", "status LS-2026-000123", "status van m'n vraag",
                "any update on my question?", "ik heb een vraag gesteld, is daar al iets mee gedaan?"):
        (message,) = IntentGuard().process([classified(own, [("ask_status", 0.9), ("inform", 0.1)])])
        assert message.get("intent")["name"] == "ask_status", own


def test_every_training_example_of_a_guarded_intent_passes_its_guard() -> None:
    """The guard and the training data agree: no example DIET learns from would be set aside."""
    import yaml

    from bot.config import ROOT
    from bot.runtime.intent_guard import NEEDS

    for path in sorted((ROOT / "data" / "nlu").rglob("*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            check = NEEDS.get(item.get("intent", ""))
            if check is None:
                continue
            for line in item["examples"].splitlines():
                example = line.strip().removeprefix("- ").strip()
                assert not example or check(example), f"{path.name}: {example!r}"
