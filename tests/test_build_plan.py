"""The build plan: which notebook steps exist, their inputs, order and parallel run.

Notebook actions are replaced by a fake (no kernel, no R), so these tests check the plan and
the runner, not the notebooks (tests/test_e2e.py runs the real build).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from analysis.pipeline import run as run_mod
from analysis.pipeline.build import LOLO_NOTEBOOK, PLANNING_NOTEBOOK, BuildConfig, plan
from analysis.pipeline.incremental import Runner, Step
from analysis.core.paths import default_paths
from conftest import isolated_paths

CH3 = "notebook-03_change_across_measurements"
LOLO = f"notebook-{LOLO_NOTEBOOK}"


def _analysis_steps(tmp: Path, model_set: str) -> list[Step]:
    """The notebook steps of the analysis stage (factsheets and verification steps left out)."""
    cfg = BuildConfig(paths=isolated_paths(tmp), synthetic=True, factsheets=False, model_set=model_set)
    stage = plan(cfg)[4]  # synth, ingest, intake, disclosure, analysis
    steps: list[Step] = []
    for factory in stage:
        made = factory()
        steps.extend(made if isinstance(made, list) else [made])
    return [s for s in steps if s.name.startswith("notebook-") and s.name != f"notebook-{PLANNING_NOTEBOOK}"]


def test_lolo_step_follows_chapter_3_with_the_sensitivity_set(tmp_path: Path) -> None:
    steps = _analysis_steps(tmp_path, "primary+sensitivity")
    assert [s.name for s in steps] == [
        CH3,
        LOLO,
        "notebook-02_unplanned_seclusion",
        "notebook-01_planned_policy",
    ]
    ch3, lolo = steps[0], steps[1]
    assert set(lolo.inputs) == set(ch3.inputs)
    assert {"notebook", "params", "code", "env", "synthetic", "occupancy", "data-1", "data-2"} <= set(
        lolo.inputs
    )
    assert lolo.inputs["notebook"] != ch3.inputs["notebook"]  # each step digests its own notebook
    assert lolo.outputs == [isolated_paths(tmp_path).executed_notebooks / f"{LOLO_NOTEBOOK}.ipynb"]
    assert (default_paths().notebooks / f"{LOLO_NOTEBOOK}.ipynb").exists()


def test_planning_runs_beside_chapter_3_and_before_render(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The planning study fits its own source models (a store hit when notebook 03 stored them
    # first), so it waits for no chapter: it runs beside them and before the render step.
    monkeypatch.setenv("COMPENDIUM_PSEUDONYM_KEY", "test-key-for-planning-only-0123456789abcdef")
    cfg = BuildConfig(paths=isolated_paths(tmp_path), synthetic=True, factsheets=False)
    stages = [[f() for f in stage] for stage in plan(cfg)]
    names = [[s.name for s in stage if not isinstance(s, list)] for stage in stages]
    assert names[2] == ["intake"]  # the data judged enough before anything is computed
    assert names[3] == ["disclosure"]  # one disclosure decision before anything is published
    assert names[-1] == ["render"]
    analysis = stages[4]
    planning = next(s for s in analysis if s.name == f"notebook-{PLANNING_NOTEBOOK}")
    assert planning.after == () and CH3 in names[4]
    assert names[4].index(planning.name) == names[4].index(LOLO) + 1  # first after the models
    assert {"plan", "counts", "occupancy", "code", "notebook"} <= set(planning.inputs)


def test_placement_parameters_are_not_inputs(tmp_path: Path) -> None:
    # Where the fits run (workers, scheduler) never changes a result, so it triggers no rebuild.
    two = {s.name: s.inputs for s in _analysis_steps(tmp_path, "primary+sensitivity")}
    cfg = BuildConfig(
        paths=isolated_paths(tmp_path),
        synthetic=True,
        factsheets=False,
        model_set="primary+sensitivity",
        workers=5,
    )
    five = {s.name: s.inputs for s in (f() for f in plan(cfg)[4]) if s.name in two}
    assert five == two


def test_no_lolo_step_with_primary_models_only(tmp_path: Path) -> None:
    names = [s.name for s in _analysis_steps(tmp_path, "primary")]
    assert CH3 in names and LOLO not in names


@pytest.fixture()
def fake_notebooks(monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[float, float]]:
    """Replace papermill execution by a 0.3 s sleep that writes the output notebook."""
    spans: dict[str, tuple[float, float]] = {}

    def execute(source: Path, target: Path, params: dict, *, cwd: Path) -> float:
        t0 = time.perf_counter()
        time.sleep(0.3)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("{}")
        spans[source.stem] = (t0, time.perf_counter())
        return 0.3

    monkeypatch.setattr(run_mod, "execute", execute)
    return spans


def test_chapter_3_and_lolo_run_in_parallel_and_a_noop_rebuild_runs_nothing(
    tmp_path: Path, fake_notebooks: dict[str, tuple[float, float]]
) -> None:
    state = isolated_paths(tmp_path).state
    first = Runner(state).run_parallel(_analysis_steps(tmp_path, "primary+sensitivity"), workers=2)
    assert all(r.ran for r in first) and LOLO in [r.name for r in first]
    (a0, a1), (b0, b1) = fake_notebooks["03_change_across_measurements"], fake_notebooks[LOLO_NOTEBOOK]
    assert b0 < a1 and a0 < b1, "chapter 3 and leave one location out did not overlap"
    again = Runner(state).run_parallel(_analysis_steps(tmp_path, "primary+sensitivity"), workers=2)
    assert [r.name for r in again if r.ran] == []


def test_a_changed_lolo_notebook_reruns_only_that_step(
    tmp_path: Path, fake_notebooks: dict[str, tuple[float, float]]
) -> None:
    state = isolated_paths(tmp_path).state
    Runner(state).run_parallel(_analysis_steps(tmp_path, "primary+sensitivity"), workers=2)
    steps = _analysis_steps(tmp_path, "primary+sensitivity")
    lolo = next(s for s in steps if s.name == LOLO)
    lolo.inputs["notebook"] = "edited"
    again = Runner(state).run_parallel(steps, workers=2)
    assert [(r.name, r.reason) for r in again if r.ran] == [(LOLO, "changed: notebook")]


def test_steps_at_once_drop_to_the_workers_above_the_location_bound(tmp_path: Path) -> None:
    # Memory at national size (issue 17.5): above BUILD_MAX_FACTSHEETS locations only as many
    # steps run at once as there are workers; below it (the twin) two more, as before.
    import json

    from analysis.pipeline.build import BUILD_MAX_FACTSHEETS, _steps_at_once, location_count

    cfg = BuildConfig(paths=isolated_paths(tmp_path), synthetic=True, workers=2)
    assert location_count(cfg.paths.processed) == 0  # no ingest report yet
    assert _steps_at_once(cfg, cluster=True) == 4 and _steps_at_once(cfg, cluster=False) == 2

    def report(n: int) -> None:
        cfg.paths.processed.mkdir(parents=True, exist_ok=True)
        codes = [f"L{i:04d}" for i in range(n)]
        locations = {"1": {"found": codes[: n // 2]}, "2": {"found": codes}}
        (cfg.paths.processed / "ingest_report.json").write_text(json.dumps({"locations": locations}))

    report(BUILD_MAX_FACTSHEETS)
    assert location_count(cfg.paths.processed) == BUILD_MAX_FACTSHEETS
    assert _steps_at_once(cfg, cluster=True) == 4
    report(BUILD_MAX_FACTSHEETS + 1)
    assert _steps_at_once(cfg, cluster=True) == 2
    (cfg.paths.processed / "ingest_report.json").write_text("{not json")
    assert location_count(cfg.paths.processed) == 0
