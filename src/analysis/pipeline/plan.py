"""The planning study end to end: source models -> designs -> Dask fan-out -> power tables.

Used by ``compendium plan`` and notebook ``04_planning.ipynb``. The simulation model and the
summaries are in :mod:`analysis.models.power`; the fan-out in :mod:`analysis.models.engine`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import pandas as pd
import yaml

from analysis.core.paths import Paths
from analysis.models import power
from analysis.models import engine


@dataclass
class PlanResult:
    """Everything the appendix and the command show.

    Attributes
    ----------
    truth : Truth
        Parameters the data were simulated from.
    study : Study
    sims, power, mdc : DataFrame
        Per simulation; per design (power with a Monte Carlo 95% interval); minimal detectable
        decline per design.
    skipped : dict
        Outcome -> why it was not simulated (a failed or degenerate source model).
    stats : RunStats
    synthetic : bool
    files : list of Path
    setting : str
    target : float
    """

    truth: power.Truth
    study: power.Study
    sims: pd.DataFrame
    power: pd.DataFrame
    mdc: pd.DataFrame
    skipped: dict[str, str] = field(default_factory=dict)
    stats: engine.RunStats = field(default_factory=engine.RunStats)
    synthetic: bool = False
    files: list[Path] = field(default_factory=list)
    setting: str = "quick"
    target: float = 0.8
    seconds: float = 0.0


def read_plan(path: Path) -> dict[str, Any]:
    """The study file (``params/plan.yaml``), with its required keys checked."""
    with open(path, encoding="utf-8") as fh:
        plan = yaml.safe_load(fh)
    missing = {"seed", "settings"} - set(plan or {})
    if missing:
        raise ValueError(f"{path}: missing keys {sorted(missing)}")
    for name, s in plan["settings"].items():
        bad = set(s.get("outcomes", [])) - set(power.OUTCOMES)
        if bad:
            raise ValueError(f"{path}: setting {name}: unknown outcomes {sorted(bad)}")
    return plan


def source_truth(
    paths: Paths,
    *,
    metingen: Sequence[int] | None = None,
    reference: int | None = None,
    cache_dir: Path | None = None,
    scheduler: str | None = None,
    workers: int = 2,
) -> tuple[power.Truth, bool]:
    """Fit (or load from the model store) the chapter-3 ``*_meting`` models and derive the truth.

    The fits run on the engine's workers, so this process never starts R. They are kept in a
    folder of the store of their own (``<cache_dir>/planning-sources``): the build runs this
    study beside notebook 03, and with one shared folder whichever step came first would fill
    the other's hits, so the model-store sentence of chapter 3 would change from one cold
    build to the next. A cold build therefore fits these few models twice (about 1 s each).
    """
    from analysis.models import cache
    from analysis.models.fanout import FitJob, run_fits
    from analysis.models.frames import load_frames
    from analysis.models.chapter3 import is_synthetic
    from analysis.models.spec import primary_specs, select

    frames = load_frames(paths.processed, metingen=metingen, reference=reference, params_dir=paths.params)
    specs = select(primary_specs(), list(power.OUTCOMES.values()))
    with cache.using(cache_dir / "planning-sources" if cache_dir is not None else None):
        # with_lr=True: the same specification as the primary fits of notebook 03
        jobs = [FitJob(s.model_id, s, s.frame, with_lr=True) for s in specs]
        fitted = run_fits(jobs, frames, scheduler=scheduler, workers=workers, label="bronmodellen")
        results = {s.model_id: fitted[s.model_id][0] for s in specs}
    source = "geschatte modellen van hoofdstuk 3 (" + ", ".join(s.model_id for s in specs) + ")"
    return power.truth_from_results(results, frames.counts, frames.meting_levels, source), is_synthetic(
        paths.processed
    )


def _unusable(truth: power.Truth, wanted: Sequence[str]) -> dict[str, str]:
    """Outcome -> why it is not simulated (its source model cannot be interpreted)."""
    return {
        o: f"het bronmodel {power.OUTCOMES[o]} is niet interpreteerbaar "
        f"(oordeel '{truth.verdicts.get(power.OUTCOMES[o], 'ontbreekt')}')"
        for o in wanted
        if not truth.usable(o)
    }


def _summaries(
    sims: pd.DataFrame, target: float, folder: Path, synthetic: bool
) -> tuple[pd.DataFrame, pd.DataFrame, list[Path]]:
    """Power table and minimal detectable change of the simulations, written as the study's CSVs."""
    from analysis import SYNTHETIC_BANNER

    table = power.power_table(sims) if len(sims) else pd.DataFrame()
    mdc = power.minimal_detectable_change(table, target) if len(table) else pd.DataFrame()
    files = power.write_outputs(folder, sims, table, mdc, note=SYNTHETIC_BANNER if synthetic else "")
    return table, mdc, files


def run_plan(
    paths: Paths,
    plan_file: Path,
    *,
    setting: str = "quick",
    nsim: int | None = None,
    scheduler: str | None = None,
    workers: int = 2,
    from_params: bool = False,
    outcomes: Sequence[str] | None = None,
    months: Sequence[int] | None = None,
    locations: Sequence[int] | None = None,
    changes: Sequence[float] | None = None,
    metingen: Sequence[int] | None = None,
    reference: int | None = None,
    cache_dir: Path | None = None,
    out: Path | None = None,
    progress: bool = True,
) -> PlanResult:
    """Run the planning study of ``setting`` (overrides per argument) and write its CSVs.

    Parameters
    ----------
    paths : Paths
    plan_file : Path
        ``params/plan.yaml``.
    setting : str
        ``quick`` or ``full``.
    nsim, outcomes, months, locations, changes
        Replace the setting's values when given.
    scheduler, workers
        Where the fits run (:func:`analysis.models.engine.run`).
    from_params : bool
        Simulate from the file's ``model`` block even when data are present.
    metingen, reference, cache_dir
        As for chapter 3 (the source models).
    out : Path, optional
        Folder of the CSVs (default ``<build>/results/planning``).
    progress : bool

    Returns
    -------
    PlanResult
    """
    t0 = time.perf_counter()
    plan = read_plan(plan_file)
    s = dict(plan["settings"][setting])
    has_data = (paths.processed / "registrations.parquet").exists()
    if from_params or not has_data:
        truth, synthetic = power.truth_from_mapping(plan["model"]), False
    else:
        where = {"cache_dir": cache_dir, "scheduler": scheduler, "workers": workers}
        truth, synthetic = source_truth(paths, metingen=metingen, reference=reference, **where)
    wanted = list(outcomes or s["outcomes"])
    skipped = _unusable(truth, wanted)
    designs = power.designs_grid(
        [o for o in wanted if o not in skipped],
        months or s["months"],
        locations or s["locations"],
        changes or s["changes"],
    )
    study = power.Study(
        designs,
        nsim=int(nsim or s["nsim"]),
        seed=int(plan["seed"]),
        alpha=float(plan.get("alpha", 0.05)),
        batch=int(plan.get("batch", 5)),
    )
    stats = engine.RunStats()
    store = paths.build / "cache" / "planning"
    results = (
        engine.run(
            study.tasks(truth),
            store=store,
            scheduler=scheduler,
            workers=workers,
            progress=progress,
            label="simulaties",
            stats=stats,
        )
        if designs
        else []
    )
    sims = power.collect(results) if results else pd.DataFrame()
    target = float(plan.get("target_power", 0.8))
    table, mdc, files = _summaries(sims, target, out or paths.results / "planning", synthetic)
    seconds = time.perf_counter() - t0
    return PlanResult(
        truth, study, sims, table, mdc, skipped, stats, synthetic, files, setting, target, seconds
    )
