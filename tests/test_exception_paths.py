"""Every broad ``except`` in ``src/`` (``Exception``, ``BaseException``, bare): its branch, driven.

Each such handler either re-raises or says on its ``except`` line why it may swallow; this file
drives each branch and checks what comes out. Sites whose branch an existing test already
drives (checked with coverage) are named here instead of tested twice:

==============================================  ===============================================
site                                            driven by
==============================================  ===============================================
core/measurements.py ``load``                   test_foundation::test_invalid_measurement_file_names_file_and_field
ingest/process.py ``_aliases``                  test_ingest_probes::test_broken_alias_file_is_one_clear_line_exit_2
ingest/readers.py ``read_sav``                  test_ingest_checks::test_unreadable_file_is_reported_not_skipped[kapot.sav]
models/engine.py ``_submit_round`` (re-raise)   test_engine_recovery::test_a_task_that_raised_is_not_sent_again
pipeline/cli.py ``main`` (a bug)                test_cli_errors::test_unexpected_error_logs_its_traceback
==============================================  ===============================================

The list to keep in step with: ``grep -rn "except Exception\\|except BaseException\\|except:" src``.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import signal
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from analysis.core.errors import ProjectError, one_line
from analysis.core.measurements import ParamsError

SRC = Path(__file__).resolve().parents[1] / "src" / "analysis"
BROAD = re.compile(r"except (Exception|BaseException)\b|except:")


def test_every_broad_except_is_justified_or_re_raises():
    """A broad handler without a reason on its line must raise within the handler."""
    unexplained = []
    for path in sorted(SRC.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if not BROAD.search(line) or "#" in line.split("except", 1)[1]:
                continue
            indent = len(line) - len(line.lstrip())
            body = []
            for nxt in lines[i + 1 :]:
                if nxt.strip() and len(nxt) - len(nxt.lstrip()) <= indent:
                    break
                body.append(nxt)
            if not any(b.strip().startswith("raise") for b in body):
                unexplained.append(f"{path.relative_to(SRC)}:{i + 1}")
    assert unexplained == []


# --- models/frames.py: a broken measurement file stops the frames --------------------------
def _processed(folder: Path) -> Path:
    """Processed tables of a small simulated twin (two measurements, three locations)."""
    from analysis.models.simulate import SimParams, simulate

    data = simulate(SimParams(n_locations=3), seed=5)
    folder.mkdir(parents=True, exist_ok=True)
    data["registrations"].to_parquet(folder / "registrations.parquet")
    data["occupancy"].to_parquet(folder / "occupancy.parquet")
    return folder


def test_frames_stop_on_a_broken_measurement_file(tmp_path):
    from analysis.models.frames import load_frames

    processed = _processed(tmp_path / "processed")
    params = tmp_path / "params"
    params.mkdir()
    (params / "meting-1.yaml").write_text(
        "meting: 1\nfolder: meting-1\nfirst_month: '2019-13'\nlast_month: '2020-02'\nexpected_locations: 3\n"
    )
    with pytest.raises(ParamsError) as info:
        load_frames(processed, params_dir=params)
    line = one_line(info.value)
    assert isinstance(info.value, ProjectError) and "\n" not in str(info.value)
    assert "meting-1.yaml" in line and "first_month" in line and "correct the file" in line


def test_frames_take_the_data_months_only_where_no_file_describes_a_measurement(tmp_path):
    from analysis.models.frames import load_frames

    processed = _processed(tmp_path / "processed")
    params = tmp_path / "params"
    params.mkdir()
    occ = pd.read_parquet(processed / "occupancy.parquet")
    data_months = sorted(occ.loc[occ["meting"].astype(int) == 2, "maand"].astype(str).unique())
    # measurement 1 described as its last three months only; measurement 2 has no file
    (params / "meting-1.yaml").write_text(
        "meting: 1\nfolder: meting-1\nfirst_month: '2019-12'\nlast_month: '2020-02'\nexpected_locations: 3\n"
    )
    frames = load_frames(processed, params_dir=params)
    assert frames.periods["1"] == ["2019-12", "2020-01", "2020-02"]
    assert frames.periods["2"] == data_months


# --- models/worker.py: environment() reports what cannot load R ----------------------------
def test_environment_reports_an_r_that_cannot_load(monkeypatch):
    from analysis.models import rbridge, worker

    def broken() -> dict[str, str]:
        raise OSError("libR.so: cannot open shared object file\nsecond line")

    monkeypatch.setattr(rbridge, "versions", broken)
    env = worker.environment()
    assert env["error"] == "OSError: libR.so: cannot open shared object file second line"
    assert env["analysis code"] == worker.code_digest()
    assert set(worker.PYTHON_PACKAGES) <= set(env)


# --- synth/targets.py: no project root -> the clear error of _published --------------------
def test_published_figures_without_a_project_root(monkeypatch):
    import analysis.core.paths as core_paths
    from analysis.synth import targets

    def no_root():
        raise RuntimeError("Cannot find the project root")

    monkeypatch.setattr(core_paths, "default_paths", no_root)
    assert targets._default_csv() is None
    with pytest.raises(FileNotFoundError, match="published figures table not found"):
        targets.published()


# --- ingest/readers.py: a ZIP that is no workbook -----------------------------------------
def test_zip_that_is_not_a_workbook_is_unreadable(tmp_path):
    from analysis.ingest.readers import UnreadableFile, read_xlsx_sheets

    path = tmp_path / "export.xlsx"
    with zipfile.ZipFile(path, "w") as z:  # a real ZIP, so openpyxl (not is_zipfile) refuses it
        z.writestr("notes.txt", "no workbook here")
    with pytest.raises(UnreadableFile, match=r"^not a readable XLSX workbook \(\w+\); the number of rows"):
        read_xlsx_sheets(path)


# --- report/pandoc_typst.py: a Typst error becomes a RenderError ---------------------------
def test_typst_failure_is_a_render_error(monkeypatch, tmp_path):
    pytest.importorskip("typst")
    from analysis.report import pandoc_typst

    def broken_typst(src: Path, meta: Path, out: Path, *, reports: Path) -> Path:
        out.write_text("#let x = (\n", encoding="utf-8")
        return out

    monkeypatch.setattr(pandoc_typst, "to_typst", broken_typst)
    src = tmp_path / "report.md"
    with pytest.raises(pandoc_typst.RenderError, match="Typst failed on .*report.typ") as info:
        pandoc_typst.to_pdf(src, tmp_path / "meta.yaml", tmp_path / "out" / "report.pdf", reports=tmp_path)
    assert info.value.__cause__ is not None
    assert not (tmp_path / "out" / "report.pdf").exists()


# --- pipeline/cli.py: no build folder for the traceback -> the temporary folder ------------
def test_traceback_log_falls_back_to_the_temporary_folder(monkeypatch, tmp_path):
    import tempfile

    from analysis.pipeline import cli, commands

    def no_paths(args):
        raise PermissionError("read-only build folder")

    monkeypatch.setattr(commands, "_paths", no_paths)
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    try:
        raise KeyError("a bug")
    except KeyError as exc:
        log = cli._log_traceback(argparse.Namespace(command="build"), exc)
    assert log.parent == tmp_path and log.name.startswith("error-")
    body = log.read_text(encoding="utf-8")
    assert body.startswith("compendium build\n") and "KeyError: 'a bug'" in body


# --- pipeline/commands.py: SIGTERM still interrupts when the children cannot be listed ------
def test_sigterm_interrupts_even_when_children_cannot_be_stopped(monkeypatch):
    import psutil

    from analysis.pipeline import commands

    def no_process(*args, **kwargs):
        raise psutil.AccessDenied()

    monkeypatch.setattr(psutil, "Process", no_process)
    before = signal.getsignal(signal.SIGTERM)
    try:
        commands._terminate_on_sigterm()
        handler = signal.getsignal(signal.SIGTERM)
        with pytest.raises(KeyboardInterrupt, match="signal 15"):
            handler(signal.SIGTERM, None)
    finally:
        signal.signal(signal.SIGTERM, before)


# --- pipeline/factsheet_steps.py: a failed step is raised, named, after the others ---------
@dataclass(frozen=True)
class _Step:
    name: str


class _Runner:
    """Runs every step; ``bad`` fails. Records what ran."""

    def __init__(self, bad: str, error: BaseException | None = None) -> None:
        self.bad = bad
        self.error = error or ValueError("chart could not be drawn")
        self.ran: list[str] = []
        self.lock = threading.Lock()

    def why(self, step: _Step) -> str | None:
        return "new"

    def run(self, step: _Step) -> str:
        if step.name == self.bad:
            raise self.error
        with self.lock:
            self.ran.append(step.name)
        return step.name


def test_a_failed_factsheet_step_is_raised_with_its_name(monkeypatch):
    from analysis.models import engine
    from analysis.pipeline import factsheet_steps

    monkeypatch.setattr(engine, "shared_cluster", lambda scheduler, workers: contextlib.nullcontext("x"))
    steps = [_Step(f"factsheet-L0{i}") for i in range(1, 5)]
    runner = _Runner(bad="factsheet-L02")
    with pytest.raises(RuntimeError, match="^factsheet-L02: chart could not be drawn$"):
        factsheet_steps.run_steps(steps, runner, workers=2, progress=False)
    assert sorted(runner.ran) == ["factsheet-L01", "factsheet-L03", "factsheet-L04"]


def test_a_users_error_in_a_factsheet_step_keeps_its_class(monkeypatch):
    """A ProjectError (one line, exit 2) is not turned into a bug report by the factsheet fan-out."""
    from analysis.core.errors import ProjectError
    from analysis.models import engine
    from analysis.pipeline import factsheet_steps

    monkeypatch.setattr(engine, "shared_cluster", lambda scheduler, workers: contextlib.nullcontext("x"))
    steps = [_Step(f"factsheet-L0{i}") for i in range(1, 4)]
    error = ProjectError("meting 2: no occupancy for L02")
    with pytest.raises(ProjectError) as raised:
        factsheet_steps.run_steps(steps, _Runner(bad="factsheet-L02", error=error), workers=2, progress=False)
    assert raised.value is error


# --- pipeline/graphview.py: --graph still shows the step table when params/ is broken -------
def test_graph_shows_the_table_when_the_measurement_files_are_broken(tmp_path):
    from analysis.core.paths import Paths, find_root
    from analysis.pipeline import graph, graphview
    from analysis.pipeline.build import BuildConfig

    params = tmp_path / "params"
    params.mkdir()
    (params / "meting-1.yaml").write_text("meting: 1\nfirst_month: '2019-13'\n")
    paths = Paths(
        find_root(),
        build=tmp_path / "build",
        processed=tmp_path / "processed",
        output=tmp_path / "output",
        params_dir=params,
    )
    with pytest.raises(ParamsError):  # the branch: the build's context cannot be read
        graph.context(BuildConfig(paths=paths))
    lines = graphview.describe(paths)
    assert lines == graphview.describe(None)
    assert any(line.startswith("stage 1: ") for line in lines)
