"""The incremental runner re-runs exactly the steps whose inputs changed."""

from pathlib import Path

from analysis.pipeline.incremental import Runner, Step


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
    try:
        r.run(step)
    except RuntimeError:
        pass
    assert r.why(step) == "never built"


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
    try:
        Runner(tmp_path / "s").run_parallel([bad, _step(tmp_path, "e", "1", log)])
    except ValueError as exc:
        assert "step failed" in str(exc)
    else:  # pragma: no cover - the failure must surface
        raise AssertionError("failure was swallowed")
    assert "e" in log
