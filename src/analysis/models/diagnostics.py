"""Simulated scaled residuals (DHARMa's method, written on R's ``simulate()``) and their tests.

For each observation the scaled residual is the position of the observed value in the
distribution of values simulated from the fitted model (conditional on the estimated random
effects for the residuals, the KS test and the figures; see :func:`diagnose`):
``r = (#(sim < obs) + U * (#(sim == obs) + 1)) / (nsim + 1)`` with
U ~ Uniform(0, 1), which randomises ties for discrete responses. Under a correct model the
residuals are uniform on (0, 1).

Tests (all two-sided, as DHARMa's defaults):

* uniformity: Kolmogorov-Smirnov against Uniform(0, 1) (conditional simulation);
* dispersion: ratio of the variance of the observed values around the simulated means to the
  mean of the same quantity for each simulated data set; p from the simulated distribution.
  Simulated **unconditionally** (new location effects, DHARMa's default): conditional on the
  estimated location effects, which were fitted to these same data, the ratio is biased down
  (0.86 instead of about 1 for a correct count model). Not computed for 0/1 outcomes, whose
  variance is fixed by their mean, so the test cannot detect anything;
* zero inflation: observed number of zeros / mean simulated number; p from the simulated
  distribution (count models only; unconditional simulation, as for dispersion).

Every p-value rests on ``nsim`` simulations and carries its Monte Carlo 95% interval (how much
of it is simulation noise): for the dispersion and zero tests the Wilson interval of the
simulated tail share, doubled as the p-value is (:func:`simulated_p_interval`); for the
uniformity test the 2.5% and 97.5% percentiles of the KS p-value over :data:`MC_REPS`
re-draws of the simulated counts per observation and of the tie randomisation
(:func:`ks_p_interval`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from analysis.core.params import DEFAULT_SEED
from analysis.models import cache, rbridge
from analysis.models.fit import ModelResult, fit_uncached
from analysis.models.power import wilson

MC_REPS = 100
"""Re-draws of the simulations behind the Monte Carlo interval of the KS p-value."""


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
    groups : ndarray
        For a model without ``month``: the category of each observation (reason / measurement),
        so the figure's second panel shows residuals per category.
    simulation : str
        Which simulation each test used.
    error : str
        Non-empty when simulation failed.
    ks_p_low, ks_p_high, dispersion_p_low, dispersion_p_high, zero_p_low, zero_p_high : float
        Monte Carlo 95% interval of each p-value (see the module docstring); NaN where the
        test was not run.
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
    groups: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object), repr=False)
    simulation: str = "conditional (KS); unconditional (dispersion, zeros)"
    error: str = ""
    ks_p_low: float = float("nan")
    ks_p_high: float = float("nan")
    dispersion_p_low: float = float("nan")
    dispersion_p_high: float = float("nan")
    zero_p_low: float = float("nan")
    zero_p_high: float = float("nan")

    def row(self) -> dict:
        """Tidy row for the diagnostics table."""
        return {
            k: getattr(self, k)
            for k in (
                "model_id",
                "nsim",
                "ks_stat",
                "ks_p",
                "ks_p_low",
                "ks_p_high",
                "dispersion_ratio",
                "dispersion_p",
                "dispersion_p_low",
                "dispersion_p_high",
                "zero_ratio",
                "zero_p",
                "zero_p_low",
                "zero_p_high",
                "outlier_ratio",
                "outlier_p",
                "simulation",
                "error",
            )
        }

    @property
    def outlier_ratio(self) -> float:
        """Observed share of residuals outside every simulation over its expected 2 / (nsim + 1)."""
        n = len(self.residuals)
        if not n or not self.nsim:
            return float("nan")
        edge = 1.0 / (self.nsim + 1)
        share = float(np.mean((self.residuals < edge) | (self.residuals > 1.0 - edge)))
        return share / (2.0 * edge)

    @property
    def outlier_p(self) -> float:
        """One-sided binomial p of more outliers than the 2 / (nsim + 1) expected under the model."""
        from scipy import stats

        n = len(self.residuals)
        if not n or not self.nsim:
            return float("nan")
        edge = 1.0 / (self.nsim + 1)
        k = int(np.sum((self.residuals < edge) | (self.residuals > 1.0 - edge)))
        return float(stats.binomtest(k, n, min(1.0, 2.0 * edge), alternative="greater").pvalue)

    def failed_tests(self, alpha: float = 0.05) -> list[str]:
        """Names of the tests with p < ``alpha``: ``ks``, ``dispersion``, ``zeros``."""
        ps = {"ks": self.ks_p, "dispersion": self.dispersion_p, "zeros": self.zero_p}
        return [k for k, p in ps.items() if np.isfinite(p) and p < alpha]


def scaled_residuals(observed: np.ndarray, simulated: np.ndarray, rng: np.random.Generator) -> np.ndarray:
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


def simulated_p_interval(observed: float, simulated: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Monte Carlo interval of :func:`_two_sided_p`: the Wilson interval of the smaller tail share.

    The p-value is twice the share of simulations at least as extreme on the nearer side; that
    share is a binomial proportion over the ``nsim`` simulations, so its Wilson interval,
    doubled (and capped at 1), is the interval of the p-value. It always holds the p-value.
    """
    sim = np.asarray(simulated, float)
    n = len(sim)
    k = int(min(np.sum(sim <= observed), np.sum(sim >= observed)))
    lo, hi = wilson(k, n, level)
    p = _two_sided_p(observed, sim)
    return float(min(p, 2 * lo)), float(min(1.0, max(p, 2 * hi)))


def ks_p_interval(
    observed: np.ndarray,
    simulated: np.ndarray,
    rng: np.random.Generator,
    reps: int = MC_REPS,
    level: float = 0.95,
) -> tuple[float, float]:
    """Monte Carlo interval of the KS p-value of the scaled residuals.

    Each of ``reps`` re-draws replaces, per observation, the numbers of simulated values
    below and equal to it by a multinomial draw over ``nsim`` simulations with the observed
    shares (what re-drawing the simulations with replacement gives, observation by
    observation), with new tie randomisations; the residuals and the KS p-value are computed
    again (exact distribution, :func:`scipy.stats.kstwo`). The interval is the central
    ``level`` range of those p-values: how far the p-value could move with another set of
    ``nsim`` simulations.
    """
    obs = np.asarray(observed, float)[:, None]
    sim = np.asarray(simulated, float)
    n, nsim = sim.shape
    shares = np.column_stack([(sim < obs).sum(axis=1), (sim == obs).sum(axis=1)]) / nsim
    pvals = np.column_stack([shares, np.clip(1.0 - shares.sum(axis=1), 0.0, 1.0)])
    grid = np.arange(1, n + 1) / n
    ps = np.empty(reps)
    for b in range(reps):
        draw = rng.multinomial(nsim, pvals)
        r = np.sort((draw[:, 0] + rng.uniform(size=n) * (draw[:, 1] + 1)) / (nsim + 1))
        d = max(float(np.max(grid - r)), float(np.max(r - (grid - 1 / n))))
        ps[b] = float(stats.kstwo.sf(d, n))
    tail = (1 - level) / 2
    return float(np.quantile(ps, tail)), float(np.quantile(ps, 1 - tail))


def _dispersion_stats(observed: np.ndarray, simulated: np.ndarray) -> tuple[float, np.ndarray]:
    """Observed and simulated sums of squares around the simulated means."""
    sim = np.asarray(simulated, float)
    mean = sim.mean(axis=1, keepdims=True)
    obs_stat = float(np.sum((np.asarray(observed, float) - mean[:, 0]) ** 2))
    return obs_stat, np.sum((sim - mean) ** 2, axis=0)


def dispersion_test(observed: np.ndarray, simulated: np.ndarray) -> tuple[float, float]:
    """Ratio of observed to simulated variation around the simulated means, and its p-value."""
    obs_stat, sim_stat = _dispersion_stats(observed, simulated)
    return obs_stat / float(sim_stat.mean()), _two_sided_p(obs_stat, sim_stat)


def zero_inflation_test(observed: np.ndarray, simulated: np.ndarray) -> tuple[float, float]:
    """Observed / expected number of zeros, and its p-value."""
    obs_zeros = float(np.sum(np.asarray(observed) == 0))
    sim_zeros = np.sum(np.asarray(simulated) == 0, axis=0)
    mean = float(sim_zeros.mean())
    ratio = obs_zeros / mean if mean > 0 else (float("nan") if obs_zeros == 0 else float("inf"))
    return ratio, _two_sided_p(obs_zeros, sim_zeros)


def diagnose(
    result: ModelResult, nsim: int = 250, seed: int = DEFAULT_SEED, conditional: bool = True
) -> Diagnostics:
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
        Simulate the residuals (KS test, figures) given the estimated location effects
        (default): unconditional simulation re-draws them, so with 18 locations all residuals
        of a location move together and the KS test mostly reflects 18 draws of the location
        effect. The dispersion and zero tests always simulate unconditionally (new location
        effects; see the module docstring).

    Logistic models, fitted on binomial cells, are checked per registration as if fitted on
    the 0/1 rows: R expands the cells back and simulates one 0/1 outcome per registration.

    Returns
    -------
    Diagnostics
    """
    key = (
        cache.derived_key(result.cache_key, "diagnostics", nsim, seed, conditional, _source_digest())
        if result.cache_key
        else ""
    )
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
    cap = rbridge.call_captured(
        rbridge.helper("simulate_matrix"), m=result.r_model, nsim=nsim, seed=seed, conditional=conditional
    )
    obs = rbridge.call_captured(rbridge.helper("observed"), m=result.r_model)
    if cap.failed or obs.failed:
        out.error = cap.error or obs.error
        return out
    sim = np.asarray(cap.value, float)
    y = np.asarray(obs.value, float)
    rng = np.random.default_rng(seed)
    out.residuals = scaled_residuals(y, sim, rng)
    out.ks_stat, out.ks_p = map(float, stats.kstest(out.residuals, "uniform"))
    # its own generator: the residuals (and thus every result before this line) stay as they were
    lo, hi = ks_p_interval(y, sim, np.random.default_rng([seed, 1]))
    out.ks_p_low, out.ks_p_high = min(lo, out.ks_p), max(hi, out.ks_p)  # an interval holds its value
    if result.spec.family != "binomial":  # a 0/1 outcome has no dispersion to test
        usim = sim
        if conditional:
            ucap = rbridge.call_captured(
                rbridge.helper("simulate_matrix"),
                m=result.r_model,
                nsim=nsim,
                seed=seed + 1,
                conditional=False,
            )
            if ucap.failed:
                out.error = "unconditional simulation failed: " + ucap.error
                return out
            usim = np.asarray(ucap.value, float)
        out.dispersion_ratio, out.dispersion_p = dispersion_test(y, usim)
        out.dispersion_p_low, out.dispersion_p_high = simulated_p_interval(*_dispersion_stats(y, usim))
        if result.spec.family in ("nbinom2", "poisson"):
            out.zero_ratio, out.zero_p = zero_inflation_test(y, usim)
            zeros = np.sum(np.asarray(usim) == 0, axis=0)
            out.zero_p_low, out.zero_p_high = simulated_p_interval(float(np.sum(y == 0)), zeros)
    elif conditional:
        out.simulation = "conditional (KS)"
    rows = result.data
    if result.cells is not None:  # same order as R's expanded cells
        rows = result.cells.loc[result.cells.index.repeat(result.cells["wts"].astype(int))]
    if rows is not None and "month" in rows:
        out.month = rows["month"].to_numpy(float)
    elif rows is not None and "reden" in rows:
        out.groups = (rows["reden"].astype(str) + "|" + rows["meting"].astype(str)).to_numpy(object)
    return out


def diagnostics_table(diags: list[Diagnostics]) -> pd.DataFrame:
    """One row per model with the three tests."""
    return pd.DataFrame([d.row() for d in diags])
