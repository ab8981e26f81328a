"""Dutch grammar for generated narrative: counts with nouns, lists, measurement ranges, orderings.

Every sentence of the report that mentions a number, a measurement or an order is built from
data with these helpers, so that singular/plural, the zero case ("geen registraties"), the
list of measurements ("meting 1 t/m 3") and a ranking ("agressie, gevolgd door orde/regels")
follow what was computed instead of what a template author expected. Numbers inside go through
the report's one formatter (:mod:`analysis.present.display`), so a value reads the same in a
sentence as in the table beside it.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping, Sequence, TypeVar

from analysis.core.numbers import round_half_up
from analysis.present import format as nf

T = TypeVar("T")


# --- numbers with nouns and verbs -------------------------------------------------------------
def count(n: int | float, singular: str, plural: str, *, zero: str | None = None, decimals: int = 0) -> str:
    """A number with its noun in the right form: ``"1 locatie"``, ``"2 locaties"``, ``"geen locaties"``.

    Parameters
    ----------
    n : int or float
        The count (formatted with :func:`analysis.present.format.number`).
    singular, plural : str
        The noun in both forms (Dutch plurals are irregular enough not to be guessed).
    zero : str, optional
        Text for ``n == 0``; default ``"geen <plural>"``.
    decimals : int
        Decimals of a non-integral count (e.g. a mean per month).

    Returns
    -------
    str
        e.g. ``"1 locatie"``, ``"18 locaties"``, ``"geen registraties"``.
    """
    if n == 0:
        return zero if zero is not None else f"geen {plural}"
    # Dutch uses the singular only for exactly one ("1 maand", but "1,5 maanden").
    noun = singular if n == 1 else plural
    return f"{nf.number(n, decimals)} {noun}"


def verb(n: int | float, singular: str, plural: str) -> str:
    """The verb form agreeing with a count: ``verb(1, "registreerde", "registreerden")``.

    Only exactly one takes the singular; zero reads "geen locaties registreerden" (plural).
    """
    return singular if n == 1 else plural


def count_verb(
    n: int | float,
    singular: str,
    plural: str,
    verb_singular: str,
    verb_plural: str,
    *,
    zero: str | None = None,
) -> str:
    """Count, noun and agreeing verb: ``"1 locatie begon"``, ``"3 locaties begonnen"``."""
    return f"{count(n, singular, plural, zero=zero)} {verb(n, verb_singular, verb_plural)}"


def share(n: int | float, total: int | float, *, decimals: int | None = None) -> str:
    """Percentage ``n`` of ``total`` formatted like the report (``"43%"``); ``""`` when total is 0."""
    if not total:
        return ""
    return nf.percent(100.0 * float(n) / float(total), decimals=decimals)


def capitalize(sentence: str) -> str:
    """First letter upper case (``"geen locaties ..."`` at the start of a sentence)."""
    return sentence[:1].upper() + sentence[1:]


# --- lists ------------------------------------------------------------------------------------
def join(items: Iterable[Any], conjunction: str = "en") -> str:
    """Dutch enumeration without a serial comma: ``"a, b en c"``; ``""`` for no items.

    Parameters
    ----------
    items : iterable
        Items (converted with ``str``).
    conjunction : str
        Word before the last item (``"en"``, ``"of"``).
    """
    words = [str(i) for i in items]
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def _runs(numbers: Sequence[int]) -> list[tuple[int, int]]:
    """Consecutive runs of sorted distinct integers: [1, 2, 3, 5] -> [(1, 3), (5, 5)]."""
    runs: list[tuple[int, int]] = []
    for k in sorted(set(int(x) for x in numbers)):
        if runs and k == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], k)
        else:
            runs.append((k, k))
    return runs


def number_range(numbers: Sequence[int]) -> str:
    """Integers as the shortest Dutch list: ``"1 t/m 3"``, ``"1 en 2"``, ``"2"``, ``"1 t/m 3 en 5"``.

    A run of three or more becomes ``"a t/m b"``; a run of two is listed (``"1 en 2"``).
    """
    parts: list[str] = []
    for lo, hi in _runs(numbers):
        if hi - lo >= 2:
            parts.append(f"{lo} t/m {hi}")
        else:
            parts.extend(str(k) for k in range(lo, hi + 1))
    return join(parts)


def measurements(numbers: Sequence[int], word: str = "meting") -> str:
    """Measurements named as in the report: a range of three or more (``t/m``), two joined by ``en``, or one.

    Parameters
    ----------
    numbers : sequence of int
        Measurement numbers (order and repeats do not matter).
    word : str
        Word in front (``"meting"``; ``"metingen"`` reads better after "de").

    Returns
    -------
    str
        ``""`` when there are no measurements.
    """
    body = number_range(numbers)
    return f"{word} {body}" if body else ""


# --- orderings by computed frequency ------------------------------------------------------------
def by_frequency(
    values: Mapping[T, float] | Iterable[tuple[T, float]], *, tie: Callable[[T], Any] | None = None
) -> list[tuple[T, float]]:
    """Items ordered by value, largest first, as computed (never in the order a template expects).

    Parameters
    ----------
    values : mapping or iterable of (item, value)
        Counts or shares per item.
    tie : callable, optional
        Key that orders items with equal values; default their order of appearance.

    Returns
    -------
    list of (item, value)
        Sorted descending by value; ties stable (or by ``tie``).
    """
    pairs = list(values.items()) if isinstance(values, Mapping) else list(values)
    indexed = list(enumerate(pairs))
    indexed.sort(key=lambda iv: (-float(iv[1][1]), tie(iv[1][0]) if tie else iv[0]))
    return [p for _, p in indexed]


def top(values: Mapping[T, float] | Iterable[tuple[T, float]], k: int) -> list[tuple[T, float]]:
    """The ``k`` largest items (see :func:`by_frequency`); fewer when there are fewer items."""
    return by_frequency(values)[: max(0, k)]


# --- comparisons ------------------------------------------------------------------------------
COMPARE_WORDS = {
    "hoger": ("hoger", "lager", "gelijk"),
    "meer": ("meer", "minder", "evenveel"),
    "langer": ("langer", "korter", "even lang"),
    "groter": ("groter", "kleiner", "even groot"),
}


def direction(value: float, reference: float, *, decimals: int | None = None) -> int:
    """Sign of ``value - reference`` as shown: 1, -1 or 0.

    With ``decimals``, both values are compared after the report's rounding, so the word never
    contradicts two numbers printed side by side ("hoger" beside "12,0" and "12,0" cannot happen).
    """
    if decimals is not None:
        value = round_half_up(value, decimals)
        reference = round_half_up(reference, decimals)
    return (value > reference) - (value < reference)


def compare(
    value: float,
    reference: float,
    *,
    words: str | tuple[str, str, str] = "hoger",
    decimals: int | None = None,
) -> str:
    """The word for ``value`` against ``reference``: ``"hoger"``, ``"lager"`` or ``"gelijk"``.

    Parameters
    ----------
    value, reference : float
        The two numbers.
    words : str or (higher, lower, equal)
        A key of :data:`COMPARE_WORDS` (``"hoger"``, ``"meer"``, ``"langer"``, ``"groter"``) or
        the three words themselves.
    decimals : int, optional
        Compare as shown with this many decimals (see :func:`direction`).
    """
    up, down, same = COMPARE_WORDS[words] if isinstance(words, str) else words
    return {1: up, -1: down, 0: same}[direction(value, reference, decimals=decimals)]
