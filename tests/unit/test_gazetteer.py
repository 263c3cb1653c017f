import pytest

from bot.gazetteer import get_gazetteer


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
