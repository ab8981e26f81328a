"""Disclosure control: primary and secondary suppression, and a proof by linear programming
that no hidden count can be recomputed from what is shown.

The proof uses its own LP (all cells are variables; shown cells are fixed by their bounds),
independent of :func:`analysis.describe.disclosure.intervals`. Two reader models are checked:

* the brief's: hidden cells are only known to be >= 0 -> every interval has width > 0;
* the stronger one the module promises: zeros are always shown, so a reader knows hidden
  cells are >= 1 -> every interval still has width >= 1 (two integer values stay possible).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from analysis.describe import disclosure as dc


# --- an independent attacker ---------------------------------------------------------------
def attacker_range(
    system: dc.CellSystem, hidden: frozenset[str], cell: str, lower: float
) -> tuple[float, float]:
    """Min and max of ``cell`` given every shown cell and every published line."""
    keys = list(system.values)
    idx = {c: i for i, c in enumerate(keys)}
    a_eq = []
    for line in system.lines:
        row = np.zeros(len(keys))
        row[idx[line.total]] = -1
        for p in line.parts:
            row[idx[p]] += 1
        a_eq.append(row)
    bounds = [(lower, None) if c in hidden else (system.values[c], system.values[c]) for c in keys]
    ends = []
    for sign in (1, -1):
        obj = np.zeros(len(keys))
        obj[idx[cell]] = sign
        res = linprog(
            obj,
            A_eq=np.array(a_eq) if a_eq else None,
            b_eq=np.zeros(len(a_eq)) if a_eq else None,
            bounds=bounds,
            method="highs",
        )
        if res.status == 3:
            ends.append(np.inf)
            continue
        assert res.status == 0, res.message
        ends.append(sign * res.fun)
    return ends[0], ends[1]


def assert_protected(system: dc.CellSystem, hidden: frozenset[str], k: int) -> None:
    """Every rule of the module holds for ``hidden`` and no hidden cell can be recomputed."""
    assert dc.primary(system.values, k) <= hidden, "a small count is shown"
    assert all(system.values[c] > 0 for c in hidden), "a zero is hidden"
    for cell in hidden:
        lo0, hi0 = attacker_range(system, hidden, cell, lower=0.0)
        assert hi0 - lo0 > 0, f"{cell} = {system.values[cell]} is determined (reader knows >= 0)"
        lo1, hi1 = attacker_range(system, hidden, cell, lower=1.0)
        assert lo1 <= system.values[cell] <= hi1
        assert hi1 - lo1 >= 1 - 1e-9, f"{cell} in [{lo1}, {hi1}] (reader knows >= 1)"
    for line in system.lines:  # the line rule: never exactly one hidden cell in a line
        assert sum(m in hidden for m in line.members) != 1


# --- unit tests ------------------------------------------------------------------------------
def test_primary_suppresses_one_to_k_minus_one_and_shows_zero() -> None:
    assert dc.primary({"a": 0, "b": 1, "c": 4, "d": 5}, 5) == {"b", "c"}
    assert dc.primary({"a": 1, "b": 3}, 0) == set()  # k = 0: off (national report)
    assert dc.primary({"a": 1, "b": 3}, 1) == set()


def test_distribution_hides_next_smallest_when_one_cell_is_small() -> None:
    hidden, total = dc.suppress_distribution([20, 3, 0, 9, 30], 5)
    assert hidden.tolist() == [False, True, False, True, False]
    assert not total


def test_two_ones_are_not_enough_when_reader_knows_hidden_cells_are_positive() -> None:
    # 1 + 1 = 2 with both >= 1 pins both at 1: a third cell must go.
    hidden, _ = dc.suppress_distribution([1, 1, 10, 12], 5)
    assert hidden.sum() == 3 and hidden[:2].all()


def test_single_nonzero_cell_equal_to_total_hides_the_total() -> None:
    hidden, total = dc.suppress_distribution([0, 3, 0], 5)
    assert hidden.tolist() == [False, True, False] and total


def test_nothing_hidden_without_small_counts() -> None:
    hidden, total = dc.suppress_distribution([0, 5, 17], 5)
    assert not hidden.any() and not total


def test_crosstab_every_line_with_a_hidden_cell_has_two() -> None:
    t = np.array([[2, 10, 8], [7, 9, 12], [6, 15, 20]])
    hidden = dc.suppress(dc.crosstab_system(t), 5)
    inner = np.array([[f"c{i}_{j}" in hidden for j in range(3)] for i in range(3)])
    assert inner[0, 0]
    assert inner[0].sum() >= 2 and inner[:, 0].sum() >= 2
    assert_protected(dc.crosstab_system(t), hidden, 5)


def test_percentages_follow_counts_and_denominators() -> None:
    out = dc.mask_percentages([50.0, 30.0, 20.0], [False, True, False])
    assert np.isnan(out[1]) and out[0] == 50.0
    assert np.isnan(dc.mask_percentages([50.0, 50.0], [False, False], True)).all()


def test_suppress_frame_per_group_with_denominator() -> None:
    df = pd.DataFrame(
        {
            "group": ["a"] * 3 + ["b"] * 3,
            "code": ["1", "2", "3"] * 2,
            "n": [10, 2, 8, 0, 3, 0],
            "pct": [50.0, 10.0, 40.0, 0.0, 100.0, 0.0],
        }
    )
    df["denominator"] = df.groupby("group")["n"].transform("sum")
    out = dc.suppress_frame(df, 5, group="group")
    assert out["suppressed"].tolist() == [False, True, True, False, True, False]
    assert out["n"].isna().tolist() == [False, True, True, False, True, False]
    assert out["pct"].isna().tolist() == [False, True, True, True, True, True]  # b's total is hidden
    assert out["denominator"].isna().tolist() == [False] * 3 + [True] * 3
    assert dc.suppress_frame(df, 0)["suppressed"].sum() == 0  # national report: nothing hidden


def test_show_count() -> None:
    assert dc.show_count(3, True) == dc.SUPPRESSED_MARK
    assert dc.show_count(0, False) == "0"


def test_guard_rejects_youth_level_frames() -> None:
    with pytest.raises(dc.DisclosureError, match="jongere"):
        dc.guard_display(pd.DataFrame({"jongere": ["a"], "n": [1]}))
    with pytest.raises(dc.DisclosureError, match="registration-level"):
        dc.guard_display(pd.DataFrame({"start": [pd.Timestamp("2020-09-01")]}))
    with pytest.raises(dc.DisclosureError, match="one row per registration"):
        dc.guard_display(pd.DataFrame({"aanleiding": [1, 2, 1]}), n_registrations=3)
    ok = pd.DataFrame({"label": ["a", "b", "c"], "n": [1, 1, 1]})
    assert dc.guard_display(ok, n_registrations=3) is ok


def test_system_rejects_inconsistent_lines() -> None:
    s = dc.CellSystem()
    s.add("a", 1)
    s.add("t", 3)
    with pytest.raises(ValueError, match="add up"):
        s.add_line("t", ["a"])


# --- the proof over many random tables -------------------------------------------------------
counts = st.integers(min_value=0, max_value=25)
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.lists(counts, min_size=2, max_size=8), st.integers(min_value=2, max_value=6))
def test_distribution_hidden_cells_cannot_be_recomputed(values: list[int], k: int) -> None:
    s = dc.CellSystem()
    keys = [s.add(f"p{i}", v) for i, v in enumerate(values)]
    s.add("total", sum(values))
    s.add_line("total", keys)
    assert_protected(s, dc.suppress(s, k), k)


@SETTINGS
@given(st.integers(2, 5), st.integers(2, 4), st.data(), st.integers(2, 6))
def test_crosstab_hidden_cells_cannot_be_recomputed(
    rows: int, cols: int, data: st.DataObject, k: int
) -> None:
    t = np.array(
        data.draw(st.lists(st.lists(counts, min_size=cols, max_size=cols), min_size=rows, max_size=rows))
    )
    s = dc.crosstab_system(t)
    assert_protected(s, dc.suppress(s, k), k)


def _monthly_system(months: list[int]) -> tuple[dc.CellSystem, list[str]]:
    """Monthly counts m0..mk with total T and E (all months but the latest): T = E + latest."""
    s = dc.CellSystem()
    mkeys = [s.add(f"m{i}", v) for i, v in enumerate(months)]
    s.add("T", sum(months))
    s.add_line("T", mkeys)
    s.add("E", sum(months[:-1]))
    s.add_line("E", mkeys[:-1])
    s.add_line("T", [mkeys[-1], "E"])
    return s, mkeys


@SETTINGS
@given(st.lists(st.integers(0, 12), min_size=3, max_size=6), st.data())
def test_linked_tables_hidden_cells_cannot_be_recomputed(months: list[int], data: st.DataObject) -> None:
    """A monthly series with its total, linked to a category-by-(latest, earlier) table."""
    s, mkeys = _monthly_system(months)
    for col, total in (("L", months[-1]), ("E", sum(months[:-1]))):
        split = data.draw(st.lists(st.integers(0, 3), min_size=3, max_size=3))
        shares = np.array(split, dtype=float) + 1e-9
        cells = np.floor(total * shares / shares.sum()).astype(int)
        cells[-1] += total - cells.sum()
        keys = [s.add(f"{col}{i}", int(c)) for i, c in enumerate(cells)]
        s.add_line(mkeys[-1] if col == "L" else "E", keys)
    assert_protected(s, dc.suppress(s, 5), 5)


# --- the exact audit equals the LPs -----------------------------------------------------------
def lp_narrow(system: dc.CellSystem, hidden: set[str]) -> set[str]:
    return {c for c, (lo, hi) in dc.intervals(system, hidden).items() if hi - lo < dc.MIN_WIDTH - 1e-9}


def test_narrow_cells_small_cases() -> None:
    s = dc.CellSystem()
    keys = [s.add(k, v) for k, v in (("a", 1), ("b", 1), ("c", 3), ("d", 9))]
    s.add("t", 14)
    s.add_line("t", keys)
    assert dc.narrow_cells(s, {"a", "b"}) == {"a", "b"}  # 1 + 1 = 2 and both >= 1: pinned
    assert dc.narrow_cells(s, {"a", "c"}) == set()  # 1 + 3: a in [1, 3]
    assert dc.narrow_cells(s, {"a"}) == {"a"}  # a single hidden part follows from the total
    assert dc.narrow_cells(s, {"a", "b", "t"}) == set()  # nothing fixes the total any more


@SETTINGS
@given(st.integers(2, 5), st.integers(2, 4), st.data())
def test_narrow_cells_agree_with_the_lps(rows: int, cols: int, data: st.DataObject) -> None:
    """Whenever :func:`narrow_cells` decides, it gives what the LPs give, for any hidden set."""
    t = np.array(
        data.draw(
            st.lists(
                st.lists(st.sampled_from([0, 1, 1, 2, 3, 7, 20]), min_size=cols, max_size=cols),
                min_size=rows,
                max_size=rows,
            )
        )
    )
    s = dc.crosstab_system(t, row_margins=data.draw(st.booleans()), col_margins=data.draw(st.booleans()))
    positive = sorted(c for c, v in s.values.items() if v > 0)
    if not positive:
        return
    hidden = set(data.draw(st.lists(st.sampled_from(positive), min_size=1, unique=True)))
    if data.draw(st.booleans()):
        hidden = dc.line_rule(s, hidden)
    exact = dc.narrow_cells(s, hidden)
    assert exact is None or exact == lp_narrow(s, hidden)


def test_factsheet_audits_need_no_lp(monkeypatch: pytest.MonkeyPatch) -> None:
    """The linked system of a factsheet is audited exactly (no scipy import in its kernel)."""
    s, mkeys = _monthly_system([14, 12, 15, 13, 16, 11])
    for col, cells in (("L", [6, 1, 1, 3, 0]), ("E", [40, 20, 3, 1, 6])):
        keys = [s.add(f"{col}{i}", c) for i, c in enumerate(cells)]
        s.add_line(mkeys[-1] if col == "L" else "E", keys)
    monkeypatch.setattr(dc, "intervals", lambda *a, **k: pytest.fail("LP used"))
    hidden = dc.suppress(s, 5)
    monkeypatch.undo()
    assert_protected(s, hidden, 5)


def test_forced_cells_are_hidden_and_protected() -> None:
    t = np.array([[12, 10], [9, 30]])
    s = dc.crosstab_system(t)
    hidden = dc.suppress(s, 5, forced=["k0"])
    assert "k0" in hidden
    assert_protected(s, hidden, 5)
