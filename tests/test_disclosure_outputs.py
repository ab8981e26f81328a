"""The LP attack on the union of everything a real-data build publishes (issue 12, items 6 and 7).

A real-format measurement (three locations, six months, ``synthetic: false``) with small
cells at every level, including a national category used twice (below k = 5), is published
the way a build publishes it: the build's one disclosure decision
(:func:`analysis.present.publish.decision_for`, stored in ``<build>/disclosure``), the
chapter-2 results CSVs (:func:`analysis.describe.chapter_results.chapter2` with the decision's
publisher), the report's location x month table and distribution tables (the display
functions notebook 02 calls) and every factsheet's content.

The attacker reads only the published text: a cell printed anywhere is known, a cell marked
``x`` anywhere is unknown, and every additive line of the system
(:func:`analysis.present.publish.published_system`) holds. The existing LP check
(:func:`analysis.describe.disclosure.intervals`) then bounds every hidden cell; none may be
narrower than :data:`analysis.describe.disclosure.MIN_WIDTH`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analysis.core.params import FactsheetParams
from analysis.describe import disclosure as dc
from analysis.describe.chapter_results import chapter2
from analysis.describe.load import load_measurement
from analysis.pipeline import release
from analysis.present import describe_tables as pr
from analysis.present import location as dl
from analysis.present import publish
from analysis.report import factsheets as rf
from test_disclosure_union import _hidden_in_text
from test_factsheets import MONTHS, PER_MONTH, write_processed

K = 5
#: The national category made rare: aanleiding 4 ("Personele bezetting") used twice in all.
RARE = ("aanleiding", 4)


def _with_rare_category(processed: Path) -> Path:
    """Make ``RARE`` a national count of 2: one registration each at two locations."""
    path = processed / "registrations.parquet"
    reg = pd.read_parquet(path)
    item, code = RARE
    reg.loc[reg[item] == code, item] = 1
    for loc, month in (("L01", MONTHS[-1]), ("L03", MONTHS[0])):
        idx = reg.index[(reg["locatie"] == loc) & (reg["maand"] == month)][0]
        reg.loc[idx, item] = code
    reg.to_parquet(path, index=False)
    return processed


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Every output of the publishing path of a real-data build (k = 5)."""
    tmp = tmp_path_factory.mktemp("real")
    processed = _with_rare_category(write_processed(tmp / "processed", synthetic=False))
    build = tmp / "build"
    data = load_measurement(processed, 2, MONTHS)
    period = dl.Period(tuple(MONTHS))
    decision = publish.decision_for(build, data, period, K)
    res = chapter2(data, build / "results", publish=publish.publisher(decision))
    sheets = {}
    for loc in PER_MONTH:
        p = FactsheetParams(
            location=loc, meting=2, data_dir=str(processed), output_dir=str(build), min_cell_size=K
        )
        rf.content(p)
        sheets[loc] = json.loads((rf.work_dir(p.paths()) / f"{loc}.json").read_text("utf-8"))
    table = pr.location_month_table(res["ch2_fig01_per_location_month"].table, hidden=decision.hidden)
    return {
        "data": data,
        "period": period,
        "decision": decision,
        "results": build / "results",
        "sheets": sheets,
        "location_month": table,
        "distribution": {name: publish.display_frame(name, res[name].table, decision.hidden) for name in res},
        "build": build,
    }


def _read_outputs(published: dict) -> tuple[dict[str, str], set[str]]:
    """Known cells (key -> printed text) and cells printed as ``x``, over every output."""
    known: dict[str, str] = {}
    hidden: set[str] = set()

    def see(key: str, text: str) -> None:
        if text == dc.SUPPRESSED_MARK:
            hidden.add(key)
        elif text != "":
            known.setdefault(key, text)

    for csv in sorted(published["results"].glob("ch2_*.csv")):
        df = pd.read_csv(csv, dtype=str, keep_default_na=False)
        for i, col, key in publish.result_cells(csv.stem, df):
            see(key, df[col].iloc[i])
    t = published["location_month"]
    labels = dict(zip(t.columns[1:-1], MONTHS))
    for _, row in t.iterrows():
        loc = row.iloc[0]
        for label, month in labels.items():
            see(f"{loc}|m:{month}", str(row[label]))
        see(f"{loc}|T", str(row.iloc[-1]))
    for name, frame in published["distribution"].items():
        for i, col, key in publish.result_cells(name, frame):
            value = frame[col].iloc[i]
            see(key, dc.SUPPRESSED_MARK if pd.isna(value) else str(int(value)))
    for loc, sheet in published["sheets"].items():
        system = dl.location_system(
            published["data"].registrations.query("locatie == @loc"), published["period"]
        )
        marked = _hidden_in_text(loc, sheet)
        hidden |= marked
        for key, value in system.values.items():
            if f"{loc}|{key}" not in marked:
                known.setdefault(f"{loc}|{key}", str(value))
        for item, table in zip(dl.ITEMS, sheet["tables"]):  # the national column, as shares
            for code, row in zip(dl._codes(item), table["rows"]):
                if row[-1] == dc.SUPPRESSED_MARK:
                    hidden.add(f"nat|{item}:{code}")
    return known, hidden


def test_one_decision_no_cell_shown_in_one_output_and_hidden_in_another(published: dict) -> None:
    known, hidden = _read_outputs(published)
    system, _ = publish.published_system(published["data"], published["period"])
    assert not (set(known) & hidden), sorted(set(known) & hidden)[:10]
    for key, text in known.items():  # what is printed is the true count
        if key in system.values and text.lstrip("-").isdigit():
            assert int(text) == system.values[key], key


def test_lp_attack_on_the_union_of_outputs_recovers_no_hidden_cell(published: dict) -> None:
    known, hidden = _read_outputs(published)
    system, _ = publish.published_system(published["data"], published["period"])
    # Unknown to the attacker: every "x" and every cell printed nowhere. Unprinted zeros are
    # given to the attacker (the LP takes unknown cells as >= 1), which only helps the attack.
    unknown = {c for c in system.values if c not in known and system.values[c] > 0}
    targets = {c for c in hidden if c in system.values and system.values[c] > 0}
    assert targets, "the fixture must have hidden cells"
    narrow = {
        c: iv
        for c, iv in dc.intervals(system, unknown).items()
        if c in targets and iv[1] - iv[0] < dc.MIN_WIDTH - 1e-9
    }
    # As in test_disclosure_union: a share hidden only because its base is hidden is printed
    # as a percentage, never as a count, and is no secret when it is k or more.
    narrow = {
        c: iv for c, iv in narrow.items() if not any(f"|{s}:" in c for s in dl.SHARES) or system.values[c] < K
    }
    assert narrow == {}


def test_a_national_category_below_k_is_hidden_everywhere_and_factsheets_are_written(
    published: dict,
) -> None:
    item, code = RARE
    key = f"nat|{item}:{code}"
    assert key in published["decision"].hidden
    _known, hidden = _read_outputs(published)
    assert key in hidden
    reason = pd.read_csv(published["results"] / "ch2_fig02_reason.csv", dtype=str, keep_default_na=False)
    row = reason[reason["code"] == str(code)].iloc[0]
    assert row["n"] == dc.SUPPRESSED_MARK and row["pct"] == "" and row[publish.NOTE_COLUMN]
    # every location's factsheet was made (no fail-closed), its national share marked
    for loc, sheet in published["sheets"].items():
        table = sheet["tables"][list(dl.ITEMS).index(item)]
        assert table["rows"][dl._codes(item).index(str(code))][-1] == dc.SUPPRESSED_MARK, loc


def test_the_decision_is_made_once_and_read_back(published: dict) -> None:
    stored = publish.decision_file(published["build"], 2)
    body = json.loads(stored.read_text("utf-8"))
    assert body["k"] == K and set(body["hidden"]) == set(published["decision"].hidden)
    assert all(not str(v).isdigit() for v in body["hidden"])  # keys only, no counts
    again = publish.decision_for(published["build"], published["data"], published["period"], K)
    assert again.hidden == published["decision"].hidden and again.seconds == pytest.approx(
        published["decision"].seconds, abs=1e-3
    )


def test_results_csvs_pass_output_checking(published: dict) -> None:
    checks = [release.check_cells(p, K) for p in sorted(published["results"].glob("ch2_*.csv"))]
    assert all(c.passed for c in checks), [(c.file, c.reason) for c in checks if not c.passed]
    per_location = next(c for c in checks if c.file == "ch2_fig01_per_location_month.csv")
    assert per_location.cells_suppressed > 0


def test_the_twin_publishes_every_count(tmp_path: Path) -> None:
    processed = _with_rare_category(write_processed(tmp_path / "processed", synthetic=True))
    data = load_measurement(processed, 2, MONTHS)
    decision = publish.chapter2_decision(tmp_path / "build", data, dc.rule_for(data.synthetic))
    assert decision.k == 0 and decision.hidden == frozenset()
    assert publish.publisher(decision) is None
    res = chapter2(data, tmp_path / "results", publish=publish.publisher(decision))
    reason = pd.read_csv(tmp_path / "results" / "ch2_fig02_reason.csv")
    assert reason["n"].tolist() == res["ch2_fig02_reason"].table["n"].tolist()
    assert "Alle aantallen getoond" in dc.note(decision.k)


def test_unsuppressed_results_csvs_would_give_hidden_cells_away(published: dict, tmp_path: Path) -> None:
    """The attack has teeth: the old results CSVs (full counts) print what the factsheets hide."""
    chapter2(published["data"], tmp_path / "results")
    known, hidden = _read_outputs({**published, "results": tmp_path / "results"})
    leaked = set(known) & hidden
    assert any(k.startswith("L0") and "|m:" in k for k in leaked)
    assert f"nat|{RARE[0]}:{RARE[1]}" in leaked
