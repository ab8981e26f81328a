"""End to end: synthetic twin -> ingest -> notebooks -> report, in an isolated folder.

The build runs once per test session (about a minute); the assertions compare what the
report shows with what the processed data holds, so they cannot pass on a stale or
hard-coded report.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis import SYNTHETIC_BANNER
from analysis.pipeline.build import BuildConfig, build, has_real_data
from analysis.core.paths import Paths, default_paths

pytestmark = pytest.mark.e2e


# The session fixture ``built`` (one full build) lives in conftest.py: the rendered-layout and
# browser tests use the same build.


def test_without_raw_data_the_twin_is_used(built: tuple[Paths, list]) -> None:
    paths, results = built
    assert not has_real_data(paths.raw)
    assert [r.name for r in results][0] == "synth"
    assert (paths.synthetic_raw / "SYNTHETIC").exists()


def test_both_report_files_exist(built: tuple[Paths, list]) -> None:
    paths, _ = built
    html = paths.report_output / "report.html"
    pdf = paths.report_output / "report.pdf"
    assert html.stat().st_size > 10_000 and pdf.read_bytes()[:5] == b"%PDF-"


def _pdf_text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_report_shows_the_monthly_counts_of_the_data(built: tuple[Paths, list]) -> None:
    paths, _ = built
    reg = pd.read_parquet(paths.processed / "registrations.parquet")
    latest = reg["meting"].max()
    per_month = reg[reg["meting"] == latest].groupby("maand").size()
    shown = pd.read_csv(paths.results / "ch2_fig01_per_month.csv")
    total_col = "n" if "n" in shown.columns else shown.columns[-1]
    if "locatie" in shown.columns:  # per-location rows: compare the overall rows only
        shown = shown[shown["locatie"].isna() | (shown["locatie"] == "Totaal")]
    shown_counts = dict(zip(shown["maand"].astype(str), shown[total_col].astype(int)))
    assert shown_counts == {k: int(v) for k, v in per_month.items()}
    html = (paths.report_output / "report.html").read_text(encoding="utf-8")
    text = _pdf_text(paths.report_output / "report.pdf")
    for n in per_month.values:
        assert re.search(rf"\b{n}\b", html), n
        assert re.search(rf"\b{n}\b", text), n


def test_report_says_synthetic_everywhere_it_shows(built: tuple[Paths, list]) -> None:
    paths, _ = built
    html = (paths.report_output / "report.html").read_text(encoding="utf-8")
    assert SYNTHETIC_BANNER in html
    assert SYNTHETIC_BANNER in " ".join(_pdf_text(paths.report_output / "report.pdf").split())


def test_every_provenance_line_finds_its_results_csv(built: tuple[Paths, list]) -> None:
    """Chapters and notebook appendices point to CSVs that exist in this build (issue 16/17)."""
    paths, _ = built
    html = (paths.report_output / "report.html").read_text(encoding="utf-8")
    text = " ".join(_pdf_text(paths.report_output / "report.pdf").split())
    assert "niet gevonden in deze build" not in html
    assert "niet gevonden in deze build" not in text
    linked = set(re.findall(r'href="[./]*(build/results/[^"#]+\.csv)"', html))
    assert any("planning/" in link for link in linked), "appendix G links no results CSV"


def test_leave_one_location_out_ran_beside_chapter_3(built: tuple[Paths, list]) -> None:
    paths, results = built
    ran = {r.name for r in results if r.ran}
    assert {"notebook-03_change_across_measurements", "notebook-03b_leave_one_location_out"} <= ran
    index = pd.read_csv(paths.model_results / "index.csv")
    assert {"ch3_models_fixed", "ch3_sens_estimates", "ch3_sens_lolo", "ch3_sens_lolo_range"} <= set(
        index["name"]
    )
    html = (paths.report_output / "report.html").read_text(encoding="utf-8")
    assert 'id="tbl-ch3-sens-lolo"' in html and 'id="tbl-stat-sens-lolo"' in html


def test_noop_rebuild_runs_nothing(built: tuple[Paths, list]) -> None:
    paths, _ = built
    again = build(BuildConfig(paths=paths, synthetic=None))
    assert [r.name for r in again if r.ran] == []


def test_executed_notebooks_pass_nbval(built: tuple[Paths, list]) -> None:
    paths, _ = built
    nbs = sorted(str(p) for p in paths.executed_notebooks.glob("*.ipynb"))
    names = {Path(p).stem for p in nbs}
    assert {
        "01_planned_policy",
        "02_unplanned_seclusion",
        "03_change_across_measurements",
        "03b_leave_one_location_out",
    } <= names, names
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval-lax",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            *nbs,
        ],
        capture_output=True,
        text=True,
        cwd=default_paths().root,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
