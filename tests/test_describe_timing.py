"""Start hour, peaks, Table 2 (duration by reason) and the 23:59 note."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.describe import timing


def _reg(reasons, durations, hours=None):
    n = len(reasons)
    return pd.DataFrame(
        {
            "aanleiding": pd.array(reasons, dtype="Int64"),
            "duur_min": pd.array(durations, dtype="float"),
            "uur": hours if hours is not None else [10] * n,
            "vlag_eind_voor_start": [False] * n,
        }
    )


@pytest.mark.parametrize(
    "minutes,text", [(5, "0:05"), (142.5, "2:23"), (1439, "23:59"), (60, "1:00"), (None, "")]
)
def test_format_hmm(minutes, text):
    assert timing.format_hmm(minutes) == text


def test_duration_by_reason_hand_computed():
    reg = _reg([1, 1, 1, 3, None], [10, 30, 1439, None, 50])
    t = timing.duration_by_reason(reg).set_index("code")
    assert t.loc["1", "n"] == 3 and t.loc["1", "median"] == 30
    assert t.loc["1", "mean"] == pytest.approx(493)
    assert t.loc["1", "max_hmm"] == "23:59" and t.loc["1", "mean_hmm"] == "8:13"
    assert t.loc["3", "n"] == 1 and t.loc["3", "n_duration"] == 0 and np.isnan(t.loc["3", "mean"])
    assert timing.count_one_day_default(reg) == 1
    v = timing.duration_values(t.reset_index(), 1)
    assert v["ch2.tab02.median.1"] == 30 and v["ch2.tab02.n_2359"] == 1 and "ch2.tab02.mean.3" not in v


def test_negative_duration_is_not_used():
    reg = _reg([2, 2], [-30, 20])
    reg.loc[0, "vlag_eind_voor_start"] = True
    t = timing.duration_by_reason(reg).set_index("code")
    assert t.loc["2", "min"] == 20 and t.loc["2", "n"] == 2


def test_start_hour_distribution_sums():
    reg = _reg([1, 2, 2], [1, 1, 1], hours=[0, 18, 18])
    h = timing.start_hour_distribution(reg)
    assert len(h) == 24 and h["n"].sum() == 3 and h.loc[18, "n"] == 2
    by = timing.start_hour_by_reason(reg)
    assert by["n"].sum() == 3
    assert by.loc[by["reason_code"] == "2", "pct"].sum() == pytest.approx(100)


def test_local_peaks_and_morning_rise():
    counts = [3, 2, 1, 1, 1, 1, 1, 4, 8, 10, 11, 12, 12, 13, 14, 15, 16, 18, 24, 18, 23, 19, 8, 4]
    assert timing.local_peaks(counts, 2) == [18, 20]
    assert timing.morning_rise(counts) == 7
    hours = pd.DataFrame({"hour": range(24), "n": counts})
    by = pd.concat([pd.DataFrame({"reason_code": c, "hour": range(24), "n": counts}) for c in "123456"])
    v = timing.hour_profile_values(hours, by)
    assert v["ch2.fig07.time.peak1"] == 1080 and v["ch2.fig07.time.peak2_end"] == 1260
    assert v["ch2.fig07.time.rise_start"] == 420
