"""An NLU step after DIET: an intent the words of the message cannot carry is replaced by the next likely one.

DIET learns from character n-grams, so a short unknown word can land on a far-off intent: an organisation called
"Portaal" was read as "switch the language", and the form asked its question again and again; "hoe staat het met
de plannen voor het park?" was read as a status question about a stored question. A few intents
need a word that says them; when it is missing, the next intent in the ranking that fits is taken (with its own
confidence, so the fallback threshold still applies). The checks live in the rooms that own the words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.conversation.answers import is_status_question
from bot.structuring.language import names_a_language

NEEDS: dict[str, Callable[[str], bool]] = {"switch_language": names_a_language, "ask_status": is_status_question}


def fits(intent: str | None, text: str) -> bool:
    check = NEEDS.get(intent or "")
    return check is None or check(text)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class IntentGuard(GraphComponent):
    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> IntentGuard:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get("text") or ""
            intent = message.get("intent") or {}
            if fits(intent.get("name"), text):
                continue
            ranking = [r for r in message.get("intent_ranking") or [] if fits(r.get("name"), text)]
            if ranking:
                message.set("intent", ranking[0], add_to_output=True)
                message.set("intent_ranking", ranking, add_to_output=True)
        return messages
