"""The results contract: tidy CSVs, an index, and values keyed by published-figure id.

Every figure and table of a chapter is written with :func:`write_result`:

* ``<results>/<name>.csv``: the tidy data behind the artefact;
* ``<results>/index.csv``: one row per result (name, chapter, title, file, published ids);
* ``<results>/values.csv``: one row per reproduced published number
  (``published_id``, ``value``, ``result``, ``metingen``), which the reproduction check compares
  with ``data/reference/published_figures.csv``. ``metingen`` names the measurement(s) the value
  was computed over (``"3"``, ``"1;2;3"``), so a published figure of measurement 2 is never
  compared with a value of measurement 3.

Index and values are merged per result name, so chapters can be re-run independently and
in any order. Two notebooks may write into the same folder at once (the build runs chapter 3
and its leave-one-location-out section in parallel, both into ``results/models``): the
read-merge-write of the index and values files holds an exclusive lock on
``<folder>/.index.lock``. Each result name has exactly one writer.

Every CSV is written by :func:`write_csv`, which makes two cold builds byte-identical and keeps
the files safe to open in a spreadsheet:

* floating-point values are written with :data:`FLOAT_FORMAT`, 10 significant digits: far
  beyond any reported figure (at most 3 digits), and it hides last-bit differences of
  arithmetic. Rounding alone cannot make noisy values identical (a value near a rounding
  boundary still flips), so the sources are fixed too: notebook kernels run with one
  BLAS/OpenMP thread and a fixed memory layout (:func:`analysis.core.processes.reproducible_children`;
  lme4's nested-effect fits differed at about 1e-7 in ``ch3_sens_estimates.csv`` without it)
  and every random draw is seeded (``docs/contracts.md``, *Determinism*);
* a text value that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
  prefixed with ``'`` (:func:`neutralise_formulas`), so a spreadsheet does not run it as a
  formula; plain numbers written as text (``-1``, ``+2,5``) are left alone.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Mapping, Sequence

import pandas as pd

try:  # POSIX; elsewhere the index is merged without a lock (no parallel build there)
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

INDEX_COLUMNS = ["name", "chapter", "title", "file", "published_ids"]
VALUE_COLUMNS = ["published_id", "value", "result", "metingen"]
#: Precision of floating-point values in results CSVs (10 significant digits).
FLOAT_FORMAT = "%.10g"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+([.,]\d+)?([eE][+-]?\d+)?$")


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``df`` whose text cells cannot start a spreadsheet formula.

    A text value beginning with ``= + - @`` (or a tab or carriage return) gets a leading
    ``'`` (the OWASP advice against CSV injection); a text value that is a plain number is
    left as it is. Non-text columns and the column names are unchanged (column names come
    from the code, never from data).
    """
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(_neutral)
    return out


def _neutral(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def write_csv(df: pd.DataFrame, path: Path) -> Path:
    """Write a results CSV: formulas neutralised, floats at :data:`FLOAT_FORMAT`, ``\\n`` line ends.

    The file is written beside its target and moved into place (atomic on POSIX), so a reader
    in another process (the completeness check of a parallel step) never sees it half written.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    neutralise_formulas(df).to_csv(tmp, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
    os.replace(tmp, path)
    return path


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder``'s index and values (across processes)."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    with open(folder / ".index.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _merge(path: Path, new: pd.DataFrame, key: str, name: str, columns: list[str]) -> None:
    """Replace the rows of ``name`` in the CSV at ``path`` by ``new`` and sort (deterministic)."""
    if path.exists():
        old = pd.read_csv(path, dtype={key: str, "metingen": str})
        old = old[old[key if key == "name" else "result"] != name]
        new = pd.concat([old, new], ignore_index=True)
    new = new[columns].sort_values(columns[:1] if key == "name" else ["published_id"], kind="stable")
    write_csv(new, path)


def write_result(
    results_dir: Path,
    name: str,
    table: pd.DataFrame,
    *,
    chapter: str,
    title: str,
    values: Mapping[str, float] | None = None,
    metingen: Sequence[int] | None = None,
) -> Path:
    """Write one result and register it in the index and the values file.

    Parameters
    ----------
    results_dir : Path
        ``<build>/results`` (or ``<build>/results/models``; the index lives in the folder given).
    name : str
        Stable name, e.g. ``ch2_fig02_reason``; the file is ``<name>.csv``.
    table : DataFrame
        Tidy data of the figure or table.
    chapter : str
        ``"1"``, ``"2"``, ``"3"`` or an appendix letter.
    title : str
        Dutch title as shown in the report.
    values : mapping, optional
        Published-figure id -> value computed in this run (see ``published_figures.csv``).
    metingen : sequence of int, optional
        Measurements the values were computed over (stored as ``"1;2"``); None: unknown.

    Returns
    -------
    Path
        Path of the written CSV.
    """
    results_dir.mkdir(parents=True, exist_ok=True)
    out = write_csv(table, results_dir / f"{name}.csv")
    values = dict(values or {})
    idx = pd.DataFrame(
        [
            {
                "name": name,
                "chapter": str(chapter),
                "title": title,
                "file": out.name,
                "published_ids": "|".join(sorted(values)),
            }
        ]
    )
    vals = pd.DataFrame(
        [
            {"published_id": k, "value": float(v), "result": name, "metingen": scope_text(metingen)}
            for k, v in values.items()
        ],
        columns=VALUE_COLUMNS,
    )
    with _locked(results_dir):
        _merge(results_dir / "index.csv", idx, "name", name, INDEX_COLUMNS)
        _merge(results_dir / "values.csv", vals, "result", name, VALUE_COLUMNS)
    return out


def scope_text(metingen: Sequence[int] | None) -> str:
    """Measurements as stored in ``values.csv`` and ``published_figures.csv``: ``"1;2"``."""
    return "" if metingen is None else ";".join(str(int(m)) for m in sorted(set(metingen)))


def read_values(results_dir: Path) -> pd.DataFrame:
    """All computed values of a build, from every ``values.csv`` under ``results_dir``."""
    frames = [
        pd.read_csv(
            p,
            dtype={"published_id": str, "metingen": str},
            keep_default_na=False,
            na_values={"value": ["", "NaN", "nan"]},
        )
        for p in sorted(results_dir.rglob("values.csv"))
    ]
    if not frames:
        return pd.DataFrame(columns=VALUE_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    if "metingen" not in out.columns:  # written before values carried their measurements
        out["metingen"] = ""
    return out
