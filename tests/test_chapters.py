"""One chapter list, and notebook defaults equal to what the build passes (issue 18 item 5)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from analysis.core import chapters, measurements
from analysis.core.params import (
    DEFAULT_MODEL_SET,
    DEFAULT_NSIM,
    DEFAULT_SEED,
    LoloParams,
    ModelsParams,
    PolicyParams,
    UnplannedParams,
)
from analysis.core.paths import default_paths
from analysis.pipeline import build
from analysis.report import assemble

ROOT = Path(__file__).resolve().parents[1]
PARAMS = {
    "01_planned_policy": PolicyParams,
    "02_unplanned_seclusion": UnplannedParams,
    "03_change_across_measurements": ModelsParams,
    "03b_leave_one_location_out": LoloParams,
}


def _cells(name: str) -> list[dict]:
    return json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text("utf-8"))["cells"]


def _defaults(name: str) -> dict:
    """The notebook's parameters cell, executed (its defaults)."""
    cell = next(c for c in _cells(name) if "parameters" in c.get("metadata", {}).get("tags", []))
    ns: dict = {}
    exec("".join(cell["source"]), ns)  # noqa: S102 - our own notebook's plain assignments
    return {k: v for k, v in ns.items() if not k.startswith("__")}


def test_every_report_notebook_has_a_params_class() -> None:
    assert set(chapters.notebooks()) == set(PARAMS)


@pytest.mark.parametrize("name", chapters.notebooks())
def test_notebook_heading_is_the_chapter_list_title(name: str) -> None:
    md = "".join("".join(c["source"]) for c in _cells(name) if c["cell_type"] == "markdown")
    top = re.search(r"(?m)^# (.+)$", md)
    assert top and top.group(1).strip() == chapters.titles()[name]


def test_build_and_assembly_use_the_chapter_list() -> None:
    cfg = build.BuildConfig(paths=default_paths())
    metingen = sorted(measurements.load_all(cfg.paths))
    planned = {nb for nb, *_ in build.chapter_notebooks(cfg, metingen)}
    assert planned == set(chapters.notebooks())
    assert list(assemble.CHAPTERS) == [ch.notebook for ch in chapters.CHAPTERS]
    assert {s for secs in assemble.SECTIONS.values() for s in secs} == {
        s.notebook for ch in chapters.CHAPTERS for s in ch.sections
    }


def test_readme_lists_the_chapter_notebooks() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    for nb in chapters.notebooks():
        assert f"notebooks/{nb}.ipynb" in readme, nb


@pytest.mark.parametrize("name", chapters.notebooks())
def test_notebook_defaults_equal_what_the_build_passes(name: str) -> None:
    cfg = build.BuildConfig(paths=default_paths())
    metingen = sorted(measurements.load_all(cfg.paths))
    used = next(u for nb, _, u, _ in build.chapter_notebooks(cfg, metingen) if nb == name)
    passed = build.notebook_params(cfg, used[-1], metingen)
    defaults = _defaults(name)
    cls = PARAMS[name]
    assert set(defaults) <= set(passed), f"{name} declares parameters the build does not pass"
    nb_params = cls.from_namespace(defaults)
    build_params = cls.from_namespace(passed)
    # Folders: None means the project's own, which is what a default build passes.
    assert nb_params.paths().processed == build_params.paths().processed
    assert nb_params.paths().build == build_params.paths().build
    assert nb_params.paths().params == build_params.paths().params
    for field in set(cls.model_fields) - {
        "data_dir",
        "output_dir",
        "params_dir",
        "metingen",
        "referentie",
        "first_month",
        "last_month",
    }:
        assert getattr(nb_params, field) == getattr(build_params, field), (name, field)
    if hasattr(nb_params, "months"):
        assert nb_params.months() == build_params.months()
    if hasattr(nb_params, "metingen"):
        # None: every measurement in the data, the reference the first; the build passes them.
        assert nb_params.metingen is None and build_params.metingen == metingen
        assert nb_params.referentie is None and build_params.referentie == metingen[0]


def test_one_seed_constant() -> None:
    assert build.BuildConfig(paths=default_paths()).seed == DEFAULT_SEED == ModelsParams().seed
    assert build.BuildConfig(paths=default_paths()).model_set == DEFAULT_MODEL_SET == ModelsParams().model_set
    assert ModelsParams().nsim == DEFAULT_NSIM


def test_describing_chapters_default_to_the_latest_measurement(tmp_path: Path) -> None:
    params = tmp_path / "params"
    params.mkdir()
    for p in (ROOT / "params").glob("meting-*.yaml"):
        (params / p.name).write_text(p.read_text("utf-8"), "utf-8")
    (params / "meting-3.yaml").write_text(
        'meting: 3\nfolder: meting-3\nfirst_month: "2021-09"\n'
        'last_month: "2022-02"\nexpected_locations: 18\n',
        "utf-8",
    )
    p = UnplannedParams(params_dir=str(params))
    assert p.meting == 3 and p.months()[0] == "2021-09"
    assert UnplannedParams(params_dir=str(params), meting=1).meting == 1  # the parameter to choose


def test_factsheet_notebook_defaults_equal_what_the_build_passes() -> None:
    from analysis.core.params import FactsheetParams
    from analysis.pipeline.factsheet_steps import Job

    paths = default_paths()
    latest = max(measurements.load_all(paths))
    m = measurements.load_all(paths)[latest]
    defaults = _defaults("factsheet")
    passed = Job(paths, defaults["location"], latest, m.first_month, m.last_month).parameters()
    assert set(defaults) <= set(passed)
    nb_params, build_params = FactsheetParams.from_namespace(defaults), FactsheetParams.from_namespace(passed)
    assert nb_params.paths().processed == build_params.paths().processed
    assert nb_params.paths().build == build_params.paths().build
    for field in ("meting", "min_cell_size", "location"):
        assert getattr(nb_params, field) == getattr(build_params, field), field
    assert nb_params.months() == build_params.months()


def test_the_build_can_describe_an_earlier_measurement() -> None:
    from analysis.core.measurements import ParamsError

    metingen = sorted(measurements.load_all(default_paths()))
    plan = {
        nb: used
        for nb, _, used, _ in build.chapter_notebooks(
            build.BuildConfig(paths=default_paths(), describe=metingen[0]), metingen
        )
    }
    assert plan["02_unplanned_seclusion"] == [metingen[0]]
    assert plan["01_planned_policy"] == [metingen[0]]  # falls back only to earlier measurements
    assert plan["03_change_across_measurements"] == metingen
    with pytest.raises(ParamsError, match="--describe"):
        build.chapter_notebooks(build.BuildConfig(paths=default_paths(), describe=99), metingen)
