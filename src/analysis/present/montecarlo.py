"""Monte Carlo intervals of chapter 3's simulated residual diagnostics, for the reader.

The p-values of the residual tests rest on a finite number of simulations per model
(:mod:`analysis.models.diagnostics`); this module states that number as used (it can be
smaller than asked for large models, :func:`analysis.models.fanout.diagnostics_nsim`) and
puts each p-value's Monte Carlo 95% interval beside it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.present import format as nf
from analysis.present import text

P_COLUMNS: dict[str, str] = {"KS p": "ks_p", "p (disp.)": "dispersion_p", "p (nullen)": "zero_p"}
"""Display column of :func:`analysis.present.models.diagnostics_display` -> its p-value column."""


def p_with_interval(p: float, low: float, high: float) -> str:
    """``0,984 (0,860 tot 0,990)``: the p-value and its Monte Carlo interval.

    Empty without a p-value; the p-value alone when the interval reads the same as the p-value
    at the shown precision (e.g. all of it below 0,001).
    """
    if not np.isfinite(p):
        return ""
    shown = nf.pvalue(p)
    if not (np.isfinite(low) and np.isfinite(high)):
        return shown
    lo, hi = nf.pvalue(low), nf.pvalue(high)
    return shown if lo == hi == shown else f"{shown} ({lo} tot {hi})"


def with_intervals(shown: pd.DataFrame, diag: pd.DataFrame) -> pd.DataFrame:
    """The diagnostics display with each p-value followed by its Monte Carlo interval.

    Parameters
    ----------
    shown : DataFrame
        :func:`analysis.present.models.diagnostics_display` of ``diag`` (same rows, same order).
    diag : DataFrame
        ``ch3_models_diagnostics`` rows (``<test>_p``, ``<test>_p_low``, ``<test>_p_high``).
    """
    out = shown.copy()
    for col, name in P_COLUMNS.items():
        if col in out and f"{name}_low" in diag:
            out[col] = [
                p_with_interval(p, lo, hi)
                for p, lo, hi in zip(diag[name], diag[f"{name}_low"], diag[f"{name}_high"])
            ]
    return out


def nsim_used(diag: pd.DataFrame) -> str:
    """``250 simulaties per model`` or ``31 tot 250 simulaties per model``: the numbers used.

    Parameters
    ----------
    diag : DataFrame
        ``ch3_models_diagnostics`` rows of the models concerned (column ``nsim``; failed
        simulations left out).
    """
    ok = diag[diag["error"].fillna("").astype(str) == ""] if "error" in diag else diag
    n = sorted({int(x) for x in ok["nsim"].dropna()}) if len(ok) else []
    if not n:
        return "geen simulaties"
    if len(n) == 1:
        return text.count(n[0], "simulatie", "simulaties") + " per model"
    return f"{n[0]} tot {n[-1]} simulaties per model"


def caption_note(diag: pd.DataFrame) -> str:
    """First sentences of the diagnostics table's note: simulations used and the intervals."""
    return (
        f"Gebaseerd op {nsim_used(diag)}. Tussen haakjes bij elke p-waarde: het 95%-Monte-Carlo-"
        "interval (hoeveel de p-waarde met een andere reeks simulaties van dezelfde omvang kan "
        "verschillen)."
    )
