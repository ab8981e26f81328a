"""Disclosure control over the union of published outputs (issue 12, item 6).

An attacker holds every factsheet and the national counts (per month, per category, the total)
and knows how they add up. From the published text alone (which cells show "x") this test
builds the attacker's linear programme (the existing LP check,
:func:`analysis.describe.disclosure.intervals`) and asks, for every hidden cell, how far it
can move. With the one suppression over all per-location tables no hidden cell is pinned;
with each factsheet suppressed on its own, national counts give some of them away.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.core.params import FactsheetParams
from analysis.describe import disclosure as dc
from analysis.describe.load import load_measurement
from analysis.present import location as dl
from analysis.report import factsheets as rf

from test_factsheets import MONTHS, PER_MONTH, write_processed

K = 5


def _publish(processed: Path, build: Path, joint: bool) -> dict[str, dict]:
    """Content JSON of every location's factsheet (joint suppression, or each on its own)."""
    out = {}
    for loc in PER_MONTH:
        p = FactsheetParams(
            location=loc, meting=2, data_dir=str(processed), output_dir=str(build), min_cell_size=K
        )
        if joint:
            rf.content(p)
        else:  # the old behaviour: each factsheet protects only its own tables
            data = load_measurement(processed, 2, MONTHS)
            sheet = dl.factsheet(
                data.registrations,
                data.occupancy,
                location=loc,
                period=dl.Period(tuple(MONTHS)),
                k=K,
                locations=data.locations,
            )
            (rf.work_dir(p.paths())).mkdir(parents=True, exist_ok=True)
            (rf.work_dir(p.paths()) / f"{loc}.json").write_text(json.dumps(sheet), encoding="utf-8")
        out[loc] = json.loads((rf.work_dir(p.paths()) / f"{loc}.json").read_text("utf-8"))
    return out


def _hidden_in_text(loc: str, sheet: dict) -> set[str]:
    """Keys (of :func:`analysis.present.location.joint_system`) whose published text is "x"."""
    x = dc.SUPPRESSED_MARK
    hidden = {f"{loc}|m:{m['month']}" for m in sheet["months"] if m["text"] == x}
    counts = sheet["indicators"]["rows"][0]
    latest = sheet["months"][-1]["month"]
    for key, text in zip((f"m:{latest}", "E", "T"), counts[1:4]):
        if text == x:
            hidden.add(f"{loc}|{key}")
    for item, table in zip(dl.ITEMS, sheet["tables"]):
        for code, row in zip(dl._codes(item), table["rows"]):
            for col, text in (("L", row[1]), ("E", row[3])):
                if text == x:
                    hidden.add(f"{loc}|{item}:{code}:{col}")
    shares = {label: name for name, (_i, _y, label) in dl.SHARES.items()}
    for row in sheet["indicators"]["rows"]:
        if row[0] in shares:
            for col, text in zip("LET", row[1:4]):
                if text == x:  # the share hidden: its count and its complement are unknown
                    hidden |= {f"{loc}|{shares[row[0]]}:yes:{col}", f"{loc}|{shares[row[0]]}:no:{col}"}
    # "no" counts are never printed: known only as total minus "yes", so unknown when the
    # column's total is hidden (a shown "0%" leaves the rest equal to the hidden total)
    totals = {"L": f"{loc}|m:{latest}", "E": f"{loc}|E", "T": f"{loc}|T"}
    for name in dl.SHARES:
        for col, total in totals.items():
            if total in hidden:
                hidden.add(f"{loc}|{name}:no:{col}")
    return hidden


def _pinned(processed: Path, sheets: dict[str, dict]) -> dict[str, tuple[float, float]]:
    data = load_measurement(processed, 2, MONTHS)
    system, _national = dl.joint_system(data.registrations, dl.Period(tuple(MONTHS)), sorted(PER_MONTH))
    hidden = set().union(*(_hidden_in_text(loc, s) for loc, s in sheets.items()))
    hidden = {h for h in hidden if system.values[h] > 0}  # a shown zero is no secret
    assert hidden, "the fixture must have hidden cells"
    pinned = {c: iv for c, iv in dc.intervals(system, hidden).items() if iv[1] - iv[0] < dc.MIN_WIDTH - 1e-9}
    # Shares are printed as percentages, never as counts: a share hidden only because its base
    # is hidden (its count >= k, e.g. "yes" of the earlier months = whole period - latest month)
    # is no secret. Every printed count and every small share count is.
    return {
        c: iv
        for c, iv in pinned.items()
        if not any(f"|{name}:" in c for name in dl.SHARES) or system.values[c] < K
    }


@pytest.fixture(scope="module")
def processed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_processed(tmp_path_factory.mktemp("processed"), synthetic=False)


def test_no_hidden_cell_is_recovered_from_the_union_of_outputs(processed: Path, tmp_path: Path) -> None:
    sheets = _publish(processed, tmp_path / "build", joint=True)
    assert _pinned(processed, sheets) == {}


def test_factsheets_suppressed_one_by_one_give_cells_away(processed: Path, tmp_path: Path) -> None:
    """The attack is not toothless: without the joint suppression it recovers hidden cells."""
    sheets = _publish(processed, tmp_path / "build", joint=False)
    assert _pinned(processed, sheets) != {}


def test_the_twin_shows_everything_and_says_so() -> None:
    assert dc.rule_for(synthetic=True) == 0 and dc.rule_for(synthetic=False) == dc.DEFAULT_MIN_CELL_SIZE
    assert "Alle aantallen getoond" in dc.note(0)
    assert dc.SUPPRESSED_MARK in dc.note(5)
