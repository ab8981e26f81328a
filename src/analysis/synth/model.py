"""The one generating model shared by all measurements.

Location effects (seclusion rate, duration level, missingness habits), time-of-day shapes
per reason and category weights live here so measurement 1, measurement 2 and any extra
measurement draw from the same world. Measurement 2 is then *allocated* to hit the published
counts exactly; measurement 1 is *sampled* from the model around it (see measurement1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.synth import locations as L

REASONS = (1, 2, 3, 4, 5, 6)

#: Category weights given the reason (rows: reason 0 = missing, 1..6; columns: codes).
#: Why: aggression -> safety of others / consequence; self-harm -> safety of the youth;
#: rest moment -> calming down; order/rules -> consequence (the most frequent purpose).
DOEL_BY_REASON: dict[int, tuple[float, ...]] = {
    0: (1, 1, 1, 1, 0.3),
    1: (0.6, 2.0, 2.2, 1.2, 0.2),
    2: (0.3, 0.4, 4.0, 0.9, 0.3),
    3: (5.0, 0.3, 0.2, 1.5, 0.2),
    4: (1, 1, 0.5, 1, 2),
    5: (0.3, 0.2, 0.8, 3.0, 0.4),
    6: (0.5, 0.6, 2.5, 0.8, 1.0),
}
#: Probability the door is locked, by room (own, other, isolation, missing).
LOCKED_BY_ROOM: dict[int, float] = {1: 0.40, 2: 0.70, 3: 0.97, 0: 0.5}
#: Contact weights (no contact, refused, took place) by reason.
CONTACT_BY_REASON: dict[int, tuple[float, ...]] = {
    0: (1, 1, 8),
    1: (1.6, 1.4, 8),
    2: (0.5, 1.0, 8),
    3: (2.5, 1.0, 8),
    4: (0.5, 0.5, 8),
    5: (0.5, 1.0, 8),
    6: (0.8, 1.0, 8),
}


def _bump(h: np.ndarray, centre: float, sd: float, height: float) -> np.ndarray:
    return height * np.exp(-0.5 * ((h - centre) / sd) ** 2)


def hour_density(reason: int) -> np.ndarray:
    """Weights of the 48 half-hour bins of the day for one reason (section 2.6 shapes).

    A day curve rising from 07:00 (youths get up 07:00-08:00) and falling after the night
    rest (20:45-22:00), plus reason-specific peaks: aggression and order/rules around 18:00,
    order/rules 20:00-21:00, staffing around 15:00, self-harm 21:00-22:00, 'other' bumps at
    07:30, 09:00, 15:00 and 20:00; rest moments spread over the day.
    """
    h = np.arange(48) / 2 + 0.25
    rise = 1 / (1 + np.exp(-(h - 8.0) * 2.0))
    fall = 1 / (1 + np.exp((h - 22.0) * 2.5))
    day = 0.03 + (0.25 + 0.045 * np.clip(h - 7, 0, None)) * rise * fall
    if reason == 1:
        w = day + _bump(h, 18.0, 0.6, 0.9) + _bump(h, 20.5, 0.6, 0.45)
    elif reason == 2:
        w = day + _bump(h, 18.0, 0.6, 0.7) + _bump(h, 20.5, 0.45, 1.3)
    elif reason == 3:
        w = 0.6 * day + 0.15 * rise * fall * (1 + np.sin(h)) + _bump(h, 21.5, 0.4, 1.2)
    elif reason == 4:
        w = 0.2 * day + _bump(h, 15.0, 0.5, 2.0)
    elif reason == 5:
        w = 0.05 + 0.6 * rise * fall
    elif reason == 6:
        w = 0.6 * day + sum(_bump(h, c, 0.3, 0.7) for c in (7.5, 9.0, 15.0, 20.0))
    else:
        w = day
    return w / w.sum()


@dataclass(frozen=True)
class World:
    """Location-level effects drawn once per seed and shared by all measurements."""

    dur_level: dict[str, float]  #: location shift of ln(duration)
    cat_effect: dict[str, np.ndarray]  #: location shift of log-weights (missing, eval, ...)

    @staticmethod
    def draw(rng: np.random.Generator) -> "World":
        """Draw the location effects."""
        codes = L.codes()
        dur = dict(zip(codes, rng.normal(0, 0.45, len(codes))))
        cats = {c: rng.normal(0, 1, 32) for c in codes}
        return World(dur, cats)

    def logw(self, code: str, slot: slice, sd: float) -> np.ndarray:
        """Location shift of the log-weights of one categorical item."""
        return self.cat_effect[code][slot] * sd


#: Slices of World.cat_effect per item (why: independent location habits per item).
ITEM_SLOTS: dict[str, slice] = {
    "doel": slice(0, 6),
    "beheer_ruimte": slice(6, 9),
    "contact": slice(9, 13),
    "evaluatie_1": slice(13, 17),
    "evaluatie_2": slice(17, 20),
    "aanvulling_jongere": slice(20, 25),
}


def base_logw(item: str, reason: np.ndarray, room: np.ndarray) -> np.ndarray:
    """Log-weights (n, K) of the registered codes of ``item`` (missing column added later)."""
    n = len(reason)
    if item == "doel":
        return np.log(np.array([DOEL_BY_REASON[int(r)] for r in reason]))
    if item == "beheer_ruimte":
        p = np.array([LOCKED_BY_ROOM[int(r)] for r in room])
        return np.log(np.column_stack([1 - p, p]))
    if item == "contact":
        return np.log(np.array([CONTACT_BY_REASON[int(r)] for r in reason], dtype=float))
    if item == "evaluatie_1":
        return np.log(np.tile([0.25, 0.14, 0.61], (n, 1)))
    if item == "evaluatie_2":
        return np.log(np.tile([0.3, 0.7], (n, 1)))
    if item == "aanvulling_jongere":
        return np.log(np.tile([0.88, 0.04, 0.07, 0.005], (n, 1)))
    raise KeyError(item)


#: Reasons whose half-hour bins are allocated by quota instead of drawn: 'anders' has four
#: narrow published bumps (07:30, 09:00, 15:00, 20:00) on a few hundred registrations, so a
#: random draw moves its hourly peaks by an hour or two from seed to seed.
QUOTA_REASONS = (6,)


def quota_bins(drawn: np.ndarray, density: np.ndarray) -> np.ndarray:
    """Half-hour bins with counts fixed by largest remainder of ``len(drawn) * density``.

    The rows keep the order of the random draw (the row with the earliest drawn bin gets the
    earliest quota bin), so no extra random numbers are used and the other reasons' draws
    are unchanged.
    """
    n = len(drawn)
    exact = n * density
    counts = np.floor(exact).astype(int)
    rest = n - counts.sum()
    counts[np.argsort(-(exact - counts), kind="stable")[:rest]] += 1
    quota = np.repeat(np.arange(len(density)), counts)
    out = np.empty(n, dtype=int)
    out[np.argsort(drawn, kind="stable")] = quota
    return out


def sample_minutes(reason: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Start minute of the day per row from the reason's half-hour density.

    Half of the times are on a 5-minute grid (staff often round), the rest exact.
    """
    out = np.empty(len(reason), dtype=int)
    for r in np.unique(reason):
        idx = np.where(reason == r)[0]
        bins = rng.choice(48, size=len(idx), p=hour_density(int(r)))
        if int(r) in QUOTA_REASONS:
            bins = quota_bins(bins, hour_density(int(r)))
        minute = bins * 30 + rng.integers(0, 30, len(idx))
        rounded = rng.random(len(idx)) < 0.5
        minute[rounded] = minute[rounded] // 5 * 5
        out[idx] = minute
    return out
