"""Calendar months: the one month type of the compendium, its arithmetic and its iterator.

Data and configuration hold months as ``YYYY-MM`` text (``maand``, ``first_month``); code that
steps through months or counts them uses :class:`Month` and :func:`month_range` so that no
module writes its own year roll-over. Months are shown to readers by
:func:`analysis.present.format.month` (``sep 2020``, ``september 2020``), from the names here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

#: Dutch month names (lower case), for dates and periods written out in full.
MONTHS_NL = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)
#: Short Dutch month names (axis labels, table headers, running text of chapter 2).
MONTHS_NL_SHORT = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")

_YM = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True, order=True)
class Month:
    """One calendar month; ordered in time, ``str()`` gives ``YYYY-MM``.

    Attributes
    ----------
    year : int
        Calendar year.
    month : int
        Month of the year, 1-12.
    """

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be 1-12, got {self.month}")

    @classmethod
    def parse(cls, text: str | Month) -> Month:
        """The month of a ``YYYY-MM`` text (a :class:`Month` is returned as it is).

        Raises
        ------
        ValueError
            When ``text`` is not of the form ``YYYY-MM``.
        """
        if isinstance(text, Month):
            return text
        hit = _YM.match(str(text))
        if not hit:
            raise ValueError(f"{text!r} is not a month in the form YYYY-MM")
        return cls(int(hit.group(1)), int(hit.group(2)))

    @property
    def index(self) -> int:
        """Absolute month number ``12 * year + month - 1`` (differences count months)."""
        return 12 * self.year + self.month - 1

    @classmethod
    def from_index(cls, index: int) -> Month:
        """The month with absolute number ``index`` (inverse of :attr:`index`)."""
        return cls(index // 12, index % 12 + 1)

    def __add__(self, months: int) -> Month:
        """The month ``months`` later (earlier when negative)."""
        return Month.from_index(self.index + int(months))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def iter_months(first: str | Month, last: str | Month) -> Iterator[Month]:
    """Every month from ``first`` to ``last``, both included (none when ``last`` is earlier)."""
    start, stop = Month.parse(first).index, Month.parse(last).index
    return (Month.from_index(k) for k in range(start, stop + 1))


def month_range(first: str | Month, last: str | Month) -> list[str]:
    """``YYYY-MM`` texts of every month from ``first`` to ``last``, both included.

    Parameters
    ----------
    first, last : str or Month
        First and last month (``YYYY-MM``).

    Returns
    -------
    list of str
        e.g. ``month_range("2020-11", "2021-02")`` -> ``["2020-11", "2020-12", "2021-01", "2021-02"]``.
    """
    return [str(m) for m in iter_months(first, last)]


def shift(month: str | Month, months: int) -> str:
    """``YYYY-MM`` of the month ``months`` after ``month`` (before it when negative)."""
    return str(Month.parse(month) + months)
