"""Per-location summaries for the factsheets (Bijlage 5): the latest month against the months
before it, and the location against the national figure.

The ``describe`` package summarises the whole measurement; the factsheet needs the same
statistics per location and per column (latest month, earlier months, whole period) with
disclosure control over all of them at once, because the tables share totals (the count of
the latest month is a bar in the chart *and* the total of a column in three tables). This
module therefore builds one :class:`analysis.describe.disclosure.CellSystem` for a location and
returns display-ready text only: no count that :func:`analysis.describe.disclosure.suppress` hides
ever leaves this module.

Definitions
-----------
* rate per 10 youths = registrations / mean occupancy * 10, per month; for several months
  the registrations divided by the summed monthly occupancy (an occupancy-weighted mean of
  the monthly rates);
* contact = "contact mogelijk en plaatsgevonden"; evaluation = debrief planned or held
  (``evaluatie_1`` 2 or 3); shares use all registrations of the column as base, like the
  report ("niet ingevuld" counts in the base);
* median duration over usable durations (:func:`analysis.describe.timing.usable_durations`),
  hidden when fewer than ``k`` registrations have one (a median of two is nearly a value);
* the national figure is all locations of the measurement in the same period, as the
  national report shows it: a national count the build's one decision hides
  (:mod:`analysis.present.publish`) shows the suppression mark here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import pandas as pd

from analysis import codebook
from analysis.describe import disclosure as dc
from analysis.describe.categories import DEBRIEF, MISSING_CODE
from analysis.describe.timing import format_hmm, usable_durations
from analysis.core.numbers import round_half_up
from analysis.present import format as nf

#: Distributions shown as tables (codebook field -> Dutch table title, the field's codebook title).
ITEMS = {f: codebook.field(f).title for f in ("aanleiding", "ruimte", "beheer_ruimte")}
#: Shares shown in the indicator table: name -> (field, codes counted as "yes", label). The
#: codes are looked up by their codebook labels; the row labels are the factsheet's own words.
SHARES = {
    "contact": ("contact", codebook.codes("contact", "Possible and took place"), "Contact plaatsgevonden"),
    "evaluatie": ("evaluatie_1", DEBRIEF, "Evaluatie gepland of gehouden"),
}
NA_TEXT = "–"


@dataclass(frozen=True)
class Period:
    """Months of a factsheet: the latest month and the months before it."""

    months: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.months) < 2:
            raise ValueError(
                "a factsheet compares the latest month with earlier months: "
                f"the period needs at least two months, got {list(self.months)}"
            )

    @property
    def latest(self) -> str:
        """The latest month."""
        return self.months[-1]

    @property
    def earlier(self) -> tuple[str, ...]:
        """The months before the latest."""
        return self.months[:-1]

    def columns(self) -> dict[str, tuple[str, ...]]:
        """Column key -> months: ``L`` latest, ``E`` earlier, ``T`` whole period."""
        return {"L": (self.latest,), "E": self.earlier, "T": self.months}

    def labels(self) -> dict[str, str]:
        """Column headings."""
        first, last = nf.month(self.earlier[0]), nf.month(self.earlier[-1])
        earlier = first if first == last else f"{first} – {last}"
        return {"L": nf.month(self.latest), "E": earlier, "T": "Hele periode"}


def _codes(item: str) -> list[str]:
    return [str(c) for c in codebook.field(item).codes] + [MISSING_CODE]


def _item_codes(reg: pd.DataFrame, item: str) -> pd.Series:
    return reg[item].astype("Int64").astype("string").fillna(MISSING_CODE)


def _in(reg: pd.DataFrame, months: Sequence[str]) -> pd.DataFrame:
    return reg[reg["maand"].isin(list(months))]


# --- the linked cell system ---------------------------------------------------------------
def location_system(reg: pd.DataFrame, period: Period) -> dc.CellSystem:
    """Every count a factsheet publishes for one location, with the lines that link them.

    Keys: ``m:<month>``, ``T`` (period), ``E`` (earlier months; the latest month's total is
    ``m:<latest>``), ``<item>:<code>:<col>`` and ``<share>:yes|no:<col>``.
    """
    s = dc.CellSystem()
    per_month = reg["maand"].value_counts()
    months = [s.add(f"m:{m}", int(per_month.get(m, 0))) for m in period.months]
    s.add("T", len(_in(reg, period.months)))
    s.add_line("T", months)
    s.add("E", len(_in(reg, period.earlier)))
    s.add_line("E", months[:-1])
    s.add_line("T", [months[-1], "E"])
    totals = {"L": months[-1], "E": "E", "T": "T"}
    for item in ITEMS:
        for col in ("L", "E"):
            codes = _item_codes(_in(reg, period.columns()[col]), item).value_counts()
            keys = [s.add(f"{item}:{c}:{col}", int(codes.get(c, 0))) for c in _codes(item)]
            s.add_line(totals[col], keys)
    for name, (item, yes, _label) in SHARES.items():
        for col, months_ in period.columns().items():
            sub = _in(reg, months_)
            n_yes = int(sub[item].isin(list(yes)).fillna(False).sum())
            s.add(f"{name}:yes:{col}", n_yes)
            s.add(f"{name}:no:{col}", len(sub) - n_yes)
            s.add_line(totals[col], [f"{name}:yes:{col}", f"{name}:no:{col}"])
        for part in ("yes", "no"):
            s.add_line(f"{name}:{part}:T", [f"{name}:{part}:L", f"{name}:{part}:E"])
    return s


# --- one system over every published per-location table ---------------------------------
SEP = "|"
NATIONAL = "nat"


def joint_system(
    reg: pd.DataFrame, period: Period, locations: Sequence[str]
) -> tuple[dc.CellSystem, frozenset[str]]:
    """Every per-location count a build publishes, linked to the national counts.

    The factsheets of all locations (:func:`location_system`, keys prefixed ``<LOC>|``), the
    national report's table of registrations per location and month (the same ``<LOC>|m:<month>``
    cells, its row totals are ``<LOC>|T``) and the results CSV behind it, and the national
    counts that add them up (``nat|m:<month>``, ``nat|T``, ``nat|<item>:<code>`` over the period,
    ``nat|<share>:yes``), which the national report shows. Suppressing each factsheet on its
    own is not enough: a national count minus the shown cells of the other locations gives a
    cell one factsheet hid.

    The build extends this system with every count of chapter 2 and suppresses it once
    (:mod:`analysis.present.publish`).

    Returns
    -------
    (CellSystem, frozenset of str)
        The system and its national cells.
    """
    s = dc.CellSystem()
    reg = _in(reg, period.months)
    for loc in locations:
        sub = location_system(reg[reg["locatie"] == loc], period)
        for key, value in sub.values.items():
            s.add(f"{loc}{SEP}{key}", value)
        for line in sub.lines:
            s.add_line(f"{loc}{SEP}{line.total}", [f"{loc}{SEP}{x}" for x in line.parts])
    nat = []
    for m in period.months:
        nat.append(s.add(f"{NATIONAL}{SEP}m:{m}", int((reg["maand"] == m).sum())))
        s.add_line(nat[-1], [f"{loc}{SEP}m:{m}" for loc in locations])
    keep = list(nat)
    keep.append(s.add(f"{NATIONAL}{SEP}T", len(reg)))
    s.add_line(keep[-1], nat)
    s.add_line(keep[-1], [f"{loc}{SEP}T" for loc in locations])
    for item in ITEMS:
        codes = _item_codes(reg, item).value_counts()
        for c in _codes(item):
            keep.append(s.add(f"{NATIONAL}{SEP}{item}:{c}", int(codes.get(c, 0))))
            s.add_line(keep[-1], [f"{loc}{SEP}{item}:{c}:{col}" for loc in locations for col in ("L", "E")])
    for name, (item, yes, _label) in SHARES.items():
        keep.append(s.add(f"{NATIONAL}{SEP}{name}:yes", int(reg[item].isin(list(yes)).fillna(False).sum())))
        s.add_line(keep[-1], [f"{loc}{SEP}{name}:yes:T" for loc in locations])
    return s, frozenset(keep)


def hidden_of(hidden: frozenset[str], location: str) -> frozenset[str]:
    """The cells of one location (keys of :func:`location_system`) in a joint hidden set."""
    prefix = f"{location}{SEP}"
    return frozenset(h[len(prefix) :] for h in hidden if h.startswith(prefix))


# --- statistics per column ----------------------------------------------------------------
def rate_per_10(reg: pd.DataFrame, occ: pd.DataFrame, months: Sequence[str]) -> float:
    """Registrations per 10 youths per month over ``months`` (occupancy summed over months).

    Months without occupancy (a location that had not started) are left out of both sides.
    When such a month holds registrations the rate is NaN: it would count only part of the
    registrations, and that part is a number the factsheet does not show.
    """
    per_month = occ.groupby(occ["maand"].astype(str))["gemiddelde_bezetting"].sum()
    usable = [m for m in months if per_month.get(m, 0) > 0]
    n = len(_in(reg, months))
    if not usable or len(_in(reg, usable)) != n:
        return float("nan")
    return n / float(per_month[usable].sum()) * 10


def active_months(
    locations: pd.DataFrame | None,
    location: str,
    months: Sequence[str],
    reg: pd.DataFrame | None = None,
    occ: pd.DataFrame | None = None,
) -> list[str]:
    """Months of ``months`` in which ``location`` actually took part.

    A month counts when it lies within the location's participation in the locations table
    (``eerste_maand..laatste_maand``, when given) and, when ``reg``/``occ`` are given, the
    location has occupancy or at least one registration in it. The table alone is not enough:
    a location listed from the first measurement may start registering months into the second.

    Parameters
    ----------
    locations : DataFrame or None
        Locations table (``locatie``, ``eerste_maand``, ``laatste_maand``).
    location : str
        Location code.
    months : sequence of str
        Candidate months (``YYYY-MM``).
    reg, occ : DataFrame, optional
        Registrations and occupancy (any locations; filtered to ``location`` here).

    Returns
    -------
    list of str
        The active months, in the order of ``months``.
    """
    out = list(months)
    if locations is not None and "eerste_maand" in locations and location in set(locations["locatie"]):
        row = locations[locations["locatie"] == location].iloc[0]
        first, last = str(row["eerste_maand"]), str(row["laatste_maand"])
        out = [m for m in out if first <= m <= last]
    if reg is not None and occ is not None:
        o = occ[occ["locatie"] == location]
        with_occ = set(o.loc[o["gemiddelde_bezetting"].fillna(0) > 0, "maand"].astype(str))
        with_reg = set(reg.loc[reg["locatie"] == location, "maand"].astype(str))
        out = [m for m in out if m in with_occ | with_reg]
    return out


def span_label(months: Sequence[str]) -> str:
    """``"nov 2020 – feb 2021"`` for a run of months (one label for one month; "–" for none)."""
    if not months:
        return NA_TEXT
    first, last = nf.month(months[0]), nf.month(months[-1])
    return first if first == last else f"{first} – {last}"


def median_duration(reg: pd.DataFrame) -> tuple[float, int]:
    """Median usable duration in minutes and its base."""
    d = usable_durations(reg).dropna()
    return (float(d.median()) if len(d) else float("nan")), len(d)


def _fmt_rate(x: float) -> str:
    return NA_TEXT if pd.isna(x) else nf.number(x, 1)


def _fmt_share(n: int, base: int, hidden: bool) -> str:
    if n == 0 and base > 0:
        return nf.percent(0.0)  # 0% whatever the (possibly hidden) base
    if hidden:
        return dc.SUPPRESSED_MARK
    return NA_TEXT if base == 0 else nf.percent(n / base * 100)


def _fmt_median(reg: pd.DataFrame, k: int) -> str:
    med, base = median_duration(reg)
    if 0 < base < k:
        return dc.SUPPRESSED_MARK
    return NA_TEXT if base == 0 else format_hmm(med)


# --- national figures ---------------------------------------------------------------------
def national_figures(
    reg: pd.DataFrame,
    occ: pd.DataFrame,
    period: Period,
    hidden: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """The national figures exactly as a factsheet displays them (rounded text and values).

    Every factsheet of a measurement shows the same national figures; their digest is an
    input of each factsheet step (see :func:`analysis.pipeline.factsheet_steps.factsheet_steps`).

    ``hidden``: national cells hidden by the build's decision (keys without ``nat|``, see
    :meth:`analysis.present.publish.Decision.national`). A share of a hidden national count,
    with the national total known, would give the count back: it shows the suppression mark,
    and so does the rate of a hidden month.
    """
    reg = _in(reg, period.months)
    out: dict[str, Any] = {"months": {}}
    for m in period.months:
        rate = rate_per_10(reg, occ, [m])
        out["months"][m] = None if pd.isna(rate) or f"m:{m}" in hidden else round_half_up(rate, 1)
    # No national count: it is no comparison for one location, and as an exact number it would
    # change with every added registration anywhere and so re-run every factsheet.
    out["n"] = NA_TEXT
    out["rate"] = _fmt_rate(rate_per_10(reg, occ, period.months))
    out["median"] = _fmt_median(reg, 0)
    out["median_latest"] = _fmt_median(_in(reg, [period.latest]), 0)
    out["period"] = span_label(period.months)
    whole = "T" in hidden
    if whole or any(f"m:{m}" in hidden for m in period.months):
        out["rate"] = dc.SUPPRESSED_MARK
    for name, (item, yes, _label) in SHARES.items():
        n_yes = int(reg[item].isin(list(yes)).fillna(False).sum())
        out[name] = _fmt_share(n_yes, len(reg), whole or f"{name}:yes" in hidden)
    for item in ITEMS:
        codes = _item_codes(reg, item).value_counts()
        out[item] = {
            c: _fmt_share(int(codes.get(c, 0)), len(reg), whole or f"{item}:{c}" in hidden)
            for c in _codes(item)
        }
    return out


# --- the factsheet content ----------------------------------------------------------------
def _count(s: dc.CellSystem, hidden: frozenset[str], key: str) -> str:
    return dc.show_count(s.values[key], key in hidden)


def _indicator_rows(
    reg: pd.DataFrame,
    occ: pd.DataFrame,
    period: Period,
    s: dc.CellSystem,
    hidden: frozenset[str],
    national: dict[str, Any],
    k: int,
) -> list[list[str]]:
    totals = {"L": f"m:{period.latest}", "E": "E", "T": "T"}
    cols = period.columns()
    rows = [["Registraties (aantal)", *(_count(s, hidden, totals[c]) for c in cols), national["n"]]]
    rates = []
    for c, months in cols.items():
        rate = rate_per_10(reg, occ, months)
        rates.append(dc.SUPPRESSED_MARK if totals[c] in hidden else _fmt_rate(rate))
    rows.append(["Per 10 jongeren per maand", *rates, national["rate"]])
    rows.append(
        ["Mediane duur (uur:min)", *(_fmt_median(_in(reg, m), k) for m in cols.values()), national["median"]]
    )
    for name, (_item, _yes, label) in SHARES.items():
        cells = []
        for c in cols:
            yes = f"{name}:yes:{c}"
            hide = yes in hidden or totals[c] in hidden
            cells.append(_fmt_share(s.values[yes], s.values[totals[c]], hide))
        rows.append([label, *cells, national[name]])
    return rows


def _item_table(
    item: str, s: dc.CellSystem, hidden: frozenset[str], period: Period, national: dict[str, Any]
) -> dict[str, Any]:
    f = codebook.field(item)
    totals = {"L": f"m:{period.latest}", "E": "E"}
    rows = []
    for code in _codes(item):
        label = codebook.missing_label() if code == MISSING_CODE else f.label(int(code))
        row = [label]
        for col in ("L", "E"):
            key = f"{item}:{code}:{col}"
            hide = key in hidden or totals[col] in hidden
            row += [_count(s, hidden, key), _fmt_share(s.values[key], s.values[totals[col]], hide)]
        rows.append(row + [national[item][code]])
    total = ["Totaal"]
    for col in ("L", "E"):
        total += [
            _count(s, hidden, totals[col]),
            "100%" if totals[col] not in hidden and s.values[totals[col]] else NA_TEXT,
        ]
    return {"title": ITEMS[item], "rows": rows, "total": total + ["100%"]}


def _months(
    reg: pd.DataFrame,
    occ: pd.DataFrame,
    period: Period,
    s: dc.CellSystem,
    hidden: frozenset[str],
    national: dict[str, Any],
    active: Sequence[str],
) -> list[dict[str, Any]]:
    out = []
    for m in period.months:
        key = f"m:{m}"
        rate = rate_per_10(reg, occ, [m])
        shown = key not in hidden
        absent = m not in active and s.values[key] == 0  # did not take part: no count, no zero
        out.append(
            {
                "month": m,
                "label": nf.month(m),
                "latest": m == period.latest,
                "n": s.values[key] if shown and not absent else None,
                "text": NA_TEXT if absent else _count(s, hidden, key),
                "active": not absent,
                "rate": round_half_up(rate, 1) if shown and not pd.isna(rate) else None,
                "national_rate": national["months"][m],
            }
        )
    return out


def factsheet(
    reg: pd.DataFrame,
    occ: pd.DataFrame,
    *,
    location: str,
    period: Period,
    k: int = dc.DEFAULT_MIN_CELL_SIZE,
    national: dict[str, Any] | None = None,
    locations: pd.DataFrame | None = None,
    hidden: frozenset[str] | None = None,
    national_hidden: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Display-ready content of one factsheet, after disclosure control.

    Parameters
    ----------
    reg, occ : DataFrame
        Registrations and occupancy of ALL locations of the measurement (for the national
        figure); the location's rows are selected here.
    location : str
        Location code.
    period : Period
        Months shown; the last is "the latest month".
    k : int
        Minimum cell size.
    national : dict, optional
        Precomputed :func:`national_figures`.
    locations : DataFrame, optional
        Locations table: months outside the location's participation show "–", not 0.
    hidden : frozenset of str, optional
        This location's hidden cells from the suppression over every published table
        (:func:`analysis.present.publish.decide`); None: this factsheet suppressed on its own.
    national_hidden : frozenset of str
        National cells hidden by the same decision (:func:`national_figures`), used when
        ``national`` is not given.

    Returns
    -------
    dict
        JSON-serialisable: ``months``, ``indicators`` (columns, rows), ``tables``,
        ``key_figures``, ``hidden`` (number of hidden cells) and labels. Contains no
        hidden count and no registration-level value.
    """
    national = national or national_figures(reg, occ, period, national_hidden)
    loc_reg = _in(reg[reg["locatie"] == location], period.months)
    loc_occ = occ[occ["locatie"] == location]
    s = location_system(loc_reg, period)
    hidden = dc.suppress(s, k) if hidden is None else frozenset(hidden)
    active = active_months(locations, location, period.months, loc_reg, loc_occ)
    active_earlier = [m for m in period.earlier if m in active]
    latest_label = nf.month(period.latest)
    # Column headings name the months each column really covers: a location that started late
    # or stopped early has fewer months than the measurement.
    labels = {"L": latest_label, "E": span_label(active_earlier), "T": span_label(active)}
    indicators = _indicator_rows(loc_reg, loc_occ, period, s, hidden, national, k)
    months = _months(loc_reg, loc_occ, period, s, hidden, national, active)
    tables = [_item_table(item, s, hidden, period, national) for item in ITEMS]
    if not months[-1]["active"]:  # the location did not take part in the latest month
        indicators[0][1] = indicators[1][1] = indicators[2][1] = NA_TEXT
        for row in (r for t in tables for r in [*t["rows"], t["total"]]):
            row[1] = row[2] = NA_TEXT
    return {
        "location": location,
        "latest": latest_label,
        "earlier": labels["E"],
        "whole": labels["T"],
        "national_period": national["period"],
        "min_cell_size": k,
        "hidden": len(hidden),
        "months": months,
        "active_months": len(active),
        "inactive": [m["label"] for m in months if not m["active"]],
        "indicators": {
            "columns": ["", labels["L"], labels["E"], labels["T"], f"Landelijk {national['period']}"],
            "rows": indicators,
        },
        "tables": tables,
        "key_figures": _key_figures(
            s, hidden, period, labels, months, indicators, national, len(active), len(active_earlier)
        ),
    }


def _key_figures(
    s: dc.CellSystem,
    hidden: frozenset[str],
    period: Period,
    labels: dict[str, str],
    months: list[dict[str, Any]],
    indicators: list[list[str]],
    national: dict[str, Any],
    n_active: int,
    n_earlier: int,
) -> list[dict[str, str]]:
    """The four key figures at the top of a factsheet (label, value, line below).

    Parameters
    ----------
    s, hidden
        The location's cell system and its hidden cells (``E``: the earlier months' total).
    period : Period
        Months shown.
    labels : dict
        Column headings: ``L`` the latest month, ``E`` the earlier months, ``T`` the whole period.
    months, indicators
        The factsheet's per-month cells and indicator rows (:func:`factsheet`).
    national : dict
        :func:`national_figures`.
    n_active, n_earlier : int
        Months the location took part in: in the whole period, before the latest month.
    """
    latest = labels["L"]
    nat_latest = national["months"][period.latest]
    nat_latest = float("nan") if nat_latest is None else nat_latest
    avg = (
        dc.SUPPRESSED_MARK
        if "E" in hidden
        else NA_TEXT
        if not n_earlier
        else nf.number(s.values["E"] / n_earlier, 1)
    )
    months_word = "maand" if len(period.months) == 1 else "maanden"
    return [
        {
            "label": f"Registraties {latest}",
            "value": months[-1]["text"],
            "sub": (f"{labels['E']}: gemiddeld {avg} per maand" if n_earlier else "geen eerdere maanden"),
        },
        {
            "label": f"Per 10 jongeren {latest}",
            "value": indicators[1][1],
            "sub": f"{labels['E']}: {indicators[1][2]} · landelijk {latest}: {_fmt_rate(nat_latest)}",
        },
        {
            "label": f"Mediane duur {latest} (uur:min)",
            "value": indicators[2][1],
            "sub": f"{labels['E']}: {indicators[2][2]} · landelijk {latest}: {national['median_latest']}",
        },
        {
            "label": f"Registraties {labels['T']}",
            "value": _count(s, hidden, "T"),
            "sub": f"{n_active} van de {len(period.months)} {months_word} van de meting",
        },
    ]


def months_between(months: Sequence[str], first: str, last: str) -> Period:
    """The :class:`Period` from ``first`` to ``last`` within a measurement's months."""
    chosen = tuple(m for m in months if first <= m <= last)
    if not chosen or chosen[0] != first or chosen[-1] != last:
        raise ValueError(f"period {first}..{last} is not within the measurement ({months[0]}..{months[-1]})")
    return Period(chosen)


__all__ = [
    "ITEMS",
    "SHARES",
    "Period",
    "factsheet",
    "hidden_of",
    "joint_system",
    "location_system",
    "median_duration",
    "months_between",
    "national_figures",
    "active_months",
    "rate_per_10",
    "span_label",
]
