"""Turn tidy results into what a reader sees: display tables and numbers for the narrative.

The tidy CSVs keep codes and unrounded percentages; readers get labels, ``n`` and rounded
percentages with a decimal comma. Small counts are hidden here (and only here) when the
notebook's ``min_cell_size`` asks for it.
"""

from __future__ import annotations

import pandas as pd

from analysis.describe.suppress import shown_count, suppress_counts
from analysis.present import format as nf


def _cell(value: object, hidden: bool = False) -> int | str:
    """A displayed count: the integer, or the suppression mark when hidden (or <NA>)."""
    return shown_count(None, 0) if hidden or pd.isna(value) else int(value)  # type: ignore[arg-type]


def row(table: pd.DataFrame, code: str | int, column: str = "code") -> pd.Series:
    """The row of ``code`` in a tidy table (raises ``KeyError`` when absent)."""
    hit = table[table[column].astype(str) == str(code)]
    if hit.empty:
        raise KeyError(f"code {code!r} not in table")
    return hit.iloc[0]


def pct_of(table: pd.DataFrame, code: str | int, decimals: int | None = None) -> str:
    """Formatted percentage of one category (report rounding unless ``decimals`` given)."""
    return nf.percent(float(row(table, code)["pct"]), decimals=decimals)


def distribution_table(
    table: pd.DataFrame,
    *,
    min_cell_size: int = 0,
    decimals: int | None = None,
    header: str | None = None,
    drop_empty_missing: bool = True,
    total_row: bool = True,
) -> pd.DataFrame:
    """Display table of a distribution: label, n, % (+ a total row).

    Parameters
    ----------
    table : DataFrame
        Tidy distribution (``code``, ``label``, ``n``, ``pct``).
    min_cell_size : int
        Hide counts below this size (see :mod:`analysis.describe.suppress`).
    decimals : int, optional
        Decimals of percentages (chapter 1 uses 1); default the report's rule.
    header : str, optional
        Header of the label column.
    drop_empty_missing : bool
        Leave out a "niet ingevuld" row with 0 (nothing was missing).
    total_row : bool
        Add a total row (not for multiple-response items such as factors).
    """
    t = table.copy()
    if drop_empty_missing:
        t = t[~((t["code"] == "na") & (t["n"] == 0))]
    # A table the build's decision already suppressed (hidden counts <NA>) has its total in
    # ``denominator``; summing the shown counts would print a wrong total.
    known = "denominator" in t and t["n"].isna().any() and len(t)
    total = shown_count(t["denominator"].iloc[0], 0) if known else str(int(t["n"].sum()))
    t = suppress_counts(t, min_cell_size)
    out = pd.DataFrame(
        {
            header or "Categorie": t["label"].tolist(),
            "n": [shown_count(v, min_cell_size) for v in t["n"]],
            "%": ["" if pd.isna(p) else nf.percent(p, decimals=decimals) for p in t["pct"]],
        }
    )
    if not total_row:
        return out
    base = "Totaal"
    total_pct = "" if t["pct"].isna().all() and len(t) else nf.percent(100.0, decimals=decimals)
    return pd.concat(
        [out, pd.DataFrame({out.columns[0]: [base], "n": [total], "%": [total_pct]})], ignore_index=True
    )


def duration_table(table: pd.DataFrame, *, min_cell_size: int = 0) -> pd.DataFrame:
    """Table 2 as in the report: "Aanleiding (aantal)", Min, Max, Gemiddelde, Mediaan (h:mm)."""
    t = suppress_counts(table, min_cell_size, derived=())
    hide = t["suppressed"]
    first = "Aanleiding (aantal)"
    out = pd.DataFrame(
        {first: [f"{lab} ({shown_count(n, min_cell_size)})" for lab, n in zip(t["label"], t["n"])]}
    )
    for stat, title in [("min", "Min"), ("max", "Max"), ("mean", "Gemiddelde"), ("median", "Mediaan")]:
        out[title] = [("" if h else v) for v, h in zip(t[f"{stat}_hmm"], hide)]
    return out


def month_table(per_month: pd.DataFrame) -> pd.DataFrame:
    """Registrations per month for display (month label, n; a hidden count shows the mark)."""
    return pd.DataFrame(
        {
            "Maand": [nf.month(m) for m in per_month["maand"]],
            "n": [_cell(v) for v in per_month["n"]],
        }
    )


def location_month_table(per_location: pd.DataFrame, *, hidden: frozenset[str] = frozenset()) -> pd.DataFrame:
    """Registrations per location (rows) and month (columns), with row totals.

    ``hidden``: keys of the build's disclosure decision (``<LOC>|m:<month>`` for a cell,
    ``<LOC>|T`` for a row total; :mod:`analysis.present.publish`), shown as the mark. The
    decision covers this table together with the factsheets and every other count of the
    chapter, because a location-month table with both margins cannot be protected on its own.
    """
    wide = per_location.pivot(index="locatie", columns="maand", values="n").fillna(0).astype(int)
    out = pd.DataFrame({"Locatie": wide.index.tolist()})
    for m in sorted(wide.columns):
        out[nf.month(m)] = [_cell(v, f"{loc}|m:{m}" in hidden) for loc, v in zip(wide.index, wide[m])]
    out["Totaal"] = [_cell(v, f"{loc}|T" in hidden) for loc, v in zip(wide.index, wide.sum(axis=1))]
    return out


def coverage_table(coverage: pd.DataFrame) -> pd.DataFrame:
    """Locations that registered fewer months than the period, with the reason."""
    short = coverage[coverage["months_registered"] < coverage["months_period"]]
    reasons = []
    for rec in short.itertuples(index=False):
        parts = []
        if rec.late_start:
            parts.append("later gestart")
        if rec.ended_early:
            parts.append("eerder gestopt")
        reasons.append(", ".join(parts))
    return pd.DataFrame(
        {
            "Locatie": short["locatie"].tolist(),
            "Maanden": short["months_registered"].astype(int).tolist(),
            "Eerste maand": short["first_month"].tolist(),
            "Laatste maand": short["last_month"].tolist(),
            "Reden": reasons,
        }
    )


def missingness_table(table: pd.DataFrame) -> pd.DataFrame:
    """Section 2.2 for display: item, n not registered, %."""
    return pd.DataFrame(
        {
            "Onderdeel": table["label"].tolist(),
            "Niet ingevuld (n)": [_cell(v) for v in table["n_missing"]],
            "%": ["" if pd.isna(p) else nf.percent(p, decimals=1) for p in table["pct"]],
        }
    )


def per_youth_table(
    table: pd.DataFrame,
    *,
    min_cell_size: int = 0,
    bins: tuple[int, ...] = (1, 2, 3, 5, 10, 20),
) -> pd.DataFrame:
    """Registrations per youth in classes (1, 2, 3-4, 5-9, ...), never one row per youth."""
    edges = list(bins) + [10**9]
    rows = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = table[(table["registrations"] >= lo) & (table["registrations"] < hi)]
        label = str(lo) if hi == lo + 1 else (f"{lo}-{hi - 1}" if hi < 10**9 else f"{lo}+")
        rows.append({"code": label, "label": label, "n": int(sel["n_youths"].sum())})
    t = pd.DataFrame(rows)
    t["pct"] = t["n"] / t["n"].sum() * 100 if t["n"].sum() else float("nan")
    return distribution_table(
        t,
        min_cell_size=min_cell_size,
        header="Afzonderingen per jongere",
    )


def number(x: float, decimals: int = 0) -> str:
    """A number for the narrative (decimal comma in Dutch)."""
    return nf.number(x, decimals)
