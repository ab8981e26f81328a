"""Disclosure control for everything that leaves the research team (the single implementation).

Rules
-----
* **Minimum cell size** ``k`` (``min_cell_size``; default 5 for factsheets, 0 = off for the
  national report). *Primary suppression* hides every count ``1 .. k-1``.
* **Zero is shown.** An empty cell says that nothing happened and identifies nobody (common
  practice, e.g. CBS). Because zeros are never suppressed (not even as a secondary
  suppression), a reader knows every hidden cell is at least 1; the audit assumes that reader.
  A consequence to know: a shown 100% (all other cells 0) says something about every
  registration of that column; that is group, not individual, disclosure.
* **Secondary suppression.** Published counts are linked by additive *lines* (a total equals
  the sum of its parts: a distribution and its shown total, the rows and columns of a table
  with margins, a monthly series and its period total, ...). Two steps make sure a hidden
  cell cannot be recomputed:

  1. the *line rule*: every line with exactly one hidden cell gets a second one (the
     smallest non-zero shown part, else the total), repeated over all lines until stable.
     For a 1-D distribution with a shown total this hides the next-smallest cell; for a 2-D
     table with margins it iterates over rows and columns until every line with a hidden
     cell has at least two;
  2. the *audit*: for every hidden cell a linear programme (:func:`intervals`) computes the
     smallest and largest value consistent with everything shown (shown cells fixed, every
     line, hidden cells >= 1). While a hidden cell's interval is narrower than
     :data:`MIN_WIDTH` (at least two integer values must remain possible), the smallest
     non-zero shown cell on one of its lines is hidden too. This always ends: once every
     non-zero cell is hidden the intervals are unbounded. Which intervals are too narrow is
     usually settled exactly, without the LP, by :func:`narrow_cells` (rational arithmetic,
     a proof for every cell); the LPs run only when that cannot decide a cell.

* **Percentages** are shown only when their count *and* their denominator are shown (a
  percentage of a shown count reveals a hidden denominator, and vice versa). Rates that are a
  count divided by a shown exposure (registrations per 10 youths) follow their count.
* **No youth-level rows**: :func:`guard_display` raises when a frame meant for display has a
  youth or registration identifier, a registration-level column, or one row per registration.

The national report passes ``k = 0``: nothing is suppressed and the tables equal the
published ones. Use :func:`suppress` for linked tables (as the factsheets do) and the
wrappers :func:`suppress_distribution` and
:func:`suppress_frame` (tidy result tables) for single tables.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.core.errors import ProjectError
from analysis.core.cellsize import DEFAULT_MIN_CELL_SIZE, rule_for  # noqa: F401 - re-exported

#: What a hidden cell shows (CBS convention "x = geheim").
SUPPRESSED_MARK = "x"
#: Smallest interval width an audited hidden cell may have (two integers stay possible).
MIN_WIDTH = 1.0
#: Columns that only exist at registration or youth level; never displayed.
REGISTRATION_LEVEL_COLUMNS = frozenset(
    {
        "jongere",
        "nummer_jongere",
        "respondentnummer",
        "start",
        "eind",
        "datum_start",
        "tijd_start",
        "datum_eind",
        "tijd_eind",
        "duur_min",
        "bron_bestand",
        "bron_rij",
        "aanleiding_omschrijving",
        "doel_omschrijving",
        "aanvulling_omschrijving",
        "opmerkingen",
    }
)


class DisclosureError(ProjectError, ValueError):
    """A table would disclose youth-level information."""

    hint = (
        "the table was not published; lower the detail of the table or raise the minimum cell size knowingly"
    )


class Unprotectable(DisclosureError):
    """:func:`suppress` found a hidden cell it cannot protect under the given ``keep`` cells.

    Attributes
    ----------
    cell : str
        The cell for which no further cell could be hidden.
    narrow : frozenset of str
        Every hidden cell still too narrow in that round of the audit (the cells a caller
        that widens the suppression starts from).
    """

    def __init__(self, cell: str, narrow: Iterable[str]) -> None:
        super().__init__(
            f"disclosure: cell {cell!r} cannot be protected without hiding a cell that is published elsewhere"
        )
        self.cell = cell
        self.narrow = frozenset(narrow)


def note(k: int) -> str:
    """Table note that explains the suppression mark (or that nothing is hidden, ``k <= 1``)."""
    if k <= 1:
        return (
            "Alle aantallen getoond (minimale celgrootte 0): synthetische gegevens beschrijven "
            "geen echte jongeren, dus er is niets onderdrukt."
        )
    return (
        f"{SUPPRESSED_MARK} = niet getoond: minder dan {k} registraties, of af te leiden uit "
        "zo'n aantal en de getoonde totalen (ook de percentages en cijfers per 10 jongeren daarvan)."
    )


# --- the linked-cell system --------------------------------------------------------------
@dataclass(frozen=True)
class Line:
    """One additive relation between published cells: ``total = sum(parts)``."""

    total: str
    parts: tuple[str, ...]

    @property
    def members(self) -> tuple[str, ...]:
        """Total and parts."""
        return (self.total, *self.parts)


@dataclass
class CellSystem:
    """Published counts (by key) and the additive lines that link them.

    Cells that are never displayed but follow from displayed ones (the registrations
    *without* contact when the total and those with contact are shown) belong in the system
    too; treating them as published is the conservative choice.
    """

    values: dict[str, int] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)

    def add(self, key: str, value: int) -> str:
        """Add a cell (a count >= 0); returns the key. Re-adding must give the same value."""
        value = int(value)
        if value < 0:
            raise ValueError(f"cell {key!r} has negative count {value}")
        if key in self.values and self.values[key] != value:
            raise ValueError(f"cell {key!r} added twice with {self.values[key]} and {value}")
        self.values[key] = value
        return key

    def add_line(self, total: str, parts: Iterable[str]) -> None:
        """Add ``total = sum(parts)``; raises when the counts do not add up."""
        parts = tuple(parts)
        missing = [c for c in (total, *parts) if c not in self.values]
        if missing:
            raise KeyError(f"line {total!r}: unknown cells {missing}")
        if sum(self.values[p] for p in parts) != self.values[total]:
            raise ValueError(f"line {total!r}: parts do not add up to the total")
        self.lines.append(Line(total, parts))


def primary(values: Mapping[str, int], k: int) -> set[str]:
    """Cells with a count from 1 to ``k - 1`` (none when ``k <= 1``)."""
    return {c for c, v in values.items() if 1 <= v < k}


def _cascade(system: CellSystem, cell: str, line: Line, hidden: set[str]) -> int:
    """Lines (other than ``line``) left with one hidden cell minus those fixed by hiding ``cell``."""
    score = 0
    for other in system.lines:
        if other is line or cell not in other.members:
            continue
        n = sum(m in hidden for m in other.members)
        score += 1 if n == 0 else (-1 if n == 1 else 0)
    return score


def _partner(
    system: CellSystem, line: Line, hidden: set[str], keep: frozenset[str] = frozenset()
) -> str | None:
    """Second cell to hide in ``line``: a non-zero shown part, else the total (never a ``keep`` cell).

    Among the parts, prefer the one that leaves the fewest other lines with a single hidden
    cell (in a 2-D table this closes a rectangle instead of cascading), then the smallest.
    """
    parts = [p for p in line.parts if p not in hidden and p not in keep and system.values[p] > 0]
    if parts:
        return min(parts, key=lambda c: (_cascade(system, c, line, hidden), system.values[c], c))
    if line.total not in hidden and line.total not in keep and system.values[line.total] > 0:
        return line.total
    return None


def line_rule(system: CellSystem, hidden: set[str], keep: frozenset[str] = frozenset()) -> set[str]:
    """Hide a second cell in every line that has exactly one hidden cell, until stable."""
    hidden = set(hidden)
    changed = True
    while changed:
        changed = False
        for line in system.lines:
            if sum(m in hidden for m in line.members) == 1:
                extra = _partner(system, line, hidden, keep)
                if extra is not None:
                    hidden.add(extra)
                    changed = True
    return hidden


def intervals(
    system: CellSystem, hidden: Iterable[str], lower: float = 1.0
) -> dict[str, tuple[float, float]]:
    """Range of every hidden cell that a reader can derive from the shown cells.

    Solves, for each hidden cell, ``min`` and ``max`` of the cell subject to every line,
    the shown cells at their values and each hidden cell ``>= lower`` (1: zeros are shown,
    so hidden cells are known to be positive).

    Returns
    -------
    dict
        key -> (low, high); ``high`` is ``inf`` when unbounded.
    """
    keys = sorted(hidden)
    if not keys:
        return {}
    # scipy.optimize costs about 0.3 s to import; only an audit with hidden cells needs it
    # (the national report, k = 0, never does).
    from scipy.optimize import linprog

    col = {c: i for i, c in enumerate(keys)}
    a_eq, b_eq = _equations(system, keys)
    out: dict[str, tuple[float, float]] = {}
    for c in keys:
        ends: list[float] = []
        for sign in (1.0, -1.0):
            obj = np.zeros(len(keys))
            obj[col[c]] = sign
            res = linprog(obj, A_eq=a_eq, b_eq=b_eq, bounds=[(lower, None)] * len(keys), method="highs")
            if res.status == 3:  # unbounded
                ends.append(-np.inf if sign > 0 else np.inf)
            elif res.status != 0:
                raise RuntimeError(f"disclosure audit failed for {c!r}: {res.message}")
            else:
                ends.append(sign * res.fun)
        out[c] = (float(ends[0]), float(ends[1]))
    return out


def _equations(system: CellSystem, keys: Sequence[str]) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The lines restricted to the hidden cells ``keys``: ``A x = b`` with shown cells moved to ``b``."""
    col = {c: i for i, c in enumerate(keys)}
    rows, rhs = [], []
    for line in system.lines:
        if not any(m in col for m in line.members):
            continue
        row = np.zeros(len(keys))
        known = 0.0
        for m, sign in [(line.total, -1.0)] + [(p, 1.0) for p in line.parts]:
            if m in col:
                row[col[m]] += sign
            else:
                known += sign * system.values[m]
        rows.append(row)
        rhs.append(-known)
    return (np.array(rows), np.array(rhs)) if rows else (None, None)


def narrow_by_lp(
    system: CellSystem,
    hidden: Iterable[str],
    wide: set[str] | None = None,
    min_width: float = MIN_WIDTH,
    lower: float = 1.0,
) -> set[str]:
    """Hidden cells whose interval (as in :func:`intervals`) is narrower than ``min_width``.

    The same verdict as :func:`intervals` with far fewer linear programmes. Every solution an
    LP returns is a table consistent with everything shown, and so are the true counts: each
    such *witness* widens the known range of every hidden cell at once, and a cell whose
    witnesses already lie ``min_width`` apart needs no LP of its own. The LPs of a cell stop
    as soon as it is proven wide.

    Parameters
    ----------
    wide : set of str, optional
        Cells already proven wide. Hiding more cells only relaxes the attacker's system (a
        shown value becomes an unknown), so a wide cell stays wide in later rounds of
        :func:`suppress`; the set is updated in place with every cell proven wide here.

    Returns
    -------
    set of str
        The narrow cells.
    """
    keys = sorted(hidden)
    wide = set() if wide is None else wide
    todo = [c for c in keys if c not in wide]
    if not todo:
        return set()
    from scipy.optimize import linprog

    col = {c: i for i, c in enumerate(keys)}
    a_eq, b_eq = _equations(system, keys)
    truth = np.array([system.values[c] for c in keys], dtype=float)
    lo, hi = truth.copy(), truth.copy()
    narrow = set()
    for c in todo:
        i = col[c]
        for sign in (-1.0, 1.0):  # maximise first: upper ends are the usual slack
            if hi[i] - lo[i] >= min_width - 1e-9:
                break
            obj = np.zeros(len(keys))
            obj[i] = sign
            res = linprog(obj, A_eq=a_eq, b_eq=b_eq, bounds=[(lower, None)] * len(keys), method="highs")
            if res.status == 3:  # unbounded: as wide as can be
                hi[i] = np.inf
                continue
            if res.status != 0:
                raise RuntimeError(f"disclosure audit failed for {c!r}: {res.message}")
            lo, hi = np.minimum(lo, res.x), np.maximum(hi, res.x)
        if hi[i] - lo[i] >= min_width - 1e-9:
            wide.add(c)
        else:
            narrow.add(c)
    wide.update(c for c in keys if hi[col[c]] - lo[col[c]] >= min_width - 1e-9)
    return narrow


def _rref(rows: list[list[int]], n: int) -> tuple[list[list[Fraction]], list[int]]:
    """Reduced row echelon form (exact) of ``rows`` (n columns): non-zero rows, pivot columns."""
    m = [[Fraction(a) for a in row] for row in rows]
    pivots: list[int] = []
    for c in range(n):
        r = len(pivots)
        p = next((i for i in range(r, len(m)) if m[i][c] != 0), None)
        if p is None:
            continue
        m[r], m[p] = m[p], m[r]
        m[r] = [a / m[r][c] for a in m[r]]
        for i in range(len(m)):
            if i != r and m[i][c] != 0:
                f = m[i][c]
                m[i] = [a - f * b for a, b in zip(m[i], m[r])]
        pivots.append(c)
    return m[: len(pivots)], pivots


def _reach(d: Sequence[Fraction], slack: Sequence[int], i: int) -> float | Fraction:
    """How far cell ``i`` moves along the segment ``slack + t d`` that keeps every slack >= 0."""
    up = min((slack[j] / -d[j] for j in range(len(d)) if d[j] < 0), default=math.inf)
    down = max((-slack[j] / d[j] for j in range(len(d)) if d[j] > 0), default=-math.inf)
    return abs(d[i]) * (up - down)


def narrow_cells(system: CellSystem, hidden: Iterable[str], min_width: float = MIN_WIDTH) -> set[str] | None:
    """Hidden cells whose interval (see :func:`intervals`, hidden cells >= 1) is narrower than
    ``min_width``, decided exactly without a linear programme; None when that is not possible.

    Write every hidden cell as ``1 + z`` (``z >= 0``); the lines restricted to the hidden cells
    are linear equations ``A z = b``, and the true counts are one solution. With exact
    rational arithmetic (reduced row echelon form of ``A`` and a basis of its null space):

    * a cell that no solution of ``A d = 0`` moves is fixed by the lines: narrow;
    * an equation (a line, or a row of the echelon form) whose coefficients all have one sign
      bounds each of its cells: ``z_i <= b / a_i``. A bound below ``min_width`` puts the
      interval inside ``[1, 1 + bound]``: narrow;
    * a direction ``d`` with ``A d = 0`` (a basis vector, or the sum or difference of two)
      along which the true counts can move so that the cell changes by at least
      ``min_width`` while every hidden cell stays >= 1 exhibits two consistent tables that
      far apart: wide enough.

    Every verdict is a proof, so the set equals what :func:`intervals` gives. As soon as one
    cell is settled by none of the three, the function returns None and the caller solves
    the LPs. For the factsheets this decides every audit, so they need no LP solver at all.
    """
    keys = sorted(hidden)
    if any(system.values[c] < 1 for c in keys):
        return None  # the true counts must satisfy the bound hidden >= 1
    col = {c: i for i, c in enumerate(keys)}
    n = len(keys)
    rows = []
    for line in system.lines:
        if any(m in col for m in line.members):
            row = [0] * n
            for m, sign in [(line.total, -1)] + [(p, 1) for p in line.parts]:
                if m in col:
                    row[col[m]] += sign
            rows.append(row)
    slack = [system.values[c] - 1 for c in keys]
    echelon, pivots = _rref(rows, n)
    basis = []
    for f in (c for c in range(n) if c not in set(pivots)):
        v = [Fraction(0)] * n
        v[f] = Fraction(1)
        for row, pc in zip(echelon, pivots):
            v[pc] = -row[f]
        basis.append(v)
    bound: list[float | Fraction] = [math.inf] * n
    for row in [*rows, *echelon]:
        rhs = sum(a * z for a, z in zip(row, slack))
        for sign in (1, -1):
            if all(sign * a >= 0 for a in row):
                for i, a in enumerate(row):
                    if a != 0:
                        bound[i] = min(bound[i], Fraction(rhs) / a)
    narrow = set()
    for i, cell in enumerate(keys):
        moving = [v for v in basis if v[i] != 0]
        if not moving or bound[i] < min_width:
            narrow.add(cell)
            continue
        pairs = (
            [a + sign * b for a, b in zip(v, w)]
            for v in moving
            for w in basis
            if w is not v
            for sign in (1, -1)
        )
        if not (
            any(_reach(v, slack, i) >= min_width for v in moving)
            or any(d[i] != 0 and _reach(d, slack, i) >= min_width for d in pairs)
        ):
            return None
    return narrow


def _escalate(
    system: CellSystem, cell: str, hidden: set[str], keep: frozenset[str] = frozenset()
) -> str | None:
    """Shown non-zero cell (not a ``keep`` cell) to hide next to protect ``cell``."""
    near = {m for line in system.lines if cell in line.members for m in line.members}
    for pool in (near, set(system.values)):
        cands = [c for c in pool if c not in hidden and c not in keep and system.values[c] > 0]
        if cands:
            return min(cands, key=lambda c: (system.values[c], c))
    return None


def suppress(
    system: CellSystem, k: int, forced: Iterable[str] = (), keep: Iterable[str] = (), *, large: bool = False
) -> frozenset[str]:
    """Hidden cells after primary suppression, the line rule and the audit.

    Parameters
    ----------
    system : CellSystem
        Published counts and the lines linking them.
    k : int
        Minimum cell size; ``k <= 1`` switches suppression off.
    forced : iterable of str
        Cells to hide anyway (zeros among them stay shown).
    keep : iterable of str
        Cells that stay shown whatever their size (published elsewhere under their own rule,
        such as the national figures linking the factsheets); the audit takes them as known.
    large : bool
        For systems of hundreds of hidden cells (all factsheets together): the audit uses the
        LPs directly (the exact elimination of :func:`narrow_cells` grows with the cube of the
        hidden cells) and each round protects every narrow cell at once.

    Returns
    -------
    frozenset of str
        Keys of the hidden cells.

    Raises
    ------
    Unprotectable
        When no shown non-zero cell outside ``keep`` is left to hide for a narrow cell (fail
        closed; with ``large`` this also happens when one round protects many narrow cells at
        once and uses up every cell). :func:`analysis.present.publish.decide` then widens the
        suppression step by step instead of failing.
    """
    keep = frozenset(keep)
    hidden = (primary(system.values, k) - keep) | {c for c in forced if system.values[c] > 0}
    if not hidden:
        return frozenset()
    wide: set[str] = set()  # proven wide in an earlier round: stays wide (see narrow_by_lp)
    while True:
        hidden = line_rule(system, hidden, keep)
        weak = None if large else narrow_cells(system, hidden)
        if weak is None:  # not decided exactly: the LPs
            weak = narrow_by_lp(system, hidden, wide)
        if not weak:
            return frozenset(hidden)
        for cell in sorted(weak) if large else sorted(weak)[:1]:
            extra = _escalate(system, cell, hidden, keep)
            if extra is None:  # every non-zero cell outside keep is hidden already
                raise Unprotectable(cell, weak)
            hidden.add(extra)


# --- single-table wrappers -----------------------------------------------------------------
def suppress_distribution(
    counts: Sequence[int], k: int, *, total_shown: bool = True
) -> tuple[np.ndarray, bool]:
    """Suppress a 1-D distribution (optionally with its total shown).

    Returns
    -------
    (ndarray of bool, bool)
        Mask of hidden parts, and whether the total is hidden.
    """
    system = CellSystem()
    keys = [system.add(f"p{i}", int(v)) for i, v in enumerate(counts)]
    if total_shown:
        system.add("total", int(sum(int(v) for v in counts)))
        system.add_line("total", keys)
    hidden = suppress(system, k)
    return np.array([c in hidden for c in keys], dtype=bool), "total" in hidden


def crosstab_system(table: np.ndarray, *, row_margins: bool = True, col_margins: bool = True) -> CellSystem:
    """Cells ``c<i>_<j>``, ``r<i>`` (row totals), ``k<j>`` (column totals), ``g`` (grand)."""
    t = np.asarray(table, dtype=int)
    s = CellSystem()
    for (i, j), v in np.ndenumerate(t):
        s.add(f"c{i}_{j}", v)
    if row_margins:
        for i in range(t.shape[0]):
            s.add(f"r{i}", t[i].sum())
            s.add_line(f"r{i}", [f"c{i}_{j}" for j in range(t.shape[1])])
    if col_margins:
        for j in range(t.shape[1]):
            s.add(f"k{j}", t[:, j].sum())
            s.add_line(f"k{j}", [f"c{i}_{j}" for i in range(t.shape[0])])
    if row_margins or col_margins:
        s.add("g", t.sum())
        if row_margins:
            s.add_line("g", [f"r{i}" for i in range(t.shape[0])])
        if col_margins:
            s.add_line("g", [f"k{j}" for j in range(t.shape[1])])
    return s


# --- display ---------------------------------------------------------------------------------
def mask_percentages(
    pct: Sequence[float], count_hidden: Sequence[bool], denominator_hidden: bool | Sequence[bool] = False
) -> np.ndarray:
    """Percentages with NaN where the count or the denominator is hidden."""
    hide = np.asarray(count_hidden, dtype=bool) | np.asarray(denominator_hidden, dtype=bool)
    return np.where(hide, np.nan, np.asarray(pct, dtype=float))


def show_count(n: int | None, hidden: bool) -> str:
    """Text of a count cell: the number, or the suppression mark."""
    return SUPPRESSED_MARK if hidden else ("" if n is None else str(int(n)))


def suppress_frame(
    table: pd.DataFrame,
    min_cell_size: int,
    *,
    count: str = "n",
    group: str | None = None,
    derived: Sequence[str] = ("pct",),
    denominator: str = "denominator",
) -> pd.DataFrame:
    """Suppress a tidy result table (``describe``'s tables) for display.

    Each group (all rows when ``group`` is None) is a 1-D distribution whose total is shown
    (as the ``denominator`` column of the tidy tables), suppressed with
    :func:`suppress_distribution`. This is the drop-in for
    ``analysis.describe.suppress.suppress_counts`` (same arguments and result).

    Returns
    -------
    DataFrame
        Copy with hidden counts as ``<NA>``, their ``derived`` columns (percentages) as NaN,
        a boolean column ``suppressed``; when a group's total must be hidden too, its
        ``denominator`` and all its ``derived`` values are blanked.
    """
    out = table.copy()
    n = pd.to_numeric(out[count], errors="coerce").fillna(0).astype(int).to_numpy()
    hide, hide_total = np.zeros(len(out), dtype=bool), np.zeros(len(out), dtype=bool)
    keys = out[group] if group else pd.Series(0, index=out.index)
    for idx in out.groupby(keys, sort=False).indices.values():
        hide[idx], hide_total[idx] = suppress_distribution(n[idx], min_cell_size)
    out["suppressed"] = hide
    out[count] = pd.to_numeric(out[count], errors="coerce").astype("Int64").mask(hide)
    for col in derived:
        if col in out:
            out[col] = mask_percentages(out[col], hide, hide_total)
    if denominator in out and hide_total.any():
        out[denominator] = pd.to_numeric(out[denominator], errors="coerce").astype("Int64").mask(hide_total)
    return guard_display(out)


def _has_count_column(df: pd.DataFrame) -> bool:
    """A column named ``n``, ``n_*``, ``n (...)``, ``*_n`` or ``* n`` holds counts."""
    return any(re.match(r"^n($|[_ (])", str(c)) or re.search(r"[_ ]n$", str(c)) for c in df.columns)


def guard_display(df: pd.DataFrame, *, n_registrations: int | None = None) -> pd.DataFrame:
    """Raise :class:`DisclosureError` unless ``df`` is an aggregate safe to display.

    Parameters
    ----------
    df : DataFrame
        Frame about to be shown, written or sent.
    n_registrations : int, optional
        Registrations the frame was computed from; a frame with that many rows and no count
        column is taken to be one row per registration.

    Returns
    -------
    DataFrame
        ``df`` itself, so the guard can wrap an expression.
    """
    names = {str(c).lower() for c in df.columns} | {str(n).lower() for n in df.index.names if n}
    bad = sorted(names & REGISTRATION_LEVEL_COLUMNS)
    if bad:
        raise DisclosureError(f"frame for display has registration-level column(s) {bad}")
    if (
        n_registrations is not None
        and n_registrations > 1
        and len(df) == n_registrations
        and not _has_count_column(df)
    ):
        raise DisclosureError(f"frame for display has one row per registration ({len(df)} rows)")
    return df
