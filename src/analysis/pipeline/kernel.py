"""Kernel-side hook for the notebooks that :mod:`analysis.pipeline.run` executes (an IPython extension).

:func:`analysis.pipeline.run.execute` starts every Jupyter kernel with this extension loaded
(``--ext analysis.pipeline.kernel``); it runs before the first cell and adds nothing to the notebook's
namespace or outputs.

Why: when a kernel exits, CPython's finalisation runs several full garbage collections over
every object the notebook created or imported (pandas, pyarrow, matplotlib, scipy, ...).
For a factsheet kernel that is about 0.4 CPU-seconds (more than drawing its chart), spent
on a process that is about to end. :func:`gc.freeze` at exit moves all objects to the
permanent generation, so those collections have nothing to scan. The kernel still shuts
down gracefully: exit handlers run (IPython, ipykernel, embedded R), files are closed and
reference-counted objects are released as before; only cyclic garbage is left to the
operating system, which reclaims the whole process anyway.
"""

from __future__ import annotations

import atexit
import gc
from typing import Any


def load_ipython_extension(ipython: Any) -> None:  # IPython's extension API (argument unused)
    """Freeze the garbage collector at exit (registered last, so it runs first)."""
    atexit.register(gc.freeze)
