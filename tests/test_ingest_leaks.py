"""Issue 12 item 2 at ingest level: planted strings never leave the secure side.

Unique strings are planted in every column of a raw tree (a normal, a header-less and a
shifted export); ingest's report, console output and appendix C must hold none of them, and
quarantine.csv shows only values of coded columns unless ``--show-values``. Formula-leading
values are neutralised in every CSV ingest writes. (The same test over a full build, with the
PDF text, is the e2e test ``tests/test_leak_build.py``.)
"""

from __future__ import annotations

import io
import re

import pandas as pd
from rich.console import Console

from analysis.core.csvsafe import neutralise, neutralise_frame
from analysis.ingest import process as ingest
from analysis.report.appendices import data_quality_md
from ingest_fixtures import KEY, MEASUREMENTS, REG_HEADER, make_tree, valid_rows, write_csv

SENSITIVE = (
    "nummer_jongere",
    "aanleiding_omschrijving",
    "doel_omschrijving",
    "aanvulling_omschrijving",
    "opmerkingen",
)


def plant(tag: str, col: str) -> str:
    return f"PLANT{tag}{REG_HEADER.index(col):02d}X"


def planted_tree(tmp_path):
    """Rows with a planted string in every column; returns (raw, sensitive plants, coded plants)."""
    rows = valid_rows(6)
    for i, col in enumerate(REG_HEADER):
        rows[i % 6][col] = plant("A", col)
    raw = make_tree(tmp_path, rows)
    reg = raw / "meting-2" / "registraties"
    headerless = valid_rows(3, 20)
    for col in REG_HEADER:
        headerless[0][col] = plant("B", col)
    (reg / "zonder_kop.csv").write_text(
        "\n".join(";".join(r[k] for k in REG_HEADER) for r in headerless) + "\n", encoding="utf-8"
    )
    shifted = valid_rows(3, 40)
    for col in REG_HEADER:
        shifted[1][col] = plant("C", col)
    shifted[1]["opmerkingen"] = plant("C", "opmerkingen") + ";" + '=HYPERLINK("x")'  # unquoted separator
    lines = [";".join(REG_HEADER)] + [";".join(r[k] for k in REG_HEADER) for r in shifted]
    (reg / "verschoven.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_csv(reg / "formule.csv", [dict(valid_rows(1, 60)[0], aanleiding="=1+1", locatie="@SUM(A1)")])
    sensitive = [plant(t, c) for t in "ABC" for c in SENSITIVE]
    coded = [plant("A", c) for c in REG_HEADER if c not in SENSITIVE]
    return raw, sensitive, coded


def test_planted_strings_stay_out_of_report_console_and_appendix(tmp_path):
    raw, sensitive, coded = planted_tree(tmp_path)
    rep = ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    buf = io.StringIO()
    rep.print_summary(Console(file=buf, width=200))
    public = {
        "ingest_report.json": (tmp_path / "out" / "ingest_report.json").read_text(),
        "console": buf.getvalue(),
        "appendix C": data_quality_md(tmp_path / "out"),
    }
    for name, text in public.items():
        found = sorted(set(re.findall(r"PLANT[ABC]\d\dX", text)))
        assert not found, (name, found)
    quar = (tmp_path / "out" / "quarantine.csv").read_text()
    assert not [s for s in sensitive if s in quar]
    lines = pd.DataFrame(
        {
            "column": ["nummer_jongere", "opmerkingen", "naam", "aanleiding", ""],
            "value": ["XX1", "boos", "Locatie X", "9", ""],
        }
    )
    assert ingest.mask_values(lines)["value"].tolist() == ["[verborgen]"] * 3 + ["9", ""]
    # coded columns (dates, codes, location) may show their value to the data manager
    assert plant("A", "aanleiding") in quar and plant("A", "datum_start") in quar
    # header-less and shifted rows are quarantined whole, with no value
    assert not re.search(r"PLANT[BC]", quar)
    blob = b"".join(p.read_bytes() for p in (tmp_path / "out").glob("*.parquet"))
    assert not [s for s in sensitive if s.encode() in blob]


def test_show_values_unmasks_quarantine_only(tmp_path):
    raw, sensitive, _ = planted_tree(tmp_path)
    ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS, show_values=True)
    # (The quarantine file itself is not checked here: see mask_values below.)
    report = (tmp_path / "out" / "ingest_report.json").read_text()
    assert not re.search(r"PLANT", report)
    lines = pd.DataFrame({"column": ["nummer_jongere"], "value": ["XX1"]})
    assert ingest.mask_values(lines, show_values=True)["value"].tolist() == ["XX1"]


def test_formula_values_are_neutralised_in_quarantine_csv(tmp_path):
    raw, _, _ = planted_tree(tmp_path)
    ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS, show_values=True)
    quar = pd.read_csv(tmp_path / "out" / "quarantine.csv", dtype=str, keep_default_na=False)
    for col in quar.columns:
        assert not quar[col].str.match(r"^[=+\-@\t\r]").any(), col
    assert "'=1+1" in set(quar["value"]) and "'@SUM(A1)" in set(quar["value"])
    assert neutralise("-2,5") == "'-2,5" and neutralise(3) == 3 and neutralise("a=b") == "a=b"
    df = neutralise_frame(pd.DataFrame({"t": ["+31", "ok", None], "n": [-1, 2, 3]}))
    assert df["t"].tolist()[:2] == ["'+31", "ok"] and df["n"].tolist() == [-1, 2, 3]
