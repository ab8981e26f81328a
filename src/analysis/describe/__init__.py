"""Descriptive results of chapters 1 and 2: pure functions of DataFrames -> tidy DataFrames.

Modules
-------
load        read and validate the processed tables of one measurement
policy      chapter 1, planned-seclusion policy
counts      registrations per month and location, coverage, unique youths, occupancy
categories  distributions with the missing category, room by reason, missingness
timing      start hour, duration by reason (Table 2)
suppress    minimum cell size for displayed counts
chapters    compute and write every result of a chapter under the results contract
"""

from analysis.describe.categories import (
    distribution,
    evaluation_with_youth,
    item_distribution,
    missingness,
    room_by_reason,
)
from analysis.describe.chapter_results import Result, chapter1, chapter2
from analysis.describe.counts import (
    mean_occupancy,
    registration_coverage,
    registrations_per_location_month,
    registrations_per_month,
    registrations_per_youth,
    youth_summary,
)
from analysis.describe.load import ContractError, MeasurementData, load_measurement, load_policy
from analysis.describe.suppress import suppress_counts
from analysis.describe.timing import (
    count_one_day_default,
    duration_by_reason,
    format_hmm,
    start_hour_by_reason,
    start_hour_distribution,
)

__all__ = [
    "ContractError",
    "MeasurementData",
    "Result",
    "chapter1",
    "chapter2",
    "count_one_day_default",
    "distribution",
    "duration_by_reason",
    "evaluation_with_youth",
    "format_hmm",
    "item_distribution",
    "load_measurement",
    "load_policy",
    "mean_occupancy",
    "missingness",
    "registration_coverage",
    "registrations_per_location_month",
    "registrations_per_month",
    "registrations_per_youth",
    "room_by_reason",
    "start_hour_by_reason",
    "start_hour_distribution",
    "suppress_counts",
    "youth_summary",
]
