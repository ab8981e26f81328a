"""End-to-end rendering on the offline path (pandoc + Typst) with a demo project."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from analysis import SYNTHETIC_BANNER
from analysis.report.render import available_renderers, last_timings, render
from analysis.core import chapters as chapters_mod
from render_demo import make_demo_project
from analysis.report.notebook_md import NotebookError

pytestmark = pytest.mark.skipif("pandoc" not in available_renderers(), reason="pandoc/typst missing")
APPENDICES = [
    "Statistiek",
    "Codeboek en datadictionary",
    "Datakwaliteit",
    "Reproductiecontrole",
    "Controle van het gepubliceerde rapport",
    "Rekenomgeving en opnieuw uitvoeren",
]
CHAPTERS = [ch.title for ch in chapters_mod.CHAPTERS]  # the one chapter list
# demo: chapter figures 0 + 3 + 1; appendix A refers to the diagnostics figures of chapter 3
N_FIGURES = 4


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    paths = make_demo_project(tmp_path_factory.mktemp("demo"))
    files = render(paths, renderer="pandoc", synthetic=True, context={"stage_times": {"render": 1.0}})
    return paths, files, dict(last_timings)


def _pdftext(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout


def _pages(pdf: Path) -> int:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", out).group(1))


def test_outputs_written(built):
    paths, files, timings = built
    assert files["html"] == paths.report_output / "report.html" and files["html"].stat().st_size > 10_000
    assert files["pdf"] == paths.report_output / "report.pdf" and files["pdf"].read_bytes()[:4] == b"%PDF"
    assert timings["total"] < 60


def test_html_structure(built):
    _, files, _ = built
    html = files["html"].read_text("utf-8")
    for title in CHAPTERS:
        assert re.search(rf"<h1[^>]*>.*?{title}</h1>", html), title
    for letter, title in zip("ABCDEF", APPENDICES):
        assert re.search(rf"Bijlage {letter}</span> {title}", html), title
    assert html.count("<figure") >= N_FIGURES
    assert len(re.findall(r"<strong>Figuur \d+\.</strong>", html)) == N_FIGURES
    assert re.search(r'<a href="#fig-c2-1">Figuur 1</a>', html)  # numbered cross-reference
    assert "@fig-" not in html and "@tbl-" not in html
    assert SYNTHETIC_BANNER in html and 'class="synthetic-bar"' in html
    assert html.count('<details class="code-fold">') >= 5 and "Toon code" in html


def test_lolo_notebook_is_a_section_of_chapter_3(built):
    paths, files, _ = built
    html = files["html"].read_text("utf-8")
    assert not re.search(r"<h1[^>]*>[^<]*Eén locatie weglaten", html)
    h2 = re.search(r"<h2[^>]*>(?:<span[^>]*>[^<]*</span>\s*)?Eén locatie weglaten</h2>", html)
    assert h2, "notebook 03b is not a level-2 section"
    chapter3 = html.index(f"{CHAPTERS[2]}</h1>")
    assert chapter3 < h2.start() < html.index("Literatuur</h1>")
    assert re.search(r'id="tbl-c3b-1"', html) and "@tbl-c3b-1" not in html
    md = (paths.build / "report-project" / "reports" / "_generated" / "_ch03.md").read_text("utf-8")
    assert md.index("{#tbl-c3-1}") < md.index("## Eén locatie weglaten") < md.index("{#tbl-c3b-1}")
    assert "\n### Conclusie" in md  # the section's own headings moved down one level too


def test_html_is_self_contained(built):
    _, files, _ = built
    html = files["html"].read_text("utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert not re.search(r"@import\s+url\(", html)
    assert '<svg role="img" class="figure-svg"' in html and "data:image/svg+xml" not in html  # inline SVG


def test_pdf_structure(built):
    _, files, _ = built
    text = _pdftext(files["pdf"])
    assert _pages(files["pdf"]) >= 15
    assert "Inhoudsopgave" in text and SYNTHETIC_BANNER in text
    for title in CHAPTERS:
        assert title in text
    for letter in "ABCDEF":
        assert f"Bijlage {letter}" in text
    assert len(set(re.findall(r"(?m)^\s*Figuur (\d+)\s*$", text))) == N_FIGURES  # caption lines
    assert "Tabel 1" in text and "Figuur 1" in text
    assert "??" not in text
    assert "Aansluiting" in text and "Modelformules" in text and "Bevinding 1" in text  # C, A, E


def test_document_labels(built):
    paths, _, _ = built
    md = (paths.build / "report-project" / "reports" / "_generated" / "report.md").read_text("utf-8")
    figures = set(re.findall(r"\{#(fig-[\w-]+)", md))
    tables = set(re.findall(r"\{#(tbl-[\w-]+)", md))
    assert len(figures) == N_FIGURES
    assert len(tables) >= 5  # 4 chapter tables + appendix tables


def test_summary_numbers_come_from_results(built):
    paths, _, _ = built
    summary = (paths.build / "report-project" / "reports" / "_generated" / "_summary.md").read_text("utf-8")
    assert "In meting 2 registreerden 18 locaties samen 1613 ongeplande" in summary
    # order by computed frequency: orde/regels (43.2) before agressie (37.8); 43.2 shown as 43%
    assert "aanleidingen waren orde/regels (43%) en agressie (38%)" in summary
    assert "Per maand daalde het aantal van 300 in september 2020 naar 248 in februari 2021." in summary
    assert "elke maand 0,92 keer zo groot" in summary
    assert "{{" not in summary and "unieke jongeren" not in summary  # no youth table: no sentence


def test_appendix_a_tables_are_narrow(built):
    paths, _, _ = built
    md = (paths.build / "report-project" / "reports" / "_generated" / "_appendix_a.md").read_text("utf-8")
    assert "{#tbl-stat-fixed-count}" in md and "{#tbl-stat-versions}" in md
    headers = [line for line in md.splitlines() if line.startswith("| ") and "---" not in line]
    assert max(line.count(" | ") + 1 for line in headers) <= 9  # no table wider than the page
    assert "e-" not in md.split("## Aantal")[1].split("##")[0]  # no exponent notation
    assert "staan in hoofdstuk 3" in md  # diagnostics figures are referred to, not repeated


def test_real_data_has_no_banner(tmp_path):
    paths = make_demo_project(tmp_path)
    files = render(paths, renderer="pandoc", synthetic=False)
    assert SYNTHETIC_BANNER not in _pdftext(files["pdf"]).split("Inhoudsopgave")[0]
    assert 'class="synthetic-bar"' not in files["html"].read_text("utf-8")


def test_error_notebook_fails_render(tmp_path):
    paths = make_demo_project(tmp_path, error_in="02_unplanned_seclusion")
    with pytest.raises(NotebookError, match="02_unplanned_seclusion"):
        render(paths, renderer="pandoc", synthetic=True)


def test_missing_notebook_is_shown_as_missing(tmp_path):
    paths = make_demo_project(tmp_path)
    (paths.executed_notebooks / "03_change_across_measurements.ipynb").unlink()
    shutil.rmtree(paths.model_results)
    files = render(paths, renderer="pandoc", synthetic=True)
    text = _pdftext(files["pdf"])
    assert "niet uitgevoerd" in text and " ".join(CHAPTERS[2].split()[:3]) in text


def test_missing_lolo_notebook_is_shown_as_missing_section(tmp_path):
    paths = make_demo_project(tmp_path)
    (paths.executed_notebooks / "03b_leave_one_location_out.ipynb").unlink()
    files = render(paths, renderer="pandoc", synthetic=True)
    text = " ".join(_pdftext(files["pdf"]).split())
    assert "Deze paragraaf is in deze build niet uitgevoerd" in text and "Eén locatie weglaten" in text
    assert "??" not in text
