"""The 95% confidence interval, stated once: its z quantile, the Wald interval, the SE an
interval implies, significance at 5% and how two intervals' widths are compared.

The models compute Wald intervals (``b +/- z SE`` on the link scale), the audit and the model
check read the SE back from a published interval of a ratio (``(ln hi - ln lo) / 2z``), and the
reproduction and calibration checks compare a computed interval with a published one. All of
them use the functions here, so the quantile, the 5% rule and the width tolerance cannot drift
apart. It sits in ``core`` because models and verify both need it.
"""

from __future__ import annotations

import math
from typing import Any, TypeVar

#: Two-sided significance level of every test and interval in the report.
ALPHA = 0.05
#: The 97.5% quantile of the standard normal distribution (``scipy.stats.norm.ppf(0.975)``);
#: a literal so ``core`` needs no scipy.
Z975 = 1.959963984540054
#: Accepted ratio of a computed to a published interval width (on the log scale), after
#: rounding the ratio to two decimals.
WIDTH_RANGE = (0.75, 1.33)

T = TypeVar("T")


def wald(estimate: T, se: Any, z: float = Z975) -> tuple[T, T]:
    """Wald interval ``estimate -/+ z * se`` (floats, arrays or Series).

    Parameters
    ----------
    estimate : float, ndarray or Series
        Estimate on the scale the interval is symmetric on (the link scale).
    se : float, ndarray or Series
        Its standard error.
    z : float
        Normal quantile; default the two-sided 95% one.

    Returns
    -------
    tuple
        ``(low, high)`` of the same type as ``estimate``.
    """
    return estimate - z * se, estimate + z * se  # type: ignore[operator]


def log_se(low: float, high: float) -> float:
    """Standard error on the log scale implied by a 95% interval of a ratio (``low``, ``high`` > 0).

    Parameters
    ----------
    low, high : float
        Bounds of the interval of an odds, rate or mean ratio.

    Returns
    -------
    float
        ``(ln high - ln low) / (2 * Z975)``.
    """
    return (math.log(high) - math.log(low)) / (2 * Z975)


def log_width_ratio(low: float, high: float, ref_low: float, ref_high: float) -> float:
    """Width of the interval ``low``-``high`` on the log scale, relative to a reference interval.

    Parameters
    ----------
    low, high : float
        Computed interval of a ratio.
    ref_low, ref_high : float
        Reference (published) interval of the same ratio.

    Returns
    -------
    float
        ``(ln high - ln low) / (ln ref_high - ln ref_low)``; 1 means equally wide.
    """
    return (math.log(high) - math.log(low)) / (math.log(ref_high) - math.log(ref_low))


def width_ok(ratio: float) -> bool:
    """True when a width ratio, rounded to two decimals, lies within :data:`WIDTH_RANGE`."""
    return bool(WIDTH_RANGE[0] <= round(ratio, 2) <= WIDTH_RANGE[1])


def _missing(x: float | None) -> bool:
    """None, NaN or pandas' NA (whose comparison has no truth value)."""
    try:
        return x is None or bool(x != x)
    except TypeError:
        return True


def significant(
    p: float | None, low: float | None, high: float | None, *, bound: bool = False
) -> bool | None:
    """Significant at :data:`ALPHA`: by the p-value when known, else by the ratio's interval excluding 1.

    Parameters
    ----------
    p : float or None
        Two-sided p-value (None or NaN: unknown).
    low, high : float or None
        95% interval of a ratio (used only without a p-value).
    bound : bool
        ``p`` is an upper bound as published (``p < .001``): a bound at the level counts as significant.

    Returns
    -------
    bool or None
        None when neither a p-value nor both bounds are known.
    """
    if not _missing(p):
        return bool(p <= ALPHA) if bound else bool(p < ALPHA)  # type: ignore[operator]
    if _missing(low) or _missing(high):
        return None
    return bool(low > 1 or high < 1)  # type: ignore[operator]
