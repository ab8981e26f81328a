"""Youth numbers: how many registrations each young person has, clustered in time.

A youth stays a while and is secluded several times during the stay, so registrations of one
youth are close in time. Sizes are heavy-tailed (most youths once or a few times, a few
youths many times), as section 2.1.1 describes (1 to 38 per youth).
"""

from __future__ import annotations

import numpy as np


def youth_sizes(n_rows: int, n_youths: int, rng: np.random.Generator, cap: int = 30) -> np.ndarray:
    """Registrations per youth: at least 1 each, heavy-tailed, at most ``cap``, summing to ``n_rows``."""
    if n_youths <= 0:
        return np.zeros(0, dtype=int)
    p = rng.lognormal(0, 1.1, n_youths)
    sizes = 1 + rng.multinomial(n_rows - n_youths, p / p.sum())
    while sizes.max() > cap:  # why: keep the published maximum unique to one youth
        j = int(np.argmax(sizes))
        excess = sizes[j] - cap
        sizes[j] = cap
        room = np.where(sizes < cap)[0]
        for i in rng.choice(room, size=excess, replace=True):
            sizes[i] += 1
    return sizes


def cluster_assign(n_rows: int, sizes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Youth index per row (rows in time order) so that each youth's rows are close in time."""
    centre = rng.random(len(sizes))
    spread = 0.02 + 0.12 * rng.random(len(sizes))
    who = np.repeat(np.arange(len(sizes)), sizes)
    keys = centre[who] + spread[who] * rng.normal(size=len(who))
    out = np.empty(n_rows, dtype=int)
    out[:] = who[np.argsort(keys, kind="stable")]
    return out


def span_rows(
    day: np.ndarray, month_of_day: np.ndarray, span: int, k: int, rng: np.random.Generator
) -> tuple[np.ndarray, int, int]:
    """Choose ``k`` rows whose first and last day are exactly ``span`` days apart.

    Parameters
    ----------
    day : ndarray of int
        Day number of each row (days since the period start), sorted ascending.
    month_of_day : ndarray of int
        Month index of every day number of the period (to keep monthly counts intact).
    span, k : int
        Required span in days (last - first) and number of rows.
    rng : Generator

    Returns
    -------
    rows : ndarray of int
        Chosen row indices (first, last, then the rest).
    moved_row, new_day : int
        One row that must be moved to ``new_day`` (a day of the same month) so the last
        registration falls exactly ``span`` days after the first.
    """
    last_day = len(month_of_day) - 2  # not the last day: its end could run past the period
    firsts = np.where(day + span <= last_day)[0]
    for a in rng.permutation(firsts):
        target = int(day[a]) + span
        same_month = np.where((month_of_day[day] == month_of_day[target]) & (day > day[a]))[0]
        if not len(same_month):
            continue
        b = int(same_month[np.argmin(np.abs(day[same_month] - target))])
        inside = np.where((day > day[a]) & (day < target))[0]
        inside = inside[inside != b]
        if len(inside) < k - 2:
            continue
        pick = np.sort(rng.choice(inside, size=k - 2, replace=False))
        return np.concatenate([[a, b], pick]), b, target
    raise ValueError("no window with enough registrations for the longest youth span")
