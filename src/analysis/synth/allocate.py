"""Exact-count allocation helpers.

The twin must reproduce published *counts* exactly while keeping realistic associations
(e.g. isolation rooms locked more often). Sampling cannot give exact counts, so categories
are *allocated*: every row scores every category (log-weight plus Gumbel noise, i.e. a
random draw) and a greedy pass hands out the fixed number of slots per category to the
highest scores. Marginals are exact by construction; associations come from the weights.
"""

from __future__ import annotations

import numpy as np


def largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``weights`` that sum to ``total`` (Hamilton's method)."""
    w = np.asarray(weights, dtype=float)
    if total == 0 or w.sum() == 0:
        return np.zeros(len(w), dtype=int)
    quota = w / w.sum() * total
    out = np.floor(quota).astype(int)
    rest = total - int(out.sum())
    out[np.argsort(-(quota - out), kind="stable")[:rest]] += 1
    return out


def assign_exact(logw: np.ndarray, counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Give each row one category so that category ``k`` is used exactly ``counts[k]`` times.

    Parameters
    ----------
    logw : ndarray, shape (n, K)
        Log-weight of each category for each row (``-inf`` forbids a category).
    counts : ndarray, shape (K,)
        Required number of rows per category; must sum to ``n``.
    rng : Generator
        Random source (Gumbel noise makes the allocation a random draw).

    Returns
    -------
    ndarray, shape (n,)
        Category index per row.
    """
    n, k = logw.shape
    counts = np.asarray(counts, dtype=int)
    if int(counts.sum()) != n:
        raise ValueError(f"counts sum to {counts.sum()}, rows {n}")
    score = logw + rng.gumbel(size=(n, k))
    order = np.argsort(-score, axis=None, kind="stable")
    out = np.full(n, -1)
    left = counts.copy()
    todo = n
    for flat in order:
        i, c = divmod(int(flat), k)
        if out[i] >= 0 or left[c] == 0 or not np.isfinite(logw[i, c]):
            continue
        out[i] = c
        left[c] -= 1
        todo -= 1
        if todo == 0:
            break
    if todo:
        raise ValueError("allocation infeasible with the forbidden categories given")
    return out


def fill_table(
    seed: np.ndarray, row_totals: np.ndarray, col_totals: np.ndarray, iterations: int = 200
) -> np.ndarray:
    """Integer table with given margins, shaped like ``seed`` (zeros in seed stay zero).

    Iterative proportional fitting on ``seed``, then rounding row by row with the largest
    remainder, then unit moves inside rows to repair the column totals.
    """
    t = np.asarray(seed, dtype=float).copy()
    for _ in range(iterations):
        t *= (row_totals / np.maximum(t.sum(axis=1), 1e-12))[:, None]
        t *= (col_totals / np.maximum(t.sum(axis=0), 1e-12))[None, :]
    out = np.vstack([largest_remainder(r, int(tot)) for r, tot in zip(t, row_totals)])
    allowed = np.asarray(seed) > 0
    for _ in range(10_000):
        diff = out.sum(axis=0) - col_totals
        if not diff.any():
            return out
        over, under = int(np.argmax(diff)), int(np.argmin(diff))
        # move one unit from an over-filled to an under-filled column in the row where the
        # fitted table wants it most
        cand = np.where((out[:, over] > 0) & allowed[:, under])[0]
        best = cand[np.argmax(t[cand, under] - out[cand, under])]
        out[best, over] -= 1
        out[best, under] += 1
    raise ValueError("cannot repair column totals")
