"""Intake: the accounting of every measurement, the quarantine share and re-delivered files.

Unit and property tests of :mod:`analysis.ingest.gate` on trees ingested for real, and the
command line: ``compendium build`` on a tree with a re-delivered export or too much
quarantine stops after ingest with exit 2, one line naming the files (or the share and the
reasons), and the accounting printed before it; no notebook runs.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.ingest import gate
from analysis.ingest import process as ingest
from ingest_fixtures import KEY, MEASUREMENTS, make_tree, valid_row, valid_rows, write_csv
from test_ingest_cli import _compendium
from test_leak_build import _copy_project

LIMITS = {2: (0.05, [])}


def _ingest(tmp_path: Path, raw: Path) -> dict:
    rep = ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    return rep.to_dict()["accounting"]


def _rows(n: int, start: int = 0) -> list[dict[str, str]]:
    return valid_rows(n, start)


# --- accounting -------------------------------------------------------------------------------
def test_clean_tree_accounts_every_row_and_passes(tmp_path):
    acc = _ingest(tmp_path, make_tree(tmp_path, _rows(40)))
    a = acc["2"]
    assert (a["read"], a["accepted"], a["quarantined"], a["defects"]) == (40, 40, 0, 0)
    assert a["reasons"] == {} and a["repeated_files"] == [] and a["without_occupancy"] == []
    assert gate.judge(acc, LIMITS)["2"]["share"] == 0


def test_quarantine_reasons_and_share(tmp_path):
    rows = _rows(40)
    for i in range(4):
        rows[i]["aanleiding"] = "99"  # not a code
    rows[4]["tijd_start"] = "25:99"
    rows[5]["datum_start"] = rows[5]["datum_eind"] = "01.01.2020"  # outside meting 2
    acc = _ingest(tmp_path, make_tree(tmp_path, rows))["2"]
    assert acc["quarantined"] == 6 and acc["outside_period"] == 1 and acc["defects"] == 5
    assert acc["reasons"] == {"bad_code": 4, "bad_time": 1}
    assert acc["accepted"] + acc["quarantined"] == acc["read"] == 40
    # 5 of 39 (the outside-period row is not a defect of the export) = 12.8% > 5%
    with pytest.raises(gate.IntakeStop) as err:
        gate.judge({"2": acc}, LIMITS)
    msg = str(err.value)
    assert "\n" not in msg
    for word in (
        "meting 2",
        "13%",
        "5 of 39",
        "bad_code 4",
        "bad_time 1",
        "export.csv",
        "max_quarantine_share",
    ):
        assert word in msg, msg
    # raised knowingly, the same data pass
    assert gate.judge({"2": acc}, {2: (0.15, [])})["2"]["max_quarantine_share"] == 0.15


def test_a_redelivered_file_is_found_and_named(tmp_path):
    raw = make_tree(tmp_path, _rows(28))
    reg = raw / "meting-2" / "registraties"
    shutil.copy(reg / "export.csv", reg / "export_v2.csv")
    write_csv(reg / "other.csv", _rows(6, start=100))
    acc = _ingest(tmp_path, raw)["2"]
    pairs = {(r["file"], r["other"], r["rows"], r["of"]) for r in acc["repeated_files"]}
    assert pairs == {
        ("meting-2/registraties/export.csv", "meting-2/registraties/export_v2.csv", 28, 28),
        ("meting-2/registraties/export_v2.csv", "meting-2/registraties/export.csv", 28, 28),
    }
    assert acc["duplicates"] == 28  # row-level flags stay as they were
    with pytest.raises(gate.IntakeStop) as err:
        gate.judge({"2": acc}, LIMITS)
    msg = str(err.value)
    assert "export.csv" in msg and "export_v2.csv" in msg and "100%" in msg and "repeated_files" in msg
    assert msg.count(" repeats ") == 1  # the pair is named once
    # declared intended (by its name): the build goes on
    verdict = gate.judge({"2": acc}, {2: (0.05, ["export_v2.csv"])})
    assert all(r["declared"] for r in verdict["2"]["repeated_files"])


def test_a_few_shared_rows_are_row_duplicates_not_a_redelivery(tmp_path):
    raw = make_tree(tmp_path, _rows(30))
    # a second file with 10 new rows and 3 repeated: 30% of it repeats, below one half
    write_csv(raw / "meting-2" / "registraties" / "late.csv", _rows(10, start=200) + _rows(3))
    acc = _ingest(tmp_path, raw)["2"]
    assert acc["repeated_files"] == [] and acc["duplicates"] == 3
    gate.judge({"2": acc}, LIMITS)


def test_months_without_occupancy_are_listed(tmp_path):
    raw = make_tree(tmp_path, _rows(20))
    occ = raw / "meting-2" / "bezetting.csv"
    lines = occ.read_text().splitlines()
    # AA in 2020-10 gets zero occupancy; the registrations of valid_row are all in October
    occ.write_text(
        "\r\n".join(ln.replace(";11,5", ";0") if ln.startswith("AA;2020-10") else ln for ln in lines)
    )
    acc = _ingest(tmp_path, raw)["2"]
    assert acc["without_occupancy"] == ["AA 2020-10"]
    assert "1 location-months with registrations but no occupancy (AA 2020-10" in gate.lines({"2": acc})[0]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n=st.integers(0, 30),
    bad=st.lists(st.sampled_from(["aanleiding", "tijd_start", "datum_start", "locatie"]), max_size=12),
    copies=st.integers(0, 2),
)
def test_accounting_adds_up(tmp_path_factory, n, bad, copies):
    """Property: read = accepted + quarantined, quarantined = defects + outside, reasons sum to defects."""
    tmp = tmp_path_factory.mktemp("acc")
    rows = _rows(n)
    # every broken value distinct: a repeated unknown label would be a label conflict instead
    broken = {"aanleiding": "x{}", "tijd_start": "9{}:99", "datum_start": "nodate{}", "locatie": "ZZ{}"}
    for i, col in enumerate(bad[:n]):
        rows[i][col] = broken[col].format(i)
    raw = make_tree(tmp, rows)
    for c in range(copies):
        shutil.copy(
            raw / "meting-2" / "registraties" / "export.csv", raw / "meting-2" / "registraties" / f"c{c}.csv"
        )
    a = _ingest(tmp, raw)["2"]
    assert a["read"] == n * (1 + copies)
    assert a["accepted"] + a["quarantined"] == a["read"]
    assert a["defects"] + a["outside_period"] == a["quarantined"]
    assert sum(a["reasons"].values()) == a["defects"]
    assert 0 <= gate.defect_share(a) <= 1
    accepted_per_file = n - len(set(range(min(n, len(bad)))))
    if copies and accepted_per_file >= gate.REPEAT_MIN_ROWS:
        assert a["repeated_files"], a
    if not copies:
        assert a["repeated_files"] == []


# --- the command line -------------------------------------------------------------------------
def _project(tmp_path: Path, rows: list[dict[str, str]]) -> Path:
    """A copy of the project (code, notebooks, params) with ``rows`` as its real raw tree."""
    root = tmp_path / "proj"
    _copy_project(root)
    shutil.move(str(make_tree(tmp_path, rows)), root / "data" / "raw")
    return root


def _stderr_line(proc) -> str:
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_build_stops_on_a_redelivered_export(tmp_path):
    root = _project(tmp_path, _rows(28))
    reg = root / "data" / "raw" / "meting-2" / "registraties"
    shutil.copy(reg / "export.csv", reg / "export_v2.csv")
    proc = _compendium(root, "build")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    line = _stderr_line(proc)
    assert line.startswith("error: meting 2: ") and "export.csv" in line and "export_v2.csv" in line
    # the data story came first, on stdout, right after the ingest step
    out = proc.stdout
    assert "meting 2: 56 read, 56 accepted, 0 quarantined" in " ".join(out.split()), out
    assert (
        not list((root / "build" / "notebooks").glob("*.ipynb"))
        if (root / "build" / "notebooks").exists()
        else True
    )
    verdict = root / "build" / "intake.json"
    assert not verdict.exists()


def test_build_stops_when_quarantine_is_too_large(tmp_path):
    rows = _rows(20)
    for i in range(5):
        rows[i]["tijd_start"] = f"{30 + i}:00"  # five different non-times
    root = _project(tmp_path, rows)
    proc = _compendium(root, "build")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    line = _stderr_line(proc)
    assert "25% of the registrations were quarantined" in line and "bad_time 5" in line, line


def test_declared_repetition_and_raised_threshold_go_on_past_intake(tmp_path):
    """With the file declared and the threshold raised, intake passes and writes its verdict."""
    from analysis.core.measurements import load_all
    from analysis.core.paths import Paths
    from analysis.pipeline import build

    root = _project(tmp_path, _rows(28))
    reg = root / "data" / "raw" / "meting-2" / "registraties"
    shutil.copy(reg / "export.csv", reg / "export_v2.csv")
    params = root / "params" / "meting-2.yaml"
    data = yaml.safe_load(params.read_text())
    data["repeated_files"] = ["meting-2/registraties/export_v2.csv"]
    params.write_text(yaml.safe_dump(data))
    paths = Paths(root)
    paths.processed.mkdir(parents=True, exist_ok=True)
    ingest.run(paths.raw, paths.processed, key=KEY, measurements=load_all(paths))
    cfg = build.BuildConfig(paths=paths)
    from analysis.pipeline import graph

    graph.make_step(graph.context(cfg), graph.kind("intake"), {}).action()
    verdict = json.loads(paths.intake.read_text())
    assert verdict["2"]["repeated_files"][0]["declared"] is True


def test_zero_quarantine_row_is_not_a_reason(tmp_path):
    rows = [valid_row(0)]
    acc = _ingest(tmp_path, make_tree(tmp_path, rows))
    assert acc["2"]["reasons"] == {} and gate.lines(acc)[0].startswith(
        "meting 2: 1 read, 1 accepted, 0 quarantined,"
    )


# --- the report's summary -------------------------------------------------------------------------
def _acc(read: int, quarantined: int = 0, outside: int = 0, reasons=None, duplicates: int = 0) -> dict:
    return {
        "read": read,
        "accepted": read - quarantined,
        "quarantined": quarantined,
        "outside_period": outside,
        "defects": quarantined - outside,
        "reasons": reasons or {},
        "files": [],
        "duplicates": duplicates,
        "without_occupancy": [],
        "repeated_files": [],
    }


def test_summary_sentences_zero_cases():
    from analysis.present.format import number as format_number
    from analysis.present.summary import intake_sentences

    lines = intake_sentences({"1": _acc(1), "2": _acc(1613), "3": _acc(0)})
    assert lines[0] == "Van meting 1 is de enige registratie gebruikt; ze is bij de controle niet afgekeurd."
    assert lines[1].startswith(f"Van meting 2 zijn alle {format_number(1613)} registraties gebruikt")
    assert lines[2] == "Voor meting 3 zijn geen registraties aangeleverd."
    assert lines[3].startswith("Geen registratie is gemarkeerd als mogelijk dubbel")


def test_summary_sentences_say_what_was_left_out_and_why():
    from analysis.present.summary import intake_sentences

    acc = {
        "2": _acc(340, 12, 1, {"bad_code": 8, "bad_time": 3}, duplicates=1),
        "3": _acc(60, 1, 0, {"required": 1}),
    }
    two, three, dup = intake_sentences(acc)
    assert two == (
        "Van meting 2 zijn 12 van de 340 registraties buiten beschouwing gelaten: geen code uit het "
        "codeboek (8), geen tijd (3) en buiten de periode van de meting of de locatie (1)."
    )
    assert three.startswith(
        "Van meting 3 is 1 van de 60 registraties buiten beschouwing gelaten: verplicht veld leeg (1)."
    )
    assert dup.startswith(
        "1 registratie is gemarkeerd als mogelijk dubbel (zelfde locatie, jongere en begintijd: 1 in meting 2)"
    )
