"""Published aggregates the twin is calibrated to, with their place in the report.

Values are read from ``data/reference/published_figures.csv`` (the reviewed extraction of
every published number) when it exists; otherwise the constants below are used (identical
values, typed in from the report; kept so the twin can be built from a bare checkout).
Figures the report does not publish but the twin needs (months between September and
February, Figure 6 cells other than self-harm) are *design choices*, marked as such.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

N_M2 = 1613  # §2.1 'in totaal 1613 ongeplande gedwongen afzonderingen'

#: Published figures the twin is calibrated to (ids of published_figures.csv, which holds
#: their values: one source of truth; this list only says which of them are targets).
TARGET_IDS: tuple[str, ...] = (
    "ch2.s2_1.n.registrations",
    "ch2.fig01.n.2020-09",
    "ch2.fig01.n.2021-02",
    "ch2.s2_1_1.n.youths",
    "ch2.s2_1_1.n.registrations",
    "ch2.s2_1_1.max.per_youth",
    "ch2.s2_1_1.min.per_youth",
    "ch2.s2_1_1.days.max_youth_span",
    "ch2.s2_1_1.mean.occupancy",
    "ch2.s2_1_1.n.locations_with_id",
    "ch2.s2_1.n.locations",
    "ch2.tab02.n.1",
    "ch2.tab02.n.2",
    "ch2.tab02.n.3",
    "ch2.tab02.n.4",
    "ch2.tab02.n.5",
    "ch2.tab02.n.6",
    "ch2.fig02.n.na",
    "ch2.tab02.min.1",
    "ch2.tab02.min.2",
    "ch2.tab02.min.3",
    "ch2.tab02.min.4",
    "ch2.tab02.min.5",
    "ch2.tab02.min.6",
    "ch2.tab02.max.1",
    "ch2.tab02.max.2",
    "ch2.tab02.max.3",
    "ch2.tab02.max.4",
    "ch2.tab02.max.5",
    "ch2.tab02.max.6",
    "ch2.tab02.mean.1",
    "ch2.tab02.mean.2",
    "ch2.tab02.mean.3",
    "ch2.tab02.mean.4",
    "ch2.tab02.mean.5",
    "ch2.tab02.mean.6",
    "ch2.tab02.median.1",
    "ch2.tab02.median.2",
    "ch2.tab02.median.3",
    "ch2.tab02.median.4",
    "ch2.tab02.median.5",
    "ch2.tab02.median.6",
    "ch2.tab02.n_2359",
    "ch2.fig03.n.1",
    "ch2.fig03.n.2",
    "ch2.fig03.n.3",
    "ch2.fig03.n.4",
    "ch2.fig03.n.5",
    "ch2.fig03.n.na",
    "ch2.fig04.n.1",
    "ch2.fig04.n.2",
    "ch2.fig04.n.3",
    "ch2.fig04.n.na",
    "ch2.fig05.n.1",
    "ch2.fig05.n.2",
    "ch2.fig05.n.na",
    "ch2.fig06.n.3.1",
    "ch2.fig06.n.3.2",
    "ch2.fig06.n.3.3",
    "ch2.fig06.pct.1.1",
    "ch2.fig06.pct.2.1",
    "ch2.fig06.pct.4.1",
    "ch2.fig09.n.1",
    "ch2.fig09.n.2",
    "ch2.fig09.n.3",
    "ch2.fig09.n.na",
    "ch2.fig10.n.1",
    "ch2.fig10.n.2",
    "ch2.fig10.n.3",
    "ch2.fig10.n.na",
    "ch2.fig11.n.total",
    "ch2.fig11.n.1",
    "ch2.fig11.n.2",
    "ch2.fig11.n.na",
    "ch2.fig12.n.1",
    "ch2.fig12.n.2",
    "ch2.fig12.n.3",
    "ch2.fig12.n.4",
    "ch2.fig12.n.na",
    "ch2.fig12.pct.1",
    "ch2.s2_9.n.addition_filled",
    "ch2.s2_5.n.isolation_rooms",
    "ch2.s2_5.n.locations_without_iso",
    "ch2.s2_5.n.locations_without_iso_with_other",
    "ch2.s2_5.n.locations_no_unplanned",
    "ch1.data.n.with_data",
    "ch1.data.n.without_data",
    "ch1.rest_moments.n.night_only",
    "ch1.rest_moments.n.one_day",
    "ch1.rest_moments.n.two_day",
    "ch1.day_change.n.dropped",
    "ch1.day_change.n.adjusted",
    "ch1.day_change.n.both",
    "ch1.day_change.n.unchanged",
    "ch1.day_unchanged.n.one_day",
    "ch1.day_unchanged.n.two_day",
    "ch1.day_unchanged.n.closed_jan2021",
    "ch1.night_change.n.door_opened",
    "ch1.night_change.n.ambition",
    "ch1.night_change.n.unchanged",
    "ch1.night_unchanged.n.already_open",
    "ch1.night_unchanged.n.locked",
    "ch1.night_unchanged.n.locked_closed_jan2021",
    "ch1.factors.n.promoting",
    "ch1.factors.n.hindering",
    "ch3.count_month.month.est",
    "ch3.count_month.month.ci_low",
    "ch3.count_month.month.ci_high",
    "ch3.count_meting.meting2.est",
    "ch3.count_meting.meting2.ci_low",
    "ch3.count_meting.meting2.ci_high",
    "ch3.count_interaction.month_x_meting2.est",
    "ch3.count_interaction.month_x_meting2.ci_low",
    "ch3.count_interaction.month_x_meting2.ci_high",
    "ch3.dur_month.month.est",
    "ch3.dur_month.month.ci_low",
    "ch3.dur_month.month.ci_high",
    "ch3.dur_meting.meting2.est",
    "ch3.dur_meting.meting2.ci_low",
    "ch3.dur_meting.meting2.ci_high",
    "ch3.room_iso_vs_other_meting.meting2.est",
    "ch3.room_iso_vs_other_meting.meting2.ci_low",
    "ch3.room_iso_vs_other_meting.meting2.ci_high",
    "ch3.room_other_vs_own_meting.meting2.est",
    "ch3.room_other_vs_own_meting.meting2.ci_low",
    "ch3.room_other_vs_own_meting.meting2.ci_high",
    "ch3.room_iso_vs_own_meting.meting2.est",
    "ch3.room_iso_vs_own_meting.meting2.ci_low",
    "ch3.room_iso_vs_own_meting.meting2.ci_high",
    "ch3.isodur_month.month.est",
    "ch3.isodur_month.month.ci_low",
    "ch3.isodur_month.month.ci_high",
    "ch3.isodur_meting.meting2.est",
    "ch3.isodur_meting.meting2.ci_low",
    "ch3.isodur_meting.meting2.ci_high",
    "ch3.isodur_reason_meting.agressie.est",
    "ch3.isodur_reason_meting.agressie.ci_low",
    "ch3.isodur_reason_meting.agressie.ci_high",
)

# --- design choices (not published) ---------------------------------------------------
#: Registrations per month Sep 2020 .. Feb 2021. Only the ends (300, 248) are published;
#: the four months between are a monotone declining choice summing to 1613.
MONTHLY_M2: tuple[int, ...] = (300, 290, 270, 255, 250, 248)
#: Figure 6 cells (reason -> room counts own, other, isolation, missing). Self-harm is
#: published (14/15/56 +1 missing); the others are chosen so that aggression is 64% own room
#: and order/rules and staffing 86% (of rows with a room), rest/other between, and the room
#: totals 1148/152/301/12 hold. Key 0 = reason not registered.
ROOM_BY_REASON: dict[int, tuple[int, int, int, int]] = {
    1: (384, 60, 160, 5),
    2: (590, 49, 50, 3),
    3: (14, 15, 56, 1),
    4: (6, 1, 0, 0),
    5: (52, 11, 8, 1),
    6: (97, 14, 25, 1),
    0: (5, 2, 2, 1),
}
#: 23:59 artefacts per reason (reasons whose published maximum is 23:59); total 8.
ARTEFACTS_BY_REASON: dict[int, int] = {1: 3, 2: 3, 6: 2}


@lru_cache(maxsize=4)
def _published(path: str | None) -> dict[str, tuple[float, str]]:
    if path is None or not Path(path).exists():
        raise FileNotFoundError(
            f"published figures table not found ({path}); the twin is calibrated to "
            "data/reference/published_figures.csv"
        )
    df = pd.read_csv(path, dtype={"id": str})
    out = {
        r.id: (float(r.value), str(r.report_location))
        for r in df.itertuples()
        if str(r.id).startswith(("ch1.", "ch2.", "ch3."))
    }
    missing = [k for k in TARGET_IDS if k not in out]
    if missing:
        raise KeyError(f"{path} lacks calibration targets: {missing[:5]}")
    return out


def targets(path: Path | None = None) -> dict[str, float]:
    """Id -> published value of every calibration target (:data:`TARGET_IDS`)."""
    values = published(path)
    return {k: values[k] for k in TARGET_IDS}


def published(path: Path | None = None) -> dict[str, float]:
    """Id -> published value of chapters 1-3 (from ``published_figures.csv``)."""
    if path is None:
        path = _default_csv()
    return {k: v for k, (v, _) in _published(str(path) if path else None).items()}


def where(path: Path | None = None) -> dict[str, str]:
    """Id -> place in the report."""
    if path is None:
        path = _default_csv()
    return {k: w for k, (_, w) in _published(str(path) if path else None).items()}


def _default_csv() -> Path | None:
    try:
        from analysis.core.paths import default_paths

        return default_paths().published_figures
    except RuntimeError:  # find_root: no project root; _published then raises a clear error
        return None


def category_counts(prefix: str, codes: list[int], values: dict[str, float]) -> dict[int | None, int]:
    """Counts per code (None = not registered) from ids ``<prefix>.n.<code>`` / ``.n.na``."""
    out: dict[int | None, int] = {c: int(values[f"{prefix}.n.{c}"]) for c in codes}
    out[None] = int(values[f"{prefix}.n.na"])
    return out


def youth_view_counts(values: dict[str, float]) -> dict[int | None, int]:
    """Counts of ``aanvulling_jongere`` that sum to N = 1613.

    The published counts sum to 1593. All published percentages are of 1613 and all but one
    follow from the counts; 'niet gezien' is published as n = 1039 but 66%, and
    66% of 1613 is 1059 (1039 would be 64%). The twin therefore uses 1059 for code 1 (the
    20 missing rows go there), which reproduces every percentage and N; the published
    count 1039 is the one figure that cannot be exact.
    """
    out = category_counts("ch2.fig12", [1, 2, 3, 4], values)
    out[1] = N_M2 - sum(v for k, v in out.items() if k != 1)
    return out
