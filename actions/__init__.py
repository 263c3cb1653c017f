"""Rasa SDK custom actions. They orchestrate; the logic lives in `bot`."""
