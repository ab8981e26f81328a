"""One disclosure decision per build over every count it publishes (issue 12, item 6).

A real-data build publishes the same registrations in many linked forms: chapter 2 of the
national report (per month, per category, per hour, per location and month, months and
registrations per location, missing items, durations per reason), the results CSVs behind
those tables, and one factsheet per location. A cell hidden in one of them can be recomputed
from the others (a national count minus the shown locations; a row of the location x month
table; a category total minus the other shown categories). Suppressing each table on its own
therefore protects nothing; this module decides once, for all of them together:

1. :func:`published_system` builds one :class:`~analysis.describe.disclosure.CellSystem` of
   every published count, taken from the very tables chapter 2 writes
   (:func:`analysis.describe.chapters.chapter2_tables`) and the factsheets' cells
   (:func:`analysis.present.location.joint_system`), with every additive line that links
   them. A cell added twice under one key with different values raises, so the two sources
   cannot drift apart unnoticed.
2. :func:`decide` applies the build's rule (:func:`analysis.describe.disclosure.rule_for`):
   every count from 1 to ``k - 1`` is hidden, the national ones included; then secondary
   suppression and the LP audit until no hidden cell can be narrowed below
   :data:`~analysis.describe.disclosure.MIN_WIDTH`. The national total and the monthly totals
   (stated in the report's text) stay shown; only when that cannot protect a cell are they
   hidden as well (``fallback``). Nothing fails closed: the result is always a protected set.
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
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping

import pandas as pd

from analysis import codebook
from analysis.core import paths
from analysis.describe import disclosure as dc
from analysis.describe.categories import FIGURE_ITEMS, MISSING_CODE
from analysis.describe.chapters import Result, chapter2_tables
from analysis.describe.load import MeasurementData
from analysis.present import location as dl

NAT = dl.NATIONAL
SEP = dl.SEP
#: Column of a published results table that lists the hidden columns of each row.
NOTE_COLUMN = "onderdrukt"
#: Version of the rule's implementation, stored with a decision (a stale file is recomputed).
RULE_VERSION = 2
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
        Precomputed :func:`analysis.describe.chapters.chapter2_tables`.

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


# --- the decision ------------------------------------------------------------------------
@dataclass(frozen=True)
class Decision:
    """The hidden cells of one measurement's published counts under minimum cell size ``k``."""

    k: int
    hidden: frozenset[str]
    cells: int = 0
    fallback: bool = False
    seconds: float = 0.0
    digest: str = ""

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
    """Hidden cells of every published count (see the module docstring); none when ``k <= 1``."""
    digest = data_digest(data, period, k)
    if k <= 1:
        return Decision(k, frozenset(), digest=digest)
    t0 = time.perf_counter()
    system, national = published_system(data, period)
    # The national total and the monthly totals are stated in the report's text and figure
    # captions, so they stay shown (``keep``). Every other count, national ones included, is
    # hidden when below k and may be hidden to protect another: with the national category
    # counts in the system a category of seven registrations spread as 1 + 1 + ... over the
    # locations can only be protected by hiding the national count and what adds up to it.
    keep = frozenset(c for c in national if c == _n("T") or c.startswith(_n("m:")))
    fallback = False
    try:
        hidden = dc.suppress(system, k, keep=keep, large=True)
    except dc.DisclosureError:
        # A small total or month count (only one location, a short period) cannot be kept:
        # hide it too rather than publish nothing (the report's text then says "x").
        fallback = True
        hidden = dc.suppress(system, k, large=True)
    return Decision(k, hidden, len(system.values), fallback, time.perf_counter() - t0, digest)


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
    }
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # two processes may write at once
    tmp.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


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
    """What :func:`analysis.describe.chapters.chapter2` writes: each result after ``decision``.

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
