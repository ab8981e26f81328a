"""Leave one location out: its own pipeline step, tables, summary and sentences (real R)."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import SYNTHETIC_BANNER
from analysis.models import tables
from analysis.present import narrative
from analysis.present import models as present
from analysis.models.chapter3 import LoloResult, run_lolo
from analysis.models.sensitivity import (
    DEFAULT_ANALYSES,
    LOLO_KEYS,
    SensitivityResults,
    lolo_range,
    lolo_summary,
    run_sensitivity,
    same_conclusion,
    compare_conclusions,
)
from analysis.models.simulate import SimParams, write_processed
from analysis.core.params import LoloParams
from analysis.core.results import write_result

N_LOCATIONS = 5


@pytest.fixture(scope="module")
def lolo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, LoloResult]:
    tmp = tmp_path_factory.mktemp("lolo")
    processed = write_processed(tmp / "processed", SimParams(n_locations=N_LOCATIONS), seed=3)
    (processed / "ingest_report.json").write_text(json.dumps({"synthetic": True}))
    out = tmp / "models"
    return out, run_lolo(processed, out)


def test_every_key_model_is_refitted_once_per_location(lolo: tuple[Path, LoloResult]) -> None:
    _, res = lolo
    assert res.synthetic
    assert list(res.full) == [m for m, _ in LOLO_KEYS]
    assert len(res.lolo) == len(LOLO_KEYS) * N_LOCATIONS == res.n_fits - len(LOLO_KEYS)
    for (mid, term), g in res.lolo.groupby(["model_id", "term"], sort=False):
        assert dict(LOLO_KEYS)[mid] == term
        assert sorted(g["dropped"]) == [f"L{i:02d}" for i in range(1, N_LOCATIONS + 1)]
    assert res.lolo["exp_est"].notna().all() and set(res.lolo["status"]) <= {"ok", "warning"}
    assert set(res.timings) == {"frames", "lolo", "tables"}
    assert res.sampled == {}


def test_lolo_gives_the_same_rows_with_one_and_two_workers(
    lolo: tuple[Path, LoloResult], tmp_path: Path
) -> None:
    # The fits run as Dask tasks; the number of workers must not change a single value.
    out, res = lolo
    processed = out.parent / "processed"
    one = run_lolo(processed, tmp_path / "models", workers=1)
    pd.testing.assert_frame_equal(one.lolo, res.lolo)
    for mid, r in res.full.items():
        pd.testing.assert_frame_equal(one.full[mid].fixed, r.fixed)


def test_lolo_location_rule_bounds_and_is_stable() -> None:
    from analysis.models.sensitivity import LOLO_SAMPLE, lolo_locations

    sizes = {f"L{i:03d}": (i % 17) + 1 for i in range(1, 101)}
    data = pd.DataFrame({"locatie": [c for c, n in sizes.items() for _ in range(n)]})
    few = data[data["locatie"].isin(list(sizes)[:30])]
    assert lolo_locations(few, 30) == sorted(few["locatie"].unique())  # all up to the bound
    chosen = lolo_locations(data, 30)
    assert len(chosen) == LOLO_SAMPLE and chosen == sorted(chosen)
    biggest = sorted(sizes, key=lambda c: (-sizes[c], c))[: LOLO_SAMPLE // 2]
    assert set(biggest) <= set(chosen)
    assert len(lolo_locations(data, 30, sample=20)) == 20
    assert len(lolo_locations(data, 8, sample=20)) == 8  # never more than the bound
    # the same rows in another order choose the same locations; another seed other ones
    assert lolo_locations(data.sample(frac=1, random_state=1), 30) == chosen
    assert lolo_locations(data, 30, seed=1) != chosen


def test_sampled_lolo_is_stated_in_the_notebook_sentence() -> None:
    text = narrative.lolo_sample_sentence({"count_month": (10, 180), "dur_meting": (10, 175)}, 30)
    assert "2 modellen" in text and "180" in text and "meer dan 30" in text
    assert "maar 10: de 5 locaties" in text and "en 5 andere" in text
    one = narrative.lolo_sample_sentence({"count_month": (11, 40)}, 30)
    assert one.startswith("Eén model heeft") and "maar 11: de 5 locaties" in one and "en 6 andere" in one
    assert narrative.lolo_sample_sentence({}, 30) == ""


def test_writes_the_lolo_tables_through_the_results_contract(lolo: tuple[Path, LoloResult]) -> None:
    out, res = lolo
    assert [p.name for p in res.files] == ["ch3_sens_lolo.csv", "ch3_sens_lolo_range.csv"]
    index = pd.read_csv(out / "index.csv")
    assert dict(zip(index["name"], index["title"])) == tables.LOLO_TABLES
    assert set(index["chapter"].astype(str)) == {"3"}
    rng = pd.read_csv(out / "ch3_sens_lolo_range.csv")
    assert (rng["note"] == SYNTHETIC_BANNER).all()
    assert len(rng) == len(LOLO_KEYS) and (rng["n_fits"] == N_LOCATIONS).all()
    assert np.allclose(rng["min"], res.lolo_range()["min"]) and (rng["min"] <= rng["max"]).all()
    assert len(pd.read_csv(out / "ch3_sens_lolo.csv")) == len(res.lolo)


def test_summary_compares_with_the_fit_on_all_locations(lolo: tuple[Path, LoloResult]) -> None:
    _, res = lolo
    s = res.summary()
    assert len(s) == len(LOLO_KEYS) and (s["n_fits"] == N_LOCATIONS).all()
    full = res.full["count_month"].term("month")
    row = s.set_index("model_id").loc["count_month"]
    assert row["exp_est"] == pytest.approx(full["exp_est"])
    assert 0 <= row["n_same"] <= N_LOCATIONS and row["most_influential"] in set(res.lolo["dropped"])
    shown = present.lolo_summary_display(s)
    assert list(shown.columns) == [
        "Uitkomst",
        "Term",
        "Alle locaties",
        "p",
        "Zonder één locatie",
        "Zelfde conclusie",
        "Grootste invloed",
    ]
    assert "count_month" not in shown.to_string()  # labels, not ids
    text = narrative.lolo_sentence(s)
    assert f"van de {len(LOLO_KEYS)} belangrijkste schattingen" in text
    assert f"per schatting {N_LOCATIONS} analyses" in text
    assert f"{res.n_fits} modellen" in narrative.lolo_status_sentence(res.problems(), res.n_fits)


def test_status_sentence_counts_warnings_and_failures() -> None:
    problems = pd.DataFrame(
        {
            "model_id": ["a", "b", "c"],
            "dropped": ["L01", "L02", ""],
            "status": ["warning", "failed", "warning"],
        }
    )
    text = narrative.lolo_status_sentence(problems, 36)
    assert "Van de 36 modellen" in text and "er 2 een waarschuwing" in text and "1 geen schatting" in text
    assert narrative.lolo_status_sentence(problems.iloc[:0], 36).startswith("Alle 36 modellen")


def test_same_conclusion() -> None:
    est = pd.Series([0.8, 1.2, 0.9, np.nan, 0.95])
    p = pd.Series([0.01, 0.01, 0.20, 0.01, 0.04])
    assert same_conclusion(est, p, 0.85, 0.001).tolist() == [True, False, False, False, True]
    assert same_conclusion(est, p, 0.85, 0.30).tolist() == [False, False, True, False, False]
    # one rule: also when neither is significant, the ratio must stay on the same side of 1
    assert same_conclusion(pd.Series([1.1]), pd.Series([0.5]), 0.9, 0.6).tolist() == [False]
    out = compare_conclusions(
        pd.Series([0.8, 0.8, 1.2]),
        pd.Series([0.01, 0.01, 0.01]),
        pd.Series([True, False, True]),
        0.85,
        0.001,
        True,
    )
    assert out.tolist() == ["same", "not_assessable", "different"]
    assert (
        compare_conclusions(est, p, pd.Series(True, index=est.index), 0.85, 0.001, False) == "not_assessable"
    ).all()


def _fake_lolo() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "model_id": ["count_month"] * 3,
            "term": ["month"] * 3,
            "dropped": ["A", "B", "C"],
            "status": ["ok", "ok", "failed"],
            "exp_est": [0.90, 0.99, np.nan],
            "exp_ci_low": [0.85, 0.95, np.nan],
            "exp_ci_high": [0.95, 1.03, np.nan],
            "p": [0.001, 0.40, np.nan],
        }
    )


def test_summary_and_sentence_name_the_location_that_changes_a_conclusion(lolo) -> None:
    _, res = lolo
    s = lolo_summary(_fake_lolo(), {"count_month": res.full["count_month"]})
    row = s.iloc[0]
    assert (row["n_fits"], row["n_missing"]) == (2, 1)
    assert row["min"] == 0.90 and row["max"] == 0.99
    assert res.full["count_month"].term("month")["p"] < 0.05  # so B (p = 0.40) changes the conclusion
    assert (row["n_same"], row["changed_without"]) == (1, "B")
    text = narrative.lolo_sentence(
        s.assign(
            exp_est=0.92, p=0.0001, n_same=1, changed_without="B", most_influential="B", exp_est_without=0.99
        )
    )
    assert (
        "Bij 0 van de 1" in text and "verandert de conclusie zonder locatie B (1 van de 2 analyses)" in text
    )
    assert "0,99 in plaats van 0,92" in text and "p <\u00a00,001 op alle locaties" in text
    assert "1 analyses zonder één locatie gaven geen schatting" in text


def test_lolo_range_of_nothing_is_empty_with_columns() -> None:
    assert list(lolo_range(pd.DataFrame())) == ["model_id", "term", "min", "max", "n_fits"]
    assert lolo_range(_fake_lolo())["n_fits"].tolist() == [2]


def test_sensitivity_set_leaves_lolo_to_its_own_step() -> None:
    assert "lolo" not in DEFAULT_ANALYSES and "random_slope" in DEFAULT_ANALYSES
    with pytest.raises(ValueError, match="unknown sensitivity analyses"):
        run_sensitivity(None, analyses=["leave_one_out"])  # type: ignore[arg-type]


def test_chapter_3_tables_never_overwrite_the_lolo_tables(tmp_path: Path, lolo) -> None:
    _, res = lolo
    written = tables.write_lolo_tables(tmp_path, _fake_lolo())
    before = {p.name: p.read_bytes() for p in written}
    sens = SensitivityResults(estimates=pd.DataFrame(columns=["analysis"]))
    files = tables.write_tables(tmp_path, {"count_month": res.full["count_month"]}, sensitivity=sens)
    assert not {p.name for p in files} & set(before)
    assert {p.name: p.read_bytes() for p in written} == before
    index = pd.read_csv(tmp_path / "index.csv")
    assert {"ch3_sens_lolo", "ch3_sens_lolo_range", "ch3_sens_estimates", "ch3_models_fixed"} <= set(
        index["name"]
    )


def _write_many(args: tuple[str, str]) -> None:
    folder, prefix = args
    for i in range(15):
        write_result(
            Path(folder),
            f"{prefix}{i}",
            pd.DataFrame({"n": [i]}),
            chapter="3",
            title=prefix,
            values={f"{prefix}.{i}": float(i)},
        )


def test_two_processes_writing_one_results_folder_lose_nothing(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        pool.map(_write_many, [(str(tmp_path), "a"), (str(tmp_path), "b")])
    assert len(pd.read_csv(tmp_path / "index.csv")) == 30
    assert len(pd.read_csv(tmp_path / "values.csv")) == 30


def test_lolo_params_validate() -> None:
    assert LoloParams().metingen is None
    assert LoloParams(metingen=[1, 2, 3], referentie=2).params_path is None
    with pytest.raises(ValueError):
        LoloParams(metingen=[1])
    with pytest.raises(ValueError):
        LoloParams(metingen=[1, 2], referentie=3)
    with pytest.raises(ValueError):
        LoloParams(lang="nl")  # not a parameter of this notebook


def test_diagnostics_simulations_are_bounded_only_at_national_size() -> None:
    from analysis.models.fanout import diagnostics_nsim

    assert diagnostics_nsim(250, 6_253) == 250  # the twin
    assert diagnostics_nsim(250, 8_000) == 250  # rows x nsim <= 2 million
    assert diagnostics_nsim(250, 62_530) == 31  # ten times the twin
    assert diagnostics_nsim(250, 625_300) == 20  # national size: the floor
    assert diagnostics_nsim(250, 10**8) == 20  # never below the floor
