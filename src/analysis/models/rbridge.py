"""The one place that talks to R: session start-up, data conversion, capture of warnings.

``rpy2`` is imported lazily (inside functions), so importing :mod:`analysis.models` costs
nothing until a model is fitted. Every R call that fits or summarises a model goes through
:func:`call_captured`, which wraps the call in ``withCallingHandlers`` / ``tryCatch`` so that
R warnings (convergence, singular fit, ...) and messages are *returned*, never lost, and an R
error becomes a status instead of an exception deep in rpy2.

pymer4 is not used on the fitting path: its import costs 10-14 s on this machine (half the
30 s budget), it needs polars frames, it has no negative-binomial family and it hides R's
convergence warnings. lme4 and glmmTMB are called directly with the same formulas.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

R_PACKAGES = ("lme4", "glmmTMB", "MASS")
INFERENCE_PACKAGES = ("lmerTest", "RLRsim")
"""R packages of the small-sample inference (:mod:`analysis.models.smallsample`): called through
``pkg::`` (never attached, so ``lmerTest::lmer`` cannot mask ``lme4::lmer``), versions recorded."""

R_HELPERS_FILE = "helpers.R"
"""R code of the helper functions (``src/analysis/models/helpers.R``), read as package data."""


def r_helpers() -> str:
    """Source of the R helper functions (:data:`R_HELPERS_FILE`)."""
    from importlib import resources

    return resources.files("analysis.models").joinpath(R_HELPERS_FILE).read_text("utf-8")


@dataclass
class Captured:
    """Result of an R call run under ``withCallingHandlers``.

    Attributes
    ----------
    value : Any
        The R value (``None`` when the call failed).
    warnings, messages : list of str
        R warnings and messages raised during the call, in order.
    error : str
        R error message, empty when the call succeeded.
    """

    value: Any
    warnings: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def failed(self) -> bool:
        """Whether the R call raised an error."""
        return bool(self.error)


# Embedded R adds its library folders to LD_LIBRARY_PATH (and sets R_HOME) in this process.
# Child processes inherit that: a Jupyter kernel started afterwards (papermill) then loads the
# system libpython instead of its own and fails (seen: "undefined symbol: _PyModule_Add").
# R's libraries are loaded once R runs, so the variable is put back for children.
_LD_BEFORE_R = os.environ.get("LD_LIBRARY_PATH")


def _restore_child_env() -> None:
    """Give child processes the LD_LIBRARY_PATH this process started with."""
    if _LD_BEFORE_R is None:
        os.environ.pop("LD_LIBRARY_PATH", None)
    else:
        os.environ["LD_LIBRARY_PATH"] = _LD_BEFORE_R


@lru_cache(maxsize=1)
def session() -> Any:
    """Start R (once), load the model packages quietly and define the helper functions.

    Returns
    -------
    rpy2.robjects.R
        The embedded R instance (``rpy2.robjects.r``).
    """
    import rpy2.robjects as ro

    _restore_child_env()

    pkgs = "; ".join(f"library({p})" for p in R_PACKAGES)
    ro.r(f"suppressPackageStartupMessages({{ {pkgs} }})")
    ro.r(r_helpers())
    return ro.r


def helper(name: str) -> Any:
    """Return one R helper function defined in the ``.cc`` environment."""
    r = session()
    return r(f".cc${name}")


@lru_cache(maxsize=1)
def versions() -> dict[str, str]:
    """R version and versions of the R packages used for fitting.

    Returns
    -------
    dict
        ``{"R": "4.2.2", "lme4": "1.1.31", ...}`` plus ``rpy2``.
    """
    import rpy2

    _restore_child_env()

    r = session()
    out = {"R": str(r("paste(R.version$major, R.version$minor, sep='.')")[0])}
    for p in R_PACKAGES + INFERENCE_PACKAGES:
        out[p] = str(r(f"as.character(packageVersion('{p}'))")[0])
    out["rpy2"] = rpy2.__version__
    return out


def _r_vector(values: pd.Series) -> Any:
    """Convert one pandas column to an R vector with proper NA handling."""
    import rpy2.robjects as ro

    _restore_child_env()

    if pd.api.types.is_bool_dtype(values.dtype):
        return ro.BoolVector([bool(v) for v in values])
    if pd.api.types.is_numeric_dtype(values.dtype):
        arr = pd.to_numeric(values).astype("float64").to_numpy(na_value=np.nan)
        return ro.FloatVector([ro.NA_Real if np.isnan(v) else float(v) for v in arr])
    return ro.StrVector([ro.NA_Character if pd.isna(v) else str(v) for v in values])


def to_r(frame: pd.DataFrame) -> Any:
    """Convert a pandas frame to an R ``data.frame`` without ``pandas2ri``.

    Booleans become logical, numbers double, everything else character (NA kept). Factors are
    made in R by the ``prepare`` helper. ``pandas2ri`` is avoided on purpose: rpy2 3.5 does not
    know pandas 3's string dtype.

    Parameters
    ----------
    frame : DataFrame
        Columns to convert.

    Returns
    -------
    rpy2.robjects.DataFrame
    """
    import rpy2.rlike.container as rlc
    import rpy2.robjects as ro

    _restore_child_env()

    session()
    od = rlc.OrdDict([(str(c), _r_vector(frame[c])) for c in frame.columns])
    return ro.DataFrame(od)


def from_r_frame(rdf: Any) -> pd.DataFrame:
    """Convert a small R ``data.frame`` of numbers and strings to pandas."""
    import rpy2.robjects as ro

    _restore_child_env()

    cols = {}
    for name, col in zip(rdf.names, rdf):
        if isinstance(col, ro.StrVector):
            cols[name] = [None if v is ro.NA_Character else str(v) for v in col]
        else:
            cols[name] = np.asarray(col, dtype=float)
    return pd.DataFrame(cols)


def call_captured(fun: Any, **kwargs: Any) -> Captured:
    """Call an R function under ``withCallingHandlers`` and return value, warnings and error.

    Parameters
    ----------
    fun : R function
        Any R closure (e.g. from :func:`helper`).
    **kwargs
        Named arguments passed to the R function (R values or Python scalars).

    Returns
    -------
    Captured
    """
    import rpy2.rlike.container as rlc
    import rpy2.robjects as ro

    _restore_child_env()

    r = session()
    args = ro.vectors.ListVector(rlc.OrdDict([(k, _scalar(v)) for k, v in kwargs.items()]))
    thunk = r("function(f, args) function() do.call(f, args)")(fun, args)
    res = r_list(r(".cc$capture")(thunk))
    failed = bool(res["failed"][0])
    return Captured(
        value=None if failed else res["value"],
        warnings=[str(w) for w in res["warnings"]],
        messages=[str(m) for m in res["messages"]],
        error=str(res["error"][0]) if failed else "",
    )


def _scalar(value: Any) -> Any:
    """Wrap Python scalars as length-one R vectors; pass R objects through."""
    import rpy2.robjects as ro

    _restore_child_env()

    if isinstance(value, bool):
        return ro.BoolVector([value])
    if isinstance(value, int):
        return ro.IntVector([value])
    if isinstance(value, float):
        return ro.FloatVector([value])
    if isinstance(value, str):
        return ro.StrVector([value])
    if isinstance(value, (list, tuple)):
        return ro.StrVector([str(v) for v in value])
    return value


def r_list(obj: Any) -> dict[str, Any]:
    """Turn a named R list into a Python dict of its elements."""
    return dict(zip(obj.names, obj))
