from pathlib import Path

import yaml

from bot.config import ROOT
from bot.credentials import active_channels, write_runtime_credentials

TELEGRAM = "bot.channels.StadsvraagTelegramInput"
TWILIO = "bot.channels.StadsvraagTwilioInput"


def test_channels_without_their_variables_are_switched_off() -> None:
    assert list(active_channels(ROOT / "credentials.yml", {})) == ["rest"]
    env = {"TELEGRAM_TOKEN": "t", "TELEGRAM_BOT_USERNAME": "b", "TELEGRAM_WEBHOOK_URL": "https://x"}
    assert list(active_channels(ROOT / "credentials.yml", env)) == ["rest", TELEGRAM]
    env.update({"TWILIO_ACCOUNT_SID": "a", "TWILIO_AUTH_TOKEN": "b", "TWILIO_NUMBER": "whatsapp:+1"})
    assert TWILIO not in active_channels(ROOT / "credentials.yml", env)  # TWILIO_WEBHOOK_URL still missing


def test_the_runtime_file_keeps_secrets_as_placeholders(tmp_path: Path) -> None:
    env = {"TELEGRAM_TOKEN": "secret-token", "TELEGRAM_BOT_USERNAME": "b", "TELEGRAM_WEBHOOK_URL": "https://x"}
    target = tmp_path / "c.yml"
    write_runtime_credentials(ROOT / "credentials.yml", target, env)
    text = target.read_text()
    assert "secret-token" not in text and "${TELEGRAM_TOKEN}" in text
    assert yaml.safe_load(text)[TELEGRAM]["api_url"] == ""
