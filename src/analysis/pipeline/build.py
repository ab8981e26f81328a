"""The build plan: synthetic twin (if needed) -> ingest -> chapter notebooks -> report.

``compendium build`` uses ``data/raw/`` when it holds registrations and the synthetic twin
otherwise. Each step is an :class:`analysis.pipeline.incremental.Step` whose inputs are digests of
exactly what it reads: the raw files for ingest, the rows of one measurement for chapter 2,
the package modules a step imports, the notebook source, the parameters and the
environment lock (``pyproject.toml``). A no-op rebuild only checks digests.

Integrity: one build at a time per build folder (:func:`build` holds
:func:`analysis.pipeline.incremental.build_lock`); every step writes into a temporary place and
moves its outputs into place only on success (the twin and the processed tables as whole
folders, executed notebooks by :func:`analysis.pipeline.run.execute`, the report files after
the completeness check); a step's state is recorded only after its outputs are verified
(:mod:`analysis.verify.completeness`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from analysis.core import measurements as measurements_mod
from analysis.core.cellsize import rule_for
from analysis.core.chapters import CHAPTERS
from analysis.core.measurements import ParamsError
from analysis.core.params import DEFAULT_MODEL_SET, DEFAULT_NSIM, DEFAULT_SEED
from analysis.pipeline.hashing import (
    file_digest,
    frame_digest,
    memo,
    stat_file_digest,
)
from analysis.pipeline.incremental import (
    BuildLocked,  # noqa: F401
    Runner,
    Step,
    StepFailed,
    StepResult,
    build_lock,
    staging_dir,
)
from analysis.core.paths import Paths

# The same discovery as ingest (case-insensitive extensions, subfolders): see its rules.
from analysis.ingest.discover import has_real_data


# Entry modules of each step group; the code inputs are their import closure
# (analysis.core.deps), plus the imports of the notebook a step executes.
ENTRIES = {
    "synth": ["analysis.synth"],
    "ingest": ["analysis.ingest.process"],
    "intake": ["analysis.ingest.gate"],
    "chapter": ["analysis.pipeline.run", "analysis.pipeline.kernel"],
    "models": ["analysis.pipeline.run", "analysis.pipeline.kernel"],
    "render": ["analysis.report.render"],
    "calibration": ["analysis.verify.calibration"],
    "reproduction": ["analysis.verify.reproduction"],
    "audit": ["analysis.verify.audit"],
    "disclosure": ["analysis.present.publish"],
    "teaching": ["analysis.models.teaching"],
}


@dataclass
class BuildConfig:
    """What to build and where."""

    paths: Paths
    force: bool = False
    synthetic: bool | None = None  # None: decide from data/raw
    renderer: str = "auto"
    seed: int = DEFAULT_SEED
    factsheets: bool = True
    workers: int = 2
    scheduler: str | None = None  # Dask scheduler for the fits and factsheets; None: a local cluster
    model_set: str = DEFAULT_MODEL_SET
    describe: int | None = None  # measurement chapters 1 and 2 describe; None: the latest
    min_cell_size: int | None = None  # None: the rule (0 on the twin, 5 on real registrations)
    on_step: Callable[[StepResult], None] | None = None
    results: list[StepResult] = field(default_factory=list)


def module_digest(paths: Paths, group: str, notebook: Path | None = None) -> str:
    """Digest of the code a step group runs: the import closure of its entry modules.

    Parameters
    ----------
    paths
        Project paths (the package is read from ``paths.root / "src"``).
    group
        Key of :data:`ENTRIES`.
    notebook
        Notebook the step executes; its imports join the entry points.
    """
    from analysis.core import deps

    src = paths.root / "src"
    return deps.code_digest(
        ENTRIES[group], [notebook] if notebook else [], src=src, cache=import_cache(paths)
    )


def import_cache(paths: Paths) -> Path:
    """File of :class:`analysis.core.deps.ImportCache` in the build folder (saves parsing the code)."""
    return paths.plan_cache / "imports.json"


def env_digest(paths: Paths) -> str:
    """Digest of the environment lock (the pinned dependencies)."""
    return file_digest(paths.root / "pyproject.toml")


def raw_root(cfg: BuildConfig) -> tuple[Path, bool]:
    """Raw folder to build from and whether it is the synthetic twin."""
    synthetic = cfg.synthetic if cfg.synthetic is not None else not has_real_data(cfg.paths.raw)
    return (cfg.paths.synthetic_raw if synthetic else cfg.paths.raw), synthetic


def notebook_params(cfg: BuildConfig, meting: int, all_metingen: list[int]) -> dict:
    """Every parameter value a chapter notebook may declare (each takes what it needs)."""
    ms = _measurements(cfg.paths)
    m = ms[meting]
    return {
        "data_dir": str(cfg.paths.processed),
        "output_dir": str(cfg.paths.build),
        "params_dir": str(cfg.paths.params),
        "meting": meting,
        "first_month": m.first_month,
        "last_month": m.last_month,
        "min_cell_size": min_cell_size(cfg),
        "metingen": all_metingen,
        "referentie": all_metingen[0],
        "model_set": cfg.model_set,
        "nsim": DEFAULT_NSIM,
        "seed": cfg.seed,
        "model_cache": True,
        # where the fits run (the build's cluster, through the environment): not an input
        "scheduler": None,
        "workers": cfg.workers,
    }


#: Notebook parameters that decide where work runs, never what it computes (left out of digests).
PLACEMENT_PARAMS = ("scheduler", "workers")


def min_cell_size(cfg: BuildConfig) -> int:
    """The one minimum cell size of a build (:func:`analysis.describe.disclosure.rule_for`)."""
    return cfg.min_cell_size if cfg.min_cell_size is not None else rule_for(raw_root(cfg)[1])


def _measurements(paths: Paths) -> dict[int, measurements_mod.Measurement]:
    """:func:`analysis.core.measurements.load_all`, read once per state of ``params/``.

    Planning asks for the measurements once per step; the files' names, sizes and times
    key the memo, so an edited ``params/meting-N.yaml`` is read again.
    """
    folder = paths.params
    stamp = (
        tuple(
            (f.name, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
            for f in sorted(folder.glob("*"))
            if f.is_file() and (st := f.stat())
        )
        if folder.is_dir()
        else ()
    )
    key = (str(folder), stamp)
    if key not in _MEASUREMENTS:
        _MEASUREMENTS[key] = measurements_mod.load_all(paths)
    return _MEASUREMENTS[key]


_MEASUREMENTS: dict[tuple, dict] = {}

#: The environment lock of the project this code belongs to (``src/analysis/pipeline`` -> root).
_LOCK = Path(__file__).resolve().parents[3] / "pyproject.toml"


def _rows_digest(processed: Path, table: str, meting: int | None, cache: Path | None = None) -> str:
    """:func:`~analysis.pipeline.hashing.frame_digest` of a table's rows of one measurement (or all).

    Reading the table takes pandas; the value is kept in ``cache`` keyed by the SHA-256 of the
    table's file, so a no-op build reads no table (a changed file is read again).
    """
    path = processed / table
    if not path.exists():
        return "absent"

    def compute() -> str:
        import pandas as pd

        df = pd.read_parquet(path)
        if meting is not None and "meting" in df.columns:
            df = df[df["meting"] == meting]
        return frame_digest(df)

    from analysis.pipeline import hashing

    name = f"rows-{Path(table).stem}-{'all' if meting is None else int(meting)}"
    key = {
        "file": stat_file_digest(path),
        "meting": str(meting),
        # the code of this function's digest and the pinned pandas that writes its CSV
        "code": stat_file_digest(Path(__file__)) + stat_file_digest(Path(hashing.__file__)),
        "env": stat_file_digest(_LOCK) if _LOCK.is_file() else "",
    }
    return memo(cache, name, key, compute)


Factory = Callable[[], "Step | list[Step]"]

#: Notebook of the appendix "Planning van meting N+1" (quick setting in every build).
PLANNING_NOTEBOOK = "04_planning"
PLANNING_PARAMS = {
    "plan_file": None,
    "setting": "quick",
    "scheduler": None,
    "workers": 2,
    "nsim": None,
    "from_params": False,
}

#: Notebook of the leave-one-location-out section of chapter 3 (only with the sensitivity set).
LOLO_NOTEBOOK = next(s.notebook for ch in CHAPTERS for s in ch.sections if s.sensitivity_only)


#: Most factsheets a build makes; above it a stated sample (:func:`analysis.pipeline.factsheet_steps.sample`).
BUILD_MAX_FACTSHEETS = 40

#: Steps whose work goes to the Dask cluster (see :func:`_needs_cluster`).
DASK_STEP_PREFIXES = ("notebook-03", f"notebook-{PLANNING_NOTEBOOK}", "factsheet-")


def chapter_notebooks(cfg: BuildConfig, metingen: list[int]) -> list[tuple[str, str, list[int], str]]:
    """The chapter notebooks of a build (from :data:`analysis.core.chapters.CHAPTERS`), longest first.

    Parameters
    ----------
    cfg : BuildConfig
        ``model_set`` decides whether sensitivity-only sections (leave one location out) run.
    metingen : list of int
        All configured measurements, in order.

    Returns
    -------
    list of tuple
        (notebook name, module group, measurements whose rows it reads, processed table); the
        last measurement of the list is the one the notebook describes: for chapters 1 and 2
        ``cfg.describe``, by default the latest configured measurement. Chapter 3 and its
        leave-one-location-out section read every measurement (and the occupancy); the first
        needs no result of the other, so both run at the same time. The model notebooks come
        first (they take longest), then the descriptive chapters from the last to the first.
    """
    chosen = metingen[-1] if cfg.describe is None else int(cfg.describe)
    if chosen not in metingen:
        raise ParamsError(f"--describe {chosen}: no params/meting-{chosen}.yaml (configured: {metingen})")
    upto = [m for m in metingen if m <= chosen]
    out = []
    for ch in CHAPTERS:
        used = metingen if ch.scope == "all" else (upto if ch.falls_back else [chosen])
        out.append((ch.notebook, ch.group, used, ch.table))
        out += [
            (s.notebook, ch.group, used, ch.table)
            for s in ch.sections
            if not s.sensitivity_only or cfg.model_set == "primary+sensitivity"
        ]
    models = [x for x in out if x[1] == "models"]
    return models + [x for x in reversed(out) if x[1] != "models"]


def plan(cfg: BuildConfig) -> list[list[Factory]]:
    """The build as stages of step factories, derived from the table :data:`analysis.pipeline.graph.STEPS`.

    Stages run in order; the steps of one stage are independent and run on both cores
    (the chapter notebooks and the factsheets all read only processed data). Steps are made
    by factories so that their input digests are computed after the earlier stages ran and
    see fresh processed data. Within a stage the longest steps come first: chapter 3, its
    leave-one-location-out section (with ``model_set="primary+sensitivity"``), the planning
    notebook, chapter 2, chapter 1, the factsheets, then the twin's calibration, the audit and
    the teaching data. The reproduction check has a stage of its own between the notebooks and
    the render step.
    """
    from analysis.pipeline import graph

    return graph.plan(cfg)


def expected_notebooks(cfg: BuildConfig, metingen: list[int] | None = None) -> list[Path]:
    """Executed chapter notebooks a complete report is made from."""
    metingen = metingen or sorted(_measurements(cfg.paths))
    return [cfg.paths.executed_notebooks / f"{nb}.ipynb" for nb, *_ in chapter_notebooks(cfg, metingen)]


def report_completeness(paths: Paths, notebooks: list[Path], output: Path | None = None):
    """:func:`analysis.verify.completeness.check` of the report in ``output`` (default: its place)."""
    from analysis.verify import completeness

    out = output or paths.report_output
    return completeness.check(out / "report.html", out / "report.pdf", notebooks, paths.results)


def render_atomic(paths: Paths, renderer: str, synthetic: bool, notebooks: list[Path]) -> dict[str, Path]:
    """Render into a temporary folder, check completeness, then move the files into place.

    Raises
    ------
    StepFailed
        The rendered report lacks an expected figure or table (or a notebook is incomplete);
        the report in place is left as it was.
    """
    from analysis.report import render

    target = paths.report_output
    staged = staging_dir(target)
    files = render.render(dataclasses.replace(paths, output=staged), renderer=renderer, synthetic=synthetic)
    found = report_completeness(paths, notebooks, staged)
    if not found.ok:
        raise StepFailed(f"render: {found.summary()}: " + "; ".join(found.problems[:5]))
    target.mkdir(parents=True, exist_ok=True)
    placed = {}
    for kind, path in files.items():
        placed[kind] = target / path.name
        os.replace(path, placed[kind])
    shutil.rmtree(staged, ignore_errors=True)
    return placed


def build(cfg: BuildConfig) -> list[StepResult]:
    """Run the build plan; returns what ran and how long each step took.

    ``cfg.force`` re-runs every step and empties the model store and the planning cache
    (:attr:`analysis.core.paths.Paths.plan_cache`) first, so every model is fitted anew.
    Holds the build folder's lock throughout (a second build raises
    :class:`analysis.pipeline.incremental.BuildLocked`).
    """
    with build_lock(cfg.paths.build):
        return _build(cfg)


def _needs_cluster(runner: Runner, steps: list[Step]) -> bool:
    """Whether a step that sends work to Dask is out of date (a no-op build starts no cluster)."""
    return any(s.name.startswith(DASK_STEP_PREFIXES) and runner.why(s) is not None for s in steps)


def location_count(processed: Path) -> int:
    """Most locations found in one measurement, from the ingest report (0 when there is none).

    Read from ``ingest_report.json`` rather than the tables, so that planning a build stays
    free of pandas (a no-op build only compares digests).
    """
    try:
        report = json.loads((processed / "ingest_report.json").read_text("utf-8"))
        found = [len(m.get("found", [])) for m in report.get("locations", {}).values()]
    except (OSError, ValueError, AttributeError):
        return 0
    return max(found, default=0)


def _steps_at_once(cfg: BuildConfig, cluster: bool) -> int:
    """Steps of one stage that run at the same time.

    With a cluster the notebook kernels mostly wait for it, so two more steps than workers
    keep the workers busy. Above :data:`BUILD_MAX_FACTSHEETS` locations (national size) every
    kernel holds a larger share of memory while it waits (10x the twin: a peak of 3.8 GB with
    four at once), so only as many steps run as there are workers; the work itself is the
    cluster's either way.
    """
    if not cluster:
        return cfg.workers
    if location_count(cfg.paths.processed) > BUILD_MAX_FACTSHEETS:
        return cfg.workers
    return cfg.workers + 2


def _build(cfg: BuildConfig) -> list[StepResult]:
    from contextlib import ExitStack

    if cfg.force and cfg.paths.model_cache.exists():
        shutil.rmtree(cfg.paths.model_cache)
    if cfg.force and cfg.paths.plan_cache.exists():
        # planning derives everything anew too (its cache is keyed by content, but --force
        # is the way to rule out any stored value)
        shutil.rmtree(cfg.paths.plan_cache)
    runner = Runner(cfg.paths.state, force=cfg.force, on_step=cfg.on_step)
    with ExitStack() as cluster:
        started = False
        for stage in plan(cfg):
            steps: list[Step] = []
            for factory in stage:
                made = factory()
                steps.extend(made if isinstance(made, list) else [made])
            if not started and _needs_cluster(runner, steps):
                # One Dask cluster for the rest of the build: every notebook kernel and factsheet
                # sends its fits there (R starts once per worker, not once per kernel).
                from analysis.models import engine

                cluster.enter_context(engine.shared_cluster(cfg.scheduler, cfg.workers))
                started = True
            if len(steps) == 1:
                runner.run(steps[0])
            else:
                runner.run_parallel(steps, workers=_steps_at_once(cfg, started))
    cfg.results = runner.results
    return runner.results
