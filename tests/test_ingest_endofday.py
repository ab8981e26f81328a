"""An end time of 24:00 is the end of that day (00:00 of the next), in CSV, XLSX and SPSS.

As a start time 24:00 stays invalid (``bad_time``): the start date decides month, measurement
and hour, and a start "at 24:00" belongs to the next day.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analysis.ingest import checks
from analysis.ingest import process as ingest
from ingest_fixtures import KEY, MEASUREMENTS, make_tree, valid_row, write_sav


@pytest.mark.parametrize(
    "text, end, start",
    [
        ("24:00", 86400, None),
        ("24:00:00", 86400, None),
        ("1", 86400, None),  # the Excel time fraction 1.0
        ("1,0", 86400, None),
        ("1900-01-01", 86400, None),  # how openpyxl reads the serial 1.0 of a time cell
        ("23:59", 86340, 86340),
        ("0:00", 0, 0),
        ("24:01", None, None),
        ("25:00", None, None),
        ("1900-01-01 06:00:00", None, None),  # serial 1.25: 30 hours, not a clock time
        ("1899-12-30 07:05:00", 25500, 25500),
    ],
)
def test_end_of_day_only_as_an_end_time(text, end, start):
    s = pd.Series([text], dtype=object)
    got_end = checks.parse_times(s, end_of_day=True)[0]
    got_start = checks.parse_times(s)[0]
    assert (None if pd.isna(got_end) else got_end) == end
    assert (None if pd.isna(got_start) else got_start) == start


def _ingest(tmp_path, raw):
    rep = ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    reg = pd.read_parquet(tmp_path / "out" / "registrations.parquet")
    quar = pd.read_csv(tmp_path / "out" / "quarantine.csv", dtype=str)
    return rep, reg.set_index(["bron_bestand", "bron_rij"]), quar


def _kept(reg, file: str, row: int, start: str, minutes: float) -> None:
    r = reg.loc[(file, row)]
    assert r["eind"] == pd.Timestamp("2020-10-06 00:00"), r["eind"]
    assert r["start"] == pd.Timestamp(start) and r["duur_min"] == minutes
    assert not r["vlag_eind_voor_start"] and not r["vlag_duur_2359"]


def test_csv_end_time_24_00_is_kept_and_a_start_time_24_00_is_not(tmp_path):
    day = dict(datum_start="05.10.2020", datum_eind="05.10.2020", tijd_start="20:00")
    rows = [
        valid_row(0, **day, tijd_eind="24:00"),
        valid_row(1, **day, tijd_eind="24:00:00"),
        valid_row(2, **dict(day, datum_eind=""), tijd_eind="24:00"),  # end date = start date
        valid_row(3, **dict(day, tijd_start="24:00"), tijd_eind="24:00"),
    ]
    raw = make_tree(tmp_path, rows)
    rep, reg, quar = _ingest(tmp_path, raw)
    f = "meting-2/registraties/export.csv"
    for row in (2, 3, 4):
        _kept(reg, f, row, "2020-10-05 20:00", 240.0)
    assert rep.totals["registraties"]["rows_quarantined"] == 1
    assert quar[["row", "column", "check"]].values.tolist() == [["5", "tijd_start", "bad_time"]]


def test_xlsx_end_of_day_as_text_duration_and_time_fraction(tmp_path):
    import openpyxl

    raw = make_tree(tmp_path, [valid_row(0)])
    path = raw / "meting-2" / "registraties" / "b.xlsx"
    base = valid_row(0, datum_start="05.10.2020", datum_eind="05.10.2020", tijd_start="20:00")
    header = list(base)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    end = header.index("tijd_eind") + 1
    for i, value in enumerate(["24:00", dt.timedelta(days=1), 1.0, 1.0], start=2):
        ws.append([base[k] for k in header])
        ws.cell(row=i, column=end, value=value)
    ws.cell(row=4, column=end).number_format = "hh:mm"  # Excel shows 1.0 as 0:00 ...
    ws.cell(row=5, column=end).number_format = "[hh]:mm"  # ... or as 24:00
    ws.cell(row=3, column=end).number_format = "[hh]:mm:ss"
    wb.save(path)
    rep, reg, quar = _ingest(tmp_path, raw)
    for row in (2, 3, 4, 5):
        _kept(reg, "meting-2/registraties/b.xlsx", row, "2020-10-05 20:00", 240.0)
    assert rep.totals["registraties"]["rows_quarantined"] == 0, quar


def test_spss_end_of_day_as_string_and_as_time_format_86400(tmp_path):
    raw = make_tree(tmp_path, [valid_row(0)])
    reg_dir = raw / "meting-2" / "registraties"
    base = valid_row(0, datum_start="05.10.2020", datum_eind="05.10.2020", tijd_start="20:00")
    write_sav(reg_dir / "tekst.sav", pd.DataFrame([dict(base, tijd_eind="24:00")]))
    timed = pd.DataFrame([dict(base, tijd_start=72000.0, tijd_eind=secs) for secs in (86400.0, 90000.0)])
    write_sav(reg_dir / "tijd.sav", timed, formats={"tijd_start": "TIME8", "tijd_eind": "TIME8"})
    rep, reg, quar = _ingest(tmp_path, raw)
    _kept(reg, "meting-2/registraties/tekst.sav", 1, "2020-10-05 20:00", 240.0)
    _kept(reg, "meting-2/registraties/tijd.sav", 1, "2020-10-05 20:00", 240.0)
    # 90000 s (25:00) is no clock time: quarantined, never read as 01:00 of the same day
    assert quar[["file", "row", "column", "value", "check"]].values.tolist() == [
        ["meting-2/registraties/tijd.sav", "2", "tijd_eind", "25:00:00", "bad_time"]
    ]
