"""Notebook execution (analysis.pipeline.run): the kernel papermill starts for each notebook."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from analysis.pipeline import run as run_mod
from analysis.core.paths import default_paths


def _notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "import sys\n"
            "names = sorted(k for k in globals() if not k.startswith('_'))\n"
            "print(x, 'analysis.pipeline.kernel' in sys.modules, names)"
        ),
    ]
    nbformat.write(nb, str(path))
    return path


def test_kernel_is_quiet_private_and_leaves_the_namespace_alone(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out.ipynb"
    run_mod.execute(_notebook(tmp_path / "nb.ipynb"), target, {"x": 2, "unused": 3}, cwd=default_paths().root)
    out = nbformat.read(str(target), as_version=4).cells[-1].outputs[0]["text"]
    assert out.startswith("2 True ")  # parameter injected; the exit hook (analysis.pipeline.kernel) loaded
    assert "['In', 'Out', 'exit', 'get_ipython', 'open', 'quit', 'sys', 'x']" in out  # nothing added
    err = capfd.readouterr().err
    if os.name == "posix":  # IPC transport: no TCP ports, no warning about them in the build log
        assert "without encryption" not in err
    with run_mod.kernel_options() as options:
        sockets = Path(options["config"].KernelManager.ip).parent if "config" in options else None
        assert sockets is None or sockets.is_dir()
    assert sockets is None or not sockets.exists()  # the socket folder is removed afterwards
