"""The one month type (:mod:`analysis.core.months`) and its formatter (:func:`analysis.present.format.month`)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.core.measurements import Measurement
from analysis.core.months import Month, iter_months, month_range, shift
from analysis.present import format as nf

months = st.builds(Month, st.integers(1990, 2100), st.integers(1, 12))


def test_parse_text_and_order() -> None:
    assert Month.parse("2020-09") == Month(2020, 9) and str(Month(2021, 2)) == "2021-02"
    assert Month(2020, 12) < Month(2021, 1)
    for bad in ("2020-13", "2020-9", "sep 2020", ""):
        with pytest.raises(ValueError):
            Month.parse(bad)
    with pytest.raises(ValueError):
        Month(2020, 0)


def test_range_crosses_the_year_and_is_empty_backwards() -> None:
    assert month_range("2020-11", "2021-02") == ["2020-11", "2020-12", "2021-01", "2021-02"]
    assert month_range("2021-02", "2021-02") == ["2021-02"]
    assert month_range("2021-03", "2021-02") == []
    assert shift("2020-12", 1) == "2021-01" and shift("2021-01", -13) == "2019-12"


@given(months, st.integers(-300, 300))
def test_index_arithmetic_round_trips(m: Month, n: int) -> None:
    assert Month.from_index(m.index) == m
    assert (m + n).index - m.index == n
    assert Month.parse(str(m)) == m


@given(months, st.integers(0, 40))
def test_range_has_one_month_per_step(first: Month, n: int) -> None:
    got = list(iter_months(first, first + n))
    assert len(got) == n + 1 and got == sorted(got) and got[-1] == first + n


def test_measurement_months_use_the_range() -> None:
    m = Measurement(
        meting=2, folder="meting-2", first_month="2020-09", last_month="2021-02", expected_locations=1
    )
    assert m.months() == month_range("2020-09", "2021-02")


def test_formatter_short_and_long() -> None:
    assert nf.month("2021-02") == "feb 2021" and nf.month(Month(2020, 10)) == "okt 2020"
    assert nf.month("2020-03", long=True) == "maart 2020" and nf.month("2020-03", year=False) == "mrt"
