"""Notebooks 01 and 02: stored without outputs, parameters match, run under papermill."""

from __future__ import annotations

import ast

import nbformat
import pytest

from analysis.core.params import PolicyParams, UnplannedParams
from analysis.core.paths import default_paths
from test_describe_fixture import build_processed

NOTEBOOKS = {"01_planned_policy": PolicyParams, "02_unplanned_seclusion": UnplannedParams}


def _read(name):
    return nbformat.read(default_paths().notebooks / f"{name}.ipynb", as_version=4)


@pytest.mark.parametrize("name,cls", NOTEBOOKS.items())
def test_stored_without_outputs_and_parameters_match(name, cls):
    nb = _read(name)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    names = {t.id for node in ast.parse(params[0].source).body for t in node.targets}
    assert names == set(cls.model_fields)
    assert f"{cls.__name__}.from_namespace(globals())" in code[code.index(params[0]) + 1].source


def test_params_validation():
    assert UnplannedParams().months()[0] == "2020-09"
    assert UnplannedParams(meting=1).months()[-1] == "2020-02"
    with pytest.raises(ValueError):
        UnplannedParams(lang="nl")  # not a parameter: the report is built in Dutch only
    with pytest.raises(ValueError):
        UnplannedParams(meting=-1)
    with pytest.raises(ValueError):
        UnplannedParams(first_month="2020-01")  # before measurement 2
    with pytest.raises(ValueError):
        PolicyParams(meting=99)


@pytest.mark.e2e
@pytest.mark.parametrize("meting", [1, 2])
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_under_papermill(tmp_path_factory, name, meting):
    papermill = pytest.importorskip("papermill")
    root = tmp_path_factory.getbasetemp() / "nb-fixture"
    processed = root / "processed"
    if not (processed / "registrations.parquet").exists():
        build_processed(processed)
    build = tmp_path_factory.mktemp("build")
    out = build / "notebooks" / f"{name}.ipynb"
    out.parent.mkdir(parents=True)
    papermill.execute_notebook(
        str(default_paths().notebooks / f"{name}.ipynb"),
        str(out),
        kernel_name="python3",
        parameters={"data_dir": str(processed), "output_dir": str(build), "meting": meting},
        cwd=str(out.parent),
        progress_bar=False,
    )
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert outputs and not [o for o in outputs if o.output_type == "error"]
    md = "\n".join(o["data"].get("text/markdown", "") for o in outputs if "data" in o)
    assert "Synthetische data" in md
    if name == "02_unplanned_seclusion":
        assert "{#fig-ch2-fig02-reason}" in md and "{#tbl-ch2-tab02-duration}" in md
        assert (build / "figures" / "ch2_fig06_room_by_reason.png").exists()
        assert (build / "results" / "ch2_tab02_duration_by_reason.csv").exists()
    elif meting == 1:
        assert "geen beleidsbestand" in md
    else:
        assert "{#tbl-ch1-rest-moments}" in md
