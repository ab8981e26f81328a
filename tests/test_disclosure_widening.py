"""The disclosure decision always finishes: widening when cell-by-cell suppression finds no pattern.

Small real exports (a pilot, one institution, a measurement few locations took part in) used to
end the build in ``DisclosureError: disclosure: cell ... cannot be protected without hiding a
cell that is published elsewhere``. The two exports below raised that error in
:func:`analysis.present.publish.decide` before the decision could widen (checked against the
previous implementation when this test was written); now they give a protected pattern, with
what was widened recorded and said in words.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.describe import disclosure as dc
from analysis.describe.load import load_measurement
from analysis.present import location as dl
from analysis.present import publish
from test_disclosure_property import PERIODS, check_decision, check_outputs, write_measurements

K = dc.DEFAULT_MIN_CELL_SIZE
#: The shape of the export in the report of the failure: 14 locations, 33 registrations.
FOURTEEN = [[3, 2, 4, 1, 2, 3, 2, 1, 4, 3, 2, 1, 3, 2]]


def _data(tmp: Path, per_location: list[list[int]], seed: int):
    processed = write_measurements(tmp / "processed", per_location, seed=seed, skew=0.3, missing=0.05)
    return load_measurement(processed, 3, PERIODS[3])


@pytest.fixture(scope="module")
def fourteen(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    data = _data(tmp_path_factory.mktemp("fourteen"), FOURTEEN, seed=0)
    return data, check_decision(data, exact=False)


def test_a_small_export_that_raised_gets_a_protected_widened_decision(fourteen: tuple) -> None:
    data, decision = fourteen
    assert len(data.registrations) == sum(FOURTEEN[0]) and decision.fallback
    scopes = {(w.table, w.scope) for w in decision.widened}
    assert ("ch2_fig01_per_location_month", "alles") in scopes  # 33 over 14 locations x 6 months
    assert all(w.scope in publish.SCOPES and w.reason in publish.REASONS for w in decision.widened)
    sentences = publish.widening_sentences(decision)
    assert len(sentences) == len(decision.widened)
    assert all(s.endswith(".") and not s[0].islower() and "{" not in s for s in sentences)
    assert any(f"te weinig registraties om cellen onder {K} te beschermen" in s for s in sentences)


def test_every_output_of_a_widened_decision_resists_the_lp_attack(tmp_path: Path) -> None:
    data = _data(tmp_path, [[4, 6, 3]], seed=0)
    decision = check_decision(data, exact=True)
    assert decision.widened
    check_outputs(data, decision, tmp_path / "out")


def test_the_decision_file_keeps_the_widenings_and_the_text_file_states_them(
    fourteen: tuple, tmp_path: Path
) -> None:
    data, decision = fourteen
    path = publish.save(decision, publish.decision_file(tmp_path, data.meting))
    body = json.loads(path.read_text("utf-8"))
    assert [w["scope"] for w in body["widened"]] == [w.scope for w in decision.widened]
    for w in body["widened"]:  # ids, labels and keys only: never a count
        assert set(w) == {"table", "scope", "reason", "title", "locations", "cells"}
        assert all(not str(v).isdigit() for v in [*w["locations"], *w["cells"], w["table"]])
    again = publish.load(path, decision.digest)
    assert again is not None and again.widened == decision.widened and again.hidden == decision.hidden
    text = publish.widened_file(path).read_text("utf-8")
    assert (
        path.name == f"meting-{data.meting}.json" and publish.widened_file(path).name == "widened-meting-3.md"
    )
    assert all(s in text for s in publish.widening_sentences(decision))


def test_nothing_widened_no_sentence_and_no_text_file(tmp_path: Path) -> None:
    decision = publish.Decision(K, frozenset({"H01|m:2020-09"}), digest="d")
    assert publish.widening_sentences(decision) == [] and publish.widened_text(decision, 3) == ""
    path = publish.decision_file(tmp_path, 3)
    publish.widened_file(path).parent.mkdir(parents=True)
    publish.widened_file(path).write_text("stale", encoding="utf-8")
    publish.save(decision, path)
    assert not publish.widened_file(path).exists()


@pytest.mark.parametrize(
    ("widening", "sentence"),
    [
        (
            publish.Widening("factsheet:aanleiding", "tabel", "protect", "Aanleiding"),
            "De tabel ‘Aanleiding’ per locatie is niet getoond: te weinig registraties om cellen "
            "onder 5 te beschermen.",
        ),
        (
            publish.Widening("factsheet:ruimte", "locatie", "protect", "Ruimte", ("H03",)),
            "De tabel ‘Ruimte’ is voor locatie H03 niet getoond: te weinig registraties om cellen "
            "onder 5 te beschermen.",
        ),
        (
            publish.Widening("factsheet:ruimte", "locatie", "protect", "Ruimte", ("H03", "H07", "H09")),
            "De tabel ‘Ruimte’ is voor 3 locaties (H03, H07 en H09) niet getoond: te weinig "
            "registraties om cellen onder 5 te beschermen.",
        ),
        (
            publish.Widening("ch2_fig06_room_by_reason", "tabel", "protect", "Ruimte per type aanleiding"),
            "Figuur 6 (Ruimte per type aanleiding) is niet getoond: te weinig registraties om cellen "
            "onder 5 te beschermen.",
        ),
        (
            publish.Widening("factsheet:aanleiding", "alles", "protect", "Aanleiding"),
            "De tabel ‘Aanleiding’ is per locatie en landelijk niet getoond (ook in Figuur 2): te "
            "weinig registraties om cellen onder 5 te beschermen.",
        ),
        (
            publish.Widening("factsheet:contact", "tabel", "protect", "Contact plaatsgevonden"),
            "Het kengetal ‘Contact plaatsgevonden’ per locatie is niet getoond: te weinig "
            "registraties om cellen onder 5 te beschermen.",
        ),
        (
            publish.Widening("ch2_fig01_per_month", "totalen", "below_k", cells=("nat|m:2021-01",)),
            "1 landelijk maandtotaal is niet getoond: minder dan 5 registraties.",
        ),
        (
            publish.Widening("ch2_fig01_per_month", "totalen", "protect", cells=("nat|T", "nat|m:2020-09")),
            "Het landelijke totaal en 1 landelijk maandtotaal zijn niet getoond: te weinig "
            "registraties om cellen onder 5 te beschermen.",
        ),
        (
            publish.Widening("ch2_fig01_per_month", "totalen", "protect", cells=("nat|T",)),
            "Het landelijke totaal is niet getoond: te weinig registraties om cellen onder 5 te beschermen.",
        ),
        (
            publish.Widening(
                publish.MONTHS_TABLE,
                "tabel",
                "protect",
                "Ongeplande gedwongen afzonderingen per locatie en maand",
            ),
            "De tabel ‘Ongeplande gedwongen afzonderingen per locatie en maand’ is niet getoond: te "
            "weinig registraties om cellen onder 5 te beschermen.",
        ),
        (
            publish.Widening(publish.EVERY_TABLE, "alle", "protect"),
            "Alle aantallen, per locatie en landelijk, zijn niet getoond: te weinig registraties om "
            "cellen onder 5 te beschermen.",
        ),
    ],
)
def test_widening_sentences(widening: publish.Widening, sentence: str) -> None:
    assert publish.widening_sentence(widening, K) == sentence


def test_the_sentence_follows_k() -> None:
    w = publish.Widening("factsheet:aanleiding", "tabel", "protect", "Aanleiding")
    assert "cellen onder 10 te beschermen" in publish.widening_sentence(w, 10)


def test_every_cell_of_the_system_belongs_to_a_table(fourteen: tuple) -> None:
    data, _decision = fourteen
    system, _ = publish.published_system(data, dl.Period(tuple(data.months)))
    tables = {publish.table_of(c)[0] for c in system.values}
    assert publish.MONTHS_TABLE in tables and publish.TOTALS_TABLE in tables
    assert {publish.table_of(c)[1] for c in system.values} >= {None, "H01"}


def test_the_factsheet_states_what_was_widened_for_its_location(tmp_path: Path) -> None:
    from analysis.core.params import FactsheetParams
    from analysis.report import factsheets as rf

    processed = write_measurements(tmp_path / "processed", [[4, 6, 3]], seed=0, skew=0.3, missing=0.05)
    params = tmp_path / "params"
    params.mkdir()
    (params / "meting-3.yaml").write_text(
        f'meting: 3\nfolder: meting-3\nfirst_month: "{PERIODS[3][0]}"\nlast_month: "{PERIODS[3][-1]}"\n'
        "expected_locations: 3\nlabel: test\n",
        encoding="utf-8",
    )
    p = FactsheetParams(
        location="H01",
        meting=3,
        data_dir=str(processed),
        output_dir=str(tmp_path / "build"),
        params_dir=str(params),
        min_cell_size=K,
    )
    sheet, _chart = rf.content(p)
    decision = rf.published_hidden(p)
    sentences = publish.widening_sentences(decision, "H01")
    assert sentences and all(s in sheet["notes"] for s in sentences)
    assert sheet["notes"][0] == dc.note(K)
    assert publish.widened_file(publish.decision_file(tmp_path / "build", 3)).exists()


def test_a_factsheet_without_widening_has_no_such_note(tmp_path: Path) -> None:
    from analysis.report import factsheets as rf

    sheet = {"location": "H01", "national_period": "p", "months": [{"label": "a"}], "whole": "w"}
    sheet |= {"active_months": 1, "latest": "a", "earlier": "e"}
    plain = rf.decorate(sheet, name=None, measurement=3, synthetic=False, k=K)["notes"]
    widened = rf.decorate(sheet, name=None, measurement=3, synthetic=False, k=K, widened=["Zin."])["notes"]
    assert widened == [plain[0], "Zin.", *plain[1:]] and "Zin." not in plain
