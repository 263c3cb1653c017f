from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from bot.config import Settings
from bot.review.users import create_user
from bot.storage.db import session_factory
from bot.storage.intakes import IntakeDraft, submit_intake
from bot.web.app import create_app

PASSWORD = "correct horse battery"
XSS = '<script>window.__xss = 1</script><img src=x onerror="window.__xss=2"> <a href="javascript:alert(1)">klik</a>'


@pytest.fixture
def app(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("MATCHING_BACKEND_URL", raising=False)
    monkeypatch.setenv("MATCHING_DATABASE_URL", f"sqlite:///{tmp_path / 'matching.db'}")  # the matching pages' own
    monkeypatch.delenv("MATCHING_BACKEND_SECRET", raising=False)
    sessions = session_factory(database_url)
    with sessions.begin() as s:
        create_user(s, "bea", PASSWORD, "broker")
        create_user(s, "ada", PASSWORD, "admin")
        for i, (theme, code, lang) in enumerate([("safety", "BU05460302", "nl"), ("mobility", "WK054608", "en"),
                                                 ("health_wellbeing", None, "nl")]):
            submit_intake(s, IntakeDraft(language=lang, description=f"Vraag {i} over de buurt en de mensen",
                                         theme=theme, theme_confidence=0.9 if i else 0.3,
                                         neighbourhood_kind="neighbourhood" if code else "unresolved",
                                         neighbourhood_code=code, neighbourhood_text=None if code else "Blauwe Buurt",
                                         district_code="WK054603" if code == "BU05460302" else code,
                                         urgency="high", sender_id=f"s{i}"))
        submit_intake(s, IntakeDraft(language="nl", description=XSS, theme="other", sender_id="xss"))
    return create_app(Settings(database_url=database_url, rasa_url="http://127.0.0.1:9", action_port=0, rasa_port=0,
                               web_port=0, web_host="127.0.0.1"))


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field on the page"
    return m.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get("/broker/login").text)
    return client.post("/broker/login", data={"username": username, "password": password, "csrf": token},
                       follow_redirects=False)


@pytest.fixture
def anonymous(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        yield c


@pytest.fixture
def broker_client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        assert sign_in(c, "bea").status_code == 303
        yield c


@pytest.fixture
def admin_client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        assert sign_in(c, "ada").status_code == 303
        yield c
