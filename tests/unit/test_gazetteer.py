import pytest

from bot.structuring.gazetteer import get_gazetteer


@pytest.mark.parametrize("text,code", [
    ("Merenwijk", "WK054608"), ("de Merenwijk", "WK054608"), ("Merewijk", "WK054608"),
    ("de Kooi", "BU05460302"), ("kooi", "BU05460302"), ("in de Stevenshof", "WK054609"),
    ("Stevenhof", "WK054609"), ("Zuidwest", "WK054605"), ("de Mors", "WK054606"),
    ("Transvaal", "BU05460600"), ("Bio Science Park", "BU05460704"), ("ik woon in de Tuinstadwijk", "BU05460405"),
    ("heel Leiden", "GM0546"), ("the whole city", "GM0546"), ("d'Oude Morsch", "BU05460104"),
    ("Hoge Mors", "BU05460602"), ("LEIDEN-NOORD", "WK054603"),
])
def test_resolves_names_residents_use(text: str, code: str) -> None:
    result = get_gazetteer().resolve(text)
    assert result.kind == "place", result
    assert result.place is not None and result.place.code == code


@pytest.mark.parametrize("text,codes", [
    ("Pancras", {"BU05460102", "BU05460103"}),
    ("Professorenwijk", {"BU05460402", "BU05460404"}),
    ("Fortuinwijk", {"BU05460503", "BU05460507"}),
])
def test_ambiguous_names_give_candidates(text: str, codes: set[str]) -> None:
    result = get_gazetteer().resolve(text)
    assert result.kind == "ambiguous"
    assert {p.code for p in result.candidates} == codes


@pytest.mark.parametrize("text", ["Oegstgeest", "buiten Leiden, in Leiderdorp", "outside Leiden"])
def test_places_outside_leiden_are_not_forced_onto_a_code(text: str) -> None:
    assert get_gazetteer().resolve(text).kind == "outside"


@pytest.mark.parametrize("text", ["pizza", "ja", "xyzzy", "<script>alert(1)</script>", "'; DROP TABLE intakes;--", "😀"])
def test_non_places_are_rejected(text: str) -> None:
    assert get_gazetteer().resolve(text).kind == "unknown"


def test_finds_a_place_inside_a_description() -> None:
    g = get_gazetteer()
    found = g.find_in_text("Ik woon in de Merenwijk en maak me zorgen over eenzame ouderen, het is best dringend")
    assert found.place is not None and found.place.code == "WK054608"
    assert g.find_in_text("Ik maak me zorgen over de veiligheid in Leiden").kind == "unknown"
    assert g.find_in_text("There is a lot of litter in our street").kind == "unknown"


def test_attribution_is_kept() -> None:
    assert "CBS / Kadaster, 2023" in get_gazetteer().attribution


def test_resolution_accuracy_on_the_benchmark_list() -> None:
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("bench_neighbourhoods", Path("bench/neighbourhoods.py"))
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    result = module.evaluate()
    assert result["accuracy"] >= 0.95, result["wrong"]
    assert result["per_kind"]["unknown"]["correct"] == result["per_kind"]["unknown"]["cases"], result["wrong"]


# --- places as people name them (real data: Wikidata streets, cited landmarks, CBS, Den Haag CSV) -----------

@pytest.mark.parametrize("text,code", [
    ("Merenwijkers", "WK054608"), ("Stevenshoffers", "WK054609"), ("Leidenaren", "GM0546"),
    ("Haagweg", "BU05460501"), ("Breestraat", "WK054600"), ("Breestr.", "WK054600"), ("breestraat", "WK054600"),
    ("De Kopermolen", "WK054608"), ("Van der Werfpark", "WK054600"), ("winkelcentrum Luifelbaan", "WK054605"),
    ("Stevensh of winkelcentrum", "WK054609"), ("LUMC", "BU05460700"), ("Leiden Centraal", "WK054602"),
    ("Morspoort", "BU05460104"), ("Haagse Schouwweg", "BU05460602"),
])
def test_streets_landmarks_and_demonyms_resolve(text: str, code: str) -> None:
    result = get_gazetteer().resolve(text)
    assert result.kind == "place" and result.place is not None, result
    assert result.place.code == code


def test_a_street_along_several_neighbourhoods_of_one_district_gives_the_district() -> None:
    # Churchilllaan borders Haagweg-Noord and Haagweg-Zuid (both Bos- en Gasthuisdistrict)
    result = get_gazetteer().resolve("Churchilllaan")
    assert result.kind == "place" and result.place is not None and result.place.code == "WK054605"


def test_a_street_across_districts_is_ambiguous() -> None:
    # Plesmanlaan: De Mors on one side, the Bio Science Park (Leeuwenhoek) on the other
    result = get_gazetteer().resolve("Plesmanlaan")
    assert result.kind == "ambiguous"
    assert {p.code for p in result.candidates} == {"WK054606", "BU05460704"}


@pytest.mark.parametrize("text", [
    "wijk Zuidwest in Den Haag", "Zuidwest (Den Haag)", "The Hague Southwest", "Escamp", "Schilderswijk",
    "Transvaalkwartier", "Scheveningen", "in Oegstgeest", "Transvaal, Den Haag",
])
def test_another_municipality_is_never_a_leiden_code(text: str) -> None:
    assert get_gazetteer().resolve(text).kind == "outside"


@pytest.mark.parametrize("text,code", [("Zuidwest", "WK054605"), ("Transvaal", "BU05460600")])
def test_names_shared_with_den_haag_are_leidens_without_a_den_haag_cue(text: str, code: str) -> None:
    result = get_gazetteer().resolve(text)
    assert result.place is not None and result.place.code == code


@pytest.mark.parametrize("text,code", [
    ("ik woon in de merewijk", "WK054608"), ("in de buurt van de Haagweg", "BU05460501"),
    ("vlakbij het Van der Werfpark", "WK054600"), ("bij ons in Stevenshof hoor", "WK054609"),
    ("Leiden noord", "WK054603"), ("Tuinstadwijk-Oost", "BU05460405"), ("de kooi!!", "BU05460302"),
])
def test_typos_and_extra_words_in_an_answer(text: str, code: str) -> None:
    result = get_gazetteer().resolve(text)
    assert result.place is not None and result.place.code == code, result


@pytest.mark.parametrize("text", ["geen idee", "weet ik niet", "overal en nergens", "de buurt", "mijn straat"])
def test_answers_that_name_no_place(text: str) -> None:
    assert get_gazetteer().resolve(text).kind == "unknown"


def test_den_haag_sentence_with_wijk_zuidwest_is_outside() -> None:
    g = get_gazetteer()
    assert g.find_in_text("In de wijk Zuidwest in Den Haag zijn veel eenzame ouderen").kind == "outside"
    assert g.find_in_text("The Hague Southwest has problems with poverty").kind == "outside"
    found = g.find_in_text("Ik werk in Den Haag maar woon in de Merenwijk")  # a Leiden-only name stays Leiden's
    assert found.place is not None and found.place.code == "WK054608"


def test_streets_in_a_longer_text_are_matched_with_care() -> None:
    g = get_gazetteer()
    haagweg = g.find_in_text("Ik woon aan de Haagweg en er wordt te hard gereden")
    assert haagweg.place is not None and haagweg.place.code == "BU05460501"  # not Den Haag
    bree = g.find_in_text("Bij ons in de Breestr. is veel afval")
    assert bree.place is not None and bree.place.code == "WK054600"
    for text in ["De haven ligt vol met afval en de weg is kapot", "Er is veel overlast op het plein en in de straat",
                 "De markt op zaterdag is druk", "Veiligheid rond het station is slecht"]:
        assert g.find_in_text(text).kind == "unknown", text


def test_unseen_published_texts_benchmark() -> None:
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("bench_neighbourhoods", Path("bench/neighbourhoods.py"))
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    result = module.evaluate_unseen()
    assert result["per_kind"]["unknown"]["correct"] == result["per_kind"]["unknown"]["cases"], result["wrong"]
    assert result["per_kind"]["outside"]["correct"] == result["per_kind"]["outside"]["cases"], result["wrong"]
    assert result["accuracy"] >= 0.75, result["wrong"]


def test_find_in_text_is_fast() -> None:
    import time

    g = get_gazetteer()
    text = "Ik woon in de buurt van de Haagweg en maak me zorgen over eenzame ouderen in onze straat. " * 3
    start = time.perf_counter()
    for _ in range(200):
        g.find_in_text(text)
    assert (time.perf_counter() - start) / 200 < 0.005
