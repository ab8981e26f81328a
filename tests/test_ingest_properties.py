"""Property tests: random mutations of a valid export never lose a row and never crash."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.ingest import process as ingest
from ingest_fixtures import KEY, MEASUREMENTS, REG_HEADER, make_tree, valid_rows, write_csv

ALIASES = {
    "locatie": "Locatiecode",
    "nummer_jongere": "Nummer jongere",
    "datum_start": "DATUM START",
    "tijd_start": "begintijd",
    "evaluatie_2": "Evaluatie met jongere",
}
# Printable text incl. separators, quotes and accents; cp1252 exports only get cp1252 characters.
GARBAGE = st.text(st.characters(codec="cp1252", exclude_categories=("Cs", "Cc")), max_size=12)


@st.composite
def mutated_exports(draw):
    rows = valid_rows(draw(st.integers(1, 12)))
    for _ in range(draw(st.integers(0, 10))):  # cells replaced by garbage
        r = draw(st.sampled_from(rows))
        r[draw(st.sampled_from(REG_HEADER))] = draw(GARBAGE)
    for _ in range(draw(st.integers(0, 3))):  # rows duplicated
        rows.append(dict(draw(st.sampled_from(rows))))
    renamed = draw(st.lists(st.sampled_from(sorted(ALIASES)), unique=True))
    header = [ALIASES[c] if c in renamed else c for c in REG_HEADER]
    sep = draw(st.sampled_from([";", ","]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    return rows, header, sep, encoding


def _data_rows(rows: list[dict[str, str]]) -> int:
    """Rows a reader must account for (completely empty rows are not registrations)."""
    return sum(any(v.strip() for v in r.values()) for r in rows)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_exports())
def test_mutations_never_lose_a_row(export):
    rows, header, sep, encoding = export
    with tempfile.TemporaryDirectory() as tmp:
        raw = make_tree(Path(tmp), [], occupancy=False, policy=False)
        write_csv(
            raw / "meting-2" / "registraties" / "export.csv", rows, header=header, sep=sep, encoding=encoding
        )
        rep = ingest.run(raw, Path(tmp) / "out", key=KEY, measurements=MEASUREMENTS)
        f = next(f for f in rep.files if f.kind == "registraties")
        assert f.error is None
        assert f.rows_read == _data_rows(rows) == f.rows_accepted + f.rows_quarantined
        reg = pd.read_parquet(Path(tmp) / "out" / "registrations.parquet")
        quar = pd.read_csv(Path(tmp) / "out" / "quarantine.csv", dtype=str, keep_default_na=False)
        accepted = set(reg["bron_rij"])
        quarantined = {int(r) for r in quar.loc[quar["file"] == f.file, "row"]}
        assert not accepted & quarantined
        assert len(accepted | quarantined) == f.rows_read


@settings(max_examples=15, deadline=None)
@given(st.lists(st.lists(GARBAGE, min_size=1, max_size=20), min_size=1, max_size=6))
def test_arbitrary_tables_never_crash(table):
    """Any grid of text (wrong header, ragged rows) is read, reported and reconciled."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = make_tree(Path(tmp), valid_rows(1), occupancy=False, policy=False)
        path = raw / "meting-2" / "registraties" / "rommel.csv"
        path.write_text(
            "\n".join(";".join(c.replace(";", "").replace('"', "") for c in r) for r in table),
            encoding="utf-8",
        )
        rep = ingest.run(raw, Path(tmp) / "out", key=KEY, measurements=MEASUREMENTS)
        for f in rep.files:
            assert f.rows_read == f.rows_accepted + f.rows_quarantined
