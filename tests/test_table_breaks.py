"""A long table never starts at the foot of a page with only a row or two under its caption.

Tables of at most 15 rows are kept whole (``formats.lua``); longer ones may break between
rows. Before the ``needspace`` rule of the Typst template, a table whose caption landed near
the bottom of a page kept one row there and carried the other 29 over (issue 16, "Table 6
split after one row"). This test renders, through the report's own pandoc + Typst path, one
section per page with a growing amount of text before a 30-row table, so that the table's
start sweeps over the foot of the page, and reads every page back with ``pdftotext``.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml

from analysis.report import pandoc_typst
from analysis.report.render import available_renderers

pytestmark = [
    pytest.mark.skipif("pandoc" not in available_renderers(), reason="pandoc/typst missing"),
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed"),
]

ROWS = 30
#: Fewest rows of a broken table allowed on the page where it starts.
MIN_FIRST_ROWS = 3
#: Lines of text before the table in the successive sections (the start sweeps a page foot).
FILLER = range(26, 46)


def _document() -> str:
    parts = []
    for i, filler in enumerate(FILLER):
        parts.append(f"# Sectie {i}\n")
        parts += [f"Vulregel {j} van sectie {i}.\n" for j in range(filler)]
        rows = "\n".join(f"| r{i:02d}x{k:02d} | {k} |" for k in range(ROWS))
        parts.append(f"| kolom | waarde |\n|---|---:|\n{rows}\n\n: Lange tabel {i} {{#tbl-lang{i}}}\n")
    return "\n".join(parts)


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> list[str]:
    root = tmp_path_factory.mktemp("breaks")
    meta = root / "_meta.yml"
    meta.write_text(yaml.safe_dump({"title": "Tabellen", "short-title": "Tabellen"}), "utf-8")
    src = root / "doc.md"
    src.write_text(_document(), "utf-8")
    pdf = root / "doc.pdf"
    pandoc_typst.to_pdf(src, meta, pdf, reports=root)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    return text.stdout.split("\f")


def _rows_per_page(pages: list[str], table: int) -> list[int]:
    pattern = re.compile(rf"\br{table:02d}x\d\d\b")
    return [n for n in (len(pattern.findall(p)) for p in pages) if n]


def test_every_row_printed_once(pages: list[str]) -> None:
    for i in range(len(FILLER)):
        assert sum(_rows_per_page(pages, i)) == ROWS, f"table {i}"


def test_no_table_starts_with_a_row_or_two(pages: list[str]) -> None:
    first = {i: _rows_per_page(pages, i)[0] for i in range(len(FILLER))}
    split = {i: n for i, n in first.items() if n < ROWS}
    # The sweep must really put table starts near a page foot, or the test proves nothing.
    assert split, "no table was split; the sweep does not reach the foot of a page"
    short = {i: n for i, n in split.items() if n < MIN_FIRST_ROWS}
    assert not short, f"tables starting with fewer than {MIN_FIRST_ROWS} rows on a page: {short}"


def test_caption_on_the_page_where_the_table_starts(pages: list[str]) -> None:
    for i in range(len(FILLER)):
        start = next(p for p in pages if re.search(rf"\br{i:02d}x00\b", p))
        assert f"Lange tabel {i}" in start, f"caption of table {i} not with its first row"
