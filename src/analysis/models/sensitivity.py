"""The sensitivity set of Bijlage 3: each analysis re-fits primary models with one change.

=================  =======================================================================
analysis           change
=================  =======================================================================
random_slope       ``(1 + month | locatie)``, correlated; LR p from 0.5 chi2(1) + 0.5 chi2(2)
poisson            counts as Poisson GLMM instead of NB2 (LR NB vs Poisson: chibar2(01))
gamma              duration (minutes) as gamma log-link GLMM (exp(b): ratio of means)
youth              ``(1 | locatie/jongere)`` for registration-level models (missing youth:
                   singleton ids); LR vs primary: chibar2(01)
occupancy_cov      ln(occupancy) as covariate instead of offset
no2359             duration models without rows flagged ``vlag_duur_2359``
quadrature         room models with 7-point adaptive quadrature (Stata's default) not Laplace
lolo               leave one location out: range of the key estimates
=================  =======================================================================

``lolo`` (78 fits on the twin) needs no primary fit, so the build runs it in its own notebook
(``03b_leave_one_location_out``, via :func:`analysis.models.pipeline.run_lolo`) in parallel with
chapter 3; :func:`run_sensitivity` runs it only when asked for by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.models.fit import ModelResult, fit
from analysis.models.frames import AnalysisFrames, frame_for
from analysis.models.lrtest import LRTest, lr_test
from analysis.models.spec import ModelSpec, primary_specs

LOLO_KEYS: tuple[tuple[str, str], ...] = (
    ("count_month", "month"), ("count_meting", "meting2"), ("dur_meting", "meting2"),
    ("isodur_month", "month"), ("isodur_meting", "meting2"), ("room_iso_vs_other_meting", "meting2"),
)
"""(model, term) pairs whose leave-one-location-out range is reported."""

ANALYSES: tuple[str, ...] = ("random_slope", "poisson", "gamma", "youth", "occupancy_cov",
                             "no2359", "quadrature", "lolo")
"""Every analysis :func:`run_sensitivity` knows."""

DEFAULT_ANALYSES: tuple[str, ...] = tuple(a for a in ANALYSES if a != "lolo")
"""What :func:`run_sensitivity` runs by default: all but ``lolo`` (its own build step)."""

LOLO_COLUMNS = ["model_id", "term", "dropped", "status", "verdict", "exp_est", "exp_ci_low", "exp_ci_high", "p"]
LOLO_RANGE_COLUMNS = ["model_id", "term", "min", "max", "n_fits"]

ESTIMATE_COLUMNS = ["analysis", "model_id", "variant", "term", "estimate", "se", "p",
                    "exp_est", "exp_ci_low", "exp_ci_high", "status", "verdict", "warnings"]


@dataclass
class SensitivityResults:
    """Tidy output of the sensitivity set.

    Attributes
    ----------
    estimates : DataFrame
        One row per (analysis, model, variant, term); ``variant`` is ``primary`` or the
        changed fit, so each change can be read next to the primary estimate.
    tests : list of LRTest
    lolo : DataFrame
        One row per (model, term, dropped location).
    results : dict
        Fitted variant models by ``<analysis>:<model_id>``.
    """

    estimates: pd.DataFrame
    tests: list[LRTest] = field(default_factory=list)
    lolo: pd.DataFrame = field(default_factory=pd.DataFrame)
    results: dict[str, ModelResult] = field(default_factory=dict)

    def lolo_range(self) -> pd.DataFrame:
        """Min and max of the exp-scale estimates over the leave-one-out fits (:func:`lolo_range`)."""
        return lolo_range(self.lolo)


def lolo_range(lolo: pd.DataFrame) -> pd.DataFrame:
    """Min and max of the exp-scale estimates over the leave-one-location-out fits.

    Parameters
    ----------
    lolo : DataFrame
        Output of :func:`leave_one_location_out` (one row per model, term, dropped location).

    Returns
    -------
    DataFrame
        model_id, term, min, max, n_fits (fits with an estimate); empty (with these columns)
        when ``lolo`` is empty.
    """
    if lolo.empty or "exp_est" not in lolo.columns:
        return pd.DataFrame(columns=LOLO_RANGE_COLUMNS)
    g = lolo.groupby(["model_id", "term"], sort=False)["exp_est"]
    return pd.DataFrame({"min": g.min(), "max": g.max(), "n_fits": g.count()}).reset_index()


def _rows(analysis: str, variant: str, res: ModelResult) -> list[dict]:
    """Tidy estimate rows of one fit (intercept left out)."""
    if res.status == "failed":
        return [{"analysis": analysis, "model_id": res.model_id.split("~")[0], "variant": variant,
                 "term": None, "status": "failed", "verdict": "failed", "warnings": res.error}]
    f = res.fixed[res.fixed["term"] != "intercept"]
    verdict = res.verdict.code
    return [{"analysis": analysis, "model_id": res.model_id.split("~")[0], "variant": variant,
             "term": r.term, "estimate": r.estimate, "se": r.se, "p": r.p, "exp_est": r.exp_est,
             "exp_ci_low": r.exp_ci_low, "exp_ci_high": r.exp_ci_high, "status": res.status,
             "verdict": verdict, "warnings": " | ".join(res.warnings + res.messages)} for r in f.itertuples()]


def _variant(analysis: str, base: ModelSpec, frames: AnalysisFrames,
             primary: dict[str, ModelResult], change: Callable[[ModelSpec], ModelSpec],
             out: SensitivityResults, test: Callable[[ModelResult, ModelResult], LRTest | None] | None = None,
             ) -> None:
    """Fit one variant of ``base``, add its rows (and the primary rows) and an optional test."""
    prim = primary.get(base.model_id) or fit(base, frame_for(frames, base.frame), frames.meting_levels,
                                             with_lr=False)
    primary[base.model_id] = prim
    spec = change(base)
    res = fit(spec, frame_for(frames, spec.frame), frames.meting_levels, with_lr=False)
    out.results[f"{analysis}:{base.model_id}"] = res
    rows = _rows(analysis, "primary", prim) + _rows(analysis, analysis, res)
    out.estimates = pd.concat([out.estimates, pd.DataFrame(rows, columns=ESTIMATE_COLUMNS)],
                              ignore_index=True)
    if test is not None and res.status != "failed" and prim.status != "failed":
        t = test(res, prim)
        if t is not None:
            out.tests.append(t)


def _ids(prefixes: Sequence[str], suffixes: Sequence[str] = ("month", "meting", "interaction")) -> list[str]:
    return [f"{p}_{s}" for p in prefixes for s in suffixes]


def run_sensitivity(frames: AnalysisFrames, primary: dict[str, ModelResult] | None = None,
                    analyses: Sequence[str] | None = None) -> SensitivityResults:
    """Run the sensitivity set.

    Parameters
    ----------
    frames : AnalysisFrames
    primary : dict, optional
        Already fitted primary models (re-used; missing ones are fitted).
    analyses : sequence of str, optional
        Subset of :data:`ANALYSES` (default :data:`DEFAULT_ANALYSES`: all but ``lolo``, which
        the build runs in its own step; name it to run it here too).

    Returns
    -------
    SensitivityResults
    """
    primary = dict(primary or {})
    specs = {s.model_id: s for s in primary_specs()}
    todo = list(analyses or DEFAULT_ANALYSES)
    unknown = sorted(set(todo) - set(ANALYSES))
    if unknown:
        raise ValueError(f"unknown sensitivity analyses {unknown}; known: {list(ANALYSES)}")
    out = SensitivityResults(estimates=pd.DataFrame(columns=ESTIMATE_COLUMNS))
    rooms = ["room_other_vs_own", "room_iso_vs_own", "room_iso_vs_other", "room_iso_vs_ownother"]
    plan: dict[str, tuple[list[str], Callable, Callable | None]] = {
        "random_slope": (
            ["count_month", "dur_month", "isodur_month"] + [f"{r}_month" for r in rooms],
            lambda s: replace(s, model_id=s.model_id + "~slope", random="(1 + month | locatie)"),
            lambda r, p: lr_test("re_slope_month", r.model_id, r.loglik, p.loglik, df=2)),
        "poisson": (
            _ids(["count"]),
            lambda s: replace(s, model_id=s.model_id + "~poisson", family="poisson"),
            lambda r, p: lr_test("nb_vs_poisson", p.model_id, p.loglik, r.loglik, df=1)),
        "gamma": (
            _ids(["dur", "isodur"]),
            lambda s: replace(s, model_id=s.model_id + "~gamma", outcome="dur", family="gamma_log",
                              engine="glmmTMB"), None),
        "youth": (
            _ids(["dur", "isodur"]) + ["isodur_reason_meting"] + _ids(rooms, ("month", "meting")),
            lambda s: replace(s, model_id=s.model_id + "~youth", frame=s.frame + "|youth",
                              random="(1 | locatie/jongere)"),
            lambda r, p: lr_test("re_youth", r.model_id, r.loglik, p.loglik, df=1)),
        "occupancy_cov": (
            _ids(["count"]),
            lambda s: replace(s, model_id=s.model_id + "~occcov", rhs=s.rhs + " + log_occ", offset=""),
            None),
        "no2359": (
            _ids(["dur", "isodur"]) + ["isodur_reason_meting"],
            lambda s: replace(s, model_id=s.model_id + "~no2359", frame=s.frame + "|no2359"), None),
        "quadrature": (
            _ids(rooms),
            lambda s: replace(s, model_id=s.model_id + "~agq7", nagq=7), None),
    }
    for analysis in todo:
        if analysis == "lolo":
            out.lolo = leave_one_location_out(frames, lolo_specs(), dict(LOLO_KEYS))
            continue
        ids, change, test = plan[analysis]
        for mid in ids:
            _variant(analysis, specs[mid], frames, primary, change, out, test)
    return out


LOLO_SUMMARY_COLUMNS = ["model_id", "term", "exp_est", "p", "min", "max", "n_fits", "n_missing",
                        "n_same", "changed_without", "most_influential", "exp_est_without"]


def same_conclusion(exp_est: pd.Series, p: pd.Series, ref_exp_est: float, ref_p: float,
                    alpha: float = 0.05) -> pd.Series:
    """Whether each estimate leads to the conclusion of the reference estimate.

    Same conclusion: significant at ``alpha`` in both with the ratio on the same side of 1, or
    significant in neither. Missing estimates never agree.
    """
    sig, ref_sig = p < alpha, ref_p < alpha
    side = (exp_est > 1) == (ref_exp_est > 1)
    return exp_est.notna() & p.notna() & (sig == ref_sig) & (~sig | side)


def lolo_summary(lolo: pd.DataFrame, full: Mapping[str, ModelResult], alpha: float = 0.05) -> pd.DataFrame:
    """Per key estimate: the fit on all locations beside the leave-one-location-out fits.

    Parameters
    ----------
    lolo : DataFrame
        :func:`leave_one_location_out` output.
    full : mapping of str to ModelResult
        The same models fitted on all locations (by model id).
    alpha : float
        Significance level of the conclusion (:func:`same_conclusion`).

    Returns
    -------
    DataFrame
        model_id, term; exp_est and p on all locations (missing when that fit failed); min and
        max of exp(b) without one location; n_fits (fits with an estimate; one per location in
        the model's data) and n_missing (fits without one); n_same (fits with the conclusion of
        the fit on all locations) and changed_without (the left-out locations of the others,
        ``", "``-separated); most_influential (the location whose omission moves exp(b) most, on
        the log scale) and exp_est_without (exp(b) without it).
    """
    rows = [_summary_row(mid, term, g, full.get(mid), alpha)
            for (mid, term), g in lolo.groupby(["model_id", "term"], sort=False)]
    return pd.DataFrame(rows, columns=LOLO_SUMMARY_COLUMNS)


def _summary_row(model_id: str, term: str, fits: pd.DataFrame, full: ModelResult | None,
                 alpha: float) -> dict:
    """One row of :func:`lolo_summary`: the leave-one-out fits of one term against ``full``."""
    ok = full is not None and full.status != "failed" and term in set(full.fixed["term"])
    ref = full.term(term) if ok else pd.Series({"exp_est": np.nan, "p": np.nan})
    est = pd.to_numeric(fits["exp_est"], errors="coerce")
    pv = pd.to_numeric(fits["p"], errors="coerce")
    shift = np.abs(np.log(est / ref["exp_est"]))
    worst = fits.loc[shift.idxmax()] if shift.notna().any() else None
    same = same_conclusion(est, pv, ref["exp_est"], ref["p"], alpha)
    changed = fits.loc[est.notna() & ~same, "dropped"] if ok else fits["dropped"].iloc[:0]
    return {
        "model_id": model_id, "term": term, "exp_est": ref["exp_est"], "p": ref["p"],
        "min": est.min(), "max": est.max(), "n_fits": int(est.notna().sum()),
        "n_missing": int(est.isna().sum()), "n_same": int(same.sum()) if ok else 0,
        "changed_without": ", ".join(map(str, changed)),
        "most_influential": None if worst is None else worst["dropped"],
        "exp_est_without": np.nan if worst is None else float(worst["exp_est"]),
    }


def lolo_specs() -> list[ModelSpec]:
    """The primary specs of :data:`LOLO_KEYS`, in that order."""
    specs = {s.model_id: s for s in primary_specs()}
    return [specs[m] for m, _ in LOLO_KEYS]


def leave_one_location_out(frames: AnalysisFrames, specs: Sequence[ModelSpec],
                           terms: dict[str, str]) -> pd.DataFrame:
    """Re-fit each spec once per location with that location left out.

    Parameters
    ----------
    frames : AnalysisFrames
    specs : sequence of ModelSpec
    terms : dict
        model_id -> term to record.

    Returns
    -------
    DataFrame
        model_id, term, dropped, status, exp_est, exp_ci_low, exp_ci_high, p (estimates
        missing when the fit failed).
    """
    rows = []
    for spec in specs:
        data = frame_for(frames, spec.frame)
        for loc in sorted(data["locatie"].unique()):
            res = fit(spec, data[data["locatie"] != loc], frames.meting_levels, with_lr=False)
            row = {"model_id": spec.model_id, "term": terms[spec.model_id], "dropped": loc,
                   "status": res.status, "verdict": res.verdict.code}
            if res.status != "failed" and terms[spec.model_id] in set(res.fixed["term"]):
                t = res.term(terms[spec.model_id])
                row.update(exp_est=t["exp_est"], exp_ci_low=t["exp_ci_low"],
                           exp_ci_high=t["exp_ci_high"], p=t["p"])
            rows.append(row)
    return pd.DataFrame(rows, columns=LOLO_COLUMNS)
