"""The rendered report follows the measurements in the build (issue 13, items 1-3).

Two builds of the synthetic twin, each in its own folder and treated as real exports: one with
measurements 1 and 2, one with a third measurement (``compendium synth --measurements 3``) and
``params/meting-3.yaml``. Every expected count, order and measurement below is computed from
the processed data of that build, never typed in, so the assertions fail on a stale summary, a
fixed order or a template that names the wrong measurement. Exact sentences are read from the
generated report sources; the PDF (via ``pdftotext``) is checked for the title page and the
appendix-D status, with whitespace normalised because the PDF wraps lines.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from analysis import synth
from analysis.core import measurements
from analysis.core.paths import Paths, default_paths
from analysis.pipeline.build import BuildConfig, build
from analysis.present import format as nf
from analysis.verify import reproduction

pytestmark = pytest.mark.e2e

METING_3 = """meting: 3
folder: meting-3
first_month: "2021-09"
last_month: "2022-02"
expected_locations: 18
label: "Meting 3 (september 2021 - februari 2022)"
"""


def _build(tmp: Path, extra: list[int]) -> Paths:
    root = default_paths().root
    params = tmp / "params"
    params.mkdir()
    for p in root.joinpath("params").glob("meting-*.yaml"):
        shutil.copy(p, params / p.name)
    if 3 in extra:
        (params / "meting-3.yaml").write_text(METING_3, encoding="utf-8")
    raw = tmp / "raw"
    synth.write_twin(raw, extra_measurements=extra)
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


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Paths:
    return _build(tmp_path_factory.mktemp("report2"), [])


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> Paths:
    return _build(tmp_path_factory.mktemp("report3"), [3])


def _generated(paths: Paths, name: str) -> str:
    return (paths.build / "report-project" / "reports" / "_generated" / name).read_text("utf-8")


def _pdf(paths: Paths) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext not installed")
    out = subprocess.run(
        ["pdftotext", str(paths.report_output / "report.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return re.sub(r"\s+", " ", out)


def _expected(paths: Paths, meting: int) -> dict:
    """What the report must say about one measurement, computed from the processed data."""
    months = measurements.load_all(paths)[meting].months()
    reg = pd.read_parquet(paths.processed / "registrations.parquet")
    reg = reg[(reg["meting"] == meting) & reg["maand"].astype(str).isin(months)]
    reasons = pd.read_csv(paths.results / "ch2_fig02_reason.csv", dtype={"code": str})
    # A real-data build (these builds treat the twin as real exports, k = 5) may hide counts
    # ("x"): the summary then names only the shown categories, and never a hidden one.
    for col in ("n", "pct"):
        reasons[col] = pd.to_numeric(reasons[col], errors="coerce")
    coded = reasons[reasons["code"] != "na"]
    known = coded[coded["n"] > 0].sort_values("n", ascending=False, kind="stable")
    top = [f"{lab[:1].lower() + lab[1:]} ({nf.percent(p)})" for lab, p in zip(known["label"], known["pct"])][
        :2
    ]
    if len(top) == 2:
        phrase = f"aanleidingen waren {top[0]} en {top[1]}"
    elif top:
        phrase = f"aanleiding was {top[0]}"
    else:
        phrase = None
    hidden = [lab[:1].lower() + lab[1:] for lab in coded.loc[coded["n"].isna(), "label"]]
    return {
        "n": len(reg),
        "locations": reg["locatie"].nunique(),
        "top": phrase,
        "hidden_reasons": hidden,
    }


def _check_reasons(exp: dict, summary: str) -> None:
    """The most frequent shown reasons are named with their share; hidden ones never are."""
    if exp["top"] is None:
        assert "meest geregistreerde aanleiding" not in summary
    else:
        assert f"meest geregistreerde {exp['top']}" in summary
    for label in exp["hidden_reasons"]:
        assert f"{label} (" not in summary, f"hidden reason {label!r} named in the summary"


def test_two_measurements(two: Paths) -> None:
    exp = _expected(two, 2)
    summary = _generated(two, "_summary.md")
    assert (
        f"In meting 2 registreerden {exp['locations']} locaties samen {exp['n']} ongeplande gedwongen "
        "afzonderingen."
    ) in summary
    _check_reasons(exp, summary)
    assert "Over meting 1 en 2 samen" in summary and "meting 3" not in summary
    assert "Hoofdstuk 1 beschrijft het beleid van meting 2:" in summary
    ch1 = _generated(two, "_ch01.md")
    assert "In meting 2 beschreven" in ch1 and "aangeleverd; dit hoofdstuk beschrijft daarom" not in ch1
    assert f"In meting 2 zijn {exp['n']} ongeplande gedwongen afzonderingen vastgelegd" in _generated(
        two, "_ch02.md"
    )
    pdf = _pdf(two)
    assert "meting 1 (sep 2019 - feb 2020) en meting 2 (sep 2020 - feb 2021)" in pdf
    result = reproduction.check(two)
    assert result.exit_code == 0
    assert not (result.table["status"] == reproduction.UNPUBLISHED).any()


def test_three_measurements(three: Paths) -> None:
    exp = _expected(three, 3)
    summary = _generated(three, "_summary.md")
    # Chapter 2 and the summary describe the latest measurement, with its own count and order.
    assert (
        f"In meting 3 registreerden {exp['locations']} locaties samen {exp['n']} ongeplande gedwongen "
        "afzonderingen."
    ) in summary
    _check_reasons(exp, summary)
    assert f"In meting 3 zijn {exp['n']} ongeplande gedwongen afzonderingen vastgelegd" in _generated(
        three, "_ch02.md"
    )
    # Chapter 3 over all measurements, a contrast per measurement against the reference.
    assert "Over meting 1 t/m 3 samen" in summary and "meting 1 en 2 samen" not in summary
    assert re.search(
        r"ten opzichte van meting 1 was het niveau in meting 2 [\d,]+ keer zo groot .*?en in meting 3 "
        r"[\d,]+ keer zo groot",
        summary,
    )
    # Chapter 1: measurement 3 has no beleid.csv; one sentence says so and names measurement 2.
    ch1 = _generated(three, "_ch01.md")
    assert (
        "Voor meting 3 is geen beleidsbestand (`beleid.csv`) aangeleverd; dit hoofdstuk beschrijft daarom "
        "meting 2, de laatste meting met een beleidsbestand."
    ) in ch1
    assert "In meting 2 beschreven" in ch1
    assert (
        "Hoofdstuk 1 beschrijft het beleid van meting 2, de laatste meting met een beleidsbestand "
        "(meting 3 heeft er geen)" in summary
    )
    method = _generated(three, "_measurements.md")
    assert "meting 3 van september 2021 tot en met februari 2022" in method
    assert "hoofdstuk 3 toetst veranderingen over meting 1 t/m 3, met meting 1 als referentie" in method
    pdf = _pdf(three)
    assert (
        "meting 1 (sep 2019 - feb 2020), meting 2 (sep 2020 - feb 2021) en meting 3 (sep 2021 - feb 2022)"
        in pdf
    )
    assert "hoofdstuk 1: meting 2; hoofdstuk 2: meting 3" in pdf
    assert "geen gepubliceerd cijfer" in pdf


def test_three_measurements_reproduction_check(three: Paths) -> None:
    result = reproduction.check(three)
    t = result.table
    assert result.exit_code == 0
    # Nothing of measurement 3 is compared with a published figure, and nothing "differs" in 1-2.
    new = t[t["metingen"].str.contains("3")]
    assert len(new) and set(new["status"]) == {reproduction.UNPUBLISHED}
    assert not ((t["chapter"] == "2") & (t["status"] == reproduction.DIFFERS)).any()
    # Chapter 1 fell back to measurement 2, so its figures are compared like with like.
    ch1 = t[(t["chapter"] == "1") & (t["metingen"] == "2")]
    assert (~ch1["status"].isin([reproduction.MISSING, reproduction.DIFFERS])).sum() > 0
    lines = " ".join(result.compared())
    assert re.search(
        r"Hoofdstuk 2: \d+ gepubliceerde cijfers van meting 2, waarvan geen .*?\d+ berekende cijfers over "
        r"meting 3 zonder gepubliceerd cijfer",
        lines,
    ), lines
