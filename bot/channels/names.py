"""The channel an intake came in through, as stored on it."""

from __future__ import annotations


def channel_name(input_channel: str | None, sender_id: str | None) -> str:
    """The channel stored on the intake; WhatsApp arrives through Twilio as whatsapp:+31..."""
    if input_channel == "twilio" and (sender_id or "").startswith("whatsapp:"):
        return "whatsapp"
    return input_channel or "rest"
