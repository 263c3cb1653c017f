"""The meaning of each answer in the intake form (bot/conversation/intake_form.py)."""

from bot.conversation import intake_form as f


def test_description_prefills_place_urgency_and_timeframe() -> None:
    out = f.validate_description(
        "Ik woon in de Merenwijk en maak me zorgen over eenzame ouderen, het is best dringend. Graag voor 1 maart.", {})
    assert out.response is None
    assert out.slots["neighbourhood_code"] == "WK054608"
    assert out.slots["urgency"] == "high"
    assert out.slots["timeframe"] == "before 1 maart"


def test_description_does_not_overwrite_given_answers() -> None:
    out = f.validate_description("Er is veel zwerfafval in de Merenwijk, heel dringend", {"neighbourhood": "BU05460302",
                                                                                      "urgency": "low"})
    assert "neighbourhood" not in out.slots and "urgency" not in out.slots


def test_too_short_and_too_long_descriptions_are_asked_again() -> None:
    assert f.validate_description("ouderen", {}).unclear
    assert f.validate_description("", {}).slots == {"description": None}
    long = f.validate_description("a " * 5000, {})
    assert long.response == "utter_description_too_long" and long.slots == {"description": None}


def test_description_is_kept_as_text_even_with_markup() -> None:
    out = f.validate_description("<script>alert('x')</script> er ligt veel afval op straat", {})
    assert out.slots["description"].startswith("<script>")  # stored verbatim, escaped when shown


def test_ambiguous_place_in_description_keeps_candidates() -> None:
    out = f.validate_description("In Pancras is het 's avonds onrustig bij het speelveld", {})
    assert set(out.slots["neighbourhood_candidates"]) == {"BU05460102", "BU05460103"}
    assert "neighbourhood" not in out.slots


def test_theme_from_button_label_or_words() -> None:
    assert f.validate_theme("safety", {}).slots == {"theme": "safety"}
    assert f.validate_theme("Gezondheid", {}).slots == {"theme": "health_wellbeing"}
    assert f.validate_theme("mobility & accessibility", {}).slots == {"theme": "mobility"}
    assert f.validate_theme("iets anders", {}).slots == {"theme": "other"}
    assert f.validate_theme("weet ik niet", {}).slots == {"theme": "other"}
    assert f.validate_theme("banaan", {}).unclear


def test_neighbourhood_unknown_is_asked_once_then_kept_as_typed() -> None:
    first = f.validate_neighbourhood("Blauwe Buurt", {})
    assert first.unclear and first.slots["neighbourhood"] is None
    second = f.validate_neighbourhood("Blauwe Buurt", {**first.slots})
    assert second.response is None
    assert second.slots["neighbourhood"] == "Blauwe Buurt" and second.slots["neighbourhood_kind"] == "unresolved"


def test_neighbourhood_buttons_and_outside() -> None:
    assert f.validate_neighbourhood("GM0546", {}).slots["neighbourhood_kind"] == "city"
    assert f.validate_neighbourhood("outside", {}).slots["neighbourhood_kind"] == "outside"
    assert f.validate_neighbourhood("Oegstgeest", {}).slots["neighbourhood_text"] == "Oegstgeest"
    amb = f.validate_neighbourhood("Professorenwijk", {})
    assert amb.slots["neighbourhood"] is None and len(amb.slots["neighbourhood_candidates"]) == 2
    assert [b["title"] for b in f.neighbourhood_buttons(amb.slots["neighbourhood_candidates"])] == [
        "Professorenwijk-Oost", "Professorenwijk-West"]


def test_urgency_and_timeframe() -> None:
    assert f.validate_urgency("high", {}).slots == {"urgency": "high"}
    assert f.validate_urgency("geen haast", {}).slots == {"urgency": "low"}
    assert f.validate_urgency("this semester", {}).slots == {"urgency": "normal", "timeframe": "this_semester"}
    assert f.validate_urgency("weet ik niet", {}).slots == {"urgency": "normal"}
    assert f.validate_urgency("banaan", {}).unclear


def test_roles_and_dynamic_questions() -> None:
    assert f.validate_asker_role("Ik ben bewoner", {}).slots == {"asker_role": "resident"}
    assert f.validate_asker_role("namens de bibliotheek", {}).slots == {"asker_role": "organisation",
                                                                         "organisation": "bibliotheek"}
    assert f.validate_asker_role("zeg ik liever niet", {}).slots == {"asker_role": "other"}
    assert f.validate_asker_role("wij zijn Stichting Buurtkracht", {}).slots == {
        "asker_role": "organisation", "organisation": "Stichting Buurtkracht"}
    assert f.required_slots({"asker_role": "resident", "contact_consent": False})[-3:] == [
        "consent_store", "consent_share", "contact_consent"]
    assert f.required_slots({"asker_role": "organisation", "contact_consent": True})[-6:] == [
        "organisation", "matching_needs", "consent_store", "consent_share", "contact_consent", "contact_details"]
    # a worker's next question: consents kept from the first, so the summary is confirmed on its own
    assert f.required_slots({"asker_role": "neighbourhood_worker", "consents_kept": True})[-1] == "confirmed"
    # without consent to store, nothing more is asked
    assert f.required_slots({"asker_role": "resident", "consent_store": False})[-2:] == ["asker_role", "consent_store"]
    # place, urgency and role are asked in one question when two or more are missing
    assert "details" in f.required_slots({"asker_role": "resident"})
    assert "details" not in f.required_slots({"asker_role": "resident", "urgency": "low"})
    assert "details" not in f.required_slots({"details": "asked"})


def test_contact_details() -> None:
    assert f.validate_contact_details("mail me op Sanne@Example.nl", {}).slots == {"contact_details": "Sanne@example.nl"}
    assert f.validate_contact_details("06 12345678", {}).slots == {"contact_details": "+31612345678"}
    assert f.validate_contact_details("mijn buurman", {}).unclear
    # a way out: no contact after all
    assert f.validate_contact_details("weet ik niet", {}).slots["contact_consent"] is False
    assert f.validate_contact_name("Mijn naam is Sanne de Vries", {}).slots == {"contact_name": "Sanne de Vries"}
    assert f.validate_contact_name("<b>x</b>", {}).unclear
    assert f.validate_contact_consent(True, {}).slots["contact_consent"] is True
    assert f.validate_contact_consent("misschien", {}).unclear
    # the contact question takes the e-mail address or phone number (and a name beside it) as its answer
    out = f.validate_contact_consent("Sanne de Vries, sanne@example.nl", {"language": "nl"})
    assert (out.slots["contact_consent"], out.slots["contact_details"], out.slots["contact_name"]) == (
        True, "sanne@example.nl", "Sanne de Vries")
    assert out.slots["consent_log"]["contact"]["version"].startswith("utter_ask_contact:nl:")
    assert f.validate_contact_consent("bel me maar op 06-12345678", {}).slots["contact_details"] == "+31612345678"
    for no in ("nee, liever anoniem", "no, I prefer to stay anonymous", "nope", "ik blijf anoniem"):
        assert f.validate_contact_consent(no, {}).slots["contact_consent"] is False, no


def test_each_consent_is_logged_with_its_moment_and_text_version() -> None:
    from datetime import datetime

    from bot.privacy import consent

    out = f.validate_consent_store("Ja, bewaren en delen", {"language": "nl"})
    assert out.slots["consent_store"] is True and out.slots["consent_share"] is True
    entry = out.slots["consent_log"]["store"]
    assert entry["given"] is True and entry["language"] == "nl"
    assert datetime.fromisoformat(entry["at"]).tzinfo is not None
    assert entry["version"] == consent.question("store", "nl").version
    assert entry["version"].startswith("utter_ask_consent:nl:")
    # one question, separate choices: each kind has its own log entry against the same text
    assert out.slots["consent_log"]["share"]["version"] == entry["version"]
    only = f.validate_consent_store("alleen bewaren, niet delen", {"language": "nl"})
    assert (only.slots["consent_store"], only.slots["consent_share"]) == (True, False)
    # the English text is another version; the log keeps earlier answers
    out2 = f.validate_consent_share("no", {"language": "en", "consent_log": out.slots["consent_log"]})
    assert out2.slots["consent_share"] is False
    assert set(out2.slots["consent_log"]) == {"store", "share"}
    assert out2.slots["consent_log"]["share"]["version"].startswith("utter_ask_consent_share:en:")
    # no to storing clears what would only be kept with it
    out3 = f.validate_consent_store("nee", {"contact_consent": True, "contact_name": "Sanne"})
    assert out3.slots["consent_store"] is False and out3.slots["contact_name"] is None
    assert f.validate_consent_share("misschien", {}).unclear
    assert f.validate_consent_share("maybe later", {}).unclear
    # validated again with the same answer (a form re-checks filled slots): the moment of the answer stays
    again = f.validate_consent_store(True, {"language": "nl", "consent_log": out.slots["consent_log"]})
    assert again.slots["consent_log"]["store"] == entry
    changed = f.validate_consent_store(False, {"language": "nl", "consent_log": out.slots["consent_log"]})
    assert changed.slots["consent_log"]["store"]["given"] is False


def test_description_needs_real_words() -> None:
    for junk in ("'; DROP TABLE intakes; --", "😀 😀 😀 😀 😀 😀", "1234 5678 9012 3456", "<b></b><i></i><p></p>"):
        assert f.validate_description(junk, {}).unclear, junk


def test_a_confident_theme_is_set_and_confirmed_in_the_summary_not_asked() -> None:
    out = f.validate_description("Er is veel te weinig groen en het is heel heet in onze stenen straat in de zomer, "
                                 "wat kunnen we doen tegen de hitte?", {})
    if out.slots["theme_confidence"] >= f.PROPOSE_THRESHOLD:
        assert out.slots["theme"] == out.slots["theme_suggestion"] and out.slots["theme_stage"] == "proposed"
        assert "theme" not in [s for s in f.required_slots(out.slots) if out.slots.get(s) is None]
    unsure = f.validate_description("Wat vinden mensen eigenlijk van de dingen hier in de buurt, iets met mensen", {})
    if unsure.slots["theme_confidence"] < f.PROPOSE_THRESHOLD:
        assert "theme" not in unsure.slots


def test_an_unsure_theme_offers_the_top_three_kennisstad_first_then_all() -> None:
    slots = {"theme_suggestion": "housing_living", "theme_confidence": 0.3,
             "theme_alternatives": ["housing_living", "safety", "health_wellbeing"]}
    q = f.theme_question(slots, "en")
    assert (q.response, q.stage) == ("utter_ask_theme_top", "top3")
    assert [b["title"] for b in q.buttons] == ["Health & wellbeing", "Housing & living environment", "Safety",
                                               "Something else"]
    more = f.validate_theme(f.MORE, {**slots, "theme_stage": "top3"})
    assert more.slots == {"theme": None, "theme_stage": "all"}
    assert f.theme_question({**slots, "theme_stage": "all"}, "en").response == "utter_ask_theme"


def test_description_carries_a_theme_prediction() -> None:
    out = f.validate_description("Veel ouderen in onze flat zijn eenzaam en krijgen nooit bezoek", {})
    assert out.slots["theme_suggestion"] in f.theme_ids()
    assert 0.0 < out.slots["theme_confidence"] <= 1.0
    assert len(out.slots["theme_alternatives"]) == 3


def test_the_first_message_gives_the_role_and_organisation_when_it_says_them() -> None:
    assert f.validate_description("Ik woon in de Merenwijk en er zijn te weinig bankjes voor ouderen", {}
                                  ).slots["asker_role"] == "resident"
    out = f.validate_description("Namens Bibliotheek Leiden Noord: hoe bereiken we laaggeletterde ouders?", {})
    assert (out.slots["asker_role"], out.slots["organisation"]) == ("organisation", "Bibliotheek Leiden Noord")
    # a resident who mentions the municipality does not work for it
    assert "asker_role" not in f.validate_description("De gemeente doet niets aan het afval bij de Kooi, "
                                                      "wat kunnen studenten onderzoeken?", {}).slots


def test_one_answer_for_place_urgency_and_role() -> None:
    out = f.validate_details("Stevenshof, geen haast, ik woon er", {})
    assert (out.slots["neighbourhood_code"], out.slots["urgency"], out.slots["asker_role"]) == (
        "WK054609", "low", "resident")
    partial = f.validate_details("merewijk", {})
    assert partial.slots["neighbourhood_code"] == "WK054608" and "urgency" not in partial.slots
    assert f.validate_details("", {}).slots == {"details": "asked"}  # never asked twice: the rest one by one


def test_the_summary_question_keeps_shares_or_changes_one_part() -> None:
    ok = f.validate_consent_store("ja, klopt helemaal!", {"language": "nl"})
    assert (ok.slots["consent_store"], ok.slots["consent_share"]) == (True, True)
    # "change something" (button or words) asks which part; nothing is agreed to yet
    assert f.validate_consent_store("/deny", {}).slots == {"consent_store": None, "summary_stage": "which"}
    assert f.validate_consent_store("klopt niet", {}).slots == {"consent_store": None, "summary_stage": "which"}
    which = f.validate_consent_store("de buurt", {"summary_stage": "which"})
    assert which.slots["neighbourhood"] is None and which.slots["consent_store"] is None
    changed = f.validate_consent_store("nee, de buurt klopt niet, het is Stevenshof", {})
    assert changed.slots["neighbourhood_code"] == "WK054609" and changed.slots["consent_store"] is None
    assert f.validate_consent_store("verander het onderwerp", {}).slots["theme"] is None
    # a refusal, also with a reason, keeps nothing; "mijn vraag" in it does not make it a correction
    refused = f.validate_consent_store("nee, liever niet, mijn vraag is privé", {})
    assert refused.slots["consent_store"] is False and "description" not in refused.slots
    assert f.validate_consent_store("hmm", {}).unclear


def test_a_workers_next_question_is_confirmed_in_the_summary() -> None:
    assert f.validate_confirmed("ja, klopt helemaal!", {}).slots["confirmed"] is True
    assert f.validate_confirmed("/affirm", {}).slots["confirmed"] is True
    assert f.validate_confirmed("nee", {}).slots == {"confirmed": None, "summary_stage": "which"}
    assert f.validate_confirmed("verander het onderwerp", {}).slots["theme"] is None
    assert f.validate_confirmed("hmm", {}).unclear


def test_a_labelled_message_fills_every_labelled_field() -> None:
    out = f.validate_description("Buurt: Stevenshof. Thema: jongeren. Urgentie: hoog. Vraag: Jongeren hangen rond "
                                 "bij het winkelcentrum en bewoners voelen zich onveilig.", {})
    assert out.response is None
    assert out.slots["description"].startswith("Jongeren hangen rond")
    assert (out.slots["neighbourhood_code"], out.slots["theme"], out.slots["urgency"]) == ("WK054609",
                                                                                          "education_youth", "high")


def test_a_worker_keeps_their_details_for_the_next_question() -> None:
    from bot.channels.names import channel_name
    from bot.conversation.slots import slots_kept_for_next_intake

    assert "contact_name" in slots_kept_for_next_intake({"asker_role": "neighbourhood_worker"})
    assert slots_kept_for_next_intake({"asker_role": "resident"}) == ()
    assert channel_name("twilio", "whatsapp:+31612345678") == "whatsapp"
    assert channel_name("twilio", "+31612345678") == "twilio"
    assert channel_name(None, "x") == "rest"


def test_organisations_get_one_question_for_the_matching_and_any_answer_is_kept() -> None:
    org = {"asker_role": "organisation", "description": "Wij willen onderzoek naar eenzaamheid, geen haast"}
    assert "matching_needs" in f.required_slots(org)
    assert "matching_needs" not in f.required_slots({**org, "asker_role": "resident"})
    assert "matching_needs" not in f.required_slots({**org, "asker_role": "neighbourhood_worker"})
    assert f.needs_from_question(org)["help"] == ["research"]  # so only the rest is asked
    out = f.validate_matching_needs("we kunnen begeleiden, Engels is prima, het gaat om ouderen", org)
    assert out.response is None and not out.unclear
    needs = out.slots["matching_needs"]
    assert (needs["help"], needs["can_wait_a_semester"], needs["can_guide_students"], needs["english_ok"],
            needs["sensitive"]) == (["research"], True, True, True, True)
    assert needs["said"] == "we kunnen begeleiden, Engels is prima, het gaat om ouderen"
    dont_know = f.validate_matching_needs("weet ik niet", org)  # taken too: never asked twice
    assert dont_know.slots["matching_needs"]["can_guide_students"] is None and not dont_know.unclear
    assert "matching_needs" in f.required_slots({**org, "matching_needs": dont_know.slots["matching_needs"]})
