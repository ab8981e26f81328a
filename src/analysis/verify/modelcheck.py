"""Quick statsmodels stand-ins for the chapter-3 models (calibration only).

The stand-ins use the analysis frames of :mod:`analysis.models.frames` (same centred month,
same exclusions) and return, per published term, the estimate, its 95% CI and p, so the
twin's *uncertainty* can be compared with the published one in about a second:

* counts: NB2 GLM (alpha estimated) with location *fixed* effects and ln(occupancy) offset;
* durations: ``MixedLM`` with a location random intercept, ML (= ``lmer(REML = FALSE)``);
* rooms: logistic GLM with location fixed effects on the locations where both room groups of
  the contrast occur (the rule of the room models: a contrast is estimated only where both
  rooms exist).

statsmodels has no NB or logistic GLMM with ML, hence the fixed effects; with 6-18 groups of
tens to hundreds of rows the fixed and random intercept fits give nearly the same slopes and
standard errors. The models module fits the real specification in R
(:func:`glmm_fits`).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import pandas as pd

from analysis.core.intervals import wald


@dataclass(frozen=True)
class Estimate:
    """One exponentiated estimate with its 95% CI and two-sided p."""

    est: float
    lo: float
    hi: float
    p: float


def _est(b: float, se: float) -> Estimate:
    from scipy import stats

    return Estimate(
        math.exp(b),
        *(math.exp(bound) for bound in wald(b, se)),
        float(2 * stats.norm.sf(abs(b) / se)) if se > 0 else float("nan"),
    )


def _terms(fit, names: dict[str, str]) -> dict[str, Estimate]:
    """Published term name -> Estimate, from statsmodels params/bse (names: sm name -> term)."""
    return {
        term: _est(float(fit.params[k]), float(fit.bse[k])) for k, term in names.items() if k in fit.params
    }


_TERMS = {"month": "month", "meting[T.2]": "meting2", "month:meting[T.2]": "month_x_meting2"}


def _prep(df: pd.DataFrame) -> pd.DataFrame:
    d = df.copy()
    d["meting"] = d["meting"].astype(int)
    return d


def _nb(df: pd.DataFrame, rhs: str) -> dict[str, Estimate]:
    import statsmodels.formula.api as smf

    fit = smf.negativebinomial(f"n ~ {rhs} + C(locatie)", df, offset=df["log_occ"]).fit(disp=0, maxiter=300)
    return _terms(fit, _TERMS)


def _mixed(df: pd.DataFrame, rhs: str, names: dict[str, str] | None = None) -> dict[str, Estimate]:
    import statsmodels.formula.api as smf

    fit = smf.mixedlm(f"log_dur ~ {rhs}", df, groups=df["locatie"]).fit(reml=False)
    return _terms(fit, names or _TERMS)


def both_room_locations(df: pd.DataFrame) -> pd.DataFrame:
    """Rows of locations where both outcome values of a room contrast occur."""
    varied = df.groupby("locatie")["y"].transform(lambda s: s.nunique() > 1)
    return df[varied]


def _logit(df: pd.DataFrame, rhs: str) -> dict[str, Estimate]:
    import statsmodels.formula.api as smf

    d = both_room_locations(df)
    fit = smf.logit(f"y ~ {rhs} + C(locatie)", d).fit(disp=0, maxiter=300)
    return _terms(fit, _TERMS)


def _frames(reg: pd.DataFrame, occ: pd.DataFrame):
    from analysis.models.frames import build_frames

    return build_frames(reg, occ, metingen=[1, 2])


def model_estimates(reg: pd.DataFrame, occ: pd.DataFrame) -> dict[str, Estimate]:
    """Stand-in estimates keyed by published term (``ch3.<model>.<term>``)."""
    from analysis.models.frames import isolation_frame, reason_frame, room_frame

    out: dict[str, Estimate] = {}
    fr = _frames(reg, occ)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = _prep(fr.counts)
        c = c[c["occupancy"] > 0] if "occupancy" in c else c
        for k, rhs, term in (
            ("month", "month", "month"),
            ("meting", "C(meting)", "meting2"),
            ("interaction", "month * C(meting)", "month_x_meting2"),
        ):
            rhs_sm = rhs.replace("C(meting)", "meting")
            c2 = c.assign(meting=c["meting"].astype(str).map({"1": "1", "2": "2"}))
            res = _nb(c2, rhs_sm)
            out[f"ch3.count_{k}.{term}"] = res[term]
        d = _prep(fr.duration).assign(meting=lambda x: x["meting"].astype(str))
        iso = _prep(isolation_frame(fr)).assign(meting=lambda x: x["meting"].astype(str))
        for k, rhs, term in (
            ("month", "month", "month"),
            ("meting", "meting", "meting2"),
            ("interaction", "month * meting", "month_x_meting2"),
        ):
            out[f"ch3.dur_{k}.{term}"] = _mixed(d, rhs)[term]
            out[f"ch3.isodur_{k}.{term}"] = _mixed(iso, rhs)[term]
        rf = _prep(reason_frame(fr)).assign(meting=lambda x: x["meting"].astype(str))
        out["ch3.isodur_reason_meting.agressie"] = _mixed(
            rf, "C(reden) + C(reden):meting", {"C(reden)[agressie]:meting[T.2]": "agressie"}
        )["agressie"]
        for contrast in ("other_vs_own", "iso_vs_own", "iso_vs_other", "iso_vs_ownother"):
            r = _prep(room_frame(fr, contrast)).assign(meting=lambda x: x["meting"].astype(str))
            for k, rhs, term in (
                ("month", "month", "month"),
                ("meting", "meting", "meting2"),
                ("interaction", "month * meting", "month_x_meting2"),
            ):
                res = _logit(r, rhs)
                if term in res:
                    out[f"ch3.room_{contrast}_{k}.{term}"] = res[term]
    return out


def model_values(reg: pd.DataFrame, occ: pd.DataFrame) -> dict[str, float]:
    """Stand-in estimates keyed by the published ids (``ch3.*.est``, ``.ci_low``, ``.ci_high``, ``.p``)."""
    return flatten(model_estimates(reg, occ))


def flatten(est: dict[str, Estimate]) -> dict[str, float]:
    """``{term: Estimate}`` -> published ids with ``.est``, ``.ci_low``, ``.ci_high``, ``.p``."""
    out: dict[str, float] = {}
    for term, e in est.items():
        out.update({f"{term}.est": e.est, f"{term}.ci_low": e.lo, f"{term}.ci_high": e.hi, f"{term}.p": e.p})
    return out


def glmm_fits(processed, out_dir) -> tuple[dict[str, float], dict[str, str]]:
    """The real chapter-3 GLMMs (R, via the models module) on processed tables.

    Slow (R start-up and 22 fits plus LR tests); used by ``compendium synth --check --glmm``
    and the slow test tier.

    Returns
    -------
    values : dict
        ``ch3.<model>.<term>.<stat>`` -> value for every published model and term.
    verdicts : dict
        Model id -> fit-quality verdict code (:mod:`analysis.models.verdict`; ``ok`` when
        interpretable) for every model of the primary set, published or not.
    """
    from pathlib import Path

    from analysis.models import chapter3
    from analysis.models.tables import published_values

    res = chapter3.run(Path(processed), Path(out_dir), model_set="primary", nsim=50)
    return published_values(res.results), {mid: r.verdict.code for mid, r in res.results.items()}
