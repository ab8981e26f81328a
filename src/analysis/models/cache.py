"""Content-addressed store of fitted models: a rebuild refits only models whose data changed.

The build re-runs the chapter-3 notebooks whenever any registration changes, but a corrected
end time changes only the duration models' data; the counts, rooms and their ~100 sensitivity
and leave-one-location-out fits see exactly the same rows. :func:`analysis.models.fit.fit`
therefore looks up each fit under a key that covers everything the fit depends on:

* the specification (every field of :class:`~analysis.models.spec.ModelSpec`),
* the exact model data (columns, dtypes and values, row order included),
* the measurement levels and whether the LR test of the random intercept is wanted,
* the source of the modules that compute a fit (``fit.py``, ``rbridge.py``, ``lrtest.py``,
  ``spec.py``) and the versions of R, lme4, glmmTMB, MASS and rpy2.

A stored value is the plain :class:`~analysis.models.fit.ModelResult` without its R object;
residual diagnostics are stored next to it under the fit key plus their own settings. Fits are
deterministic, so a hit returns what a refit would return (``tests/test_models_cache.py``).
The store is off unless a folder is given (the chapter-3 pipelines run their fits inside
:func:`using` with ``Paths.model_cache``); ``compendium build --force`` empties it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator, Sequence

import pandas as pd


@dataclass
class CacheState:
    """Where the store is and how it was used in this process."""

    folder: Path | None = None
    hits: int = 0
    misses: int = 0


STATE = CacheState()


def activate(folder: Path | None) -> None:
    """Use ``folder`` as the store (``None`` switches caching off); resets the counters."""
    STATE.folder = Path(folder) if folder is not None else None
    STATE.hits = STATE.misses = 0
    if STATE.folder is not None:
        STATE.folder.mkdir(parents=True, exist_ok=True)


def active() -> bool:
    """Whether fits are looked up and stored."""
    return STATE.folder is not None


@lru_cache(maxsize=1)
def code_digest() -> str:
    """SHA-256 over the code that computes a fit: the import closure of ``models.fit``."""
    from analysis.core import deps

    return deps.code_digest(["analysis.models.fit"])


def data_digest(data: pd.DataFrame) -> str:
    """SHA-256 of a frame's columns, dtypes and values (row order included)."""
    h = hashlib.sha256()
    h.update(repr([(str(c), str(t)) for c, t in data.dtypes.items()]).encode())
    h.update(pd.util.hash_pandas_object(data, index=False).to_numpy().tobytes())
    return h.hexdigest()


def fit_key(spec: Any, data: pd.DataFrame, meting_levels: Sequence[str], with_lr: bool) -> str:
    """Key of one fit (see the module docstring for what it covers)."""
    from analysis.models import rbridge

    parts = [
        repr(sorted(asdict(spec).items())),
        data_digest(data),
        repr(list(meting_levels)),
        repr(bool(with_lr)),
        code_digest(),
        repr(sorted(rbridge.versions().items())),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def derived_key(key: str, *parts: Any) -> str:
    """Key of something computed from a fit (e.g. diagnostics with nsim and seed)."""
    return hashlib.sha256("\n".join([key, *map(repr, parts)]).encode()).hexdigest()


def _path(key: str) -> Path:
    assert STATE.folder is not None
    return STATE.folder / key[:2] / f"{key}.pkl"


def load(key: str) -> Any | None:
    """The stored value of ``key``, or None (counted as a hit or a miss)."""
    if STATE.folder is None:
        return None
    path = _path(key)
    if not path.exists():
        STATE.misses += 1
        return None
    try:
        with open(path, "rb") as fh:
            value = pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
        STATE.misses += 1  # unreadable (e.g. interrupted write by an older version): refit
        return None
    STATE.hits += 1
    return value


def store(key: str, value: Any) -> None:
    """Write ``value`` under ``key`` atomically (two notebooks may run at once)."""
    if STATE.folder is None:
        return
    path = _path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


@dataclass
class Usage:
    """Hits and misses of one :func:`using` block."""

    folder: Path | None
    hits: int = 0
    misses: int = 0

    def summary(self) -> str:
        """One Dutch sentence for the notebook: how many fits came from the store."""
        if self.folder is None:
            return "Modelcache uit: alle modellen zijn opnieuw geschat."
        total = self.hits + self.misses
        return (
            f"Modelcache: {self.hits} van de {total} modellen en diagnostieken kwamen uit de cache "
            f"(zelfde specificatie, data, code en R-versies); {self.misses} zijn opnieuw berekend."
        )


@contextmanager
def using(folder: Path | None) -> Iterator[Usage]:
    """Use ``folder`` as the store inside the block (None: no store); restores the previous one."""
    before = (STATE.folder, STATE.hits, STATE.misses)
    activate(folder)
    usage = Usage(STATE.folder)
    try:
        yield usage
    finally:
        usage.hits, usage.misses = STATE.hits, STATE.misses
        STATE.folder, STATE.hits, STATE.misses = before
