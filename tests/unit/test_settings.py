"""The one settings object: it fails fast with a message naming the fix, and never shows a secret."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, HandoffSettings, Keys, Settings, WebSettings, hide_password


def test_handoff_settings_hide_both_secrets() -> None:
    settings = HandoffSettings(url="https://match.example/intakes", secret="whsec_c2VjcmV0LWRlbGl2ZXJ5",
                               after="approval", dashboard_url="http://localhost:8000/broker",
                               callback_secret="whsec_Y2FsbGJhY2stc2VjcmV0")
    shown = repr(settings)
    assert "https://match.example/intakes" in shown
    assert "c2VjcmV0LWRlbGl2ZXJ5" not in shown and "Y2FsbGJhY2stc2VjcmV0" not in shown


def test_settings_hide_the_passwords_in_their_urls() -> None:
    settings = Settings(database_url="postgresql://stadsvraag:geheim-pg@db:5432/stadsvraag", rasa_url="http://r:5005",
                        action_port=5055, rasa_port=5005, web_port=8000, web_host="0.0.0.0",
                        redis_url="redis://:geheim-redis@redis:6379/0")
    shown = repr(settings)
    assert "geheim" not in shown
    assert "postgresql://stadsvraag:***@db:5432/stadsvraag" in shown and "redis://:***@redis:6379/0" in shown
    assert settings.database_url.endswith("geheim-pg@db:5432/stadsvraag")  # the value itself is untouched


def test_hide_password_leaves_other_values_alone() -> None:
    assert hide_password("sqlite:///var/stadsvraag.db") == "sqlite:///var/stadsvraag.db"
    assert hide_password("http://127.0.0.1:5005") == "http://127.0.0.1:5005"
    assert hide_password(5005) == 5005


def test_section_secrets_stay_out_of_reprs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEB_SECRET_KEY", "geheim-web-sleutel")
    monkeypatch.setenv("ATTEMPTS_KEY", "geheim-pogingen")
    monkeypatch.setenv("WIDGET_ORIGINS", "https://www.leiden.nl/, https://gemeente.example")
    web, keys = WebSettings.from_env(), Keys.from_env()
    assert web.secret_key == "geheim-web-sleutel" and keys.attempts == b"geheim-pogingen"
    assert web.widget_origins == {"https://www.leiden.nl", "https://gemeente.example"}
    assert "geheim" not in repr(web) + repr(keys)


@pytest.mark.parametrize(("name", "value"), [
    ("RETENTION_TRANSCRIPT_DAYS", "28 dagen"), ("RETENTION_OPEN_DAYS", "twee jaar"), ("CHAT_LIMIT_PER_IP", "veel"),
    ("HANDOFF_TIMEOUT", "lang"), ("MATCHING_BACKEND_URL", "ftp://match.example"), ("WEB_PORT", "acht")])
def test_a_malformed_value_stops_start_up_naming_the_variable_and_the_fix(
        monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        Settings.from_env().check()
    assert name in str(caught.value) and "Fix" in str(caught.value)


def test_check_passes_on_the_embedded_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "MATCHING_BACKEND_URL", "MATCHING_BACKEND_SECRET", "RETENTION_TRANSCRIPT_DAYS"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings.from_env().check()
    assert settings.retention.transcript_days == 28 and settings.handoff.url is None
