"""Small-sample inference for the chapter-3 models: better intervals and a simulated LR test.

The primary fits report Wald z intervals and p-values and test the location variance against
the asymptotic chibar2(01) reference, as Stata does. Both rest on large-sample theory, and several
chapter-3 models rest on a handful of locations (the room contrasts that need both rooms, the
isolation-room durations). For every primary model this module computes a second, better
interval for each reported fixed effect:

* LMMs (``lmer``, ML as fitted): Satterthwaite degrees of freedom and t-based intervals and
  p-values (``lmerTest`` on the fit itself, so estimates and SEs are the reported ones);
* GLMMs (``glmer`` binomial, ``glmmTMB`` NB2): profile-likelihood intervals (``confint(m,
  method = "profile")``) and the LR test of each term (the model refitted without that column of
  the fixed design, i.e. the profile likelihood at b = 0).

The rule (stated here and in ``docs/models.md``): the better interval is the one *reported* for a
model when it rests on fewer than :data:`MIN_LOCATIONS` locations, or when, for any reported
term, the two intervals disagree: a bound moves by more than :data:`DISAGREE_SHARE` of the Wald
half-width, or the two tests fall on different sides of 5%. For those models the location variance
is also tested by simulation beside chibar2: a parametric bootstrap from the null fit
(:data:`N_BOOT` replicates, GLMMs) or RLRsim's simulated exact finite-sample null distribution of
the LR statistic (:data:`N_EXACT` draws, LMMs). Its p-value is ``(k + 1) / (n + 1)`` with ``k`` of
the ``n`` simulated statistics at least the observed one, and comes with its Monte Carlo interval
(Clopper-Pearson on ``k / n``). Every simulation is seeded (:data:`SEED`), so a fit is
deterministic. How well each method covers with 4 to 18 locations is measured by
``benchmarks/bench_calibration.py`` (``docs/calibration.md``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from analysis.core.intervals import ALPHA
from analysis.models import rbridge
from analysis.models.lrtest import LR_ZERO_TOL

if TYPE_CHECKING:
    from analysis.models.fit import ModelResult

MIN_LOCATIONS = 10
"""Models resting on fewer locations report the better interval (and get the caution
``few_locations`` in their verdict, :mod:`analysis.models.verdict`)."""
LEVEL = 0.95
"""Confidence level of every interval."""
# ALPHA (core.intervals): the level of the tests whose conclusions are compared (Wald vs better;
# chibar2 vs simulation), the same level as every other significance statement.
DISAGREE_SHARE = 0.10
"""A bound of the better interval further than this share of the Wald half-width from the Wald
bound (link scale) counts as disagreement."""
N_BOOT = 200
"""Parametric-bootstrap replicates of the location-variance LR test of a GLMM. With 200
replicates the Monte Carlo 95% interval of a p-value near 0.05 is about 0.02 to 0.09 and one
at the floor 1/201 is 0 to 0.018: enough to place the p-value against 5%; the interval is
always reported with it."""
N_EXACT = 10_000
"""Draws from RLRsim's simulated exact null distribution of the LR statistic (LMMs; no refits,
about 1 s)."""
SEED = 20240601
"""Seed of every simulation here (R's ``set.seed`` through ``simulate(seed = )``)."""
SETTINGS: tuple[tuple[str, float], ...] = (
    ("min_locations", MIN_LOCATIONS),
    ("level", LEVEL),
    ("alpha", ALPHA),
    ("disagree_share", DISAGREE_SHARE),
    ("n_boot", N_BOOT),
    ("n_exact", N_EXACT),
    ("seed", SEED),
)
"""Everything that changes a result of this module (part of the model-store key)."""


@dataclass(frozen=True)
class SimulatedLRT:
    """LR test of the location variance against a simulated null distribution.

    Attributes
    ----------
    method : str
        ``parametric_bootstrap`` (GLMMs) or ``exact_lrt`` (LMMs, RLRsim).
    lr : float
        Observed LR statistic (the chibar2 test's, :class:`analysis.models.lrtest.LRTest`).
    nsim : int
        Simulated statistics used (replicates whose refit failed are left out).
    exceed : int
        Simulated statistics at least as large as ``lr``.
    failed : int
        Replicates whose refit failed.
    warned : int
        Replicates that warned while refitting (singular fits are expected under the null).
    """

    method: str
    lr: float
    nsim: int
    exceed: int
    failed: int = 0
    warned: int = 0

    @property
    def p(self) -> float:
        """``(exceed + 1) / (nsim + 1)``: never 0, valid for any number of replicates."""
        return (self.exceed + 1) / (self.nsim + 1) if self.nsim else float("nan")

    @property
    def p_interval(self) -> tuple[float, float]:
        """Monte Carlo 95% interval of the p-value (Clopper-Pearson on ``exceed / nsim``)."""
        return mc_interval(self.exceed, self.nsim)


@dataclass(frozen=True)
class SmallSample:
    """The better inference of one fitted model.

    Attributes
    ----------
    method : str
        ``satterthwaite`` or ``profile`` (empty: the engine has none, e.g. a model without
        random effects).
    terms : DataFrame
        One row per reported fixed effect (not the intercept): ``term`` (cleaned name),
        ``ci_low``, ``ci_high`` (link scale), ``p``, ``df`` (Satterthwaite; NaN otherwise),
        ``lr`` (LR statistic of the term; NaN for Satterthwaite), ``disagree`` (bool).
    n_locations : int
    few_locations : bool
        Fewer than :data:`MIN_LOCATIONS` locations.
    lrt : SimulatedLRT or None
        Only where :attr:`applies` and the model has a chibar2 test.
    warnings : tuple of str
        R's warnings and messages while computing (verbatim).
    error : str
        R's error when the better interval could not be computed (terms then hold NaN).
    seconds, cpu_seconds : float
        Wall-clock and CPU time this inference took in its process (measured once; a model-store
        hit keeps them; never written to a results CSV, which must not vary between runs).
    """

    method: str
    terms: pd.DataFrame = field(default_factory=pd.DataFrame)
    n_locations: int = 0
    few_locations: bool = False
    lrt: SimulatedLRT | None = None
    warnings: tuple[str, ...] = ()
    error: str = ""
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    @property
    def disagree(self) -> bool:
        """Whether the better interval disagrees with Wald for any reported term."""
        return bool(len(self.terms)) and bool(self.terms["disagree"].any())

    @property
    def available(self) -> bool:
        """Whether every reported term has a finite better interval."""
        t = self.terms
        return bool(len(t)) and bool(np.isfinite(t[["ci_low", "ci_high"]].to_numpy(float)).all())

    @property
    def applies(self) -> bool:
        """Whether the rule makes the better interval the reported one."""
        return self.few_locations or self.disagree

    @property
    def rule(self) -> str:
        """``few_locations``, ``disagree``, both joined by ``+``, or empty."""
        return "+".join(
            r for r, on in (("few_locations", self.few_locations), ("disagree", self.disagree)) if on
        )

    def term(self, name: str) -> pd.Series | None:
        """Row of :attr:`terms` for a cleaned term name, or None."""
        t = self.terms[self.terms["term"] == name] if len(self.terms) else self.terms
        return t.iloc[0] if len(t) else None


def mc_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Clopper-Pearson interval of a proportion ``k / n`` (Monte Carlo uncertainty).

    Parameters
    ----------
    k, n : int
        Successes and trials (``n = 0`` gives NaN bounds).
    level : float

    Returns
    -------
    tuple of float
    """
    if n <= 0:
        return float("nan"), float("nan")
    a = (1 - level) / 2
    low = 0.0 if k <= 0 else float(stats.beta.ppf(a, k, n - k + 1))
    high = 1.0 if k >= n else float(stats.beta.ppf(1 - a, k + 1, n - k))
    return low, high


def disagrees(wald_low: float, wald_high: float, wald_p: float, low: float, high: float, p: float) -> bool:
    """The rule of :data:`DISAGREE_SHARE`: a bound moved by more than that share of the Wald
    half-width, or the two p-values on different sides of :data:`ALPHA` (NaN: no judgement)."""
    if not all(np.isfinite([wald_low, wald_high, low, high])):
        return False
    half = (wald_high - wald_low) / 2
    moved = max(abs(low - wald_low), abs(high - wald_high)) > DISAGREE_SHARE * half
    flips = bool(np.isfinite(p) and np.isfinite(wald_p) and (p < ALPHA) != (wald_p < ALPHA))
    return bool(moved or flips)


def n_locations(res: "ModelResult") -> int:
    """Locations the model rests on (levels of ``locatie``; 0 without that random effect)."""
    return int(res.ngroups.get("locatie", 0))


def few_locations(res: "ModelResult") -> bool:
    """Whether a model with a location random effect rests on fewer than :data:`MIN_LOCATIONS`."""
    return bool(res.spec.random) and 0 < n_locations(res) < MIN_LOCATIONS


def _reported(fixed: pd.DataFrame, terms: list[str] | None = None) -> pd.DataFrame:
    """Rows of the reported terms (every term but the intercept, or the ``terms`` given)."""
    return fixed[fixed["term"].isin(terms)] if terms is not None else fixed[fixed["term"] != "intercept"]


def _satterthwaite(
    m: Any, rdata: Any, fixed: pd.DataFrame, terms: list[str] | None = None
) -> tuple[pd.DataFrame, list[str], str]:
    cap = rbridge.call_captured(rbridge.helper("satterthwaite"), m=m, data=rdata)
    rows = _reported(fixed, terms)
    if cap.failed:
        return _empty_terms(rows), cap.warnings + cap.messages, cap.error
    s = rbridge.from_r_frame(cap.value).set_index("term")
    df = s["df"].reindex(rows["r_term"]).to_numpy(float)
    p = s["p"].reindex(rows["r_term"]).to_numpy(float)
    q = stats.t.ppf(0.5 + LEVEL / 2, df)
    est, se = rows["estimate"].to_numpy(float), rows["se"].to_numpy(float)
    out = pd.DataFrame(
        {"term": rows["term"].to_numpy(), "ci_low": est - q * se, "ci_high": est + q * se, "p": p, "df": df}
    )
    out["lr"] = np.nan
    return out, cap.warnings + cap.messages, ""


def _profile(
    m: Any, rdata: Any, res: "ModelResult", terms: list[str] | None = None
) -> tuple[pd.DataFrame, list[str], str]:
    rows = _reported(res.fixed, terms)
    parm = list(rows["r_term"])
    ci = rbridge.call_captured(rbridge.helper("profile_ci"), m=m, parm=parm, level=LEVEL)
    notes = ci.warnings + ci.messages
    if ci.failed:
        return _empty_terms(rows), notes, ci.error
    c = rbridge.from_r_frame(ci.value).set_index("term")
    spec = res.spec
    rest = " + ".join(x for x in (f"offset({spec.offset})" if spec.offset else "", spec.random) if x)
    lr = rbridge.call_captured(
        rbridge.helper("term_lr"),
        m=m,
        data=rdata,
        engine=spec.engine,
        response=spec.outcome,
        rest=rest,
        family=spec.family,
        nagq=int(spec.nagq),
        parm=parm,
    )
    notes += lr.warnings + lr.messages
    t = rbridge.from_r_frame(lr.value).set_index("term") if not lr.failed else None
    out = pd.DataFrame(
        {
            "term": rows["term"].to_numpy(),
            "ci_low": c["low"].reindex(parm).to_numpy(float),
            "ci_high": c["high"].reindex(parm).to_numpy(float),
            "p": t["p"].reindex(parm).to_numpy(float) if t is not None else np.nan,
            "df": np.nan,
            "lr": t["lr"].reindex(parm).to_numpy(float) if t is not None else np.nan,
        }
    )
    return out, notes, lr.error


def _empty_terms(rows: pd.DataFrame) -> pd.DataFrame:
    n = len(rows)
    nan = np.full(n, np.nan)
    return pd.DataFrame(
        {"term": rows["term"].to_numpy(), "ci_low": nan, "ci_high": nan, "p": nan, "df": nan, "lr": nan}
    )


def simulated_lrt(
    res: "ModelResult", rdata: Any, *, nsim: int | None = None, seed: int = SEED
) -> tuple[SimulatedLRT | None, list[str]]:
    """Simulated LR test of the location variance of a fitted model (see the module docstring).

    Parameters
    ----------
    res : ModelResult
        With its R object and its chibar2 test (``res.lr``).
    rdata : R data.frame
        The data R fitted (binomial cells for logistic models).
    nsim : int, optional
        Simulations (default :data:`N_EXACT` for LMMs, :data:`N_BOOT` otherwise).
    seed : int

    Returns
    -------
    SimulatedLRT or None, list of str
        None when the null model could not be refitted or simulated; R's messages.
    """
    spec = res.spec
    if res.lr is None or res.r_model is None or not spec.null_engine:
        return None, []
    method = "exact_lrt" if spec.engine == "lmer" else "parametric_bootstrap"
    n = nsim or (N_EXACT if spec.engine == "lmer" else N_BOOT)
    if res.lr.lr <= 0:
        # every simulated LR is >= 0 = the observed one: p = 1 whatever the null distribution
        # (and RLRsim cannot simulate from a fit whose variance is exactly zero)
        return SimulatedLRT(method, 0.0, n, n), []
    null = rbridge.call_captured(
        rbridge.helper("null_fit"),
        engine=spec.null_engine,
        formula=spec.formula(False),
        data=rdata,
        family=spec.family,
    )
    if null.failed:
        return None, [null.error]
    if spec.engine == "lmer":
        cap = rbridge.call_captured(
            rbridge.helper("exact_lrt"), m=res.r_model, m0=null.value, nsim=n, seed=seed
        )
        if cap.failed:
            return None, [cap.error]
        sample = np.asarray(rbridge.r_list(cap.value)["sample"], dtype=float)
        failed, warned = 0, 0
    else:
        cap = rbridge.call_captured(
            rbridge.helper("pb_lrt"),
            m=res.r_model,
            m0=null.value,
            data=rdata,
            response=spec.outcome,
            family=spec.family,
            nsim=n,
            seed=seed,
        )
        if cap.failed:
            return None, [cap.error]
        out = rbridge.r_list(cap.value)
        lr = np.asarray(out["lr"], dtype=float)
        sample, failed, warned = lr[np.isfinite(lr)], int(np.sum(~np.isfinite(lr))), int(out["warned"][0])
    sample = np.where(sample < LR_ZERO_TOL, 0.0, sample)
    obs = res.lr.lr
    # the observed statistic is the chibar2 test's; ties at 0 (a boundary fit) count as exceeding
    exceed = int(np.sum(sample >= obs - 1e-9 * max(1.0, obs)))
    return SimulatedLRT(method, obs, int(sample.size), exceed, failed, warned), cap.warnings + cap.messages


def infer(
    res: "ModelResult", rdata: Any, *, with_lrt: bool = True, terms: list[str] | None = None
) -> SmallSample | None:
    """The better inference of one fitted model (see the module docstring for the rule).

    Parameters
    ----------
    res : ModelResult
        A fitted model with its R object (``res.r_model``) and Wald table.
    rdata : R data.frame
        The data R fitted (prepared factors; binomial cells for logistic models).
    with_lrt : bool
        Also run the simulated LR test of the location variance where the rule applies.
    terms : list of str, optional
        Only these cleaned term names (the calibration study); default every term but the
        intercept.

    Returns
    -------
    SmallSample or None
        None for a failed fit or a model without a location random effect.
    """
    if res.status == "failed" or res.r_model is None or not res.spec.random:
        return None
    t0, c0 = time.perf_counter(), time.process_time()
    engine = res.spec.engine
    if engine == "lmer":
        method = "satterthwaite"
        better, notes, error = _satterthwaite(res.r_model, rdata, res.fixed, terms)
    elif engine in ("glmer", "glmmTMB"):
        method = "profile"
        better, notes, error = _profile(res.r_model, rdata, res, terms)
    else:
        return None
    wald = _reported(res.fixed, terms).set_index("term")
    better["disagree"] = [
        disagrees(
            float(wald.loc[t, "ci_low"]),
            float(wald.loc[t, "ci_high"]),
            float(wald.loc[t, "p"]),
            lo,
            hi,
            p,
        )
        for t, lo, hi, p in zip(better["term"], better["ci_low"], better["ci_high"], better["p"])
    ]
    out = SmallSample(
        method, better, n_locations(res), few_locations(res), warnings=tuple(notes), error=error
    )
    lrt = None
    if with_lrt and out.applies:
        lrt, more = simulated_lrt(res, rdata)
        notes = notes + more
    return SmallSample(
        method,
        better,
        out.n_locations,
        out.few_locations,
        lrt,
        tuple(dict.fromkeys(notes)),
        error,
        round(time.perf_counter() - t0, 3),
        round(time.process_time() - c0, 3),
    )
