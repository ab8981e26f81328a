"""Issue 13 item 4: periods come from the data and are checked against the configuration.

One rule: a registration or occupancy row whose month is outside its measurement's period,
or outside its location's ``eerste_maand`` - ``laatste_maand``, is quarantined at ingest
("buiten periode"), so every table and model leaves it out in the same way; the numbers are
in ``ingest_report.json`` (``outside_period``, ``periods``), in the warnings and appendix C.
"""

from __future__ import annotations

import json

import pandas as pd

from analysis.core.measurements import Measurement
from analysis.ingest import process as ingest
from analysis.report.appendices import data_quality_md
from ingest_fixtures import KEY, LOCATIONS, MEASUREMENTS, make_tree, valid_row, write_csv


def _tree(tmp_path):
    rows = [valid_row(i) for i in range(10)]  # October 2020, AA and BB
    rows += [
        valid_row(20 + i, datum_start="03.05.2021", datum_eind="03.05.2021") for i in range(3)
    ]  # after the period
    rows += [
        valid_row(30 + i, locatie="AA", datum_start="05.01.2021", datum_eind="05.01.2021") for i in range(4)
    ]
    raw = make_tree(tmp_path, rows)
    write_csv(
        raw / "locations.csv",
        [
            {
                "locatie": "AA",
                "instelling": "Instelling AA",
                "naam": "Locatie AA",
                "eerste_maand": "2019-09",
                "laatste_maand": "2020-12",
            },  # AA closed after December 2020
            {
                "locatie": "BB",
                "instelling": "Instelling BB",
                "naam": "Locatie BB",
                "eerste_maand": "2019-09",
                "laatste_maand": "2021-02",
            },
        ],
    )
    with open(raw / "meting-2" / "bezetting.csv", "a", encoding="utf-8") as fh:
        fh.write("BB;2021-04;3,0\r\n")  # occupancy after the period
    return raw, rows


def test_outside_period_is_quarantined_counted_and_reported(tmp_path):
    raw, rows = _tree(tmp_path)
    rep = ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    report = json.loads((tmp_path / "out" / "ingest_report.json").read_text())
    outside = report["outside_period"]["2"]
    # 3 after the period (locations AA and BB alternate: 20, 22 -> AA; 21 -> BB),
    # 4 of AA after its laatste_maand; occupancy: AA 2021-01/02 (closed) + BB 2021-04
    assert outside == {"registrations": 7, "occupancy": 3, "by_location": {"AA": 6, "BB": 1}}
    assert report["periods"]["2"]["configured"] == {"first": "2020-09", "last": "2021-02"}
    assert report["periods"]["2"]["found"] == {"first": "2020-10", "last": "2021-05"}
    assert report["periods"]["2"]["by_location"]["AA"] == {"first": "2020-10", "last": "2021-05"}
    reg = pd.read_parquet(tmp_path / "out" / "registrations.parquet")
    occ = pd.read_parquet(tmp_path / "out" / "occupancy.parquet")
    assert len(reg) == 10 and not reg["vlag_buiten_periode"].any()
    assert not ((occ["locatie"] == "AA") & (occ["maand"] > "2020-12")).any() and "2021-04" not in set(
        occ["maand"]
    )
    assert rep.reasons["buiten_periode"] == 3 + 1 and rep.reasons["buiten_locatieperiode"] == 4 + 2
    warning = next(w for w in rep.warnings if w.startswith("meting 2:") and "buiten periode" in w)
    assert "7 registrations and 3 occupancy rows" in warning and "AA 6, BB 1" in warning
    text = data_quality_md(tmp_path / "out")
    assert "buiten de periode" in text and "| 2 |" in text


def test_expected_locations_fewer_or_more_is_a_warning_with_names(tmp_path):
    raw = make_tree(tmp_path, [valid_row(0)])  # only AA registers
    rep = ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    w = next(w for w in rep.warnings if "locations, 2 expected" in w)
    assert "registrations from 1 locations" in w and "without registrations: BB" in w
    three = {
        2: Measurement(
            meting=2, folder="meting-2", first_month="2020-09", last_month="2021-02", expected_locations=1
        )
    }
    rep = ingest.run(make_tree(tmp_path / "b"), tmp_path / "out2", key=KEY, measurements=three)
    assert any(w.endswith("1 expected (params/meting-2.yaml): AA, BB") for w in rep.warnings)
    assert rep.locations["2"]["found"] == list(LOCATIONS)
