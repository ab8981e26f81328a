"""CSV cells that a spreadsheet program will not execute as a formula.

A cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return, which some
programs strip before looking) is run as a formula when a CSV is opened in Excel or
LibreOffice (CSV injection). Every CSV the compendium writes from data passes its text
through :func:`neutralise`: such a cell gets a leading apostrophe, which spreadsheets show as
text and never evaluate. Numbers in numeric columns are left alone (they are not text).
"""

from __future__ import annotations

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """``value`` with a leading ``'`` when it is text that starts like a formula; else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells (object or string columns) are neutralised."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].map(neutralise, na_action="ignore")
    return out
