"""Simulated scaled residuals (DHARMa's method, written on R's ``simulate()``) and their tests.

For each observation the scaled residual is the position of the observed value in the
distribution of values simulated from the fitted model (by default conditional on the estimated
random effects; DHARMa re-simulates them):
``r = (#(sim < obs) + U * (#(sim == obs) + 1)) / (nsim + 1)`` with
U ~ Uniform(0, 1), which randomises ties for discrete responses. Under a correct model the
residuals are uniform on (0, 1).

Tests (all two-sided, as DHARMa's defaults):

* uniformity: Kolmogorov-Smirnov against Uniform(0, 1);
* dispersion: ratio of the variance of the observed values around the simulated means to the
  mean of the same quantity for each simulated data set; p from the simulated distribution;
* zero inflation: observed number of zeros / mean simulated number; p from the simulated
  distribution (count models only).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from analysis.models import cache, rbridge
from analysis.models.fit import ModelResult, fit_uncached


@dataclass
class Diagnostics:
    """Simulation-based diagnostics of one model.

    Attributes
    ----------
    model_id : str
    nsim : int
    ks_stat, ks_p : float
        Uniformity test of the scaled residuals.
    dispersion_ratio, dispersion_p : float
    zero_ratio, zero_p : float
        NaN for non-count models.
    residuals : ndarray
    month : ndarray
        Centred month of each observation (for the residuals-vs-month figure).
    error : str
        Non-empty when simulation failed.
    """

    model_id: str
    nsim: int
    ks_stat: float = float("nan")
    ks_p: float = float("nan")
    dispersion_ratio: float = float("nan")
    dispersion_p: float = float("nan")
    zero_ratio: float = float("nan")
    zero_p: float = float("nan")
    residuals: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    month: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    error: str = ""

    def row(self) -> dict:
        """Tidy row for the diagnostics table."""
        return {k: getattr(self, k) for k in ("model_id", "nsim", "ks_stat", "ks_p",
                                              "dispersion_ratio", "dispersion_p",
                                              "zero_ratio", "zero_p", "error")}


def scaled_residuals(observed: np.ndarray, simulated: np.ndarray,
                     rng: np.random.Generator) -> np.ndarray:
    """Randomised PIT residuals of ``observed`` (n) within ``simulated`` (n x nsim)."""
    obs = np.asarray(observed, float)[:, None]
    sim = np.asarray(simulated, float)
    below = (sim < obs).sum(axis=1)
    ties = (sim == obs).sum(axis=1)
    return (below + rng.uniform(size=len(below)) * (ties + 1)) / (sim.shape[1] + 1)


def _two_sided_p(observed: float, simulated: np.ndarray) -> float:
    """Two-sided p-value of ``observed`` in the simulated distribution (DHARMa's rule)."""
    sim = np.asarray(simulated, float)
    lo = (np.sum(sim <= observed) + 1) / (len(sim) + 1)
    hi = (np.sum(sim >= observed) + 1) / (len(sim) + 1)
    return float(min(1.0, 2 * min(lo, hi)))


def dispersion_test(observed: np.ndarray, simulated: np.ndarray) -> tuple[float, float]:
    """Ratio of observed to simulated variation around the simulated means, and its p-value."""
    sim = np.asarray(simulated, float)
    mean = sim.mean(axis=1, keepdims=True)
    obs_stat = float(np.sum((np.asarray(observed, float) - mean[:, 0]) ** 2))
    sim_stat = np.sum((sim - mean) ** 2, axis=0)
    return obs_stat / float(sim_stat.mean()), _two_sided_p(obs_stat, sim_stat)


def zero_inflation_test(observed: np.ndarray, simulated: np.ndarray) -> tuple[float, float]:
    """Observed / expected number of zeros, and its p-value."""
    obs_zeros = float(np.sum(np.asarray(observed) == 0))
    sim_zeros = np.sum(np.asarray(simulated) == 0, axis=0)
    mean = float(sim_zeros.mean())
    ratio = obs_zeros / mean if mean > 0 else (float("nan") if obs_zeros == 0 else float("inf"))
    return ratio, _two_sided_p(obs_zeros, sim_zeros)


def diagnose(result: ModelResult, nsim: int = 250, seed: int = 20240601,
             conditional: bool = True) -> Diagnostics:
    """Simulate from a fitted model and run the residual tests.

    Parameters
    ----------
    result : ModelResult
        A fitted (not failed) model; ``result.data`` must hold the ``month`` column when a
        residuals-vs-month figure is wanted.
    nsim : int
        Number of simulated data sets.
    seed : int
        Seed for R's ``simulate()`` and the tie randomisation.
    conditional : bool
        Simulate given the estimated location effects (default). Unconditional simulation
        re-draws them, so with 18 locations all residuals of a location move together and the
        KS test mostly reflects 18 draws of the location effect.

    Logistic models, fitted on binomial cells, are checked per registration as if fitted on
    the 0/1 rows: R expands the cells back and simulates one 0/1 outcome per registration.

    Returns
    -------
    Diagnostics
    """
    key = cache.derived_key(result.cache_key, "diagnostics", nsim, seed, conditional,
                            _source_digest()) if result.cache_key else ""
    hit = cache.load(key) if key else None
    if hit is not None:
        return hit
    out = _diagnose(result, nsim, seed, conditional)
    if key:
        cache.store(key, out)
    return out


@lru_cache(maxsize=1)
def _source_digest() -> str:
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def _diagnose(result: ModelResult, nsim: int, seed: int, conditional: bool) -> Diagnostics:
    """Simulate and test (no cache); refits a stored model that has no R object."""
    out = Diagnostics(result.model_id, nsim)
    if result.r_model is None and result.status != "failed" and result.data is not None:
        result.r_model = fit_uncached(result.spec, result.data, result.meting_levels, False).r_model
    if result.r_model is None:
        out.error = "model not fitted"
        return out
    cap = rbridge.call_captured(rbridge.helper("simulate_matrix"), m=result.r_model, nsim=nsim, seed=seed,
                                conditional=conditional)
    obs = rbridge.call_captured(rbridge.helper("observed"), m=result.r_model)
    if cap.failed or obs.failed:
        out.error = cap.error or obs.error
        return out
    sim = np.asarray(cap.value, float)
    y = np.asarray(obs.value, float)
    rng = np.random.default_rng(seed)
    out.residuals = scaled_residuals(y, sim, rng)
    out.ks_stat, out.ks_p = map(float, stats.kstest(out.residuals, "uniform"))
    out.dispersion_ratio, out.dispersion_p = dispersion_test(y, sim)
    if result.spec.family in ("nbinom2", "poisson"):
        out.zero_ratio, out.zero_p = zero_inflation_test(y, sim)
    rows = result.data
    if result.cells is not None:  # same order as R's expanded cells
        rows = result.cells.loc[result.cells.index.repeat(result.cells["wts"].astype(int))]
    if rows is not None and "month" in rows:
        out.month = rows["month"].to_numpy(float)
    return out


def diagnostics_table(diags: list[Diagnostics]) -> pd.DataFrame:
    """One row per model with the three tests."""
    return pd.DataFrame([d.row() for d in diags])


def plot_diagnostics(diag: Diagnostics, folder: Path, caption: str = "") -> list[Path]:
    """Small two-panel figure (QQ against uniform; residuals vs month) as PNG and SVG.

    Parameters
    ----------
    diag : Diagnostics
    folder : Path
        Output folder (created).
    caption : str
        Text under the figure (e.g. the synthetic-data banner).

    Returns
    -------
    list of Path
        The PNG and SVG files.
    """
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "ch3-diagnostics"
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(6.0, 2.6))
    r = np.sort(diag.residuals)
    ax1.plot((np.arange(len(r)) + 0.5) / max(len(r), 1), r, ".", ms=2)
    ax1.plot([0, 1], [0, 1], "k-", lw=0.8)
    ax1.set(xlabel="verwacht", ylabel="geschaald residu",
            title=f"QQ uniform (KS p = {diag.ks_p:.3f})")
    if len(diag.month):
        months = np.unique(diag.month)
        groups = [diag.residuals[diag.month == m] for m in months]
        ax2.boxplot(groups, positions=months, widths=0.6, showfliers=False)
        ax2.set_xticks(months, [f"{m:g}" for m in months], fontsize=6, rotation=90)
    for q in (0.25, 0.5, 0.75):
        ax2.axhline(q, color="grey", lw=0.6, ls="--")
    ax2.set(xlabel="maand (gecentreerd)", ylabel="geschaald residu", title="residuen per maand")
    for ax in (ax1, ax2):
        ax.title.set_fontsize(8)
        ax.tick_params(labelsize=6)
        ax.xaxis.label.set_fontsize(7)
        ax.yaxis.label.set_fontsize(7)
    fig.suptitle(diag.model_id, fontsize=8)
    if caption:
        fig.text(0.5, 0.005, caption, ha="center", va="bottom", fontsize=6, color="firebrick")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    paths = [folder / f"diag_{diag.model_id}.{ext}" for ext in ("png", "svg")]
    for p in paths:
        fig.savefig(p, dpi=110, metadata={"Date": None} if p.suffix == ".svg" else None)
    plt.close(fig)
    return paths
