"""Execute chapter notebooks with papermill.

Notebooks declare their parameters in a cell tagged ``parameters``; :func:`execute` passes
only the parameters a notebook declares (read with ``papermill.inspect_notebook``), so one
parameter dictionary serves every chapter. Papermill writes into ``<folder>/.running/``; the
executed copy moves to its place only when every code cell ran without error
(:func:`analysis.verify.completeness.notebook_problems`), so a killed or failed run never
leaves a half-executed notebook where the report reads it. A failing cell fails the build
with the notebook and cell named; the partially executed copy is kept for inspection in
``<folder>/.failed/`` and the earlier executed copy is removed (it no longer matches).

Every notebook runs in its own fresh kernel, started with :func:`kernel_options`, in the
reproducible process settings of :func:`reproducible_children` (one BLAS/OpenMP thread, no
address-space randomisation), so that two cold builds write byte-identical results; the kernel
talks to papermill over Unix sockets in a private temporary folder (IPC transport) instead of
unencrypted TCP ports on localhost, and loads :mod:`analysis.pipeline.kernel`, which spares the
kernel's exit the garbage collections of interpreter finalisation.
"""

from __future__ import annotations

import ast
import logging
import os
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import nbformat
import papermill as pm

from analysis.core.errors import ProjectError
from analysis.core.processes import reproducible_children


# papermill logs a warning for every parameter line whose trailing comment it cannot read as a
# type hint ("Unable to parse line ..."); the parameters are still found, so keep it quiet.
logging.getLogger("papermill").setLevel(logging.ERROR)
logging.getLogger("papermill.translators").setLevel(logging.ERROR)


@contextmanager
def kernel_options() -> Iterator[dict[str, Any]]:
    """Keyword arguments for ``papermill.execute_notebook`` that shape the kernel it starts.

    * IPC transport (POSIX only): the five kernel channels are Unix sockets in a temporary
      folder only this user can open (removed afterwards), rather than TCP ports any local
      process can reach. Besides being private, this removes ipykernel's warning "Kernel is
      running over TCP without encryption" from every notebook run in the build log.
    * ``--ext analysis.pipeline.kernel``: see :mod:`analysis.pipeline.kernel` (cheaper kernel exit).

    The kernel is otherwise the standard ``python3`` kernelspec, started fresh per notebook,
    with the settings of :func:`reproducible_children`.
    """
    from traitlets.config import Config

    reproducible_children()

    options: dict[str, Any] = {"extra_arguments": ["--ext=analysis.pipeline.kernel"]}
    if os.name != "posix":
        yield options
        return
    with tempfile.TemporaryDirectory(prefix="kernel-") as sockets:
        config = Config()
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = os.path.join(sockets, "k")  # sockets k-1 .. k-5
        yield dict(options, config=config)


class NotebookFailed(ProjectError, RuntimeError):
    """A notebook raised an error during execution."""

    hint = "the executed copy named above shows the failing cell; fix the data or parameters it names and build again"


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
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
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
    running = target.parent / ".running" / target.name
    running.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    try:
        with kernel_options() as kernel:
            pm.execute_notebook(
                str(source),
                str(running),
                parameters=chosen,
                kernel_name="python3",
                cwd=str(cwd),
                progress_bar=False,
                log_output=False,
                report_mode=False,
                **kernel,
            )
    except pm.PapermillExecutionError as exc:
        kept = _keep_failed(running, target)
        raise NotebookFailed(
            f"{source.name} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}\n"
            f"(executed copy with the error: {kept})"
        ) from exc
    from analysis.verify.completeness import notebook_problems

    problems = notebook_problems(running)
    if problems:
        kept = _keep_failed(running, target)
        raise NotebookFailed(f"{source.name} did not run completely: {problems[0]} (copy: {kept})")
    os.replace(running, target)
    return time.perf_counter() - t0


def _keep_failed(running: Path, target: Path) -> Path:
    """Move a failed run to ``<folder>/.failed/`` and remove the stale executed copy."""
    kept = target.parent / ".failed" / target.name
    kept.parent.mkdir(parents=True, exist_ok=True)
    if running.exists():
        os.replace(running, kept)
    target.unlink(missing_ok=True)
    return kept
