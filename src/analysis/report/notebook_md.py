"""Executed notebook (``.ipynb``) -> pandoc markdown for the report.

The chapter notebooks follow the notebook output contract (``analysis.present.display``): artefacts
are IPython ``text/markdown`` display outputs (pipe tables with a ``: caption {#tbl-x}`` line,
figures as ``![caption](path.svg){#fig-x}``), narrative is markdown. This module keeps
markdown cells and markdown outputs, hides code (HTML: a collapsed "Toon code" block per
cell; PDF: omitted), drops the papermill ``parameters`` / ``injected-parameters`` cells, copies
figures next to the report and fails loudly when a cell raised an error.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat

from analysis.core.errors import ProjectError
from analysis.report import trace as tr

if TYPE_CHECKING:
    from analysis.report.trace import Trace

HIDDEN_TAGS = {"parameters", "injected-parameters", "remove-cell", "remove_cell"}
NO_CODE_TAGS = {"remove-input", "remove_input", "hide-input", "hide_input"}
_IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)(?P<title>\s+\"[^\"]*\")?\)")


class NotebookError(ProjectError, RuntimeError):
    """A notebook cannot be rendered (an error output, a missing figure, ...)."""

    hint = (
        "open the executed notebook under build/notebooks/ to see the cell, then run `compendium build` again"
    )


@dataclass
class Converted:
    """Markdown of one notebook and what it contained.

    Attributes
    ----------
    markdown : str
        Pandoc markdown (code wrapped in HTML-only blocks).
    figures : list of str
        Figure labels (``fig-...``) found in the outputs.
    tables : list of str
        Table labels (``tbl-...``) found in the outputs.
    published : dict
        Label -> artefacts of the 2021 report it reproduces (``["Tabel 2"]``).
    """

    markdown: str
    figures: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    published: dict[str, list[str]] = field(default_factory=dict)


def _tags(cell: dict) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []) or [])


def _text(value: str | list[str]) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def check_errors(nb: nbformat.NotebookNode, name: str) -> None:
    """Raise :class:`NotebookError` if any cell of ``nb`` has an error output.

    Parameters
    ----------
    nb : NotebookNode
        The executed notebook.
    name : str
        Notebook name for the message.
    """
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []) or []:
            if out.get("output_type") == "error":
                raise NotebookError(
                    f"{name}: cell {i} raised {out.get('ename')}: {out.get('evalue')}. "
                    "Fix the notebook (or the analysis code) and re-run it before rendering."
                )
    if nb.metadata.get("papermill", {}).get("exception"):
        raise NotebookError(f"{name}: papermill recorded an exception during execution")


def _code_block(source: str) -> str:
    fence = "````" if "```" in source else "```"
    return (
        '::: {.content-visible when-format="html"}\n'
        '<details class="code-fold"><summary>Toon code</summary>\n\n'
        f"{fence}python\n{source.rstrip()}\n{fence}\n\n</details>\n:::\n"
    )


def _resolve(src: str, bases: list[Path]) -> Path | None:
    p = Path(src)
    if p.is_absolute():
        return p if p.exists() or p.with_suffix(".png").exists() else None
    for base in bases:
        cand = (base / p).resolve()
        if cand.exists() or cand.with_suffix(".png").exists() or cand.with_suffix(".svg").exists():
            return cand
    return None


_SVG_NUMBER = re.compile(r"(?<![#\w])(-?\d+\.\d{3,})")


def _circle_arcs(d: str) -> str:
    """Path data with every Bezier circle (matplotlib's dot hatch: M + 8 C + z) as two arcs."""
    out = []
    for sub in re.findall(r"M[^M]*", d):
        nums = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", sub)]
        if sub.count("C") == 8 and sub.rstrip().endswith("z") and len(nums) == 50:
            xs, ys = nums[0::2], nums[1::2]
            r = (max(xs) - min(xs)) / 2
            cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
            out.append(
                f"M{cx - r:.2f} {cy:.2f}a{r:.2f} {r:.2f} 0 1 0 {2 * r:.2f} 0"
                f"a{r:.2f} {r:.2f} 0 1 0 {-2 * r:.2f} 0z"
            )
        else:
            out.append(sub)
    return "".join(out)


def optimise_svg(svg: str, decimals: int = 2) -> str:
    """A smaller SVG that draws the same: no metadata, coordinates to ``decimals``, no indentation,
    hatch dots as arcs.

    Coordinates are in points; 0.01 pt is far below what a screen or printer resolves. Numbers
    inside colours or ids are left alone (they follow ``#`` or a word character).
    """
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    # Dot hatches: a 72 pt pattern tile holds hundreds of circles of eight Bezier curves each.
    svg = re.sub(
        r"<pattern.*?</pattern>",
        lambda p: re.sub(r'(?<![\w-])d="([^"]*)"', lambda m: f'd="{_circle_arcs(m.group(1))}"', p.group(0)),
        svg,
        flags=re.S,
    )

    def short(m: re.Match) -> str:
        text = f"{float(m.group(1)):.{decimals}f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text

    svg = _SVG_NUMBER.sub(short, svg)
    svg = re.sub(r"\s*\n\s*", " ", svg)
    return re.sub(r">\s+<", "><", svg)


def copy_figure(src: Path, dest_dir: Path) -> str:
    """Copy a figure's SVG (smaller, :func:`optimise_svg`) and PNG into ``dest_dir``; return its name.

    When both ``.svg`` and ``.png`` exist the returned name has no extension, so pandoc
    (``--default-image-extension``) and Quarto pick SVG for HTML and PNG for PDF.

    Parameters
    ----------
    src : Path
        Figure path as written by the notebook (any of .svg/.png).
    dest_dir : Path
        Folder the report references figures in.

    Returns
    -------
    str
        File name (with or without extension) inside ``dest_dir``.
    """
    dest_dir.mkdir(parents=True, exist_ok=True)
    found = [src.with_suffix(ext) for ext in (".svg", ".png") if src.with_suffix(ext).exists()]
    if not found and src.exists():
        found = [src]
    if not found:
        raise NotebookError(f"figure not found: {src}")
    for f in found:
        if f.suffix == ".svg":
            (dest_dir / f.name).write_text(optimise_svg(f.read_text("utf-8")), "utf-8")
        else:
            shutil.copy2(f, dest_dir / f.name)
    if len(found) == 2:
        return src.stem
    return found[0].name


def rewrite_images(md: str, bases: list[Path], dest_dir: Path, ref_prefix: str) -> str:
    """Copy every referenced image to ``dest_dir`` and point the markdown at the copy.

    Parameters
    ----------
    md : str
        Markdown with ``![..](path)`` images.
    bases : list of Path
        Folders relative paths are tried against, in order.
    dest_dir : Path
        Where figures are copied.
    ref_prefix : str
        Path of ``dest_dir`` as seen from the report source (e.g. ``_generated/figures``).
    """

    def repl(m: re.Match) -> str:
        src = m.group("src")
        if re.match(r"^[a-z]+:", src):
            raise NotebookError(f"external image {src!r}: figures must be local files")
        path = _resolve(src, bases)
        if path is None:
            raise NotebookError(f"figure {src!r} not found (looked in {', '.join(map(str, bases))})")
        name = copy_figure(path, dest_dir)
        return f"![{m.group('alt')}]({ref_prefix}/{name}{m.group('title') or ''})"

    return _IMAGE.sub(repl, md)


_CSV_LINK = re.compile(r"\]\((?P<src>[^)\s]+\.(?:csv|md))\)")


def rewrite_csv_links(md: str, bases: list[Path], html_dir: Path) -> str:
    """Point every link to a local CSV file (a per-location table moved out of the report) or
    Markdown document (``docs/method.md``, linked from chapter 3) at it relative to the HTML
    report, so the link resolves wherever the notebook was executed and the report written.

    Raises
    ------
    NotebookError
        A linked file does not exist (the report would promise a table or text it does not have).
    """
    import os

    def repl(m: re.Match) -> str:
        src = m.group("src")
        if re.match(r"^[a-z]+:", src):
            return m.group(0)
        path = _resolve(src, bases)
        if path is None or not path.is_file():
            raise NotebookError(f"linked CSV {src!r} not found (looked in {', '.join(map(str, bases))})")
        return f"]({Path(os.path.relpath(path, html_dir)).as_posix()})"

    return _CSV_LINK.sub(repl, md)


def _shift(md: str, levels: int) -> str:
    """Demote markdown headings by ``levels`` (outside code fences)."""
    if not levels:
        return md
    out, fenced = [], False
    for line in md.splitlines(keepends=True):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        if not fenced and re.match(r"^#{1,5} ", line):
            line = "#" * levels + line
        out.append(line)
    return "".join(out)


def _outputs_markdown(cell: dict) -> list[tuple[str, dict | None]]:
    """Markdown outputs of a cell with their provenance record (``display.metadata``), if any."""
    parts = []
    for out in cell.get("outputs", []) or []:
        if out.get("output_type") in ("display_data", "execute_result"):
            data = out.get("data", {})
            if "text/markdown" in data:
                prov = (out.get("metadata", {}).get("text/markdown", {}) or {}).get("provenance")
                parts.append((_text(data["text/markdown"]).strip() + "\n", prov))
    return parts


_TABLE_CAPTION = re.compile(r"(?m)^(: .*?)( \{#tbl-[\w-]+\})")
_FIGURE_CAPTION = re.compile(r"!\[(?P<cap>[^\]]*)\](?P<rest>\([^)]*\)\{#fig-[\w-]+\})")


def add_to_caption(block: str, suffix: str) -> str:
    """Append ``suffix`` to the caption of the table or figure in ``block`` (once)."""
    if not suffix or suffix in block:
        return block
    if _TABLE_CAPTION.search(block):
        return _TABLE_CAPTION.sub(lambda m: m.group(1) + suffix + m.group(2), block, count=1)
    return _FIGURE_CAPTION.sub(lambda m: f"![{m.group('cap')}{suffix}]{m.group('rest')}", block, count=1)


def _is_artefact(block: str) -> bool:
    return bool(re.search(r"\{#(tbl|fig)-[\w-]+\}", block))


def convert(
    nb_path: Path,
    *,
    figures_dir: Path,
    figures_ref: str = "_generated/figures",
    bases: list[Path] | None = None,
    shift_headings: int = 0,
    trace: "Trace | None" = None,
    notebook: str | None = None,
    html_dir: Path | None = None,
) -> Converted:
    """Convert an executed notebook to report markdown.

    Parameters
    ----------
    nb_path : Path
        Executed notebook (papermill output).
    figures_dir : Path
        Folder the figures are copied to.
    figures_ref : str
        How the report source refers to ``figures_dir``.
    bases : list of Path, optional
        Extra folders to resolve relative figure paths (the notebook's folder is tried first).
    shift_headings : int
        Add this many ``#`` to every markdown heading (0 keeps the notebook's levels).
    trace : Trace, optional
        Index of the build's results (:func:`analysis.report.trace.load`): each provenance
        record becomes a line pointing to the results CSV, notebook cell and published figures,
        and the published number is added to the caption of the artefact above it.
    notebook : str, optional
        Notebook path shown in the provenance line (default the file name).
    html_dir : Path, optional
        Folder of the HTML report (links to CSVs are relative to it).

    Returns
    -------
    Converted
        The markdown and the figure/table labels found.
    """
    nb = nbformat.read(nb_path, as_version=4)
    check_errors(nb, nb_path.name)
    search = [nb_path.parent, *(bases or [])]
    blocks: list[str] = []
    last_artefact: int | None = None
    published: dict[str, list[str]] = {}
    shown_nb = notebook or nb_path.name
    for number, cell in enumerate(nb.cells, 1):
        tags = _tags(cell)
        if tags & HIDDEN_TAGS:
            continue
        if cell.cell_type == "markdown":
            blocks.append(_shift(_text(cell.source).strip() + "\n", shift_headings))
        elif cell.cell_type == "code":
            src = _text(cell.source)
            if src.strip() and not (tags & NO_CODE_TAGS):
                blocks.append(_code_block(src))
            for b, prov in _outputs_markdown(cell):
                if prov is None:
                    if html_dir is not None:
                        b = rewrite_csv_links(b, search, html_dir)
                    blocks.append(_shift(b, shift_headings))
                    if _is_artefact(b):
                        last_artefact = len(blocks) - 1
                    continue
                result = prov.get("result")
                if last_artefact is not None and trace is not None:
                    label = re.search(r"\{#((?:tbl|fig)-[\w-]+)\}", blocks[last_artefact]).group(1)
                    arts = [
                        a
                        for a in trace.published(result)
                        if a.split(" ")[0] in ("Tabel", "Figuur", "Bijlage")
                    ]
                    if arts:
                        published[label] = sorted(set(published.get(label, [])) | set(arts))
                    blocks[last_artefact] = add_to_caption(
                        blocks[last_artefact], tr.caption_suffix(trace, result)
                    )
                blocks.append(
                    tr.provenance_line(
                        trace,
                        function=str(prov.get("function")),
                        result=result,
                        notebook=shown_nb,
                        cell=number,
                        start=html_dir or nb_path.parent,
                    )
                )
    md = "\n".join(blocks)
    md = rewrite_images(md, search, figures_dir, figures_ref)
    return Converted(
        markdown=md,
        figures=re.findall(r"\{#(fig-[\w-]+)", md),
        tables=re.findall(r"\{#(tbl-[\w-]+)", md),
        published=published,
    )
