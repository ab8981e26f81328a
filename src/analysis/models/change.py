"""Data behind the figures of change: observed monthly values per measurement
beside the fitted line of the model with its 95% band, and the location effects.

Observed values per calendar month, over all locations in the model's data:

* counts: registrations per 10 youths of mean occupancy (``10 * sum(n) / sum(occupancy)``);
* durations: geometric mean duration in minutes (``exp(mean(ln minutes))``);
* room: share of the registrations in the first room of the contrast (``mean(y)``).

The fitted line is the fixed part of the interaction model (time x measurement) for a location
whose random effect is 0, on the outcome's scale (rate per 10 youths, geometric mean minutes,
probability); the 95% band is ``x'b +/- 1.96 sqrt(x'Vx)`` on the link scale, transformed back.
Pure pandas/numpy on a :class:`~analysis.models.fit.ModelResult`; no R.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from analysis.core.intervals import wald
from analysis.models.fit import ModelResult
from analysis.models.frames import AnalysisFrames, month_number

PER_OCCUPANCY = 10.0
"""Rates are shown per this many youths of mean occupancy."""

CHANGE_COLUMNS = ["kind", "meting", "maand", "month", "value", "low", "high", "n"]


def _maand(frames: AnalysisFrames, month_index: np.ndarray) -> list[str]:
    base = month_number(frames.first_month)
    return [f"{(base + int(i)) // 12:04d}-{(base + int(i)) % 12 + 1:02d}" for i in month_index]


def observed_monthly(frame: pd.DataFrame, group: str) -> pd.DataFrame:
    """Observed value per measurement and calendar month (see the module docstring).

    Parameters
    ----------
    frame : DataFrame
        The model's analysis frame (counts, duration-type or room frame).
    group : str
        ``count``, ``duration``, ``isoduration`` or ``room``.

    Returns
    -------
    DataFrame
        kind (``observed``), meting, maand, month, value, low, high (empty), n (rows).
    """
    keys = ["meting", "maand", "month"]
    g = frame.groupby(keys, sort=True)
    if group == "count":
        out = g.agg(events=("n", "sum"), occ=("occupancy", "sum"), n=("n", "size")).reset_index()
        out["value"] = PER_OCCUPANCY * out["events"] / out["occ"]
    elif group in ("duration", "isoduration"):
        out = g.agg(value=("log_dur", "mean"), n=("log_dur", "size")).reset_index()
        out["value"] = np.exp(out["value"])
    elif group == "room":
        out = g.agg(value=("y", "mean"), n=("y", "size")).reset_index()
    else:
        raise ValueError(f"no observed monthly value for group {group!r}")
    out = out.assign(kind="observed", low=np.nan, high=np.nan)
    return out[CHANGE_COLUMNS]


def design_row(r_terms: list[str], month: float, meting: str) -> np.ndarray:
    """Row of the fixed-effects design for R's treatment-coded terms of ``month * meting``."""

    def value(term: str) -> float:
        if term == "(Intercept)":
            return 1.0
        out = 1.0
        for part in term.split(":"):
            if part == "month":
                out *= month
            elif part.startswith("meting"):
                out *= float(part[len("meting") :] == str(meting))
            else:
                raise ValueError(f"cannot predict term {term!r}")
        return out

    return np.array([value(t) for t in r_terms])


def fitted_line(res: ModelResult, frames: AnalysisFrames, frame: pd.DataFrame) -> pd.DataFrame:
    """Fitted value and 95% band per measurement and month (random effect 0).

    Parameters
    ----------
    res : ModelResult
        A model of ``month`` and/or ``meting`` (not the reason model) with its ``vcov``.
    frames : AnalysisFrames
        For the calendar months.
    frame : DataFrame
        The model's data (months per measurement are taken from it).

    Returns
    -------
    DataFrame
        kind (``fitted``), meting, maand, month, value, low, high, n (empty); empty when the
        model failed or has no covariance matrix.
    """
    if res.status == "failed" or res.vcov.empty:
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    terms = list(res.fixed["r_term"])
    b = res.fixed["estimate"].to_numpy(float)
    V = res.vcov.loc[terms, terms].to_numpy(float)
    months = frame[["meting", "month"]].drop_duplicates().sort_values(["meting", "month"])
    rows = []
    for meting, month in months.itertuples(index=False):
        x = design_row(terms, float(month), str(meting))
        eta, se = float(x @ b), float(np.sqrt(max(x @ V @ x, 0.0)))
        rows.append((str(meting), float(month), eta, *wald(eta, se)))
    out = pd.DataFrame(rows, columns=["meting", "month", "eta", "lo", "hi"])
    if res.spec.group == "count":
        inv = lambda e: PER_OCCUPANCY * np.exp(e)  # noqa: E731 - rate per occupied place -> per 10
    elif res.spec.group == "room":
        inv = special.expit
    else:
        inv = np.exp
    out["value"], out["low"], out["high"] = inv(out["eta"]), inv(out["lo"]), inv(out["hi"])
    out["maand"] = _maand(frames, np.round(out["month"].to_numpy() + frames.month_centre).astype(int))
    out = out.assign(kind="fitted", n=np.nan)
    return out[CHANGE_COLUMNS]


def change_table(res: ModelResult, frames: AnalysisFrames, frame: pd.DataFrame) -> pd.DataFrame:
    """Observed monthly values and the fitted line of one outcome in one table (figure CSV).

    The fitted rows are left out when the model is not interpretable (its verdict): a figure
    does not draw a line from a model the text does not report.
    """
    obs = observed_monthly(frame, res.spec.group)
    fit = fitted_line(res, frames, frame) if res.interpretable else pd.DataFrame(columns=CHANGE_COLUMNS)
    out = pd.concat([obs, fit], ignore_index=True) if len(fit) else obs
    return out.assign(model_id=res.model_id, verdict=res.verdict.code)


def location_effects(results: dict[str, ModelResult]) -> pd.DataFrame:
    """Location effects (conditional modes, link scale) with 95% intervals per model.

    Returns
    -------
    DataFrame
        model_id, locatie, estimate, low, high, exp_est, exp_low, exp_high, verdict.
    """
    frames = []
    for mid, r in results.items():
        le = r.location_effects
        if r.status == "failed" or le is None or le.empty:
            continue
        f = pd.DataFrame(
            {"model_id": mid, "locatie": le["level"].astype(str), "estimate": le["estimate"].astype(float)}
        )
        f["low"], f["high"] = wald(f["estimate"], le["se"].astype(float).to_numpy())
        for c, e in (("estimate", "exp_est"), ("low", "exp_low"), ("high", "exp_high")):
            f[e] = np.exp(f[c])
        f["verdict"] = r.verdict.code
        frames.append(f)
    cols = ["model_id", "locatie", "estimate", "low", "high", "exp_est", "exp_low", "exp_high", "verdict"]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)
