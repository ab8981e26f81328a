"""One disclosure decision per build over every count it publishes.

A real-data build publishes the same registrations in many linked forms: chapter 2 of the
national report (per month, per category, per hour, per location and month, months and
registrations per location, missing items, durations per reason), the results CSVs behind
those tables, and one factsheet per location. A cell hidden in one of them can be recomputed
from the others (a national count minus the shown locations; a row of the location x month
table; a category total minus the other shown categories). Suppressing each table on its own
therefore protects nothing; this module decides once, for all of them together:

1. :func:`published_system` builds one :class:`~analysis.describe.disclosure.CellSystem` of
   every published count, taken from the very tables chapter 2 writes
   (:func:`analysis.describe.chapter_results.chapter2_tables`) and the factsheets' cells
   (:func:`analysis.present.location.joint_system`), with every additive line that links
   them. A cell added twice under one key with different values raises, so the two sources
   cannot drift apart unnoticed.
2. :func:`decide` applies the build's rule (:func:`analysis.describe.disclosure.rule_for`):
   every count from 1 to ``k - 1`` is hidden, the national ones included; then secondary
   suppression and the LP audit until no hidden cell can be narrowed below
   :data:`~analysis.describe.disclosure.MIN_WIDTH`. The national total and the monthly totals
   (stated in the report's text) stay shown; only when that cannot protect a cell are they
   hidden as well (``fallback``). When even that finds no pattern (little data: a few
   registrations spread over many locations), :func:`decide` widens the suppression step by
   step (:class:`Widening`): the whole table of a location, then that table at every location,
   then the table everywhere with its national counts, then the kept totals, at worst every
   count. Nothing fails: the result is always a protected set, and
   :func:`widening_sentences` says in plain Dutch what was widened and why.
3. The decision is written once per build (``<build>/disclosure/meting-<N>.json``, the build's
   ``disclosure`` step) and read by the chapter-2 notebook (displayed tables and results
   CSVs, :func:`publisher`) and by every factsheet; :func:`decision_for` recomputes it only
   when the file is missing or was made from other data, another rule or another period.

In a published results CSV a hidden count reads :data:`~analysis.describe.disclosure.SUPPRESSED_MARK`
(``x``) and its percentage and statistics are empty; the column ``onderdrukt`` of a table with
hidden cells names the hidden columns of each row. On the twin (``k <= 1``) nothing is hidden,
the files keep their numbers, and the notes say so.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping

import pandas as pd

from analysis import codebook
from analysis.core import paths
from analysis.describe import disclosure as dc
from analysis.describe.categories import FIGURE_ITEMS, MISSING_CODE
from analysis.describe.chapter_results import Result, chapter2_tables
from analysis.describe.load import MeasurementData
from analysis.present import format as nf
from analysis.present import location as dl
from analysis.present import text

NAT = dl.NATIONAL
SEP = dl.SEP
#: Column of a published results table that lists the hidden columns of each row.
NOTE_COLUMN = "onderdrukt"
#: Version of the rule's implementation, stored with a decision (a stale file is recomputed).
RULE_VERSION = 3
#: Columns emptied together with a hidden count (percentages and duration statistics).
DERIVED = ("pct", "min", "max", "mean", "median", "min_hmm", "max_hmm", "mean_hmm", "median_hmm")


def _n(key: str) -> str:
    return f"{NAT}{SEP}{key}"


# --- which published cell is which key ----------------------------------------------------
def result_cells(name: str, table: pd.DataFrame) -> list[tuple[int, str, str]]:
    """Published counts of one chapter-2 result: (row position, column, key in the system).

    Tables not listed here publish no count of registrations or youths (summaries of
    locations, model output) and are left as they are.
    """
    items = {res: item for item, (_fig, res) in FIGURE_ITEMS.items()}
    out: list[tuple[int, str, str]] = []
    for i, row in enumerate(table.to_dict("records")):
        if name == "ch2_fig01_per_month":
            out += [(i, "n", _n(f"m:{row['maand']}")), (i, "denominator", _n("T"))]
        elif name == "ch2_fig01_per_location_month":
            out.append((i, "n", f"{row['locatie']}{SEP}m:{row['maand']}"))
        elif name == "ch2_s2_1_coverage":
            out.append((i, "n_registrations", f"{row['locatie']}{SEP}T"))
        elif name in items:
            out += [(i, "n", _n(f"{items[name]}:{row['code']}")), (i, "denominator", _n("T"))]
        elif name == "ch2_fig11_evaluation_with_youth":
            out += [(i, "n", _n(f"evaluatie_2:{row['code']}")), (i, "denominator", _n("evaluatie:yes"))]
        elif name == "ch2_s2_2_missingness":
            item = row["item"]
            if item in FIGURE_ITEMS or item == "evaluatie_2":
                key = _n(f"{item}:{MISSING_CODE}")
            else:
                key = _n(f"missing:{item}")
            den = _n("evaluatie:yes") if item == "evaluatie_2" else _n("T")
            out += [(i, "n_missing", key), (i, "denominator", den)]
        elif name == "ch2_fig06_room_by_reason":
            r = row["reason_code"]
            out += [(i, "n", _n(f"rr:{r}:{row['code']}")), (i, "denominator", _n(f"rrden:{r}"))]
        elif name == "ch2_fig07_start_hour":
            out += [(i, "n", _n(f"hour:{row['hour']}")), (i, "denominator", _n("hours"))]
        elif name == "ch2_fig08_start_hour_by_reason":
            r = row["reason_code"]
            out += [(i, "n", _n(f"hr:{r}:{row['hour']}")), (i, "denominator", _n(f"hrden:{r}"))]
        elif name == "ch2_s2_1_1_per_youth":
            out += [(i, "n_youths", _n(f"py:{row['registrations']}")), (i, "denominator", _n("youths"))]
        elif name == "ch2_tab02_duration_by_reason":
            out += [(i, "n", _n(f"aanleiding:{row['code']}")), (i, "n_duration", _n(f"dur:{row['code']}"))]
    return out


def _codes(values: Mapping[str, int], prefix: str) -> list[str]:
    """Keys of the system that start with ``prefix`` (in insertion order)."""
    return [k for k in values if k.startswith(prefix)]


def _item_keys(item: str) -> list[str]:
    """National keys of every code of a codebook item, "niet ingevuld" last (as the tables)."""
    return [_n(f"{item}:{c}") for c in [*(str(c) for c in codebook.field(item).codes), MISSING_CODE]]


def _line_if_consistent(s: dc.CellSystem, total: str, parts: list[str]) -> None:
    """Add ``total = sum(parts)`` when all cells exist (a table may be absent or empty)."""
    if parts and total in s.values and all(p in s.values for p in parts):
        s.add_line(total, parts)


def _national_lines(s: dc.CellSystem) -> None:
    """The additive lines among the national cells of chapter 2 (see :func:`published_system`)."""
    v = s.values
    _line_if_consistent(s, _n("T"), _codes(v, _n("m:")))
    for item in FIGURE_ITEMS:
        _line_if_consistent(s, _n("T"), _item_keys(item))
    _line_if_consistent(s, _n("contact:yes"), [_n("contact:3")])
    _line_if_consistent(s, _n("evaluatie:yes"), [_n("evaluatie_1:2"), _n("evaluatie_1:3")])
    _line_if_consistent(s, _n("evaluatie:yes"), _item_keys("evaluatie_2"))
    reasons = [k.split(":", 1)[1] for k in _item_keys("aanleiding")]
    rooms = [k.split(":", 1)[1] for k in _item_keys("ruimte")]
    for r in reasons:
        _line_if_consistent(s, _n(f"aanleiding:{r}"), [_n(f"rr:{r}:{room}") for room in rooms])
        registered = [_n(f"rr:{r}:{room}") for room in rooms if room != MISSING_CODE]
        _line_if_consistent(s, _n(f"rrden:{r}"), registered)
        hours = _codes(v, _n(f"hr:{r}:"))
        _line_if_consistent(s, _n(f"hrden:{r}"), hours)
        # Every registration has a start hour (ingest requires it): the hour block of a reason
        # is the reason's count, which a reader can see; link them when they are equal.
        if _n(f"hrden:{r}") in v and v[_n(f"hrden:{r}")] == v.get(_n(f"aanleiding:{r}")):
            s.add_line(_n(f"aanleiding:{r}"), [_n(f"hrden:{r}")])
    for room in rooms:
        _line_if_consistent(s, _n(f"ruimte:{room}"), [_n(f"rr:{r}:{room}") for r in reasons])
    for h in [k.split(":", 1)[1] for k in _codes(v, _n("hour:"))]:
        _line_if_consistent(s, _n(f"hour:{h}"), [_n(f"hr:{r}:{h}") for r in reasons])
    _line_if_consistent(s, _n("hours"), _codes(v, _n("hour:")))
    if _n("hours") in v and v[_n("hours")] == v.get(_n("T")):
        s.add_line(_n("T"), [_n("hours")])
    _line_if_consistent(s, _n("youths"), _codes(v, _n("py:")))


def published_system(
    data: MeasurementData, period: dl.Period, tables: Mapping[str, Result] | None = None
) -> tuple[dc.CellSystem, frozenset[str]]:
    """Every count a build publishes about one measurement, and the lines that link them.

    The factsheets of every location with their links to the national counts
    (:func:`analysis.present.location.joint_system`), extended with every count of the
    chapter-2 tables (keys from :func:`result_cells`) and the lines among them: each
    distribution adds up to the national total, the room x reason and hour x reason tables to
    their margins, the registrations of a location to its row of the location x month table.

    Parameters
    ----------
    data : MeasurementData
        The measurement as chapter 2 and the factsheets load it.
    period : Period
        The months published (the measurement's period).
    tables : mapping, optional
        Precomputed :func:`analysis.describe.chapter_results.chapter2_tables`.

    Returns
    -------
    (CellSystem, frozenset of str)
        The system and its headline national cells: those that link the per-location tables
        (per month, the total, the factsheets' categories and shares).
    """
    locations = sorted(set(data.locations["locatie"]) | set(data.registrations["locatie"]))
    s, headline = dl.joint_system(data.registrations, period, locations)
    tables = tables if tables is not None else chapter2_tables(data)
    for name, res in tables.items():
        t = res.table
        for i, col, key in result_cells(name, t):
            value = t[col].iloc[i]
            if pd.isna(value):
                continue
            if key not in s.values and SEP in key and not key.startswith(f"{NAT}{SEP}") and int(value) != 0:
                raise KeyError(f"{name}: per-location cell {key!r} is not in the factsheets' system")
            s.add(key, int(value))
    _national_lines(s)
    return s, headline


# --- which published table a cell belongs to ----------------------------------------------
#: The per-location table of registrations per month (its row totals ``E`` and ``T`` too):
#: the location x month table of chapter 2, its results CSV and each factsheet's month chart.
MONTHS_TABLE = "ch2_fig01_per_location_month"
#: The national counts per month and the national total, which the report's text states.
TOTALS_TABLE = "ch2_fig01_per_month"
#: Table id of the last resort: every count of the measurement.
EVERY_TABLE = "*"
#: Prefix of the per-location tables that only the factsheets publish (``factsheet:<item>``).
FACTSHEET = "factsheet:"
#: National cell key (without ``nat|``) -> chapter-2 result, for the keys that are not a
#: codebook item (those follow :data:`~analysis.describe.categories.FIGURE_ITEMS`).
_NATIONAL_TABLES = {
    "m": TOTALS_TABLE,
    "T": TOTALS_TABLE,
    "rr": "ch2_fig06_room_by_reason",
    "rrden": "ch2_fig06_room_by_reason",
    "hour": "ch2_fig07_start_hour",
    "hours": "ch2_fig07_start_hour",
    "hr": "ch2_fig08_start_hour_by_reason",
    "hrden": "ch2_fig08_start_hour_by_reason",
    "py": "ch2_s2_1_1_per_youth",
    "youths": "ch2_s2_1_1_per_youth",
    "dur": "ch2_tab02_duration_by_reason",
    "missing": "ch2_s2_2_missingness",
    "evaluatie_2": "ch2_fig11_evaluation_with_youth",
}


def table_of(key: str) -> tuple[str, str | None]:
    """The published table of a cell of :func:`published_system` and its location.

    Returns
    -------
    (str, str or None)
        Table id (a chapter-2 result name, or ``factsheet:<item>`` for a table or indicator
        only the factsheets show) and the location code; None for a national cell.
    """
    loc, _, local = key.partition(SEP)
    head, _, rest = local.partition(":")
    if loc != NAT:
        if head in ("m", "E", "T"):
            return MONTHS_TABLE, loc
        if head in dl.ITEMS or head in dl.SHARES:
            return f"{FACTSHEET}{head}", loc
    elif head in dl.SHARES and rest == "yes":  # the factsheets' national column of a share
        return f"{FACTSHEET}{head}", None
    elif head in _NATIONAL_TABLES:
        return _NATIONAL_TABLES[head], None
    elif head in FIGURE_ITEMS:
        return FIGURE_ITEMS[head][1], None
    raise KeyError(f"no published table for cell {key!r}")


def national_part(table: str) -> str:
    """The national table that a per-location table adds up to (itself for a share)."""
    if table == MONTHS_TABLE:
        return TOTALS_TABLE
    name = table.removeprefix(FACTSHEET)
    return FIGURE_ITEMS[name][1] if name in dl.ITEMS else table


# --- widening: what is hidden beyond the rule when the rule finds no pattern --------------
#: Reason codes of a widening -> the Dutch reason (``{k}`` is the minimum cell size).
REASONS = {
    "protect": "te weinig registraties om cellen onder {k} te beschermen",
    "below_k": "minder dan {k} registraties",
}
#: Scopes of a widening, from narrow to wide: one table of some locations, that table at every
#: location, that table everywhere with its national counts, the national total and monthly
#: counts the report's text states, every count.
SCOPES = ("locatie", "tabel", "alles", "totalen", "alle")


@dataclass(frozen=True)
class Widening:
    """One step by which a decision hides more than the rule's own suppression.

    Attributes
    ----------
    table : str
        Table id (:func:`table_of`; :data:`EVERY_TABLE` for every table).
    scope : str
        One of :data:`SCOPES`.
    reason : str
        Key of :data:`REASONS`.
    title : str
        The table's title as chapter 2 or the factsheet labels it.
    locations : tuple of str
        Scope ``locatie``: the locations whose table is hidden.
    cells : tuple of str
        Scope ``totalen``: the hidden national totals (keys, never counts).
    """

    table: str
    scope: str
    reason: str
    title: str = ""
    locations: tuple[str, ...] = ()
    cells: tuple[str, ...] = ()


@dataclass
class _Ladder:
    """Which tables are hidden whole, widened one step per round for the cells still narrow."""

    keep: frozenset[str]
    blocks: dict[str, tuple[str, str | None]]
    located: dict[str, set[str]] = field(default_factory=dict)
    tables: set[str] = field(default_factory=set)
    whole: set[str] = field(default_factory=set)
    released: bool = False
    everything: bool = False

    def keep_now(self) -> frozenset[str]:
        """The kept totals, until the ladder releases them."""
        return frozenset() if self.released or MONTHS_TABLE in self.whole else self.keep

    def forced(self) -> set[str]:
        """Every cell of the tables hidden whole (kept totals excepted while kept)."""
        national = {national_part(t) for t in self.whole} | self.tables
        out = set()
        for cell, (table, loc) in self.blocks.items():
            if self.everything:
                out.add(cell)
            elif loc is None:
                if table in national:
                    out.add(cell)
            elif table in self.whole or table in self.tables or loc in self.located.get(table, ()):
                out.add(cell)
        return out - self.keep_now()

    def widen(self, narrow: Iterable[str]) -> None:
        """One step up for the table of every narrow cell, judged on the state before the round.

        A location's table, then that table at every location, then with its national counts
        (a national table: itself, then the per-location table adding up to it). When no
        table can widen further, the kept totals are released, and after that every count.
        """
        located = {t: set(locs) for t, locs in self.located.items()}
        tables, whole = set(self.tables), set(self.whole)
        owners = {national_part(t): t for t in self.blocks_tables() if t != national_part(t)}
        for cell in sorted(narrow):
            table, loc = self.blocks[cell]
            if loc is None:
                if table not in self.tables and table != TOTALS_TABLE and table not in owners:
                    tables.add(table)
                    continue
                owner = owners.get(table)
                if owner is None or owner in self.whole:
                    continue
                table, loc = owner, ""
            if table in self.whole:
                continue
            if table in self.tables:
                whole.add(table)
            elif loc and loc not in self.located.get(table, ()):
                located.setdefault(table, set()).add(loc)
            else:
                tables.add(table)
        if (located, tables, whole) != (self.located, self.tables, self.whole):
            self.located, self.tables, self.whole = located, tables, whole
        elif not self.keep_now():
            self.everything = True
        else:
            self.released = True

    def blocks_tables(self) -> set[str]:
        """The per-location tables of the system."""
        return {t for t, loc in self.blocks.values() if loc is not None}

    def widenings(self, titles: Mapping[str, str]) -> list[Widening]:
        """The tables hidden whole, as :class:`Widening` records (widest scope first)."""
        if self.everything:
            return [Widening(EVERY_TABLE, "alle", "protect")]
        out = [Widening(t, "alles", "protect", titles.get(t, "")) for t in sorted(self.whole)]
        out += [Widening(t, "tabel", "protect", titles.get(t, "")) for t in sorted(self.tables - self.whole)]
        out += [
            Widening(t, "locatie", "protect", titles.get(t, ""), tuple(sorted(locs)))
            for t, locs in sorted(self.located.items())
            if t not in self.tables and t not in self.whole
        ]
        return out


def _widen(
    system: dc.CellSystem, k: int, keep: frozenset[str], narrow: Iterable[str]
) -> tuple[frozenset[str], _Ladder]:
    """Suppression with whole tables hidden, widened until a protected pattern is found.

    Ends: every round widens a table, releases the kept totals or, last, hides every count.
    Every non-zero count hidden is protected (only zeros shown: each line reads
    ``hidden total = sum of hidden parts``, and scaling the true counts up keeps them
    consistent, so no hidden cell has an upper bound).
    """
    ladder = _Ladder(keep, {c: table_of(c) for c in system.values})
    while True:
        ladder.widen(narrow)
        if ladder.everything:
            return frozenset(c for c, v in system.values.items() if v > 0), ladder
        try:
            hidden = dc.suppress(system, k, forced=ladder.forced(), keep=ladder.keep_now(), large=True)
        except dc.Unprotectable as err:
            narrow = err.narrow
        else:
            return hidden, ladder


def _titles(tables: Mapping[str, Result]) -> dict[str, str]:
    """Table id -> title: chapter 2's result titles and the factsheets' table and row labels."""
    out = {name: res.title for name, res in tables.items()}
    out.update({f"{FACTSHEET}{item}": title for item, title in dl.ITEMS.items()})
    out.update({f"{FACTSHEET}{name}": label for name, (_f, _y, label) in dl.SHARES.items()})
    return out


def _totals_widenings(
    system: dc.CellSystem, hidden: frozenset[str], totals: frozenset[str], k: int, title: str
) -> list[Widening]:
    """The national total and monthly counts that are hidden: below k, or to protect others."""
    gone = sorted(c for c in totals if c in hidden)
    below = tuple(c for c in gone if system.values[c] < k)
    other = tuple(c for c in gone if system.values[c] >= k)
    out = []
    if other:
        out.append(Widening(TOTALS_TABLE, "totalen", "protect", title, cells=other))
    if below:
        out.append(Widening(TOTALS_TABLE, "totalen", "below_k", title, cells=below))
    return out


# --- the decision ------------------------------------------------------------------------
@dataclass(frozen=True)
class Decision:
    """The hidden cells of one measurement's published counts under minimum cell size ``k``.

    ``widened`` lists what is hidden beyond the rule's own suppression (:class:`Widening`);
    :func:`widening_sentences` says it in words.
    """

    k: int
    hidden: frozenset[str]
    cells: int = 0
    fallback: bool = False
    seconds: float = 0.0
    digest: str = ""
    widened: tuple[Widening, ...] = ()

    def national(self) -> frozenset[str]:
        """Hidden national cells (keys without the ``nat|`` prefix)."""
        return dl.hidden_of(self.hidden, NAT)

    def of(self, location: str) -> frozenset[str]:
        """Hidden cells of one location's factsheet (keys of :func:`analysis.present.location.location_system`)."""
        return dl.hidden_of(self.hidden, location)


def data_digest(data: MeasurementData, period: dl.Period, k: int) -> str:
    """What a decision depends on: the registrations and locations, the period, ``k``, the rule."""
    h = hashlib.sha256(json.dumps([RULE_VERSION, k, list(period.months), data.meting]).encode())
    for frame in (data.registrations, data.locations):
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        h.update(",".join(map(str, frame.columns)).encode())
    return h.hexdigest()


def decide(data: MeasurementData, period: dl.Period, k: int) -> Decision:
    """Hidden cells of every published count (see the module docstring); none when ``k <= 1``.

    Never raises for lack of a pattern: when neither the rule with the kept totals nor the
    rule without them protects every hidden cell, whole tables are hidden step by step
    (:class:`Widening`, recorded in the decision).
    """
    digest = data_digest(data, period, k)
    if k <= 1:
        return Decision(k, frozenset(), digest=digest)
    t0 = time.perf_counter()
    tables = chapter2_tables(data)
    system, national = published_system(data, period, tables)
    titles = _titles(tables)
    # The national total and the monthly totals are stated in the report's text and figure
    # captions, so they stay shown (``keep``) when they are k or more. Every other count,
    # national ones included, is hidden when below k and may be hidden to protect another:
    # with the national category counts in the system a category of seven registrations
    # spread as 1 + 1 + ... over the locations can only be protected by hiding the national
    # count and what adds up to it.
    totals = frozenset(c for c in national if c == _n("T") or c.startswith(_n("m:")))
    keep = frozenset(c for c in totals if not 1 <= system.values[c] < k)
    fallback, ladder = False, None
    try:
        hidden = dc.suppress(system, k, keep=keep, large=True)
    except dc.Unprotectable as first:
        # A small total or month count (only one location, a short period) cannot be kept:
        # hide it too rather than publish nothing (the report's text then says "x").
        fallback = True
        try:
            hidden = dc.suppress(system, k, large=True)
        except dc.Unprotectable:
            # Cell by cell finds no pattern (too few registrations over too many cells):
            # hide whole tables, starting from the cells the rule with kept totals left narrow.
            hidden, ladder = _widen(system, k, keep, first.narrow)
    widened = [] if ladder is None else ladder.widenings(titles)
    if ladder is None or not ladder.everything:
        widened = _totals_widenings(system, hidden, totals, k, titles.get(TOTALS_TABLE, "")) + widened
    return Decision(k, hidden, len(system.values), fallback, time.perf_counter() - t0, digest, tuple(widened))


# --- what was widened, in words -----------------------------------------------------------
def _figure_label(table: str) -> str:
    """``Figuur 6`` / ``Tabel 2`` from a chapter-2 result name; ``""`` for other tables."""
    found = re.match(r"ch2_(fig|tab)(\d+)_", table)
    if not found or table == MONTHS_TABLE:  # a table beside Figure 1, not the figure itself
        return ""
    return f"{'Figuur' if found.group(1) == 'fig' else 'Tabel'} {int(found.group(2))}"


def _table_words(w: Widening) -> str:
    """How a sentence names the table of ``w`` (from the labels chapter 2 and the factsheets use)."""
    if w.table.removeprefix(FACTSHEET) in dl.SHARES:
        return f"het kengetal ‘{w.title}’"
    label = _figure_label(w.table)
    return f"{label} ({w.title})" if label else f"de tabel ‘{w.title}’"


def _totals_words(cells: Iterable[str]) -> tuple[str, int]:
    """``het landelijke totaal en 2 landelijke maandtotalen`` and the number of things named."""
    cells = list(cells)
    months = sum(c.startswith(_n("m:")) for c in cells)
    parts = ["het landelijke totaal"] if _n("T") in cells else []
    if months:
        parts.append(text.count(months, "landelijk maandtotaal", "landelijke maandtotalen"))
    return text.join(parts), (_n("T") in cells) + months


def widening_sentence(w: Widening, k: int) -> str:
    """One :class:`Widening` as a plain Dutch sentence (every name and number computed)."""
    reason = REASONS[w.reason].format(k=k)
    if w.scope == "alle":
        return f"Alle aantallen, per locatie en landelijk, zijn niet getoond: {reason}."
    if w.scope == "totalen":
        words, n = _totals_words(w.cells)
        return f"{text.capitalize(words)} {text.verb(n, 'is', 'zijn')} niet getoond: {reason}."
    name = text.capitalize(_table_words(w))
    if w.scope == "locatie":
        where = (
            f"locatie {w.locations[0]}"
            if len(w.locations) == 1
            else f"{text.count(len(w.locations), 'locatie', 'locaties')} ({text.join(w.locations)})"
        )
        return f"{name} is voor {where} niet getoond: {reason}."
    # "per locatie" unless the title says so already
    per_location = (w.table == MONTHS_TABLE or w.table.startswith(FACTSHEET)) and "per locatie" not in w.title
    # The national part of the months table is the totals, which a "totalen" widening states.
    if w.scope == "tabel" or w.table == MONTHS_TABLE:
        return f"{name}{' per locatie' if per_location else ''} is niet getoond: {reason}."
    national = _figure_label(national_part(w.table))
    also = f" (ook in {national})" if national and national_part(w.table) != w.table else ""
    return f"{name} is per locatie en landelijk niet getoond{also}: {reason}."


def widening_sentences(decision: Decision, location: str | None = None) -> list[str]:
    """What the decision hid beyond the rule, and why, in plain Dutch; empty when nothing.

    Examples: "De tabel ‘Aanleiding’ per locatie is niet getoond: te weinig registraties om
    cellen onder 5 te beschermen." The report (chapter 2), every factsheet and
    ``<build>/disclosure/widened-meting-<N>.md`` state these sentences.

    Parameters
    ----------
    location : str, optional
        For one location's factsheet: leave out what was widened only at other locations.
    """
    return [
        widening_sentence(w, decision.k)
        for w in decision.widened
        if location is None or w.scope != "locatie" or location in w.locations
    ]


def decision_file(build: Path, meting: int) -> Path:
    """Where a build keeps the decision of one measurement (inside the secure build folder)."""
    return paths.decision_file(build, meting)


def save(decision: Decision, path: Path) -> Path:
    """Write a decision (keys of hidden cells, never a count) atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "k": decision.k,
        "rule_version": RULE_VERSION,
        "digest": decision.digest,
        "cells": decision.cells,
        "fallback": decision.fallback,
        "seconds": round(decision.seconds, 3),
        "hidden": sorted(decision.hidden),
        "widened": [asdict(w) for w in decision.widened],
    }
    _write_atomic(path, json.dumps(body, indent=1) + "\n")
    text_file = widened_file(path)
    if decision.widened:
        _write_atomic(text_file, widened_text(decision, _meting_of(path)))
    else:  # zero case: no file, no sentence (and none left from an earlier decision)
        text_file.unlink(missing_ok=True)
    return path


def _write_atomic(path: Path, body: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # two processes may write at once
    tmp.write_text(body, encoding="utf-8")
    tmp.replace(path)


def _meting_of(path: Path) -> int | None:
    """The measurement number in a decision file's name (``meting-<N>.json``)."""
    found = re.search(r"(\d+)$", path.stem)
    return int(found.group(1)) if found else None


def widened_file(decision_path: Path) -> Path:
    """The readable companion of a decision file: ``widened-meting-<N>.md`` beside it."""
    return decision_path.with_name(f"widened-{decision_path.stem}.md")


def widened_text(decision: Decision, meting: int | None = None, *, heading: bool = True) -> str:
    """Markdown that states :func:`widening_sentences` (``build/disclosure/``, chapter 2); ``""`` when none."""
    sentences = widening_sentences(decision)
    if not sentences:
        return ""
    title = "Verbrede onderdrukking" + (f", {text.measurements([meting])}" if meting is not None else "")
    lead = (
        f"De minimale celgrootte is {decision.k}. Deze aantallen zijn verder verborgen dan de regel "
        "vraagt (aantallen onder de celgrootte en wat daaruit af te leiden is); lege cellen (0) "
        "blijven zichtbaar."
    )
    top = [f"# {title}", ""] if heading else []
    return "\n".join([*top, lead, "", *(f"- {s}" for s in sentences)]) + "\n"


def shown_count(decision: Decision, key: str, value: int) -> str:
    """A national count (key without ``nat|``) as text prints it: the number, or ``x`` when hidden."""
    return dc.SUPPRESSED_MARK if _n(key) in decision.hidden else nf.number(value)


def hides_totals(decision: Decision) -> bool:
    """Whether the decision hides the national total or a national monthly count."""
    return any(h == _n("T") or h.startswith(_n("m:")) for h in decision.hidden)


def load(path: Path, digest: str) -> Decision | None:
    """The decision stored at ``path`` when it was made from the same data, rule and period."""
    try:
        body = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if body.get("digest") != digest or body.get("rule_version") != RULE_VERSION:
        return None
    return Decision(
        int(body["k"]),
        frozenset(body["hidden"]),
        int(body.get("cells", 0)),
        bool(body.get("fallback", False)),
        float(body.get("seconds", 0.0)),
        digest,
        tuple(
            Widening(**{**w, "locations": tuple(w["locations"]), "cells": tuple(w["cells"])})
            for w in body.get("widened", [])
        ),
    )


def decision_for(build: Path | None, data: MeasurementData, period: dl.Period, k: int) -> Decision:
    """The build's decision for this measurement: read when current, else computed (and stored).

    Parameters
    ----------
    build : Path or None
        The build folder; None computes without storing.
    """
    digest = data_digest(data, period, k)
    path = decision_file(build, data.meting) if build is not None else None
    if path is not None:
        found = load(path, digest)
        if found is not None:
            return found
    decision = decide(data, period, k)
    if path is not None:
        save(decision, path)
    return decision


# --- applying it to results --------------------------------------------------------------
def suppress_table(name: str, table: pd.DataFrame, hidden: Iterable[str]) -> pd.DataFrame:
    """A chapter-2 table as published: hidden counts ``x``, their derived columns empty.

    A percentage goes with its count and its denominator; duration statistics go with the
    reason's count and its number of usable durations (a minimum of two durations is nearly
    a value). Adds :data:`NOTE_COLUMN` (the hidden columns of each row, ``;``-separated) when
    anything is hidden; the table is returned unchanged otherwise.
    """
    hidden = frozenset(hidden)
    marks: dict[int, list[str]] = {}
    for i, col, key in result_cells(name, table):
        if key in hidden:
            marks.setdefault(i, []).append(col)
    if not marks:
        return table
    out = table.copy().astype({c: object for c in table.columns})
    for i, cols in marks.items():
        for col in cols:
            out.iat[i, out.columns.get_loc(col)] = dc.SUPPRESSED_MARK
        for col in DERIVED:
            if col in out.columns:
                out.iat[i, out.columns.get_loc(col)] = None
    out[NOTE_COLUMN] = ["; ".join(marks.get(i, [])) for i in range(len(out))]
    return out


def display_frame(name: str, table: pd.DataFrame, hidden: Iterable[str]) -> pd.DataFrame:
    """A chapter-2 table for the notebook's displays, after the build's decision.

    The shape :func:`analysis.describe.disclosure.suppress_frame` gives (so the display
    functions and figures take it as they are): hidden counts ``<NA>``, their percentages
    NaN, duration statistics empty, and a boolean column ``suppressed`` (the row's first
    count is hidden).
    """
    hidden = frozenset(hidden)
    out = table.copy()
    first: dict[int, bool] = {}
    for i, col, key in result_cells(name, table):
        hide = key in hidden
        first.setdefault(i, hide)
        if not hide:
            continue
        if out[col].dtype != "Int64":
            out[col] = pd.to_numeric(out[col], errors="coerce").astype("Int64")
        out.iat[i, out.columns.get_loc(col)] = pd.NA
        for d in DERIVED:
            if d in out.columns:
                out.iat[i, out.columns.get_loc(d)] = "" if d.endswith("_hmm") else float("nan")
    out["suppressed"] = [first.get(i, False) for i in range(len(out))]
    return out


def chapter2_decision(build: Path | None, data: MeasurementData, k: int) -> Decision:
    """The decision chapter 2 publishes under: nothing hidden when ``k <= 1`` (the twin)."""
    if k <= 1:
        return Decision(k, frozenset())
    return decision_for(build, data, dl.Period(tuple(data.months)), k)


def _value_suffixes(name: str, table: pd.DataFrame, rows: Iterable[int]) -> set[str]:
    """Id endings of the published-figure values of hidden rows (``.<code>``, ``.<month>``, ...)."""
    out = set()
    for i in rows:
        row = table.iloc[i]
        if "reason_code" in table.columns and "code" in table.columns:
            out.add(f".{row['reason_code']}.{row['code']}")
        elif "maand" in table.columns:
            out.add(f".{row['maand']}")
        elif "code" in table.columns:
            out.add(f".{row['code']}")
    return out


def publisher(decision: Decision) -> Callable[[Result], Result] | None:
    """What :func:`analysis.describe.chapter_results.chapter2` writes: each result after ``decision``.

    None when nothing is hidden (the twin), so the results keep every number. The values a
    hidden row contributes to ``values.csv`` (published-figure ids ending in its code or
    month) are left out too; the reproduction check then lists them as not computed.
    """
    if not decision.hidden:
        return None

    def apply(res: Result) -> Result:
        table = suppress_table(res.name, res.table, decision.hidden)
        if table is res.table:
            return res
        rows = [i for i, v in enumerate(table[NOTE_COLUMN]) if v]
        ends = _value_suffixes(res.name, res.table, rows)
        values = {k: v for k, v in res.values.items() if not any(k.endswith(e) for e in ends)}
        if any(str(v).endswith("denominator") for v in table[NOTE_COLUMN]):
            values = {k: v for k, v in values.items() if ".pct." not in k}
        return Result(res.name, table, res.title, res.function, values)

    return apply


__all__ = [
    "Decision",
    "Widening",
    "hides_totals",
    "shown_count",
    "table_of",
    "widened_file",
    "widened_text",
    "widening_sentence",
    "widening_sentences",
    "chapter2_decision",
    "display_frame",
    "NOTE_COLUMN",
    "decide",
    "decision_file",
    "decision_for",
    "load",
    "publisher",
    "published_system",
    "result_cells",
    "save",
    "suppress_table",
]
