"""Execute chapter notebooks with papermill.

Notebooks declare their parameters in a cell tagged ``parameters``; :func:`execute` passes
only the parameters a notebook declares (read with ``papermill.inspect_notebook``), so one
parameter dictionary serves every chapter. A failing cell fails the build with the notebook
and cell named; the partially executed notebook is kept for inspection.
"""

from __future__ import annotations

import ast
import logging
import time
from pathlib import Path
from typing import Any

import nbformat
import papermill as pm


# papermill logs a warning for every parameter line whose trailing comment it cannot read as a
# type hint ("Unable to parse line ..."); the parameters are still found, so keep it quiet.
logging.getLogger("papermill").setLevel(logging.ERROR)
logging.getLogger("papermill.translators").setLevel(logging.ERROR)


class NotebookFailed(RuntimeError):
    """A notebook raised an error during execution."""


def declared_parameters(notebook: Path) -> list[str]:
    """Names assigned in the notebook's cell tagged ``parameters``, in order.

    Read with :mod:`ast` rather than ``papermill.inspect_notebook``, which skips lines such as
    ``first_month = None  # comment`` whose comment it cannot read as a type hint.
    """
    nb = nbformat.read(str(notebook), as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])]
    if len(cells) != 1:
        raise NotebookFailed(f"{notebook.name}: expected one cell tagged 'parameters', found {len(cells)}")
    names: list[str] = []
    for node in ast.parse(cells[0].source).body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        names += [t.id for t in targets if isinstance(t, ast.Name) and t.id not in names]
    return names


def execute(source: Path, target: Path, params: dict[str, Any], *, cwd: Path) -> float:
    """Execute ``source`` into ``target`` with the declared subset of ``params``.

    Parameters
    ----------
    source, target : Path
        Source notebook (without outputs) and executed copy.
    params : dict
        Candidate parameter values; names the notebook does not declare are ignored.
    cwd : Path
        Working directory of the kernel (the project root, so relative paths resolve).

    Returns
    -------
    float
        Wall time in seconds.
    """
    declared = declared_parameters(source)
    missing = [k for k in declared if k not in params]
    if missing:
        raise NotebookFailed(f"{source.name}: the build provides no value for parameter(s) {missing}")
    chosen = {k: params[k] for k in declared}
    target.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    try:
        pm.execute_notebook(
            str(source), str(target), parameters=chosen, kernel_name="python3",
            cwd=str(cwd), progress_bar=False, log_output=False, report_mode=False,
        )
    except pm.PapermillExecutionError as exc:
        raise NotebookFailed(
            f"{source.name} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}\n"
            f"(executed copy with the error: {target})"
        ) from exc
    return time.perf_counter() - t0
