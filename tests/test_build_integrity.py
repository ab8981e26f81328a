"""A build killed at any stage is followed by a rebuild that produces the full report.

The probe of issue 12: a ``build --force`` killed (SIGKILL or SIGTERM) during notebook 03 used to
leave half-executed notebooks that later builds took as up to date (the report shrank from 20
figures to 1 and ``compendium check`` said OK). Here builds in a temporary folder are killed
during ingest, during notebook 03 and during render, each followed by a rebuild whose report
must pass the completeness check with every figure and table of the executed notebooks.
Slow (several builds); run with ``-m slow``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from analysis.core.paths import Paths
from analysis.pipeline.build import BuildConfig, build, expected_notebooks, report_completeness
from conftest import isolated_paths

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

N_FIGURES = 25  # figures of the chapter notebooks on the twin (chapter 2: 12; chapter 3: 13 with change and location effects)


def _start(paths: Paths, force: bool) -> subprocess.Popen:
    """A build in a child process, with the CLI's SIGTERM handling."""
    code = textwrap.dedent(f"""
        from pathlib import Path
        from analysis.core.paths import Paths
        from analysis.pipeline.build import BuildConfig, build
        from analysis.pipeline.commands import _terminate_on_sigterm
        _terminate_on_sigterm()
        p = Paths(Path({str(paths.root)!r}), build=Path({str(paths.build)!r}), raw=Path({str(paths.raw)!r}),
                  processed=Path({str(paths.processed)!r}), output=Path({str(paths.report_output)!r}))
        build(BuildConfig(paths=p, force={force!r}))
        """)
    return subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=dict(os.environ, MPLBACKEND="Agg"),
        start_new_session=False,
    )


def _kill_when(
    proc: subprocess.Popen, marker: Path, sig: int, *, delay: float = 0.0, timeout: float = 1200
) -> None:
    t0 = time.monotonic()
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(f"build ended before {marker} appeared: {proc.stderr.read()[-2000:]}")
        if time.monotonic() - t0 > timeout:
            proc.kill()
            raise AssertionError(f"{marker} never appeared")
        time.sleep(0.05)
    time.sleep(delay)
    proc.send_signal(sig)
    proc.wait(timeout=300)
    time.sleep(2)  # let orphaned kernels notice their parent is gone


def _complete(paths: Paths) -> None:
    found = report_completeness(paths, expected_notebooks(BuildConfig(paths=paths)))
    assert found.ok, found.problems
    assert found.figures_found == N_FIGURES, found.summary()


def _rebuild(paths: Paths) -> dict[str, str]:
    return {r.name: r.reason for r in build(BuildConfig(paths=paths)) if r.ran}


def test_killed_builds_recover_fully(tmp_path: Path) -> None:
    paths = isolated_paths(tmp_path)
    # 1. SIGTERM during ingest (cold build)
    proc = _start(paths, force=False)
    _kill_when(proc, paths.processed.with_name(f".{paths.processed.name}.tmp"), signal.SIGTERM, delay=0.3)
    assert not (paths.processed / "registrations.parquet").exists()
    # 2. SIGKILL during notebook 03
    proc = _start(paths, force=False)
    _kill_when(
        proc,
        paths.executed_notebooks / ".running" / "03_change_across_measurements.ipynb",
        signal.SIGKILL,
        delay=4,
    )
    assert not (paths.executed_notebooks / "03_change_across_measurements.ipynb").exists()
    ran = _rebuild(paths)
    assert ran["notebook-03_change_across_measurements"].startswith("interrupted"), ran
    assert "render" in ran
    _complete(paths)
    # 3. the original probe: build --force killed (SIGTERM) during notebook 03
    proc = _start(paths, force=True)
    _kill_when(
        proc,
        paths.executed_notebooks / ".running" / "03_change_across_measurements.ipynb",
        signal.SIGTERM,
        delay=4,
    )
    ran = _rebuild(paths)
    assert ran["notebook-03_change_across_measurements"].startswith("interrupted"), ran
    _complete(paths)
    # 4. SIGKILL during render (the report removed, so that only render runs)
    (paths.report_output / "report.html").unlink()
    proc = _start(paths, force=False)
    _kill_when(
        proc, paths.report_output.with_name(f".{paths.report_output.name}.tmp"), signal.SIGKILL, delay=0.5
    )
    ran = _rebuild(paths)
    assert ran.get("render", "").startswith("interrupted"), ran
    _complete(paths)
    # a no-op rebuild afterwards runs nothing
    assert _rebuild(paths) == {}
