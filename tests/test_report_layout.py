"""The rendered report as a reader sees it: PDF pages (poppler) of the full build.

Checks what went wrong before: table headers printed into each other ("gepubliceerdberekend"),
near-blank pages in the middle of a chapter, a caption left at the foot of a page without its
table, appendix tables numbered in the main series, exponent notation and dot decimals.
"""

from __future__ import annotations

import html as html_lib
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from analysis.core.paths import Paths

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
        reason="poppler-utils (pdftotext, pdftoppm) not installed",
    ),
]

#: A page whose content ends above this fraction of the text area is "near-blank".
MIN_FILL = 0.30
# Only tables: a figure is one unbreakable block, and its image (a PNG) has no text to extract.
_CAPTION_ONLY = re.compile(r"^\s*Tabel ([A-F]\.)?\d+\s*$")


def _pages_text(pdf: Path) -> list[str]:
    out = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return out.split("\f")[:-1]


def _fill(pdf: Path, page: int, folder: Path) -> float:
    """How far down the page (fraction of the area between header and footer) content reaches."""
    from PIL import Image

    stem = folder / f"p{page}"
    subprocess.run(
        ["pdftoppm", "-gray", "-r", "24", "-f", str(page), "-l", str(page), "-png", str(pdf), str(stem)],
        check=True,
        capture_output=True,
    )
    png = next(folder.glob(f"p{page}*.png"))
    ink = np.asarray(Image.open(png)) < 200
    png.unlink()
    h = ink.shape[0]
    top, bottom = int(h * 0.09), int(h * 0.90)  # without the running header and the page number
    rows = np.where(ink[top:bottom].any(axis=1))[0]
    return 0.0 if not len(rows) else (rows[-1] + 1) / (bottom - top)


def _chapter_titles(page_html: str) -> list[str]:
    titles = []
    # the document title (<h1 class="title">) is also the running header: not a chapter
    for m in re.finditer(r"<h1(?![^>]*class=\"title\")[^>]*>(.*?)</h1>", page_html, re.S):
        text = re.sub(r"<span class=\"header-section-number\">.*?</span>", "", m.group(1))
        titles.append(html_lib.unescape(re.sub(r"<[^>]+>", "", text)).strip())
    return [t for t in titles if t]


def _starts_chapter(text: str, titles: list[str]) -> bool:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    lines = (
        lines[1:5]
        if lines and "Synthetische data" in lines[0] or "reproductie" in (lines or [""])[0]
        else lines[:4]
    )  # skip the running header
    head = " ".join(lines)
    return any(t[:25] in head for t in titles)


@pytest.fixture(scope="module")
def rendered(built: tuple[Paths, list]) -> tuple[Path, Path, list[str]]:
    paths, _ = built
    pdf, page = paths.report_output / "report.pdf", paths.report_output / "report.html"
    return pdf, page, _pages_text(pdf)


def test_table_headers_never_join(rendered: tuple[Path, Path, list[str]]) -> None:
    _, page, pages = rendered
    words = set(" ".join(pages).split())
    joined = []
    for thead in re.findall(r"<thead>(.*?)</thead>", page.read_text("utf-8"), re.S):
        cells = [
            html_lib.unescape(re.sub(r"<[^>]+>", "", c)).split()
            for c in re.findall(r"<th[^>]*>(.*?)</th>", thead, re.S)
        ]
        for a, b in zip(cells, cells[1:]):
            # one-letter headers ("n", "%") would flag ordinary words ("jongere" + "n")
            if a and b and min(len(a[-1]), len(b[0])) > 1 and (a[-1] + b[0]) in words:
                joined.append(a[-1] + b[0])
    assert not joined, f"header words printed into each other: {sorted(set(joined))}"


def test_no_near_blank_page_except_chapter_ends(
    rendered: tuple[Path, Path, list[str]], tmp_path: Path
) -> None:
    pdf, page, pages = rendered
    titles = _chapter_titles(page.read_text("utf-8"))
    assert len(titles) >= 8
    toc_end = next(i for i, t in enumerate(pages) if _starts_chapter(t, titles) and i > 1)
    thin = []
    for i in range(toc_end, len(pages) - 1):  # title page and contents are exempt; the last page ends
        if _starts_chapter(pages[i + 1], titles):
            continue  # a chapter end may be short
        fill = _fill(pdf, i + 1, tmp_path)
        if fill < MIN_FILL:
            thin.append(f"page {i + 1}: {fill:.0%}")
    assert not thin, f"near-blank pages inside a chapter: {thin}"


def test_no_caption_left_at_the_foot_of_a_page(rendered: tuple[Path, Path, list[str]]) -> None:
    _, _, pages = rendered
    orphans = []
    for i, text in enumerate(pages, 1):
        lines = [ln for ln in text.splitlines() if ln.strip()]
        tail = lines[-3:-1] if len(lines) >= 3 else []  # the last line is the page number
        if any(_CAPTION_ONLY.match(ln) for ln in tail):
            orphans.append(i)
    assert not orphans, f"caption without its table/figure at the foot of pages {orphans}"


def test_numbers_and_numbering_as_the_reader_expects(rendered: tuple[Path, Path, list[str]]) -> None:
    _, page, pages = rendered
    text = "\n".join(pages)
    assert not re.search(r"\d\.\d+e[+-]\d+", text), "exponent notation in the report"
    # appendix tables have their own series; the main series has no gaps
    main = sorted({int(n) for n in re.findall(r"^\s*Tabel (\d+)\s*$", text, re.M)})
    assert main == list(range(1, len(main) + 1)), f"main table numbers jump: {main}"
    assert re.search(r"^\s*Tabel B\.1\s*$", text, re.M) and re.search(r"^\s*Tabel D\.1\s*$", text, re.M)
    # every 2021 table/figure the build reproduces is named in a caption
    flat = re.sub(r"\s+", " ", text)
    assert "(rapport 2021: Tabel 2)" in flat and "(rapport 2021: Figuur 2)" in flat
    doc = page.read_text("utf-8")
    assert 'class="provenance"' in doc and "build/results/" in doc
