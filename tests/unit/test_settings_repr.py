"""Settings objects never show a secret when they are printed or logged."""

from __future__ import annotations

from bot.config import Settings, hide_password
from bot.handoff.outbox import HandoffSettings


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
