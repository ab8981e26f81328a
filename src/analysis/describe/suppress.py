"""Minimum cell size for displayed counts: the chapters' entry point to disclosure control.

The national report shows every count (``min_cell_size = 0``). Tables that leave the
research team with a smaller audience (factsheets) hide small counts, because a count of
1 or 2 at one location can point to one young person. The single implementation lives in
:mod:`analysis.describe.disclosure` (primary and secondary suppression, proven in its tests); this
module only adapts it to the chapters' tidy tables.

On real data the chapter-2 tables, their results CSVs and the factsheets follow one decision
over all of them (:mod:`analysis.present.publish`); this per-table suppression remains for
tables outside that system (chapter 1's figures, the classes of registrations per youth).
"""

from __future__ import annotations

import pandas as pd

from analysis.describe import disclosure


def suppress_counts(
    table: pd.DataFrame,
    min_cell_size: int,
    *,
    count: str = "n",
    group: str | None = None,
    derived: tuple[str, ...] = ("pct",),
) -> pd.DataFrame:
    """Hide counts below ``min_cell_size`` and whatever would give them away.

    Parameters
    ----------
    table : DataFrame
        Table with a count column.
    min_cell_size : int
        Smallest count shown; 0 or 1 shows everything.
    count : str
        Name of the count column.
    group : str, optional
        Column whose values define groups that share one total (e.g. ``reason_code``).
    derived : tuple of str
        Columns hidden together with the count (percentages).

    Returns
    -------
    DataFrame
        Copy of ``table`` with hidden cells as NA and a boolean column ``suppressed``
        (see :func:`analysis.describe.disclosure.suppress_frame`).
    """
    return disclosure.suppress_frame(table, min_cell_size, count=count, group=group, derived=derived)


def shown_count(value: object, min_cell_size: int) -> str:
    """Text for a count cell: the number, or the suppression mark when it was hidden.

    The mark is not ``<k``: a cell hidden to protect another one can be large.
    """
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return disclosure.SUPPRESSED_MARK
    return str(int(value))
