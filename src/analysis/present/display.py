"""How notebooks show artefacts: the contract with the renderer.

Notebooks never print tables or figures themselves. They call :func:`table`, :func:`figure`
and :func:`text`; each emits exactly ONE IPython ``text/markdown`` output, so Quarto and our
own pandoc converter read the same thing:

* a table is a pandoc pipe table followed by ``: <caption> {#tbl-<label>}`` and, when given, a
  paragraph starting with ``*Noot.*``;
* a figure is ``![<caption>](<relative path to the .svg>){#fig-<label>}``; the renderer swaps
  ``.svg`` for ``.png`` when it builds the PDF, so both files always share one stem.

:func:`metadata` adds a short italic provenance line (function and results CSV) under an
artefact, so a reviewer can trace every number to code and data.

Tables are written by :func:`analysis.present.format.table_markdown` (the one Markdown table
writer) and their numbers by :mod:`analysis.present.format` (the one formatter; its rules are
stated there).

Tables with one row per location stay readable and the report's size grows at most linearly
with the number of locations: :func:`location_table` shows such a table inline when it has at
most :data:`MAX_LOCATIONS_INLINE` rows and otherwise writes exactly the table it would have
shown (suppressed cells keep the mark ``x``) to a CSV file in the build's appendix folder
(``<build>/results/appendix/<label>.csv``, :attr:`analysis.core.paths.Paths.appendix`) and shows one computed sentence with a link to it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.core.results import write_csv
from analysis.present import format as nf
from analysis.present import text as tx

#: Largest number of locations (rows) a per-location table or figure shows in the report;
#: above it a table goes to a CSV file (:func:`location_table`) and a figure shows a stated
#: selection of this many locations. The synthetic twin has fewer, so its report is unchanged.
MAX_LOCATIONS_INLINE = 40

#: Directory that figure paths are made relative to (the executed notebook's folder).
_BASE_DIR: Path | None = None


# --- markdown builders (pure, tested) -----------------------------------------------------
def appendix_csv(csv_dir: str | os.PathLike[str], label: str) -> Path:
    """Path of the CSV file that holds the table ``label`` when it is too long for the report."""
    return Path(csv_dir) / f"{label}.csv"


def appendix_sentence(caption: str, n_locations: int, n_suppressed: int, shown: str, link: str) -> str:
    """The sentence that replaces a per-location table above :data:`MAX_LOCATIONS_INLINE`.

    Parameters
    ----------
    caption : str
        Caption the table would have had.
    n_locations : int
        Number of locations (rows) in the table.
    n_suppressed : int
        Cells of the table that show the suppression mark (said only when there are any).
    shown : str
        Path of the CSV file as shown to the reader.
    link : str
        Link target of the CSV file (relative to the notebook's folder).
    """
    from analysis.describe.disclosure import SUPPRESSED_MARK  # the mark the tables show

    hidden = (
        f", met dezelfde {tx.count(n_suppressed, 'onderdrukte cel', 'onderdrukte cellen')} "
        f"({SUPPRESSED_MARK})"
        if n_suppressed
        else ""
    )
    return (
        f"**{caption.rstrip('.')}.** Deze tabel telt {tx.count(n_locations, 'locatie', 'locaties')}, meer "
        f"dan de {tx.count(MAX_LOCATIONS_INLINE, 'locatie', 'locaties')} die een tabel in dit "
        "rapport ten hoogste toont. Daarom staat de tabel als CSV-bestand in de bijlagemap, "
        f"precies zoals zij hier getoond zou worden{hidden}: [`{shown}`]({link})."
    )


def location_table_markdown(
    df: pd.DataFrame,
    *,
    label: str,
    caption: str,
    csv_dir: str | os.PathLike[str],
    note: str | None = None,
) -> str:
    """Markdown of a table with one row per location: inline, or a sentence with a CSV link.

    Rule: at most :data:`MAX_LOCATIONS_INLINE` rows give exactly
    :func:`analysis.present.format.table_markdown`
    (and any CSV left from an earlier build with more locations is removed, so no stale file
    stays). With more rows the displayed frame itself (counts as numbers, suppressed cells as
    the mark) is written to ``<csv_dir>/<label>.csv`` and the markdown is one computed sentence
    (:func:`appendix_sentence`) with a link relative to the notebook's folder, plus the note.

    Parameters
    ----------
    df : DataFrame
        The table as it would be shown (already after the build's disclosure decision).
    label, caption, note
        As for :func:`analysis.present.format.table_markdown`.
    csv_dir : path
        The build's appendix folder (``<build>/results/appendix``).

    Returns
    -------
    str
        Markdown for one ``text/markdown`` output.
    """
    path = appendix_csv(csv_dir, label)
    if len(df) <= MAX_LOCATIONS_INLINE:
        path.unlink(missing_ok=True)
        return nf.table_markdown(df, caption, label, note=note)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_csv(df, path)
    base = _BASE_DIR or Path.cwd()
    link = Path(os.path.relpath(path.resolve(), base)).as_posix()
    shown = f"{Path(csv_dir).parent.name}/{Path(csv_dir).name}/{path.name}"  # results/appendix/...
    from analysis.describe.disclosure import SUPPRESSED_MARK

    n_suppressed = int((df.astype(str) == SUPPRESSED_MARK).to_numpy().sum())
    parts = [appendix_sentence(caption, len(df), n_suppressed, shown, link)]
    if note:
        parts += ["", f"*Noot.* {note}"]
    return "\n".join(parts) + "\n"


def set_base_dir(path: str | os.PathLike[str] | None) -> None:
    """Make figure links relative to ``path`` (default: the working directory).

    The executed notebook lives in one folder and the figures in another; the renderer reads
    the link relative to the notebook, so notebooks set this to where they are executed.
    """
    global _BASE_DIR
    _BASE_DIR = None if path is None else Path(path).resolve()


def _svg_path(paths: Any) -> Path:
    """The SVG of a ``FigurePaths`` (attribute ``svg``) or an ``(svg, png)`` pair."""
    svg = getattr(paths, "svg", None)
    if svg is None:
        svg = paths[0]
    svg = Path(svg)
    if svg.suffix != ".svg":
        raise ValueError(f"figure path must be the .svg file, got {svg}")
    png = getattr(paths, "png", None) if not isinstance(paths, (tuple, list)) else paths[1]
    if png is not None and Path(png).with_suffix("") != svg.with_suffix(""):
        # The renderer swaps .svg -> .png, which only works when the stems agree.
        raise ValueError(f"SVG and PNG must share a stem: {svg} vs {png}")
    return svg


def figure_markdown(paths: Any, *, label: str, caption: str) -> str:
    """Markdown image link with caption and ``#fig-`` label, path relative to the base dir."""
    svg = _svg_path(paths).resolve()
    base = _BASE_DIR or Path.cwd()
    rel = Path(os.path.relpath(svg, base)).as_posix()
    return f"![{caption}]({rel}){{#fig-{label}}}\n"


# --- emitters (one text/markdown output each) ---------------------------------------------
def _emit(markdown: str, metadata: dict[str, Any] | None = None) -> None:
    from IPython.display import display as ipy_display

    bundle = {"text/markdown": markdown}
    ipy_display(bundle, raw=True, metadata={"text/markdown": metadata} if metadata else None)


def table(df: pd.DataFrame, *, label: str, caption: str, note: str | None = None) -> None:
    """Show a table: pipe table + ``: caption {#tbl-label}`` (+ ``*Noot.*`` paragraph)."""
    _emit(nf.table_markdown(df, caption, label, note=note))


def location_table(
    df: pd.DataFrame,
    *,
    label: str,
    caption: str,
    csv_dir: str | os.PathLike[str],
    note: str | None = None,
) -> None:
    """Show a per-location table, or above :data:`MAX_LOCATIONS_INLINE` a link to its CSV.

    See :func:`location_table_markdown`.
    """
    _emit(location_table_markdown(df, label=label, caption=caption, csv_dir=csv_dir, note=note))


def figure(paths: Any, *, label: str, caption: str) -> None:
    """Show a figure saved as SVG + PNG with the same stem (see :func:`figure_markdown`)."""
    _emit(figure_markdown(paths, label=label, caption=caption))


def text(markdown: str) -> None:
    """Show narrative markdown (computed numbers already formatted in)."""
    _emit(markdown.strip() + "\n")


def provenance_markdown(function: str, result: str | None) -> str:
    """Italic provenance line: which function made the artefact, which results CSV holds it."""
    line = f"*Berekend met `{function}`"
    if result:
        line += f"; gegevens in `results/{result}.csv`"
    return line + ".*\n"


def metadata(function: str | Any, result: str | None = None) -> None:
    """Record where the artefact above comes from, visibly and in the output's metadata.

    Parameters
    ----------
    function : str or callable
        The function that computed the numbers (a callable is named ``module.qualname``).
    result : str, optional
        Name of the results CSV (without ``.csv``).
    """
    if callable(function):
        function = f"{function.__module__}.{function.__qualname__}"
    _emit(
        provenance_markdown(str(function), result),
        metadata={"provenance": {"function": str(function), "result": result}},
    )
