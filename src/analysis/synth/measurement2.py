"""Measurement 2 (Sep 2020 - Feb 2021): allocated so chapter 2 is reproduced exactly.

Order of allocation (each step exact, later steps conditional on earlier ones):
location x month counts -> room per row (facilities respected) -> reason given room
(Figure 6) -> start time by reason (section 2.6) -> duration by rank within reason (Table 2)
-> youth numbers (section 2.1.1) -> purpose, lock, contact, debrief, youth view.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.synth import locations as L
from analysis.synth import model as M
from analysis.synth import targets as T
from analysis.synth.allocate import assign_exact, fill_table, largest_remainder
from analysis.synth.durations import ARTEFACT, assign_by_rank, duration_vector
from analysis.synth.youths import cluster_assign, span_rows, youth_sizes

ROOM_TREND = 0.025  #: per month: isolation up, other room down (log-odds vs own room)
#: Gamma (mean 1) noise on the location-month seed of the counts, as an NB2 dispersion: the
#: location x month cells keep both exact margins but vary around the smooth decline the way
#: the published count models' CIs imply (Bijlage 3 widths; docs/synthetic-twin.md).
COUNT_NOISE = 0.50
ROOM_SPREAD = 0.45  #: SD of the location effect on ln(odds) of the other and the isolation room
YOUTH_BASE = 2000  #: youth numbers of measurement 2 run from XX2001 (measurement 1 from XX0001)


def calendar(months: list[str]) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """All days of the period and the month index of each day."""
    first = pd.Timestamp(months[0] + "-01")
    last = pd.Timestamp(months[-1] + "-01") + pd.offsets.MonthEnd(0)
    days = pd.date_range(first, last, freq="D")
    ym = days.strftime("%Y-%m")
    return days, np.array([months.index(m) for m in ym])


def location_month_counts(months: list[str], rng: np.random.Generator) -> pd.DataFrame:
    """Registrations per location and month with exact location totals and monthly totals.

    The seed pattern declines ~5% per month within every location (steeper than the pooled
    300 -> 248, because the late starter adds registrations from November and the closing
    location stops in January); IPF and integer repair then hit both margins exactly.
    """
    codes = L.codes()
    seed = np.zeros((len(codes), len(months)))
    for i, c in enumerate(codes):
        act = L.active_months(c, months, 2)
        if c == L.NO_UNPLANNED:  # stops using unplanned seclusion after October 2020
            act = months[:2]
        slope = np.exp(-0.05 + rng.normal(0, 0.02))
        for m in act:
            seed[i, months.index(m)] = slope ** months.index(m) * rng.gamma(1 / COUNT_NOISE, COUNT_NOISE)
    rows = np.array([L.M2_TOTALS[c] for c in codes])
    table = fill_table(seed, rows, np.array(T.MONTHLY_M2))
    return pd.DataFrame(table, index=codes, columns=months)


def _rooms(df: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Room code per row (0 = not registered), respecting each location's facilities.

    Location x room counts are fitted to the room totals (Figure 4); within a location the
    isolation room gains on the other room month by month (Bijlage 3: isolation vs other
    room rises ~5% per month).
    """
    locs = {x.code: x for x in L.locations()}
    codes = L.codes()
    seed = np.zeros((len(codes), 4))  # own, other, isolation, missing
    # why: locations differ in how often they use a room (log-normal spread, SD ROOM_SPREAD);
    # without it every location has the same shares and the room models' location variance is
    # zero (a singular fit), unlike the published ones
    spread = np.exp(rng.normal(0, ROOM_SPREAD, size=(len(codes), 2)))
    for i, c in enumerate(codes):
        loc = locs[c]
        seed[i] = (1.0, 0.0, 0.0, 0.0 if c == L.NO_UNPLANNED else 0.008)
        if loc.other_room:
            seed[i, 1] = (0.10 if loc.isolation_rooms else 0.22) * spread[i, 0]
        if loc.isolation_rooms:
            seed[i, 2] = (0.45 if loc.other_room else 0.6) * spread[i, 1]
    totals = np.array([df["locatie"].eq(c).sum() for c in codes])
    cols = np.array([sum(T.ROOM_BY_REASON[r][k] for r in T.ROOM_BY_REASON) for k in range(4)])
    table = fill_table(seed, totals, cols)
    out = np.zeros(len(df), dtype=int)
    for i, c in enumerate(codes):
        idx = np.where(df["locatie"].to_numpy() == c)[0]
        mi = df["mi"].to_numpy()[idx]
        logw = np.log(np.tile(np.maximum(seed[i], 1e-300), (len(idx), 1)))
        logw[:, 1] -= ROOM_TREND * mi
        logw[:, 2] += ROOM_TREND * mi
        logw[:, seed[i] == 0] = -np.inf
        out[idx] = np.array([1, 2, 3, 0])[assign_exact(logw, table[i], rng)]
    return out


def _reasons(room: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Reason per row (0 = not registered) with the Figure 6 room x reason table."""
    out = np.zeros(len(room), dtype=int)
    for k, rcode in enumerate((1, 2, 3, 0)):
        idx = np.where(room == rcode)[0]
        reasons = np.concatenate([[r] * T.ROOM_BY_REASON[r][k] for r in sorted(T.ROOM_BY_REASON)])
        out[idx] = rng.permutation(reasons)
    return out


def _durations(
    df: pd.DataFrame, world: M.World, values: dict[str, float], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Duration (minutes) per row and the artefact flag (Table 2, exact per reason).

    The latent model: location level + room (isolation longer) + month (isolation rising
    ~4%/month, others ~-1%/month) + noise; the exact vector is given out by its rank.
    """
    n = len(df)
    dur = np.zeros(n, dtype=int)
    art = np.zeros(n, dtype=bool)
    room, mi = df["ruimte"].to_numpy(), df["mi"].to_numpy()
    latent = (
        df["locatie"].map(world.dur_level).to_numpy()
        + 0.35 * (room == 3)
        + 0.15 * (room == 2)
        + np.where(room == 3, 0.04, -0.01) * mi
        + rng.normal(0, 1.0, n)
    )
    for r in (1, 2, 3, 4, 5, 6, 0):
        idx = np.where(df["aanleiding"].to_numpy() == r)[0]
        if r == 0:  # reason not registered: not in Table 2; drawn from the pooled model
            dur[idx] = np.clip(np.round(np.exp(3.9 + latent[idx]) / 5) * 5, 5, 1380).astype(int)
            continue
        k = T.ARTEFACTS_BY_REASON.get(r, 0)
        vec = duration_vector(
            len(idx), *(int(values[f"ch2.tab02.{s}.{r}"]) for s in ("min", "max", "mean", "median")), k, rng
        )
        arts = rng.choice(idx, size=k, replace=False) if k else np.array([], dtype=int)
        rest = np.setdiff1d(idx, arts)
        art[arts] = True
        dur[arts] = ARTEFACT
        dur[rest] = assign_by_rank(vec[vec != ARTEFACT] if k else vec, latent[rest])
    return dur, art


def _youths(
    df: pd.DataFrame, day_month: np.ndarray, values: dict[str, float], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Youth numbers per row and (possibly moved) day numbers (section 2.1.1, exact)."""
    ids = np.full(len(df), "", dtype=object)
    day = df["day"].to_numpy().copy()
    with_id = [c for c in L.codes() if c != L.NO_YOUTH_ID]
    rows = np.array([df["locatie"].eq(c).sum() for c in with_id])
    n_youths = largest_remainder(rows**0.9, int(values["ch2.s2_1_1.n.youths"]))
    for c, k in zip(with_id, n_youths):
        idx = np.where(df["locatie"].to_numpy() == c)[0]
        idx = idx[np.lexsort((df["minute"].to_numpy()[idx], day[idx]))]
        who = np.full(len(idx), -1)
        start = 0
        if c == L.MAX_YOUTH_LOC:  # the youth with 38 registrations over 149 days
            top = int(values["ch2.s2_1_1.max.per_youth"])
            pick, moved, new_day = span_rows(
                day[idx], day_month, int(values["ch2.s2_1_1.days.max_youth_span"]), top, rng
            )
            day[idx[moved]] = new_day
            who[pick] = 0
            start, k = 1, k - 1
        free = np.where(who < 0)[0]
        sizes = youth_sizes(len(free), k, rng)
        who[free] = start + cluster_assign(len(free), sizes, rng)
        ids[idx] = [f"{c}{YOUTH_BASE + w + 1:04d}" for w in who]
    return ids, day


def _categoricals(
    df: pd.DataFrame, world: M.World, values: dict[str, float], rng: np.random.Generator
) -> None:
    """Purpose, lock, contact, debrief (both items) and youth view: exact counts."""
    reason, room = df["aanleiding"].to_numpy(), df["ruimte"].to_numpy()
    locs = df["locatie"].to_numpy()
    spec = {
        "doel": ("ch2.fig03", [1, 2, 3, 4, 5], 0.4),
        "beheer_ruimte": ("ch2.fig05", [1, 2], 0.8),
        "contact": ("ch2.fig09", [1, 2, 3], 0.5),
        "evaluatie_1": ("ch2.fig10", [1, 2, 3], 1.0),
    }
    for item, (prefix, codes, sd) in spec.items():
        counts = T.category_counts(prefix, codes, values)
        df[item] = _allocate(item, codes, counts, np.arange(len(df)), reason, room, locs, world, sd, rng)
    # evaluatie_2 only where a debrief was held or planned (n = 1153); elsewhere empty.
    ev = np.where(np.isin(df["evaluatie_1"].to_numpy(), [2, 3]))[0]
    e2 = np.zeros(len(df), dtype=int)
    counts = T.category_counts("ch2.fig11", [1, 2], values)
    e2[ev] = _allocate("evaluatie_2", [1, 2], counts, ev, reason, room, locs, world, 1.0, rng)
    df["evaluatie_2"] = e2
    counts = T.youth_view_counts(values)
    df["aanvulling_jongere"] = _allocate(
        "aanvulling_jongere", [1, 2, 3, 4], counts, np.arange(len(df)), reason, room, locs, world, 1.2, rng
    )


def _allocate(
    item: str,
    codes: list[int],
    counts: dict[int | None, int],
    idx: np.ndarray,
    reason: np.ndarray,
    room: np.ndarray,
    locs: np.ndarray,
    world: M.World,
    sd: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Allocate codes (0 = missing) to rows ``idx`` with exact counts and model weights."""
    base = M.base_logw(item, reason[idx], room[idx])
    logw = np.column_stack([base, np.full(len(idx), np.log(0.07))])
    eff = np.vstack([world.logw(c, M.ITEM_SLOTS[item], sd) for c in locs[idx]])
    logw = logw + eff[:, : logw.shape[1]]
    need = np.array([counts[c] for c in codes] + [counts[None]])
    got = assign_exact(logw, need, rng)
    return np.array(codes + [0])[got]


def generate(
    months: list[str], world: M.World, values: dict[str, float], rng: np.random.Generator
) -> pd.DataFrame:
    """All measurement-2 registrations (internal frame: codes as int, 0 = not registered).

    Returns
    -------
    DataFrame
        ``locatie, nummer_jongere, start, duur, artefact`` and the codebook items.
    """
    days, day_month = calendar(months)
    counts = location_month_counts(months, rng)
    loc, mi = [], []
    for c in counts.index:
        for j, m in enumerate(months):
            loc += [c] * int(counts.loc[c, m])
            mi += [j] * int(counts.loc[c, m])
    df = pd.DataFrame({"locatie": loc, "mi": np.array(mi)})
    day_pool = {j: np.where(day_month == j)[0] for j in range(len(months))}
    df["day"] = [int(rng.choice(day_pool[j])) for j in df["mi"]]
    df["ruimte"] = _rooms(df, rng)
    df["aanleiding"] = _reasons(df["ruimte"].to_numpy(), rng)
    df["minute"] = M.sample_minutes(df["aanleiding"].to_numpy(), rng)
    df["duur"], df["artefact"] = _durations(df, world, values, rng)
    df.loc[df["artefact"], "minute"] = 0  # a whole day entered: 00:00 - 23:59 on one date
    df["nummer_jongere"], df["day"] = _youths(df, day_month, values, rng)
    _categoricals(df, world, values, rng)
    df["aanvulling_omschrijving"] = ""
    wants = np.where(df["aanvulling_jongere"].to_numpy() == 4)[0]
    n_text = int(values.get("ch2.s2_9.n.addition_filled", 2))
    df.loc[df.index[wants[:n_text]], "aanvulling_omschrijving"] = "Synthetische aanvulling (geen echte tekst)"
    return finish(df, days)


def finish(df: pd.DataFrame, days: pd.DatetimeIndex) -> pd.DataFrame:
    """Start timestamps, unique starts per location, ends inside the period; sorted."""
    df = df.copy()
    period_end = days[-1] + pd.Timedelta(days=1)
    start = days[df["day"].to_numpy()] + pd.to_timedelta(df["minute"].to_numpy(), unit="min")
    df["start"] = start
    # why: a seclusion that would end after the period is moved one or two days earlier
    # (same month) so no registration spills over the measurement's end
    over = (df["start"] + pd.to_timedelta(df["duur"], unit="min")) >= period_end
    df.loc[over, "start"] -= pd.Timedelta(days=2)
    # why: ingest flags duplicates (same location, youth, start); real exports have none
    for _ in range(50):
        df = df.sort_values(["locatie", "start", "artefact"], ascending=[True, True, False], kind="stable")
        shift = df.groupby(["locatie", "start"]).cumcount().to_numpy()
        if not shift.any():
            break
        df["start"] += pd.to_timedelta(shift, unit="min")
    df = df.sort_values(["locatie", "start"], kind="stable").reset_index(drop=True)
    return df.drop(columns=["day", "minute", "mi"])
