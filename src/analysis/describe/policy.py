"""Chapter 1: planned-seclusion policy per location (``policy.parquet``).

Percentages use the locations that supplied policy data as denominator, as the report does
(17 of 18 locations in measurement 2). Every function takes the policy rows of ONE
measurement and returns a tidy table (``code``, ``label``, ``n``, ``denominator``, ``pct``).
"""

from __future__ import annotations

import pandas as pd

from analysis import codebook
from analysis.describe.categories import MISSING_CODE, distribution

RESOURCE = "beleid"

#: Short English names of codes used in published-figure ids (``ch1.rest_moments.n.night_only``),
#: the ``key`` of each category in the codebook.
SLUGS: dict[str, dict[int, str]] = {
    name: codebook.field(name, RESOURCE).keys()
    for name in ("rustmomenten", "verandering_overdag", "verandering_nacht", "nacht_deur")
}
DAY_UNCHANGED, NIGHT_UNCHANGED, DOOR_LOCKED = 4, 3, 2


def _field(name: str) -> codebook.Field:
    return codebook.field(name, RESOURCE)


def with_data(policy: pd.DataFrame) -> pd.DataFrame:
    """Locations that supplied policy data (``gegevens == 1``): the base of every percentage."""
    return policy[(policy["gegevens"] == 1).fillna(False).astype(bool)]


def data_supplied(policy: pd.DataFrame) -> pd.DataFrame:
    """Locations with and without policy data (code 1 / 0) over all locations."""
    return distribution(policy["gegevens"], _field("gegevens"), include_missing=False)


def policy_distribution(policy: pd.DataFrame, item: str) -> pd.DataFrame:
    """Distribution of one policy item among the locations with data (missing row included)."""
    return distribution(with_data(policy)[item], _field(item))


def _breakdown(sub: pd.DataFrame, items: list[str]) -> pd.DataFrame:
    """Stack the distributions of ``items`` within ``sub``, tagged by ``item``."""
    parts = []
    for item in items:
        d = distribution(sub[item], _field(item))
        d.insert(0, "item", item)
        parts.append(d)
    closed = sub["gesloten_per"].notna()
    parts.append(
        pd.DataFrame(
            {
                "item": ["gesloten"],
                "code": ["1"],
                "label": ["Gesloten tijdens of na de meting"],
                "n": [int(closed.sum())],
                "denominator": [len(sub)],
                "pct": [closed.mean() * 100 if len(sub) else float("nan")],
            }
        )
    )
    return pd.concat(parts, ignore_index=True)


def day_unchanged_breakdown(policy: pd.DataFrame) -> pd.DataFrame:
    """Locations whose daytime rest moments did not change: rest moments, ambition, closure.

    Returns
    -------
    DataFrame
        ``item`` (``rustmomenten``, ``ambitie_overdag``, ``gesloten``), ``code``, ``label``,
        ``n``, ``denominator`` (unchanged locations), ``pct``.
    """
    data = with_data(policy)
    sub = data[(data["verandering_overdag"] == DAY_UNCHANGED).fillna(False).astype(bool)]
    return _breakdown(sub, ["rustmomenten", "ambitie_overdag"])


def night_unchanged_breakdown(policy: pd.DataFrame) -> pd.DataFrame:
    """Locations without a change in night rest: door already open or locked, and closures.

    The closure row counts the locations with a locked door that closed, as the report
    mentions it for that group.
    """
    data = with_data(policy)
    sub = data[(data["verandering_nacht"] == NIGHT_UNCHANGED).fillna(False).astype(bool)]
    out = _breakdown(sub, ["nacht_deur"])
    locked = sub[(sub["nacht_deur"] == DOOR_LOCKED).fillna(False).astype(bool)]
    mask = out["item"] == "gesloten"
    out.loc[mask, "n"] = int(locked["gesloten_per"].notna().sum())
    out.loc[mask, "denominator"] = len(locked)
    out.loc[mask, "pct"] = out.loc[mask, "n"] / len(locked) * 100 if len(locked) else float("nan")
    out.loc[mask, "label"] = "Op slot en gesloten tijdens of na de meting"
    return out


def factor_frequencies(policy: pd.DataFrame, item: str) -> pd.DataFrame:
    """How many locations name each promoting or hindering factor (codes joined by ``|``).

    A location may name several factors, so percentages (of locations with data) need not
    add up to 100.

    Returns
    -------
    DataFrame
        ``code``, ``label``, ``n``, ``denominator``, ``pct``.
    """
    f = _field(item)
    data = with_data(policy)
    named = data[item].fillna("").astype(str).map(lambda s: {int(x) for x in s.split("|") if x.strip()})
    unknown = set().union(*named) - set(f.codes) if len(named) else set()
    if unknown:
        raise ValueError(f"{item}: codes {sorted(unknown)} are not in the codebook")
    rows = [(str(c), f.label(c), int(sum(c in s for s in named))) for c in f.codes]
    out = pd.DataFrame(rows, columns=["code", "label", "n"])
    out["denominator"] = len(data)
    out["pct"] = out["n"] / len(data) * 100 if len(data) else float("nan")
    return out


def _slug_values(table: pd.DataFrame, prefix: str, item: str, pct: bool = True) -> dict[str, float]:
    out: dict[str, float] = {}
    for rec in table.itertuples(index=False):
        if rec.code == MISSING_CODE:
            continue
        slug = SLUGS[item][int(rec.code)]
        out[f"{prefix}.n.{slug}"] = float(rec.n)
        if pct and not pd.isna(rec.pct):
            out[f"{prefix}.pct.{slug}"] = float(rec.pct)
    return out


def policy_values(name: str, table: pd.DataFrame) -> dict[str, float]:
    """Published ids reproduced by the chapter-1 result ``name`` (see data/reference/README)."""
    if name == "ch1_data_supplied":
        n = dict(zip(table["code"], table["n"]))
        return {"ch1.data.n.with_data": float(n.get("1", 0)), "ch1.data.n.without_data": float(n.get("0", 0))}
    if name == "ch1_rest_moments":
        return _slug_values(table, "ch1.rest_moments", "rustmomenten")
    if name == "ch1_day_change":
        return _slug_values(table, "ch1.day_change", "verandering_overdag")
    if name == "ch1_night_change":
        return _slug_values(table, "ch1.night_change", "verandering_nacht")
    if name == "ch1_day_unchanged":
        rest = table[table["item"] == "rustmomenten"]
        out = _slug_values(rest, "ch1.day_unchanged", "rustmomenten", pct=False)
        out.pop("ch1.day_unchanged.n.night_only", None)  # not a published number
        closed = table.loc[table["item"] == "gesloten", "n"]
        out["ch1.day_unchanged.n.closed_jan2021"] = float(closed.iloc[0])
        return out
    if name == "ch1_night_unchanged":
        door = table[table["item"] == "nacht_deur"]
        out = _slug_values(door, "ch1.night_unchanged", "nacht_deur", pct=False)
        closed = table.loc[table["item"] == "gesloten", "n"]
        out["ch1.night_unchanged.n.locked_closed_jan2021"] = float(closed.iloc[0])
        # The summary (section 1.3) repeats the locked-door group: no change and no plan.
        out["ch1.summary.n.night_no_change_no_plan"] = out.get("ch1.night_unchanged.n.locked", 0.0)
        return out
    if name in ("ch1_factors_promoting", "ch1_factors_hindering"):
        kind = "promoting" if name.endswith("promoting") else "hindering"
        return {f"ch1.factors.n.{kind}": float((table["n"] > 0).sum())}
    raise KeyError(f"no published ids for chapter-1 result {name!r}")
