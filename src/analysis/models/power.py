"""Planning the next measurement: power by simulation from the fitted chapter-3 models.

For each *design* (outcome, months per measurement, locations, expected change against the
last measurement) this module simulates new pairs of measurements from a fitted chapter-3
model, refits the same model specification on each simulated data set, and records whether
the change is detected at the 5% level. The data-generating model per outcome:

* ``count``: NB2 counts per location-month, ``log mu = log(occupancy) + b + u_l (+ log(1+c))``
  in the new measurement; ``b`` is the last measurement's log rate of the fitted
  ``count_meting`` model, ``u_l ~ N(0, sd_location)`` a new location effect, shared by both
  measurements; the NB2 shape ``theta`` is the fitted one. Refit: ``count_meting``.
* ``duration``: the registrations of the count model (no change in counts); ln(minutes) normal
  around the fitted level of the last measurement plus a location effect; the change is the
  relative change of the geometric mean. Refit: ``dur_meting``.
* ``isolation``: the same registrations; isolation room or not, logistic with a location
  effect; the change is the relative change of the odds of the isolation room (about the
  relative change of the share when the share is small). Refit:
  ``room_iso_vs_ownother_meting``.

Occupancy comes from the data: every simulated location takes the monthly occupancies of one
observed location (drawn with replacement) and draws its months from them. A change is
*detected* when the Wald test of the measurement contrast has p < alpha and the estimate
points in the direction of the change (at zero change: p < alpha, the type-I error).

Every simulation has its own seed, derived from the study seed and the design's key, so a
result does not depend on which worker ran it, in what order, or which other designs were
asked. The fan-out itself lives in :mod:`analysis.models.engine`; this module only makes
tasks (plain functions and arguments) and summarises their results.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from analysis.core.results import write_csv
from analysis.models.spec import ModelSpec

OUTCOMES: dict[str, str] = {
    "count": "count_meting",
    "duration": "dur_meting",
    "isolation": "room_iso_vs_ownother_meting",
}
"""Outcome -> chapter-3 model whose fit generates and re-analyses the simulated data."""

LEVELS = ["1", "2"]
"""Measurement levels of a simulated pair: the last measurement (reference) and the new one."""

POISSON_FIXED = ModelSpec(
    "plan_poisson_fixed", "count", "counts", "n", "meting", "poisson", "glm", random="", offset="log_occ"
)
"""Poisson model without random effects (the analytic cross-check of the simulation)."""


@dataclass(frozen=True)
class Design:
    """One design of the next measurement.

    Attributes
    ----------
    outcome : str
        ``count``, ``duration`` or ``isolation``.
    months : int
        Months per measurement (the last and the new one have the same length).
    locations : int
        Locations taking part in both measurements.
    change : float
        Relative change in the new measurement (``-0.2`` = a 20% decline).
    """

    outcome: str
    months: int
    locations: int
    change: float

    @property
    def key(self) -> str:
        """Stable text key (also the basis of the simulation seeds)."""
        return f"{self.outcome}|m{self.months}|l{self.locations}|c{self.change:+.4f}"


@dataclass(frozen=True)
class Truth:
    """Parameters of the data-generating model (the last measurement is the reference).

    Attributes
    ----------
    count_log_rate : float
        Log registrations per occupied place per month at the last measurement (typical location).
    count_sd_location : float
        SD of the location effect on the log rate.
    count_theta : float
        NB2 shape; ``inf`` gives Poisson counts.
    dur_mean_log, dur_sd_location, dur_sigma : float
        Level, location SD and residual SD of ln(minutes) at the last measurement.
    iso_logit, iso_sd_location : float
        Logit of the isolation room (typical location) and its location SD.
    occupancy : tuple of tuple of float
        Observed monthly occupancies, one tuple per observed location.
    source : str
        Where the parameters come from (build models or a parameter file).
    verdicts : dict
        Fit-quality verdict of each source model (``ok``, the reasons it is not interpretable,
        ``failed``; ``given`` for parameters from a file).
    """

    count_log_rate: float
    count_sd_location: float
    count_theta: float
    dur_mean_log: float = math.log(30.0)
    dur_sd_location: float = 0.5
    dur_sigma: float = 1.3
    iso_logit: float = -1.5
    iso_sd_location: float = 1.0
    occupancy: tuple[tuple[float, ...], ...] = ((10.0,),)
    source: str = ""
    verdicts: dict[str, str] = field(default_factory=dict)

    def usable(self, outcome: str) -> bool:
        """Whether the source model of ``outcome`` may drive a simulation (interpretable verdict)."""
        return self.verdicts.get(OUTCOMES[outcome], "given") in ("ok", "given")


# --- parameters from the build or from a file -------------------------------------------------
def _term(res: Any, name: str) -> float:
    fx = res.fixed.set_index("term")
    return float(fx.loc[name, "estimate"]) if name in fx.index else 0.0


def _location_sd(res: Any) -> float:
    r = res.random
    if r is None or r.empty:
        return 0.0
    loc = r[(r["group"] == "locatie") & r["var2"].isna()]
    return float(loc["sd_cor"].iloc[0]) if len(loc) else 0.0


def occupancy_profiles(counts: pd.DataFrame, meting: str | None = None) -> tuple[tuple[float, ...], ...]:
    """Monthly occupancies per location (of one measurement, default the last) as tuples."""
    c = counts.copy()
    c["meting"] = c["meting"].astype(str)
    last = meting or sorted(c["meting"].unique(), key=int)[-1]
    c = c[c["meting"] == last]
    return tuple(tuple(float(x) for x in g["occupancy"]) for _, g in c.groupby("locatie", sort=True))


def truth_from_results(
    results: dict[str, Any], counts: pd.DataFrame, meting_levels: Sequence[str], source: str = ""
) -> Truth:
    """Data-generating parameters from the fitted chapter-3 ``*_meting`` models.

    Parameters
    ----------
    results : dict of ModelResult
        At least ``count_meting``; ``dur_meting`` and ``room_iso_vs_ownother_meting`` when those
        outcomes are planned.
    counts : DataFrame
        The counts frame (occupancy per location-month).
    meting_levels : sequence of str
        Levels the models were fitted with (reference first); the last one is the baseline.

    Returns
    -------
    Truth
    """
    last = list(meting_levels)[-1]
    contrast = f"meting{last}" if last != meting_levels[0] else ""
    level = {
        k: (_term(r, "intercept") + (_term(r, contrast) if contrast else 0.0))
        for k, r in results.items()
        if r.status != "failed"
    }
    # the fit-quality verdict of chapter 3 (degenerate, singular, separated ... -> not usable)
    verdicts = {
        k: (r.verdict.code if r.status != "failed" and getattr(r, "verdict", None) is not None else r.status)
        for k, r in results.items()
    }
    kw: dict[str, Any] = {}
    c = results.get("count_meting")
    if c is None or c.status == "failed":
        raise ValueError("planning needs a fitted count_meting model")
    kw.update(
        count_log_rate=level["count_meting"],
        count_sd_location=_location_sd(c),
        count_theta=float(c.dispersion.get("theta", math.inf)),
    )
    d = results.get("dur_meting")
    if d is not None and d.status != "failed":
        kw.update(
            dur_mean_log=level["dur_meting"],
            dur_sd_location=_location_sd(d),
            dur_sigma=float(d.dispersion["sigma"]),
        )
    i = results.get("room_iso_vs_ownother_meting")
    if i is not None and i.status != "failed":
        kw.update(iso_logit=level["room_iso_vs_ownother_meting"], iso_sd_location=_location_sd(i))
    return Truth(occupancy=occupancy_profiles(counts, last), source=source, verdicts=verdicts, **kw)


def truth_from_mapping(values: dict[str, Any]) -> Truth:
    """Parameters given by a user without data (the ``model`` block of ``params/plan.yaml``)."""
    v = dict(values)
    occ = v.pop("occupancy", 20.0)
    profiles = tuple(
        tuple(float(x) for x in (o if isinstance(o, (list, tuple)) else [o]))
        for o in (occ if isinstance(occ, (list, tuple)) else [occ])
    )
    theta = v.pop("count_theta", math.inf)
    return Truth(
        occupancy=profiles,
        count_theta=float(theta if theta is not None else math.inf),
        source="parameterbestand",
        **{k: float(x) for k, x in v.items()},
    )


# --- simulation --------------------------------------------------------------------------------
def sim_seed(seed: int, design: Design, sim: int) -> np.random.SeedSequence:
    """Seed sequence of one simulation: study seed, design key, simulation number."""
    key = int(hashlib.sha256(design.key.encode()).hexdigest()[:12], 16)
    return np.random.SeedSequence([int(seed), key, int(sim)])


def _grid(truth: Truth, design: Design, rng: np.random.Generator) -> pd.DataFrame:
    """Location-months of both measurements with occupancy and NB2 (or Poisson) counts."""
    L, M = design.locations, design.months
    src = rng.integers(0, len(truth.occupancy), L)
    occ = np.array([[rng.choice(truth.occupancy[s]) for _ in range(2 * M)] for s in src])
    u = rng.normal(0.0, truth.count_sd_location, L)
    new = np.repeat([[0.0] * M + [1.0] * M], L, axis=0)
    shift = math.log1p(design.change) if design.outcome == "count" else 0.0
    mu = occ * np.exp(truth.count_log_rate + u[:, None] + shift * new)
    if math.isinf(truth.count_theta):
        n = rng.poisson(mu)
    else:
        n = rng.negative_binomial(truth.count_theta, truth.count_theta / (truth.count_theta + mu))
    return pd.DataFrame(
        {
            "locatie": np.repeat([f"S{i + 1:03d}" for i in range(L)], 2 * M),
            "meting": np.where(new.ravel() > 0, LEVELS[1], LEVELS[0]),
            "occupancy": occ.ravel(),
            "log_occ": np.log(occ.ravel()),
            "n": n.ravel(),
        }
    )


def simulate_data(truth: Truth, design: Design, rng: np.random.Generator) -> pd.DataFrame:
    """One simulated pair of measurements in the columns the refitted model needs."""
    g = _grid(truth, design, rng)
    if design.outcome == "count":
        return g[["locatie", "meting", "log_occ", "n"]]
    reg = g.loc[g.index.repeat(g["n"]), ["locatie", "meting"]].reset_index(drop=True)
    loc = reg["locatie"].str[1:].astype(int).to_numpy() - 1
    new = (reg["meting"] == LEVELS[1]).to_numpy(float)
    shift = math.log1p(design.change)
    if design.outcome == "duration":
        u = rng.normal(0.0, truth.dur_sd_location, design.locations)
        reg["log_dur"] = (
            truth.dur_mean_log + u[loc] + shift * new + rng.normal(0.0, truth.dur_sigma, len(reg))
        )
        return reg
    u = rng.normal(0.0, truth.iso_sd_location, design.locations)
    p = 1.0 / (1.0 + np.exp(-(truth.iso_logit + u[loc] + shift * new)))
    reg["y"] = (rng.random(len(reg)) < p).astype(float)
    return reg


def refit_spec(outcome: str, poisson_fixed: bool = False) -> ModelSpec:
    """The chapter-3 specification refitted on simulated data (without its LR test)."""
    if poisson_fixed:
        return POISSON_FIXED
    from analysis.models.spec import primary_specs, select

    return select(primary_specs(), [OUTCOMES[outcome]])[0]


def run_batch(
    truth: Truth,
    design: Design,
    sims: Sequence[int],
    seed: int,
    alpha: float = 0.05,
    poisson_fixed: bool = False,
) -> pd.DataFrame:
    """Simulate and refit ``sims`` of one design; one row per simulation (runs on a worker).

    Parameters
    ----------
    truth : Truth
    design : Design
    sims : sequence of int
        Simulation numbers (each has its own seed, :func:`sim_seed`).
    seed : int
        Study seed.
    alpha : float
        Level of the two-sided Wald test of the measurement contrast.
    poisson_fixed : bool
        Refit the Poisson model without random effects instead of the chapter-3 model.

    Returns
    -------
    DataFrame
        Design columns, ``sim``, ``estimate``, ``se``, ``p``, ``status`` (``ok``, ``warning``,
        ``failed``), ``detected`` and ``rows`` (observations refitted).
    """
    from analysis.models.fit import fit_uncached

    spec = refit_spec(design.outcome, poisson_fixed)
    term = f"meting{LEVELS[1]}"
    rows = []
    for s in sims:
        rng = np.random.default_rng(sim_seed(seed, design, s))
        data = simulate_data(truth, design, rng)
        with np.errstate(invalid="ignore"):  # the ICC of a model without random effects is NaN
            res = fit_uncached(spec, data, LEVELS, with_lr=False)
        est = se = p = float("nan")
        if res.status != "failed" and term in set(res.fixed["term"]):
            row = res.term(term)
            est, se, p = float(row["estimate"]), float(row["se"]), float(row["p"])
        rows.append(
            {
                **asdict(design),
                "sim": int(s),
                "estimate": est,
                "se": se,
                "p": p,
                "status": res.status,
                "rows": len(data),
                "detected": bool(detected(est, p, design.change, alpha)),
            }
        )
    return pd.DataFrame(rows)


def detected(estimate: float, p: float, change: float, alpha: float = 0.05) -> bool:
    """Significant at ``alpha`` and, for a non-zero change, in its direction."""
    if not np.isfinite(p) or p >= alpha:
        return False
    return change == 0 or np.sign(estimate) == np.sign(change)


# --- the study -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Study:
    """A planning study: designs x simulations, with a seed and a test level.

    Attributes
    ----------
    designs : tuple of Design
    nsim : int
        Simulations per design.
    seed : int
    alpha : float
    batch : int
        Simulations per task (several fits per task keep the scheduler's overhead small).
    poisson_fixed : bool
        Poisson model without random effects (validation against :func:`analytic_power`).
    """

    designs: tuple[Design, ...]
    nsim: int = 100
    seed: int = 20260601
    alpha: float = 0.05
    batch: int = 10
    poisson_fixed: bool = False

    def tasks(self, truth: Truth) -> list[tuple[str, Any, tuple]]:
        """``(key, function, args)`` per batch of simulations, for :func:`analysis.models.engine.run`."""
        # Batch-major order: every design advances at the same pace, so an interrupted run has
        # a usable number of simulations for every design (keys do not depend on the order).
        out = []
        for start in range(0, self.nsim, self.batch):
            sims = tuple(range(start, min(start + self.batch, self.nsim)))
            for d in self.designs:
                key = _task_key(truth, d, sims, self)
                out.append((key, run_batch, (truth, d, sims, self.seed, self.alpha, self.poisson_fixed)))
        return out


def _task_key(truth: Truth, design: Design, sims: Sequence[int], study: Study) -> str:
    """Content key of one task: everything its result depends on (for resuming)."""
    from analysis.core import deps

    text = repr(
        (
            asdict(truth),
            design.key,
            tuple(sims),
            study.seed,
            study.alpha,
            study.poisson_fixed,
            deps.code_digest(["analysis.models.power"]),
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def designs_grid(
    outcomes: Sequence[str], months: Sequence[int], locations: Sequence[int], changes: Sequence[float]
) -> tuple[Design, ...]:
    """Every combination, zero change included (the type-I error), in a stable order."""
    ch = sorted(set([0.0, *map(float, changes)]), key=lambda c: (abs(c), c))
    return tuple(
        Design(o, int(m), int(n), c) for o in outcomes for m in months for n in locations for c in ch
    )


def wilson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (Monte Carlo interval of a power)."""
    if n == 0:
        return float("nan"), float("nan")
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def power_table(sims: pd.DataFrame) -> pd.DataFrame:
    """Power (or type-I error at zero change) per design with its Monte Carlo 95% interval.

    Failed refits count as *not detected* (a conservative power) and are counted in
    ``n_failed``; refits with warnings (e.g. a location variance estimated at zero) count as
    they are and are counted in ``n_warning``.
    """
    keys = ["outcome", "months", "locations", "change"]
    rows = []
    for k, g in sims.groupby(keys, sort=True):
        n, hits = len(g), int(g["detected"].sum())
        lo, hi = wilson(hits, n)
        rows.append(
            {
                **dict(zip(keys, k)),
                "nsim": n,
                "detected": hits,
                "power": hits / n,
                "ci_low": lo,
                "ci_high": hi,
                "n_warning": int((g["status"] == "warning").sum()),
                "n_failed": int((g["status"] == "failed").sum()),
                "mean_estimate": float(g["estimate"].mean()),
                "rows_mean": float(g["rows"].mean()),
            }
        )
    return pd.DataFrame(rows)


MDC_DETERMINED, MDC_ABOVE, MDC_UNDETERMINED = "determined", "above_studied", "undetermined"
"""The three outcomes of the rule of :func:`minimal_detectable_change`."""


def minimal_detectable_change(power: pd.DataFrame, target: float = 0.8) -> pd.DataFrame:
    """Where the smallest decline with power >= ``target`` lies, as far as the simulations show.

    Rule, per design (outcome, months, locations), on its studied declines
    ``0 = s_0 < s_1 < ... < s_K`` (the zero change is always in the grid of
    :func:`designs_grid`; without it, zero counts as a decline whose power is below the
    target) with the Monte Carlo 95% intervals ``[ci_low, ci_high]`` of their power:

    * ``determined``: ``s_i`` is the smallest decline with ``ci_low >= target`` and every
      smaller decline has ``ci_high < target``. The smallest decline seen with ``target``
      chance then lies in ``(s_{i-1}, s_i]`` (``mdc_low``, ``mdc_high``).
    * ``above_studied``: every studied decline has ``ci_high < target``; the decline lies
      above ``s_K`` (``mdc_low = s_K``, ``mdc_high`` NaN).
    * ``undetermined``: otherwise; some interval holds the target, so the simulations cannot
      tell on which side of it that decline lies (``mdc_low``, ``mdc_high`` NaN).

    ``mdc`` (linear interpolation of the point powers on the grid) and ``reached`` (a point
    power at the target) are kept for comparison; they carry no Monte Carlo interval and the
    appendix states only the rule's outcome.

    Parameters
    ----------
    power : DataFrame
        :func:`power_table` (outcome, months, locations, change, nsim, power, ci_low, ci_high).
    target : float

    Returns
    -------
    DataFrame
        outcome, months, locations, target, nsim (fewest simulations of a decline of the
        design), status, mdc_low, mdc_high, mdc, reached, largest_studied, spanning (the
        declines whose interval holds the target, ``;``-separated).
    """
    rows = []
    for (o, m, n), g in power[power["change"] <= 0].groupby(["outcome", "months", "locations"], sort=True):
        g = g.assign(size=-g["change"]).sort_values("size")
        x, y = g["size"].to_numpy(float), g["power"].to_numpy(float)
        lo = g["ci_low"].to_numpy(float) if "ci_low" in g else y
        hi = g["ci_high"].to_numpy(float) if "ci_high" in g else y
        status, mdc_low, mdc_high = mdc_rule(x, lo, hi, target)
        above = np.nonzero((y >= target) & (x > 0))[0]
        mdc = float("nan")
        if len(above):
            i = above[0]
            if i == 0 or y[i - 1] >= target:
                mdc = x[i]
            else:
                mdc = x[i - 1] + (target - y[i - 1]) * (x[i] - x[i - 1]) / (y[i] - y[i - 1])
        spanning = [str(float(v)) for v, a, b in zip(x, lo, hi) if v > 0 and a < target <= b]
        rows.append(
            {
                "outcome": o,
                "months": m,
                "locations": n,
                "target": target,
                "nsim": int(g.loc[g["size"] > 0, "nsim"].min()) if "nsim" in g and (x > 0).any() else 0,
                "status": status,
                "mdc_low": mdc_low,
                "mdc_high": mdc_high,
                "mdc": mdc,
                "reached": bool(len(above)),
                "largest_studied": float(x.max()),
                "spanning": ";".join(spanning),
            }
        )
    return pd.DataFrame(rows)


def mdc_rule(
    sizes: Sequence[float], ci_low: Sequence[float], ci_high: Sequence[float], target: float = 0.8
) -> tuple[str, float, float]:
    """The rule of :func:`minimal_detectable_change` on one design's declines (ascending sizes).

    Returns
    -------
    tuple
        (status, mdc_low, mdc_high): ``determined`` with the decline interval
        ``(mdc_low, mdc_high]``, ``above_studied`` with ``mdc_low`` the largest studied decline,
        or ``undetermined`` with NaNs.
    """
    x = np.asarray(sizes, float)
    lo, hi = np.asarray(ci_low, float), np.asarray(ci_high, float)
    nan = float("nan")
    below = hi < target  # NaN intervals (no simulations) are never below nor above
    for i in range(len(x)):
        if x[i] <= 0:
            continue
        if lo[i] >= target:
            smaller = (x < x[i]) & (x > 0)
            if bool(np.all(below[smaller])):
                prev = x[smaller].max() if smaller.any() else 0.0
                return MDC_DETERMINED, float(prev), float(x[i])
            return MDC_UNDETERMINED, nan, nan
        if not below[i]:
            return MDC_UNDETERMINED, nan, nan
    positive = x > 0
    if positive.any():
        return MDC_ABOVE, float(x[positive].max()), nan
    return MDC_UNDETERMINED, nan, nan


def nsim_for_halfwidth(halfwidth: float = 0.05, power: float = 0.5, level: float = 0.95) -> int:
    """Simulations per design for a Monte Carlo interval of at most ``halfwidth`` at ``power``.

    Normal approximation ``z^2 p (1 - p) / h^2``, rounded up; at ``power`` 0.5 (the widest
    case) it bounds every design. The Wilson interval is a little narrower.
    """
    z = float(stats.norm.ppf(0.5 + level / 2))
    return int(math.ceil(z * z * power * (1 - power) / (halfwidth * halfwidth)))


def analytic_power(truth: Truth, design: Design, alpha: float = 0.05) -> float:
    """Wald-test power of a Poisson rate ratio without random effects (large-sample).

    With expected totals ``E1 = sum(occ) exp(b)`` and ``E2 = E1 (1 + c)``, the ML log rate
    ratio has variance about ``1/E1 + 1/E2``; the mean occupancy is the mean over the observed
    location-months (the simulation draws locations and months with replacement from them).
    """
    occ = float(np.mean([np.mean(p) for p in truth.occupancy]))
    e1 = design.locations * design.months * occ * math.exp(truth.count_log_rate)
    e2 = e1 * (1 + design.change)
    delta = math.log1p(design.change)
    se = math.sqrt(1 / e1 + 1 / e2)
    z = float(stats.norm.ppf(1 - alpha / 2))
    if design.change == 0:
        return alpha
    # only rejections in the direction of the change count as detections
    return float(stats.norm.cdf(abs(delta) / se - z))


def write_outputs(
    folder: Path, sims: pd.DataFrame, power: pd.DataFrame, mdc: pd.DataFrame, note: str = ""
) -> list[Path]:
    """Write ``plan_sims.csv``, ``plan_power.csv`` and ``plan_mdc.csv`` into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, df in (("plan_sims", sims), ("plan_power", power), ("plan_mdc", mdc)):
        df = df.copy()
        if note:
            df["note"] = note
        out.append(write_csv(df, folder / f"{name}.csv"))  # the results writer: stated precision
    return out


def collect(results: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate task results in a canonical order (independent of workers and completion)."""
    sims = pd.concat(list(results), ignore_index=True)
    return sims.sort_values(["outcome", "months", "locations", "change", "sim"]).reset_index(drop=True)
