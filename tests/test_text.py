"""Dutch grammar helpers of generated narrative (analysis.present.text)."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from analysis.present import text


def test_count_singular_plural_and_zero():
    assert text.count(1, "locatie", "locaties") == "1 locatie"
    assert text.count(2, "locatie", "locaties") == "2 locaties"
    assert text.count(0, "registratie", "registraties") == "geen registraties"
    assert text.count(0, "maand", "maanden", zero="0 maanden") == "0 maanden"
    assert text.count(1.5, "maand", "maanden", decimals=1) == "1,5 maanden"
    assert text.count(1613, "registratie", "registraties") == "1613 registraties"


def test_verb_agreement():
    assert text.count_verb(1, "locatie", "locaties", "begon", "begonnen") == "1 locatie begon"
    assert text.count_verb(3, "locatie", "locaties", "begon", "begonnen") == "3 locaties begonnen"
    assert text.count_verb(0, "locatie", "locaties", "begon", "begonnen") == "geen locaties begonnen"
    assert text.capitalize("geen locaties") == "Geen locaties"


def test_share_uses_report_rounding():
    assert text.share(7, 1613) == "0,4%"
    assert text.share(1, 2) == "50%"
    assert text.share(1, 0) == ""


def test_join():
    assert text.join([]) == ""
    assert text.join(["a"]) == "a"
    assert text.join(["a", "b"]) == "a en b"
    assert text.join(["a", "b", "c"]) == "a, b en c"
    assert text.join(["a", "b"], "of") == "a of b"


@pytest.mark.parametrize(
    "numbers,expected",
    [
        ([2], "meting 2"),
        ([1, 2], "meting 1 en 2"),
        ([1, 2, 3], "meting 1 t/m 3"),
        ([3, 1, 2, 2], "meting 1 t/m 3"),
        ([1, 3], "meting 1 en 3"),
        ([1, 2, 3, 5], "meting 1 t/m 3 en 5"),
        ([1, 2, 4, 5], "meting 1, 2, 4 en 5"),
        ([], ""),
    ],
)
def test_measurement_ranges(numbers, expected):
    assert text.measurements(numbers) == expected


@given(st.sets(st.integers(0, 30), min_size=1, max_size=12))
def test_number_range_names_every_number_once(numbers):
    out = text.number_range(sorted(numbers))
    named: set[int] = set()
    for part in out.replace(" en ", ", ").split(", "):
        if " t/m " in part:
            lo, hi = map(int, part.split(" t/m "))
            assert hi - lo >= 2
            named |= set(range(lo, hi + 1))
        else:
            named.add(int(part))
    assert named == numbers


def test_order_follows_computed_frequency_not_input_order():
    shares = {"orde/regels": 39.2, "agressie": 41.0, "anders": 5.0}
    assert [k for k, _ in text.by_frequency(shares)] == ["agressie", "orde/regels", "anders"]
    assert text.join([k for k, _ in text.top(shares, 2)], "of") == "agressie of orde/regels"
    # Ties keep the order of appearance unless a tie key is given.
    assert [k for k, _ in text.by_frequency([("b", 1), ("a", 1)])] == ["b", "a"]
    assert [k for k, _ in text.by_frequency([("b", 1), ("a", 1)], tie=str)] == ["a", "b"]
    assert text.top(shares, 5) == text.by_frequency(shares)


def test_compare_words_and_rounding_as_shown():
    assert text.compare(2, 1) == "hoger" and text.compare(1, 2) == "lager" and text.compare(1, 1) == "gelijk"
    assert text.compare(5, 3, words="meer") == "meer"
    assert text.compare(3, 5, words="langer") == "korter"
    # 12.04 and 11.96 both show as "12,0": the word must not say "hoger".
    assert text.compare(12.04, 11.96, decimals=1) == "gelijk"
    assert text.compare(12.04, 11.96) == "hoger"
    assert text.compare(1, 2, words=("boven", "onder", "op")) == "onder"
