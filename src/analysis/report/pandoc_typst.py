"""Offline rendering: pandoc (``pypandoc-binary``) to HTML, pandoc to Typst, Typst to PDF.

No network, no Quarto, no LaTeX: the HTML is self-contained (``--embed-resources``, MathML,
inline CSS and script, figures as inline SVG), the PDF comes from ``typst.compile()`` with the fonts embedded in
the Typst wheel (identical output on every machine).
"""

from __future__ import annotations

import base64
import re
import subprocess
import time
from importlib import resources
from pathlib import Path

from analysis.core.errors import ProjectError

RESOURCES = resources.files("analysis.report") / "resources"


class RenderError(ProjectError, RuntimeError):
    """pandoc or Typst failed."""

    hint = "run `make setup` (it installs pandoc and Typst into .venv) and build again"


def pandoc_path() -> str:
    """Path of the pandoc executable shipped with ``pypandoc-binary``."""
    import pypandoc

    return pypandoc.get_pandoc_path()


def resource(name: str) -> Path:
    """Absolute path of a file in ``analysis/report/resources``."""
    return Path(str(RESOURCES / name))


def _pandoc(args: list[str], cwd: Path) -> None:
    cmd = [pandoc_path(), *args]
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RenderError(f"pandoc failed ({proc.returncode}):\n{proc.stderr.strip()}")
    noisy = [ln for ln in proc.stderr.splitlines() if "WARNING" in ln.upper()]
    if noisy:
        print("\n".join(noisy))


def _common(src: Path, meta: Path) -> list[str]:
    return [
        str(src),
        "--from",
        "markdown",
        "--metadata-file",
        str(meta),
        "--lua-filter",
        str(resource("formats.lua")),
        "--lua-filter",
        str(resource("crossref.lua")),
        "--toc",
        "--toc-depth=2",
        "--wrap=none",
        # No source line counts as "too wide": pandoc then writes no relative column widths
        # and Typst and the browser size every column to its content (headers and numbers
        # keep their width, long text wraps), instead of squeezing number columns.
        "--columns=100000",
    ]


def to_html(src: Path, meta: Path, out: Path, *, reports: Path) -> float:
    """Render the assembled markdown to a self-contained HTML file; return seconds taken."""
    t = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    _pandoc(
        [
            *_common(src, meta),
            "--to",
            "html5",
            "--standalone",
            "--embed-resources",
            "--mathml",
            "--template",
            str(resource("template.html")),
            "--css",
            str(resource("report.css")),
            "--default-image-extension=svg",
            "--resource-path",
            str(reports),
            "--section-divs",
            "--output",
            str(out),
        ],
        cwd=reports,
    )
    out.write_text(inline_svg(out.read_text("utf-8")), "utf-8")
    return time.perf_counter() - t


_SVG_IMG = re.compile(
    r'<img(?P<attrs>[^>]*?)src="data:image/svg\+xml;base64,(?P<data>[A-Za-z0-9+/=]+)"(?P<rest>[^>]*)>'
)


def inline_svg(html: str) -> str:
    """Put embedded SVG figures into the page as ``<svg>`` elements instead of base64 images.

    Base64 adds a third to every figure; inline SVG also keeps the figure text selectable.
    The image's ``aria-label`` and ``role`` move to the ``<svg>`` element.
    """

    def repl(m: re.Match) -> str:
        svg = base64.b64decode(m.group("data")).decode("utf-8")
        svg = svg[svg.find("<svg") :]
        label = re.search(r'aria-label="([^"]*)"', m.group("attrs") + m.group("rest"))
        extra = ' role="img" class="figure-svg"' + (f' aria-label="{label.group(1)}"' if label else "")
        return svg.replace("<svg", "<svg" + extra, 1)

    return _SVG_IMG.sub(repl, html)


def to_typst(src: Path, meta: Path, out: Path, *, reports: Path) -> Path:
    """Convert the assembled markdown to Typst markup with the report template."""
    _pandoc(
        [
            *_common(src, meta),
            "--to",
            "typst",
            "--standalone",
            "--template",
            str(resource("template.typst")),
            "--default-image-extension=png",
            "--output",
            str(out),
        ],
        cwd=reports,
    )
    return out


def to_pdf(src: Path, meta: Path, out: Path, *, reports: Path) -> float:
    """Render to PDF via Typst (``typst.compile``); return seconds taken.

    Image paths in the Typst file are root-relative (``/_generated/figures/...``) and the
    compile root is the reports folder.
    """
    import typst

    t = time.perf_counter()
    typ = to_typst(src, meta, src.with_suffix(".typ"), reports=reports)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        typst.compile(str(typ), output=str(out), root=str(reports), ignore_system_fonts=True, font_paths=[])
    except Exception as exc:  # typst raises its own error type with the Typst diagnostics
        raise RenderError(f"Typst failed on {typ}:\n{exc}") from exc
    return time.perf_counter() - t
