"""Fit one specification in R and return a plain Python result (like statsmodels results).

Inference is Wald-based on the normal distribution (z, p, 95% CI = b +/- 1.96 SE), which is
what Stata's ``mixed``/``menbreg``/``melogit`` report; estimates are also given on the exp
scale (rate ratio, ratio of geometric means, odds ratio). With ``small_sample=True`` a fit also
carries the better intervals of :mod:`analysis.models.smallsample` (profile likelihood or
Satterthwaite, and a simulated LR test of the location variance where its rule applies).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from analysis.core.intervals import wald
from analysis.models import cache, rbridge, smallsample
from analysis.models.frames import REASONS
from analysis.models.lrtest import LRTest, lr_test
from analysis.models.spec import ModelSpec
from analysis.models.verdict import Verdict, judge


@dataclass
class ModelResult:
    """Everything reported about one fitted model.

    Attributes
    ----------
    spec : ModelSpec
    status : str
        ``ok``, ``warning`` (fitted, but R warned, did not converge cleanly or the fit is
        singular) or ``failed`` (R error; no estimates).
    fixed : DataFrame
        term, estimate, se, z, p, ci_low, ci_high, exp_est, exp_ci_low, exp_ci_high.
    random : DataFrame
        group, var1, var2, vcov, sd_cor (sd for variances, correlation for covariances).
    loglik, aic : float
    df : int
        Number of estimated parameters.
    nobs : int
    ngroups : dict
        Number of levels per grouping factor.
    dispersion : dict
        ``sigma`` (LMM residual SD), ``theta`` and ``alpha = 1/theta`` (NB2), ``cv`` (gamma).
    icc : float
        Location ICC on the latent scale (NaN when not defined).
    converged, singular : bool
    optimizer : str
        Optimizer of the reported fit (``nloptwrap``, or ``bobyqa`` when a glmer fit that
        failed lme4's convergence check was restarted from nloptwrap's estimates; ``nlminb``
        for glmmTMB); empty for results without a fit.
    warnings, messages : list of str
        Captured from R.
    lr : LRTest or None
        Random intercept vs the model without random effects.
    versions : dict
    data : DataFrame
        The model data, one row per observation (registration, location-month).
    cells : DataFrame or None
        For logistic models: the binomial cells R was given (one row per covariate pattern,
        proportion outcome, ``wts`` = registrations); None otherwise.
    meting_levels : list of str
        Measurement levels the model was fitted with (reference first).
    cache_key : str
        Key in :mod:`analysis.models.cache` (empty when the store is off); a result loaded
        from the store has ``r_model = None``.
    vcov : DataFrame
        Covariance matrix of the fixed effects (rows and columns: R's term names).
    location_effects : DataFrame
        level, estimate, se: conditional modes of the location intercepts (link scale) and
        their conditional SDs; empty for a model without them.
    small : SmallSample or None
        Better intervals and the simulated LR test (:mod:`analysis.models.smallsample`); None
        unless fitted with ``small_sample=True``.
    """

    spec: ModelSpec
    status: str
    fixed: pd.DataFrame = field(default_factory=pd.DataFrame)
    random: pd.DataFrame = field(default_factory=pd.DataFrame)
    loglik: float = float("nan")
    aic: float = float("nan")
    df: int = 0
    nobs: int = 0
    ngroups: dict[str, int] = field(default_factory=dict)
    dispersion: dict[str, float] = field(default_factory=dict)
    icc: float = float("nan")
    converged: bool = False
    singular: bool = False
    optimizer: str = ""
    warnings: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    error: str = ""
    lr: LRTest | None = None
    versions: dict[str, str] = field(default_factory=dict)
    data: pd.DataFrame | None = field(default=None, repr=False)
    cells: pd.DataFrame | None = field(default=None, repr=False)
    meting_levels: list[str] = field(default_factory=list)
    cache_key: str = ""
    vcov: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    location_effects: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    small: smallsample.SmallSample | None = field(default=None, repr=False)
    #: The model's diagnostics row once diagnosed; the verdict applies the stated rules to it
    #: (:func:`analysis.models.verdict.diagnostic_flags`).
    diagnosis: dict | None = field(default=None, repr=False)
    r_model: Any = field(default=None, repr=False)

    @property
    def model_id(self) -> str:
        """Id of the specification."""
        return self.spec.model_id

    @property
    def method(self) -> str:
        """Estimation method (ML, Laplace, ...)."""
        return self.spec.method

    @property
    def verdict(self) -> Verdict:
        """Fit-quality verdict (:func:`analysis.models.verdict.judge`): interpretable or why not."""
        return judge(self)

    @property
    def interpretable(self) -> bool:
        """Whether the model may be reported as a finding (see :attr:`verdict`)."""
        return self.verdict.interpretable

    def term(self, name: str) -> pd.Series:
        """Row of ``fixed`` for one cleaned term name."""
        return self.fixed.set_index("term").loc[name]

    def summary(self) -> str:
        """Short text summary (status, fit statistics, fixed effects on the exp scale)."""
        head = (
            f"{self.model_id} [{self.spec.engine}, {self.method}] status={self.status} "
            f"nobs={self.nobs} groups={self.ngroups} logLik={self.loglik:.3f}"
        )
        if self.status == "failed":
            return head + f"\nerror: {self.error}"
        return head + "\n" + self.fixed.round(4).to_string(index=False)


def clean_term(name: str, term_map: dict[str, str] | None = None) -> str:
    """R coefficient name -> stable term name (``month:meting2`` -> ``month_x_meting2``)."""
    if name == "(Intercept)":
        out = "intercept"
    else:
        parts = [p[5:] if p.startswith("reden") else p for p in name.split(":")]
        out = "_x_".join(parts)
    return (term_map or {}).get(out, out)


def model_data(spec: ModelSpec, frame: pd.DataFrame) -> pd.DataFrame:
    """The columns the model needs, complete cases only, in :func:`canonical_order`."""
    cols = spec.variables()
    return canonical_order(frame[cols].dropna().reset_index(drop=True))


#: Prefix of the neutral location labels R sees (``g0001``, ``g0002``, ... in content order).
NEUTRAL = "g"


def location_ranks(data: pd.DataFrame) -> dict[str, int]:
    """Rank of every location by the content of its rows, never by its code.

    Why: R sorts factor levels by name and the frames are sorted by code, so renaming the
    locations of the same data reordered the rows and levels R saw, and estimates moved in
    the last digits through the optimizer (and simulated figures by their Monte Carlo noise).
    A location's key is the sum of the hashes of its rows without the code (independent of
    row order); equal keys (identical data at two locations) fall back to the code.

    Parameters
    ----------
    data : DataFrame
        Model data with a ``locatie`` column.

    Returns
    -------
    dict
        Location code -> rank 1..n.
    """
    if "locatie" not in data.columns or not len(data):
        return {}
    rest = data.drop(columns="locatie")
    rows = pd.util.hash_pandas_object(rest, index=False).to_numpy(dtype="uint64")
    keys = pd.Series(rows).groupby(data["locatie"].astype(str).to_numpy()).sum()  # wraps mod 2**64
    order = sorted(keys.index, key=lambda c: (int(keys[c]), c))
    return {c: i + 1 for i, c in enumerate(order)}


def canonical_order(data: pd.DataFrame) -> pd.DataFrame:
    """``data`` with rows in an order that does not depend on location codes or file order.

    Rows are sorted by :func:`location_ranks`, then by every other column; equal rows keep
    their relative order (they are interchangeable).
    """
    ranks = location_ranks(data)
    if not ranks:
        return data
    rest = [c for c in data.columns if c != "locatie"]
    key = data.assign(_rank=data["locatie"].astype(str).map(ranks))
    return key.sort_values(["_rank", *rest], kind="stable").drop(columns="_rank").reset_index(drop=True)


def neutral_locations(data: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """``data`` with location codes replaced by neutral labels in content order, and the way back.

    R's factor levels then follow the content (``g0001`` < ``g0002`` < ...), whatever the codes.
    """
    ranks = location_ranks(data)
    if not ranks:
        return data, {}
    width = max(4, len(str(len(ranks))))
    labels = {c: f"{NEUTRAL}{r:0{width}d}" for c, r in ranks.items()}
    back = {v: k for k, v in labels.items()}
    return data.assign(locatie=data["locatie"].astype(str).map(labels)), back


def collapses(spec: ModelSpec) -> bool:
    """Whether ``spec`` is fitted on binomial cells (logistic models in lme4 / glm)."""
    return spec.family == "binomial" and spec.engine in ("glmer", "glm")


def binomial_cells(data: pd.DataFrame, outcome: str) -> tuple[pd.DataFrame, float]:
    """Collapse 0/1 rows with identical covariates into binomial cells.

    The Bernoulli likelihood of the rows and the binomial likelihood of the cells differ only
    by the constant ``sum(log C(n, k))`` over cells, for every value of the fixed and random
    effects; Laplace and adaptive quadrature therefore give the same estimates, standard errors
    and variance components, while R evaluates the deviance on ~200 cells instead of ~6,000
    registrations (about ten times faster for the room models).

    Parameters
    ----------
    data : DataFrame
        Model data (complete cases); ``outcome`` holds 0/1.
    outcome : str

    Returns
    -------
    cells : DataFrame
        One row per covariate pattern: the covariates, ``outcome`` as the proportion k/n and
        ``wts`` = n (R's prior weights).
    log_choose : float
        ``sum(log C(n, k))``; subtract it from the cells' log-likelihood to get the
        registration-level (Bernoulli) log-likelihood that Stata and SPSS report.
    """
    keys = [c for c in data.columns if c != outcome]
    g = data.groupby(keys, sort=True, observed=True)[outcome].agg(["sum", "size"]).reset_index()
    k, n = g["sum"].to_numpy(float), g["size"].to_numpy(float)
    cells = g[keys].copy()
    cells[outcome] = k / n
    cells["wts"] = n
    log_choose = float(np.sum(special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)))
    return cells, log_choose


def _fixed_table(coefs: pd.DataFrame, term_map: dict[str, str]) -> pd.DataFrame:
    """Wald z, p and CIs for R's coefficient table."""
    out = pd.DataFrame(
        {
            "term": [clean_term(t, term_map) for t in coefs["term"]],
            "r_term": coefs["term"].astype(str),
            "estimate": coefs["estimate"].astype(float),
            "se": coefs["se"].astype(float),
        }
    )
    out["z"] = out["estimate"] / out["se"]
    out["p"] = 2 * stats.norm.sf(np.abs(out["z"]))
    out["ci_low"], out["ci_high"] = wald(out["estimate"], out["se"])
    for c in ("estimate", "ci_low", "ci_high"):
        out[f"exp_{'est' if c == 'estimate' else c}"] = np.exp(out[c])
    return out


def _random_table(vc: pd.DataFrame) -> pd.DataFrame:
    """Variance components with SDs and correlations."""
    vc = vc.copy()
    if vc.empty:
        return pd.DataFrame(columns=["group", "var1", "var2", "vcov", "sd_cor"])
    var = {
        (g, v): x
        for g, v, w, x in vc[["group", "var1", "var2", "vcov"]].itertuples(index=False)
        if w is None or (isinstance(w, float) and np.isnan(w))
    }
    sd_cor = []
    for g, v1, v2, x in vc[["group", "var1", "var2", "vcov"]].itertuples(index=False):
        if v2 is None or (isinstance(v2, float) and np.isnan(v2)):
            sd_cor.append(float(np.sqrt(max(x, 0.0))))
        else:
            den = np.sqrt(var[(g, v1)] * var[(g, v2)])
            sd_cor.append(float(x / den) if den > 0 else float("nan"))
    vc["sd_cor"] = sd_cor
    return vc


def _dispersion_icc(spec: ModelSpec, s: dict, random: pd.DataFrame) -> tuple[dict, float]:
    """Dispersion parameters and the location ICC (latent scale)."""
    sigma = float(np.asarray(s["sigma"])[0])
    loc = (
        random[(random["group"] == "locatie") & (random["var1"] == "(Intercept)") & random["var2"].isna()]
        if not random.empty
        else random
    )
    v = float(loc["vcov"].iloc[0]) if len(loc) else float("nan")
    if spec.family == "gaussian":
        return {"sigma": sigma}, v / (v + sigma**2)
    if spec.family == "binomial":
        return {}, v / (v + np.pi**2 / 3)
    if spec.family in ("nbinom2", "poisson"):
        disp = {"theta": sigma, "alpha": 1.0 / sigma} if spec.family == "nbinom2" else {}
        # Nakagawa et al. (2017), lognormal approximation of the observation-level variance.
        lam = float(np.asarray(s["mean_mu0"])[0]) * np.exp(v / 2)
        extra = 1.0 / sigma if spec.family == "nbinom2" else 0.0
        return disp, v / (v + np.log1p(1.0 / lam + extra))
    if spec.family == "gamma_log":
        return {"cv": sigma}, v / (v + np.log1p(sigma**2))
    return {}, float("nan")


def _status(converged: bool, singular: bool, warns: list[str], conv_msgs: list[str]) -> str:
    """``ok`` only when converged, not singular and R raised no warnings."""
    return "ok" if converged and not singular and not warns and not conv_msgs else "warning"


def r_data(
    spec: ModelSpec, data: pd.DataFrame, meting_levels: list[str]
) -> tuple[Any, pd.DataFrame | None, float]:
    """The R data frame a model is fitted on (factors made; binomial cells for logistic models).

    Returns
    -------
    rdata : R data.frame
    cells : DataFrame or None
        :func:`binomial_cells` for logistic models.
    log_choose : float
        The cells' constant (0 without cells).
    """
    log_choose, cells = 0.0, None
    if collapses(spec):
        cells, log_choose = binomial_cells(data, spec.outcome)
        cells = canonical_order(cells)
    shown, _ = neutral_locations(data if cells is None else cells)
    rdata = rbridge.call_captured(
        rbridge.helper("prepare"),
        data=rbridge.to_r(shown),
        meting_levels=list(meting_levels),
        reden_levels=list(REASONS.values()),
    ).value
    return rdata, cells, log_choose


def fit_raw(
    spec: ModelSpec, data: pd.DataFrame, meting_levels: list[str], random: bool = True
) -> tuple[rbridge.Captured, dict | None]:
    """Fit in R under warning capture; return the capture and R's summary list (or None).

    Binomial models are fitted on cells (:func:`binomial_cells`); the summary's ``loglik``
    is put back on the registration level, ``cells`` holds the rows R saw and ``rdata`` the R
    data frame that was fitted.
    """
    rdata, cells, log_choose = r_data(spec, data, meting_levels)
    engine = spec.engine if random else spec.null_engine
    cap = rbridge.call_captured(
        rbridge.helper("fit"),
        engine=engine,
        formula=spec.formula(random),
        data=rdata,
        family=spec.family,
        nagq=int(spec.nagq),
        zi=spec.zi if random else "",
    )
    if cap.failed:
        return cap, None
    summ = rbridge.call_captured(rbridge.helper("summarise"), m=cap.value)
    if summ.failed:
        cap.error = "summary failed: " + summ.error
        return cap, None
    cap.warnings += summ.warnings
    out = rbridge.r_list(summ.value)
    out["loglik"] = [float(out["loglik"][0]) - log_choose]
    out["cells"] = cells
    out["rdata"] = rdata
    return cap, out


def _named_effects(effects: pd.DataFrame, data: pd.DataFrame) -> pd.DataFrame:
    """Location effects from R (neutral labels) with the location codes back, sorted by code."""
    _, back = neutral_locations(data)
    if effects.empty or "level" not in effects.columns or not back:
        return effects
    named = effects.assign(level=effects["level"].map(lambda v: back.get(v, v)))
    return named.sort_values("level", kind="stable").reset_index(drop=True)


def fit(
    spec: ModelSpec,
    frame: pd.DataFrame,
    meting_levels: list[str],
    *,
    with_lr: bool = True,
    small_sample: bool = False,
) -> ModelResult:
    """Fit ``spec`` on ``frame`` and return a :class:`ModelResult`; never raises on R errors.

    Parameters
    ----------
    spec : ModelSpec
    frame : DataFrame
        Analysis frame (see :mod:`analysis.models.frames`).
    meting_levels : list of str
        Measurement levels, reference first.
    with_lr : bool
        Also fit the model without random effects and test the random intercept.
    small_sample : bool
        Also compute the better intervals of :mod:`analysis.models.smallsample` (and, where its
        rule applies and ``with_lr``, the simulated LR test): the reported primary fits.

    Returns
    -------
    ModelResult
        ``status == "failed"`` with ``error`` set when R could not fit the model.
    """
    data = model_data(spec, frame)
    key = cache.fit_key(spec, data, meting_levels, with_lr) if cache.active() else ""
    if key and small_sample:  # a fit with the better inference is a different stored value
        key = cache.derived_key(key, "small_sample", smallsample.SETTINGS)
    hit = cache.load(key) if key else None
    if hit is not None:
        return hit
    res = fit_uncached(spec, data, meting_levels, with_lr, small_sample=small_sample)
    res.cache_key = key
    if key:
        cache.store(key, replace(res, r_model=None))
    return res


def fit_uncached(
    spec: ModelSpec,
    data: pd.DataFrame,
    meting_levels: list[str],
    with_lr: bool,
    *,
    small_sample: bool = False,
) -> ModelResult:
    """Fit in R and fill a :class:`ModelResult` (no cache); see :func:`fit`."""
    cap, s = fit_raw(spec, data, meting_levels)
    res = ModelResult(
        spec=spec,
        status="failed",
        warnings=cap.warnings,
        messages=cap.messages,
        error=cap.error,
        versions=rbridge.versions(),
        data=data,
        nobs=len(data),
        meting_levels=list(meting_levels),
    )
    if s is None:
        return res
    conv = rbridge.r_list(s["conv"])
    conv_msgs = [str(m) for m in conv["messages"]]
    res.r_model = cap.value
    res.fixed = _fixed_table(rbridge.from_r_frame(s["coefs"]), dict(spec.term_map))
    res.random = _random_table(rbridge.from_r_frame(s["varcorr"]))
    res.loglik = float(s["loglik"][0])
    res.df = int(s["df"][0])
    res.aic = -2 * res.loglik + 2 * res.df
    # nobs counts registrations also when R saw binomial cells
    res.nobs = len(data) if s["cells"] is not None else int(s["nobs"][0])
    res.cells = s["cells"]
    res.ngroups = dict(zip(s["groups"].names, map(int, s["groups"]))) if len(s["groups"]) else {}
    res.dispersion, res.icc = _dispersion_icc(spec, s, res.random)
    v = rbridge.from_r_frame(s["vcov"])
    if len(v):
        res.vcov = v.pivot(index="row", columns="col", values="value")
    res.location_effects = _named_effects(rbridge.from_r_frame(s["re"]), data)
    sing = s["singular"][0]
    if sing is not None and str(sing) != "NA":
        res.singular = bool(sing)
    else:  # glmmTMB: a variance (not a correlation) estimated at ~0
        var_rows = res.random[res.random["var2"].isna()] if not res.random.empty else res.random
        res.singular = bool((var_rows["sd_cor"] < 1e-4).any()) if len(var_rows) else False
    res.converged = bool(conv["converged"][0])
    opt = s.get("optimizer")
    res.optimizer = "" if opt is None or not len(opt) or str(opt[0]) == "NA" else str(opt[0])
    res.messages += [m for m in conv_msgs if m not in res.messages]
    res.status = _status(res.converged, res.singular, res.warnings, conv_msgs)
    if with_lr and spec.random and spec.null_engine:
        res.lr = random_intercept_test(
            spec, data, meting_levels, res.loglik, at_boundary=_location_variance_zero(res.random)
        )
    if small_sample:
        res.small = smallsample.infer(res, s["rdata"], with_lrt=with_lr)
    return res


def _location_variance_zero(random: pd.DataFrame, tol: float = 1e-4) -> bool:
    """Whether the location intercept SD is numerically zero (boundary estimate)."""
    if random.empty:
        return False
    loc = random[(random["group"] == "locatie") & random["var2"].isna()]
    return bool(len(loc)) and float(loc["sd_cor"].iloc[0]) < tol


def random_intercept_test(
    spec: ModelSpec,
    data: pd.DataFrame,
    meting_levels: list[str],
    loglik_full: float,
    at_boundary: bool = False,
) -> LRTest | None:
    """LR test of the location random intercept against the model without it (chibar2(01))."""
    cap, s = fit_raw(spec, data, meting_levels, random=False)
    if s is None:
        return None
    return lr_test(
        "re_location", spec.model_id, loglik_full, float(s["loglik"][0]), df=1, at_boundary=at_boundary
    )


def fit_many(
    specs: list[ModelSpec], frames: Any, *, with_lr: bool = True, small_sample: bool = False
) -> dict[str, ModelResult]:
    """Fit several specs on the matching frames of an :class:`AnalysisFrames`."""
    from analysis.models.frames import frame_for

    return {
        s.model_id: fit(
            s, frame_for(frames, s.frame), frames.meting_levels, with_lr=with_lr, small_sample=small_sample
        )
        for s in specs
    }
