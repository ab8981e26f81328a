"""``compendium release``: only outputs that pass output checking leave the secure side."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from analysis.core.paths import Paths
from analysis.pipeline import release
from ingest_fixtures import make_tree, valid_rows

PLANTED = "Zzqx-planted-vrije-tekst"


def _project(tmp_path: Path, *, synthetic: bool = False) -> tuple[Paths, Path]:
    rows = valid_rows(12)
    rows[3]["opmerkingen"] = PLANTED  # free text of one registration
    rows[5]["nummer_jongere"] = "L01-777123"  # an identifying value
    raw = make_tree(tmp_path, rows)
    paths = Paths(tmp_path, raw=raw)
    paths.processed.mkdir(parents=True)
    pd.DataFrame({"jongere": ["a1b2c3d4e5f6", "0f9e8d7c6b5a"]}).to_parquet(
        paths.processed / "registrations.parquet"
    )
    (paths.processed / "ingest_report.json").write_text(json.dumps({"synthetic": synthetic}), "utf-8")
    paths.report_output.mkdir(parents=True)
    (paths.report_output / "report.html").write_text("<p>In totaal 1.613 registraties.</p>", "utf-8")
    results = paths.build / "results"
    results.mkdir(parents=True)
    pd.DataFrame({"locatie": ["L01", "L02"], "n": ["12", "x"]}).to_csv(results / "ok.csv", index=False)
    pd.DataFrame({"locatie": ["L01", "L02"], "n": ["3", "40"]}).to_csv(results / "small.csv", index=False)
    pd.DataFrame({"term": ["maand"], "note": [PLANTED]}).to_csv(results / "leak.csv", index=False)
    (paths.factsheets).mkdir(parents=True)
    (paths.factsheets / "L01.html").write_text("<p>jongere a1b2c3d4e5f6</p>", "utf-8")
    return paths, raw


def test_release_holds_back_leaks_and_small_cells(tmp_path: Path) -> None:
    paths, raw = _project(tmp_path)
    checks = {c.file: c for c in release.release(paths, raw=raw)}
    out = tmp_path / "release"
    assert checks["report.html"].passed and (out / "report.html").is_file()
    assert checks["ok.csv"].passed and (out / "results" / "ok.csv").is_file()
    assert checks["ok.csv"].cells_suppressed == 1
    assert not checks["small.csv"].passed and "below 5" in checks["small.csv"].reason
    assert not checks["leak.csv"].passed and not (out / "results" / "leak.csv").exists()
    assert not checks["L01.html"].passed  # a pseudonym is identifying too
    # The check report names files, rules and counts, never the values found.
    report = (out / "checks.csv").read_text("utf-8") + (out / "CHECKS.md").read_text("utf-8")
    assert PLANTED not in report and "a1b2c3d4e5f6" not in report
    assert {"file", "rule", "cells_checked", "cells_suppressed", "passed", "reason"} <= set(
        pd.read_csv(out / "checks.csv").columns
    )


def test_appendix_tables_are_checked_and_released_beside_the_results(tmp_path: Path) -> None:
    # Per-location tables moved out of the report (display.location_table) are part of it:
    # checked like the results (their location column is the displayed "Locatie") and copied.
    paths, raw = _project(tmp_path)
    paths.appendix.mkdir(parents=True)
    pd.DataFrame({"Locatie": ["L01", "L02"], "Totaal": ["12", "x"]}).to_csv(
        paths.appendix / "ch2-per-location-month.csv", index=False
    )
    pd.DataFrame({"Locatie": ["L01", "L02"], "Totaal": ["3", "40"]}).to_csv(
        paths.appendix / "ch2-small.csv", index=False
    )
    checks = {c.file: c for c in release.release(paths, raw=raw)}
    out = tmp_path / "release" / "results" / "appendix"
    assert checks["ch2-per-location-month.csv"].passed and (out / "ch2-per-location-month.csv").is_file()
    assert checks["ch2-per-location-month.csv"].cells_suppressed == 1
    assert not checks["ch2-small.csv"].passed and not (out / "ch2-small.csv").exists()


def test_identifying_value_in_output_is_found(tmp_path: Path) -> None:
    paths, raw = _project(tmp_path)
    (paths.report_output / "report.html").write_text("<td>L01-777123</td>", "utf-8")
    checks = {c.file: c for c in release.release(paths, raw=raw)}
    assert not checks["report.html"].passed


def test_twin_has_no_minimum_cell_size_and_says_so(tmp_path: Path) -> None:
    paths, raw = _project(tmp_path, synthetic=True)
    checks = {c.file: c for c in release.check_all(paths, raw)}
    assert checks["small.csv"].passed and "minimum cell size 0" in checks["small.csv"].reason


def test_a_second_release_removes_files_that_no_longer_pass(tmp_path: Path) -> None:
    paths, raw = _project(tmp_path)
    release.release(paths, raw=raw)
    (paths.build / "results" / "ok.csv").write_text("locatie,n\nL01,2\n", "utf-8")
    release.release(paths, raw=raw)
    assert not (tmp_path / "release" / "results" / "ok.csv").exists()
