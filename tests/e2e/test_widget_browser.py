"""The website chat widget in a real browser (Debian's Chromium) against the real product: web app, Rasa, actions.

Keyboard-only Dutch intake, resume after a reload, bot text shown as text, connection states, axe, screenshots
and the time from page load to the first bot message.
"""

from __future__ import annotations

import re
import shutil
import sys
import time
from pathlib import Path

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from bot.storage.models import Intake
from bot.web.widget import TOKEN_SALT
from tests.browser.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, serious_violations

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import widget_size  # noqa: E402

pytestmark = pytest.mark.browser

WIDGET = "#stadsvraag-widget"
DESCRIPTION = "Ik woon in de Merenwijk en maak me zorgen over eenzame ouderen, het is best dringend"
HOSTILE = ("Ik woon in de Merenwijk en er ligt veel zwerfafval bij de speeltuin, het is best dringend "
           "<b>vet</b> <script>window.__x=1</script>")


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing. Fix: run scripts/ensure-browser.sh (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


# --- helpers --------------------------------------------------------------------------------------------------

def focused(page) -> dict:  # type: ignore[no-untyped-def]
    """What has the keyboard focus inside the widget's shadow root (or on the page)."""
    return page.evaluate("""() => {
        const host = document.getElementById('stadsvraag-widget');
        const a = document.activeElement === host ? host.shadowRoot.activeElement : document.activeElement;
        return a ? {id: a.id || '', cls: a.className || '', text: (a.textContent || '').trim(), tag: a.tagName}
                 : {};
    }""")


def bot_texts(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.locator(f"{WIDGET} .sv-bot .sv-text").all_inner_texts()


def user_texts(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.locator(f"{WIDGET} .sv-user .sv-text").all_inner_texts()


def wait_for_reply(page, before: int) -> list[str]:  # type: ignore[no-untyped-def]
    page.wait_for_function("""(n) => {
        const root = document.getElementById('stadsvraag-widget').shadowRoot;
        return root.querySelectorAll('.sv-bot').length > n && root.querySelector('.sv-typing').hidden;
    }""", arg=before, timeout=60_000)
    return bot_texts(page)[before:]


def say(page, text: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Type into the focused input and press Enter; the bot's new messages."""
    assert focused(page)["id"] == "sv-input", focused(page)
    before = len(bot_texts(page))
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    out = wait_for_reply(page, before)
    assert focused(page)["id"] == "sv-input", "focus goes back to the input after a reply"
    return out


def choose(page, title: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Reach an answer button from the input with Shift+Tab only and press Enter."""
    assert focused(page)["id"] == "sv-input"
    before = len(bot_texts(page))
    for _ in range(15):
        page.keyboard.press("Shift+Tab")
        if focused(page).get("text") == title:
            break
    else:
        pytest.fail(f"no button {title!r} reachable with the keyboard")
    page.keyboard.press("Enter")
    return wait_for_reply(page, before)


def open_with_keyboard(page) -> None:  # type: ignore[no-untyped-def]
    for _ in range(10):
        page.keyboard.press("Tab")
        if "sv-launcher" in focused(page).get("cls", ""):
            break
    else:
        pytest.fail("the launcher is not reachable with Tab")
    page.keyboard.press("Enter")
    assert page.locator(f"{WIDGET} [role=dialog]").is_visible()
    assert focused(page)["id"] == "sv-input", "focus moves to the input when the widget opens"


def conversation_id(page) -> str:  # type: ignore[no-untyped-def]
    from bot.web.security import web_secret_key

    token = page.evaluate("""() => Object.keys(sessionStorage).filter(k => k.endsWith(':token'))
                                  .map(k => sessionStorage.getItem(k))[0]""")
    assert token, "the token is kept in sessionStorage"
    return URLSafeTimedSerializer(web_secret_key(), salt=TOKEN_SALT).loads(token)


def answer_until_summary(page, out: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
    """Answer whatever the assistant asks (Dutch) until it shows the summary with the consent question."""
    for _ in range(12):
        last = out[-1]
        if last.startswith("Klopt dit? Mogen we je vraag dan bewaren en delen"):
            return out
        if last.startswith("Over welk onderwerp"):
            out = say(page, "gezondheid")
        elif last.startswith("Nog een paar korte vragen"):
            out = say(page, "Merenwijk, het is dringend, ik woon er")
        elif last.startswith("In welke buurt"):
            out = say(page, "Merenwijk")
        elif last.startswith("Hoe dringend"):
            out = say(page, "het is dringend")
        elif last.startswith("Wie stelt de vraag"):
            out = choose(page, "Ik ben bewoner")
        elif last.startswith("Mogen we contact"):
            out = choose(page, "Anoniem blijven")
        else:
            pytest.fail(f"unexpected question: {last!r}")
    pytest.fail("no summary after 12 turns")


# --- tests ----------------------------------------------------------------------------------------------------

def test_keyboard_only_dutch_intake_on_the_demo_page(browser, product) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="nl-NL")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(product.web_url + "/")
    page.wait_for_selector(f"{WIDGET} .sv-launcher", state="visible")
    assert page.locator("h1").inner_text() == "Leren met de Stad"
    assert page.locator(f"{WIDGET} .sv-launcher").inner_text() == "Stel je vraag"

    open_with_keyboard(page)
    sent_at = page.evaluate("performance.now()")
    out = say(page, "hallo")
    marks = page.evaluate("""() => Object.fromEntries(performance.getEntriesByType('mark')
                                   .map(m => [m.name, m.startTime]))""")
    assert any(t.startswith("Hallo! Ik ben Stadsvraag") for t in out), out
    assert out[-1] == "Wat is je vraag of probleem? Vertel het in je eigen woorden.", out

    out = say(page, DESCRIPTION)
    if out[-1].startswith("Over welk onderwerp"):  # a theme the model is not sure of is asked with buttons
        out = say(page, "gezondheid")
    if out[-1].startswith("Wie stelt de vraag"):
        out = choose(page, "Ik ben bewoner")
        assert user_texts(page)[-1] == "Ik ben bewoner"  # the title is shown, not the payload
    # the summary comes with the question whether we may keep and share it
    assert out[-1].startswith("Klopt dit? Mogen we je vraag dan bewaren en delen?"), out
    summary = out[-2]
    assert summary.startswith("Dit heb ik genoteerd") and DESCRIPTION in summary, out
    assert "\n• Onderwerp: Gezondheid & welzijn" in summary  # line breaks are kept
    assert page.locator(f"{WIDGET} .sv-bot").last.get_by_role("button").all_inner_texts() == \
        ["Ja, bewaren en delen", "Alleen bewaren, niet delen", "Nee, niet bewaren", "Iets veranderen"]
    assert errors == [], errors  # nothing failed, nothing blocked by the page's CSP
    assert serious_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "widget-desktop.png"))
    out = choose(page, "Ja, bewaren en delen")
    assert out[-1].startswith("Mogen we contact met je opnemen"), out
    assert page.locator(f"{WIDGET} .sv-choice:disabled").count() >= 4  # the earlier choice is over
    out = say(page, "nee hoor")  # no contact: stored anonymously
    assert out[0].startswith("Dank je wel! Je vraag is opgeslagen."), out
    reference = re.search(r"LS-\d{4}-\d{6}", out[0])
    assert reference and page.get_by_text(reference.group(0)).is_visible()

    with product.sessions()() as s:
        intake = s.scalars(select(Intake).where(Intake.reference == reference.group(0))).one()
        assert intake.sender_id == conversation_id(page)  # the server-issued id inside the token
        assert intake.description == DESCRIPTION and intake.theme == "health_wellbeing"
        assert (intake.language, intake.channel, intake.asker_role) == ("nl", "rest", "resident")
        assert intake.urgency == "high" and intake.neighbourhood_code == "WK054608"
        assert intake.consent_contact is False

    page.keyboard.press("Escape")
    assert page.locator(f"{WIDGET} [role=dialog]").is_hidden()
    assert "sv-launcher" in focused(page)["cls"], "focus returns to the launcher"
    assert page.locator(f"{WIDGET} .sv-launcher").get_attribute("aria-expanded") == "false"

    timings = {"widget_ready_ms": round(marks["stadsvraag:ready"]),
               "first_bot_message_ms": round(marks["stadsvraag:first-bot-message"]),
               "first_reply_ms": round(marks["stadsvraag:first-bot-message"] - sent_at)}
    result = widget_size.record(timings=timings, measured_at=time.strftime("%Y-%m-%dT%H:%M:%S"))
    print(f"\nwidget: ready {timings['widget_ready_ms']} ms after navigation start; first bot message "
          f"{timings['first_bot_message_ms']} ms after navigation start (keyboard: Tab to the launcher, Enter, "
          f"type 'hallo', Enter), of which {timings['first_reply_ms']} ms from Enter to the reply; "
          f"widget.js + widget.css {result['size']['total']['gzip_bytes']} bytes gzipped")
    context.close()


def test_reload_resumes_the_conversation_and_bot_text_stays_text(browser, product) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(product.web_url + "/")
    page.locator(f"{WIDGET} .sv-launcher").click()
    assert focused(page)["id"] == "sv-input"
    say(page, "hallo")
    out = say(page, HOSTILE)
    assert user_texts(page)[-1] == HOSTILE  # the user's own text, literally
    before_reload = conversation_id(page)
    shown = bot_texts(page)

    page.reload()
    page.wait_for_function("""() => {
        const host = document.getElementById('stadsvraag-widget');
        return host && host.shadowRoot.querySelectorAll('.sv-bot').length > 0; }""")
    assert page.locator(f"{WIDGET} [role=dialog]").is_visible(), "an open widget stays open after a reload"
    assert user_texts(page) == ["hallo", HOSTILE]
    assert bot_texts(page) == shown
    assert conversation_id(page) == before_reload
    # only the open question's buttons are offered again, and they still work
    choices = page.locator(f"{WIDGET} .sv-choice")
    assert choices.count() == page.locator(f"{WIDGET} .sv-choice:enabled").count()
    page.locator(f"{WIDGET} #sv-input").focus()
    out = answer_until_summary(page, out)

    summary = page.locator(f"{WIDGET} .sv-bot .sv-text").filter(has_text="Dit heb ik genoteerd").last
    assert "<b>vet</b> <script>window.__x=1</script>" in summary.inner_text()
    assert page.get_by_text("<b>vet</b>", exact=False).last.is_visible()
    assert page.locator(f"{WIDGET} b, {WIDGET} .sv-log script").count() == 0
    assert page.evaluate("typeof window.__x") == "undefined" and dialogs == []
    out = say(page, "ja")
    assert out[-1].startswith("Mogen we contact met je opnemen"), out
    out = say(page, "liever anoniem")
    reference = re.search(r"LS-\d{4}-\d{6}", out[0])
    assert reference, out
    with product.sessions()() as s:
        intake = s.scalars(select(Intake).where(Intake.reference == reference.group(0))).one()
        assert intake.sender_id == before_reload and intake.description == HOSTILE

    # a token the server did not sign is dropped: nothing is shown, and the next message starts a new conversation
    page.evaluate("""() => Object.keys(sessionStorage).filter(k => k.endsWith(':token'))
                             .forEach(k => sessionStorage.setItem(k, 'forged-token'))""")
    page.reload()
    page.wait_for_selector(f"{WIDGET} [role=dialog]", state="visible")
    assert bot_texts(page) == [] and user_texts(page) == []
    page.locator(f"{WIDGET} #sv-input").focus()
    assert say(page, "hallo")
    assert conversation_id(page) != before_reload
    context.close()


def test_phone_screen_connection_states_and_english(browser, product) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(product.web_url + "/?lang=en")
    page.wait_for_selector(f"{WIDGET} .sv-launcher", state="visible")
    assert page.locator(f"{WIDGET} .sv-launcher").inner_text() == "Ask your question"
    page.locator(f"{WIDGET} .sv-launcher").click()
    panel = page.locator(f"{WIDGET} [role=dialog]").bounding_box()
    assert panel and panel["width"] == 360 and panel["x"] == 0  # the whole screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling

    # the assistant cannot be reached: a clear message in the user's language, then it reconnects
    page.route("**/chat/messages", lambda route: route.fulfill(status=503, content_type="application/json",
                                                               body='{"error": "assistant_unavailable"}'))
    page.locator(f"{WIDGET} #sv-input").fill("Hello")
    page.keyboard.press("Enter")
    status = page.locator(f"{WIDGET} [role=status]")
    status.get_by_text("No connection to Stadsvraag").wait_for()
    assert user_texts(page) == ["Hello"] and bot_texts(page) == []
    page.unroute("**/chat/messages")
    status.get_by_role("button", name="Try again now").click()
    out = wait_for_reply(page, 0)
    assert any(t.startswith("Hello! I am Stadsvraag") for t in out), out  # the English greeting
    assert not any(t.startswith("Hallo! Ik ben Stadsvraag") for t in out), out
    status.get_by_text("The connection is back.").wait_for()
    assert serious_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "widget-phone-360.png"))

    # links: only http(s) become <a> (built with DOM APIs); markup and other schemes stay text. This one answer is
    # made up in the browser, because the assistant itself sends no links yet.
    crafted = ('[{"text": "Zie https://www.leiden.nl/leren-met-de-stad. Niet: javascript:alert(1), '
               '<a href=\\"/x\\" onclick=\\"alert(1)\\">klik</a> of data:text/html,x"}]')
    page.route("**/chat/messages", lambda route: route.fulfill(status=200, content_type="application/json",
                                                               body=crafted))
    before = len(bot_texts(page))
    page.locator(f"{WIDGET} #sv-input").fill("links?")
    page.keyboard.press("Enter")
    wait_for_reply(page, before)
    page.unroute("**/chat/messages")
    links = page.locator(f"{WIDGET} .sv-bot a")
    assert links.count() == 1
    assert links.get_attribute("href") == "https://www.leiden.nl/leren-met-de-stad"
    assert links.get_attribute("target") == "_blank" and "noopener" in links.get_attribute("rel")
    assert '<a href="/x" onclick="alert(1)">klik</a>' in bot_texts(page)[-1]
    assert "javascript:alert(1)" in bot_texts(page)[-1]

    # closing with the close button returns the focus to the launcher
    page.locator(f"{WIDGET} .sv-close").focus()
    page.keyboard.press("Enter")
    assert "sv-launcher" in focused(page)["cls"]
    context.close()
