"""Measurement 1 (and any extra measurement), sampled from the model around measurement 2.

Measurement 2 is fixed by the chapter-2 figures, so the cross-measurement contrasts of
Bijlage 3 are carried by measurement 1: its location rates, duration levels and room odds
are measurement 2's realised per-location values shifted by the published contrasts
(count rate ratio 0.38, duration ratio ~0.91, isolation-room duration 1.34, aggression in
isolation 1.93, isolation vs other room 1.55) plus the within-measurement monthly trends.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.synth import locations as L
from analysis.synth import model as M
from analysis.synth.measurement2 import calendar, finish
from analysis.synth.youths import cluster_assign, youth_sizes


@dataclass(frozen=True)
class Contrast:
    """How a measurement differs from measurement 2 (multiplicative, measurement X vs 2)."""

    rate: float = 2.82  #: count rate (per occupied place) vs measurement 2 (~1/0.38)
    month_slope: float = 0.88  #: within-measurement monthly rate ratio
    dur_other: float = 1.06  #: duration ratio, rooms other than isolation
    dur_iso_aggr: float = 0.50  #: duration ratio, aggression in the isolation room
    dur_iso_rest: float = 1.17  #: duration ratio, other reasons in the isolation room
    iso_both: float = 0.90  #: isolation/own odds ratio, sites with both room types
    other_both: float = 1.30  #: other/own odds ratio, sites with both room types
    iso_only: float = 1.25  #: isolation/own odds ratio, isolation-only sites
    other_only: float = 1 / 1.15  #: other/own odds ratio, other-room-only sites
    missing: float = 0.15  #: weight of 'not registered' (measurement 2: 0.07)
    occupancy: float = 1.03  #: occupancy level vs the base
    dur_trend: float = 0.04  #: monthly ln-duration trend, rooms other than isolation
    iso_trend: float = 0.06  #: monthly ln-duration trend, isolation room
    dur_spread: float = 1.6  #: scale of the resampled ln-duration residuals (published CI widths)
    dur_loc_spread: float = 1.5  #: scale of the location effects on ln(duration) (published chibar2)
    room_trend: float = 0.116  #: monthly log-odds trend, isolation up / other room down (both-room sites)
    single_trend: float = -0.04  #: the same trend at sites with only one of the two rooms
    youth_base: int = 0  #: youth numbers start at XX{youth_base + 1}


#: Extra synthetic measurements: the decline continues (rate x0.7 per year), otherwise as 2.
EXTRA = Contrast(
    rate=0.7,
    month_slope=0.97,
    dur_other=1.0,
    dur_iso_aggr=1.0,
    dur_iso_rest=1.0,
    iso_both=1.0,
    other_both=1.0,
    iso_only=1.0,
    other_only=1.0,
    missing=0.07,
    occupancy=0.97,
    youth_base=4000,
)
NB_ALPHA = 0.8  #: NB2 dispersion of location-month counts (the published count CIs' width)


def _counts(
    months: list[str],
    m2: pd.DataFrame,
    occ2: pd.DataFrame,
    occ: pd.DataFrame,
    con: Contrast,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Location-month counts: occupancy x location rate x monthly trend, NB2 noise."""
    rate2 = m2.groupby("locatie").size() / (occ2.groupby("locatie")["tienden"].sum() / 10)
    floor = 0.5 * rate2.median()  # why: the site that stopped secluding did seclude before
    rows = []
    for rec in occ.itertuples():
        t = months.index(rec.maand) - (len(months) - 1) / 2
        mu = rec.tienden / 10 * max(rate2.get(rec.locatie, floor), floor) * con.rate * con.month_slope**t
        lam = mu * rng.gamma(1 / NB_ALPHA, NB_ALPHA)
        # why: Poisson by inverse CDF of one uniform, so the draw moves smoothly with lam
        # (a calibration change of the rate keeps the same random numbers)
        rows.append((rec.locatie, months.index(rec.maand), int(stats.poisson.ppf(rng.random(), lam))))
    return pd.DataFrame(rows, columns=["locatie", "mi", "n"])


def _room_probs(m2: pd.DataFrame, con: Contrast) -> dict[str, np.ndarray]:
    """Per-location probabilities (own, other, isolation) from measurement 2 and the contrast."""
    out = {}
    for loc in L.locations():
        sub = m2[m2["locatie"] == loc.code]["ruimte"]
        own = (sub == 1).sum() + 0.5
        other = ((sub == 2).sum() + 0.5) if loc.other_room else 0.0
        iso = ((sub == 3).sum() + 0.5) if loc.isolation_rooms else 0.0
        both = loc.other_room and loc.isolation_rooms
        other *= con.other_both if both else con.other_only
        iso *= con.iso_both if both else con.iso_only
        p = np.array([own, other, iso])
        out[loc.code] = p / p.sum()
    return out


def _dur_model(m2: pd.DataFrame) -> tuple[dict[str, float], dict[int, float], dict[int, float], np.ndarray]:
    """Additive fit of ln(duration) in measurement 2: location, reason and room effects.

    A few sweeps of backfitting (why: no extra dependency, and exactness is not needed).
    Returns the effects and the residuals (resampled for measurement 1's noise).
    """
    d = m2[~m2["artefact"]]
    y = np.log(d["duur"].to_numpy(float))
    loc_e = pd.Series(0.0, index=L.codes())
    rea_e = pd.Series(0.0, index=range(7))
    room_e = pd.Series(0.0, index=range(4))
    lc, rc, mc = d["locatie"].to_numpy(), d["aanleiding"].to_numpy(), d["ruimte"].to_numpy()
    for _ in range(10):
        r = y - rea_e[rc].to_numpy() - room_e[mc].to_numpy()
        loc_e = pd.Series(r).groupby(lc).mean().reindex(L.codes(), fill_value=r.mean())
        r = y - loc_e[lc].to_numpy() - room_e[mc].to_numpy()
        rea_e = pd.Series(r).groupby(rc).mean().reindex(range(7), fill_value=0.0)
        r = y - loc_e[lc].to_numpy() - rea_e[rc].to_numpy()
        room_e = pd.Series(r).groupby(mc).mean().reindex(range(4), fill_value=0.0)
        room_e -= room_e[1]
    resid = y - loc_e[lc].to_numpy() - rea_e[rc].to_numpy() - room_e[mc].to_numpy()
    return loc_e.to_dict(), rea_e.to_dict(), room_e.to_dict(), resid


def _sample_codes(
    item: str,
    codes: list[int],
    reason: np.ndarray,
    room: np.ndarray,
    locs: np.ndarray,
    world: M.World,
    missing: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Sample codes (0 = missing) from the model weights (no exact counts needed here)."""
    logw = np.column_stack([M.base_logw(item, reason, room), np.full(len(reason), np.log(missing))])
    eff = np.vstack([world.logw(c, M.ITEM_SLOTS[item], 1.0) for c in locs]) if len(locs) else logw * 0
    logw = logw + 0.6 * eff[:, : logw.shape[1]]
    pick = np.argmax(logw + rng.gumbel(size=logw.shape), axis=1)
    return np.array(codes + [0])[pick]


def generate(
    months: list[str],
    m2: pd.DataFrame,
    occ2: pd.DataFrame,
    occ: pd.DataFrame,
    world: M.World,
    con: Contrast,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Registrations of one model-based measurement (internal frame as measurement 2)."""
    days, day_month = calendar(months)
    # why: one stream per model part (counts, rooms, durations), so a calibration change of one
    # part's parameters leaves the random draws of the others untouched (common random numbers)
    rng_c, rng_r, rng_d = (np.random.default_rng(int(s)) for s in rng.integers(0, 2**62, size=3))
    cnt = _counts(months, m2, occ2, occ, con, rng_c)
    df = pd.DataFrame(
        {
            "locatie": np.repeat(cnt["locatie"].to_numpy(), cnt["n"].to_numpy()),
            "mi": np.repeat(cnt["mi"].to_numpy(), cnt["n"].to_numpy()),
        }
    )
    n = len(df)
    pools = {j: np.where(day_month == j)[0] for j in range(len(months))}
    df["day"] = [int(pools[j][rng.integers(len(pools[j]))]) for j in df["mi"]]
    t = df["mi"].to_numpy() - (len(months) - 1) / 2
    probs = _room_probs(m2, con)
    both = {x.code for x in L.locations() if x.other_room and x.isolation_rooms}
    room = np.empty(n, dtype=int)
    for i, (c, tt) in enumerate(zip(df["locatie"], t)):
        rt = con.room_trend if c in both else con.single_trend
        p = probs[c] * np.exp(np.array([0.0, -rt, rt]) * tt)
        room[i] = 1 + rng_r.choice(3, p=p / p.sum())
    room[rng_r.random(n) < 0.015] = 0
    df["ruimte"] = room
    # reason given room: measurement 2's Figure 6 columns (same world, same mix)
    reason = np.empty(n, dtype=int)
    for rc in (0, 1, 2, 3):
        idx = np.where(room == rc)[0]
        pool = m2.loc[m2["ruimte"] == rc, "aanleiding"].to_numpy()
        reason[idx] = pool[rng_r.integers(len(pool), size=len(idx))]
    df["aanleiding"] = reason
    df["minute"] = M.sample_minutes(reason, rng)
    df["duur"], df["artefact"] = _durations(df, m2, con, len(months), rng_d)
    df.loc[df["artefact"], "minute"] = 0
    locs = df["locatie"].to_numpy()
    for item, codes in (
        ("doel", [1, 2, 3, 4, 5]),
        ("beheer_ruimte", [1, 2]),
        ("contact", [1, 2, 3]),
        ("evaluatie_1", [1, 2, 3]),
        ("aanvulling_jongere", [1, 2, 3, 4]),
    ):
        df[item] = _sample_codes(item, codes, reason, room, locs, world, con.missing, rng)
    ev = np.isin(df["evaluatie_1"].to_numpy(), [2, 3])
    e2 = _sample_codes("evaluatie_2", [1, 2], reason, room, locs, world, con.missing, rng)
    df["evaluatie_2"] = np.where(ev, e2, 0)
    df["nummer_jongere"] = _youth_ids(df, con.youth_base, rng)
    df["aanvulling_omschrijving"] = ""
    return finish(df, days)


def _durations(
    df: pd.DataFrame, m2: pd.DataFrame, con: Contrast, n_months: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """ln(duration) = measurement-2 effects + contrast + monthly trend + resampled residual."""
    loc_e, rea_e, room_e, resid = _dur_model(m2)
    reason, room = df["aanleiding"].to_numpy(), df["ruimte"].to_numpy()
    t = df["mi"].to_numpy() - (n_months - 1) / 2
    shift = np.where(room == 3, np.where(reason == 1, con.dur_iso_aggr, con.dur_iso_rest), con.dur_other)
    trend = np.where(room == 3, con.iso_trend, con.dur_trend) * t
    centre = float(np.mean(list(loc_e.values())))
    loc = {c: centre + con.dur_loc_spread * (v - centre) for c, v in loc_e.items()}
    mu = (
        df["locatie"].map(loc).to_numpy()
        + np.array([rea_e[r] for r in reason])
        + np.array([room_e[r] for r in room])
        + np.log(shift)
        + trend
    )
    d = np.exp(mu + con.dur_spread * resid[rng.integers(len(resid), size=len(df))])
    d = np.clip(np.where(rng.random(len(df)) < 0.6, np.round(d / 5) * 5, np.round(d)), 5, 1380).astype(int)
    art = rng.random(len(df)) < 0.004  # the 23:59 one-day artefact also occurs here
    d[art] = 1439
    return d, art


def _youth_ids(df: pd.DataFrame, base: int, rng: np.random.Generator) -> np.ndarray:
    """Youth numbers clustered in time, about 3.8 registrations per youth on average."""
    ids = np.full(len(df), "", dtype=object)
    for c in L.codes():
        idx = np.where(df["locatie"].to_numpy() == c)[0]
        if not len(idx):
            continue
        idx = idx[np.lexsort((df["minute"].to_numpy()[idx], df["day"].to_numpy()[idx]))]
        k = max(1, int(round(len(idx) / 3.8)))
        who = cluster_assign(len(idx), youth_sizes(len(idx), k, rng, cap=40), rng)
        ids[idx] = [f"{c}{base + w + 1:04d}" for w in who]
    return ids
