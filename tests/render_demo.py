"""A tiny, complete project tree for developing and testing the renderer.

:func:`make_demo_project` writes executed chapter notebooks in the notebook output contract
(markdown outputs with pipe tables, captions and figure links), small SVG/PNG figures, a
results tree (``values.csv``, model CSVs, a diagnostics figure) and processed-data reports,
so :func:`analysis.report.render.render` can run without the real pipeline.
"""

from __future__ import annotations

import shutil
import struct
import zlib
from pathlib import Path

import nbformat
import pandas as pd

from analysis.core.paths import Paths, find_root
from analysis.core.results import write_result


def png_bytes(width: int = 120, height: int = 60, rgb: tuple[int, int, int] = (31, 78, 121)) -> bytes:
    """A solid-colour PNG (no dependencies)."""
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    )


def svg_text(label: str) -> str:
    """A small SVG with a bar and a label."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="240" height="120" viewBox="0 0 240 120">'
        f'<rect x="10" y="30" width="180" height="40" fill="#1f4e79"/>'
        f'<text x="10" y="20" font-size="12">{label}</text></svg>'
    )


def write_figure(folder: Path, stem: str) -> Path:
    """Write ``<stem>.svg`` and ``<stem>.png``; return the SVG path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stem}.png").write_bytes(png_bytes())
    (folder / f"{stem}.svg").write_text(svg_text(stem), "utf-8")
    return folder / f"{stem}.svg"


def _md_output(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("display_data", data={"text/markdown": text, "text/plain": "<Markdown>"})


def _table(label: str, caption: str, rows: list[tuple[str, int]]) -> str:
    body = "\n".join(f"| {a} | {n} |" for a, n in rows)
    return (
        f"| Categorie | n |\n|:---|---:|\n{body}\n\n: {caption} {{#tbl-{label}}}\n\n"
        "*Noot.* Synthetische data - geen echte registraties."
    )


def demo_notebook(
    title: str, chapter: int | str, n_fig: int, n_tab: int, *, error: bool = False
) -> nbformat.NotebookNode:
    """An executed notebook with ``n_fig`` figures and ``n_tab`` tables (``fig-c<ch>-<i>``).

    ``chapter`` may be a string (``"3b"``) for a notebook shown as a section of a chapter.
    """
    nb = nbformat.v4.new_notebook()
    refs = " en ".join([f"@fig-c{chapter}-1"] * bool(n_fig) + [f"@tbl-c{chapter}-1"] * bool(n_tab))
    cells = [
        nbformat.v4.new_markdown_cell(f"# {title}\n\nInleiding van hoofdstuk {chapter}. Zie {refs}."),
        nbformat.v4.new_code_cell("meting = 2", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("meting = 2\nsynthetic = True", metadata={"tags": ["injected-parameters"]}),
    ]
    for i in range(1, n_fig + 1):
        c = nbformat.v4.new_code_cell(f"display.figure(fig_{i})  # chapter {chapter}")
        c.outputs = [
            _md_output(
                f"![Demofiguur {i} van hoofdstuk {chapter}](../figures/c{chapter}_fig{i}.svg)"
                f"{{#fig-c{chapter}-{i}}}"
            )
        ]
        cells.append(c)
    for i in range(1, n_tab + 1):
        c = nbformat.v4.new_code_cell(f"display.table(tab_{i})")
        c.outputs = [
            _md_output(
                _table(
                    f"c{chapter}-{i}",
                    f"Demotabel {i} van hoofdstuk {chapter}",
                    [("Agressie", 609), ("Orde/regels", 692)],
                )
            )
        ]
        cells.append(c)
    cells.append(nbformat.v4.new_markdown_cell("## Conclusie\n\nKorte conclusie."))
    if error:
        c = nbformat.v4.new_code_cell("1/0")
        c.outputs = [
            nbformat.v4.new_output(
                "error", ename="ZeroDivisionError", evalue="division by zero", traceback=[]
            )
        ]
        cells.append(c)
    nb.cells = cells
    return nb


def _results(paths: Paths) -> None:
    vals = {
        "ch2.s2_1.n.registrations": 1613,
        "ch2.s2_1.n.locations": 18,
        "ch2.fig01.n.2020-09": 300,
        "ch2.fig01.n.2021-02": 248,
        "ch2.fig02.pct.2": 43.2,
        "ch2.fig02.pct.1": 37.8,
        "ch2.fig03.pct.3": 50.5,
        "ch2.fig04.pct.1": 71.2,
        "ch2.fig04.pct.3": 18.7,
    }
    write_result(
        paths.results,
        "ch2_demo",
        pd.DataFrame({"code": [1], "n": [1]}),
        chapter="2",
        title="Demo",
        values=vals,
        metingen=[2],
    )
    # The tables the generated summary reads (analysis.present.summary), for measurement 2.
    months = ["2020-09", "2020-10", "2020-11", "2020-12", "2021-01", "2021-02"]
    write_result(
        paths.results,
        "ch2_fig01_per_month",
        pd.DataFrame({"maand": months, "n": [300, 280, 270, 265, 250, 248]}),
        chapter="2",
        title="Per maand",
        values={"ch2.fig01.n.2020-09": 300},
        metingen=[2],
    )
    write_result(
        paths.results,
        "ch2_s2_1_coverage",
        pd.DataFrame(
            {
                "locatie": [f"L{i:02d}" for i in range(1, 19)],
                "months_registered": 6,
                "months_period": 6,
                "late_start": False,
                "ended_early": False,
            }
        ),
        chapter="2",
        title="Dekking",
        values={"ch2.s2_1.n.locations": 18},
        metingen=[2],
    )
    write_result(
        paths.results,
        "ch2_fig02_reason",
        pd.DataFrame(
            {
                "code": ["1", "2", "na"],
                "label": ["Agressie", "Orde/regels", "Niet ingevuld"],
                "n": [610, 697, 306],
                "pct": [37.8, 43.2, 19.0],
            }
        ),
        chapter="2",
        title="Aanleiding",
        values={"ch2.fig02.pct.2": 43.2},
        metingen=[2],
    )
    fixed = pd.DataFrame(
        {
            "model_id": ["count_month", "count_month"],
            "group": ["count", "count"],
            "term": ["intercept", "month"],
            "estimate": [-2.1, -0.083],
            "se": [0.2, 0.011],
            "z": [-10.5, -7.5],
            "p": [0.0, 1e-12],
            "ci_low": [-2.5, -0.105],
            "ci_high": [-1.7, -0.062],
            "exp_est": [0.122, 0.92],
            "exp_ci_low": [0.082, 0.9],
            "exp_ci_high": [0.183, 0.94],
            "verdict": ["ok", "ok"],
            "published_prefix": ["", "ch3.count_month.month"],
            "note": ["Synthetische data - geen echte registraties"] * 2,
        }
    )
    write_result(
        paths.model_results,
        "ch3_models_fixed",
        fixed,
        chapter="3",
        title="Vaste effecten",
        values={
            "ch3.count_month.month.est": 0.92,
            "ch3.count_month.month.ci_low": 0.9,
            "ch3.count_month.month.ci_high": 0.94,
        },
        metingen=[1, 2],
    )
    fit = pd.DataFrame(
        {
            "model_id": ["count_month"],
            "formula": ["n ~ month + offset(log(bezetting)) + (1 | locatie)"],
            "family": ["nbinom2"],
            "engine": ["glmmTMB"],
            "method": ["ML (Laplace)"],
            "status": ["ok"],
            "converged": [True],
            "singular": [False],
            "nobs": [210],
            "ngroups": ["locatie=18"],
            "aic": [1523.4],
            "warnings": [""],
            "versions": ["R=4.2.2;glmmTMB=1.1.5"],
        }
    )
    write_result(paths.model_results, "ch3_models_fit", fit, chapter="3", title="Fit")
    write_figure(paths.figures, "diag_count_month")
    diag = pd.DataFrame({"model_id": ["count_month"], "ks_p": [0.41], "dispersion_p": [0.63]})
    write_result(paths.model_results, "ch3_models_diagnostics", diag, chapter="3", title="Diagnostiek")


def make_demo_project(root: Path, *, error_in: str | None = None, source: Path | None = None) -> Paths:
    """Write a complete demo project under ``root`` and return its paths.

    Parameters
    ----------
    root : Path
        Empty folder.
    error_in : str, optional
        Name of a chapter notebook that gets an error output (to test loud failures).
    source : Path, optional
        Project whose ``reports/`` sources and published table are copied (default: this project).
    """
    source = source or find_root()
    paths = Paths(root)
    shutil.copytree(source / "reports", paths.reports, ignore=shutil.ignore_patterns("_generated", "_output"))
    paths.reference.mkdir(parents=True, exist_ok=True)
    if (source / "data/reference/published_figures.csv").exists():
        shutil.copy2(source / "data/reference/published_figures.csv", paths.published_figures)
    paths.executed_notebooks.mkdir(parents=True, exist_ok=True)
    from analysis.core.chapters import titles

    t = titles()
    specs = {
        "01_planned_policy": (t["01_planned_policy"], 1, 0, 2),
        "02_unplanned_seclusion": (t["02_unplanned_seclusion"], 2, 3, 1),
        "03_change_across_measurements": (t["03_change_across_measurements"], 3, 1, 1),
        "03b_leave_one_location_out": (t["03b_leave_one_location_out"], "3b", 0, 1),
    }
    for name, (title, ch, nf, nt) in specs.items():
        for i in range(1, nf + 1):
            write_figure(paths.figures, f"c{ch}_fig{i}")
        nbformat.write(
            demo_notebook(title, ch, nf, nt, error=name == error_in),
            paths.executed_notebooks / f"{name}.ipynb",
        )
    _results(paths)
    paths.processed.mkdir(parents=True, exist_ok=True)
    (paths.processed / "ingest_report.json").write_text(
        '{"synthetic": true, "warnings": [], "outputs": {"registrations.parquet": "ab12"}, '
        '"files": [{"file": "meting-2/registraties/a.csv", "kind": "registraties", "meting": 2, '
        '"rows_read": 1613, "rows_accepted": 1613, "rows_quarantined": 0, "error": null}], '
        '"totals": {"all": {"files": 1, "files_not_processed": 0, "rows_read": 1613, '
        '"rows_accepted": 1613, "rows_quarantined": 0}}}',
        "utf-8",
    )
    pd.DataFrame(columns=["file", "row", "column", "value", "reason"]).to_csv(
        paths.processed / "quarantine.csv", index=False
    )
    if paths.published_figures.exists():
        # What the build's verification steps write; appendices D and E show it.
        from analysis.verify import audit, reproduction

        audit.write_result(audit.audit(paths.published_figures), paths.audit_findings)
        reproduction.write_result(reproduction.check(paths), paths.reproduction_check)
    return paths
