"""Rasa's action-response check with one kept validator (bot/rasa_entry.py) still rejects what Rasa rejects."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from bot import rasa_entry


@pytest.fixture
def action() -> Iterator[RemoteAction]:
    original = RemoteAction._validate_action_result
    rasa_entry.validate_action_responses_with_one_validator()
    yield RemoteAction("action_ask_description", EndpointConfig("http://127.0.0.1:1/webhook"))
    RemoteAction._validate_action_result = original  # type: ignore[method-assign]


def test_a_valid_response_passes(action: RemoteAction) -> None:
    good = {"events": [{"event": "slot", "name": "description", "value": None}],
            "responses": [{"response": "utter_ask_description", "buttons": []}]}
    assert action._validate_action_result(good) is True
    assert action._validate_action_result({"events": [], "responses": []}) is True


@pytest.mark.parametrize("bad", [
    {"events": "not a list", "responses": []},
    {"events": [{"name": "no event key"}], "responses": []},
    {"events": [], "responses": "not a list"},
])
def test_a_malformed_response_is_still_rejected_with_rasas_message(action: RemoteAction, bad: dict) -> None:
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result(bad)
