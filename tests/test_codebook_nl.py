"""Dutch field descriptions in the codebook and in appendix B (the report's data dictionary)."""

from __future__ import annotations

import copy

import pytest

from analysis import codebook
from analysis.report import appendices


def _all_fields() -> list[tuple[str, codebook.Field]]:
    return [
        (res["name"], f) for res in codebook.load_package()["resources"] for f in codebook.fields(res["name"])
    ]


def test_every_field_has_a_dutch_and_an_english_description() -> None:
    pairs = _all_fields()
    assert len(pairs) == 59
    for res, f in pairs:
        assert f.description_nl.strip(), (res, f.name)
        assert f.description.strip(), (res, f.name)  # English stays for the docs and CLI
        assert f.explanation("nl") == f.description_nl
        assert f.explanation("en") == f.description


def test_format_hints_survive_in_dutch() -> None:
    assert "DD.MM.JJJJ" in codebook.field("datum_start").description_nl
    assert "HH:MM" in codebook.field("tijd_eind").description_nl
    assert "YYYY-MM" in codebook.field("maand", "bezetting").description_nl


def test_loader_names_resource_and_field_without_dutch_description() -> None:
    pkg = copy.deepcopy(codebook.load_package())
    codebook.check_package(pkg)  # the shipped codebook is complete
    bezetting = next(r for r in pkg["resources"] if r["name"] == "bezetting")
    target = next(d for d in bezetting["schema"]["fields"] if d["name"] == "gemiddelde_bezetting")
    del target["description_nl"]
    with pytest.raises(
        codebook.CodebookError, match=r"'bezetting', field 'gemiddelde_bezetting'.*description_nl"
    ):
        codebook.check_package(pkg)
    target["description_nl"] = "   "
    with pytest.raises(codebook.CodebookError, match="gemiddelde_bezetting"):
        codebook.check_package(pkg)


def test_appendix_b_shows_the_dutch_description() -> None:
    md = appendices.codebook_md().replace("\u200b", "")  # break hints in long names are layout only
    ruimte = codebook.field("ruimte")
    row = next(line for line in md.splitlines() if line.startswith("| ruimte |"))
    assert "Ruimte waarin de jongere werd afgezonderd." in row
    assert ruimte.description not in md  # not the English text
    # the Dutch PII suffix is kept after the Dutch text
    pii = next(line for line in md.splitlines() if line.startswith("| nummer_jongere |"))
    assert (
        codebook.field("nummer_jongere").description_nl + " Persoonsgegeven: wordt gepseudonimiseerd." in pii
    )
    assert "(Engels)." not in md
