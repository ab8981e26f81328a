"""Ingest as stages that return values: nothing a stage is given changes under it.

Reading, reconciling labels, validating and deriving columns each return new objects (frozen
reports, prepared copies of the text, a ``Validated`` result); ``process.run`` is the list of
those stages. A broken aliases file is one line whatever breaks in it.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import inspect
from pathlib import Path

import pandas as pd
import pytest

from analysis.core.errors import ProjectError
from analysis.ingest import checks, labels
from analysis.ingest import process as ingest
from ingest_fixtures import KEY, MEASUREMENTS, make_tree, valid_row, valid_rows

INGEST = Path(ingest.__file__).parent


def _text(rows: list[dict[str, str]], meting: int = 2) -> pd.DataFrame:
    """Cleaned registration text as ``_validate`` hands it to the validators."""
    text = pd.DataFrame(rows, dtype=object).assign(meting=meting, bron_bestand="export.csv")
    text["bron_rij"] = range(2, len(rows) + 2)
    return ingest.clean_text(text, "registraties")


def test_validate_registrations_returns_found_months_and_leaves_its_text_alone() -> None:
    rows = valid_rows(6) + [valid_row(6, datum_start="01.01.2018"), valid_row(7, locatie="ZZ")]
    text = _text(rows)
    before = text.copy()
    windows = {"AA": ("2019-09", "2021-02"), "BB": ("2019-09", "2021-02")}
    got = checks.validate_registrations(
        text, {"AA": "AA", "BB": "BB"}, {2: MEASUREMENTS[2].months()}, {}, windows
    )
    pd.testing.assert_frame_equal(text, before)
    assert isinstance(got, checks.Validated)
    # the row outside the period is in `found` (months in the data) but not accepted
    assert list(got.found["maand"]) == ["2020-10"] * 6 + ["2018-01"]
    assert len(got.accepted) == 6
    assert sorted(got.problems["check"]) == ["buiten_periode", "unknown_location"]


def test_rules_return_problems_instead_of_filling_a_collector() -> None:
    s = pd.Series(["AA", "zz", None])
    loc, problems = checks.check_location(s, {"AA": "AA"})
    assert list(loc.isna()) == [False, True, True]
    assert list(problems["pos"]) == [1] and problems["check"].iloc[0] == "unknown_location"
    assert checks.problems_where(pd.Series([False, False]), "x", "", "r", "c") is None
    empty = checks.problems_frame([None, None])
    assert list(empty.columns) == ["pos", "column", "value", "reason", "check"] and not len(empty)


def test_reconcile_returns_prepared_copies_and_keeps_the_read_text() -> None:
    # An SPSS export: locatie labelled (1 -> AA), aanleiding 99 labelled n.v.t. (not registered).
    rows = [["1", "99", "x"], ["1", "2", "y"]]
    text = ingest.Text(
        "export.sav",
        {"locatie": 0, "aanleiding": 1},
        rows,
        [2, 3],
        2,
        {"locatie": {"1": "AA"}, "aanleiding": {"99": "n.v.t.", "2": "Orde/regels"}},
    )
    kept = copy.deepcopy(rows)
    plain = ingest.Text("export.csv", {"locatie": 0}, [["AA"]], [2], 2)
    prepared, conflicts = labels.reconcile([text, plain], "registraties", {}, 2)
    assert rows == kept and text.rows is rows  # the text as read is unchanged
    assert prepared[0].rows == [["AA", "", "x"], ["AA", "2", "y"]]
    assert prepared[1] is plain  # nothing to prepare: no copy
    assert conflicts == []


def test_reconcile_marks_shared_labels_on_new_conflicts() -> None:
    # One label on two codes: both uses conflict and name the other code.
    text = ingest.Text(
        "export.sav",
        {"aanleiding": 0},
        [["1"], ["2"]],
        [2, 3],
        2,
        {"aanleiding": {"1": "Agressie", "2": "Agressie"}},
    )
    _, conflicts = labels.reconcile([text], "registraties", {}, 2)
    assert sorted((c.code, c.shared) for c in conflicts) == [("1", [2]), ("2", [1])]


def test_file_reports_are_frozen_and_counting_makes_new_ones(tmp_path: Path) -> None:
    raw = make_tree(tmp_path)
    found = ingest.discover.RawFile(raw / "meting-2" / "registraties" / "export.csv", "export.csv")
    aliases = ingest._aliases(None)
    loaded = ingest.load_file(found, "registraties", "registraties", aliases, 2)
    rep = loaded[0].report
    with pytest.raises(dataclasses.FrozenInstanceError):
        rep.rows_accepted = 1  # type: ignore[misc]
    assert rep.rows_read == 10 and rep.rows_accepted == 0
    checked = ingest._validate(
        loaded,
        "registraties",
        checks.validate_registrations,
        {"AA": "AA", "BB": "BB"},
        {2: MEASUREMENTS[2].months()},
        {},
        {},
    )
    assert loaded[0].report is rep and rep.rows_accepted == 0  # the read report is untouched
    assert checked.loaded[0].report.rows_accepted == 10 == len(checked.accepted)


def test_run_reads_as_its_stages() -> None:
    body = inspect.getsource(ingest.run)
    calls = [
        "discover_sources",
        "read_locations",
        "read_exports",
        "reconcile_labels",
        "validate",
        "derive_tables",
        "account",
        "_write_outputs",
        "write_report",
    ]
    positions = [body.index(f"{name}(") for name in calls]
    assert positions == sorted(positions)


def test_no_function_of_ingest_is_longer_than_100_lines() -> None:
    long = []
    for path in sorted(INGEST.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if node.end_lineno - node.lineno + 1 > 100:
                    long.append(f"{path.name}:{node.name}")
    assert long == []


# --- a broken aliases file: one line, whatever breaks ----------------------------------------
BROKEN_ALIASES = {
    "yaml syntax": b"columns: [unclosed\n",
    "unhashable target": b"columns:\n  locatiecode: [locatie]\n",
    "labels not a mapping": b"labels: [1, 2]\n",
    "not utf-8": b"columns:\n  \xff\xfe: locatie\n",
    "a number where a mapping belongs": b"columns: 7\n",
}


@pytest.mark.parametrize("content", BROKEN_ALIASES.values(), ids=BROKEN_ALIASES.keys())
def test_a_broken_root_aliases_file_is_one_line_that_names_it(tmp_path: Path, content: bytes) -> None:
    raw = make_tree(tmp_path)
    (raw / "aliases.yaml").write_bytes(content)
    with pytest.raises(ingest.IngestError) as caught:
        ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    message = str(caught.value)
    assert isinstance(caught.value, ProjectError)
    assert message.startswith(f"aliases file {raw / 'aliases.yaml'} cannot be used: ")
    assert "\n" not in message and caught.value.__cause__ is not None
    assert not (tmp_path / "out").exists()  # stopped before anything was written


def test_the_command_prints_the_broken_aliases_file_as_one_line(tmp_path, monkeypatch, capsys) -> None:
    raw = make_tree(tmp_path)
    (raw / "aliases.yaml").write_bytes(BROKEN_ALIASES["unhashable target"])
    (tmp_path / "key.txt").write_text(KEY.decode() + "\n", encoding="utf-8")
    monkeypatch.setenv("COMPENDIUM_PSEUDONYM_KEY_FILE", str(tmp_path / "key.txt"))
    monkeypatch.setattr("analysis.core.measurements.load_all", lambda paths=None: MEASUREMENTS)
    assert ingest.main(raw, tmp_path / "out") == 2
    out = capsys.readouterr().out
    assert out.startswith("ingest: nothing processed: aliases file ") and out.count("\n") == 1
