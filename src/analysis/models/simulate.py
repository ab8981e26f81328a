"""Simulate processed tables (registrations, occupancy, locations) with known model parameters.

Used by the tests (parameter recovery, CI coverage, LR null distribution) and the benchmark
until the synthetic twin exists. The data-generating models are the *interaction* models of
chapter 3 with a random intercept per location (and per youth for durations):

* counts: NB2 with log mean ``b0 + b_m month + b_2 meting2 + b_x month*meting2 + u_l + ln(occ)``;
* ln(duration): normal with the same fixed structure, location and youth intercepts;
* room: P(isolation) logistic; given not isolation, P(other room) logistic (so the
  ``iso_vs_ownother`` and ``other_vs_own`` contrasts are correctly specified).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.models.frames import month_number


@dataclass(frozen=True)
class Fixed:
    """Fixed effects of one outcome (log or logit scale) and the location random-intercept SD."""

    intercept: float
    month: float
    meting2: float
    month_x_meting2: float
    sd_location: float


@dataclass(frozen=True)
class SimParams:
    """Design and true parameters of a simulated data set (defaults: twin size, ~5,600 rows)."""

    n_locations: int = 18
    first_months: tuple[str, ...] = ("2019-09", "2020-09")
    n_months: int = 6
    occupancy: tuple[float, float] = (10.0, 30.0)
    count: Fixed = Fixed(np.log(1.5), -0.05, -0.4, 0.02, 0.5)
    theta: float = 4.0
    duration: Fixed = Fixed(np.log(30.0), -0.01, -0.1, 0.02, 0.4)
    sigma: float = 0.9
    sd_youth: float = 0.3
    iso: Fixed = Fixed(-1.0, 0.02, 0.2, 0.0, 0.8)
    other: Fixed = Fixed(-0.5, -0.01, -0.1, 0.0, 0.6)
    youths_per_location: int = 12
    p_missing_youth: float = 0.05
    p_missing_end: float = 0.03
    p_flag_2359: float = 0.02
    reasons: tuple[float, ...] = field(default=(0.5, 0.3, 0.1, 0.1))

    @property
    def metingen(self) -> list[int]:
        """Measurement numbers 1..k."""
        return list(range(1, len(self.first_months) + 1))

    def months(self) -> dict[int, list[str]]:
        """Months per measurement."""
        out = {}
        for m, first in zip(self.metingen, self.first_months):
            start = month_number(first)
            out[m] = [f"{(start + i) // 12:04d}-{(start + i) % 12 + 1:02d}" for i in range(self.n_months)]
        return out


def _linpred(f: Fixed, month: np.ndarray, meting: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Linear predictor; every measurement after the first gets the ``meting2`` effects."""
    later = (meting > 1).astype(float)
    return f.intercept + f.month * month + f.meting2 * later + f.month_x_meting2 * month * later + u


def simulate_grid(p: SimParams, rng: np.random.Generator) -> pd.DataFrame:
    """Location-month grid with occupancy, centred month and true counts."""
    rows = [
        (m, f"L{loc + 1:02d}", ym)
        for m, months in p.months().items()
        for loc in range(p.n_locations)
        for ym in months
    ]
    g = pd.DataFrame(rows, columns=["meting", "locatie", "maand"])
    g["gemiddelde_bezetting"] = np.round(rng.uniform(*p.occupancy, len(g)), 1)
    idx = month_number(g["maand"]) - month_number(p.first_months[0])
    g["month"] = idx - idx.mean()
    loc = g["locatie"].str[1:].astype(int).to_numpy() - 1
    u = rng.normal(0, p.count.sd_location, p.n_locations)[loc]
    mu = np.exp(
        _linpred(p.count, g["month"].to_numpy(), g["meting"].to_numpy(), u)
        + np.log(g["gemiddelde_bezetting"].to_numpy())
    )
    g["n"] = rng.negative_binomial(p.theta, p.theta / (p.theta + mu))
    return g


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def simulate_registrations(p: SimParams, grid: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """One row per registration in the processed-table contract."""
    reg = grid.loc[grid.index.repeat(grid["n"]), ["meting", "locatie", "maand", "month"]].reset_index(
        drop=True
    )
    n = len(reg)
    loc = reg["locatie"].str[1:].astype(int).to_numpy() - 1
    month, meting = reg["month"].to_numpy(), reg["meting"].to_numpy()
    youth = rng.integers(0, p.youths_per_location, n)
    yid = np.char.add(
        np.char.add(reg["locatie"].to_numpy().astype(str), "-M"),
        np.char.add(meting.astype(str), np.char.add("-Y", youth.astype(str))),
    )
    codes, yidx = np.unique(yid, return_inverse=True)
    v_youth = rng.normal(0, p.sd_youth, len(codes))[yidx]
    u = {
        k: rng.normal(0, getattr(p, k).sd_location, p.n_locations)[loc] for k in ("duration", "iso", "other")
    }
    log_dur = _linpred(p.duration, month, meting, u["duration"]) + v_youth + rng.normal(0, p.sigma, n)
    iso = rng.random(n) < _logistic(_linpred(p.iso, month, meting, u["iso"]))
    other = rng.random(n) < _logistic(_linpred(p.other, month, meting, u["other"]))
    ruimte = np.where(iso, 3, np.where(other, 2, 1))
    first = pd.to_datetime(reg["maand"] + "-01")
    start = first + pd.to_timedelta(rng.uniform(0, 27 * 24 * 60, n).round(), unit="min")
    dur = np.round(np.exp(log_dur), 3)
    dur[rng.random(n) < p.p_missing_end] = np.nan
    out = pd.DataFrame(
        {
            "meting": meting.astype(int),
            "locatie": reg["locatie"].astype(str),
            "jongere": pd.Series(yid, dtype=object).where(rng.random(n) >= p.p_missing_youth, None),
            "start": start,
            "eind": start + pd.to_timedelta(dur, unit="min"),
            "maand": reg["maand"].astype(str),
            "uur": start.dt.hour.astype(int),
            "duur_min": dur,
            "aanleiding": pd.array(
                rng.choice(np.arange(1, len(p.reasons) + 1), n, p=p.reasons), dtype="Int64"
            ),
            "ruimte": pd.array(ruimte, dtype="Int64"),
        }
    )
    for flag in (
        "vlag_duur_2359",
        "vlag_eind_voor_start",
        "vlag_duur_boven_24u",
        "vlag_buiten_periode",
        "vlag_dubbel",
    ):
        out[flag] = False
    out["vlag_duur_2359"] = rng.random(n) < p.p_flag_2359
    out["vlag_duur_boven_24u"] = out["duur_min"].fillna(0) > 24 * 60
    return out


def simulate(p: SimParams | None = None, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Simulate registrations, occupancy and locations tables.

    Parameters
    ----------
    p : SimParams, optional
        Design and true parameters (default: twin size).
    seed : int
        Seed of numpy's default generator.

    Returns
    -------
    dict
        ``registrations``, ``occupancy``, ``locations`` frames (processed-table contract).
    """
    p = p or SimParams()
    rng = np.random.default_rng(seed)
    grid = simulate_grid(p, rng)
    reg = simulate_registrations(p, grid, rng)
    months = [m for ms in p.months().values() for m in ms]
    locs = pd.DataFrame(
        {
            "locatie": [f"L{i + 1:02d}" for i in range(p.n_locations)],
            "eerste_maand": min(months),
            "laatste_maand": max(months),
        }
    )
    return {
        "registrations": reg,
        "occupancy": grid[["meting", "locatie", "maand", "gemiddelde_bezetting"]].copy(),
        "locations": locs,
    }


def write_processed(folder: Path, p: SimParams | None = None, seed: int = 0) -> Path:
    """Write simulated ``registrations/occupancy/locations.parquet`` into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in simulate(p, seed).items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    return folder
