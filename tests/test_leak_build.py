"""Issue 12 item 2, end to end: planted strings never reach any output of a full build.

The synthetic twin is written as a REAL raw tree (no marker, a secret key), then exports are
added with a unique string planted in every column (CSV and XLSX, plus a column that is not in
the codebook), a header-less export and a shifted export (an unquoted separator in free text).
``compendium build`` runs in a copy of the project; every file it writes (processed data,
build/, reports/_output/ with the PDF text, factsheets) and its console output are searched.
Strings planted in coded or typed columns (codes, dates, times, location) may appear in
``data/processed/quarantine.csv`` only (it stays on the secure side); strings planted in the
youth number, free text or unknown columns appear nowhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.core.paths import find_root
from ingest_fixtures import KEY, REG_HEADER

pytestmark = pytest.mark.e2e

ROOT = find_root()
SENSITIVE = {
    "nummer_jongere",
    "aanleiding_omschrijving",
    "doel_omschrijving",
    "aanvulling_omschrijving",
    "opmerkingen",
    "Extra info",
}
HEADER = REG_HEADER + ["Extra info"]


def _plant(tag: str, col: str) -> str:
    return f"QZ{tag}{HEADER.index(col):02d}PLNT"


def _row(i: int, loc: str) -> dict[str, str]:
    day = 1 + i % 28
    return {
        "locatie": loc,
        "nummer_jongere": f"{loc}{900 + i:04d}",
        "datum_start": f"{day:02d}.11.2020",
        "tijd_start": f"{8 + i % 10}:{i % 60:02d}",
        "datum_eind": f"{day:02d}.11.2020",
        "tijd_eind": f"{19 + i % 3}:05",
        "aanleiding": "1",
        "aanleiding_omschrijving": "",
        "doel": "2",
        "doel_omschrijving": "",
        "ruimte": "1",
        "beheer_ruimte": "1",
        "contact": "1",
        "evaluatie_1": "1",
        "evaluatie_2": "1",
        "aanvulling_jongere": "1",
        "aanvulling_omschrijving": "",
        "opmerkingen": "",
        "Extra info": "",
    }


def _planted_rows(tag: str, start: int) -> list[dict[str, str]]:
    rows = []
    for j, col in enumerate(HEADER):
        r = _row(start + j, "L02")
        r[col] = _plant(tag, col)
        rows.append(r)
    return rows


def _write_exports(reg: Path) -> tuple[list[str], list[str]]:
    import openpyxl

    reg.mkdir(parents=True, exist_ok=True)
    lines = [";".join(HEADER)] + [";".join(r[k] for k in HEADER) for r in _planted_rows("A", 0)]
    (reg / "planted.csv").write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    for r in _planted_rows("B", 40):
        ws.append([r[k] for k in HEADER])
    wb.save(reg / "planted.xlsx")
    headerless = [_row(80 + i, "L03") for i in range(3)]
    headerless[0] = {k: _plant("C", k) for k in HEADER}
    (reg / "zonder_kop.csv").write_text(
        "\n".join(";".join(r[k] for k in HEADER) for r in headerless) + "\n", encoding="utf-8"
    )
    shifted = [_row(90 + i, "L04") for i in range(3)]
    shifted[1] = {k: _plant("D", k) for k in HEADER}
    shifted[1]["aanleiding_omschrijving"] += ";los deel"  # an unquoted separator shifts every later value
    lines = [";".join(HEADER)] + [";".join(r[k] for k in HEADER) for r in shifted]
    (reg / "verschoven.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    sensitive = [_plant(t, c) for t in "ABCD" for c in HEADER if c in SENSITIVE or t in "CD"]
    coded = [_plant(t, c) for t in "AB" for c in HEADER if c not in SENSITIVE]
    return sensitive, coded


def _copy_project(dest: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for rel in files:
        src = ROOT / rel
        if src.is_file() and not rel.startswith(("data/raw/", "tests/", "benchmarks/")):
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)


def _texts(folder: Path) -> dict[str, str]:
    """Text of every file under ``folder``: parquet cells, PDF text, else the bytes as text."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if not p.is_file():
            continue
        if p.suffix == ".parquet":
            df = pd.read_parquet(p)
            out[str(p)] = df.astype(str).to_csv(index=False)
        elif p.suffix == ".pdf":
            out[str(p)] = subprocess.run(
                ["pdftotext", "-layout", str(p), "-"], capture_output=True, text=True
            ).stdout
        else:
            out[str(p)] = p.read_bytes().decode("utf-8", errors="replace")
    return out


@pytest.fixture(scope="module")
def leak_build(tmp_path_factory):
    from analysis.synth import write_twin

    proj = tmp_path_factory.mktemp("leak") / "proj"
    _copy_project(proj)
    raw = proj / "data" / "raw"
    write_twin(raw)
    (raw / "SYNTHETIC").unlink()  # real data from here on: the secret key is required
    sensitive, coded = _write_exports(raw / "meting-2" / "registraties")
    env = {
        **os.environ,
        "COMPENDIUM_ROOT": str(proj),
        "PYTHONPATH": str(proj / "src"),
        "COMPENDIUM_PSEUDONYM_KEY": KEY.decode(),
        "MPLBACKEND": "Agg",
    }
    env.pop("COMPENDIUM_PSEUDONYM_KEY_FILE", None)
    proc = subprocess.run(
        [sys.executable, "-m", "analysis.pipeline.cli", "build"],
        cwd=proj,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    return proj, proc, sensitive, coded


def test_build_ran_on_the_planted_tree(leak_build):
    proj, proc, _, _ = leak_build
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Data: real registrations" in proc.stdout
    assert (proj / "reports" / "_output" / "report.pdf").exists()


def test_no_planted_string_in_any_output(leak_build):
    proj, proc, sensitive, coded = leak_build
    outputs = {"console": proc.stdout + proc.stderr}
    for folder in (proj / "data" / "processed", proj / "build", proj / "reports" / "_output"):
        outputs.update(_texts(folder))
    quarantine = str(proj / "data" / "processed" / "quarantine.csv")
    leaks = {
        name: [s for s in sensitive + coded if s in text and not (name == quarantine and s in coded)]
        for name, text in outputs.items()
    }
    assert not {k: v for k, v in leaks.items() if v}
    assert len(outputs) > 50  # processed tables, results, figures, notebooks, report, factsheets
    # the coded plants are where a data manager needs them, and nowhere else
    assert all(s in outputs[quarantine] for s in coded if "02PLNT" not in s)
