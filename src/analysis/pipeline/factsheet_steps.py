"""Location factsheets (Bijlage 5) as build steps: one function call per location, in worker
processes, each rendered to ``<build>/factsheets/<LOC>.html`` and ``.pdf``.

Flow per location (:func:`run_job`, a plain picklable function a process pool or Dask can
call): :func:`analysis.report.factsheets.make` computes the disclosure-controlled content with
:func:`analysis.present.location.factsheet`, writes it to ``<build>/factsheets/_work/<LOC>.json``
with the month chart (:func:`plot_months`), then turns the JSON into a self-contained HTML page
and, through the Typst template in ``resources/factsheet/``, a one-page A4 PDF. Both formats
are made from the same JSON, so they show the same numbers, and the JSON holds nothing that
disclosure control hid. No Jupyter kernel is started: ``notebooks/factsheet.ipynb`` stays the
per-location notebook a user opens and runs, and it calls the same
:func:`analysis.report.factsheets.content` (a test compares the two).

The render package had no Typst helper for single documents when this was written, so
:func:`render_pdf` calls the ``typst`` Python binding directly (offline, no LaTeX).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from analysis.core import measurements as measurements_mod
from analysis.core.cellsize import rule_for
from analysis.core.errors import ProjectError
from analysis.core.paths import Paths, decision_file, location_file
from analysis.pipeline.hashing import file_digest, frame_digest, json_digest, memo, tree_digest
from analysis.pipeline.incremental import Runner, Step, StepResult

if TYPE_CHECKING:
    import pandas as pd

#: Names of :mod:`analysis.report.factsheets` re-exported for callers of the pipeline. They are
#: imported on first use (:func:`__getattr__`): the build plans its factsheet steps without
#: importing pandas, matplotlib or the presentation stage.
REEXPORTED = (
    "decorate",
    "item_columns",
    "item_groups",
    "make",
    "plot_months",
    "render",
    "render_html",
    "render_pdf",
    "resource_text",
    "work_dir",
)


def __getattr__(name: str) -> Any:
    if name in REEXPORTED:
        from analysis.report import factsheets as report_factsheets

        return getattr(report_factsheets, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


NOTEBOOK = "factsheet.ipynb"
WORKERS = 2
SAMPLE_SEED = 20210531
"""Seed of the sample of factsheets a build of many locations makes (:func:`sample`)."""


# --- one location ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Job:
    """Everything one factsheet run needs (picklable, for the process pool)."""

    paths: Paths
    location: str
    measurement: int
    first_month: str
    last_month: str
    min_cell_size: int = 5
    hidden: tuple[str, ...] | None = None  # this location's cells hidden by the joint suppression

    def parameters(self) -> dict[str, Any]:
        """Values for the notebook's ``parameters`` cell."""
        return {
            "data_dir": str(self.paths.processed),
            "location": self.location,
            "meting": self.measurement,
            "first_month": self.first_month,
            "last_month": self.last_month,
            "min_cell_size": self.min_cell_size,
            "output_dir": str(self.paths.build),
            "params_dir": str(self.paths.params),
        }

    @property
    def outputs(self) -> list[Path]:
        """The HTML and the PDF."""
        return [location_file(self.paths.factsheets, self.location, f".{ext}") for ext in ("html", "pdf")]


def run_job(job: Job) -> float:
    """One location's factsheet (content, chart, HTML, PDF) in this process; returns wall seconds."""
    from analysis.core.params import FactsheetParams
    from analysis.report.factsheets import make

    t0 = time.perf_counter()
    params = FactsheetParams(**job.parameters())
    built = params.paths()
    if (
        built.processed.resolve() != Path(job.paths.processed).resolve()
        or built.factsheets.resolve() != Path(job.paths.factsheets).resolve()
    ):
        raise ValueError(f"factsheet {job.location}: parameters do not reproduce the build's folders")
    make(params, job.hidden)
    return time.perf_counter() - t0


# --- incremental steps -------------------------------------------------------------------------
def code_digest(paths: Paths) -> str:
    """Digest of the code a factsheet runs: the import closure of this module.

    The notebook is not an input: the build does not execute it (it calls the same function).
    """
    from analysis.core import deps

    return deps.code_digest(
        ["analysis.pipeline.factsheet_steps"],
        [],
        src=paths.root / "src",
        cache=paths.plan_cache / "imports.json",
    )


def _rows(processed: Path, table: str, measurement: int | None = None) -> pd.DataFrame:
    import pandas as pd

    path = processed / table
    if not path.exists():
        return pd.DataFrame()
    df = pd.read_parquet(path)
    if measurement is not None and "meting" in df.columns:
        df = df[df["meting"] == measurement]
    return df


def latest_measurement(paths: Paths) -> int:
    """Number of the latest measurement in ``params/``."""
    return max(measurements_mod.load_all(paths))


def factsheet_steps(
    paths: Paths,
    measurement: int | None = None,
    *,
    min_cell_size: int | None = None,
    locations: Sequence[str] | None = None,
    first_month: str | None = None,
    last_month: str | None = None,
    max_locations: int | None = None,
) -> list[Step]:
    """One :class:`~analysis.pipeline.incremental.Step` per location (``factsheet-<LOC>``).

    The inputs of a location's step are exactly what its factsheet shows or is made from:

    * ``registrations`` / ``occupancy`` / ``location``: :func:`~analysis.pipeline.hashing.frame_digest`
      of THAT location's rows of the measurement (registrations, occupancy, locations table);
    * ``national``: the digest of the national figures *as displayed* (rounded text and
      rounded monthly rates, :func:`analysis.present.location.national_figures`). Every
      location contributes to them, but a changed export of one location changes them only
      when a displayed (rounded) national number changes. So changing one location's export
      re-runs that location's factsheet alone, unless the national figures shown on all
      factsheets change, in which case all are rebuilt (they would be stale otherwise);
    * ``notebook``, ``code`` (import closure, :mod:`analysis.core.deps`), ``env`` (``pyproject.toml``), ``params``
      (measurement, period, minimum cell size) and ``synthetic`` (the banner);
    * ``hidden``: the location's cells hidden by the build's one decision over every published
      count (:func:`analysis.present.publish.decision_for`; the national cells it hides enter
      through ``national``). ``min_cell_size`` None: the build's rule,
      :func:`analysis.describe.disclosure.rule_for` (0 on the twin, 5 on real registrations).

    ``max_locations`` (the build's bound): above it, steps for the stated sample of
    :func:`sample` only (said on the console).
    """
    measurement = measurement if measurement is not None else latest_measurement(paths)
    m = measurements_mod.load_all(paths)[measurement]
    first, last = first_month or m.first_month, last_month or m.last_month
    # Everything below reads the processed tables with pandas (and validates them); a build
    # plans these steps on every run, so the result is kept keyed by the digests of all it
    # reads: the processed folder, the stored disclosure decision, the code and the settings.
    decision = decision_file(paths.build, measurement)

    def decision_digest() -> str:
        return file_digest(decision) if decision.is_file() else "absent"

    key = {
        "processed": tree_digest(paths.processed),
        "decision": decision_digest(),
        "code": code_digest(paths),
        "env": file_digest(paths.root / "pyproject.toml"),
        "settings": json_digest(
            {
                "meting": measurement,
                "months": list(m.months()),
                "first": first,
                "last": last,
                "k": min_cell_size,
                "locations": sorted(locations) if locations else None,
                "max": max_locations,
                "seed": SAMPLE_SEED,
            }
        ),
    }
    planned = memo(
        paths.plan_cache,
        f"factsheets-{int(measurement)}",
        key,
        partial(
            _plan_inputs,
            paths,
            measurement,
            list(m.months()),
            first,
            last,
            min_cell_size,
            list(locations) if locations else None,
            max_locations,
        ),
        # planning stores the decision when the build's disclosure step has not (yet)
        key_after=lambda: dict(key, decision=decision_digest()),
    )
    if planned["sampled_from"] is not None:
        print(
            f"factsheets: {max_locations} of {planned['sampled_from']} locations in this build (a "
            f"sample drawn with seed {SAMPLE_SEED}); `compendium factsheets` makes the others.",
            flush=True,
        )
    return _steps(paths, measurement, first, last, planned, key)


def _steps(
    paths: Paths, measurement: int, first: str, last: str, planned: dict[str, Any], key: dict[str, str]
) -> list[Step]:
    """One step per planned location from the planned inputs (:func:`_plan_inputs`)."""
    k = planned["k"]
    shared = {
        "national": planned["national"],
        "code": key["code"],
        "env": key["env"],
        "synthetic": str(planned["synthetic"]),
        "params": json_digest({"meting": measurement, "first": first, "last": last, "k": k}),
    }
    steps = []
    for loc in planned["codes"]:
        own_list = planned["hidden"][loc]
        own = tuple(own_list) if own_list is not None else None
        job = Job(paths, loc, measurement, first, last, k, own)
        inputs = dict(shared, hidden=json_digest(own), **planned["rows"][loc])
        steps.append(Step(f"factsheet-{loc}", inputs, job.outputs, partial(run_in_worker, job)))
    return steps


def _plan_inputs(
    paths: Paths,
    measurement: int,
    months: list[str],
    first: str,
    last: str,
    min_cell_size: int | None,
    locations: list[str] | None,
    max_locations: int | None,
) -> dict[str, Any]:
    """The data-derived part of :func:`factsheet_steps` (reads and validates the tables).

    Returns
    -------
    dict
        ``codes`` (the locations planned), ``sampled_from`` (number of locations when a sample
        was drawn, else None), ``k``, ``synthetic``, ``national`` (digest of the displayed
        national figures), ``hidden`` (per location: its hidden cells, None when ``k <= 1``)
        and ``rows`` (per location: digests of its registrations, occupancy and location rows).
    """
    import pandas as pd

    from analysis.describe.load import load_measurement
    from analysis.present import location as dl
    from analysis.present import publish

    period = dl.months_between(months, first, last)
    data = load_measurement(paths.processed, measurement, list(period.months))
    reg = _rows(paths.processed, "registrations.parquet", measurement)
    occ = _rows(paths.processed, "occupancy.parquet", measurement)
    locs = _rows(paths.processed, "locations.parquet")
    codes = sorted(set(data.locations["locatie"]) | set(reg.get("locatie", pd.Series(dtype=str))))
    if locations:
        unknown = sorted(set(locations) - set(codes))
        if unknown:
            raise ValueError(f"unknown location(s) {unknown}; known: {codes}")
        codes = [c for c in codes if c in set(locations)]
    sampled_from = None
    if max_locations is not None and len(codes) > max_locations:
        sampled_from = len(codes)
        codes = sample(codes, max_locations)
    k = rule_for(data.synthetic) if min_cell_size is None else min_cell_size
    # The build's one decision over every published count (the report's chapter 2, its
    # results CSVs and all factsheets), read from <build>/disclosure when the build's
    # disclosure step made it for these data, else computed and stored here.
    decision = publish.decision_for(paths.build, data, period, k)
    nat_hidden = decision.national()
    national = json_digest(dl.national_figures(data.registrations, data.occupancy, period, nat_hidden))
    hidden: dict[str, list[str] | None] = {}
    rows: dict[str, dict[str, str]] = {}
    for loc in codes:
        hidden[loc] = sorted(decision.of(loc)) if k > 1 else None
        rows[loc] = {
            "registrations": frame_digest(reg[reg["locatie"] == loc]) if len(reg) else "absent",
            "occupancy": frame_digest(occ[occ["locatie"] == loc]) if len(occ) else "absent",
            "location": frame_digest(locs[locs["locatie"] == loc]) if len(locs) else "absent",
        }
    return {
        "codes": list(codes),
        "sampled_from": sampled_from,
        "k": int(k),
        "synthetic": bool(data.synthetic),
        "national": national,
        "hidden": hidden,
        "rows": rows,
    }


def run_in_worker(job: Job) -> float:
    """:func:`run_job` as a task of the Dask engine (:mod:`analysis.models.engine`); wall seconds.

    Runs on the build's cluster (or the one :func:`run_steps` started): factsheets run in worker
    processes, not in the build's threads, because matplotlib's settings are global to a
    process (two charts drawn at once in one process mixed their styles: SVG text turned into
    paths in 3 of 18 charts); a worker runs one task at a time. Without a cluster in the
    environment, this starts a local one for the one factsheet.
    """
    from analysis.models import engine

    return float(
        engine.run([(f"factsheet-{job.location}", run_job, (job,))], workers=WORKERS, progress=False)[0]
    )


def sample(codes: Sequence[str], max_locations: int, seed: int = SAMPLE_SEED) -> list[str]:
    """The locations whose factsheets a build makes: all, or ``max_locations`` drawn by a seed.

    Rule: with at most ``max_locations`` locations every one; with more, a sample drawn with
    ``numpy.random.default_rng(seed)`` without replacement (sorted), so that a build of
    national size stays bounded. ``compendium factsheets`` makes every location's factsheet
    (or one, with ``--location``).
    """
    import numpy as np

    codes = sorted(codes)
    if len(codes) <= max_locations:
        return codes
    drawn = np.random.default_rng(seed).choice(len(codes), size=max_locations, replace=False)
    return sorted(codes[i] for i in drawn)


def run_steps(
    steps: Sequence[Step],
    runner: Runner,
    *,
    workers: int = WORKERS,
    progress: bool = True,
    scheduler: str | None = None,
) -> list[StepResult]:
    """Run the out-of-date steps on the Dask engine with a progress bar.

    Up-to-date steps are recorded as skipped; each step runs through ``runner`` (marked
    running, verified and recorded exactly as in a build). The factsheets go to ``scheduler``
    (or the build's cluster), else to a local cluster of ``workers`` processes started once
    for all of them. A failure is raised after the running steps finish.
    """
    from rich.progress import Progress

    from analysis.models import engine

    todo = [s for s in steps if runner.why(s) is not None]
    results = [runner.run(s) for s in steps if s not in todo]  # up to date: only recorded
    if not todo:
        return results
    errors: list[BaseException] = []
    with (
        engine.shared_cluster(engine.default_scheduler(scheduler), workers),
        Progress(disable=not progress, transient=False) as bar,
        ThreadPoolExecutor(max_workers=max(1, min(workers, len(todo)))) as threads,
    ):
        task = bar.add_task(f"factsheets ({len(todo)})", total=len(todo))
        futures = {threads.submit(runner.run, s): s for s in todo}
        for fut in as_completed(futures):
            try:
                results.append(fut.result())
            except BaseException as exc:  # noqa: BLE001 - re-raised below, after the other steps
                # A user's error or an interrupt keeps its class (one line, exit 2 / 130); a bug is named.
                keep = isinstance(exc, (ProjectError, KeyboardInterrupt))
                errors.append(exc if keep else RuntimeError(f"{futures[fut].name}: {exc}"))
                continue
            bar.advance(task)
    if errors:
        raise errors[0]
    return results


def main(
    paths: Paths,
    location: str | None = None,
    measurement: int | None = None,
    *,
    force: bool = False,
    workers: int = WORKERS,
    min_cell_size: int | None = None,
    scheduler: str | None = None,
) -> int:
    """``compendium factsheets [--location CODE] [--measurement N]``: build out-of-date factsheets.

    Returns
    -------
    int
        0 on success (exceptions propagate with the failing location named).
    """
    from rich.console import Console

    console = Console(highlight=False)
    t0 = time.perf_counter()
    steps = factsheet_steps(
        paths, measurement, locations=[location] if location else None, min_cell_size=min_cell_size
    )
    results = run_steps(steps, Runner(paths.state, force=force), workers=workers, scheduler=scheduler)
    ran = [r for r in results if r.ran]
    console.print(
        f"factsheets: {len(ran)} built, {len(results) - len(ran)} up to date, "
        f"{time.perf_counter() - t0:.1f} s -> {paths.factsheets}"
    )
    return 0
