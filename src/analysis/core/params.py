"""Validated parameters of the parameterised notebooks, one class per notebook.

A notebook's ``parameters`` cell holds plain variables (papermill injects strings and
numbers); the next cell builds the notebook's parameter object from them, so a typo or an
impossible value (``meting=-1``, a period outside the measurement) stops the run at the
top with a clear message. New notebooks about one measurement subclass
:class:`NotebookParams`; notebooks that model several measurements together subclass
:class:`MeasurementsParams`. Both share the folders of :class:`BaseParams`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from analysis.core import measurements
from analysis.core.paths import Paths, default_paths

_YM = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

#: Seed of the build: the synthetic twin and the simulated residual diagnostics of chapter 3.
#: Notebook 03's default (``seed = None``) resolves to it, so a notebook run by hand in
#: JupyterLab gives the report's numbers.
DEFAULT_SEED = 20210531
#: Model set of the build (and of notebook 03's default ``model_set = None``).
DEFAULT_MODEL_SET = "primary+sensitivity"
#: Simulated data sets per model for the residual diagnostics.
DEFAULT_NSIM = 250


def latest_measurement(params_dir: str | Path | None = None) -> int:
    """Number of the latest measurement described in ``params_dir`` (default ``params/``)."""
    root = default_paths()
    found = measurements.load_all(Paths(root.root, params_dir=Path(params_dir) if params_dir else None))
    if not found:
        raise ValueError(f"no meting-<N>.yaml in {params_dir or root.params}")
    return max(found)


class BaseParams(BaseModel):
    """Folders shared by every notebook (processed data, build, measurement descriptions).

    Attributes
    ----------
    data_dir : str or None
        Folder with the processed tables (default ``data/processed``).
    output_dir : str or None
        Build folder; results go to ``<output_dir>/results``, figures to ``<output_dir>/figures``.
    params_dir : str or None
        Folder with the measurement descriptions (default ``params/``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    data_dir: str | None = None
    output_dir: str | None = None
    params_dir: str | None = None

    def paths(self) -> Paths:
        """Project paths with the data and output folders of these parameters."""
        root = default_paths()
        return Paths(
            root.root,
            build=Path(self.output_dir) if self.output_dir else None,
            processed=Path(self.data_dir) if self.data_dir else None,
            params_dir=Path(self.params_dir) if self.params_dir else None,
        )

    @property
    def results_dir(self) -> Path:
        """``<build>/results``."""
        return self.paths().results

    @property
    def figures_dir(self) -> Path:
        """``<build>/figures``."""
        return self.paths().figures

    @classmethod
    def from_namespace(cls, namespace: dict[str, Any]) -> "BaseParams":
        """Build from a notebook's globals: takes exactly the fields of this class."""
        return cls(**{k: namespace[k] for k in cls.model_fields if k in namespace})


class NotebookParams(BaseParams):
    """Parameters shared by every notebook about one measurement.

    Attributes
    ----------
    data_dir : str or None
        Folder with the processed tables (default ``data/processed``).
    meting : int or None
        Measurement number (``params/meting-<N>.yaml`` must exist); None: the latest configured
        measurement (what the build passes).
    first_month, last_month : str or None
        Period ``YYYY-MM``; default the measurement's own period.
    min_cell_size : int
        Smallest count displayed; 0 shows everything (national report).
    output_dir : str or None
        Build folder; results go to ``<output_dir>/results``, figures to ``<output_dir>/figures``.
    params_dir : str or None
        Folder with the measurement descriptions (default ``params/``).
    """

    meting: int | None = Field(default=None, ge=0)
    first_month: str | None = None
    last_month: str | None = None
    min_cell_size: int = Field(default=0, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _latest(cls, data: Any) -> Any:
        # None (the notebooks' default) means the latest configured measurement, which is
        # what the build passes to the chapters that describe one measurement.
        if isinstance(data, dict) and data.get("meting") is None:
            data = dict(data)
            data["meting"] = latest_measurement(data.get("params_dir"))
        return data

    @field_validator("first_month", "last_month")
    @classmethod
    def _month(cls, v: str | None) -> str | None:
        if v is not None and not _YM.match(str(v)):
            raise ValueError(f"{v!r} is not a month in the form YYYY-MM")
        return v

    @model_validator(mode="after")
    def _period(self) -> "NotebookParams":
        m = self.measurement()
        first, last = self.first_month or m.first_month, self.last_month or m.last_month
        if first > last:
            raise ValueError(f"first_month {first} is after last_month {last}")
        if first < m.first_month or last > m.last_month:
            raise ValueError(
                f"period {first}..{last} is outside measurement {self.meting} "
                f"({m.first_month}..{m.last_month})"
            )
        return self

    # --- derived values -------------------------------------------------------------
    def measurement(self) -> measurements.Measurement:
        """The measurement description (``params/meting-<N>.yaml``)."""
        found = measurements.load_all(self.paths())
        if self.meting not in found:
            raise ValueError(f"no meting-{self.meting}.yaml in {self.paths().params}; known: {sorted(found)}")
        return found[self.meting]

    def months(self) -> list[str]:
        """Months of the requested period."""
        first = self.first_month or self.measurement().first_month
        last = self.last_month or self.measurement().last_month
        return [m for m in self.measurement().months() if first <= m <= last]


class MeasurementsParams(BaseParams):
    """Parameters of a notebook that models several measurements together (chapter 3).

    Attributes
    ----------
    metingen : list of int or None
        Measurements to compare (two or more, no repeats); None: every measurement in the data.
    referentie : int or None
        Reference measurement (one of ``metingen``); None: the first.
    """

    metingen: list[int] | None = None
    referentie: int | None = None

    @field_validator("metingen")
    @classmethod
    def _metingen(cls, v: list[int] | None) -> list[int] | None:
        if v is not None and (len(set(v)) < 2 or len(set(v)) != len(v) or min(v) < 0):
            raise ValueError(f"metingen must be two or more different measurement numbers, not {v}")
        return v

    @model_validator(mode="after")
    def _reference(self) -> "MeasurementsParams":
        if self.referentie is not None and self.metingen is not None and self.referentie not in self.metingen:
            raise ValueError(f"referentie {self.referentie} is not one of metingen {self.metingen}")
        return self

    @property
    def params_path(self) -> Path | None:
        """``params_dir`` as a path (None: the project's ``params/``)."""
        return Path(self.params_dir) if self.params_dir else None


class LoloParams(MeasurementsParams):
    """Notebook 03b: leave one location out (a section of chapter 3).

    Attributes
    ----------
    model_cache : bool
        Re-use stored fits whose specification, data, code and R versions are unchanged
        (:mod:`analysis.models.cache`, folder ``<build>/cache/models``).
    scheduler : str or None
        Address of an existing Dask scheduler (``tcp://host:8786``) for the independent fits;
        None: the build's cluster (environment variable ``COMPENDIUM_DASK_SCHEDULER``), else a
        new local cluster.
    workers : int
        Worker processes of a new local cluster; 0 fits in the notebook's own process.
    """

    model_cache: bool = True
    scheduler: str | None = None
    workers: int = Field(default=2, ge=0, le=256)

    @property
    def cache_dir(self) -> Path | None:
        """Folder of the model store, or None when it is switched off."""
        return self.paths().model_cache if self.model_cache else None


class ModelsParams(LoloParams):
    """Notebook 03: change across measurements (chapter 3, Bijlage 3).

    Attributes
    ----------
    model_set : str
        ``primary`` or ``primary+sensitivity``.
    nsim : int
        Simulated data sets per model for the residual diagnostics (at least 20).
    seed : int
        Seed of the simulations.
    """

    model_set: Literal["primary", "primary+sensitivity"] = DEFAULT_MODEL_SET
    nsim: int = Field(default=DEFAULT_NSIM, ge=20)
    seed: int = DEFAULT_SEED

    @field_validator("model_set", "nsim", "seed", mode="before")
    @classmethod
    def _default(cls, v: Any, info: Any) -> Any:
        # The notebook's ``None`` means the project default (the value the build passes).
        return cls.model_fields[info.field_name].default if v is None else v


class PolicyParams(NotebookParams):
    """Notebook 01: planned-seclusion policy (chapter 1)."""


class UnplannedParams(NotebookParams):
    """Notebook 02: unplanned seclusion in one measurement (chapter 2)."""


class FactsheetParams(NotebookParams):
    """Notebook ``factsheet``: one location's factsheet (Bijlage 5), appended by the factsheet work.

    Attributes
    ----------
    location : str
        Location code (file-name safe: letters, digits, ``-`` and ``_``).
    min_cell_size : int
        Smallest count shown; default 5 (a factsheet leaves the research team).
    output_dir : str or None
        Build folder; the factsheet goes to ``<output_dir>/factsheets``.
    """

    location: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    min_cell_size: int = Field(default=5, ge=0)


class PlanningParams(LoloParams):
    """Notebook 04: planning of the next measurement (appendix "Planning van meting N+1").

    Attributes
    ----------
    plan_file : str or None
        The study file (default ``<params_dir>/plan.yaml``).
    setting : {"quick", "full"}
        Which set of designs of the study file (the build runs ``quick``).
    nsim : int or None
        Simulations per design; None: the setting's own number.
    from_params : bool
        Simulate from the ``model`` block of the study file instead of the fitted models.
    """

    plan_file: str | None = None
    setting: Literal["quick", "full"] = "quick"
    nsim: int | None = Field(default=None, ge=1)
    from_params: bool = False

    @property
    def plan_path(self) -> Path:
        """The study file."""
        return Path(self.plan_file) if self.plan_file else self.paths().params / "plan.yaml"

    @model_validator(mode="after")
    def _plan_exists(self) -> "PlanningParams":
        if not self.plan_path.is_file():
            raise ValueError(f"study file {self.plan_path} does not exist")
        return self
