"""The incremental runner re-runs exactly the steps whose inputs changed."""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from analysis.pipeline.incremental import (
    BuildLocked,
    Runner,
    Step,
    StepFailed,
    build_lock,
    replace_dir,
    staging_dir,
)


def _step(tmp: Path, name: str, digest: str, log: list[str]) -> Step:
    out = tmp / f"{name}.out"

    def action() -> None:
        log.append(name)
        out.write_text(digest)

    return Step(name, {"data": digest}, [out], action)


def test_runs_once_then_skips(tmp_path: Path) -> None:
    log: list[str] = []
    r = Runner(tmp_path / "state")
    assert r.run(_step(tmp_path, "a", "1", log)).ran
    assert not r.run(_step(tmp_path, "a", "1", log)).ran
    assert log == ["a"]


def test_changed_input_reruns_only_that_step(tmp_path: Path) -> None:
    log: list[str] = []
    Runner(tmp_path / "s").run(_step(tmp_path, "a", "1", log))
    Runner(tmp_path / "s").run(_step(tmp_path, "b", "1", log))
    r = Runner(tmp_path / "s")
    res_a = r.run(_step(tmp_path, "a", "2", log))
    res_b = r.run(_step(tmp_path, "b", "1", log))
    assert res_a.ran and res_a.reason == "changed: data"
    assert not res_b.ran
    assert log == ["a", "b", "a"]


def test_missing_output_and_force_rerun(tmp_path: Path) -> None:
    log: list[str] = []
    Runner(tmp_path / "s").run(_step(tmp_path, "a", "1", log))
    (tmp_path / "a.out").unlink()
    assert Runner(tmp_path / "s").run(_step(tmp_path, "a", "1", log)).reason.startswith("output missing")
    assert Runner(tmp_path / "s", force=True).run(_step(tmp_path, "a", "1", log)).reason == "forced"
    assert log == ["a", "a", "a"]


def test_failing_action_records_nothing(tmp_path: Path) -> None:
    def boom() -> None:
        raise RuntimeError("fails")

    r = Runner(tmp_path / "s")
    step = Step("x", {"d": "1"}, [], boom)
    with pytest.raises(RuntimeError, match="fails"):
        r.run(step)
    assert r.why(step).startswith("interrupted")


def test_a_step_killed_after_an_earlier_success_reruns(tmp_path: Path) -> None:
    """The old digest must not make a half-finished re-run (build --force, then killed) look done."""
    log: list[str] = []
    Runner(tmp_path / "s").run(_step(tmp_path, "a", "1", log))
    r = Runner(tmp_path / "s", force=True)
    r.mark_running(_step(tmp_path, "a", "1", log))  # what a kill during the action leaves
    assert Runner(tmp_path / "s").why(_step(tmp_path, "a", "1", log)).startswith("interrupted")


def test_state_is_recorded_only_after_verification(tmp_path: Path) -> None:
    log: list[str] = []
    good = _step(tmp_path, "a", "1", log)
    bad = Step("a", good.inputs, good.outputs, good.action, verify=lambda: ["cell 5 did not run"])
    with pytest.raises(StepFailed, match="cell 5 did not run"):
        Runner(tmp_path / "s").run(bad)
    assert Runner(tmp_path / "s").why(good).startswith("interrupted")
    Runner(tmp_path / "s").run(good)
    assert Runner(tmp_path / "s").why(good) is None
    # an output that no longer verifies (replaced by a half-executed copy) makes the step run
    assert Runner(tmp_path / "s").why(bad) == "output incomplete: cell 5 did not run"


def test_replace_dir_swaps_whole_folders(tmp_path: Path) -> None:
    target = tmp_path / "processed"
    target.mkdir()
    (target / "old.parquet").write_text("old")
    (target / "README.md").write_text("tracked documentation")
    staged = staging_dir(target)
    (staged / "new.parquet").write_text("new")
    replace_dir(staged, target)
    assert sorted(p.name for p in target.iterdir()) == ["README.md", "new.parquet"]
    assert not staged.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["processed"]


def test_a_second_holder_of_the_build_lock_is_refused(tmp_path: Path) -> None:
    with build_lock(tmp_path):
        with pytest.raises(BuildLocked, match=str(os.getpid())):
            with build_lock(tmp_path):
                pass
    with build_lock(tmp_path):  # released
        pass


def test_two_concurrent_builds_one_says_so_and_exits_2(tmp_path: Path) -> None:
    """Two processes: the first holds the lock of the build folder, the second CLI build exits 2."""
    build = tmp_path / "build"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from analysis.pipeline.incremental import build_lock
        with build_lock(Path({str(build)!r})):
            print("locked", flush=True)
            time.sleep(60)
        """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        second = subprocess.run(
            [sys.executable, "-m", "analysis.pipeline.cli", "build", "--build", str(build)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode == 2, second.stdout + second.stderr
        line = second.stderr.strip()
        assert line.startswith("error: another build is running") and "\n" not in line, second.stderr
        assert str(holder.pid) in line and "Traceback" not in second.stdout + second.stderr
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # the kernel released the lock of the killed holder: no stale lock
    with build_lock(build):
        pass


def test_parallel_steps_run_once_and_failures_surface(tmp_path: Path) -> None:
    log: list[str] = []
    steps = [_step(tmp_path, n, "1", log) for n in "abcd"]
    r = Runner(tmp_path / "s")
    assert all(res.ran for res in r.run_parallel(steps))
    assert sorted(log) == ["a", "b", "c", "d"]
    assert not any(res.ran for res in Runner(tmp_path / "s").run_parallel(steps))

    def boom() -> None:
        raise ValueError("step failed")

    bad = Step("bad", {"d": "1"}, [], boom)
    with pytest.raises(ValueError, match="step failed"):
        Runner(tmp_path / "s").run_parallel([bad, _step(tmp_path, "e", "1", log)])
    assert "e" in log


def test_a_step_with_after_waits_for_that_step_and_not_for_the_others(tmp_path: Path) -> None:
    import threading
    import time

    log: list[str] = []
    slow_done = threading.Event()

    def slow() -> None:
        time.sleep(0.3)
        log.append("slow")
        slow_done.set()
        (tmp_path / "slow.out").write_text("1")

    def first() -> None:
        time.sleep(0.05)
        log.append("first")
        (tmp_path / "first.out").write_text("1")

    def dependent() -> None:
        assert "first" in log  # its predecessor finished
        log.append(f"dependent (slow done: {slow_done.is_set()})")
        (tmp_path / "dep.out").write_text("1")

    steps = [
        Step("first", {"d": "1"}, [tmp_path / "first.out"], first),
        Step("slow", {"d": "1"}, [tmp_path / "slow.out"], slow),
        Step("dep", {"d": "1"}, [tmp_path / "dep.out"], dependent, after=("first",)),
    ]
    res = Runner(tmp_path / "s").run_parallel(steps, workers=3)
    assert [r.name for r in res] == ["first", "slow", "dep"] and all(r.ran for r in res)
    assert "dependent (slow done: False)" in log  # it did not wait for the whole group

    def boom() -> None:
        raise ValueError("first failed")

    log.clear()
    failing = [
        Step("first", {"d": "2"}, [], boom),
        Step("dep", {"d": "2"}, [tmp_path / "dep.out"], dependent, after=("first",)),
    ]
    with pytest.raises(ValueError, match="first failed"):
        Runner(tmp_path / "s").run_parallel(failing, workers=2)
    assert log == []  # a step whose predecessor failed does not start
