"""Every data line of every export ends in exactly one place, over many files (property tier).

The per-file loader keeps each file's text in plain Python and the text of all files of a
measurement becomes one frame at once (:func:`analysis.ingest.process._text_frame`). These
tests guard that step against losing, duplicating or shifting lines between files: over the
synthetic twin (211 files) plus damaged copies of some of its exports, the data lines of each
file, counted here without the ingest readers, are exactly its accepted rows plus its
quarantined rows, and every accepted row carries the values of its own source line.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pyreadstat
import pytest

from analysis import synth
from analysis.ingest import process as ingest
from ingest_fixtures import KEY

REG = Path("meting-2") / "registraties"


def _read(path: Path) -> tuple[str, str]:
    """Text and separator of a CSV export (the twin writes UTF-8, with or without BOM)."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    first = text.splitlines()[0] if text else ""
    return text, ("," if first.count(",") > first.count(";") else ";")


def _write(
    path: Path, lines: list[list[str]], sep: str = ";", encoding: str = "utf-8", pre: str = ""
) -> None:
    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, lineterminator="\r\n").writerows(lines)
    path.write_bytes((pre + buf.getvalue()).encode(encoding))


def _damage(raw: Path) -> dict[str, str]:
    """Damage five CSV exports of meting 2 in place; return file -> what was done."""
    files = sorted((raw / REG).glob("*.csv"))[:5]
    done = {}
    rows = {f: list(csv.reader(io.StringIO(_read(f)[0]), delimiter=";")) for f in files}
    a, b, c, d, e = files
    # a: title and blank line above the header, a blank record inside, a shifted row at the end
    ra = rows[a]
    shifted = [*ra[1][:3], "extra", *ra[1][3:]]
    _write(a, [["Export registraties"], [""], ra[0], ra[1], [""] * len(ra[0]), *ra[2:], shifted])
    done[a.name] = "title, blank and shifted rows"
    # b: optional column 'contact' dropped and the columns in reverse order
    rb = rows[b]
    i = rb[0].index("contact")
    _write(b, [list(reversed(r[:i] + r[i + 1 :])) for r in rb])
    done[b.name] = "column missing, columns reordered"
    # c: a code that is not in the codebook and an unterminated quote on the third data row
    rc = rows[c]
    rc[1][rc[0].index("aanleiding")] = "99"
    bad = ";".join(rc[3]).replace(";", ';"', 1)
    buf = io.StringIO()
    csv.writer(buf, delimiter=";", lineterminator="\r\n").writerows(rc[:3])
    tail = io.StringIO()
    csv.writer(tail, delimiter=";", lineterminator="\r\n").writerows(rc[4:])
    c.write_bytes((buf.getvalue() + bad + "\r\n" + tail.getvalue()).encode("utf-8"))
    done[c.name] = "bad code, unterminated quote"
    # d: header-less export (every row quarantined)
    _write(d, rows[d][1:])
    done[d.name] = "no header"
    # e: comma-separated Windows-1252 with a BOM-less header
    _write(e, rows[e], sep=",", encoding="cp1252")
    done[e.name] = "comma, cp1252"
    return done


def _expected_csv(path: Path) -> tuple[list[int], dict[int, dict[str, str]]]:
    """Data line numbers of a CSV export and, per line, its cells by header name.

    Counted without the ingest readers: the header is the first line naming ``locatie`` and
    ``datum_start``; every later line with a non-empty cell is a data line (the twin has
    no multi-line values). A header-less export's non-empty lines are all data lines.
    """
    text, sep = _read(path)
    lines = text.splitlines()
    head = next(
        (i for i, ln in enumerate(lines) if "locatie" in ln.lower() and "datum_start" in ln.lower()), None
    )
    header = next(csv.reader([lines[head]], delimiter=sep)) if head is not None else []
    numbers, cells = [], {}
    for i, ln in enumerate(lines):
        if (head is not None and i <= head) or not ln.replace(sep, "").strip():
            continue
        numbers.append(i + 1)
        try:
            values = next(csv.reader([ln], delimiter=sep, strict=True))
        except csv.Error:
            values = []
        if len(values) == len(header):
            cells[i + 1] = dict(zip(header, values))
    return numbers, cells


def _expected(path: Path) -> tuple[list[int], dict[int, dict[str, str]]]:
    """Data row numbers of any export (XLSX sheet rows, SPSS case numbers) and CSV cells."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _expected_csv(path)
    if suffix == ".xlsx":
        wb = openpyxl.load_workbook(path, read_only=True)
        rows = list(wb.worksheets[0].iter_rows(values_only=True))
        wb.close()
        return [i + 1 for i, r in enumerate(rows) if i and any(v not in (None, "") for v in r)], {}
    df, _ = pyreadstat.read_sav(str(path))
    return list(range(1, len(df) + 1)), {}


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("accounting")
    raw = root / "raw"
    synth.write_twin(raw)
    damaged = _damage(raw)
    report = ingest.run(raw, root / "out", key=KEY)
    reg = pd.read_parquet(root / "out" / "registrations.parquet")
    quarantine = pd.read_csv(root / "out" / "quarantine.csv", dtype=str, keep_default_na=False)
    return raw, report, reg, quarantine, damaged


def test_every_data_line_is_accepted_or_quarantined_once(ingested) -> None:
    raw, report, reg, quarantine, damaged = ingested
    assert not reg.duplicated(["bron_bestand", "bron_rij"]).any(), "a source line was accepted twice"
    accepted = reg.groupby("bron_bestand")["bron_rij"].apply(list).to_dict()
    q = quarantine[quarantine["row"] != ""]  # file-level lines have no row
    quarantined = q.groupby("file")["row"].apply(lambda s: sorted({int(x) for x in s})).to_dict()
    files = [f for f in report.files if f.kind == "registraties"]
    assert len(files) == sum(1 for p in raw.rglob("*") if p.parent.name == "registraties")
    for f in files:
        expected, _ = _expected(raw / f.file)
        acc, qua = accepted.get(f.file, []), quarantined.get(f.file, [])
        assert not set(acc) & set(qua), f"{f.file}: a line is both accepted and quarantined"
        assert sorted(acc + qua) == expected, f"{f.file}: lines lost, duplicated or renumbered"
        assert (f.rows_read, f.rows_accepted, f.rows_quarantined) == (len(expected), len(acc), len(qua))
    # The damage reached the quarantine, so the test exercises more than the clean path.
    for name in damaged:
        file = next(f for f in files if f.file.endswith(name))
        if "no header" in damaged[name] or "shifted" in damaged[name] or "bad code" in damaged[name]:
            assert file.rows_quarantined > 0, name


def test_accepted_rows_carry_their_own_source_line(ingested) -> None:
    """Values stay with their line across files with different column sets and orders."""
    raw, report, reg, _, damaged = ingested
    checked = 0
    for f in (f for f in report.files if f.kind == "registraties" and f.format == "csv"):
        _, cells = _expected(raw / f.file)
        rows = reg[reg["bron_bestand"] == f.file]
        for rec in rows.itertuples():
            src = cells[rec.bron_rij]
            assert rec.locatie == src["locatie"].strip().upper(), (f.file, rec.bron_rij)
            code = src["aanleiding"].strip()
            assert (pd.isna(rec.aanleiding) and not code) or str(rec.aanleiding) == code, (
                f.file,
                rec.bron_rij,
            )
            if "contact" in src:
                got, code = rec.contact, src["contact"].strip()
                assert (pd.isna(got) and not code) or str(got) == code, (f.file, rec.bron_rij)
            else:
                assert pd.isna(rec.contact), (f.file, rec.bron_rij)
            checked += 1
    assert checked > 1000
    assert any("column missing" in v for v in damaged.values())
