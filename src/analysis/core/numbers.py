"""The project's one rounding rule: half away from zero on the decimal value ("half-up").

Every number shown (report, factsheets, appendices, CLI) is rounded by this rule before it
is formatted, and computations that publish rounded values (chapter 2's durations) use it
too, so a value is never shown rounded two ways. It sits in ``core`` because both the
describe stage and the present stage need it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def round_half_up(x: float, decimals: int = 0) -> float:
    """Round like a person does (0.5 goes up), not like :func:`round` (to even).

    Parameters
    ----------
    x : float
        Value.
    decimals : int
        Number of decimals.

    Returns
    -------
    float
        Rounded value.
    """
    q = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(x))).quantize(q, rounding=ROUND_HALF_UP))
