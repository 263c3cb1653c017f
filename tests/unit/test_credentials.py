from pathlib import Path

import pytest
import yaml

from bot.channels.credentials import active_channels, write_runtime_credentials
from bot.config import ROOT, ConfigError

TELEGRAM = "bot.channels.messaging.StadsvraagTelegramInput"
TWILIO = "bot.channels.messaging.StadsvraagTwilioInput"
SECRET_TOKEN = "s3cret-Token_" + "x" * 30


def test_channels_without_their_variables_are_switched_off() -> None:
    assert list(active_channels(ROOT / "credentials.yml", {})) == ["rest"]
    env = {"TELEGRAM_TOKEN": "t", "TELEGRAM_BOT_USERNAME": "b", "TELEGRAM_WEBHOOK_URL": "https://x",
           "TELEGRAM_SECRET_TOKEN": SECRET_TOKEN}
    assert list(active_channels(ROOT / "credentials.yml", env)) == ["rest", TELEGRAM]
    env.update({"TWILIO_ACCOUNT_SID": "a", "TWILIO_AUTH_TOKEN": "b", "TWILIO_NUMBER": "whatsapp:+1"})
    assert TWILIO not in active_channels(ROOT / "credentials.yml", env)  # TWILIO_WEBHOOK_URL still missing


def test_the_runtime_file_keeps_secrets_as_placeholders(tmp_path: Path) -> None:
    env = {"TELEGRAM_TOKEN": "secret-token", "TELEGRAM_BOT_USERNAME": "b", "TELEGRAM_WEBHOOK_URL": "https://x",
           "TELEGRAM_SECRET_TOKEN": SECRET_TOKEN}
    target = tmp_path / "c.yml"
    write_runtime_credentials(ROOT / "credentials.yml", target, env)
    text = target.read_text()
    assert "secret-token" not in text and "${TELEGRAM_TOKEN}" in text
    assert SECRET_TOKEN not in text and "${TELEGRAM_SECRET_TOKEN}" in text
    assert yaml.safe_load(text)[TELEGRAM]["api_url"] == ""


@pytest.mark.parametrize("secret_token, message", [
    (None, "Telegram is configured without TELEGRAM_SECRET_TOKEN"),
    ("short", "TELEGRAM_SECRET_TOKEN is too short or has characters Telegram does not allow"),
    ("has spaces and ! in it, which Telegram refuses", "characters Telegram does not allow"),
])
def test_telegram_without_a_good_webhook_secret_stops_the_start(tmp_path: Path, secret_token: str | None,
                                                                message: str) -> None:
    """Switching Telegram off silently would hide the mistake; running it would accept forged updates."""
    env = {"TELEGRAM_TOKEN": "t", "TELEGRAM_BOT_USERNAME": "b", "TELEGRAM_WEBHOOK_URL": "https://x"}
    if secret_token is not None:
        env["TELEGRAM_SECRET_TOKEN"] = secret_token
    with pytest.raises(ConfigError, match=message) as err:
        write_runtime_credentials(ROOT / "credentials.yml", tmp_path / "c.yml", env)
    assert "Fix: set TELEGRAM_SECRET_TOKEN" in str(err.value)
    assert not (tmp_path / "c.yml").exists()


def test_the_secret_alone_does_not_switch_telegram_on() -> None:
    assert list(active_channels(ROOT / "credentials.yml", {"TELEGRAM_SECRET_TOKEN": SECRET_TOKEN})) == ["rest"]


def test_stadsvraag_credentials_names_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    for var, value in {"TELEGRAM_TOKEN": "t", "TELEGRAM_BOT_USERNAME": "b", "TELEGRAM_WEBHOOK_URL": "https://x"}.items():
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("TELEGRAM_SECRET_TOKEN", raising=False)
    assert main(["credentials", "--out", str(tmp_path / "c.yml")]) == 2
    assert "Fix: set TELEGRAM_SECRET_TOKEN" in capsys.readouterr().err
