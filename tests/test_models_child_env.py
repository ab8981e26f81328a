"""Embedded R must not change the environment that child processes (Jupyter kernels) inherit."""

import os
import subprocess
import sys

from analysis.models import rbridge


def test_r_does_not_leak_its_library_path_to_children() -> None:
    rbridge.session()
    assert os.environ.get("LD_LIBRARY_PATH") == rbridge._LD_BEFORE_R
    # A kernel started after R must load its own libpython: importing ssl (via pyarrow) failed
    # with "undefined symbol: _PyModule_Add" when R's LD_LIBRARY_PATH leaked.
    out = subprocess.run(
        [sys.executable, "-c", "import ssl, pyarrow.parquet"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-2000:]
