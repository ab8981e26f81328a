"""Measurement descriptions (``params/meting-<N>.yaml``), validated.

A measurement is configuration, not code: adding ``params/meting-3.yaml`` (and its raw folder)
is all it takes for ingest, chapter 2 and the chapter-3 models to include it.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, field_validator, model_validator

from analysis.core.errors import UserError
from analysis.core.months import MONTHS_NL as MONTHS_NL  # re-exported: month names of dates
from analysis.core.months import month_range
from analysis.core.paths import Paths, default_paths


_YM = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class Measurement(BaseModel):
    """One six-month registration period."""

    meting: int = Field(ge=0, description="Measurement number (1, 2, ...)")
    folder: str = Field(description="Folder under the raw-data root, e.g. 'meting-2'")
    first_month: str = Field(description="First month, YYYY-MM")
    last_month: str = Field(description="Last month, YYYY-MM")
    expected_locations: int = Field(ge=1)
    label: str = ""
    max_quarantine_share: float = Field(
        0.05,
        ge=0,
        le=1,
        description="Largest share of the registrations ingest may quarantine before the build stops "
        "(rows outside the period not counted)",
    )
    repeated_files: list[str] = Field(
        default_factory=list,
        description="Registration files that may repeat another file of this measurement on purpose "
        "(path under data/raw/ or file name); any other repeated file stops the build",
    )

    @field_validator("first_month", "last_month")
    @classmethod
    def _is_month(cls, v: str) -> str:
        if not _YM.match(str(v)):
            raise ValueError(f"{v!r} is not a month in the form YYYY-MM")
        return str(v)

    @model_validator(mode="after")
    def _ordered(self) -> "Measurement":
        if self.first_month > self.last_month:
            raise ValueError(f"first_month {self.first_month} is after last_month {self.last_month}")
        return self

    def months(self) -> list[str]:
        """All months of the period as ``YYYY-MM`` strings."""
        return month_range(self.first_month, self.last_month)


class ParamsError(UserError, ValueError):
    """A measurement description that cannot be used; the message names the file (exit 2)."""


def load(path: Path) -> Measurement:
    """Read and validate one ``meting-<N>.yaml``.

    Raises
    ------
    ParamsError
        Unreadable file, YAML error or an invalid field; one line naming the file.
    """
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
        if not isinstance(data, dict):
            raise ValueError(
                "expected a mapping of meting, folder, first_month, last_month, expected_locations"
            )
        return Measurement(**data)
    except Exception as exc:  # OS, YAML, pydantic or **data errors: re-raised naming the file
        msg = " ".join(str(exc).split())
        raise ParamsError(
            f"{path}: {msg} - correct the file (a YAML mapping of meting, folder, first_month, "
            "last_month, expected_locations)"
        ) from exc


def load_all(paths: Paths | None = None) -> dict[int, Measurement]:
    """All measurements described in ``params/``, keyed by number."""
    paths = paths or default_paths()
    found = {}
    for p in sorted(paths.params.glob("meting-*.yaml")):
        m = load(p)
        found[m.meting] = m
    return dict(sorted(found.items()))
