"""Duration vectors with an exact minimum, maximum, median and mean (Table 2).

Table 2 states per reason the count, minimum, maximum, mean and median in h:mm. The twin
builds, per reason, a sorted vector of whole minutes with exactly those statistics and
hands its values to the registrations by the rank of a latent model duration (location,
room and month effects), so the exact vector still carries the model's structure.

Mean convention: the vector's mean is an *integer* number of minutes, so flooring and
rounding to h:mm give the same published value (robust to either convention).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

ARTEFACT = 23 * 60 + 59  # 1439 minutes: the one-day registration artefact


def _upper(q: np.ndarray, median: int, a: float, cap: int) -> np.ndarray:
    """Saturating map of template quantiles above the median into (median, cap).

    Why saturating: a linear stretch clipped at the cap piles values up at the cap, which
    no real registration data shows.
    """
    span = cap - median
    return median + span * (1 - np.exp(-a * (q - median) / span))


def duration_vector(
    n: int, vmin: int, vmax: int, mean: int, median: int, n_artefacts: int, rng: np.random.Generator
) -> np.ndarray:
    """Sorted integer minutes with the given count, min, max, mean and median.

    Parameters
    ----------
    n, vmin, vmax, mean, median : int
        Published statistics (minutes); ``mean`` is the exact mean of the result.
    n_artefacts : int
        How many values are the 23:59 artefact (only when ``vmax`` is 1439); all other values
        stay below it so the artefact count is unambiguous.
    rng : Generator
        Random source (jitters the template quantiles).

    Returns
    -------
    ndarray of int, sorted ascending.
    """
    sigma = float(np.sqrt(2 * np.log(max(mean / median, 1.05))))
    p = (np.arange(n) + 0.5) / n
    q = median * np.exp(sigma * (ndtri(p) + rng.normal(0, 0.05, n)))
    q.sort()
    lo_mid, hi_mid = (n - 1) // 2, n // 2
    top = n_artefacts if vmax == ARTEFACT else 1
    # non-artefact values of 23:59 reasons stay below 23:00 (a long but real seclusion)
    cap = 23 * 60 if vmax == ARTEFACT else vmax - 1
    v = np.empty(n)
    v[:lo_mid] = np.clip(np.round(q[:lo_mid] / 5) * 5, vmin, median)
    v[0] = vmin
    v[lo_mid : hi_mid + 1] = median
    v[n - top :] = vmax
    free = np.arange(hi_mid + 1, n - top)
    target = mean * n
    fixed = v[: hi_mid + 1].sum() + v[n - top :].sum()
    lo, hi = 0.0, 50.0
    for _ in range(60):  # bisection on the spread of the upper half
        a = (lo + hi) / 2
        if _upper(q[free], median, a, cap).sum() + fixed < target:
            lo = a
        else:
            hi = a
    v[free] = np.round(_upper(q[free], median, (lo + hi) / 2, cap) / 5) * 5
    v[free] = np.clip(v[free], median, cap)
    v = v.astype(int)
    _fix_sum(v, free, target, median, cap, vmin, lo_mid)
    v.sort()
    _check(v, n, vmin, vmax, mean, median, n_artefacts if vmax == ARTEFACT else None)
    return v


def _fix_sum(
    v: np.ndarray, free: np.ndarray, target: int, median: int, cap: int, vmin: int, lo_mid: int
) -> None:
    """Spread the integer remainder over free values (upper half first, then lower half)."""
    for _ in range(100):
        r = int(target - v.sum())
        if r == 0:
            return
        step = 1 if r > 0 else -1
        if step > 0:
            ok = free[v[free] < cap]
            if not len(ok):
                ok = np.arange(1, lo_mid)[v[1:lo_mid] < median]
        else:
            ok = free[v[free] > median]
            if not len(ok):
                ok = np.arange(1, lo_mid)[v[1:lo_mid] > vmin]
        take = ok[np.argsort(-v[ok] if step > 0 else v[ok], kind="stable")][: abs(r)]
        v[take] += step
    raise ValueError("cannot reach the target mean")


def _check(v: np.ndarray, n: int, vmin: int, vmax: int, mean: int, median: int, n_art: int | None) -> None:
    assert len(v) == n and v.min() == vmin and v.max() == vmax, (v.min(), v.max())
    assert v.sum() == mean * n, (v.sum(), mean * n)
    assert float(np.median(v)) == median, np.median(v)
    if n_art is not None:
        assert int((v == ARTEFACT).sum()) == n_art


def assign_by_rank(values: np.ndarray, latent: np.ndarray) -> np.ndarray:
    """Give the sorted ``values`` to rows in the order of ``latent`` (ties broken stably)."""
    out = np.empty(len(values), dtype=int)
    out[np.argsort(latent, kind="stable")] = np.sort(values)
    return out
