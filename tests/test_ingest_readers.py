"""Readers: CSV/XLSX/SAV round trips, encodings, separators, aliases and value parsers."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analysis.ingest import checks
from analysis.ingest import process as ingest
from analysis.ingest import readers
from ingest_fixtures import (
    KEY,
    MEASUREMENTS,
    REG_HEADER,
    make_tree,
    valid_row,
    valid_rows,
    write_csv,
    write_sav,
    write_xlsx,
)

ROWS = [{"a": "1", "b": "Eén;twee", "c": "01.10.2020"}, {"a": "", "b": 'quote " here', "c": "7:05"}]


def _cells(table: readers.TextTable) -> list[list[str]]:
    return table.frame.drop(columns="bron_rij").values.tolist()


@pytest.mark.parametrize("sep", [";", ","])
@pytest.mark.parametrize(
    "encoding, label", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-bom"), ("cp1252", "windows-1252")]
)
def test_csv_round_trip(tmp_path, sep, encoding, label):
    path = write_csv(tmp_path / "x.csv", ROWS, sep=sep, encoding=encoding)
    t = readers.read_csv(path)
    assert t.header == ["a", "b", "c"] and (t.encoding, t.separator) == (label, sep)
    assert _cells(t) == [list(r.values()) for r in ROWS]
    assert t.frame["bron_rij"].tolist() == [2, 3]


def test_csv_blank_lines_counted_not_read(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a;b\n1;2\n\n;\n3;4\n", encoding="utf-8")
    t = readers.read_csv(path)
    assert _cells(t) == [["1", "2"], ["3", "4"]] and t.blank_rows == 2
    assert t.frame["bron_rij"].tolist() == [2, 5]


def test_xlsx_round_trip_with_real_dates_and_times(tmp_path):
    rows = [
        {
            "datum": dt.datetime(2020, 10, 1),
            "tijd": dt.time(7, 5),
            "code": 2,
            "ts": dt.datetime(2020, 10, 1, 8, 30),
            "tekst": "Eén",
        },
        {"datum": "01.10.2020", "tijd": "7:05", "code": None, "ts": 44105.5, "tekst": None},
    ]
    t = readers.read_xlsx_sheets(write_xlsx(tmp_path / "x.xlsx", rows))[0]
    assert t.header == ["datum", "tijd", "code", "ts", "tekst"]
    assert _cells(t) == [
        ["2020-10-01", "07:05:00", "2", "2020-10-01 08:30:00", "Eén"],
        ["01.10.2020", "7:05", "", "44105.5", ""],
    ]
    assert t.frame["bron_rij"].tolist() == [2, 3]


def test_sav_round_trip_with_value_labels(tmp_path):
    df = pd.DataFrame(
        {
            "locatie": ["AA", "BB"],
            "aanleiding": [1.0, 9.0],
            "datum_start": [dt.date(2020, 10, 1), dt.date(2020, 10, 2)],
        }
    )
    path = write_sav(
        tmp_path / "x.sav", df, labels={"aanleiding": {1.0: "Agressie"}}, formats={"datum_start": "DATE11"}
    )
    t = readers.read_sav(path)
    assert t.header == ["locatie", "aanleiding", "datum_start"]
    # Cells keep the codes; the labels come apart (analysis.ingest.labels reconciles them).
    assert _cells(t) == [["AA", "1", "2020-10-01"], ["BB", "9", "2020-10-02"]]
    assert t.value_labels == {"aanleiding": {"1": "Agressie"}}
    assert t.frame["bron_rij"].tolist() == [1, 2]


def test_all_formats_ingest_to_the_same_registrations(tmp_path):
    """The same registrations as CSV, XLSX and SAV give the same processed rows."""
    rows = valid_rows(6)
    raw = make_tree(tmp_path, rows)
    reg = raw / "meting-2" / "registraties"
    write_xlsx(reg / "b.xlsx", rows)
    write_sav(reg / "c.sav", pd.DataFrame(rows))
    rep = ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    assert rep.totals["registraties"] == {
        "files": 3,
        "files_not_processed": 0,
        "rows_read": 18,
        "rows_accepted": 18,
        "rows_quarantined": 0,
    }
    out = pd.read_parquet(tmp_path / "out" / "registrations.parquet")
    per_file = [
        g.drop(columns=["bron_bestand", "bron_rij", "vlag_dubbel"])
        .sort_values("start")
        .reset_index(drop=True)
        for _, g in out.groupby("bron_bestand")
    ]
    pd.testing.assert_frame_equal(per_file[0], per_file[1])
    pd.testing.assert_frame_equal(per_file[0], per_file[2])
    assert out["vlag_dubbel"].sum() == 12  # the copies in b.xlsx and c.sav duplicate export.csv


def test_header_aliases_case_and_whitespace(tmp_path):
    header = [" LOCATIECODE ", "Nummer jongere", "Datum_Start", "tijd  start"] + REG_HEADER[4:]
    raw = make_tree(tmp_path, [])
    write_csv(raw / "meting-2" / "registraties" / "export.csv", [valid_row(1)], header=header)
    rep = ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    f = next(f for f in rep.files if f.kind == "registraties")
    assert f.rows_accepted == 1 and f.columns["LOCATIECODE"] == "locatie"
    assert f.free_text_dropped == [
        "aanleiding_omschrijving",
        "doel_omschrijving",
        "aanvulling_omschrijving",
        "opmerkingen",
    ]


def test_per_source_alias_file(tmp_path):
    header = ["locatie", "Client nr"] + REG_HEADER[2:]
    raw = make_tree(tmp_path, [])
    reg = raw / "meting-2" / "registraties"
    write_csv(reg / "export.csv", [valid_row(1, aanleiding="Fysieke agressie")], header=header)
    (reg / "aliases.yaml").write_text(
        "columns:\n  Client nr: nummer_jongere\nlabels:\n  aanleiding:\n    Fysieke agressie: 1\n",
        encoding="utf-8",
    )
    rep = ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    out = pd.read_parquet(tmp_path / "out" / "registrations.parquet")
    assert out["aanleiding"].tolist() == [1] and out["jongere"].notna().all()
    assert "meting-2/registraties/aliases.yaml" not in [f.file for f in rep.files]


def test_bad_alias_file_is_a_clear_error(tmp_path):
    raw = make_tree(tmp_path)
    (raw / "meting-2" / "registraties" / "aliases.yaml").write_text("columns:\n  x: geen_kolom\n")
    with pytest.raises(
        ingest.IngestError, match="'x' points to 'geen_kolom', which is not a codebook column"
    ):
        ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)


def test_alias_to_unknown_code_is_a_clear_error(tmp_path):
    raw = make_tree(tmp_path)
    (raw / "meting-2" / "registraties" / "aliases.yaml").write_text("labels:\n  evaluatie_2:\n    samen: 3\n")
    with pytest.raises(ingest.IngestError, match="'samen' -> 3 for evaluatie_2: 3 is not a code"):
        ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)


def test_ambiguous_headers_stop_the_file(tmp_path):
    header = ["locatie", "nummer_jongere", "datum_start", "tijd_start", "begindatum"] + REG_HEADER[5:]
    raw = make_tree(tmp_path, [])
    write_csv(raw / "meting-2" / "registraties" / "export.csv", valid_rows(2), header=header)
    rep = ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    f = next(f for f in rep.files if f.kind == "registraties")
    assert f.error == "columns 'datum_start' and 'begindatum' both mean datum_start"
    assert f.rows_quarantined == 2


@pytest.mark.parametrize(
    "text, expected",
    [
        ("01.10.2020", "2020-10-01"),
        ("1.10.2020", "2020-10-01"),
        ("01-10-2020", "2020-10-01"),
        ("2020-10-01", "2020-10-01"),
        ("44105", "2020-10-01"),
        ("44105,75", "2020-10-01"),
        ("2020-10-01 00:00:00", "2020-10-01"),
        ("01/10/2020", "2020-10-01"),
        ("31.02.2020", None),
        ("10", None),
        ("gisteren", None),
        ("2020/10/01", None),
    ],
)
def test_parse_dates(text, expected):
    got = checks.parse_dates(pd.Series([text, None], dtype=object))
    assert (None if pd.isna(got[0]) else got[0].strftime("%Y-%m-%d")) == expected and pd.isna(got[1])


@pytest.mark.parametrize(
    "text, seconds",
    [
        ("7:05", 25500),
        ("07:05", 25500),
        ("07:05:30", 25530),
        ("23:59", 86340),
        ("0:00", 0),
        ("1899-12-30 07:05:00", 25500),
        ("0.5", 43200),
        ("24:00", None),
        ("7:5", None),
        ("7.05", None),
        ("abc", None),
    ],
)
def test_parse_times(text, seconds):
    got = checks.parse_times(pd.Series([text], dtype=object))[0]
    assert (None if pd.isna(got) else got) == seconds


def test_parse_numbers_decimal_comma():
    got = checks.parse_numbers(pd.Series(["12,5", "12.5", "1.234,5", "x", None], dtype=object))
    assert got[:3].tolist() == [12.5, 12.5, 1234.5] and got[3:].isna().all()
