"""Compute every chapter-1 and chapter-2 result and write it under the results contract.

The notebooks call :func:`chapter1` and :func:`chapter2` once; each returns the tidy tables
(keyed by their stable results name) that the notebook then shows and narrates. Each table
is written with :func:`analysis.core.results.write_result` together with the published-figure
ids it reproduces, so the reproduction check can compare them with the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from analysis.describe import categories, counts, policy, timing
from analysis.describe.load import MeasurementData
from analysis.core.results import write_result


@dataclass
class Result:
    """One artefact: its tidy table, title, published values and the function that made it."""

    name: str
    table: pd.DataFrame
    title: str
    function: str
    values: dict[str, float] = field(default_factory=dict)


def _qual(func: object) -> str:
    return f"{func.__module__}.{func.__qualname__}"  # type: ignore[attr-defined]


def _write(results_dir: Path, chapter: str, res: Result, metingen: list[int]) -> Result:
    # The measurements travel with the values, so the reproduction check compares a published
    # figure of measurement 2 only with a value computed for measurement 2.
    write_result(
        results_dir,
        res.name,
        res.table,
        chapter=chapter,
        title=res.title,
        values=res.values,
        metingen=metingen,
    )
    return res


POLICY_TITLES = {
    "ch1_data_supplied": "Locaties met en zonder gegevens over geplande afzonderingen",
    "ch1_rest_moments": "Aantal geplande rustmomenten",
    "ch1_day_change": "Veranderingen in geplande rustmomenten overdag",
    "ch1_day_unchanged": "Locaties zonder verandering overdag: rustmomenten, ambitie, sluiting",
    "ch1_night_change": "Veranderingen in nachtrust",
    "ch1_night_unchanged": "Locaties zonder verandering in nachtrust: kamerdeur 's nachts",
    "ch1_factors_promoting": "Bevorderende factoren",
    "ch1_factors_hindering": "Belemmerende factoren",
}


def chapter1(pol: pd.DataFrame, results_dir: Path) -> dict[str, Result]:
    """All chapter-1 results for the policy rows of one measurement (written to ``results_dir``)."""
    tables = {
        "ch1_data_supplied": (policy.data_supplied, (pol,)),
        "ch1_rest_moments": (policy.policy_distribution, (pol, "rustmomenten")),
        "ch1_day_change": (policy.policy_distribution, (pol, "verandering_overdag")),
        "ch1_day_unchanged": (policy.day_unchanged_breakdown, (pol,)),
        "ch1_night_change": (policy.policy_distribution, (pol, "verandering_nacht")),
        "ch1_night_unchanged": (policy.night_unchanged_breakdown, (pol,)),
        "ch1_factors_promoting": (policy.factor_frequencies, (pol, "bevorderende_factoren")),
        "ch1_factors_hindering": (policy.factor_frequencies, (pol, "belemmerende_factoren")),
    }
    out = {}
    metingen = sorted(int(m) for m in pol["meting"].unique()) if "meting" in pol.columns else []
    for name, (func, args) in tables.items():
        table = func(*args)
        res = Result(name, table, POLICY_TITLES[name], _qual(func), policy.policy_values(name, table))
        out[name] = _write(results_dir, "1", res, metingen)
    return out


ITEM_TITLES = {
    "aanleiding": "Aanleiding van ongeplande gedwongen afzonderingen",
    "doel": "Doel van ongeplande gedwongen afzonderingen",
    "ruimte": "Ruimte waarin de afzondering plaatsvond",
    "beheer_ruimte": "Beheer van de ruimte (deur op slot)",
    "contact": "Contact tijdens de afzondering",
    "evaluatie_1": "Evaluatie van de afzondering",
    "aanvulling_jongere": "Perspectief van de jongere",
}


def _coverage_values(summary: dict[str, float]) -> dict[str, float]:
    keys = {
        "n_locations": "ch2.s2_1.n.locations",
        "n_short": "ch2.s2_1.n.locations_short_registration",
        "months_short": "ch2.s2_1.months.short_registration",
        "months_period": "ch2.s2_1.months.full_registration",
        "n_ended_early": "ch2.s2_1.n.locations_closed_jan2021",
        "n_late_start": "ch2.s2_1.n.locations_late_start",
    }
    return {keys[k]: v for k, v in summary.items() if k in keys}


def _youth_values(summary: dict[str, float]) -> dict[str, float]:
    keys = {
        "n_locations_with_id": "ch2.s2_1_1.n.locations_with_id",
        "n_locations_without_id": "ch2.s2_1_1.n.locations_without_id",
        "n_youths": "ch2.s2_1_1.n.youths",
        "n_registrations": "ch2.s2_1_1.n.registrations",
        "min_per_youth": "ch2.s2_1_1.min.per_youth",
        "max_per_youth": "ch2.s2_1_1.max.per_youth",
        "max_youth_span_days": "ch2.s2_1_1.days.max_youth_span",
        "mean_occupancy": "ch2.s2_1_1.mean.occupancy",
    }
    return {keys[k]: v for k, v in summary.items() if k in keys and pd.notna(v)}


def _summary_table(summary: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame({"statistic": list(summary), "value": list(summary.values())})


def chapter2(
    data: MeasurementData,
    results_dir: Path,
    publish: Callable[[Result], Result] | None = None,
) -> dict[str, Result]:
    """All chapter-2 results for one measurement (written to ``results_dir``).

    Parameters
    ----------
    publish : callable, optional
        Turns a result into the version that is written (disclosure control on real data:
        :func:`analysis.present.publish.publisher`). The returned results are the full ones,
        for the notebook, which applies the same decision to what it displays.
    """
    out = chapter2_tables(data)
    for res in out.values():
        _write(results_dir, "2", publish(res) if publish else res, [data.meting])
    return out


def chapter2_tables(data: MeasurementData) -> dict[str, Result]:
    """All chapter-2 results for one measurement, computed but not written.

    Disclosure control builds its system of published counts from these very tables
    (:mod:`analysis.present.publish`), so it protects exactly what chapter 2 publishes.
    """
    results = [
        *_count_results(data),
        *_category_results(data.registrations),
        *_timing_results(data.registrations),
    ]
    return {res.name: res for res in results}


def _count_results(data: MeasurementData) -> list[Result]:
    """Section 2.1: registrations per month and per location-month, coverage, youths."""
    reg, months = data.registrations, data.months
    per_month = counts.registrations_per_month(reg, months)
    vals = {f"ch2.fig01.n.{m}": float(n) for m, n in zip(per_month["maand"], per_month["n"])}
    vals["ch2.s2_1.n.registrations"] = float(len(reg))
    coverage = counts.registration_coverage(reg, data.locations, months)
    youth = counts.youth_summary(reg)
    youth["mean_occupancy"] = counts.mean_occupancy(data.occupancy, months)
    return [
        Result(
            "ch2_fig01_per_month",
            per_month,
            "Aantal geregistreerde ongeplande gedwongen afzonderingen per maand",
            _qual(counts.registrations_per_month),
            vals,
        ),
        Result(
            "ch2_fig01_per_location_month",
            counts.registrations_per_location_month(reg, months, coverage["locatie"].tolist()),
            "Ongeplande gedwongen afzonderingen per locatie en maand",
            _qual(counts.registrations_per_location_month),
        ),
        Result(
            "ch2_s2_1_coverage",
            coverage,
            "Geregistreerde maanden per locatie",
            _qual(counts.registration_coverage),
            _coverage_values(counts.coverage_summary(coverage, months)),
        ),
        Result(
            "ch2_s2_1_1_youths",
            _summary_table(youth),
            "Unieke jongeren en gemiddelde bezetting",
            _qual(counts.youth_summary),
            _youth_values(youth),
        ),
        Result(
            "ch2_s2_1_1_per_youth",
            counts.registrations_per_youth(reg),
            "Aantal afzonderingen per jongere",
            _qual(counts.registrations_per_youth),
        ),
    ]


def _category_results(reg: pd.DataFrame) -> list[Result]:
    """Section 2.2: missing items, the distribution of each item, evaluation, room by reason."""
    out = [
        Result(
            "ch2_s2_2_missingness",
            categories.missingness(reg),
            "Niet ingevulde onderdelen van de registratie",
            _qual(categories.missingness),
        )
    ]
    for item, (prefix, name) in categories.FIGURE_ITEMS.items():
        t = categories.item_distribution(reg, item)
        out.append(
            Result(
                name,
                t,
                ITEM_TITLES[item],
                _qual(categories.item_distribution),
                categories.distribution_values(t, prefix),
            )
        )
    t = categories.evaluation_with_youth(reg)
    vals = categories.distribution_values(t, "ch2.fig11")
    vals["ch2.fig11.n.total"] = float(t["denominator"].iloc[0])
    out.append(
        Result(
            "ch2_fig11_evaluation_with_youth",
            t,
            "Evaluatie met jongere",
            _qual(categories.evaluation_with_youth),
            vals,
        )
    )
    t = categories.room_by_reason(reg)
    out.append(
        Result(
            "ch2_fig06_room_by_reason",
            t,
            "Ruimte per type aanleiding",
            _qual(categories.room_by_reason),
            categories.room_by_reason_values(t),
        )
    )
    return out


def _timing_results(reg: pd.DataFrame) -> list[Result]:
    """Section 2.3: start hour (overall and per reason) and duration per reason."""
    hours = timing.start_hour_distribution(reg)
    by_reason = timing.start_hour_by_reason(reg)
    profile = timing.hour_profile_values(hours, by_reason)
    durations = timing.duration_by_reason(reg)
    return [
        Result(
            "ch2_fig07_start_hour",
            hours,
            "Tijdstip van aanvang",
            _qual(timing.start_hour_distribution),
            {k: v for k, v in profile.items() if k.startswith("ch2.fig07")},
        ),
        Result(
            "ch2_fig08_start_hour_by_reason",
            by_reason,
            "Tijdstip van aanvang per aanleiding",
            _qual(timing.start_hour_by_reason),
            {k: v for k, v in profile.items() if k.startswith("ch2.fig08")},
        ),
        Result(
            "ch2_tab02_duration_by_reason",
            durations,
            "Duur van de afzondering per type aanleiding in uren en minuten",
            _qual(timing.duration_by_reason),
            timing.duration_values(durations, timing.count_one_day_default(reg)),
        ),
    ]
