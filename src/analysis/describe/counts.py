"""How many: registrations per month and location, registration coverage, unique youths.

Chapter 2, section 2.1 and 2.1.1 of the report, plus the mean occupancy it quotes.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd


def registrations_per_month(reg: pd.DataFrame, months: Sequence[str]) -> pd.DataFrame:
    """Figure 1: registrations per calendar month, months without registrations as 0.

    Parameters
    ----------
    reg : DataFrame
        Registrations of one measurement (column ``maand``).
    months : sequence of str
        All months of the period (``YYYY-MM``), so an empty month shows as 0, not a gap.

    Returns
    -------
    DataFrame
        ``maand``, ``n``, ``denominator`` (total), ``pct``.
    """
    n = reg["maand"].value_counts().reindex(list(months), fill_value=0).astype(int)
    out = pd.DataFrame({"maand": list(months), "n": n.to_numpy()})
    total = int(out["n"].sum())
    out["denominator"] = total
    out["pct"] = out["n"] / total * 100 if total else np.nan
    return out


def registrations_per_location_month(
    reg: pd.DataFrame, months: Sequence[str], locations: Sequence[str] | None = None
) -> pd.DataFrame:
    """Registrations per location and month (long format, zeros included).

    Parameters
    ----------
    reg : DataFrame
        Registrations (``locatie``, ``maand``).
    months : sequence of str
        Months of the period.
    locations : sequence of str, optional
        Locations to include (default: those with registrations), so a location that
        registered nothing still appears.

    Returns
    -------
    DataFrame
        ``locatie``, ``maand``, ``n``.
    """
    locs = sorted(set(locations or []) | set(reg["locatie"].dropna().unique()))
    grid = pd.MultiIndex.from_product([locs, list(months)], names=["locatie", "maand"])
    n = reg.groupby(["locatie", "maand"]).size().reindex(grid, fill_value=0).astype(int)
    return n.rename("n").reset_index()


def _overlap_months(first: str, last: str, months: Sequence[str]) -> list[str]:
    return [m for m in months if first <= m <= last]


def registration_coverage(reg: pd.DataFrame, locations: pd.DataFrame, months: Sequence[str]) -> pd.DataFrame:
    """Months each location took part in the registration, and why fewer than the period.

    The window comes from ``locations`` (first and last month a location registered). A
    location whose registrations only begin after the first month of its window had not
    started yet (the report's late starter); empty months later on still count as
    registered, because a month without any seclusion is a valid result.

    Returns
    -------
    DataFrame
        ``locatie``, ``months_registered``, ``months_period``, ``n_registrations``,
        ``late_start`` and ``ended_early`` (bool), ``first_month``, ``last_month``.
    """
    months = list(months)
    loc = locations.drop_duplicates("locatie").set_index("locatie")
    names = sorted(set(loc.index) | set(reg["locatie"].dropna().unique()))
    counts = reg["locatie"].value_counts()
    first_reg = reg.groupby("locatie")["maand"].min()
    rows = []
    for name in names:
        first = str(loc.at[name, "eerste_maand"]) if name in loc.index else months[0]
        last = str(loc.at[name, "laatste_maand"]) if name in loc.index else months[-1]
        if name in first_reg.index:
            first = max(first, str(first_reg[name]))
        active = _overlap_months(first, last, months)
        n = int(counts.get(name, 0))
        if not active and n == 0:
            continue  # not part of this measurement
        rows.append(
            {
                "locatie": name,
                "months_registered": len(active),
                "months_period": len(months),
                "n_registrations": n,
                "late_start": first > months[0],
                "ended_early": last < months[-1],
                "first_month": active[0] if active else None,
                "last_month": active[-1] if active else None,
            }
        )
    return pd.DataFrame(rows)


def coverage_summary(coverage: pd.DataFrame, months: Sequence[str]) -> dict[str, float]:
    """Numbers of section 2.1: locations, short registrations and their reasons."""
    short = coverage[coverage["months_registered"] < len(months)]
    short_months = sorted(short["months_registered"].unique())
    out = {
        "n_locations": float(len(coverage)),
        "n_short": float(len(short)),
        "n_ended_early": float(short["ended_early"].sum()),
        "n_late_start": float(short["late_start"].sum()),
        "months_period": float(len(months)),
    }
    if len(short_months) == 1:
        # Only one number to quote when all short locations registered equally long.
        out["months_short"] = float(short_months[0])
    return out


def youth_summary(reg: pd.DataFrame) -> dict[str, float]:
    """Section 2.1.1: unique youths and registrations per youth.

    Only locations that recorded a youth number for every registration count, as in the
    report: a location with partial numbers would under-count repeat seclusions.

    Returns
    -------
    dict
        ``n_locations_with_id`` (every registration has a number), ``n_locations_without_id``
        (none has), ``n_youths``, ``n_registrations`` (with a number), ``min_per_youth``,
        ``max_per_youth`` and ``max_youth_span_days`` (first to last start date of the youth with
        most registrations; the longest span when several share the maximum).
    """
    has_id = reg["jongere"].notna().groupby(reg["locatie"]).agg(["all", "any"])
    full = has_id.index[has_id["all"]]
    sub = reg[reg["locatie"].isin(full) & reg["jongere"].notna()]
    per = sub.groupby("jongere")["start"].agg(["size", "min", "max"])
    out = {
        "n_locations_with_id": float(has_id["all"].sum()),
        "n_locations_without_id": float((~has_id["any"]).sum()),
        "n_youths": float(len(per)),
        "n_registrations": float(len(sub)),
    }
    if len(per):
        top = per[per["size"] == per["size"].max()]
        # Calendar days between the first and last date, whatever the time of day.
        span = (top["max"].dt.normalize() - top["min"].dt.normalize()).dt.days.max()
        out.update(
            min_per_youth=float(per["size"].min()),
            max_per_youth=float(per["size"].max()),
            max_youth_span_days=float(span),
        )
    return out


def registrations_per_youth(reg: pd.DataFrame) -> pd.DataFrame:
    """Distribution of the number of registrations per youth (no youth-level rows).

    Returns
    -------
    DataFrame
        ``registrations`` (per youth), ``n_youths``, ``denominator`` (youths), ``pct``.
    """
    sizes = reg.loc[reg["jongere"].notna()].groupby("jongere").size()
    dist = sizes.value_counts().sort_index()
    out = pd.DataFrame({"registrations": dist.index.astype(int), "n_youths": dist.to_numpy(dtype=int)})
    out["denominator"] = int(out["n_youths"].sum())
    out["pct"] = out["n_youths"] / out["denominator"] * 100 if len(out) else np.nan
    return out


def mean_occupancy(occupancy: pd.DataFrame, months: Sequence[str]) -> float:
    """Mean over months of the total (all locations) mean occupancy in the month."""
    occ = occupancy[occupancy["maand"].isin(list(months))]
    if occ.empty:
        return float("nan")
    return float(occ.groupby("maand")["gemiddelde_bezetting"].sum().mean())
