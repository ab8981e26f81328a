"""The one number formatter of the compendium: report, factsheets, appendices and CLI.

Every number a reader sees goes through this module, so one value is never shown two ways.
The rules, stated once:

* **Rounding**: half away from zero on the decimal value ("half-up", 0,125 -> 0,13), by
  :func:`analysis.core.numbers.round_half_up`; a value that rounds to zero is shown without a
  sign (never ``-0,00``).
* **Decimal separator**: comma in Dutch (``nl``), point in English (``en``).
* **Thousands separator**: only for numbers of five or more integer digits, a point in Dutch
  (``12.345``) and a comma in English (``12,345``); four-digit numbers stay ungrouped
  (``1613``), as in the 2021 report.
* **No exponent notation**: tiny values are shown by :func:`significant` or :func:`shortest` with at most
  :data:`MAX_DECIMALS` decimals, p-values below the shown precision as ``< 0,001``.
* **Percentages**: whole percentages, one decimal below 0,5% (``0,4%``) so a small non-zero
  share does not read as ``0%``.
* **p-values**: three decimals; below 0,001 ``< 0,001``. A p that was *published* as an upper
  bound (``p < .001``, kind ``p_upper_bound``) is always shown as a bound, never as ``0,001``.
* **Confidence intervals**: ``0,85 tot 0,99`` (``0.85 to 0.99`` in English). A dash or a
  comma between two decimal-comma numbers would be ambiguous (negative bounds, ``[0,85, 0,99]``).
* **No-break spaces** inside ``< 0,001`` and ``0,85 tot 0,99``: a table cell or a line never
  breaks inside one value.
* **Missing**: an empty string; callers that need a visible mark add their own.

It also holds the one Markdown table writer (:func:`pipe_table`, :func:`table_markdown`): the
notebooks, the appendices and appendix A's model tables differ only in their
:class:`TableLayout` (how the separator line sizes and aligns the columns), and month labels
(:func:`month`) of :class:`analysis.core.months.Month`.
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Sequence

from analysis.core.months import MONTHS_NL, MONTHS_NL_SHORT, Month
from analysis.core.numbers import round_half_up

if TYPE_CHECKING:  # pandas only for the table writer: a no-op build imports this module without it
    import pandas as pd

Lang = Literal["nl", "en"]

DECIMAL: dict[str, str] = {"nl": ",", "en": "."}
THOUSANDS: dict[str, str] = {"nl": ".", "en": ","}
#: Smallest absolute value that gets thousands separators (five integer digits).
GROUP_FROM = 10_000
#: Most decimals :func:`significant` shows; smaller magnitudes round to 0.
MAX_DECIMALS = 6
#: Word between the bounds of an interval.
CI_JOIN: dict[str, str] = {"nl": "\u00a0tot\u00a0", "en": "\u00a0to\u00a0"}
#: Between "<" and the bound of a small p: a no-break space (the cell never wraps inside).
LT = "<\u00a0"


def is_missing(x: Any) -> bool:
    """True for None, NaN, pandas NA/NaT and non-numeric placeholders of a missing value."""
    if x is None:
        return True
    try:
        return bool(x != x) or str(x) in ("<NA>", "NaT")  # NaN and pd.NA / NaT
    except (TypeError, ValueError):
        return str(x) in ("<NA>", "NaT")


def number(x: float | int | None, decimals: int = 0, lang: Lang = "nl") -> str:
    """Format a number by the rules of this module.

    Parameters
    ----------
    x : float, int or None
        Value; a missing value gives an empty string.
    decimals : int
        Number of decimals shown (after half-up rounding).
    lang : {"nl", "en"}
        Language of the separators.

    Returns
    -------
    str
        e.g. ``"688,1"``, ``"1613"``, ``"12.345"`` (nl); ``"688.1"``, ``"12,345"`` (en).
    """
    if is_missing(x):
        return ""
    x = float(x)
    if math.isinf(x):
        return ("-" if x < 0 else "") + "∞"
    r = round_half_up(x, decimals)
    if r == 0:
        r = 0.0  # no "-0,00"
    text = f"{abs(r):.{decimals}f}"
    whole, _, frac = text.partition(".")
    if abs(r) >= GROUP_FROM:
        groups = []
        while len(whole) > 3:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        whole = THOUSANDS[lang].join([whole, *groups])
    out = whole + (DECIMAL[lang] + frac if frac else "")
    return ("-" if r < 0 else "") + out


def integer(n: int | float | None, lang: Lang = "nl") -> str:
    """A count: :func:`number` with no decimals."""
    return number(n, 0, lang)


def signed(x: float | None, decimals: int = 0, lang: Lang = "nl") -> str:
    """Number with an explicit sign for a difference (``+0,4``, ``-1``, ``0``)."""
    s = number(x, decimals, lang)
    return s if s == "" or s.startswith("-") or set(s) <= set("0,.") else "+" + s


def pct_decimals(pct: float) -> int:
    """Decimals of a percentage: one below 0,5% (and above 0), else none."""
    return 1 if 0 < abs(pct) < 0.5 else 0


def percent(pct: float | None, lang: Lang = "nl", decimals: int | None = None) -> str:
    """Percentage (0-100) with a ``%`` sign, e.g. ``"43%"``, ``"0,4%"``; empty when missing.

    Parameters
    ----------
    pct : float or None
        Percentage, unrounded.
    lang : {"nl", "en"}
        Language of the decimal separator.
    decimals : int, optional
        Fixed number of decimals; default :func:`pct_decimals`.
    """
    if is_missing(pct):
        return ""
    d = pct_decimals(float(pct)) if decimals is None else decimals
    return number(pct, d, lang) + "%"


def significant(x: Any, digits: int = 3, lang: Lang = "nl") -> str:
    """Number with ``digits`` significant digits, never in exponent notation.

    Magnitudes below ``10**-MAX_DECIMALS`` round to ``0`` (differences of ``1e-13`` are
    floating-point noise, not findings); use :func:`pvalue` for p-values.
    """
    if is_missing(x) or isinstance(x, bool) or not isinstance(x, numbers.Real):
        return ""
    x = float(x)
    if x == 0 or math.isinf(x):
        return number(x, 0, lang)
    decimals = min(MAX_DECIMALS, max(0, digits - 1 - math.floor(math.log10(abs(x)))))
    if round_half_up(x, decimals) == 0:
        return number(0, 0, lang)
    return number(x, decimals, lang)


def shortest(x: Any, lang: Lang = "nl", max_decimals: int = MAX_DECIMALS) -> str:
    """Number with as few decimals as it needs (at most ``max_decimals``): ``47,24``, ``0,5``, ``3``.

    For values typed into a table (published figures, calibration targets), whose stored
    precision is their meaning.
    """
    if is_missing(x) or isinstance(x, bool) or not isinstance(x, numbers.Real):
        return ""
    text = f"{round_half_up(float(x), max_decimals):.{max_decimals}f}".rstrip("0")
    return number(x, len(text.partition(".")[2]), lang)


def pvalue(p: float | None, decimals: int = 3, lang: Lang = "nl", *, upper_bound: bool = False) -> str:
    """p-value cell: ``0,046``, ``< 0,001``; empty when missing.

    Parameters
    ----------
    p : float or None
        p-value.
    decimals : int
        Decimals shown; a p below ``10**-decimals`` is shown as ``< 0,001``.
    lang : {"nl", "en"}
        Language of the decimal separator.
    upper_bound : bool
        ``p`` is a published bound (``p < .001`` stored as 0.001): shown as ``< 0,001``.
    """
    if is_missing(p):
        return ""
    floor = 10.0**-decimals
    if upper_bound:
        return LT + number(p, decimals, lang)
    if float(p) < floor:
        return LT + number(floor, decimals, lang)
    return number(p, decimals, lang)


def p_text(p: float | None, decimals: int = 3, lang: Lang = "nl", *, upper_bound: bool = False) -> str:
    """p-value for running text: ``p = 0,046`` or ``p < 0,001``."""
    cell = pvalue(p, decimals, lang, upper_bound=upper_bound)
    if cell == "":
        return ""
    return f"p {cell}" if cell.startswith("<") else f"p = {cell}"


def ci(low: float | None, high: float | None, decimals: int = 2, lang: Lang = "nl") -> str:
    """Confidence interval ``0,90 tot 0,94`` (``0.90 to 0.94``); empty when a bound is missing."""
    if is_missing(low) or is_missing(high):
        return ""
    return number(low, decimals, lang) + CI_JOIN[lang] + number(high, decimals, lang)


def published(value: float | None, decimals: Any = None, kind: str | None = None, lang: Lang = "nl") -> str:
    """A figure of the published report as it was published (``< 0,001`` for a p bound).

    Parameters
    ----------
    value : float or None
        Stored value of ``data/reference/published_figures.csv``.
    decimals : int, optional
        Published number of decimals (missing: as few as the value needs, at most 6).
    kind : str, optional
        ``p_upper_bound`` marks a p published as ``p < value``.
    lang : {"nl", "en"}
        Language of the separators.
    """
    if is_missing(value):
        return ""
    d = None if is_missing(decimals) else int(decimals)
    if kind == "p_upper_bound":
        return pvalue(value, 3 if d is None else d, lang, upper_bound=True)
    if d is None:
        return shortest(value, lang)
    return number(value, d, lang)


def cell(value: Any, lang: Lang = "nl", decimals: int = 1) -> str:
    """Text of one table cell: integers plain, floats with ``decimals`` decimals, NA empty.

    Whole floats (counts that went through a float column) print as integers; booleans as
    ja/nee (yes/no); text unchanged.
    """
    if is_missing(value):
        return ""
    if isinstance(value, bool):
        return ("ja" if value else "nee") if lang == "nl" else ("yes" if value else "no")
    if isinstance(value, numbers.Integral):
        return integer(int(value), lang)
    if isinstance(value, numbers.Real):
        return integer(value, lang) if float(value).is_integer() else number(float(value), decimals, lang)
    return str(value)


def month(ym: str | Month, long: bool = False, *, year: bool = True) -> str:
    """A month for the reader: ``"2020-09"`` -> ``"sep 2020"`` (``long``: ``"september 2020"``).

    Parameters
    ----------
    ym : str or Month
        The month, ``YYYY-MM``.
    long : bool
        Write the month's name in full (summary, method paragraph); default the short name
        (figures, tables, chapter text).
    year : bool
        Add the year; without it only the name (``"sep"``: ticks of a chart whose title says the period).
    """
    m = Month.parse(ym)
    name = (MONTHS_NL if long else MONTHS_NL_SHORT)[m.month - 1]
    return f"{name} {m.year}" if year else name


def seconds(s: float, lang: Lang = "en") -> str:
    """Elapsed time for the CLI: ``"3.4 s"`` (one decimal)."""
    return number(s, 1, lang) + " s"


# --- Markdown pipe tables ---------------------------------------------------------------------
#: Zero-width space: a line-break opportunity that prints nothing; not counted in column widths.
ZWSP = "\u200b"
#: Text that reads as a number (``43%``, ``<5``, ``1,5``, ``12:30``): right-aligned in notebook tables.
NUMERIC_TEXT = re.compile(r"^[<>]?\s?-?[\d.,:]+%?$")
#: Text that reads as a plain number (``<0,001``, ``-1,25``): right-aligned in model tables.
PLAIN_NUMBER_TEXT = re.compile(r"^[<>]?\s?-?[\d.,]+$")


@dataclass(frozen=True)
class TableLayout:
    """How :func:`pipe_table` aligns columns and sizes its separator line.

    The dashes of the separator line set the relative column widths that pandoc uses when a
    table is wider than a line, so each kind of table keeps the widths it was designed with.

    Attributes
    ----------
    cap : int or None
        None: every column's dashes are as wide as its header (at least 3). Otherwise the
        width of the longest cell or header, at most ``cap`` characters.
    pad : int
        Characters added to a content width (room for the cell padding of narrow columns).
    header_words : bool
        A column is at least as wide as the longest word of its header plus 3, so headers of
        narrow columns cannot run into each other.
    numeric_text : re.Pattern or None
        A text column whose every non-empty cell matches is right-aligned, as numeric
        columns are; None: only numeric columns are.
    trim : bool
        Strip spaces around headers and cells. The notebooks' tables keep them: the model
        tables of chapter 3 pad their headers with spaces to set the relative column widths.
    """

    cap: int | None = None
    pad: int = 0
    header_words: bool = False
    numeric_text: re.Pattern[str] | None = NUMERIC_TEXT
    trim: bool = False


#: The notebooks' tables (chapters 1 and 2): dashes follow the header.
NOTEBOOK_TABLE = TableLayout()
#: The appendices' tables: widths follow the content up to 45 characters, never below the header's words.
APPENDIX_TABLE = TableLayout(cap=45, header_words=True, numeric_text=None, trim=True)
#: Appendix A's model tables: widths follow the content up to 34 characters, two more for padding.
MODEL_TABLE = TableLayout(cap=34, pad=2, numeric_text=PLAIN_NUMBER_TEXT, trim=True)


def escape_cell(text: str, trim: bool = False) -> str:
    """Cell text safe inside a pipe table: ``|`` escaped, line breaks as spaces (``trim``: stripped)."""
    # A pipe inside a cell would end the cell early; a line break would end the row.
    safe = text.replace("|", "\\|").replace("\n", " ")
    return safe.strip() if trim else safe


def _align(col: pd.Series, texts: list[str], layout: TableLayout) -> str:
    """``r`` for a numeric column or numeric-looking text (see :class:`TableLayout`), else ``l``."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(col):
        return "l"
    if pd.api.types.is_numeric_dtype(col):
        return "r"
    shown = [t for t in texts if t != ""]
    pattern = layout.numeric_text
    return "r" if pattern is not None and shown and all(pattern.match(t) for t in shown) else "l"


def _width(header: str, texts: list[str], layout: TableLayout) -> int:
    """Number of dashes of one column (see :class:`TableLayout`)."""
    if layout.cap is None:
        return max(3, len(header))
    content = max([len(header)] + [len(t.replace(ZWSP, "")) for t in texts])
    width = min(layout.cap, content) + layout.pad
    if layout.header_words:
        width = max(width, max(len(w) for w in (header.split() or [""])) + 3)
    return max(3, width)


def pipe_table(
    df: pd.DataFrame, align: Sequence[str] | None = None, layout: TableLayout = NOTEBOOK_TABLE
) -> str:
    """A DataFrame as a pandoc pipe table: the one Markdown table writer of the compendium.

    Parameters
    ----------
    df : DataFrame
        Table to show; every cell goes through :func:`cell` (text unchanged, numbers by the
        rules of this module), column names become the header.
    align : sequence of {"l", "r"}, optional
        Alignment per column (a string of letters works too); default from ``layout``.
    layout : TableLayout
        Column widths and default alignment (:data:`NOTEBOOK_TABLE`, :data:`APPENDIX_TABLE`,
        :data:`MODEL_TABLE`).

    Returns
    -------
    str
        Header, separator line and one line per row (no trailing newline).
    """
    headers = [escape_cell(str(c), layout.trim) for c in df.columns]
    columns = [[escape_cell(cell(v), layout.trim) for v in df.iloc[:, i]] for i in range(df.shape[1])]
    if align is None:
        align = [_align(df.iloc[:, i], texts, layout) for i, texts in enumerate(columns)]
    rule = "|".join(
        ("-" * _width(h, texts, layout) + ":") if a == "r" else (":" + "-" * _width(h, texts, layout))
        for h, texts, a in zip(headers, columns, align)
    )
    body = ["| " + " | ".join(row) + " |" for row in zip(*columns)] if columns else []
    return "\n".join(["| " + " | ".join(headers) + " |", f"|{rule}|", *body])


def table_markdown(
    df: pd.DataFrame,
    caption: str | None = None,
    label: str | None = None,
    *,
    note: str | None = None,
    align: Sequence[str] | None = None,
    layout: TableLayout = NOTEBOOK_TABLE,
) -> str:
    """A pipe table with its ``: caption {#tbl-label}`` line and an optional ``*Noot.*`` paragraph.

    Parameters
    ----------
    df : DataFrame
        Table (see :func:`pipe_table`).
    caption, label : str, optional
        Caption and cross-reference label (without ``tbl-``); no caption line without a caption.
    note : str, optional
        Text of the paragraph under the table that starts with ``*Noot.*``.
    align, layout
        As for :func:`pipe_table`.

    Returns
    -------
    str
        Markdown ending in a newline.
    """
    parts = [pipe_table(df, align, layout)]
    if caption:
        parts += ["", f": {caption}" + (f" {{#tbl-{label}}}" if label else "")]
    if note:
        parts += ["", f"*Noot.* {note}"]
    return "\n".join(parts) + "\n"
