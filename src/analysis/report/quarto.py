"""Quarto rendering path (for users who have Quarto; not available on the build machines).

The same sources are used as on the offline path: :func:`analysis.report.assemble.prepare`
writes the generated parts into ``reports/_generated/`` and ``quarto render`` then renders
``reports/index.qmd`` with the project file ``_quarto.yml`` (HTML with embedded resources and
Typst PDF). Quarto handles cross-references and ``content-visible`` itself.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from analysis.core.errors import ProjectError


class QuartoError(ProjectError, RuntimeError):
    """``quarto render`` failed or produced no output."""

    hint = "check the Quarto installation, or render offline with `compendium build --renderer pandoc`"


def quarto_path() -> str | None:
    """The ``quarto`` executable on PATH, if any."""
    return shutil.which("quarto")


def _collect(output: Path, suffix: str) -> Path:
    """Find the rendered file (Quarto may mirror the source folder) and move it to the top."""
    target = output / f"report{suffix}"
    if target.exists():
        return target
    found = sorted(output.rglob(f"*{suffix}"), key=lambda p: p.stat().st_mtime, reverse=True)
    if not found:
        raise QuartoError(f"quarto render wrote no {suffix} file under {output}")
    shutil.move(str(found[0]), target)
    return target


def render(root: Path, output: Path) -> tuple[dict[str, Path], dict[str, float]]:
    """Run ``quarto render`` for HTML and PDF (Typst) from the project root.

    Parameters
    ----------
    root : Path
        Project root (holds ``_quarto.yml``).
    output : Path
        ``reports/_output``.

    Returns
    -------
    tuple of (dict, dict)
        Output files ``{'html': ..., 'pdf': ...}`` and seconds per format.
    """
    exe = quarto_path()
    if exe is None:
        raise QuartoError("quarto is not on PATH; use --renderer pandoc (offline path)")
    files, times = {}, {}
    for fmt, suffix in (("html", ".html"), ("typst", ".pdf")):
        t = time.perf_counter()
        proc = subprocess.run(
            [exe, "render", "reports/index.qmd", "--to", fmt], cwd=root, capture_output=True, text=True
        )
        if proc.returncode != 0:
            raise QuartoError(f"quarto render --to {fmt} failed:\n{proc.stderr[-4000:]}")
        files["html" if fmt == "html" else "pdf"] = _collect(output, suffix)
        times["html" if fmt == "html" else "pdf"] = time.perf_counter() - t
    return files, times
