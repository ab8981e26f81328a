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
room_all_locations room contrasts on every location, also where only one of the two rooms
                   occurs (the primary fits use the locations where both occur)
no_duplicates      every model without registrations flagged ``vlag_dubbel`` (skipped, with a
                   note, when no registration is flagged)
zero_inflated      counts as zero-inflated NB2 (glmmTMB ``ziformula = ~1``)
month_nogap        models with a month term: the month counted over the measured months
                   only, without the months between measurements (data subset ``nogap``)
month_by_meting    models with a month term: a month slope within each measurement instead
                   of one calendar slope (``meting + meting:month_within``, subset ``within``)
lolo               leave one location out: range of the key estimates
=================  =======================================================================

Each analysis but ``lolo`` is declared as data, a :class:`~analysis.models.spec.Variant` of
:data:`~analysis.models.spec.VARIANTS` (the models it re-fits, the fields it changes, its data
subset and LR test); its fits carry that declaration (``variant``, ``subset``, ``primary_id``), and
so do their rows in ``ch3_sens_estimates`` and ``ch3_sens_lrtests``.

The calendar month of the primary models runs over the months between the measurements, so
its slope is largely the drop between measurements; the two time-coding analyses
(:data:`TIME_CODING`) show whether the chapter-3 conclusions depend on that coding. In the
slope-per-measurement model the primary ``month`` is compared with the slope within each
measurement (of the month models) or within the reference measurement (of the interaction
models, whose ``month`` is that slope): :func:`compared_term` gives each variant term the
primary term it answers, and :func:`conclusions` judges each primary conclusion once.

Whether a variant leads to the *same conclusion* as the primary fit has one rule,
:func:`same_conclusion` (same side of 1 and same significance at 5%), and
:func:`compare_conclusions` adds the third outcome: a comparison is *not assessable* when the
primary or the variant fit is not interpretable (:mod:`analysis.models.verdict`: failed, warned,
singular, degenerate); such a fit never counts as support.

``lolo`` (78 fits on the twin) needs no primary fit, so the build runs it in its own notebook
(``03b_leave_one_location_out``, via :func:`analysis.models.chapter3.run_lolo`) in parallel with
chapter 3; :func:`run_sensitivity` runs it only when asked for by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.models.fit import ModelResult
from analysis.models.frames import AnalysisFrames, frame_for
from analysis.models.lrtest import LRTest, lr_test
from analysis.models.spec import (
    MONTH_BY_METING,
    PRIMARY,
    VARIANTS,
    ModelSpec,
    Variant,
    primary_specs,
    slope_term,
)

LOLO_KEYS: tuple[tuple[str, str], ...] = (
    ("count_month", "month"),
    ("count_meting", "meting2"),
    ("dur_meting", "meting2"),
    ("isodur_month", "month"),
    ("isodur_meting", "meting2"),
    ("room_iso_vs_other_meting", "meting2"),
)
"""(model, term) pairs whose leave-one-location-out range is reported."""

ANALYSES: tuple[str, ...] = (*(v.analysis for v in VARIANTS), "lolo")
"""Every analysis :func:`run_sensitivity` knows: the declared variants
(:data:`analysis.models.spec.VARIANTS`) and leave one location out."""

TIME_CODING: tuple[str, ...] = ("month_nogap", "month_by_meting")
"""The sensitivity analyses of the time coding (models with a month term only)."""

DEFAULT_ANALYSES: tuple[str, ...] = tuple(a for a in ANALYSES if a != "lolo")
"""What :func:`run_sensitivity` runs by default: all but ``lolo`` (its own build step)."""

LOLO_COLUMNS = [
    "model_id",
    "term",
    "dropped",
    "status",
    "verdict",
    "exp_est",
    "exp_ci_low",
    "exp_ci_high",
    "p",
]
LOLO_RANGE_COLUMNS = ["model_id", "term", "min", "max", "n_fits"]

ESTIMATE_COLUMNS = [
    "analysis",
    "model_id",
    "variant",
    "term",
    "estimate",
    "se",
    "p",
    "exp_est",
    "exp_ci_low",
    "exp_ci_high",
    "status",
    "verdict",
    "warnings",
    "compared_term",
    "outcome",
    "contrast",
    "kind",
    "subset",
    "family",
    "engine",
    "method",
]
"""Columns of ``ch3_sens_estimates``; ``compared_term`` is the primary term a variant row is
compared with (:func:`compared_term`; empty: none, e.g. a slope of a later measurement in an
interaction model). The last columns declare the row's fit (:meth:`ModelSpec.columns`; ``variant``
is :data:`~analysis.models.spec.PRIMARY` or the analysis) and its estimation."""

ESTIMATE_DECLARATION = ["outcome", "contrast", "kind", "subset", "family", "engine", "method"]
"""The declaration and estimation columns of ``ch3_sens_estimates`` (after ``compared_term``)."""

TEST_COLUMNS = ["primary_id", "outcome", "contrast", "kind", "variant", "subset"]
"""Columns of ``ch3_sens_lrtests`` after the test's own (:func:`test_table`): the primary model
the test belongs to and the declaration of the variant it tests."""


@dataclass
class SensitivityResults:
    """Tidy output of the sensitivity set.

    Attributes
    ----------
    estimates : DataFrame
        One row per (analysis, model, variant, term); ``variant`` is ``primary`` or the
        changed fit, so each change can be read next to the primary estimate.
    tests : list of LRTest
    tested : list of ModelSpec
        The variant of each test in ``tests`` (same order): its declaration (:func:`test_table`).
    lolo : DataFrame
        One row per (model, term, dropped location).
    results : dict
        Fitted variant models by ``<analysis>:<model_id>``.
    skipped : dict
        Analyses not fitted because they would change no row (analysis -> rows concerned, 0).
    """

    estimates: pd.DataFrame
    tests: list[LRTest] = field(default_factory=list)
    tested: list[ModelSpec] = field(default_factory=list)
    lolo: pd.DataFrame = field(default_factory=pd.DataFrame)
    results: dict[str, ModelResult] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)

    def lolo_range(self) -> pd.DataFrame:
        """Min and max of the exp-scale estimates over the leave-one-out fits (:func:`lolo_range`)."""
        return lolo_range(self.lolo)

    def fit_of(self, spec: ModelSpec) -> ModelResult | None:
        """The fitted variant declared by ``spec`` (None: not fitted in this run)."""
        return self.results.get(f"{spec.variant}:{spec.primary_model}")


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


def compared_term(analysis: str, kind: str, term: str, reference: str) -> str:
    """The primary term a variant's ``term`` is compared with ("": none).

    Every analysis compares a term with the primary term of the same name, except the slope
    per measurement (``month_by_meting``): there the slope within each measurement answers the
    primary ``month`` of a month model (one calendar slope over all measurements), and the
    slope within the reference measurement answers the ``month`` of an interaction model (the
    slope of the reference measurement); the slopes of later measurements of an interaction
    model have no primary term of their own (the primary gives their difference).

    Parameters
    ----------
    analysis : str
    kind : str
        Kind of the primary model (:attr:`ModelSpec.kind`: ``month``, ``interaction``, ...).
    term : str
        The variant's term.
    reference : str
        Reference measurement level.
    """
    if analysis != MONTH_BY_METING.analysis or not term.startswith(slope_term("")):
        return term
    if kind == "month":
        return "month"
    return "month" if term == slope_term(reference) else ""


def _declared(spec: ModelSpec) -> dict[str, object]:
    """The declaration and estimation columns of one fit's rows in ``ch3_sens_estimates``."""
    cols = spec.columns()
    del cols["variant"]  # the estimates' own ``variant`` column says it
    return {**cols, "family": spec.family, "engine": spec.engine, "method": spec.method}


def _rows(analysis: str, primary: ModelSpec, res: ModelResult) -> list[dict]:
    """Tidy estimate rows of one fit (intercept left out); ``primary``: the model it varies."""
    variant = res.spec.variant
    head = {"analysis": analysis, "model_id": primary.model_id, "variant": variant}
    if res.status == "failed":
        return [
            {
                **head,
                "term": None,
                "status": "failed",
                "verdict": "failed",
                "warnings": res.error,
                "compared_term": "",
                **_declared(res.spec),
            }
        ]
    f = res.fixed[res.fixed["term"] != "intercept"]
    verdict = res.verdict.code
    reference = str(res.meting_levels[0]) if res.meting_levels else ""
    return [
        {
            **head,
            "term": r.term,
            "estimate": r.estimate,
            "se": r.se,
            "p": r.p,
            "exp_est": r.exp_est,
            "exp_ci_low": r.exp_ci_low,
            "exp_ci_high": r.exp_ci_high,
            "status": res.status,
            "verdict": verdict,
            "warnings": " | ".join(res.warnings + res.messages),
            "compared_term": r.term
            if variant == PRIMARY
            else compared_term(analysis, primary.kind, r.term, reference),
            **_declared(res.spec),
        }
        for r in f.itertuples()
    ]


def variant_test(variant: Variant, fit: ModelResult, primary: ModelResult) -> LRTest | None:
    """The LR test ``variant`` declares of ``fit`` against ``primary`` (None: none declared)."""
    t = variant.test
    if t is None:
        return None
    if t.primary_is_full:
        return lr_test(t.name, primary.model_id, primary.loglik, fit.loglik, df=t.df)
    return lr_test(t.name, fit.model_id, fit.loglik, primary.loglik, df=t.df)


def _add_variant(variant: Variant, prim: ModelResult, res: ModelResult, out: SensitivityResults) -> None:
    """Add one fitted variant's rows (and the primary rows) and its declared test to ``out``."""
    analysis = variant.analysis
    out.results[f"{analysis}:{prim.model_id}"] = res  # the key of SensitivityResults.fit_of
    rows = _rows(analysis, prim.spec, prim) + _rows(analysis, prim.spec, res)
    out.estimates = pd.concat(
        [out.estimates, pd.DataFrame(rows, columns=ESTIMATE_COLUMNS)], ignore_index=True
    )
    if res.status != "failed" and prim.status != "failed":
        t = variant_test(variant, res, prim)
        if t is not None:
            out.tests.append(t)
            out.tested.append(res.spec)


def test_table(sensitivity: SensitivityResults) -> pd.DataFrame:
    """``ch3_sens_lrtests``: the LR tests (:func:`analysis.models.tables.lr_table` columns) with
    :data:`TEST_COLUMNS` from the declaration of each tested variant."""
    from analysis.models.tables import lr_table

    table = lr_table(sensitivity.tests)
    declared = pd.DataFrame(
        [{"primary_id": s.primary_model, **s.columns()} for s in sensitivity.tested],
        columns=TEST_COLUMNS,
        index=table.index,
    )
    return pd.concat([table, declared], axis=1)


def _n_duplicates(frames: AnalysisFrames) -> int:
    """Registrations flagged as duplicates (none: the ``no_duplicates`` analysis is skipped)."""
    reg = frames.registrations
    return int(reg["flag_duplicate"].sum()) if "flag_duplicate" in reg else 0


def plan_variants(
    analyses: Sequence[str], meting_levels: Sequence[str], n_duplicates: int
) -> list[tuple[Variant, ModelSpec, ModelSpec]]:
    """(variant, primary spec, variant spec) of every fit the analyses make, in row order.

    ``lolo`` and, without flagged duplicates, ``no_duplicates`` make no fit here.
    """
    primary = primary_specs()
    by_name = {v.analysis: v for v in VARIANTS}
    return [
        (v, base, v.apply(base, meting_levels))
        for v in (by_name[a] for a in analyses if a in by_name)
        if not (v.analysis == "no_duplicates" and n_duplicates == 0)
        for base in v.targets(primary)
    ]


def run_sensitivity(
    frames: AnalysisFrames,
    primary: dict[str, ModelResult] | None = None,
    analyses: Sequence[str] | None = None,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
) -> SensitivityResults:
    """Run the sensitivity set; the variant fits run side by side on the Dask engine.

    Parameters
    ----------
    frames : AnalysisFrames
    primary : dict, optional
        Already fitted primary models (re-used; missing ones are fitted).
    analyses : sequence of str, optional
        Subset of :data:`ANALYSES` (default :data:`DEFAULT_ANALYSES`: all but ``lolo``, which
        the build runs in its own step; name it to run it here too).
    scheduler, workers
        Where the fits run (:func:`analysis.models.fanout.run_fits`).

    Returns
    -------
    SensitivityResults
    """
    from analysis.models.fanout import FitJob, run_fits

    primary = dict(primary or {})
    todo = list(analyses or DEFAULT_ANALYSES)
    unknown = sorted(set(todo) - set(ANALYSES))
    if unknown:
        raise ValueError(f"unknown sensitivity analyses {unknown}; known: {list(ANALYSES)}")
    out = SensitivityResults(estimates=pd.DataFrame(columns=ESTIMATE_COLUMNS))
    n_dup = _n_duplicates(frames)
    # First every independent fit (missing primaries and the variants) in one fan-out, then
    # the rows in the order of the analyses, exactly as fitted one after the other.
    entries = plan_variants(todo, frames.meting_levels, n_dup)
    missing = list(dict.fromkeys(b.model_id for _, b, _ in entries if b.model_id not in primary))
    specs = {s.model_id: s for s in primary_specs()}
    jobs = [FitJob(f"primary:{m}", specs[m], specs[m].frame) for m in missing]
    jobs += [FitJob(f"{v.analysis}:{b.model_id}", s, s.frame) for v, b, s in entries]
    fitted = run_fits(jobs, frames, scheduler=scheduler, workers=workers, label="gevoeligheid")
    primary.update({m: fitted[f"primary:{m}"][0] for m in missing})
    for analysis in todo:
        if analysis == "no_duplicates" and n_dup == 0:
            out.skipped[analysis] = 0
        elif analysis == "lolo":
            out.lolo = leave_one_location_out(
                frames, lolo_specs(), dict(LOLO_KEYS), scheduler=scheduler, workers=workers
            )
        for v, base, _ in (e for e in entries if e[0].analysis == analysis):
            key = f"{analysis}:{base.model_id}"
            _add_variant(v, primary[base.model_id], fitted[key][0], out)
    return out


LOLO_SUMMARY_COLUMNS = [
    "model_id",
    "term",
    "exp_est",
    "p",
    "verdict",
    "min",
    "max",
    "n_fits",
    "n_missing",
    "n_same",
    "n_different",
    "n_not_assessable",
    "changed_without",
    "most_influential",
    "exp_est_without",
    "outcome",
    "contrast",
    "kind",
]


def same_conclusion(
    exp_est: pd.Series,
    p: pd.Series,
    ref_exp_est: float | pd.Series,
    ref_p: float | pd.Series,
    alpha: float = 0.05,
) -> pd.Series:
    """Whether each estimate leads to the conclusion of the reference estimate (the one rule).

    Same conclusion: the ratio on the same side of 1 **and** the same significance at ``alpha``
    (significant in both or in neither). Missing estimates never agree.
    """
    sig, ref_sig = p < alpha, ref_p < alpha
    side = (exp_est > 1) == (ref_exp_est > 1)
    return exp_est.notna() & p.notna() & (sig == ref_sig) & side


SAME, DIFFERENT, NOT_ASSESSABLE = "same", "different", "not_assessable"
"""The three outcomes of :func:`compare_conclusions`."""


def compare_conclusions(
    exp_est: pd.Series,
    p: pd.Series,
    ok: pd.Series,
    ref_exp_est: float | pd.Series,
    ref_p: float | pd.Series,
    ref_ok: bool | pd.Series,
    alpha: float = 0.05,
) -> pd.Series:
    """``same``, ``different`` or ``not_assessable`` per estimate against its reference.

    Parameters
    ----------
    exp_est, p : Series
        The variant estimates.
    ok : Series of bool
        Whether the variant fit is interpretable (verdict ``ok``).
    ref_exp_est, ref_p, ref_ok
        The reference (primary) estimate and whether its fit is interpretable.
    alpha : float

    Returns
    -------
    Series of str
        ``not_assessable`` when either fit is not interpretable or an estimate is missing;
        otherwise :func:`same_conclusion` decides.
    """
    assess = (
        ok.astype(bool) & pd.Series(ref_ok, index=exp_est.index).astype(bool) & exp_est.notna() & p.notna()
    )
    same = same_conclusion(exp_est, p, ref_exp_est, ref_p, alpha)
    return pd.Series(np.where(~assess, NOT_ASSESSABLE, np.where(same, SAME, DIFFERENT)), index=exp_est.index)


def overall_conclusion(outcomes: Sequence[str]) -> str:
    """One primary conclusion judged from all its comparisons in one analysis.

    Rule: ``not_assessable`` when any comparison is not assessable (no support is claimed
    from a fit that cannot be read), else ``different`` when any comparison differs (e.g. the
    calendar slope is significant but the slope within one measurement is not), else ``same``.
    No comparison at all: ``not_assessable``.
    """
    outcomes = list(outcomes)
    if not outcomes or NOT_ASSESSABLE in outcomes:
        return NOT_ASSESSABLE
    return DIFFERENT if DIFFERENT in outcomes else SAME


CONCLUSION_COLUMNS = [
    "analysis",
    "model_id",
    "term",
    "n_compared",
    "n_same",
    "n_different",
    "n_not_assessable",
    "conclusion",
]


def conclusions(pairs: pd.DataFrame, analyses: Sequence[str] | None = None) -> pd.DataFrame:
    """Per analysis, whether each chapter-3 conclusion (primary model and term) holds.

    Parameters
    ----------
    pairs : DataFrame
        One row per comparison of a variant term with the primary term it answers (columns
        analysis, model_id, term = the primary term, conclusion = :func:`compare_conclusions`),
        as :func:`analysis.present.models.sensitivity_summary` pairs them.
    analyses : sequence of str, optional
        Only these analyses (e.g. :data:`TIME_CODING`), in this order.

    Returns
    -------
    DataFrame
        :data:`CONCLUSION_COLUMNS`; ``conclusion`` by :func:`overall_conclusion`.
    """
    if analyses is not None:
        pairs = pairs[pairs["analysis"].isin(list(analyses))]
    rows = []
    for (a, m, t), g in pairs.groupby(["analysis", "model_id", "term"], sort=False):
        n = g["conclusion"].value_counts()
        rows.append(
            {
                "analysis": a,
                "model_id": m,
                "term": t,
                "n_compared": len(g),
                "n_same": int(n.get(SAME, 0)),
                "n_different": int(n.get(DIFFERENT, 0)),
                "n_not_assessable": int(n.get(NOT_ASSESSABLE, 0)),
                "conclusion": overall_conclusion(g["conclusion"]),
            }
        )
    out = pd.DataFrame(rows, columns=CONCLUSION_COLUMNS)
    if analyses is not None and len(out):
        order = {a: i for i, a in enumerate(analyses)}
        out = out.sort_values("analysis", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
    return out


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
        the log scale) and exp_est_without (exp(b) without it); the model's outcome, contrast and
        kind (:meth:`~analysis.models.spec.ModelSpec.columns`).
    """
    rows = [
        _summary_row(mid, term, g, full.get(mid), alpha)
        for (mid, term), g in lolo.groupby(["model_id", "term"], sort=False)
    ]
    return pd.DataFrame(rows, columns=LOLO_SUMMARY_COLUMNS)


def _summary_row(
    model_id: str, term: str, fits: pd.DataFrame, full: ModelResult | None, alpha: float
) -> dict:
    """One row of :func:`lolo_summary`: the leave-one-out fits of one term against ``full``."""
    ok = full is not None and full.status != "failed" and term in set(full.fixed["term"])
    ref = full.term(term) if ok else pd.Series({"exp_est": np.nan, "p": np.nan})
    ref_ok = bool(ok and full.interpretable)
    est = pd.to_numeric(fits["exp_est"], errors="coerce")
    pv = pd.to_numeric(fits["p"], errors="coerce")
    shift = np.abs(np.log(est / ref["exp_est"]))
    worst = fits.loc[shift.idxmax()] if shift.notna().any() else None
    fit_ok = (fits["verdict"].fillna("").astype(str) == "ok") if "verdict" in fits else fits["status"] == "ok"
    outcome = compare_conclusions(est, pv, fit_ok, ref["exp_est"], ref["p"], ref_ok, alpha)
    changed = fits.loc[outcome == DIFFERENT, "dropped"]
    return {
        "model_id": model_id,
        "term": term,
        "exp_est": ref["exp_est"],
        "p": ref["p"],
        "verdict": full.verdict.code if full is not None else "failed",
        "min": est.min(),
        "max": est.max(),
        "n_fits": int(est.notna().sum()),
        "n_missing": int(est.isna().sum()),
        "n_same": int((outcome == SAME).sum()),
        "n_different": int((outcome == DIFFERENT).sum()),
        "n_not_assessable": int((outcome == NOT_ASSESSABLE).sum()),
        "changed_without": ", ".join(map(str, changed)),
        "most_influential": None if worst is None else worst["dropped"],
        "exp_est_without": np.nan if worst is None else float(worst["exp_est"]),
        **_outcome_of(model_id, full),
    }


def _outcome_of(model_id: str, full: ModelResult | None) -> dict[str, str]:
    """Outcome, contrast and kind of a leave-one-out model (its fit's spec, else the declared one)."""
    spec = full.spec if full is not None else {s.model_id: s for s in lolo_specs()}.get(model_id)
    cols = spec.columns() if spec is not None else {}
    return {c: cols.get(c, "") for c in ("outcome", "contrast", "kind")}


def lolo_specs() -> list[ModelSpec]:
    """The primary specs of :data:`LOLO_KEYS`, in that order."""
    specs = {s.model_id: s for s in primary_specs()}
    return [specs[m] for m, _ in LOLO_KEYS]


LOLO_MAX_LOCATIONS = 30
"""Up to this many locations in a model's data, leave one out runs for every location."""

LOLO_SAMPLE = 10
"""Above :data:`LOLO_MAX_LOCATIONS`, leave one out runs for this many locations."""

LOLO_SEED = 20210531
"""Seed of the sample of :func:`lolo_locations`."""


def lolo_locations(
    data: pd.DataFrame,
    max_locations: int = LOLO_MAX_LOCATIONS,
    seed: int = LOLO_SEED,
    sample: int = LOLO_SAMPLE,
) -> list[str]:
    """The locations to leave out one at a time (all of them, or the stated sample).

    Rule: with at most ``max_locations`` locations in the model's data, every location. With
    more (national monitoring: hundreds of locations, each refit on nearly all rows), the
    ``sample // 2`` locations with the most rows (the ones able to move an estimate most),
    plus ``sample - sample // 2`` drawn without replacement from the others with
    ``numpy.random.default_rng(seed)``. Each refit costs about one fit on all rows, so the
    work then grows with the rows, not with rows x locations; at that size one location
    holds a few percent of the rows at most, and the largest ones are always in the sample.
    Returned sorted.

    Parameters
    ----------
    data : DataFrame
        The model's analysis frame (column ``locatie``).
    max_locations : int
        Most locations for which every one is left out.
    seed : int
    sample : int
        Locations left out above ``max_locations`` (at most ``max_locations``).
    """
    import numpy as np

    locs = sorted(data["locatie"].unique())
    if len(locs) <= max_locations:
        return locs
    sample = min(sample, max_locations)
    size = data.groupby("locatie", observed=True).size().reindex(locs)
    n_big = sample // 2
    # ties broken by code, so the choice does not depend on the order of the rows
    big = sorted(sorted(locs, key=lambda c: (-int(size[c]), c))[:n_big])
    rest = [c for c in locs if c not in set(big)]
    drawn = np.random.default_rng(seed).choice(len(rest), size=sample - n_big, replace=False)
    return sorted(big + [rest[i] for i in drawn])


def lolo_estimate(res: ModelResult, term: str) -> dict:
    """The columns of one leave-one-out row that come from its fit (picklable for workers)."""
    row = {"status": res.status, "verdict": res.verdict.code}
    if res.status != "failed" and term in set(res.fixed["term"]):
        t = res.term(term)
        row.update(exp_est=t["exp_est"], exp_ci_low=t["exp_ci_low"], exp_ci_high=t["exp_ci_high"], p=t["p"])
    return row


def lolo_jobs(
    frames: AnalysisFrames,
    specs: Sequence[ModelSpec],
    terms: dict[str, str],
    max_locations: int = LOLO_MAX_LOCATIONS,
) -> list:
    """One :class:`~analysis.models.fanout.FitJob` per (spec, left-out location), in row order."""
    from functools import partial

    from analysis.models.fanout import FitJob

    jobs = []
    for spec in specs:
        data = frame_for(frames, spec.frame)
        for loc in lolo_locations(data, max_locations):
            summarise = partial(lolo_estimate, term=terms[spec.model_id])
            jobs.append(
                FitJob(f"lolo:{spec.model_id}:{loc}", spec, spec.frame, drop=loc, summarise=summarise)
            )
    return jobs


def lolo_frame(jobs: Sequence, fitted: Mapping[str, tuple], terms: dict[str, str]) -> pd.DataFrame:
    """The ``ch3_sens_lolo`` rows of :func:`lolo_jobs` from their fitted summaries."""
    rows = [
        {"model_id": j.spec.model_id, "term": terms[j.spec.model_id], "dropped": j.drop, **fitted[j.key][0]}
        for j in jobs
    ]
    return pd.DataFrame(rows, columns=LOLO_COLUMNS)


def leave_one_location_out(
    frames: AnalysisFrames,
    specs: Sequence[ModelSpec],
    terms: dict[str, str],
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    max_locations: int = LOLO_MAX_LOCATIONS,
) -> pd.DataFrame:
    """Re-fit each spec once per location with that location left out (on the Dask engine).

    Parameters
    ----------
    frames : AnalysisFrames
    specs : sequence of ModelSpec
    terms : dict
        model_id -> term to record.
    scheduler, workers
        Where the fits run (:func:`analysis.models.fanout.run_fits`).
    max_locations : int
        Above this many locations, the sample of :func:`lolo_locations`.

    Returns
    -------
    DataFrame
        model_id, term, dropped, status, exp_est, exp_ci_low, exp_ci_high, p (estimates
        missing when the fit failed).
    """
    from analysis.models.fanout import run_fits

    jobs = lolo_jobs(frames, specs, terms, max_locations)
    fitted = run_fits(jobs, frames, scheduler=scheduler, workers=workers, label="een locatie weglaten")
    return lolo_frame(jobs, fitted, terms)
