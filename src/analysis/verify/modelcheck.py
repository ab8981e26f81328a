"""Quick statsmodels stand-ins for the chapter-3 models (calibration only).

Location random intercepts are replaced by location fixed effects for the count and room
models (statsmodels has no NB or logistic GLMM with ML); durations use ``MixedLM`` (ML).
The point estimates are close to the GLMMs' when groups are as large as here; the models
module fits the real specification in R.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd


def month_index(maand: pd.Series) -> pd.Series:
    """Calendar months since September 2019 (runs across measurements)."""
    y = maand.str.slice(0, 4).astype(int)
    m = maand.str.slice(5, 7).astype(int)
    return (y - 2019) * 12 + m - 9


def count_frame(reg: pd.DataFrame, occ: pd.DataFrame) -> pd.DataFrame:
    """One row per location-month with occupancy (zero counts kept)."""
    n = reg.groupby(["meting", "locatie", "maand"]).size().rename("n").reset_index()
    df = occ.merge(n, on=["meting", "locatie", "maand"], how="left").fillna({"n": 0})
    df = df[df["meting"].isin([1, 2])].copy()
    df["month"] = month_index(df["maand"])
    df["m2"] = (df["meting"] == 2).astype(int)
    df["log_occ"] = np.log(df["gemiddelde_bezetting"].astype(float))
    return df


def _nb(df: pd.DataFrame, rhs: str) -> dict[str, float]:
    import statsmodels.formula.api as smf

    fit = smf.negativebinomial(f"n ~ {rhs} + C(locatie)", df, offset=df["log_occ"]).fit(disp=0, maxiter=200)
    return {k: float(np.exp(fit.params[k])) for k in ("month", "m2", "month:m2") if k in fit.params}


def _mixed(df: pd.DataFrame, rhs: str) -> dict[str, float]:
    import statsmodels.formula.api as smf

    fit = smf.mixedlm(f"y ~ {rhs}", df, groups=df["locatie"]).fit(reml=False)
    return {k: float(np.exp(fit.params[k])) for k in ("month", "m2", "month:m2") if k in fit.params}


def _logit(df: pd.DataFrame, rhs: str) -> dict[str, float]:
    import statsmodels.formula.api as smf

    varied = df.groupby("locatie")["y"].transform(lambda s: s.nunique() > 1)
    d = df[varied]
    fit = smf.logit(f"y ~ {rhs} + C(locatie)", d).fit(disp=0, maxiter=200)
    return {k: float(np.exp(fit.params[k])) for k in ("month", "m2") if k in fit.params}


def model_values(reg: pd.DataFrame, occ: pd.DataFrame) -> dict[str, float]:
    """Stand-in estimates keyed by the published ids (``ch3.*.est``)."""
    out: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = count_frame(reg, occ)
        out["ch3.count_month.month.est"] = _nb(c, "month")["month"]
        out["ch3.count_meting.meting2.est"] = _nb(c, "m2")["m2"]
        out["ch3.count_interaction.month_x_meting2.est"] = _nb(c, "month * m2")["month:m2"]
        r = reg[reg["meting"].isin([1, 2]) & reg["duur_min"].gt(0)].copy()
        r["month"] = month_index(r["maand"])
        r["m2"] = (r["meting"] == 2).astype(int)
        r["y"] = np.log(r["duur_min"].astype(float))
        out["ch3.dur_month.month.est"] = _mixed(r, "month")["month"]
        out["ch3.dur_meting.meting2.est"] = _mixed(r, "m2")["m2"]
        out["ch3.dur_interaction.month_x_meting2.est"] = _mixed(r, "month * m2")["month:m2"]
        iso = r[r["ruimte"] == 3]
        out["ch3.isodur_month.month.est"] = _mixed(iso, "month")["month"]
        out["ch3.isodur_meting.meting2.est"] = _mixed(iso, "m2")["m2"]
        out["ch3.isodur_reason_meting.agressie.est"] = _mixed(iso[iso["aanleiding"] == 1], "m2")["m2"]
        for name, pos, neg in (("iso_vs_other", 3, 2), ("other_vs_own", 2, 1), ("iso_vs_own", 3, 1)):
            d = r[r["ruimte"].isin([pos, neg])].copy()
            d["y"] = (d["ruimte"] == pos).astype(int)
            out[f"ch3.room_{name}_meting.meting2.est"] = _logit(d, "m2")["m2"]
            out[f"ch3.room_{name}_month.month.est"] = _logit(d, "month")["month"]
    return out
