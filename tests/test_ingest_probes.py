"""Issue 12 probes on parsing and discovery: no record can be lost, every line is counted.

Each test is one probe of a hostile tester: a stray quote, a wrong field count, a NUL, a
header-less export, data on the second sheet, an HTML page saved as ``.xlsx``, UTF-16, Excel's
``sep=`` line, title lines, broken alias files, odd file names and links, upper-case
extensions and subfolders, and a location code that tries to leave its folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.core.paths import find_root, safe_child
from analysis.ingest import discover
from analysis.ingest import process as ingest
from analysis.pipeline.build import BuildConfig, has_real_data, raw_root
from analysis.core.paths import Paths
from ingest_fixtures import (
    KEY,
    LOCATIONS,
    MEASUREMENTS,
    REG_HEADER,
    make_tree,
    valid_rows,
    write_csv,
    write_xlsx,
)

ROOT = find_root()


def _csv_text(rows: list[dict[str, str]], header: list[str] = REG_HEADER) -> list[str]:
    """Export lines (no terminators) of ``rows`` as Excel writes them with ``;``."""
    return [";".join(header)] + [";".join(r[k] for k in header) for r in rows]


def _run(tmp_path: Path, raw: Path) -> tuple[ingest.IngestReport, pd.DataFrame]:
    rep = ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    quar = pd.read_csv(tmp_path / "out" / "quarantine.csv", dtype=str, keep_default_na=False)
    return rep, quar


def _file(rep: ingest.IngestReport, name: str):
    return next(f for f in rep.files if f.file.endswith(name))


def test_unterminated_quote_quarantines_only_its_line(tmp_path):
    raw = make_tree(tmp_path, [])
    lines = _csv_text(valid_rows(40))
    cells = lines[15].split(";")
    cells[REG_HEADER.index("opmerkingen")] = '"boos'  # physical line 16 opens a quote, never closed
    lines[15] = ";".join(cells)
    (raw / "meting-2" / "registraties" / "export.csv").write_text(
        "\r\n".join(lines) + "\r\n", encoding="utf-8"
    )
    rep, quar = _run(tmp_path, raw)
    f = _file(rep, "export.csv")
    assert (f.physical_lines, f.rows_read, f.rows_accepted, f.rows_quarantined) == (41, 40, 39, 1)
    assert quar.loc[quar["file"] == f.file, "row"].tolist() == ["16"]
    assert "unterminated quote" in quar.loc[quar["file"] == f.file, "reason"].iloc[0]


def test_quote_closed_lines_later_does_not_swallow_them(tmp_path):
    raw = make_tree(tmp_path, [])
    lines = _csv_text(valid_rows(20))
    lines[5] = lines[5].replace(";geheim", ';"boos')  # row 6 opens a quote
    lines[9] = lines[9] + '"'  # row 10 ends with a stray quote: the record spans 6-10
    (raw / "meting-2" / "registraties" / "export.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rep, quar = _run(tmp_path, raw)
    f = _file(rep, "export.csv")
    assert f.rows_read == f.rows_accepted + f.rows_quarantined == 20
    assert f.rows_accepted >= 18 and "6" in quar.loc[quar["file"] == f.file, "row"].tolist()


def test_legitimate_multiline_value_is_one_row(tmp_path):
    raw = make_tree(tmp_path, [])
    rows = valid_rows(3)
    rows[1]["opmerkingen"] = "eerste regel\ntweede regel"
    write_csv(raw / "meting-2" / "registraties" / "export.csv", rows)
    rep, _ = _run(tmp_path, raw)
    f = _file(rep, "export.csv")
    assert (f.physical_lines, f.rows_read, f.rows_accepted) == (5, 3, 3)
    reg = pd.read_parquet(tmp_path / "out" / "registrations.parquet")
    assert reg.sort_values("bron_rij")["bron_rij"].tolist() == [2, 3, 5]


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda ln: ln + ";extra", "row has 19 fields but the header has 18"),
        (lambda ln: ln.rsplit(";", 1)[0], "row has 17 fields but the header has 18"),
        (lambda ln: ln.replace(";", ";\x00", 1), "NUL character"),
    ],
)
def test_wrong_field_count_or_nul_quarantines_the_line(tmp_path, change, reason):
    raw = make_tree(tmp_path, [])
    lines = _csv_text(valid_rows(10))
    lines[4] = change(lines[4])
    (raw / "meting-2" / "registraties" / "export.csv").write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    rep, quar = _run(tmp_path, raw)
    f = _file(rep, "export.csv")
    assert (f.rows_read, f.rows_accepted, f.rows_quarantined) == (10, 9, 1)
    q = quar[quar["file"] == f.file]
    assert q["row"].tolist() == ["5"] and reason in q["reason"].iloc[0]


def test_header_less_export_counts_every_row_and_shows_no_value(tmp_path):
    raw = make_tree(tmp_path, [])
    rows = valid_rows(10)
    rows[0]["nummer_jongere"] = "GEHEIM123"
    lines = _csv_text(rows)[1:]  # no header
    (raw / "meting-2" / "registraties" / "export.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rep, quar = _run(tmp_path, raw)
    f = _file(rep, "export.csv")
    assert (f.rows_read, f.rows_accepted, f.rows_quarantined) == (10, 0, 10)
    assert f.columns == {} and f.columns_ignored == [] and "header" in f.error
    assert quar[quar["file"] == f.file]["row"].astype(int).tolist() == list(range(1, 11))
    report = (tmp_path / "out" / "ingest_report.json").read_text()
    assert "GEHEIM123" not in report and "GEHEIM123" not in quar.to_csv()


def test_title_lines_and_sep_line_and_utf16(tmp_path):
    raw = make_tree(tmp_path, [])
    lines = ["sep=;", "Export registraties", "gemaakt op 1-3-2021", ""] + _csv_text(valid_rows(6))
    reg = raw / "meting-2" / "registraties"
    (reg / "a.csv").write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    (reg / "b.csv").write_bytes(("\r\n".join(_csv_text(valid_rows(4, 20))) + "\r\n").encode("utf-16"))
    (reg / "c.csv").write_bytes(
        (
            "\n".join(
                _csv_text(
                    valid_rows(3, 40),
                )
            )
            + "\n"
        ).encode("utf-16-le")
    )
    rep, _ = _run(tmp_path, raw)
    a, b, c = _file(rep, "a.csv"), _file(rep, "b.csv"), _file(rep, "c.csv")
    assert (a.physical_lines, a.title_rows, a.blank_rows, a.header_row, a.rows_read, a.rows_accepted) == (
        11,
        2,
        1,
        5,
        6,
        6,
    )
    assert (b.encoding, b.rows_accepted, c.encoding, c.rows_accepted) == ("utf-16", 4, "utf-16-le", 3)
    reg_out = pd.read_parquet(tmp_path / "out" / "registrations.parquet")
    assert sorted(reg_out.loc[reg_out["bron_bestand"].str.endswith("a.csv"), "bron_rij"]) == list(
        range(6, 12)
    )


def test_xlsx_data_on_second_sheet_is_read_and_other_sheets_reported(tmp_path):
    import openpyxl

    raw = make_tree(tmp_path, [])
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "Toelichting"
    notes.append(["Dit bestand bevat de registraties"])
    notes.append(["zie tabblad Data"])
    data = wb.create_sheet("Data")
    data.append(REG_HEADER)
    for r in valid_rows(7):
        data.append([r[k] for k in REG_HEADER])
    more = wb.create_sheet("Data2")
    more.append(REG_HEADER)
    for r in valid_rows(3, 50):
        more.append([r[k] for k in REG_HEADER])
    path = raw / "meting-2" / "registraties" / "export.xlsx"
    wb.save(path)
    rep, _ = _run(tmp_path, raw)
    first, second = _file(rep, "export.xlsx"), _file(rep, "export.xlsx#Data2")
    assert (first.rows_read, first.rows_accepted, second.rows_read, second.rows_accepted) == (7, 7, 3, 3)
    assert any("'Toelichting' (2 non-empty rows)" in w for w in first.warnings)


def test_html_saved_as_xlsx_is_rejected_with_its_row_count(tmp_path):
    raw = make_tree(tmp_path, valid_rows(2))
    body = "".join(
        "<tr>" + "".join(f"<td>{r[k]}</td>" for k in REG_HEADER) + "</tr>\n" for r in valid_rows(10)
    )
    html = (
        "<html><body><table>\n<tr>"
        + "".join(f"<th>{k}</th>" for k in REG_HEADER)
        + "</tr>\n"
        + body
        + "</table></body></html>"
    )
    (raw / "meting-2" / "registraties" / "web.xlsx").write_text(html, encoding="utf-8")
    rep, _ = _run(tmp_path, raw)
    f = _file(rep, "web.xlsx")
    assert (f.rows_read, f.rows_quarantined, f.rows_counted) == (10, 10, True)
    assert f.error.startswith("an HTML page saved with the extension .xlsx (10 table rows)")
    assert rep.totals["registraties"]["rows_read"] == 12


@pytest.mark.parametrize(
    "text",
    [
        "columns: [unclosed\n",
        "columns:\n  - a\n  - b\n",
        "labels:\n  aanleiding:\n    x: y\n",
        b"columns:\n  \xff\xfe: locatie\n",
    ],
)
def test_broken_alias_file_is_one_clear_line_exit_2(tmp_path, text):
    raw = make_tree(tmp_path)
    target = raw / "meting-2" / "registraties" / "aliases.yaml"
    target.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(ingest.IngestError, match="aliases file .*aliases.yaml cannot be used"):
        ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    proc = _cli(["ingest", "--raw", str(raw), "--out", str(tmp_path / "out2")], tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr + proc.stdout
    assert "aliases" in proc.stdout + proc.stderr


def _cli(args: list[str], tmp_path: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    params = tmp_path / "params"
    if not params.exists():
        params.mkdir()
        for m in MEASUREMENTS.values():
            (params / f"meting-{m.meting}.yaml").write_text(json.dumps(m.model_dump()), encoding="utf-8")
    full = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "COMPENDIUM_PSEUDONYM_KEY": KEY.decode(),
        **(env or {}),
    }
    code = (
        "import sys; import analysis.core.measurements as M; from pathlib import Path; "
        f"M_load_all = M.load_all; M.load_all = lambda p=None: {{k: M.load(v) for k, v in "
        f"((int(x.stem.split('-')[1]), x) for x in Path({str(params)!r}).glob('meting-*.yaml'))}}; "
        "from analysis.pipeline.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=full, cwd=tmp_path
    )


def test_undecodable_file_name_and_dangling_link_are_reported(tmp_path):
    raw = make_tree(tmp_path, valid_rows(3))
    reg = raw / "meting-2" / "registraties"
    name = os.fsdecode(b"caf\xe9.csv")
    write_csv(reg / name, valid_rows(2, 10))
    os.symlink(reg / "bestaat-niet.csv", reg / "link.csv")
    rep, quar = _run(tmp_path, raw)
    odd = _file(rep, "caf\\xe9.csv")
    assert odd.rows_accepted == 2 and any("not valid UTF-8" in w for w in odd.warnings)
    link = _file(rep, "link.csv")
    assert link.error == "a symbolic link whose target does not exist" and link.rows_read == 0
    json.loads((tmp_path / "out" / "ingest_report.json").read_text(encoding="utf-8"))
    assert "meting-2/registraties/link.csv" in quar["file"].tolist()


def test_upper_case_extensions_and_subfolders_are_found_by_build_and_ingest(tmp_path):
    raw = tmp_path / "raw"
    write_csv(
        raw / "locations.csv",
        [
            {
                "locatie": c,
                "instelling": f"Instelling {c}",
                "naam": f"Locatie {c}",
                "eerste_maand": "2019-09",
                "laatste_maand": "2021-02",
            }
            for c in LOCATIONS
        ],
    )
    reg = raw / "meting-2" / "registraties"
    write_csv(reg / "AA" / "EXPORT.CSV", valid_rows(4))
    write_xlsx(reg / "BB" / "Export.XLSX", valid_rows(3, 10))
    assert has_real_data(raw)
    paths = Paths(tmp_path, raw=raw)
    assert raw_root(BuildConfig(paths=paths)) == (raw, False)
    assert [f.display for f in discover.discover(raw).registration_files()] == [
        "meting-2/registraties/AA/EXPORT.CSV",
        "meting-2/registraties/BB/Export.XLSX",
    ]
    rep = ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    assert rep.totals["registraties"]["rows_accepted"] == 7


def test_empty_raw_folder_means_the_twin(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "README.md").write_text("contract\n")
    assert not has_real_data(raw)
    (raw / "meting-3").mkdir()
    (raw / "meting-3" / "export.csv").write_text("x\n")  # misplaced: still real data, reported
    assert has_real_data(raw)


def test_location_code_that_leaves_its_folder_is_refused(tmp_path):
    raw = make_tree(tmp_path)
    with open(raw / "locations.csv", "a", encoding="utf-8") as fh:
        fh.write("../../../../tmp/x;Instelling X;Locatie X;2019-09;2021-02\r\n")
    rep, quar = _run(tmp_path, raw)
    locs = pd.read_parquet(tmp_path / "out" / "locations.parquet")
    assert sorted(locs["locatie"]) == ["AA", "BB"]
    assert "bad_location_code" in rep.reasons
    with pytest.raises(ValueError, match="outside"):
        safe_child(tmp_path / "build" / "factsheets", "../../../../tmp/x.html")
    with pytest.raises(ValueError):
        safe_child(tmp_path / "build", "/etc/passwd")
    assert safe_child(tmp_path / "build", "AA.html") == tmp_path / "build" / "AA.html"


def test_unreadable_folder_is_one_clear_error(tmp_path, monkeypatch):
    raw = make_tree(tmp_path)
    real_scandir = os.scandir

    def scandir(path):
        if str(path).endswith("registraties"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(discover.os, "scandir", scandir)
    with pytest.raises(ingest.IngestError, match="cannot be read \\(Permission denied\\)"):
        ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)


def test_factsheet_paths_refuse_a_code_that_leaves_the_folder(tmp_path):
    from analysis.report.factsheets import location_file

    assert location_file(tmp_path, "L01", ".html") == tmp_path / "L01.html"
    for bad in ("../../../../tmp/x", "a/b", "", "..", "L01\x00"):
        with pytest.raises(ValueError):
            location_file(tmp_path, bad, ".html")
