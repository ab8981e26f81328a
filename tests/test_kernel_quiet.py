"""A notebook run by the build leaves nothing on the console: no kernel shutdown noise.

Issue 16: every successful build printed ``[IPKernelApp] ERROR | KeyboardInterrupt caught in
kernel`` when papermill stopped a kernel. The build's console output is for the user; a line
with ERROR in it after a good build teaches people to ignore errors. This test runs a small
notebook (imports like a chapter notebook's, a figure, a parameters cell) through the build's
own executor, captures file descriptors 1 and 2 (the kernel writes to the inherited ones) and
requires both to be empty of kernel messages.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from analysis.pipeline import run

NOISE = re.compile(r"IPKernelApp|KeyboardInterrupt|Traceback|ERROR|WARNING", re.IGNORECASE)


CHART = (
    "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
    "import pandas as pd\nfrom analysis.present import display\n"
    "fig, ax = plt.subplots()\nax.plot(range(n))\nplt.close(fig)\n"
    "display.text(f'{n} punten')"
)


def _notebook(path: Path, code: str = CHART, n: int = 3) -> Path:
    """A notebook with a parameters cell (``n``) and one code cell."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(f"n = {n}")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(code)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_executed_notebook_prints_no_kernel_noise(tmp_path: Path, capfd) -> None:
    source = _notebook(tmp_path / "klein.ipynb")
    target = tmp_path / "out" / "klein.ipynb"
    target.parent.mkdir()
    for _ in range(2):  # the noise came at shutdown, not every time: two kernels
        run.execute(source, target, {"n": 4}, cwd=tmp_path)
    out, err = capfd.readouterr()
    assert target.exists()
    assert "4 punten" in target.read_text("utf-8")
    noisy = [ln for ln in (out + err).splitlines() if NOISE.search(ln)]
    assert not noisy, "kernel messages on the console:\n" + "\n".join(noisy[:10])


def test_a_build_kernel_ignores_the_sigint_of_its_shutdown(tmp_path: Path, capfd) -> None:
    # jupyter_client sends SIGINT before every shutdown request; under load it arrived while
    # the kernel still handled a message and ipykernel logged "KeyboardInterrupt caught in
    # kernel". Sending the kernel SIGINT in the middle of a cell reproduces that moment: the
    # cell must finish and the console stay clean (analysis.pipeline.kernel ignores SIGINT).
    code = "import os, signal, time\nos.kill(os.getpid(), signal.SIGINT)\ntime.sleep(0.3)\nprint(f'{n} na het signaal')"
    source = _notebook(tmp_path / "signaal.ipynb", code, n=1)
    target = tmp_path / "out" / "signaal.ipynb"
    target.parent.mkdir()
    run.execute(source, target, {"n": 2}, cwd=tmp_path)
    assert "2 na het signaal" in target.read_text("utf-8")
    out, err = capfd.readouterr()
    noisy = [ln for ln in (out + err).splitlines() if NOISE.search(ln)]
    assert not noisy, "kernel messages on the console:\n" + "\n".join(noisy[:10])
