"""Interface texts of the broker dashboard (Dutch default, English available).

The assistant's own words live in domain.yml; these are the labels of a staff tool. No text names a city:
`{city}` becomes the name of the municipality this deployment serves (bot/structuring/municipality.py).
"""

from __future__ import annotations

from functools import lru_cache

from starlette.requests import Request

TEXT: dict[str, dict[str, str]] = {
    "nl": {
        "app": "Stadsvraag — kennismakelaar", "queue": "Vragen", "overview": "Overzicht", "users": "Accounts",
        "signin": "Inloggen", "signout": "Uitloggen", "username": "Gebruikersnaam", "password": "Wachtwoord",
        "signin_failed": "Gebruikersnaam of wachtwoord klopt niet.",
        "signin_throttled": "Te veel mislukte pogingen om in te loggen. Probeer het over {minutes} min. opnieuw.",
        "filter": "Filteren", "search": "Zoeken in beschrijvingen", "all": "alle", "from": "Vanaf", "to": "Tot en met",
        "status": "Status", "reference": "Nummer", "theme": "Thema", "neighbourhood": "Buurt", "urgency": "Urgentie",
        "language": "Taal", "channel": "Kanaal", "age": "Leeftijd", "district": "Wijk", "export": "Exporteer als CSV",
        "no_results": "Geen vragen gevonden.", "results": "vragen", "page": "Pagina", "next": "Volgende",
        "previous": "Vorige", "description": "Beschrijving", "confidence": "zekerheid", "alternatives": "Alternatieven",
        "transcript": "Gesprek", "resident": "Inwoner", "assistant": "Assistent", "no_transcript": "Geen gesprek bewaard.",
        "history": "Geschiedenis", "correct": "Corrigeren", "save": "Opslaan", "timeframe": "Termijn",
        "note": "Interne notitie", "add_note": "Notitie toevoegen", "change_status": "Status wijzigen",
        "reason": "Reden (verplicht bij afwijzen of dubbel)", "forward": "Doorsturen naar matching",
        "handoff": "Overdracht", "waiting": "wacht op de matching-backend", "retry": "Opnieuw proberen",
        "needs_attention": "Let op", "attention_theme": "de assistent was niet zeker van het thema",
        "attention_place": "de buurt is niet gevonden", "attention_fallback": "de assistent begreep de inwoner niet altijd",
        "attention_pii": "er stonden persoonsgegevens in de beschrijving; die zijn afgeschermd",
        "asker": "Vraagsteller", "contact": "Contact", "anonymous": "anoniem", "consents": "Toestemming",
        "consent_store": "bewaren", "consent_share": "delen met onderwijspartners", "consent_contact": "contact",
        "yes": "ja", "no": "nee", "created": "Binnengekomen",
        "per_theme": "Vragen per thema", "per_district": "Vragen per wijk", "per_week": "Vragen per week",
        "per_status": "Vragen per status", "total": "Totaal",
        "not_stored": "Vragen zonder toestemming om te bewaren (alleen geteld, zonder tekst)",
        "not_stored_per_theme": "Niet bewaarde vragen per thema", "count": "Aantal", "add_user": "Account toevoegen",
        "role": "Rol", "active": "Actief", "deactivate": "Uitschakelen", "saved": "Opgeslagen.",
        # the loop back to the resident and questions that belong together (issue 17)
        "public_note": "Bericht aan de vrager (niet verplicht; de vrager krijgt dit te lezen)",
        "public_status": "De vrager ziet", "pstatus_received": "ontvangen", "pstatus_in_review": "wordt bekeken",
        "pstatus_searching": "we zoeken een opleiding of onderzoeker", "pstatus_matched": "gekoppeld",
        "pstatus_closed": "afgesloten", "pstatus_joined": "samen met een vergelijkbare vraag",
        "pstatus_info_requested": "we willen meer weten", "pstatus_in_progress": "studenten werken eraan",
        "updates_stopped": "De vrager wil geen berichten meer over deze vraag.",
        "resident_updates": "Berichten aan de vrager", "cancelled": "niet verstuurd",
        "similar": "Vergelijkbare vragen", "similar_none": "Geen vergelijkbare open vragen gevonden.",
        "this_question": "Deze vraag", "score": "overeenkomst", "join": "Samenvoegen tot één groep",
        "unlink": "Hoort er niet bij", "group": "Groep", "group_intro": "Deze vragen worden samen behandeld:",
        "leave_group": "Deze vraag uit de groep halen", "residents": "{n} bewoners",
        "joined": "Samengevoegd.", "unlinked": "Ontkoppeld: deze vraag wordt niet meer voorgesteld.",
        "left_group": "Uit de groep gehaald.",
        # the matching side and the aanbod catalogue (issue 18)
        "matching": "Koppelen", "matching_intro": "Vragen die naar de matching zijn gestuurd. Kies per vraag een passende plek in het onderwijs; het systeem doet voorstellen, u beslist.",
        "matching_none": "Nog geen vragen doorgestuurd. Stuur een vraag door vanaf de pagina van de vraag.",
        "mstatus_received": "ontvangen", "mstatus_under_review": "in behandeling", "mstatus_info_requested": "info gevraagd",
        "mstatus_matched": "gekoppeld", "mstatus_in_progress": "studenten bezig", "mstatus_done": "klaar",
        "mstatus_not_suitable": "niet geschikt",
        "step_under_review": "In behandeling nemen", "step_info_requested": "Meer informatie vragen aan de vrager",
        "step_matched": "Gekoppeld", "step_in_progress": "Studenten zijn begonnen", "step_done": "Klaar: uitkomst vastleggen",
        "step_not_suitable": "Niet geschikt",
        "suggestions": "Voorstellen", "suggestions_none": "Geen plekken in het aanbod. Voeg aanbod toe of importeer een CSV.",
        "confirm_slot": "Koppelen aan deze plek", "matched_slot": "Gekoppeld aan", "steps": "Volgende stap",
        "public_note_asker": "Bericht aan de vrager (verplicht bij meer informatie vragen en niet geschikt)",
        "internal_note": "Interne notitie", "outcome": "Uitkomst", "outcome_summary": "Wat is eruit gekomen?",
        "outcome_link": "Link naar verslag of product", "outcome_institution": "Onderwijsinstelling",
        "catalogue": "Aanbod", "catalogue_intro": "Plekken in het onderwijs waar een vraag terecht kan: vakken, minors, stages, scripties en onderzoek.",
        "example": "voorbeeld", "example_note": "Voorbeeldgegevens: vervang ze door het echte aanbod (importeer een CSV).",
        "import_csv": "CSV importeren", "export_csv": "Exporteren als CSV", "import_file": "CSV-bestand (UTF-8)",
        "imported": "Geïmporteerd.", "import_errors": "Niets geïmporteerd. Verbeter deze regels en probeer opnieuw:",
        "slot_errors": "Niet opgeslagen. Verbeter dit:",
        "f_institution": "Instelling", "f_programme": "Opleiding", "f_title": "Naam", "f_level": "Niveau", "f_kind": "Soort",
        "f_period": "Periode", "f_starts_on": "Start", "f_intake_deadline": "Aanmelden vóór", "f_group_size": "Groepsgrootte",
        "f_themes": "Thema's (ids, gescheiden door ;)", "f_languages": "Talen (nl, en of nl;en)", "f_contact": "Contact (e-mail)",
        "f_description": "Beschrijving", "f_source": "Bron", "f_active": "Actief",
        "kind_course_assignment": "opdracht in een vak", "kind_internship": "stage", "kind_thesis": "scriptie",
        "kind_minor": "minor", "kind_research": "onderzoek", "deadline_passed_short": "aanmelden gesloten",
        "not_allowed": "Deze wijziging is niet toegestaan.", "who": "Wie", "when": "Wanneer", "what": "Wat",
        "match": "Match", "skip": "Naar de inhoud", "days": "d", "hours": "u", "city": "heel {city}",
        "outside": "buiten {city}", "unresolved": "onbekend", "dead": "mislukt", "delivered": "afgeleverd",
        "pending": "in de wachtrij", "delivering": "wordt afgeleverd", "other_lang": "English",
        "status_new": "nieuw", "status_in_review": "in behandeling", "status_ready_for_matching": "klaar voor matching",
        "status_handed_off": "doorgestuurd", "status_matched": "gematcht", "status_closed": "afgesloten",
        "status_rejected": "afgewezen", "status_duplicate": "dubbel",
        "urgency_low": "niet dringend", "urgency_normal": "normaal", "urgency_high": "dringend",
        # erasing personal data (art. 17 AVG)
        "erase_title": "Persoonsgegevens wissen",
        "erase_intro": "Alleen doen als de inwoner daarom vraagt of als het moet. Wissen kunt u niet terugdraaien. "
                       "Dit gebeurt er:",
        "erase_effect_contact": "De contactgegevens worden verwijderd (naam, e-mailadres, telefoonnummer).",
        "erase_effect_transcript": "Het gesprek met de assistent wordt verwijderd.",
        "erase_effect_mask": "Persoonsgegevens in de beschrijving en in de notities worden afgeschermd.",
        "erase_effect_backend": "Is de vraag al naar de matching-backend gestuurd? Dan krijgt die een bericht om "
                                "de gegevens ook te wissen.",
        "erase_effect_stays": "De vraag zelf blijft bewaard, zonder persoonsgegevens. U kunt er dus mee verder.",
        "erase_reason": "Reden (verplicht, hoogstens {max} tekens)",
        "erase_confirm": "Typ het nummer van deze vraag ({reference}) om te bevestigen",
        "erase_button": "Persoonsgegevens nu wissen",
        "erased": "De persoonsgegevens zijn gewist.",
        "erase_already": "De persoonsgegevens van deze vraag waren al gewist. Er is niets veranderd.",
        "erase_no_reason": "Vul een reden in. Er is niets gewist.",
        "erase_reason_long": "De reden is te lang (hoogstens 500 tekens). Er is niets gewist.",
        "erase_wrong_reference": "Het nummer klopt niet met deze vraag. Er is niets gewist.",
        "erased_on": "Persoonsgegevens gewist op {date} door {actor}.",
        "event_erased": "persoonsgegevens gewist", "erase_category_broker": "door de kennismakelaar",
        "erase_category_resident_request": "op verzoek van de inwoner",
        "transcript_erased": "Het gesprek is gewist.",
        # maps (bot/review/maps.py)
        "map_districts": "Kaart van {city}: vragen per wijk",
        "map_neighbourhoods": "Kaart van {city}: vragen per buurt", "map_legend": "Aantal vragen",
        "map_area": "{name}: {count} vragen", "map_area_one": "{name}: 1 vraag",
        "map_hint": "Klik op een gebied om de vragen daar te zien.",
        "map_source": "Kaart: CBS / Kadaster, 2023", "map_locator": "Ligging van {name} in {city}",
        "map_table": "Aantallen in een tabel",
    },
    "en": {
        "app": "Stadsvraag — knowledge broker", "queue": "Questions", "overview": "Overview", "users": "Accounts",
        "signin": "Sign in", "signout": "Sign out", "username": "Username", "password": "Password",
        "signin_failed": "Username or password is not correct.",
        "signin_throttled": "Too many failed sign-in attempts. Please try again in {minutes} min.",
        "filter": "Filter", "search": "Search descriptions", "all": "all", "from": "From", "to": "Up to and including",
        "status": "Status", "reference": "Reference", "theme": "Theme", "neighbourhood": "Neighbourhood",
        "urgency": "Urgency", "language": "Language", "channel": "Channel", "age": "Age", "district": "District",
        "export": "Export as CSV", "no_results": "No questions found.", "results": "questions", "page": "Page",
        "next": "Next", "previous": "Previous", "description": "Description", "confidence": "confidence",
        "alternatives": "Alternatives", "transcript": "Conversation", "resident": "Resident", "assistant": "Assistant",
        "no_transcript": "No conversation kept.", "history": "History", "correct": "Correct", "save": "Save",
        "timeframe": "Timeframe", "note": "Internal note", "add_note": "Add note", "change_status": "Change status",
        "reason": "Reason (required for rejected or duplicate)", "forward": "Forward to matching",
        "handoff": "Handoff", "waiting": "waiting for the matching backend", "retry": "Retry",
        "needs_attention": "Needs attention", "attention_theme": "the assistant was unsure about the theme",
        "attention_place": "the neighbourhood was not found",
        "attention_fallback": "the assistant did not always understand the resident", "asker": "Asked by",
        "attention_pii": "the description contained personal data; it has been masked",
        "contact": "Contact", "anonymous": "anonymous", "consents": "Consent",
        "consent_store": "keep", "consent_share": "share with education partners", "consent_contact": "contact",
        "yes": "yes", "no": "no", "created": "Received", "per_theme": "Questions per theme",
        "per_district": "Questions per district", "per_week": "Questions per week", "per_status": "Questions per status",
        "total": "Total", "count": "Count",
        "not_stored": "Questions without consent to keep them (only counted, no text)",
        "not_stored_per_theme": "Questions not kept, per theme", "add_user": "Add account", "role": "Role", "active": "Active",
        "deactivate": "Deactivate", "saved": "Saved.", "not_allowed": "This change is not allowed.", "who": "Who",
        "public_note": "Message to the asker (optional; the asker will read this)",
        "public_status": "The asker sees", "pstatus_received": "received", "pstatus_in_review": "being reviewed",
        "pstatus_searching": "looking for a course or researcher", "pstatus_matched": "matched",
        "pstatus_closed": "closed", "pstatus_joined": "together with a similar question",
        "pstatus_info_requested": "we would like to know more", "pstatus_in_progress": "students are working on it",
        "updates_stopped": "The asker wants no more messages about this question.",
        "resident_updates": "Messages to the asker", "cancelled": "not sent",
        "similar": "Similar questions", "similar_none": "No similar open questions found.",
        "this_question": "This question", "score": "similarity", "join": "Join into one group",
        "unlink": "Does not belong", "group": "Group", "group_intro": "These questions are handled together:",
        "leave_group": "Take this question out of the group", "residents": "{n} residents",
        "joined": "Joined.", "unlinked": "Unlinked: this question will not be suggested again.",
        "left_group": "Taken out of the group.",
        "matching": "Matching", "matching_intro": "Questions sent to matching. Choose a suitable place in education for each; the system suggests, you decide.",
        "matching_none": "No questions sent yet. Forward a question from its page.",
        "mstatus_received": "received", "mstatus_under_review": "under review", "mstatus_info_requested": "information requested",
        "mstatus_matched": "matched", "mstatus_in_progress": "students working", "mstatus_done": "done",
        "mstatus_not_suitable": "not suitable",
        "step_under_review": "Take under review", "step_info_requested": "Ask the asker for more information",
        "step_matched": "Matched", "step_in_progress": "Students have started", "step_done": "Done: record the outcome",
        "step_not_suitable": "Not suitable",
        "suggestions": "Suggestions", "suggestions_none": "No places in the catalogue. Add some or import a CSV.",
        "confirm_slot": "Match with this place", "matched_slot": "Matched with", "steps": "Next step",
        "public_note_asker": "Message to the asker (required when asking for information and for not suitable)",
        "internal_note": "Internal note", "outcome": "Outcome", "outcome_summary": "What came of it?",
        "outcome_link": "Link to the report or product", "outcome_institution": "Institution",
        "catalogue": "Catalogue", "catalogue_intro": "Places in education where a question can go: course assignments, minors, internships, theses and research.",
        "example": "example", "example_note": "Example data: replace it with the real offer (import a CSV).",
        "import_csv": "Import CSV", "export_csv": "Export as CSV", "import_file": "CSV file (UTF-8)",
        "imported": "Imported.", "import_errors": "Nothing imported. Fix these rows and try again:",
        "slot_errors": "Not saved. Please fix:",
        "f_institution": "Institution", "f_programme": "Programme", "f_title": "Name", "f_level": "Level", "f_kind": "Kind",
        "f_period": "Period", "f_starts_on": "Starts", "f_intake_deadline": "Apply before", "f_group_size": "Group size",
        "f_themes": "Themes (ids, separated by ;)", "f_languages": "Languages (nl, en or nl;en)", "f_contact": "Contact (e-mail)",
        "f_description": "Description", "f_source": "Source", "f_active": "Active",
        "kind_course_assignment": "course assignment", "kind_internship": "internship", "kind_thesis": "thesis",
        "kind_minor": "minor", "kind_research": "research", "deadline_passed_short": "applications closed",
        "when": "When", "what": "What", "match": "Match", "skip": "Skip to content", "days": "d", "hours": "h",
        "city": "all of {city}", "outside": "outside {city}", "unresolved": "unknown", "dead": "failed",
        "delivered": "delivered", "pending": "queued", "delivering": "being delivered", "other_lang": "Nederlands",
        "status_new": "new", "status_in_review": "in review", "status_ready_for_matching": "ready for matching",
        "status_handed_off": "handed off", "status_matched": "matched", "status_closed": "closed",
        "status_rejected": "rejected", "status_duplicate": "duplicate",
        "urgency_low": "not urgent", "urgency_normal": "normal", "urgency_high": "urgent",
        # erasing personal data (art. 17 GDPR)
        "erase_title": "Erase personal data",
        "erase_intro": "Only do this when the resident asks for it or when it is required. Erasure cannot be "
                       "undone. This is what happens:",
        "erase_effect_contact": "The contact details are deleted (name, e-mail address, phone number).",
        "erase_effect_transcript": "The conversation with the assistant is deleted.",
        "erase_effect_mask": "Personal data in the description and in the notes is masked.",
        "erase_effect_backend": "If the question was already sent to the matching backend, it is told to erase the "
                                "data as well.",
        "erase_effect_stays": "The question itself stays, without personal data, so the work on it can go on.",
        "erase_reason": "Reason (required, at most {max} characters)",
        "erase_confirm": "Type the reference of this question ({reference}) to confirm",
        "erase_button": "Erase personal data now",
        "erased": "The personal data has been erased.",
        "erase_already": "The personal data of this question was already erased. Nothing has changed.",
        "erase_no_reason": "Please give a reason. Nothing has been erased.",
        "erase_reason_long": "The reason is too long (at most 500 characters). Nothing has been erased.",
        "erase_wrong_reference": "The reference does not match this question. Nothing has been erased.",
        "erased_on": "Personal data erased on {date} by {actor}.",
        "event_erased": "personal data erased", "erase_category_broker": "by the knowledge broker",
        "erase_category_resident_request": "at the resident's request",
        "transcript_erased": "The conversation has been erased.",
        # maps (bot/review/maps.py)
        "map_districts": "Map of {city}: questions per district",
        "map_neighbourhoods": "Map of {city}: questions per neighbourhood", "map_legend": "Number of questions",
        "map_area": "{name}: {count} questions", "map_area_one": "{name}: 1 question",
        "map_hint": "Select an area to see its questions.",
        "map_source": "Map: CBS / Kadaster, 2023", "map_locator": "Location of {name} in {city}",
        "map_table": "Counts as a table",
    },
}


def language(request: Request) -> str:
    asked = request.query_params.get("lang")
    if asked in TEXT:
        request.session["lang"] = asked
    return request.session.get("lang", "nl")


def city_name(lang: str) -> str:
    """The name of the municipality this deployment serves, in `lang`."""
    from bot.structuring.municipality import current

    return current().text("name", lang)


@lru_cache(maxsize=16)
def _with_city(lang: str, city: str) -> dict[str, str]:
    return {key: value.replace("{city}", city) for key, value in TEXT[lang].items()}


def texts(request: Request) -> dict[str, str]:
    lang = language(request)
    return _with_city(lang, city_name(lang))
