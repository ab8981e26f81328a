"""Process settings under which two cold builds compute the same bits.

:func:`reproducible_children` is called before the build starts processes that compute results:
notebook kernels (:func:`analysis.pipeline.run.kernel_options`) and the worker processes of a
local Dask cluster (:mod:`analysis.models.engine`). The rules are in ``docs/contracts.md``
(*Determinism*); ``tests/test_determinism.py`` builds twice and compares every results and
processed file byte for byte.
"""

from __future__ import annotations

import ctypes
import os
import sys

#: Linux ``personality(2)`` flag: run executed programs without address-space layout randomisation.
ADDR_NO_RANDOMIZE = 0x0040000
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def reproducible_children() -> bool:
    """Settings under which the processes this one starts compute the same bits in every build.

    * One BLAS/OpenMP thread (:data:`THREAD_VARIABLES`, unless already set): the split of a
      reduction over threads changes its rounding; the build already runs two notebooks at
      once, so more threads would only compete for the cores.
    * No address-space randomisation for processes started from here on (notebook kernels,
      the build's Dask workers; Linux ``personality(ADDR_NO_RANDOMIZE)``, inherited by every
      child; this process keeps its own layout). Measured: lme4's sparse Cholesky factor of a nested random
      effect (``(1 | locatie/jongere)``) gives a log-determinant that differs in the last bits
      between processes, depending on where memory is mapped (a plain ``Rscript`` shows it too;
      thread counts do not change it); the optimizer turns that into differences of about 1e-7
      in ``ch3_sens_estimates.csv`` and ``ch3_sens_lrtests.csv``. With a fixed layout the
      results are the same in every run, whatever the folder or environment. The children only
      read files the build itself wrote. ``COMPENDIUM_KEEP_ASLR=1`` keeps randomisation (then
      those two files may differ in the last digits between builds).

    Returns
    -------
    bool
        Whether randomisation is off for the children (False off Linux, when refused, e.g. by
        a container's seccomp profile, or when ``COMPENDIUM_KEEP_ASLR=1``).
    """
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, "1")
    if not sys.platform.startswith("linux") or os.environ.get("COMPENDIUM_KEEP_ASLR") == "1":
        return False
    try:
        personality = ctypes.CDLL(None, use_errno=True).personality
    except (OSError, AttributeError):  # pragma: no cover - not glibc/musl
        return False
    personality.argtypes, personality.restype = [ctypes.c_ulong], ctypes.c_int
    current = personality(0xFFFFFFFF)  # query only
    if current == -1:
        return False
    return bool(current & ADDR_NO_RANDOMIZE) or personality(current | ADDR_NO_RANDOMIZE) != -1
