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

Second: jupyter_client (8.x) sends every kernel SIGINT when it shuts it down, before the
shutdown request. If that signal lands while the kernel is still handling a message (under
load, when the build runs several kernels and Dask workers on two cores), ipykernel logs
``[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel.`` on the build's console after a
successful notebook. A build-run kernel has nobody to press Ctrl-C in it, so it ignores
SIGINT altogether (also inside message handlers, where ipykernel would install Python's
default handler). The build still stops: Ctrl-C reaches the build process itself, which
shuts its kernels down with a shutdown request, then SIGTERM and SIGKILL. A notebook opened
in JupyterLab does not load this extension and can be interrupted as usual.
"""

from __future__ import annotations

import atexit
import gc
import signal
from typing import Any


def load_ipython_extension(ipython: Any) -> None:  # IPython's extension API
    """Freeze the garbage collector at exit; ignore SIGINT (see the module docstring)."""
    atexit.register(gc.freeze)  # registered last, so it runs first
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    kernel = getattr(ipython, "kernel", None)
    if kernel is not None:
        # ipykernel installs Python's default SIGINT handler around every message handler
        # (kernelbase.pre_handler_hook) and restores the previous one after (post_handler_hook)
        kernel.pre_handler_hook = lambda: None
        kernel.post_handler_hook = lambda: None
