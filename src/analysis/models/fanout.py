"""Chapter 3's independent fits on the Dask engine (:mod:`analysis.models.engine`).

The primary models with their diagnostics, the sensitivity variants and the
leave-one-location-out fits do not depend on each other, so each is one task. A task fits in
a worker's own R session exactly what the sequential code fitted (:func:`fit_task` calls
:func:`analysis.models.fit.fit` and :func:`analysis.models.diagnostics.diagnose` on the same
rows), and uses the model store there (:mod:`analysis.models.cache`; the folder must be
visible to the workers, which it is on a local cluster). The workers' store hits and misses
are added to this process's counters, so the notebooks' sentence about the store does not
depend on where the fits ran.

Results do not depend on the number of workers: a fit is deterministic and the diagnostics
carry their own seed (``tests/test_models_lolo.py`` compares 1 and 2 workers).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import pandas as pd

from analysis.models import cache, engine
from analysis.models.spec import ModelSpec

#: Workers of a local cluster when no cluster is given (one per core of the development machine).
WORKERS = 2

SIM_CELLS_MAX = 2_000_000
"""Most simulated values (rows x simulations) of one model's diagnostics."""


def diagnostics_nsim(nsim: int, rows: int, cells_max: int = SIM_CELLS_MAX, floor: int = 20) -> int:
    """Simulations for a model's diagnostics: ``nsim``, fewer when rows x nsim would exceed the bound.

    Rule: ``min(nsim, max(floor, cells_max // rows))``. The simulated matrix is rows x nsim
    doubles in R and again in Python, and its time grows with it: at ten times the twin
    (63,350 durations) 250 simulations took 22 s of the duration model's 30, at national size
    (625,300 registrations) they would take 1.25 GB per copy and worker. The twin (6,253
    registrations) stays at ``nsim``; ten times the twin gets 31 simulations, still 31 draws
    per residual over tens of thousands of residuals for the uniformity and dispersion tests.
    The number used is in the ``nsim`` column of ``ch3_models_diagnostics``.
    """
    return int(min(nsim, max(floor, cells_max // max(1, rows))))


@dataclass(frozen=True)
class FitJob:
    """One independent fit.

    Attributes
    ----------
    key : str
        Unique name of the job within a run.
    spec : ModelSpec
    frame : str
        Name of the analysis frame (:func:`analysis.models.frames.frame_for`).
    drop : str, optional
        Location left out of the frame (leave one location out).
    with_lr : bool
        Also test the random intercept (as :func:`analysis.models.fit.fit`).
    diagnose : tuple, optional
        ``(nsim, seed)``: also run the simulated-residual diagnostics on the fit.
    small_sample : bool
        Also compute the small-sample inference (as :func:`analysis.models.fit.fit`).
    summarise : callable, optional
        Picklable ``f(result) -> value`` run in the worker; its value is returned instead of the
        :class:`~analysis.models.fit.ModelResult` (keeps large results off the network).
    """

    key: str
    spec: ModelSpec
    frame: str
    drop: str | None = None
    with_lr: bool = False
    diagnose: tuple[int, int] | None = None
    small_sample: bool = False
    summarise: Callable[[Any], Any] | None = None


def fit_task(
    job: FitJob, frame: pd.DataFrame, meting_levels: list[str], store: str | None
) -> tuple[Any, Any, int, int]:
    """Run one :class:`FitJob` (in a worker): the fit, its diagnostics, store hits and misses."""
    from analysis.models.fit import fit

    data = frame if job.drop is None else frame[frame["locatie"] != job.drop]
    with cache.using(Path(store) if store else None) as usage:
        res = fit(job.spec, data, list(meting_levels), with_lr=job.with_lr, small_sample=job.small_sample)
        diag = None
        if job.diagnose is not None:
            from analysis.models.diagnostics import diagnose

            nsim, seed = job.diagnose
            rows = len(res.data) if res.data is not None else 0
            diag = diagnose(res, nsim=diagnostics_nsim(nsim, rows), seed=seed)
    out = job.summarise(res) if job.summarise is not None else replace(res, r_model=None)
    return out, diag, usage.hits, usage.misses


def run_fits(
    jobs: Sequence[FitJob],
    frames: Any,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    label: str = "modellen",
    progress: bool = False,
) -> dict[str, tuple[Any, Any]]:
    """Run ``jobs`` on the engine; ``{job key: (result or summary, diagnostics or None)}``.

    Each distinct frame is scattered once (:func:`analysis.models.engine.run`). The store is
    the one active in this process (:func:`analysis.models.cache.using`); the workers' hits and
    misses are added to it.

    Parameters
    ----------
    jobs : sequence of FitJob
    frames : AnalysisFrames
    scheduler : str, optional
        Address of a Dask scheduler (default: the build's cluster, else a new local one).
    workers : int, optional
        Workers of a new local cluster (default :data:`WORKERS`); 0 fits in this process.
    label : str
        Label of the progress bar.
    progress : bool
        Show a progress bar.
    """
    from analysis.models.frames import frame_for

    if not jobs:
        return {}
    names = sorted({j.frame for j in jobs})
    shared = {n: frame_for(frames, n) for n in names}
    store = str(cache.STATE.folder) if cache.STATE.folder is not None else None
    levels = list(frames.meting_levels)
    tasks = [(j.key, fit_task, (j, engine.Shared(j.frame), levels, store)) for j in jobs]
    out = engine.run(
        tasks,
        scheduler=scheduler,
        workers=WORKERS if workers is None else workers,
        progress=progress,
        label=label,
        shared=shared,
    )
    results = {}
    for j, (value, diag, hits, misses) in zip(jobs, out):
        cache.STATE.hits += hits
        cache.STATE.misses += misses
        results[j.key] = (value, diag)
    return results
