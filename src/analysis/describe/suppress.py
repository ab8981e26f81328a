"""Minimum cell size for displayed counts (disclosure control, first version).

The national report shows every count (``min_cell_size = 0``). Tables that leave the
research team with a smaller audience (factsheets) hide small counts, because a count of
1 or 2 at one location can point to one young person. This lives here until the factsheet
work moves it to a ``disclosure`` module; keep the interface small so the move is easy.

Only what is displayed is suppressed: results CSVs keep the full numbers for the research
team and the reproduction check.
"""

from __future__ import annotations

import pandas as pd


def suppress_counts(table: pd.DataFrame, min_cell_size: int, *, count: str = "n",
                    group: str | None = None, derived: tuple[str, ...] = ("pct",)) -> pd.DataFrame:
    """Hide counts below ``min_cell_size`` (and what is derived from them).

    Primary suppression hides every count with ``0 < n < min_cell_size``. Secondary
    suppression then hides the smallest other non-zero count of a group when a group has
    exactly one hidden cell, because the shown total would otherwise give it away.

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
        Copy of ``table`` with hidden cells as NA and a boolean column ``suppressed``.
    """
    out = table.copy()
    n = pd.to_numeric(out[count], errors="coerce")
    hide = (n > 0) & (n < min_cell_size) if min_cell_size > 1 else pd.Series(False, index=out.index)
    keys = out[group] if group else pd.Series(0, index=out.index)
    for _, idx in out.groupby(keys, sort=False).groups.items():
        if hide[idx].sum() == 1:
            rest = n[idx][(~hide[idx]) & (n[idx] > 0)]
            if len(rest):
                hide[rest.idxmin()] = True
    out["suppressed"] = hide.to_numpy()
    out[count] = n.astype("Int64").mask(hide)
    for col in derived:
        if col in out:
            out[col] = out[col].astype(float).mask(hide)
    return out


def shown_count(value: object, min_cell_size: int) -> str:
    """Text for a count cell: the number, or ``<k`` when it was hidden."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return f"<{min_cell_size}"
    return str(int(value))
