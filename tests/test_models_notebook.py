"""Notebooks 03 and 03b run under papermill on simulated processed tables (slow: kernel and R)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

import nbformat
import pytest

from analysis.models.simulate import SimParams, write_processed
from analysis.core.params import LoloParams, ModelsParams
from analysis.core.paths import default_paths


@pytest.fixture(autouse=True)
def _slow_only_when_selected(request):
    """The project's pytest config does not deselect ``slow``; run these only with ``-m slow``."""
    if request.node.get_closest_marker("slow") and "slow" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("slow statistical check: run with -m slow")


NOTEBOOK = default_paths().notebooks / "03_change_across_measurements.ipynb"
LOLO_NOTEBOOK = default_paths().notebooks / "03b_leave_one_location_out.ipynb"


def test_notebook_is_stored_without_outputs_and_parameterised():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    names = {t.id for node in ast.parse(code[0].source).body for t in node.targets}
    assert names == set(ModelsParams.model_fields)
    assert "ModelsParams.from_namespace(globals())" in code[1].source
    assert "import rpy2" not in "".join(c.source for c in code)
    assert "leave_one_location_out" not in "".join(c.source for c in code)  # notebook 03b's part


def test_lolo_notebook_is_stored_without_outputs_and_its_parameters_are_validated():
    nb = nbformat.read(LOLO_NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and params[0] is code[0]
    names = {t.id for node in ast.parse(params[0].source).body for t in node.targets}
    assert names == set(LoloParams.model_fields)
    assert "LoloParams.from_namespace(globals())" in code[1].source
    assert "import rpy2" not in "".join(c.source for c in code)
    headings = [
        line
        for c in nb.cells
        if c.cell_type == "markdown"
        for line in c.source.splitlines()
        if line.startswith("# ")
    ]
    assert len(headings) == 1  # one title: the renderer makes it a section of chapter 3


def _execute(notebook, tmp_path, n_locations: int, *extra: str):
    """Run ``notebook`` with papermill on simulated data with three measurements."""
    processed = write_processed(
        tmp_path / "processed",
        SimParams(n_locations=n_locations, first_months=("2019-09", "2020-09", "2021-09")),
        seed=4,
    )
    (processed / "ingest_report.json").write_text(json.dumps({"synthetic": True}))
    out = tmp_path / "out.ipynb"
    env = dict(os.environ, R_LIBS_USER=str(default_paths().root / ".r-lib"))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "papermill",
            str(notebook),
            str(out),
            "-p",
            "data_dir",
            str(processed),
            "-p",
            "output_dir",
            str(tmp_path / "build"),
            "-y",
            "metingen: [1, 2, 3]",
            *extra,
            "--start-timeout",
            "180",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return tmp_path, nbformat.read(out, as_version=4)


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """Notebook 03 executed by papermill on simulated data with three measurements."""
    return _execute(NOTEBOOK, tmp_path_factory.mktemp("nb03"), 8, "-p", "nsim", "50")


@pytest.mark.slow
def test_notebook_runs_with_three_measurements(executed):
    tmp_path, _ = executed
    values = (tmp_path / "build" / "results" / "models" / "values.csv").read_text()
    assert "ch3.count_month.month.est" in values
    fixed = (tmp_path / "build" / "results" / "models" / "ch3_models_fixed.csv").read_text()
    assert "meting3" in fixed and "Synthetische data" in fixed


@pytest.mark.slow
def test_notebook_shows_labelled_markdown_tables_and_figures(executed):
    _, nb = executed
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    markdown = "\n".join(
        str(o["data"]["text/markdown"])
        for o in outputs
        if o.get("output_type") in ("display_data", "execute_result") and "text/markdown" in o.get("data", {})
    )
    for outcome in ("count", "dur", "room", "isodur"):
        assert f"{{#tbl-ch3-estimates-{outcome}}}" in markdown, outcome
    assert "{#fig-ch3-diag-" in markdown and "{#tbl-ch3-diagnostics}" in markdown
    assert "Meting 3 t.o.v. meting 1" in markdown and "Overige ruimtes t.o.v. eigen kamer jongere" in markdown
    assert "{#fig-ch3-change-count}" in markdown and "{#fig-ch3-change-dur}" in markdown
    assert "results/models/ch3_fig_change_count.csv" in markdown
    assert "other_vs_own" not in markdown.replace("diag_room_other_vs_own", "")  # no raw model ids
    assert "Synthetische data" in markdown and "results/models/ch3_models_fixed.csv" in markdown
    # the renderer drops HTML outputs: nothing may be shown only as a bare DataFrame
    assert not any("text/html" in o.get("data", {}) for o in outputs)


@pytest.fixture(scope="module")
def executed_lolo(tmp_path_factory):
    """Notebook 03b executed by papermill on simulated data with three measurements."""
    return _execute(LOLO_NOTEBOOK, tmp_path_factory.mktemp("nb03b"), 6)


@pytest.mark.slow
def test_lolo_notebook_writes_its_tables_and_shows_the_range(executed_lolo):
    tmp_path, nb = executed_lolo
    models = tmp_path / "build" / "results" / "models"
    assert (models / "ch3_sens_lolo.csv").exists() and (models / "ch3_sens_lolo_range.csv").exists()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    markdown = "\n".join(
        str(o["data"]["text/markdown"])
        for o in outputs
        if o.get("output_type") in ("display_data", "execute_result") and "text/markdown" in o.get("data", {})
    )
    assert "{#tbl-ch3-sens-lolo}" in markdown and "belangrijkste schattingen" in markdown
    assert "per schatting 6 analyses" in markdown and "Synthetische data" in markdown
    assert "results/models/ch3_sens_lolo_range.csv" in markdown
    assert not any("text/html" in o.get("data", {}) for o in outputs)


def test_models_params_reject_bad_values_and_place_the_model_store(tmp_path):
    from pydantic import ValidationError

    p = ModelsParams(output_dir=str(tmp_path), metingen=[1, 2], model_set="primary+sensitivity")
    assert p.cache_dir == tmp_path / "cache" / "models"
    assert ModelsParams(model_cache=False).cache_dir is None
    for bad in (
        {"model_set": "all"},
        {"nsim": 5},
        {"metingen": [2]},
        {"metingen": [1, 2], "referentie": 3},
        {"seeds": 1},
    ):
        with pytest.raises(ValidationError):
            ModelsParams(**bad)
