"""Table-driven tests: every bad input gives its exact quarantine reason, and rows reconcile."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analysis.ingest import process as ingest
from ingest_fixtures import KEY, MEASUREMENTS, make_tree, valid_row, valid_rows, write_csv

DATE_HINT = "is not a date (expected DD.MM.JJJJ, DD-MM-JJJJ, JJJJ-MM-DD or an Excel date number)"
TIME_HINT = "is not a time (expected HH:MM or H:MM)"
AANLEIDING = (
    "1 Agressie, 2 Orde/regels, 3 Zelfbeschadiging, 4 Personele bezetting, 5 Rust-/kamermoment, 6 Anders"
)


def ingest_rows(
    tmp_path: Path, rows: list[dict[str, str]], **kw
) -> tuple[ingest.IngestReport, pd.DataFrame, pd.DataFrame]:
    raw = make_tree(tmp_path, rows, **kw)
    rep = ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    reg = pd.read_parquet(tmp_path / "out" / "registrations.parquet")
    quar = pd.read_csv(tmp_path / "out" / "quarantine.csv", dtype=str, keep_default_na=False)
    return rep, reg, quar


def assert_reconciles(rep: ingest.IngestReport) -> None:
    for f in rep.files:
        assert f.rows_read == f.rows_accepted + f.rows_quarantined, f
    t = rep.totals["all"]
    assert t["rows_read"] == t["rows_accepted"] + t["rows_quarantined"]


BAD_REGISTRATIONS = [
    ({"locatie": "ZZ"}, "locatie", "ZZ", "locatie is not in locations.csv"),
    ({"locatie": ""}, "locatie", "", "locatie is required but empty"),
    ({"datum_start": ""}, "datum_start", "", "datum_start is required but empty"),
    ({"tijd_start": "n.v.t."}, "tijd_start", "", "tijd_start is required but empty"),
    ({"datum_start": "31.02.2020"}, "datum_start", "31.02.2020", f"datum_start {DATE_HINT}"),
    ({"datum_eind": "2020-13-01"}, "datum_eind", "2020-13-01", f"datum_eind {DATE_HINT}"),
    ({"datum_start": "7"}, "datum_start", "7", f"datum_start {DATE_HINT}"),
    ({"tijd_start": "25:00"}, "tijd_start", "25:00", f"tijd_start {TIME_HINT}"),
    ({"tijd_eind": "8u30"}, "tijd_eind", "8u30", f"tijd_eind {TIME_HINT}"),
    (
        {"evaluatie_2": "7"},
        "evaluatie_2",
        "7",
        "evaluatie_2 is not a code; allowed: 1 Zonder jongere, 2 Met jongere",
    ),
    ({"aanleiding": "Agresie"}, "aanleiding", "Agresie", f"aanleiding is not a code; allowed: {AANLEIDING}"),
    (
        {"doel": "6"},
        "doel",
        "6",
        "doel is not a code; allowed: 1 Veiligheid jongere, 2 Veiligheid "
        "anderen, 3 Consequentie op gedrag, 4 Tot rust komen jongere, 5 Anders",
    ),
]


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory):
    """One ingest of 4 valid rows followed by one row per bad case (rows 6, 7, ...)."""
    tmp = tmp_path_factory.mktemp("bad")
    rows = valid_rows(4) + [valid_row(4 + i, **case[0]) for i, case in enumerate(BAD_REGISTRATIONS)]
    return ingest_rows(tmp, rows)


@pytest.mark.parametrize("case", range(len(BAD_REGISTRATIONS)))
def test_bad_registration_is_quarantined_with_reason(bad_run, case):
    rep, reg, quar = bad_run
    _, column, value, reason = BAD_REGISTRATIONS[case]
    row = 6 + case
    assert row not in set(reg["bron_rij"])
    lines = quar[quar["row"] == str(row)]
    assert lines[["file", "column", "value", "reason"]].values.tolist() == [
        ["meting-2/registraties/export.csv", column, value, reason]
    ]


def test_bad_registrations_reconcile(bad_run):
    rep, reg, quar = bad_run
    assert_reconciles(rep)
    f = next(f for f in rep.files if f.kind == "registraties")
    n = len(BAD_REGISTRATIONS)
    assert (f.rows_read, f.rows_accepted, f.rows_quarantined) == (4 + n, 4, n)
    assert len(quar) == n


def test_row_with_several_problems_is_quarantined_once_with_every_problem(tmp_path):
    rows = valid_rows(3) + [valid_row(3, locatie="ZZ", evaluatie_2="9", tijd_start="99:99")]
    rep, reg, quar = ingest_rows(tmp_path, rows)
    assert sorted(quar["column"]) == ["evaluatie_2", "locatie", "tijd_start"]
    assert set(quar["row"]) == {"5"}
    assert rep.totals["registraties"]["rows_quarantined"] == 1
    assert_reconciles(rep)


FLAG_CASES = [
    ({"tijd_start": "0:00", "tijd_eind": "23:59"}, "vlag_duur_2359"),
    ({"tijd_start": "14:00", "tijd_eind": "13:00"}, "vlag_eind_voor_start"),
    ({"datum_eind": "20.10.2020", "tijd_eind": "23:00"}, "vlag_duur_boven_24u"),
]


@pytest.fixture(scope="module")
def flag_run(tmp_path_factory):
    rows = valid_rows(3) + [valid_row(10 + i, **o) for i, (o, _) in enumerate(FLAG_CASES)]
    return ingest_rows(tmp_path_factory.mktemp("flags"), rows)


@pytest.mark.parametrize("case", range(len(FLAG_CASES)))
def test_flagged_rows_are_kept(flag_run, case):
    rep, reg, quar = flag_run
    flag = FLAG_CASES[case][1]
    assert len(reg) == 3 + len(FLAG_CASES) and len(quar) == 0
    assert reg.loc[reg[flag], "bron_rij"].tolist() == [5 + case]
    others = [c for c in reg if c.startswith("vlag_") and c != flag]
    assert not reg.loc[reg["bron_rij"] == 5 + case, others].to_numpy().any()


def test_duplicate_flags_later_occurrences_only(tmp_path):
    rows = valid_rows(3) + [valid_row(1), valid_row(1, nummer_jongere=valid_row(1)["nummer_jongere"].lower())]
    rep, reg, _ = ingest_rows(tmp_path, rows)
    assert sorted(reg.loc[reg["vlag_dubbel"], "bron_rij"]) == [5, 6]
    assert not reg.loc[reg["bron_rij"] == 3, "vlag_dubbel"].item()


SPELLINGS = [
    ({"datum_start": "2020-10-03"}, "start", pd.Timestamp("2020-10-03 09:07")),
    ({"datum_start": "03-10-2020"}, "start", pd.Timestamp("2020-10-03 09:07")),
    ({"datum_start": "44107"}, "start", pd.Timestamp("2020-10-03 09:07")),
    (
        {"tijd_start": "9:07:30"},
        "start",
        pd.Timestamp("2020-02-10 09:07:30").replace(year=2020, month=10, day=2),
    ),
    ({"aanleiding": " agressie "}, "aanleiding", 1),
    ({"aanleiding": "AGGRESSION"}, "aanleiding", 1),
    ({"aanleiding": "01"}, "aanleiding", 1),
    ({"aanleiding": "1,0"}, "aanleiding", 1),
    ({"aanleiding": "Anders, namelijk.."}, "aanleiding", 6),
    ({"evaluatie_2": ""}, "evaluatie_2", pd.NA),
    ({"evaluatie_2": "n.v.t."}, "evaluatie_2", pd.NA),
    ({"nummer_jongere": ""}, "jongere", None),
    ({"datum_eind": "", "tijd_eind": "22:00"}, "eind", pd.Timestamp("2020-10-02 22:00")),
    ({"datum_eind": "02.10.2020", "tijd_eind": ""}, "eind", pd.NaT),
]


@pytest.fixture(scope="module")
def spelling_run(tmp_path_factory):
    rows = [valid_row(1, **o) for o, _, _ in SPELLINGS]
    return ingest_rows(tmp_path_factory.mktemp("spellings"), rows)


@pytest.mark.parametrize("case", range(len(SPELLINGS)))
def test_accepted_spellings(spelling_run, case):
    rep, reg, quar = spelling_run
    _, column, expected = SPELLINGS[case]
    assert len(quar) == 0, quar.to_dict("records")
    value = reg.loc[reg["bron_rij"] == 2 + case, column].item()
    if expected is None or expected is pd.NA or expected is pd.NaT:
        assert pd.isna(value)
    else:
        assert value == expected


def test_missing_required_column_quarantines_every_row(tmp_path):
    raw = make_tree(tmp_path, valid_rows(2))
    rows = [{k: v for k, v in r.items() if k != "tijd_start"} for r in valid_rows(3)]
    write_csv(raw / "meting-2" / "registraties" / "zonder_tijd.csv", rows)
    rep = ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    f = next(f for f in rep.files if f.file.endswith("zonder_tijd.csv"))
    assert (f.rows_read, f.rows_accepted, f.rows_quarantined) == (3, 0, 3)
    assert f.error.startswith("required column tijd_start is missing (recognised columns: locatie, ")
    quar = pd.read_csv(tmp_path / "out" / "quarantine.csv", dtype=str)
    assert quar["row"].tolist() == ["2", "3", "4"]
    assert set(quar["reason"]) == {f"file not processed: {f.error}"}
    assert_reconciles(rep)


@pytest.mark.parametrize(
    "name, content, error",
    [
        ("kapot.xlsx", b"this is not a workbook", "a text (CSV) file saved with the extension .xlsx (0 rows"),
        ("kapot2.xlsx", b"PK\x03\x04 broken zip" + bytes(range(256)), "not a readable XLSX workbook"),
        ("kapot.sav", b"not spss", "not a readable SPSS .sav file"),
        (
            "oud.xls",
            b"\xd0\xcf\x11\xe0",
            "unsupported file type '.xls'; save the export as .csv, .xlsx or .sav",
        ),
        ("leeg.csv", b"", "the file is empty (no header row)"),
    ],
)
def test_unreadable_file_is_reported_not_skipped(tmp_path, name, content, error):
    raw = make_tree(tmp_path, valid_rows(2))
    (raw / "meting-2" / "registraties" / name).write_bytes(content)
    rep = ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    f = next(f for f in rep.files if f.file.endswith(name))
    assert f.error.startswith(error) and f.rows_accepted == 0
    quar = pd.read_csv(tmp_path / "out" / "quarantine.csv", dtype=str, keep_default_na=False)
    assert quar.loc[quar["file"] == f.file, "reason"].str.startswith("file cannot be read: " + error).all()
    report = json.loads((tmp_path / "out" / "ingest_report.json").read_text())
    assert any(x["file"] == f.file and x["error"] == f.error for x in report["files"])
    assert rep.totals["registraties"]["files_not_processed"] == 1


def test_misaligned_row_is_quarantined(tmp_path):
    raw = make_tree(tmp_path, valid_rows(2))
    path = raw / "meting-2" / "registraties" / "export.csv"
    path.write_bytes(path.read_bytes() + b"AA;AA0001;01.10.2020;10:00;;;1;;1;;1;1;1;1;1;1;;;extra;veld\r\n")
    rep = ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    quar = pd.read_csv(tmp_path / "out" / "quarantine.csv", dtype=str, keep_default_na=False)
    assert quar[["row", "reason"]].values.tolist() == [
        ["4", "row has 20 fields but the header has 18 (a separator inside a value without quotes?)"]
    ]
    assert_reconciles(rep)


OCC = "meting-2/bezetting.csv"


@pytest.mark.parametrize(
    "row, column, reason",
    [
        (
            {"locatie": "ZZ", "maand": "2020-09", "gemiddelde_bezetting": "3"},
            "locatie",
            "locatie is not in locations.csv",
        ),
        (
            {"locatie": "AA", "maand": "2021-05", "gemiddelde_bezetting": "3"},
            "maand",
            "buiten periode: month outside meting 2 (2020-09 to 2021-02, params/meting-2.yaml)",
        ),
        (
            {"locatie": "AA", "maand": "mei", "gemiddelde_bezetting": "3"},
            "maand",
            "maand is not a month (expected JJJJ-MM)",
        ),
        (
            {"locatie": "AA", "maand": "2020-10", "gemiddelde_bezetting": "veel"},
            "gemiddelde_bezetting",
            "gemiddelde_bezetting is not a number",
        ),
        (
            {"locatie": "AA", "maand": "2020-10", "gemiddelde_bezetting": "-2,5"},
            "gemiddelde_bezetting",
            "gemiddelde_bezetting is negative",
        ),
        (
            {"locatie": "AA", "maand": "2020-10", "gemiddelde_bezetting": ""},
            "gemiddelde_bezetting",
            "gemiddelde_bezetting is required but empty",
        ),
    ],
)
def test_bad_occupancy(tmp_path, row, column, reason):
    raw = make_tree(tmp_path, valid_rows(2), occupancy=False)
    write_csv(raw / OCC, [{"locatie": "BB", "maand": "2020-10", "gemiddelde_bezetting": "4,5"}, row])
    rep = ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    quar = pd.read_csv(tmp_path / "out" / "quarantine.csv", dtype=str, keep_default_na=False)
    assert quar[["file", "row", "column", "reason"]].values.tolist() == [[OCC, "3", column, reason]]
    occ = pd.read_parquet(tmp_path / "out" / "occupancy.parquet")
    assert occ.values.tolist() == [[2, "BB", "2020-10", 4.5]]
    assert_reconciles(rep)


def test_duplicate_occupancy_keeps_first(tmp_path):
    raw = make_tree(tmp_path, valid_rows(2), occupancy=False)
    row = {"locatie": "AA", "maand": "2020-10", "gemiddelde_bezetting": "4"}
    write_csv(raw / OCC, [row, dict(row, gemiddelde_bezetting="5")])
    ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    quar = pd.read_csv(tmp_path / "out" / "quarantine.csv", dtype=str, keep_default_na=False)
    assert quar[["row", "value", "reason"]].values.tolist() == [
        ["3", "AA 2020-10", "duplicate locatie, maand: same as row 2"]
    ]


@pytest.mark.parametrize(
    "override, column, reason",
    [
        ({"gegevens": "3"}, "gegevens", "gegevens is not a code; allowed: 0 Nee, 1 Ja"),
        ({"locatie": "ZZ"}, "locatie", "locatie is not in locations.csv"),
        (
            {"bevorderende_factoren": "1|9"},
            "bevorderende_factoren",
            "bevorderende_factoren holds a value that is not a "
            "code; allowed: 1 Maatwerk voor jongeren, 2 Cultuur met zo min mogelijk repressie, 3 Kleinschalige "
            "leefgroepen, 4 Actief betrekken van medewerkers, 5 Actief betrekken van jongeren",
        ),
        ({"gesloten_per": "dicht"}, "gesloten_per", "gesloten_per is not a month (expected JJJJ-MM)"),
        ({"locatie": "AA"}, "locatie", "duplicate locatie: same as row 2"),
    ],
)
def test_bad_policy(tmp_path, override, column, reason):
    raw = make_tree(tmp_path, valid_rows(2))
    path = raw / "meting-2" / "beleid.csv"
    rows = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False).to_dict("records")
    rows[1].update(override)
    write_csv(path, rows)
    rep = ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    quar = pd.read_csv(tmp_path / "out" / "quarantine.csv", dtype=str, keep_default_na=False)
    assert quar[["row", "column", "reason"]].values.tolist() == [["3", column, reason]]
    assert_reconciles(rep)


def test_policy_labels_and_lists(tmp_path):
    raw = make_tree(tmp_path, valid_rows(2))
    path = raw / "meting-2" / "beleid.csv"
    rows = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False).to_dict("records")
    rows[0].update(rustmomenten="Eén rustmoment overdag en nachtrust", bevorderende_factoren="3|1|3")
    write_csv(path, rows, encoding="cp1252")
    ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    pol = pd.read_parquet(tmp_path / "out" / "policy.parquet")
    assert pol.loc[0, "rustmomenten"] == 2 and pol.loc[0, "bevorderende_factoren"] == "1|3"
