"""Location factsheets: content after disclosure control, incremental inputs, and one
factsheet executed end to end (papermill -> HTML + PDF) on a small processed fixture."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import SYNTHETIC_BANNER, codebook
from analysis.present import format as nf
from analysis.present import location as dl
from analysis.describe import disclosure as dc
from analysis.pipeline import factsheet_steps as fs
from analysis.pipeline.incremental import Runner
from analysis.core.paths import Paths, default_paths

MONTHS = ["2020-09", "2020-10", "2020-11", "2020-12", "2021-01", "2021-02"]
#: Registrations per month of each fixture location (L02 is small: its latest month has 3).
PER_MONTH = {"L01": [22, 25, 30, 18, 16, 17], "L02": [6, 0, 7, 5, 8, 3], "L03": [9, 12, 4, 10, 11, 6]}
CODES = [
    "aanleiding",
    "doel",
    "ruimte",
    "beheer_ruimte",
    "contact",
    "evaluatie_1",
    "evaluatie_2",
    "aanvulling_jongere",
]
N_CODES = [6, 5, 3, 2, 3, 3, 2, 4]


def write_processed(out: Path, *, synthetic: bool = True, seed: int = 3) -> Path:
    """A processed folder in the contract of ``docs/contracts.md`` (measurement 2)."""
    rng = np.random.default_rng(seed)
    rows = []
    for loc, counts in PER_MONTH.items():
        for m, n in zip(MONTHS, counts):
            for j in range(n):
                start = pd.Timestamp(f"{m}-01") + pd.Timedelta(minutes=int(rng.integers(0, 27 * 1440)))
                dur = float(rng.gamma(1.3, 50))
                row = {
                    "meting": 2,
                    "locatie": loc,
                    "jongere": f"pseudo-{loc}-{j % 4}",
                    "start": start,
                    "eind": start + pd.Timedelta(minutes=dur),
                    "maand": m,
                    "uur": start.hour,
                    "duur_min": dur,
                    "bron_bestand": f"meting-2/registraties/{loc}.csv",
                    "bron_rij": j + 2,
                }
                for c, k in zip(CODES, N_CODES):
                    row[c] = pd.NA if rng.random() < 0.05 else int(rng.integers(1, k + 1))
                for f in (
                    "vlag_duur_2359",
                    "vlag_eind_voor_start",
                    "vlag_duur_boven_24u",
                    "vlag_buiten_periode",
                    "vlag_dubbel",
                ):
                    row[f] = False
                rows.append(row)
    reg = pd.DataFrame(rows)
    for c in CODES:
        reg[c] = reg[c].astype("Int64")
    occ = pd.DataFrame(
        [
            {"meting": 2, "locatie": loc, "maand": m, "gemiddelde_bezetting": 12.0 + i}
            for i, loc in enumerate(PER_MONTH)
            for m in MONTHS
        ]
    )
    locs = pd.DataFrame(
        [
            {
                "locatie": loc,
                "instelling": "I",
                "naam": f"Locatie {loc[-1]}",
                "eerste_maand": MONTHS[0],
                "laatste_maand": MONTHS[-1],
            }
            for loc in PER_MONTH
        ]
    )
    out.mkdir(parents=True, exist_ok=True)
    reg.to_parquet(out / "registrations.parquet", index=False)
    occ.to_parquet(out / "occupancy.parquet", index=False)
    locs.to_parquet(out / "locations.parquet", index=False)
    (out / "ingest_report.json").write_text(json.dumps({"synthetic": synthetic}))
    return out


@pytest.fixture(scope="module")
def processed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_processed(tmp_path_factory.mktemp("processed"))


def _paths(processed: Path, build: Path) -> Paths:
    return Paths(default_paths().root, build=build, processed=processed)


def _load(processed: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    from analysis.describe.load import load_measurement

    d = load_measurement(processed, 2, MONTHS)
    return d.registrations, d.occupancy


# --- content --------------------------------------------------------------------------------
def test_every_hidden_count_shows_the_mark(processed: Path) -> None:
    reg, occ = _load(processed)
    period = dl.Period(tuple(MONTHS))
    for loc in PER_MONTH:
        sheet = dl.factsheet(reg, occ, location=loc, period=period, k=5)
        system = dl.location_system(reg[reg["locatie"] == loc], period)
        hidden = dc.suppress(system, 5)
        assert sheet["hidden"] == len(hidden)
        for m in sheet["months"]:
            key = f"m:{m['month']}"
            assert (m["text"] == dc.SUPPRESSED_MARK) == (key in hidden)
            assert (m["n"] is None) == (key in hidden) and (m["rate"] is None or key not in hidden)
        for table, item in zip(sheet["tables"], dl.ITEMS):
            for row, code in zip(table["rows"], [*map(str, codebook.field(item).codes), "na"]):
                for col, pos in (("L", 1), ("E", 3)):
                    key = f"{item}:{code}:{col}"
                    assert (row[pos] == dc.SUPPRESSED_MARK) == (key in hidden), (loc, key)
                    if key in hidden:
                        assert row[pos + 1] == dc.SUPPRESSED_MARK
        counts = sheet["indicators"]["rows"][0][1:4]
        assert [c == dc.SUPPRESSED_MARK for c in counts] == [
            k in hidden for k in (f"m:{MONTHS[-1]}", "E", "T")
        ]


def test_small_location_hides_its_latest_month(processed: Path) -> None:
    reg, occ = _load(processed)
    sheet = dl.factsheet(reg, occ, location="L02", period=dl.Period(tuple(MONTHS)), k=5)
    assert sheet["months"][-1]["text"] == dc.SUPPRESSED_MARK  # 3 registrations
    assert sheet["key_figures"][0]["value"] == dc.SUPPRESSED_MARK
    assert sheet["indicators"]["rows"][1][1] == dc.SUPPRESSED_MARK  # its rate too


def test_min_cell_size_zero_shows_everything(processed: Path) -> None:
    reg, occ = _load(processed)
    sheet = dl.factsheet(reg, occ, location="L02", period=dl.Period(tuple(MONTHS)), k=0)
    assert sheet["hidden"] == 0
    assert [m["n"] for m in sheet["months"]] == PER_MONTH["L02"]


def test_national_figures_are_all_locations(processed: Path) -> None:
    reg, occ = _load(processed)
    nat = dl.national_figures(reg, occ, dl.Period(tuple(MONTHS)))
    assert nat["n"] == dl.NA_TEXT  # no national count (see national_figures)
    occ_sep = occ[occ["maand"] == MONTHS[0]]["gemiddelde_bezetting"].sum()
    expected = sum(v[0] for v in PER_MONTH.values()) / occ_sep * 10
    assert nat["months"][MONTHS[0]] == pytest.approx(expected, abs=0.05)


def test_period_needs_two_months_and_params_validate() -> None:
    from pydantic import ValidationError

    from analysis.core.params import FactsheetParams

    with pytest.raises(ValueError, match="at least two months"):
        dl.Period(("2021-02",))
    with pytest.raises(ValidationError):
        FactsheetParams(location="../etc", meting=2)
    assert FactsheetParams(location="L01", meting=2).min_cell_size == 5


# --- incremental inputs -------------------------------------------------------------------
def test_changing_one_location_changes_only_its_inputs(processed: Path, tmp_path: Path) -> None:
    proc = tmp_path / "processed"
    shutil.copytree(processed, proc)
    paths = _paths(proc, tmp_path / "build")
    before = {s.name: s.inputs for s in fs.factsheet_steps(paths, 2)}
    reg = pd.read_parquet(proc / "registrations.parquet")
    first_l01 = reg.index[reg["locatie"] == "L01"][0]
    reg.loc[first_l01, "bron_rij"] = 999  # an export change that moves no displayed figure
    reg.to_parquet(proc / "registrations.parquet", index=False)
    after = {s.name: s.inputs for s in fs.factsheet_steps(paths, 2)}
    changed = {n: sorted(k for k in after[n] if after[n][k] != before[n][k]) for n in after}
    assert changed == {"factsheet-L01": ["registrations"], "factsheet-L02": [], "factsheet-L03": []}
    # A change of a displayed national figure re-runs every factsheet (through "national" only).
    reg.loc[reg["locatie"] == "L01", "contact"] = 3
    reg.to_parquet(proc / "registrations.parquet", index=False)
    again = {s.name: s.inputs for s in fs.factsheet_steps(paths, 2)}
    assert {k for k in again["factsheet-L02"] if again["factsheet-L02"][k] != after["factsheet-L02"][k]} == {
        "national"
    }


# --- end to end -----------------------------------------------------------------------------
def _pages(pdf: Path) -> int:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))


def _cells(page: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td>(.*?)</td>", page)]


def _check_outputs(paths: Paths, loc: str, synthetic: bool) -> None:
    html_path, pdf = paths.factsheets / f"{loc}.html", paths.factsheets / f"{loc}.pdf"
    assert html_path.exists() and pdf.exists()
    assert 1 <= _pages(pdf) <= 2
    page = html_path.read_text("utf-8")
    assert (SYNTHETIC_BANNER in page) == synthetic
    assert f"locatie {loc}" in page
    sheet = json.loads((fs.work_dir(paths) / f"{loc}.json").read_text("utf-8"))
    shown = [
        *(c for r in sheet["indicators"]["rows"] for c in r),
        *(c for t in sheet["tables"] for r in [*t["rows"], t["total"]] for c in r),
    ]
    assert _cells(page) == shown  # the HTML shows exactly the disclosure-controlled content
    assert "pseudo-" not in page  # no youth-level values
    assert not (paths.executed_notebooks / "factsheets").exists()  # no kernel, no executed notebook


def test_factsheet_end_to_end(processed: Path, tmp_path: Path) -> None:
    paths = _paths(processed, tmp_path / "build")
    assert fs.main(paths, location="L02", measurement=2, min_cell_size=5) == 0  # as on real data
    _check_outputs(paths, "L02", synthetic=True)
    sheet = json.loads((fs.work_dir(paths) / "L02.json").read_text("utf-8"))
    assert sheet["months"][-1]["text"] == dc.SUPPRESSED_MARK
    assert not (paths.factsheets / "L01.html").exists()
    # A second run finds the factsheet up to date.
    steps = fs.factsheet_steps(paths, 2, locations=["L02"], min_cell_size=5)
    results = fs.run_steps(steps, Runner(paths.state), progress=False)
    assert [r.ran for r in results] == [False]


def test_the_notebook_calls_the_function_the_build_runs(processed: Path, tmp_path: Path) -> None:
    """``factsheet.ipynb`` (run by papermill, as a user would in JupyterLab) writes the same
    content JSON and chart as the build's worker function."""
    from analysis.pipeline import run as run_mod

    built = _paths(processed, tmp_path / "build")
    job = fs.Job(built, "L02", 2, MONTHS[0], MONTHS[-1])
    fs.run_job(job)
    by_notebook = _paths(processed, tmp_path / "nb-build")
    executed = tmp_path / "factsheet-L02.ipynb"
    run_mod.execute(
        built.notebooks / fs.NOTEBOOK,
        executed,
        dict(job.parameters(), output_dir=str(by_notebook.build)),
        cwd=built.root,
    )
    for name in ("L02.json", "L02-maanden.svg"):
        assert (fs.work_dir(by_notebook) / name).read_bytes() == (fs.work_dir(built) / name).read_bytes(), (
            name
        )
    text = executed.read_text("utf-8")
    assert "factsheets.content(p)" in text and "pseudo-" not in text


def test_factsheet_on_the_synthetic_twin(tmp_path: Path) -> None:
    synth = pytest.importorskip("analysis.synth")
    ingest = pytest.importorskip("analysis.ingest.process")
    if not hasattr(synth, "write_twin") or not hasattr(ingest, "run"):
        pytest.skip("synthetic twin or ingest not available yet")
    raw, proc = tmp_path / "raw", tmp_path / "processed"
    synth.write_twin(raw)
    ingest.run(raw, proc)
    paths = _paths(proc, tmp_path / "build")
    loc = sorted(pd.read_parquet(proc / "registrations.parquet")["locatie"].unique())[0]
    assert fs.main(paths, location=loc, measurement=2) == 0
    _check_outputs(paths, loc, synthetic=True)


def test_months_without_participation_show_a_dash(processed: Path) -> None:
    reg, occ = _load(processed)
    locs = pd.DataFrame({"locatie": ["L01"], "eerste_maand": [MONTHS[0]], "laatste_maand": [MONTHS[3]]})
    reg = reg[~((reg["locatie"] == "L01") & reg["maand"].isin(MONTHS[4:]))]
    sheet = dl.factsheet(reg, occ, location="L01", period=dl.Period(tuple(MONTHS)), locations=locs)
    assert [m["text"] for m in sheet["months"][4:]] == [dl.NA_TEXT] * 2
    assert sheet["key_figures"][0]["value"] == dl.NA_TEXT
    assert all(r[1] == dl.NA_TEXT for t in sheet["tables"] for r in t["rows"])
    assert sheet["inactive"] == ["jan 2021", "feb 2021"]


def _drop_months(
    reg: pd.DataFrame, occ: pd.DataFrame, loc: str, months: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The location has neither registrations nor occupancy in ``months``."""
    keep_reg = ~((reg["locatie"] == loc) & reg["maand"].isin(months))
    keep_occ = ~((occ["locatie"] == loc) & occ["maand"].astype(str).isin(months))
    return reg[keep_reg], occ[keep_occ]


# The locations table lists the location for the whole measurement (as the twin's L13, listed
# from measurement 1 on): only the data show that it started late or stopped early.
_LISTED = pd.DataFrame({"locatie": ["L01"], "eerste_maand": ["2019-09"], "laatste_maand": [MONTHS[-1]]})


def test_late_starting_location_counts_only_its_months(processed: Path) -> None:
    reg, occ = _drop_months(*_load(processed), "L01", MONTHS[:2])
    sheet = dl.factsheet(reg, occ, location="L01", period=dl.Period(tuple(MONTHS)), locations=_LISTED, k=0)
    assert [m["text"] for m in sheet["months"][:2]] == [dl.NA_TEXT] * 2
    assert sheet["inactive"] == ["sep 2020", "okt 2020"] and sheet["active_months"] == 4
    n = PER_MONTH["L01"]
    avg = nf.number(sum(n[2:5]) / 3, 1)  # 3 earlier months it registered
    assert sheet["key_figures"][0]["sub"] == f"nov 2020 – jan 2021: gemiddeld {avg} per maand"
    assert sheet["key_figures"][3]["label"] == "Registraties nov 2020 – feb 2021"
    assert (
        sheet["key_figures"][3]["value"] == str(sum(n[2:]))
        and sheet["key_figures"][3]["sub"] == "4 van de 6 maanden van de meting"
    )
    assert sheet["indicators"]["columns"][1:4] == ["feb 2021", "nov 2020 – jan 2021", "nov 2020 – feb 2021"]
    rate_t = sum(n[2:]) / (12.0 * 4) * 10  # occupancy 12 in each active month
    assert sheet["indicators"]["rows"][1][3] == nf.number(rate_t, 1)


def test_early_closing_location_shows_no_latest_month(processed: Path) -> None:
    reg, occ = _drop_months(*_load(processed), "L01", MONTHS[4:])
    sheet = dl.factsheet(reg, occ, location="L01", period=dl.Period(tuple(MONTHS)), locations=_LISTED, k=0)
    assert [m["text"] for m in sheet["months"][4:]] == [dl.NA_TEXT] * 2
    assert sheet["key_figures"][0]["value"] == dl.NA_TEXT and sheet["key_figures"][2]["value"] == dl.NA_TEXT
    n = PER_MONTH["L01"]
    assert (
        sheet["key_figures"][0]["sub"]
        == f"sep 2020 – dec 2020: gemiddeld {nf.number(sum(n[:4]) / 4, 1)} per maand"
    )
    assert sheet["indicators"]["columns"][2:4] == ["sep 2020 – dec 2020", "sep 2020 – dec 2020"]
    assert (
        sheet["key_figures"][3]["value"] == str(sum(n[:4]))
        and sheet["key_figures"][3]["sub"] == "4 van de 6 maanden van de meting"
    )
    assert all(r[1] == dl.NA_TEXT for t in sheet["tables"] for r in t["rows"])


def test_national_reference_is_one_number_wherever_shown(processed: Path) -> None:
    reg, occ = _load(processed)
    period = dl.Period(tuple(MONTHS))
    national = dl.national_figures(reg, occ, period)
    sheets = [dl.factsheet(reg, occ, location=loc, period=period, k=0) for loc in PER_MONTH]
    latest = nf.number(national["months"][MONTHS[-1]], 1)
    for sheet in sheets:
        # tile and chart: national rate of the latest month; table: the whole measurement
        assert sheet["key_figures"][1]["sub"].endswith(f"landelijk feb 2021: {latest}")
        assert nf.number(sheet["months"][-1]["national_rate"], 1) == latest
        assert sheet["indicators"]["columns"][-1] == "Landelijk sep 2020 – feb 2021"
        assert sheet["indicators"]["rows"][1][-1] == national["rate"]
        assert sheet["key_figures"][2]["sub"].endswith(f"landelijk feb 2021: {national['median_latest']}")
    # the whole-measurement rate is registrations over summed occupancy of all locations
    total = sum(sum(v) for v in PER_MONTH.values())
    assert national["rate"] == nf.number(total / float(occ["gemiddelde_bezetting"].sum()) * 10, 1)
