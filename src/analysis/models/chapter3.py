"""The chapter-3 run in a few calls: frames -> primary fits -> diagnostics -> sensitivity -> CSVs.

The notebook ``03_change_across_measurements.ipynb`` and the benchmark call :func:`run`; each
step is also callable on its own. The leave-one-location-out analysis needs no primary fit and
has its own notebook (``03b_leave_one_location_out.ipynb``) and build step, which calls
:func:`run_lolo` on the second core while :func:`run` fits the primary models.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import pandas as pd

from analysis.core.params import DEFAULT_SEED
from analysis.core.provenance import is_synthetic
from analysis.models import cache
from analysis.models.diagnostics import Diagnostics, diagnose, diagnostics_table
from analysis.models.fit import ModelResult, fit_many
from analysis.models.frames import AnalysisFrames, frame_exclusions, frame_for, load_frames
from analysis.models.fanout import FitJob, run_fits
from analysis.models.sensitivity import (
    LOLO_KEYS,
    LOLO_MAX_LOCATIONS,
    SensitivityResults,
    lolo_frame,
    lolo_jobs,
    lolo_range,
    lolo_specs,
    lolo_summary,
    run_sensitivity,
)
from analysis.models.spec import ModelSpec, primary_specs
from analysis.models.tables import model_tables, write_lolo_tables, write_tables

MODEL_SETS = ("primary", "primary+sensitivity")


@dataclass
class Chapter3:
    """Everything the chapter-3 notebook shows.

    Attributes
    ----------
    frames : AnalysisFrames
    results : dict of ModelResult
    diagnostics : list of Diagnostics
    sensitivity : SensitivityResults or None
        Every analysis but leave one location out (see :func:`run_lolo`).
    files : list of Path
        CSVs and figures written.
    timings : dict
        Seconds per step.
    synthetic : bool
        Whether the processed tables come from the synthetic twin.
    cache_note : str
        How many fits came from the model store (one Dutch sentence).
    exclusions : DataFrame
        :func:`~analysis.models.frames.frame_exclusions` plus :func:`ingest_exclusions`.
    change : dict of DataFrame
        Per outcome (:data:`CHANGE_MODELS`) the data of its figure of change
        (:func:`analysis.models.change.change_table`).
    location_effects : DataFrame
        Location effects of the :data:`CHANGE_MODELS` (:func:`analysis.models.change.location_effects`).
    tables : dict of DataFrame
        The primary models' results tables as written (:func:`analysis.models.tables.model_tables`):
        chapter 3 renders from them, appendix A from their CSVs.
    """

    frames: AnalysisFrames
    results: dict[str, ModelResult]
    diagnostics: list[Diagnostics] = field(default_factory=list)
    sensitivity: SensitivityResults | None = None
    files: list[Path] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    synthetic: bool = False
    cache_note: str = ""
    exclusions: pd.DataFrame = field(default_factory=pd.DataFrame)
    change: dict[str, pd.DataFrame] = field(default_factory=dict)
    location_effects: pd.DataFrame = field(default_factory=pd.DataFrame)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def problems(self) -> pd.DataFrame:
        """Models that failed or fitted with warnings (never hidden)."""
        rows = [
            {
                "model_id": k,
                "status": r.status,
                "converged": r.converged,
                "singular": r.singular,
                "warnings": " | ".join(r.warnings + r.messages),
                "error": r.error,
            }
            for k, r in self.results.items()
            if r.status != "ok"
        ]
        if self.sensitivity is not None:
            rows += [
                {
                    "model_id": k,
                    "status": r.status,
                    "converged": r.converged,
                    "singular": r.singular,
                    "warnings": " | ".join(r.warnings + r.messages),
                    "error": r.error,
                }
                for k, r in self.sensitivity.results.items()
                if r.status != "ok"
            ]
        return pd.DataFrame(
            rows, columns=["model_id", "status", "converged", "singular", "warnings", "error"]
        )


def ingest_exclusions(processed: Path) -> pd.DataFrame:
    """Rows ingest kept out of the processed tables because they lie outside a measurement period.

    Read from ``ingest_report.json`` (key ``outside_period``: per measurement the numbers of
    registrations and occupancy rows); empty when the report has no such key. These rows are not
    in the processed tables, so they are shown beside, not inside, each model's accounting.
    """
    import json

    cols = ["frame", "reason", "n", "unit", "excluded"]
    path = Path(processed) / "ingest_report.json"
    try:
        report = json.loads(path.read_text("utf-8")) if path.exists() else {}
    except (OSError, ValueError):
        report = {}
    rows = []
    for meting, d in sorted((report.get("outside_period") or {}).items(), key=lambda kv: str(kv[0])):
        for key, unit in (("registrations", "registraties"), ("occupancy", "locatie-maanden")):
            n = int((d or {}).get(key, 0) or 0)
            if n:
                rows.append(
                    {
                        "frame": "ingest",
                        "reason": f"meting {meting}: buiten de metingperiode (niet in de verwerkte gegevens)",
                        "n": n,
                        "unit": unit,
                        "excluded": True,
                    }
                )
    return pd.DataFrame(rows, columns=cols)


def _durations(marks: dict[str, float]) -> dict[str, float]:
    """Seconds between consecutive ``perf_counter`` marks, named by the later mark."""
    keys = list(marks)
    return {k: round(marks[k] - marks[p], 2) for p, k in zip(keys, keys[1:])}


def fit_primary(frames: AnalysisFrames, specs: Sequence[ModelSpec] | None = None) -> dict[str, ModelResult]:
    """Fit the primary models (with the random-intercept LR tests and small-sample inference)."""
    return fit_many(list(specs or primary_specs()), frames, with_lr=True, small_sample=True)


def fit_and_diagnose(
    frames: AnalysisFrames,
    specs: Sequence[ModelSpec] | None = None,
    *,
    nsim: int = 250,
    seed: int = 20240601,
    scheduler: str | None = None,
    workers: int | None = None,
) -> tuple[dict[str, ModelResult], list[Diagnostics]]:
    """:func:`fit_primary` and :func:`diagnose_all` as one task per model on the Dask engine.

    Each worker fits a model and simulates its residuals from the R object it holds, so no
    fit is repeated and no R object crosses processes.
    """
    from analysis.models.fanout import FitJob, run_fits

    specs = list(specs or primary_specs())
    jobs = [
        FitJob(s.model_id, s, s.frame, with_lr=True, diagnose=(nsim, seed), small_sample=True) for s in specs
    ]
    fitted = run_fits(jobs, frames, scheduler=scheduler, workers=workers, label="primaire modellen")
    results = {s.model_id: fitted[s.model_id][0] for s in specs}
    diags = [fitted[s.model_id][1] for s in specs]
    for d in diags:
        # the verdict follows the diagnostics' stated rules (analysis.models.verdict)
        if d is not None and not d.error and d.model_id in results:
            results[d.model_id].diagnosis = d.row()
    return results, diags


CHANGE_MODELS: dict[str, str] = {
    "count": "count_interaction",
    "dur": "dur_interaction",
    "room": "room_iso_vs_ownother_interaction",
    "isodur": "isodur_interaction",
}
"""Outcome -> the model whose fitted line its figure of change shows (time x measurement)."""


def change_data(
    frames: AnalysisFrames, results: dict[str, ModelResult]
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Data of the figures of change and of the location-effects figure (see :mod:`analysis.models.change`)."""
    from analysis.models.change import change_table, location_effects
    from analysis.models.frames import frame_for

    tables = {
        k: change_table(results[m], frames, frame_for(frames, results[m].spec.frame))
        for k, m in CHANGE_MODELS.items()
        if m in results
    }
    return tables, location_effects({m: results[m] for m in CHANGE_MODELS.values() if m in results})


FIGURE_KINDS: tuple[str, ...] = ("interaction", "reason_meting")
"""Kinds of model that get a residual figure: the most general fit per outcome."""


def figure_models(results: dict[str, ModelResult]) -> list[str]:
    """Models that get a figure: the most general fit per outcome (:data:`FIGURE_KINDS`)."""
    return [k for k, r in results.items() if r.spec.kind in FIGURE_KINDS]


def diagnose_all(
    results: dict[str, ModelResult], *, nsim: int = 250, seed: int = DEFAULT_SEED
) -> list[Diagnostics]:
    """Simulated-residual tests for every fitted model (figures: ``present.figures.residual_figure``
    for :func:`figure_models`, drawn by the notebook)."""
    return [diagnose(r, nsim=nsim, seed=seed) for r in results.values()]


def run(
    processed: Path,
    out: Path,
    *,
    metingen: Sequence[int] | None = None,
    reference: int | None = None,
    model_set: str = "primary",
    nsim: int = 250,
    seed: int = DEFAULT_SEED,
    params_dir: Path | None = None,
    cache_dir: Path | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
) -> Chapter3:
    """Run chapter 3 end to end and write the tidy CSVs.

    Parameters
    ----------
    processed : Path
        Folder with ``registrations.parquet`` and ``occupancy.parquet``.
    out : Path
        ``<build>/results/models``.
    metingen : sequence of int, optional
        Measurements to include (>= 2); default all.
    reference : int, optional
        Reference measurement; default the first.
    model_set : str
        ``primary`` or ``primary+sensitivity`` (the sensitivity set without leave one location
        out, which :func:`run_lolo` runs).
    nsim : int
        Simulations per model for the diagnostics.
    seed : int
    params_dir : Path, optional
        Folder with the measurement files (default ``params/``).
    cache_dir : Path, optional
        Store of fitted models (:mod:`analysis.models.cache`); None fits everything anew.
    scheduler : str, optional
        Dask scheduler for the independent fits (:func:`analysis.models.fanout.run_fits`;
        default the build's cluster, else a new local one).
    workers : int, optional
        Workers of a new local cluster; 0 fits in this process.

    Returns
    -------
    Chapter3
    """
    if model_set not in MODEL_SETS:
        raise ValueError(f"model_set must be one of {MODEL_SETS}, not {model_set!r}")
    from analysis import SYNTHETIC_BANNER

    t = {"start": time.perf_counter()}
    synthetic = is_synthetic(processed)
    note = SYNTHETIC_BANNER if synthetic else ""
    frames = load_frames(processed, metingen=metingen, reference=reference, params_dir=params_dir)
    t["frames"] = time.perf_counter()
    with cache.using(cache_dir) as store:
        results, diags = fit_and_diagnose(frames, nsim=nsim, seed=seed, scheduler=scheduler, workers=workers)
        t["primary"] = time.perf_counter()
        sens = (
            run_sensitivity(frames, primary=results, scheduler=scheduler, workers=workers)
            if model_set == "primary+sensitivity"
            else None
        )
        t["sensitivity"] = time.perf_counter()
    exclusions = pd.concat([frame_exclusions(frames), ingest_exclusions(processed)], ignore_index=True)
    change, effects = change_data(frames, results)
    files = write_tables(
        out,
        results,
        diagnostics=diagnostics_table(diags),
        exclusions=exclusions,
        sensitivity=sens,
        note=note,
        metingen=[int(m) for m in frames.meting_levels],
        figures={
            **{f"ch3_fig_change_{k}": v for k, v in change.items()},
            "ch3_fig_location_effects": effects,
        },
    )
    t["tables"] = time.perf_counter()
    timings = _durations(t)
    return Chapter3(
        frames,
        results,
        diags,
        sens,
        files,
        timings,
        synthetic,
        store.summary(),
        exclusions,
        change,
        effects,
        model_tables(results, diagnostics_table(diags)),
    )


@dataclass
class LoloResult:
    """What the leave-one-location-out notebook (03b) shows.

    Attributes
    ----------
    frames : AnalysisFrames
    full : dict of ModelResult
        The key models (:data:`~analysis.models.sensitivity.LOLO_KEYS`) fitted on all locations.
    lolo : DataFrame
        One row per (model, term, dropped location): ``ch3_sens_lolo``.
    files : list of Path
        CSVs written.
    timings : dict
        Seconds per step.
    synthetic : bool
        Whether the processed tables come from the synthetic twin.
    cache_note : str
        How many fits came from the model store (one Dutch sentence).
    sampled : dict
        model_id -> (locations left out, locations in its data) for the models whose
        locations were sampled (:func:`~analysis.models.sensitivity.lolo_locations`).
    max_locations : int
        The bound of that rule.
    """

    frames: AnalysisFrames
    full: dict[str, ModelResult]
    lolo: pd.DataFrame
    files: list[Path] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    synthetic: bool = False
    cache_note: str = ""
    sampled: dict[str, tuple[int, int]] = field(default_factory=dict)
    max_locations: int = LOLO_MAX_LOCATIONS

    def lolo_range(self) -> pd.DataFrame:
        """Min and max of exp(b) per key estimate: ``ch3_sens_lolo_range``."""
        return lolo_range(self.lolo)

    def summary(self, alpha: float = 0.05) -> pd.DataFrame:
        """All locations beside leave one out, per key estimate (:func:`lolo_summary`)."""
        return lolo_summary(self.lolo, self.full, alpha)

    @property
    def n_fits(self) -> int:
        """Models fitted: the leave-one-out fits plus the fits on all locations."""
        return len(self.lolo) + len(self.full)

    def problems(self) -> pd.DataFrame:
        """Fits that warned or failed (``dropped`` empty for a fit on all locations)."""
        bad = self.lolo[self.lolo["status"] != "ok"]
        rows = [{"model_id": r.model_id, "dropped": r.dropped, "status": r.status} for r in bad.itertuples()]
        rows += [
            {"model_id": k, "dropped": "", "status": r.status}
            for k, r in self.full.items()
            if r.status != "ok"
        ]
        return pd.DataFrame(rows, columns=["model_id", "dropped", "status"])


def run_lolo(
    processed: Path,
    out: Path,
    *,
    metingen: Sequence[int] | None = None,
    reference: int | None = None,
    params_dir: Path | None = None,
    cache_dir: Path | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    max_locations: int = LOLO_MAX_LOCATIONS,
) -> LoloResult:
    """Leave one location out for the key estimates and write its CSVs.

    Fits each model of :data:`~analysis.models.sensitivity.LOLO_KEYS` once on all locations and
    once per location with that location left out, and writes ``ch3_sens_lolo`` and
    ``ch3_sens_lolo_range`` (:func:`analysis.models.tables.write_lolo_tables`). Needs no
    primary fit from :func:`run`, so the build runs both at the same time.

    Parameters
    ----------
    processed : Path
        Folder with ``registrations.parquet`` and ``occupancy.parquet``.
    out : Path
        ``<build>/results/models``.
    metingen : sequence of int, optional
        Measurements to include (>= 2); default all.
    reference : int, optional
        Reference measurement; default the first.
    params_dir : Path, optional
        Folder with the measurement files (default ``params/``).
    cache_dir : Path, optional
        Store of fitted models (:mod:`analysis.models.cache`); None fits everything anew.
    scheduler, workers
        Where the fits run (:func:`analysis.models.fanout.run_fits`).
    max_locations : int
        Above this many locations per model, leave out only the sample of
        :func:`~analysis.models.sensitivity.lolo_locations`.

    Returns
    -------
    LoloResult
    """
    from analysis import SYNTHETIC_BANNER

    t = {"start": time.perf_counter()}
    synthetic = is_synthetic(processed)
    frames = load_frames(processed, metingen=metingen, reference=reference, params_dir=params_dir)
    t["frames"] = time.perf_counter()
    specs = lolo_specs()
    terms = dict(LOLO_KEYS)
    with cache.using(cache_dir) as store:
        # the fits on all locations and every leave-one-out fit in one fan-out
        jobs = [FitJob(f"full:{s.model_id}", s, s.frame) for s in specs]
        loo = lolo_jobs(frames, specs, terms, max_locations)
        fitted = run_fits(
            jobs + loo, frames, scheduler=scheduler, workers=workers, label="een locatie weglaten"
        )
        full = {s.model_id: fitted[f"full:{s.model_id}"][0] for s in specs}
        lolo = lolo_frame(loo, fitted, terms)
        t["lolo"] = time.perf_counter()
    files = write_lolo_tables(out, lolo, note=SYNTHETIC_BANNER if synthetic else "")
    t["tables"] = time.perf_counter()
    timings = _durations(t)
    sampled = {}
    for s in specs:
        n_all = int(frame_for(frames, s.frame)["locatie"].nunique())
        n_out = sum(1 for j in loo if j.spec.model_id == s.model_id)
        if n_out < n_all:
            sampled[s.model_id] = (n_out, n_all)
    return LoloResult(frames, full, lolo, files, timings, synthetic, store.summary(), sampled, max_locations)
