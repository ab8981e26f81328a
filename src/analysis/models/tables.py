"""Tidy CSVs of the chapter-3 models (results contract) and the published-id values.

The small-sample inference of :mod:`analysis.models.smallsample` adds columns, never changes
existing ones: ``ch3_models_fixed`` gets the better interval beside Wald (:data:`BETTER_COLUMNS`),
``ch3_models_lrtests`` the simulated LR test beside chibar2 (:data:`SIMULATED_LRT_COLUMNS`) and
``ch3_models_fit`` the locations, the rule and the verdict's caution.

Published ids are ``ch3.<model>.<term>.<stat>``: ``est`` (exp scale), ``ci_low``, ``ci_high``
and ``p`` for the fixed terms ``month``, ``meting2``, ``month_x_meting2`` (and ``agressie`` in
``isodur_reason_meting``); ``chibar2`` and ``p`` for the term ``re_location`` (LR test of the
location random intercept).

Every table with a ``model_id`` also carries the model's declaration as columns
(:data:`~analysis.models.spec.SPEC_COLUMNS`: outcome, contrast, kind, variant, subset; added after
the existing columns by :func:`with_spec_columns`), so a reader never takes ``model_id`` apart.

Each CSV has one writer: :func:`write_tables` (notebook 03) writes every table except the
leave-one-location-out ones, which :func:`write_lolo_tables` (notebook 03b, a build step of its
own that runs at the same time) writes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.models.fit import ModelResult
from analysis.models.lrtest import LRTest
from analysis.models.sensitivity import lolo_range, lolo_specs, test_table
from analysis.models.smallsample import MIN_LOCATIONS
from analysis.models.spec import PUBLISHED_TERMS, SPEC_COLUMNS, ModelSpec
from analysis.core.results import write_result

FIXED_STATS = {"est": "exp_est", "ci_low": "exp_ci_low", "ci_high": "exp_ci_high", "p": "p"}
FIGURE_TITLES = {
    "count": "Figuur: aantal per 10 jongeren bezetting per maand, waargenomen en model",
    "dur": "Figuur: geometrisch gemiddelde duur per maand, waargenomen en model",
    "room": "Figuur: aandeel isoleerruimte per maand, waargenomen en model",
    "isodur": "Figuur: geometrisch gemiddelde duur in de isoleerruimte per maand, waargenomen en model",
    "location_effects": "Figuur: locatie-effecten met 95%-interval",
}
"""Titles of the CSVs behind the chapter-3 figures (``ch3_fig_*``)."""
LOLO_TABLES = {
    "ch3_sens_lolo": "Leave-one-location-out schattingen",
    "ch3_sens_lolo_range": "Leave-one-location-out bereik",
}
"""Names and titles of the leave-one-location-out CSVs (written by :func:`write_lolo_tables`)."""


BETTER_COLUMNS = [
    "ci_method",
    "ci_low_better",
    "ci_high_better",
    "exp_ci_low_better",
    "exp_ci_high_better",
    "p_better",
    "df",
    "disagree",
    "ci_reported",
    "small_sample_rule",
    "verdict_caution",
]
"""Columns of ``ch3_models_fixed`` after the Wald ones: the better interval (link and exp scale),
its p-value, Satterthwaite df (LMMs), whether it disagrees with Wald, which interval the text
reports (``wald`` or the method) and why (``few_locations``, ``disagree``)."""
SIMULATED_LRT_COLUMNS = [
    "lrt_sim_method",
    "p_lrt_boot",
    "p_lrt_boot_low",
    "p_lrt_boot_high",
    "n_boot",
    "n_boot_exceed",
    "n_boot_failed",
]
"""Columns of ``ch3_models_lrtests`` after chibar2: the simulated test (``parametric_bootstrap`` or
``exact_lrt``), its p-value with Monte Carlo 95% interval, simulations used, at least as large as
the observed LR, and failed."""


FIXED_COLUMNS: tuple[str, ...] = (
    "model_id",
    "group",
    "term",
    "estimate",
    "se",
    "z",
    "p",
    "ci_low",
    "ci_high",
    "exp_est",
    "exp_ci_low",
    "exp_ci_high",
    "verdict",
    "published_prefix",
)
"""Columns of ``ch3_models_fixed`` before :data:`BETTER_COLUMNS` (the model cards lay them out)."""


def _put(
    folder: Path,
    name: str,
    table: pd.DataFrame,
    title: str,
    *,
    note: str = "",
    values: dict | None = None,
    metingen: Sequence[int] | None = None,
) -> Path:
    """Write one chapter-3 table through the results contract (``note`` as a column)."""
    if note:
        table = table.assign(note=note)
    return write_result(folder, name, table, chapter="3", title=title, values=values, metingen=metingen)


def with_spec_columns(table: pd.DataFrame, specs: Mapping[str, ModelSpec]) -> pd.DataFrame:
    """``table`` with :data:`~analysis.models.spec.SPEC_COLUMNS` looked up by its ``model_id``.

    Columns the table has already are kept as they are; a row whose model is not in ``specs``
    gets empty cells.

    Parameters
    ----------
    table : DataFrame
        A results table with a ``model_id`` column.
    specs : mapping
        model_id -> :class:`~analysis.models.spec.ModelSpec`.
    """
    if "model_id" not in table.columns:  # an empty table without columns (no model fitted)
        return table
    out = table.copy()
    declared = {m: s.columns() for m, s in specs.items()}
    for col in SPEC_COLUMNS:
        if col not in out.columns:
            out[col] = [declared.get(str(m), {}).get(col, "") for m in out["model_id"]]
    return out


def fixed_table(results: Mapping[str, ModelResult]) -> pd.DataFrame:
    """All fixed effects, one row per (model, term), with published-id prefix where published."""
    frames = []
    for mid, r in results.items():
        if r.status == "failed":
            continue
        f = r.fixed.drop(columns=["r_term"]).assign(model_id=mid, group=r.spec.group, verdict=r.verdict.code)
        f["published_prefix"] = [
            f"ch3.{mid}.{t}" if r.spec.published and t in PUBLISHED_TERMS else "" for t in f["term"]
        ]
        frames.append(_with_better(f, r))
    cols = [*FIXED_COLUMNS, *BETTER_COLUMNS]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


def reported_method(r: ModelResult) -> str:
    """``wald`` or the better method when the rule of :mod:`analysis.models.smallsample` applies
    and the better interval exists for every reported term."""
    sm = r.small
    return sm.method if sm is not None and sm.applies and sm.available else "wald"


def _with_better(f: pd.DataFrame, r: ModelResult) -> pd.DataFrame:
    """The fixed effects of one model with :data:`BETTER_COLUMNS` (NaN/empty where none)."""
    sm = r.small
    f = f.copy()
    b = (
        sm.terms.set_index("term").reindex(f["term"])
        if sm is not None and len(sm.terms)
        else pd.DataFrame(index=f["term"], columns=["ci_low", "ci_high", "p", "df", "disagree"], dtype=float)
    )
    f["ci_method"] = sm.method if sm is not None else ""
    f["ci_low_better"] = b["ci_low"].to_numpy(float)
    f["ci_high_better"] = b["ci_high"].to_numpy(float)
    f["exp_ci_low_better"] = np.exp(f["ci_low_better"])
    f["exp_ci_high_better"] = np.exp(f["ci_high_better"])
    f["p_better"] = b["p"].to_numpy(float)
    f["df"] = b["df"].to_numpy(float)
    f["disagree"] = (
        b["disagree"].map(lambda v: bool(v) if isinstance(v, (bool, np.bool_)) else pd.NA).to_numpy()
    )
    f["ci_reported"] = reported_method(r)
    f["small_sample_rule"] = sm.rule if sm is not None else ""
    f["verdict_caution"] = r.verdict.caution_code
    return f


def random_table(results: Mapping[str, ModelResult]) -> pd.DataFrame:
    """Variance components (variance, SD, covariance, correlation) and ICC per model."""
    rows = []
    for mid, r in results.items():
        for v in r.random.itertuples():
            rows.append(
                {
                    "model_id": mid,
                    "group": v.group,
                    "var1": v.var1,
                    "var2": v.var2,
                    "vcov": v.vcov,
                    "sd_cor": v.sd_cor,
                    "icc": r.icc,
                }
            )
    return pd.DataFrame(rows, columns=["model_id", "group", "var1", "var2", "vcov", "sd_cor", "icc"])


def fit_table(results: Mapping[str, ModelResult]) -> pd.DataFrame:
    """Fit statistics, estimation details, status and every captured R warning per model."""
    rows = []
    for mid, r in results.items():
        rows.append(
            {
                "model_id": mid,
                "formula": r.spec.formula(),
                "family": r.spec.family,
                "engine": r.spec.engine,
                "method": r.method,
                "status": r.status,
                "verdict": r.verdict.code,
                "verdict_caution": r.verdict.caution_code,
                "separated_locations": ";".join(r.verdict.separated),
                "converged": r.converged,
                "singular": r.singular,
                "optimizer": r.optimizer,
                "nobs": r.nobs,
                "ngroups": ";".join(f"{k}={v}" for k, v in r.ngroups.items()),
                "loglik": r.loglik,
                "df": r.df,
                "aic": r.aic,
                "icc": r.icc,
                "sigma": r.dispersion.get("sigma", np.nan),
                "theta": r.dispersion.get("theta", np.nan),
                "alpha": r.dispersion.get("alpha", np.nan),
                "cv": r.dispersion.get("cv", np.nan),
                "warnings": " | ".join(r.warnings),
                "messages": " | ".join(r.messages),
                "error": r.error,
                "versions": ";".join(f"{k}={v}" for k, v in r.versions.items()),
                "n_locations": r.ngroups.get("locatie", 0),
                "min_locations": MIN_LOCATIONS,
                "ci_method": r.small.method if r.small is not None else "",
                "ci_reported": reported_method(r),
                "small_sample_rule": r.small.rule if r.small is not None else "",
                "small_sample_warnings": " | ".join(r.small.warnings) if r.small is not None else "",
                "small_sample_error": r.small.error if r.small is not None else "",
            }
        )
    return pd.DataFrame(rows)


def lr_table(tests: list[LRTest]) -> pd.DataFrame:
    """LR tests (statistic, reference distribution, p)."""
    cols = ["model_id", "name", "loglik_full", "loglik_reduced", "lr", "df", "boundary", "reference", "p"]
    return pd.DataFrame([{c: getattr(t, c) for c in cols} for t in tests], columns=cols)


def simulated_lr_table(results: Mapping[str, ModelResult]) -> pd.DataFrame:
    """The primary LR tests (:func:`lr_table`) with the simulated test beside chibar2
    (:data:`SIMULATED_LRT_COLUMNS`; empty where the rule did not apply)."""
    table = lr_table(primary_tests(results))
    sims = {mid: r.small.lrt for mid, r in results.items() if r.small is not None and r.small.lrt is not None}
    rows = []
    for mid in table["model_id"]:
        t = sims.get(mid)
        lo, hi = t.p_interval if t is not None else (np.nan, np.nan)
        rows.append(
            {
                "lrt_sim_method": t.method if t is not None else "",
                "p_lrt_boot": t.p if t is not None else np.nan,
                "p_lrt_boot_low": lo,
                "p_lrt_boot_high": hi,
                "n_boot": t.nsim if t is not None else pd.NA,
                "n_boot_exceed": t.exceed if t is not None else pd.NA,
                "n_boot_failed": t.failed if t is not None else pd.NA,
            }
        )
    extra = pd.DataFrame(rows, columns=SIMULATED_LRT_COLUMNS, index=table.index)
    for c in ("n_boot", "n_boot_exceed", "n_boot_failed"):
        extra[c] = extra[c].astype("Int64")
    return pd.concat([table, extra], axis=1)


def primary_tests(results: Mapping[str, ModelResult]) -> list[LRTest]:
    """The random-intercept LR tests of the fitted models."""
    return [r.lr for r in results.values() if r.lr is not None]


def published_values(results: Mapping[str, ModelResult]) -> dict[str, float]:
    """``ch3.<model>.<term>.<stat>`` -> value for every published model and term."""
    out: dict[str, float] = {}
    fx = fixed_table(results)
    for row in fx[fx["published_prefix"] != ""].itertuples():
        for stat, col in FIXED_STATS.items():
            out[f"{row.published_prefix}.{stat}"] = float(getattr(row, col))
    for r in results.values():
        if r.spec.published and r.lr is not None:
            out[f"ch3.{r.model_id}.re_location.chibar2"] = r.lr.lr
            out[f"ch3.{r.model_id}.re_location.p"] = r.lr.p
    return out


def model_tables(
    results: Mapping[str, ModelResult], diagnostics: pd.DataFrame | None = None
) -> dict[str, pd.DataFrame]:
    """The primary models' results tables by name, as :func:`write_tables` writes them.

    Chapter 3 renders from these frames and appendix A from the CSVs they become, through the
    same functions (:mod:`analysis.present.models`).

    Parameters
    ----------
    results : mapping
        Primary model results by id.
    diagnostics : DataFrame, optional
        :func:`analysis.models.diagnostics.diagnostics_table` (``ch3_models_diagnostics``).

    Returns
    -------
    dict
        ``ch3_models_fixed``, ``ch3_models_random``, ``ch3_models_fit``, ``ch3_models_lrtests``
        and, with ``diagnostics``, ``ch3_models_diagnostics``; each with the declaration columns
        (:func:`with_spec_columns`).
    """
    specs = {m: r.spec for m, r in results.items()}
    tables = {
        "ch3_models_fixed": fixed_table(results),
        "ch3_models_random": random_table(results),
        "ch3_models_fit": fit_table(results),
        "ch3_models_lrtests": simulated_lr_table(results),
    }
    if diagnostics is not None:
        tables["ch3_models_diagnostics"] = diagnostics
    return {name: with_spec_columns(t, specs) for name, t in tables.items()}


def write_tables(
    folder: Path,
    results: Mapping[str, ModelResult],
    *,
    diagnostics: pd.DataFrame | None = None,
    exclusions: pd.DataFrame | None = None,
    sensitivity: object | None = None,
    note: str = "",
    metingen: Sequence[int] | None = None,
    figures: Mapping[str, pd.DataFrame] | None = None,
) -> list[Path]:
    """Write the tidy model CSVs via :func:`analysis.core.results.write_result`.

    Parameters
    ----------
    folder : Path
        ``<build>/results/models``.
    results : mapping
        Primary model results by id.
    diagnostics, exclusions : DataFrame, optional
    sensitivity : SensitivityResults, optional
        Its leave-one-location-out tables are written only when it holds LOLO fits (the build
        leaves them to :func:`write_lolo_tables`; an empty table never overwrites them).
    note : str
        Added as a ``note`` column to every table (e.g. the synthetic-data banner).
    metingen : sequence of int, optional
        Measurements the models span; stored with the published values so the reproduction
        check compares them only with figures over the same measurements.
    figures : mapping, optional
        The data behind each figure of chapter 3 (name -> table; ``ch3_fig_*``).

    Returns
    -------
    list of Path
    """
    vals = published_values(results)
    fixed_vals = {k: v for k, v in vals.items() if ".re_location." not in k}
    lr_vals = {k: v for k, v in vals.items() if ".re_location." in k}

    def put(name: str, table: pd.DataFrame, title: str, values: dict | None = None) -> Path:
        return _put(folder, name, table, title, note=note, values=values, metingen=metingen)

    tables = model_tables(results, diagnostics)
    paths = [
        put(
            "ch3_models_fixed",
            tables["ch3_models_fixed"],
            "Vaste effecten van de multilevelmodellen",
            fixed_vals,
        ),
        put("ch3_models_random", tables["ch3_models_random"], "Variantiecomponenten en ICC"),
        put("ch3_models_fit", tables["ch3_models_fit"], "Schatting, fit en waarschuwingen per model"),
        put(
            "ch3_models_lrtests",
            tables["ch3_models_lrtests"],
            "LR-toetsen van de random intercept per locatie (chibar2)",
            lr_vals,
        ),
    ]
    if diagnostics is not None:
        paths.append(
            put(
                "ch3_models_diagnostics",
                tables["ch3_models_diagnostics"],
                "Gesimuleerde geschaalde residuen: toetsen",
            )
        )
    if exclusions is not None:
        paths.append(put("ch3_models_exclusions", exclusions, "Uitgesloten rijen per analysebestand"))
    if sensitivity is not None:
        paths += [
            put("ch3_sens_estimates", sensitivity.estimates, "Gevoeligheidsanalyses: schattingen"),
            put("ch3_sens_lrtests", test_table(sensitivity), "Gevoeligheidsanalyses: LR-toetsen"),
        ]
        if not sensitivity.lolo.empty:
            paths += write_lolo_tables(folder, sensitivity.lolo, note=note)
    for name, table in (figures or {}).items():
        key = name.removeprefix("ch3_fig_").removeprefix("change_")
        paths.append(put(name, table, FIGURE_TITLES.get(key, "Gegevens achter een figuur van hoofdstuk 3")))
    return paths


def write_lolo_tables(folder: Path, lolo: pd.DataFrame, *, note: str = "") -> list[Path]:
    """Write the leave-one-location-out CSVs (``ch3_sens_lolo``, ``ch3_sens_lolo_range``).

    Parameters
    ----------
    folder : Path
        ``<build>/results/models``.
    lolo : DataFrame
        :func:`analysis.models.sensitivity.leave_one_location_out` output.
    note : str
        Added as a ``note`` column (e.g. the synthetic-data banner).

    Returns
    -------
    list of Path
    """
    specs = {s.model_id: s for s in lolo_specs()}
    tables = {
        "ch3_sens_lolo": with_spec_columns(lolo, specs),
        "ch3_sens_lolo_range": with_spec_columns(lolo_range(lolo), specs),
    }
    return [_put(folder, name, tables[name], title, note=note) for name, title in LOLO_TABLES.items()]
