"""Tidy CSVs of the chapter-3 models (results contract) and the published-id values.

Published ids are ``ch3.<model>.<term>.<stat>``: ``est`` (exp scale), ``ci_low``, ``ci_high``
and ``p`` for the fixed terms ``month``, ``meting2``, ``month_x_meting2`` (and ``agressie`` in
``isodur_reason_meting``); ``chibar2`` and ``p`` for the term ``re_location`` (LR test of the
location random intercept).

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
from analysis.models.sensitivity import lolo_range
from analysis.models.spec import PUBLISHED_TERMS
from analysis.core.numbers import round_half_up
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
        frames.append(f)
    cols = [
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
    ]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


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
            }
        )
    return pd.DataFrame(rows)


def lr_table(tests: list[LRTest]) -> pd.DataFrame:
    """LR tests (statistic, reference distribution, p)."""
    cols = ["model_id", "name", "loglik_full", "loglik_reduced", "lr", "df", "boundary", "reference", "p"]
    return pd.DataFrame([{c: getattr(t, c) for c in cols} for t in tests], columns=cols)


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

    paths = [
        put("ch3_models_fixed", fixed_table(results), "Vaste effecten van de multilevelmodellen", fixed_vals),
        put("ch3_models_random", random_table(results), "Variantiecomponenten en ICC"),
        put("ch3_models_fit", fit_table(results), "Schatting, fit en waarschuwingen per model"),
        put(
            "ch3_models_lrtests",
            lr_table(primary_tests(results)),
            "LR-toetsen van de random intercept per locatie (chibar2)",
            lr_vals,
        ),
    ]
    if diagnostics is not None:
        paths.append(put("ch3_models_diagnostics", diagnostics, "Gesimuleerde geschaalde residuen: toetsen"))
    if exclusions is not None:
        paths.append(put("ch3_models_exclusions", exclusions, "Uitgesloten rijen per analysebestand"))
    if sensitivity is not None:
        paths += [
            put("ch3_sens_estimates", sensitivity.estimates, "Gevoeligheidsanalyses: schattingen"),
            put("ch3_sens_lrtests", lr_table(sensitivity.tests), "Gevoeligheidsanalyses: LR-toetsen"),
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
    tables = {"ch3_sens_lolo": lolo, "ch3_sens_lolo_range": lolo_range(lolo)}
    return [_put(folder, name, tables[name], title, note=note) for name, title in LOLO_TABLES.items()]


def display_table(results: Mapping[str, ModelResult], decimals: int = 2) -> pd.DataFrame:
    """Rounded, report-style table (exp(b), 95% CI bounds, p; chibar2) for the notebook.

    Numbers stay numbers (rounded half-up); text formatting is the present stage's job
    (:mod:`analysis.present.format`).
    """
    fx = fixed_table(results)
    fx = fx[fx["term"] != "intercept"]
    out = pd.DataFrame(
        {
            "model": fx["model_id"],
            "term": fx["term"],
            "exp(b)": fx["exp_est"].map(lambda x: round_half_up(x, decimals)),
            "BI onder": fx["exp_ci_low"].map(lambda x: round_half_up(x, decimals)),
            "BI boven": fx["exp_ci_high"].map(lambda x: round_half_up(x, decimals)),
            "p": fx["p"].map(lambda x: round_half_up(x, 3)),
        }
    )
    lr = lr_table(primary_tests(results)).set_index("model_id")
    out["chibar2"] = out["model"].map(lr["lr"]).map(lambda x: x if pd.isna(x) else round_half_up(x, decimals))
    status = {k: r.status for k, r in results.items()}
    out["status"] = out["model"].map(status)
    return out.reset_index(drop=True)
