"""When and how long: start hour (Figures 7-8) and duration by reason (Table 2).

Durations are skewed (many short seclusions, a few of a day), so Table 2 shows the median
beside the mean, in hours and minutes (``h:mm``) like the report.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from analysis import codebook
from analysis.core.numbers import round_half_up

#: The registration software writes 23:59 when a whole day is entered as the duration.
ONE_DAY_DEFAULT_MIN = 23 * 60 + 59
HOURS = list(range(24))


def format_hmm(minutes: float | None) -> str:
    """Minutes as ``h:mm`` (rounded to the whole minute, half up), e.g. 142.5 -> ``"2:23"``."""
    if minutes is None or pd.isna(minutes):
        return ""
    m = int(round_half_up(float(minutes), 0))
    sign = "-" if m < 0 else ""
    return f"{sign}{abs(m) // 60}:{abs(m) % 60:02d}"


def start_hour_distribution(reg: pd.DataFrame) -> pd.DataFrame:
    """Figure 7: registrations by hour of the start (0-23, empty hours as 0).

    Returns
    -------
    DataFrame
        ``hour``, ``n``, ``denominator``, ``pct``.
    """
    n = reg["uur"].value_counts().reindex(HOURS, fill_value=0).astype(int)
    out = pd.DataFrame({"hour": HOURS, "n": n.to_numpy()})
    total = int(out["n"].sum())
    out["denominator"] = total
    out["pct"] = out["n"] / total * 100 if total else np.nan
    return out


def start_hour_by_reason(reg: pd.DataFrame) -> pd.DataFrame:
    """Figure 8: start hour per reason (percentages within the reason).

    Registrations without a reason form their own block so the counts add up to the total.

    Returns
    -------
    DataFrame
        ``reason_code``, ``reason_label``, ``hour``, ``n``, ``denominator``, ``pct``.
    """
    f = codebook.field("aanleiding")
    blocks = [(str(c), f.label(c), reg["aanleiding"] == c) for c in f.codes]
    blocks.append(("na", codebook.missing_label(), reg["aanleiding"].isna()))
    parts = []
    for code, label, mask in blocks:
        sub = start_hour_distribution(reg[mask.fillna(False).astype(bool)])
        sub.insert(0, "reason_label", label)
        sub.insert(0, "reason_code", code)
        parts.append(sub)
    return pd.concat(parts, ignore_index=True)


def local_peaks(counts: Sequence[int], k: int) -> list[int]:
    """Hours of the ``k`` highest local maxima of an hourly count, in time order.

    A local maximum is at least its left neighbour and higher than its right one (so a
    plateau counts once). This is how a reader names "the peaks" of Figure 7.
    """
    c = list(counts)
    peaks = []
    for h, v in enumerate(c):
        left = c[h - 1] if h > 0 else -1
        right = c[h + 1] if h < len(c) - 1 else -1
        if v > 0 and v >= left and v > right:
            peaks.append((v, h))
    top = sorted(peaks, key=lambda t: (-t[0], t[1]))[:k]
    return sorted(h for _, h in top)


def morning_rise(counts: Sequence[int], last_hour: int = 12, share: float = 0.1) -> int:
    """Hour from which registrations clearly increase after the night's low.

    The first hour after the lowest morning hour whose count exceeds that low by ``share``
    of the day's range (max - min); a fixed share keeps night-time noise from counting as
    a rise.
    """
    c = np.asarray(counts, dtype=float)
    low_hour = int(np.argmin(c[: last_hour + 1]))
    threshold = c[low_hour] + share * (c.max() - c[low_hour])
    for h in range(low_hour + 1, last_hour + 1):
        if c[h] > threshold:
            return h
    return low_hour


def hour_profile_values(hours: pd.DataFrame, by_reason: pd.DataFrame) -> dict[str, float]:
    """Times read off Figures 7 and 8, in minutes after midnight (``ch2.fig07/08.time.*``).

    These are readings of a curve, not counts: peaks are the highest local maxima of the
    hourly counts (see :func:`local_peaks`), so they match the report to the hour.
    """
    out: dict[str, float] = {}
    n = hours["n"].tolist()
    out["ch2.fig07.time.rise_start"] = morning_rise(n) * 60.0
    p = local_peaks(n, 2)
    if len(p) == 2:
        out["ch2.fig07.time.peak1"] = p[0] * 60.0
        out["ch2.fig07.time.peak2_start"] = p[1] * 60.0
        out["ch2.fig07.time.peak2_end"] = (p[1] + 1) * 60.0

    def reason(code: str) -> list[int]:
        return by_reason.loc[by_reason["reason_code"] == code, "n"].tolist()

    both = [a + b for a, b in zip(reason("1"), reason("2"))]
    if both and local_peaks(both, 2):
        out["ch2.fig08.time.1_2.peak1"] = local_peaks(both, 2)[0] * 60.0
    p2 = local_peaks(reason("2"), 2)
    if len(p2) == 2:
        out["ch2.fig08.time.2.peak2_start"] = p2[1] * 60.0
        out["ch2.fig08.time.2.peak2_end"] = (p2[1] + 1) * 60.0
    for code, key in (("4", "4.peak"), ("3", "3.peak_start")):
        top = local_peaks(reason(code), 1)
        if top:
            out[f"ch2.fig08.time.{key}"] = top[0] * 60.0
            if code == "3":
                out["ch2.fig08.time.3.peak_end"] = (top[0] + 1) * 60.0
    for i, h in enumerate(local_peaks(reason("6"), 4), start=1):
        out[f"ch2.fig08.time.6.rise{i}"] = h * 60.0
    return out


def usable_durations(reg: pd.DataFrame) -> pd.Series:
    """Durations in minutes, NA where there is no end or the end lies before the start.

    A negative duration is a registration error (flagged by ingest), not a short seclusion.
    """
    d = pd.to_numeric(reg["duur_min"], errors="coerce").astype(float)
    if "vlag_eind_voor_start" in reg:
        d = d.mask(reg["vlag_eind_voor_start"].fillna(False).astype(bool))
    return d.mask(d < 0)


def duration_by_reason(reg: pd.DataFrame) -> pd.DataFrame:
    """Table 2: duration per reason in minutes (n, min, max, mean, median).

    ``n`` counts all registrations with the reason (as the report's "Aanleiding (aantal)");
    the statistics use those with a usable duration (``n_duration``).

    Returns
    -------
    DataFrame
        ``code``, ``label``, ``n``, ``n_duration``, ``min``, ``max``, ``mean``, ``median``
        (minutes, unrounded) and the same four as ``h:mm`` text (``*_hmm``).
    """
    f = codebook.field("aanleiding")
    dur = usable_durations(reg)
    rows = []
    for c in f.codes:
        mask = (reg["aanleiding"] == c).fillna(False).astype(bool)
        d = dur[mask].dropna()
        rows.append(
            {
                "code": str(c),
                "label": f.label(c),
                "n": int(mask.sum()),
                "n_duration": len(d),
                "min": d.min() if len(d) else np.nan,
                "max": d.max() if len(d) else np.nan,
                "mean": d.mean() if len(d) else np.nan,
                "median": d.median() if len(d) else np.nan,
            }
        )
    out = pd.DataFrame(rows)
    for stat in ("min", "max", "mean", "median"):
        out[f"{stat}_hmm"] = out[stat].map(format_hmm)
    return out


def count_one_day_default(reg: pd.DataFrame) -> int:
    """How often the duration is exactly 23:59, the software's one-day default (Table 2 note)."""
    return int((usable_durations(reg) == ONE_DAY_DEFAULT_MIN).sum())


def duration_values(table: pd.DataFrame, n_2359: int) -> dict[str, float]:
    """Values ``ch2.tab02.<stat>.<code>`` (minutes) and ``ch2.tab02.n_2359``."""
    out: dict[str, float] = {"ch2.tab02.n_2359": float(n_2359)}
    for rec in table.itertuples(index=False):
        out[f"ch2.tab02.n.{rec.code}"] = float(rec.n)
        for stat in ("min", "max", "mean", "median"):
            v = getattr(rec, stat)
            if not pd.isna(v):
                out[f"ch2.tab02.{stat}.{rec.code}"] = float(v)
    return out
