"""The teaching path: exported analysis frames (twin only) and the teaching notebook.

* :func:`analysis.models.teaching.export` writes the chapter-3 frames with a data dictionary on
  the synthetic twin, and no data at all on real registrations (both tested on small processed
  folders, no R needed);
* the build's ``teaching-data`` step writes them into ``<build>/results/teaching`` and the
  completeness check holds the folder to its dictionary; ``compendium release`` never offers them;
* ``notebooks/teaching/learn_models.ipynb`` (jupytext pair, parameters cell, no outputs) runs
  with papermill on the CSVs of the session's full build and reproduces the chapter's estimates:
  its exercises end in ``assert`` cells, so a failing answer fails this test.
"""

from __future__ import annotations

import ast
import json
import os
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from analysis import SYNTHETIC_BANNER
from analysis.core.paths import Paths, default_paths
from analysis.models import teaching
from analysis.models.frames import build_frames
from analysis.models.simulate import SimParams, simulate, write_processed
from analysis.verify.completeness import teaching_problems

ROOT = default_paths().root
NOTEBOOK = ROOT / "notebooks" / "teaching" / "learn_models.ipynb"
DATA_FILES = ["counts.csv", "duration.csv", "room_cells.csv"]


def _processed(folder: Path, synthetic: bool) -> Path:
    """Simulated processed tables; the ingest report marks them synthetic or not.

    An empty ``params`` folder beside them: the months come from the occupancy table, as in
    :func:`analysis.models.frames.build_frames` without months.
    """
    write_processed(folder, SimParams(n_locations=6), seed=11)
    (folder.parent / "params").mkdir(exist_ok=True)
    if synthetic:
        (folder / "ingest_report.json").write_text(json.dumps({"synthetic": True}), "utf-8")
    return folder


def test_twin_export_writes_the_frames_as_documented(tmp_path: Path) -> None:
    processed = _processed(tmp_path / "processed", synthetic=True)
    out = tmp_path / "teaching"
    written = teaching.export(processed, out, metingen=[1, 2], reference=1, params_dir=tmp_path / "params")
    assert sorted(p.name for p in written) == sorted([*DATA_FILES, "columns.csv", "design.json", "README.md"])
    assert teaching_problems(out, synthetic=True) == []
    dictionary = pd.read_csv(out / "columns.csv")
    d = simulate(SimParams(n_locations=6), seed=11)
    frames = build_frames(d["registrations"], d["occupancy"], locations=d["locations"], metingen=[1, 2])
    for name in DATA_FILES:
        table = pd.read_csv(out / name, dtype={"meting": str, "locatie": str})
        assert list(table.columns) == dictionary.loc[dictionary["file"] == name, "column"].tolist(), name
        assert "jongere" not in table.columns  # no pseudonym leaves, not even from the twin
        assert (table["note"] == SYNTHETIC_BANNER).all()
    counts = pd.read_csv(out / "counts.csv")
    duration = pd.read_csv(out / "duration.csv")
    assert len(counts) == len(frames.counts) and counts["n"].sum() == frames.counts["n"].sum()
    assert len(duration) == len(frames.duration)
    assert duration["log_dur"].sum() == pytest.approx(frames.duration["log_dur"].sum(), rel=1e-9)
    cells = pd.read_csv(out / "room_cells.csv")
    assert ((cells["y"] - cells["k"] / cells["wts"]).abs() < 1e-9).all()
    # every contrast keeps only locations where both rooms occur (the chapter's rule)
    per_loc = cells.groupby(["contrast", "locatie"])[["k", "wts"]].sum()
    assert ((per_loc["k"] > 0) & (per_loc["k"] < per_loc["wts"])).all()
    design = json.loads((out / "design.json").read_text("utf-8"))
    assert design["meting_levels"] == frames.meting_levels
    assert design["month_centre"] == pytest.approx(frames.month_centre)
    readme = (out / "README.md").read_text("utf-8")
    assert SYNTHETIC_BANNER in readme and "count_interaction" in readme


def test_real_data_export_writes_no_data_and_removes_old_files(tmp_path: Path) -> None:
    out = tmp_path / "teaching"
    teaching.export(
        _processed(tmp_path / "twin", synthetic=True), out, metingen=[1, 2], params_dir=tmp_path / "params"
    )
    assert (out / "counts.csv").exists()
    # the same build folder, now built from real registrations (no synthetic flag)
    written = teaching.export(
        _processed(tmp_path / "real", synthetic=False), out, metingen=[1, 2], params_dir=tmp_path / "params"
    )
    assert [p.name for p in written] == ["README.md"]
    assert sorted(p.name for p in out.iterdir()) == ["README.md"]
    assert "stay on the secure side" in " ".join((out / "README.md").read_text("utf-8").split())
    assert teaching_problems(out, synthetic=False) == []


def test_completeness_flags_a_missing_file_and_data_from_real_registrations(tmp_path: Path) -> None:
    out = tmp_path / "teaching"
    teaching.export(
        _processed(tmp_path / "processed", synthetic=True),
        out,
        metingen=[1, 2],
        params_dir=tmp_path / "params",
    )
    (out / "duration.csv").unlink()
    assert any("duration.csv" in p for p in teaching_problems(out, synthetic=True))
    assert any("real registrations" in p for p in teaching_problems(out, synthetic=False))
    assert teaching_problems(tmp_path / "absent", synthetic=False) != []


def test_release_never_offers_teaching_files(tmp_path: Path) -> None:
    from analysis.pipeline.release import candidates

    paths = Paths(ROOT, build=tmp_path / "build", output=tmp_path / "output")
    (paths.results / "teaching").mkdir(parents=True)
    (paths.results / "teaching" / "counts.csv").write_text("n\n1\n")
    (paths.results / "ch3_x.csv").write_text("n\n1\n")
    names = [p.name for p in candidates(paths)]
    assert "ch3_x.csv" in names and "counts.csv" not in names


def test_the_build_plans_one_teaching_step_beside_the_notebooks(tmp_path: Path, monkeypatch) -> None:
    from analysis.pipeline.build import BuildConfig, plan

    monkeypatch.setenv("COMPENDIUM_PSEUDONYM_KEY", "test-key-for-planning-only-0123456789abcdef")
    paths = Paths(ROOT, build=tmp_path / "build", raw=tmp_path / "raw", processed=tmp_path / "processed")
    stages = [
        [f() for f in stage] for stage in plan(BuildConfig(paths=paths, synthetic=True, factsheets=False))
    ]
    found = [
        (i, s)
        for i, stage in enumerate(stages)
        for s in stage
        if not isinstance(s, list) and s.name == "teaching-data"
    ]
    assert len(found) == 1
    i, step = found[0]
    assert any(s.name.startswith("notebook-03") for s in stages[i] if not isinstance(s, list))
    assert step.outputs == [paths.results / "teaching" / "README.md"]
    assert {"registrations", "occupancy", "code", "synthetic"} <= set(step.inputs)


# --- the notebook itself -------------------------------------------------------------------------
def test_notebook_pair_is_in_sync_without_outputs_and_has_a_parameters_cell() -> None:
    jupytext = pytest.importorskip("jupytext")
    from jupytext.config import load_jupytext_config

    twin = NOTEBOOK.with_suffix(".py")
    config = load_jupytext_config(os.path.abspath(NOTEBOOK))
    expected = jupytext.writes(jupytext.read(NOTEBOOK, config=config), fmt="py:percent", config=config)
    assert twin.read_text("utf-8") == expected, (
        f"run `.venv/bin/jupytext --sync {NOTEBOOK.relative_to(ROOT)}` and commit both files"
    )
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and not c.get("execution_count") for c in code)
    assert sum("parameters" in c.metadata.get("tags", []) for c in code) == 1
    asserts = sum("assert " in c.source for c in code)
    exercises = sum(c.source.lstrip().startswith("**Exercise") or "**Exercise" in c.source for c in nb.cells)
    assert exercises >= 5 and asserts >= exercises, (exercises, asserts)


def test_notebook_names_are_bound() -> None:
    from test_notebook_names import _unbound

    nb = nbformat.read(NOTEBOOK, as_version=4)
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    ast.parse(source)
    assert not _unbound(source)


@pytest.mark.e2e
def test_notebook_reproduces_the_chapter_from_the_exported_csvs(
    built: tuple[Paths, list], tmp_path: Path
) -> None:
    """Runs the teaching notebook on the build's exported CSVs; every exercise's assert must hold."""
    from analysis.pipeline.run import execute

    paths, results = built
    assert "teaching-data" in {r.name for r in results}
    data = paths.results / "teaching"
    assert teaching_problems(data, synthetic=True) == []
    params = {
        "data_dir": str(data),
        "results_dir": str(paths.model_results),
        "n_boot": 40,
        "n_rep": 30,
        "seed": 20210531,
    }
    t0 = time.perf_counter()
    execute(NOTEBOOK, tmp_path / "learn_models.ipynb", params, cwd=ROOT)
    print(f"teaching notebook: {time.perf_counter() - t0:.0f} s")
    nb = nbformat.read(tmp_path / "learn_models.ipynb", as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "every location has both rooms: True" in text


def test_the_primer_link_of_chapter_3_resolves_from_the_report(tmp_path: Path) -> None:
    """Notebook 03 links ``docs/method.md``; the report points the link at it from its own folder."""
    from analysis.report.notebook_md import NotebookError, rewrite_csv_links

    source = (ROOT / "notebooks" / "03_change_across_measurements.py").read_text("utf-8")
    assert "[docs/method.md](docs/method.md)" in source
    html_dir = tmp_path / "output"
    out = rewrite_csv_links("zie [docs/method.md](docs/method.md).", [tmp_path / "nb", ROOT], html_dir)
    target = out.split("](")[1].split(")")[0]
    assert (html_dir / target).resolve() == (ROOT / "docs" / "method.md").resolve()
    with pytest.raises(NotebookError):
        rewrite_csv_links("[x](docs/absent.md)", [ROOT], html_dir)
