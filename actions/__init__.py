"""Rasa SDK custom actions. They orchestrate; the logic lives in `bot`."""

from bot.structuring.structure import warm_up

warm_up()  # rasa_sdk imports this package once at start-up: the models load before the first turn
