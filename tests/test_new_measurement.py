"""A new measurement is configuration only (issue 8, item 3).

A synthetic measurement 3 is generated, described by ``params/meting-3.yaml`` in a
separate params folder, and the unchanged build runs chapter 2 for it and the chapter-3
models across all three measurements. No code knows about measurement 3.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from analysis import synth
from analysis.core import measurements
from analysis.pipeline.build import BuildConfig, build
from analysis.core.paths import Paths, default_paths

pytestmark = pytest.mark.e2e

METING_3 = """meting: 3
folder: meting-3
first_month: "2021-09"
last_month: "2022-02"
expected_locations: 18
label: "Meting 3 (september 2021 - februari 2022)"
"""


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> Paths:
    tmp = tmp_path_factory.mktemp("meting3")
    root = default_paths().root
    params = tmp / "params"
    params.mkdir()
    for p in root.joinpath("params").glob("meting-*.yaml"):
        shutil.copy(p, params / p.name)
    (params / "meting-3.yaml").write_text(METING_3, encoding="utf-8")
    raw = tmp / "raw"
    synth.write_twin(raw, extra_measurements=[3])
    paths = Paths(
        root,
        build=tmp / "build",
        raw=raw,
        processed=tmp / "processed",
        output=tmp / "output",
        params_dir=params,
    )
    build(BuildConfig(paths=paths, synthetic=False, factsheets=False, model_set="primary"))
    return paths


def test_measurement_3_is_configured(three: Paths) -> None:
    assert sorted(measurements.load_all(three)) == [1, 2, 3]


def test_chapter_2_describes_measurement_3(three: Paths) -> None:
    reg = pd.read_parquet(three.processed / "registrations.parquet")
    per_month = pd.read_csv(three.results / "ch2_fig01_per_month.csv")
    months = measurements.load_all(three)[3].months()
    shown = per_month[per_month["maand"].astype(str).isin(months)]
    assert len(shown) == 6
    expected = reg[reg["meting"] == 3].groupby("maand").size()
    assert dict(zip(shown["maand"], shown["n"])) == expected.to_dict()


def test_chapter_3_models_span_all_measurements(three: Paths) -> None:
    fixed = pd.read_csv(three.model_results / "ch3_models_fixed.csv")
    terms = set(fixed.loc[fixed["model_id"] == "count_meting", "term"])
    assert any("3" in t for t in terms), terms  # a contrast for measurement 3
    assert any("2" in t for t in terms), terms
    fit = pd.read_csv(three.model_results / "ch3_models_fit.csv")
    counts = fit.loc[fit["model_id"] == "count_month", "nobs"].iloc[0]
    reg = pd.read_parquet(three.processed / "registrations.parquet")
    assert counts > reg.loc[reg["meting"] < 3].groupby(["meting", "locatie", "maand"]).ngroups
