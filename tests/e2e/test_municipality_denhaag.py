"""Den Haag by data alone: the same code and model with MUNICIPALITY=denhaag, through the real servers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.runtime.runner import Stack
from bot.runtime.training import train_if_stale
from bot.storage.models import Intake
from tests.e2e.conftest import Running, free_port
from tests.e2e.test_conversation import answer_theme_if_asked, said, texts

pytestmark = pytest.mark.e2e
PARTNER = "Universiteit Leiden (Campus Den Haag)"  # a Den Haag partner; no other "Leiden" may be said


def names_leiden(text: str) -> bool:
    return "Leiden" in text.replace(PARTNER, "")


@pytest.fixture(scope="module")
def haag(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    tmp: Path = tmp_path_factory.mktemp("denhaag")
    port = free_port()
    settings = Settings(database_url=f"sqlite:///{tmp / 'denhaag.db'}", rasa_url=f"http://127.0.0.1:{port}",
                        action_port=free_port(), rasa_port=port, web_port=free_port(), web_host="127.0.0.1")
    stack = Stack(settings, train_if_stale(), log_dir=tmp / "log", extra_env={"MUNICIPALITY": "denhaag"})
    before = os.environ.get("MUNICIPALITY")
    os.environ["MUNICIPALITY"] = "denhaag"  # so `said` renders the responses as Den Haag's
    stack.start()
    try:
        yield Running(stack, settings)
    finally:
        stack.stop()
        if before is None:
            os.environ.pop("MUNICIPALITY", None)
        else:
            os.environ["MUNICIPALITY"] = before


def test_den_haag_greets_as_its_own_programme_and_stores_a_haagse_place(haag: Running) -> None:
    chat = haag.chat()
    out = chat.say("hallo")
    assert said(out, "utter_greet", "nl"), out
    greeting = texts(out)[0]
    assert "Kennis Maken Den Haag" in greeting and "Den Haag" in greeting and "Leiden" not in greeting
    out = chat.say("Er ligt heel veel zwerfafval in de Schilderswijk, geen haast, ik woon er")
    out = answer_theme_if_asked(chat, out, "sustainability_biodiversity")
    assert said(out, "utter_ask_consent", "nl"), out
    summary = " ".join(texts(out))
    assert "Schildersbuurt" in summary and "De Haagse Hogeschool" in summary and not names_leiden(summary)
    out = chat.say("ja")
    out = chat.say("nee, liever niet")  # no contact
    reference = next(t for t in texts(out) if "Je nummer is " in t).split("Je nummer is ")[1].split(".")[0]
    with haag.sessions()() as s:
        intake = s.scalars(select(Intake).where(Intake.reference == reference)).one()
        assert (intake.neighbourhood_kind, intake.neighbourhood_code) == ("district", "WK051829")


def test_a_leiden_place_is_outside_den_haag_and_buttons_name_den_haag(haag: Running) -> None:
    chat = haag.chat()
    chat.say("hallo")
    out = chat.say("In de Merenwijk is het 's avonds erg donker op straat")
    for _ in range(3):  # answer what is asked until the place question or the summary comes
        joined = " ".join(texts(out))
        if "buiten Den Haag" in joined or "Wie vraagt" in joined:
            break
        out = answer_theme_if_asked(chat, out, "safety")
        if out and not ("buiten Den Haag" in " ".join(texts(out)) or "Wie vraagt" in " ".join(texts(out))):
            out = chat.say("geen haast, ik woon er")
    titles = [b["title"] for m in out for b in m.get("buttons", [])]
    joined = " ".join(texts(out))
    assert "buiten Den Haag" in joined or "Heel Den Haag" in titles or "Buiten Den Haag" in titles, out
    assert not names_leiden(joined) and not any(names_leiden(t) for t in titles)
