"""Planning study (issue 17): simulation model, summaries, Dask engine, validation of the power.

Tiers: unit tests without R; small statistical tests with R's ``glm`` (Poisson without random
effects, fast) against the analytic power; Dask with 1 and 2 workers (identical results);
the type-I error of the chapter-3 NB2 GLMM at zero change in the slow tier.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.models import power as pl
from analysis.models import engine

POISSON = pl.Truth(
    count_log_rate=math.log(0.6), count_sd_location=0.0, count_theta=math.inf, occupancy=((10.0,),)
)


def mc_band(p: float, n: int, k: float = 3.0) -> float:
    """``k`` Monte Carlo standard errors of a proportion ``p`` estimated from ``n`` simulations."""
    return k * math.sqrt(p * (1 - p) / n)


# --- units (no R) --------------------------------------------------------------------------------
def test_designs_grid_always_contains_zero_change() -> None:
    d = pl.designs_grid(["count"], [3, 6], [18], [-0.2, -0.1])
    assert {x.change for x in d} == {0.0, -0.1, -0.2}
    assert len(d) == 6 and len({x.key for x in d}) == 6


def test_seeds_depend_on_design_and_simulation_only() -> None:
    a, b = pl.Design("count", 6, 18, -0.2), pl.Design("count", 6, 18, -0.1)
    draw = lambda d, s: np.random.default_rng(pl.sim_seed(1, d, s)).random()  # noqa: E731
    assert draw(a, 0) == draw(a, 0)
    assert len({draw(a, 0), draw(a, 1), draw(b, 0)}) == 3


def test_simulated_counts_follow_the_truth() -> None:
    truth = pl.Truth(
        count_log_rate=math.log(0.5), count_sd_location=0.0, count_theta=math.inf, occupancy=((20.0,),)
    )
    d = pl.Design("count", 12, 50, -0.2)
    data = pl.simulate_data(truth, d, np.random.default_rng(3))
    assert len(data) == 2 * 12 * 50
    means = data.groupby("meting")["n"].mean()
    assert means["1"] == pytest.approx(10.0, rel=0.05)
    assert means["2"] == pytest.approx(8.0, rel=0.05)


def test_duration_and_isolation_data_have_the_model_columns() -> None:
    truth = pl.Truth(
        count_log_rate=math.log(0.5), count_sd_location=0.2, count_theta=10.0, occupancy=((20.0, 22.0),)
    )
    for outcome, col in (("duration", "log_dur"), ("isolation", "y")):
        data = pl.simulate_data(truth, pl.Design(outcome, 2, 4, -0.3), np.random.default_rng(1))
        assert set(pl.refit_spec(outcome).variables()) <= set(data.columns) | {"locatie"}
        assert data[col].notna().all() and len(data) > 20


def test_wilson_interval_and_detection_rule() -> None:
    lo, hi = pl.wilson(50, 100)
    assert lo < 0.5 < hi and hi - lo == pytest.approx(0.19, abs=0.01)
    assert pl.wilson(0, 20)[0] == 0.0
    assert pl.detected(-0.3, 0.01, -0.2) and not pl.detected(0.3, 0.01, -0.2)
    assert pl.detected(0.3, 0.01, 0.0) and not pl.detected(-0.3, 0.2, -0.2)


def test_minimal_detectable_change_interpolates_and_says_when_not_reached() -> None:
    power = pd.DataFrame(
        {
            "outcome": "count",
            "months": [6] * 4 + [3] * 4,
            "locations": 18,
            "change": [0.0, -0.1, -0.2, -0.3] * 2,
            "power": [0.05, 0.4, 0.9, 1.0, 0.05, 0.2, 0.4, 0.6],
        }
    )
    mdc = pl.minimal_detectable_change(power, 0.8).set_index("months")
    assert mdc.loc[6, "mdc"] == pytest.approx(0.1 + 0.1 * 0.4 / 0.5)
    assert not mdc.loc[3, "reached"] and math.isnan(mdc.loc[3, "mdc"])


def test_engine_resumes_from_stored_results(tmp_path: Path) -> None:
    tasks = [(f"k{i}", pow, (i, 2)) for i in range(5)]
    st = engine.RunStats()
    assert engine.run(tasks, store=tmp_path, workers=0, progress=False, stats=st) == [0, 1, 4, 9, 16]
    assert st.computed == 5
    (tmp_path / "k3.pkl").unlink()  # as if the run had been interrupted before task k3 finished
    st = engine.RunStats()
    assert engine.run(tasks, store=tmp_path, workers=0, progress=False, stats=st) == [0, 1, 4, 9, 16]
    assert (st.from_store, st.computed) == (4, 1)


# --- small statistical tests (R glm) ----------------------------------------------------------------
def _poisson_power(design: pl.Design, nsim: int, seed: int = 11) -> pd.DataFrame:
    study = pl.Study((design,), nsim=nsim, seed=seed, batch=nsim, poisson_fixed=True)
    return pl.power_table(pl.collect(engine.run(study.tasks(POISSON), workers=0, progress=False)))


def test_poisson_power_agrees_with_the_analytic_power() -> None:
    design = pl.Design("count", 3, 6, -0.3)
    expected = pl.analytic_power(POISSON, design)
    assert 0.4 < expected < 0.9  # a design in the informative middle of the curve
    got = _poisson_power(design, 150).iloc[0]
    assert got["n_failed"] == 0
    assert abs(got["power"] - expected) <= mc_band(expected, 150)


def test_power_rises_with_effect_size_and_with_months() -> None:
    small = _poisson_power(pl.Design("count", 2, 6, -0.1), 60).iloc[0]["power"]
    large = _poisson_power(pl.Design("count", 2, 6, -0.35), 60).iloc[0]["power"]
    longer = _poisson_power(pl.Design("count", 8, 6, -0.35), 60).iloc[0]["power"]
    # analytic: 0.09, 0.63 and 1.00; each gap is more than 6 Monte Carlo SEs of the difference
    assert small < large < longer


def test_identical_results_with_one_and_two_workers() -> None:
    study = pl.Study(pl.designs_grid(["count"], [2], [5], [-0.3]), nsim=8, batch=2, poisson_fixed=True)
    tasks = study.tasks(POISSON)
    stats = {w: engine.RunStats() for w in (1, 2)}
    runs = {w: pl.collect(engine.run(tasks, workers=w, progress=False, stats=stats[w])) for w in (1, 2)}
    assert (stats[1].workers, stats[2].workers) == (1, 2)
    pd.testing.assert_frame_equal(runs[1], runs[2])
    assert len(runs[1]) == 16 and runs[1]["estimate"].notna().all()


# --- slow tier: the chapter-3 NB2 GLMM -----------------------------------------------------------------
@pytest.mark.slow
def test_type1_error_of_the_count_glmm_at_zero_change() -> None:
    truth = pl.Truth(
        count_log_rate=-1.0,
        count_sd_location=0.3,
        count_theta=15.0,
        occupancy=((50.0, 55.0, 52.0), (20.0, 22.0), (30.0, 31.0, 29.0)),
    )
    nsim = 400
    study = pl.Study((pl.Design("count", 6, 18, 0.0),), nsim=nsim, seed=5, batch=20)
    got = pl.power_table(pl.collect(engine.run(study.tasks(truth), workers=2, progress=False))).iloc[0]
    band = mc_band(0.05, nsim)
    print(
        f"type-I error {got['power']:.4f} at zero change ({got['n_failed']} of {nsim} fits failed); "
        f"accepted 0.05 +/- {band:.4f}"
    )
    assert got["n_failed"] <= nsim * 0.01
    assert abs(got["power"] - 0.05) <= band, got.to_dict()


def test_appendix_text_follows_the_power_table() -> None:
    from analysis.present import planning as present

    power = pd.DataFrame(
        {
            "outcome": "count",
            "months": [3, 3],
            "locations": 18,
            "change": [0.0, -0.2],
            "nsim": 10,
            "detected": [2, 6],
            "power": [0.2, 0.6],
            "ci_low": [0.04, 0.31],
            "ci_high": [0.51, 0.83],
            "n_warning": [0, 1],
            "n_failed": 0,
        }
    )
    t1 = present.type1_sentence(power)
    assert "20,0% van de simulaties bij 3 maanden per meting en 18 locaties" in t1
    assert "binnen het Monte-Carlo-interval" in t1
    answer = present.answer_sentences(power, pl.minimal_detectable_change(power))
    # the interval at -20% (31%-83%) holds the 80% target: no decline is named
    assert "60% bij een daling van 20%" in answer and "niet te bepalen met 10 simulaties" in answer
    assert "gaf er 1 een waarschuwing" in present.quality_sentence(power, {})
    table = present.power_display(power)
    assert list(table["Verandering"]) == ["0%", "-20%"]


def test_two_local_clusters_at_once_print_no_port_warning(recwarn) -> None:
    # Two builds on one machine each start a local cluster; the second one warned "Port 8787
    # is already in use" (the scheduler's HTTP server) on the build console.
    import warnings

    from analysis.models import engine

    warnings.simplefilter("always")
    with engine.shared_cluster(None, 1) as first, engine.shared_cluster(None, 1) as second:
        assert first != second
    ports = [str(w.message) for w in recwarn.list if "already in use" in str(w.message)]
    assert not ports, ports
