"""Teaching data: the twin's public analysis frames of chapter 3 as documented CSV files.

A student who wants to fit the chapter-3 models by hand (statsmodels, R, Stata) needs the
frames the models are fitted on, not the processed tables they are built from.
:func:`export` writes them to ``<build>/results/teaching/``:

* ``counts.csv``: one row per location-month with occupancy (the count models);
* ``duration.csv``: one row per registration with a positive duration (the duration models;
  the isolation-room models use its rows in the isolation room);
* ``room_cells.csv``: one row per room contrast, location and month: the binomial cells the
  room models are fitted on (only locations where both rooms of the contrast occur);
* ``columns.csv``: the data dictionary (file, column, type, unit, description);
* ``design.json``: measurement levels (reference first), the first month and the month centre;
* ``README.md``: what the files are, how they were made and how to fit each model.

**Only from the synthetic twin.** On real registrations these frames are person-level data
(one row per seclusion of a young person) and stay on the secure side: :func:`export` then
writes no data at all, removes any teaching file an earlier twin build left, and writes only a
README that says why the folder is empty. Whether the data are synthetic is read from the
processed folder itself (:func:`analysis.core.provenance.is_synthetic`: data of unknown origin
count as real), not from a caller's flag.

The youth pseudonym (``jongere``) is never exported, not even from the twin: pseudonyms are
identifying values that no shared output may carry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import pandas as pd

from analysis import SYNTHETIC_BANNER
from analysis.core.provenance import is_synthetic
from analysis.core.results import write_csv
from analysis.models.frames import (
    REASONS,
    ROOM_CODES,
    ROOM_CONTRASTS,
    AnalysisFrames,
    contrast_label,
    load_frames,
    room_frame,
)
from analysis.models.spec import primary_specs

README = "README.md"
DICTIONARY = "columns.csv"
DESIGN = "design.json"


@dataclass(frozen=True)
class Column:
    """One column of a teaching file (a row of the data dictionary)."""

    file: str
    column: str
    type: str
    unit: str
    description: str


COLUMNS: tuple[Column, ...] = (
    Column(
        "counts.csv",
        "meting",
        "text",
        "",
        "measurement number; the reference measurement is the first of design.json",
    ),
    Column("counts.csv", "locatie", "text", "", "pseudonymous location code"),
    Column("counts.csv", "maand", "text", "YYYY-MM", "calendar month"),
    Column(
        "counts.csv",
        "month_index",
        "integer",
        "months",
        "calendar months since the first month of the first measurement",
    ),
    Column(
        "counts.csv",
        "month",
        "number",
        "months",
        "month_index minus the month centre (design.json): the time variable of every model",
    ),
    Column(
        "counts.csv",
        "occupancy",
        "number",
        "young people",
        "mean occupancy of the location in the month (the exposure)",
    ),
    Column(
        "counts.csv",
        "log_occ",
        "number",
        "ln(young people)",
        "natural logarithm of occupancy: the offset of the count models",
    ),
    Column(
        "counts.csv",
        "n",
        "integer",
        "registrations",
        "unplanned seclusions registered in the location-month (0 when none)",
    ),
    Column("counts.csv", "note", "text", "", "synthetic-data banner"),
    Column("duration.csv", "meting", "text", "", "measurement number"),
    Column("duration.csv", "locatie", "text", "", "pseudonymous location code"),
    Column("duration.csv", "maand", "text", "YYYY-MM", "calendar month of the start"),
    Column(
        "duration.csv",
        "month_index",
        "integer",
        "months",
        "calendar months since the first month of the first measurement",
    ),
    Column("duration.csv", "month", "number", "months", "month_index minus the month centre (design.json)"),
    Column(
        "duration.csv",
        "ruimte",
        "integer",
        "code",
        "room code of the codebook (room_codes in design.json; empty: missing)",
    ),
    Column(
        "duration.csv",
        "aanleiding",
        "integer",
        "code",
        "reason code of the codebook (reasons in design.json name the three modelled ones; empty: missing)",
    ),
    Column(
        "duration.csv",
        "reden",
        "text",
        "",
        "term name of the reason in the reason x measurement model (empty for other reasons)",
    ),
    Column("duration.csv", "dur", "number", "minutes", "duration from start to end"),
    Column(
        "duration.csv",
        "log_dur",
        "number",
        "ln(minutes)",
        "natural logarithm of dur: the outcome of the duration models",
    ),
    Column(
        "duration.csv",
        "flag_2359",
        "boolean",
        "",
        "end time 23:59 (often a placeholder; kept in the primary models)",
    ),
    Column(
        "duration.csv",
        "flag_duplicate",
        "boolean",
        "",
        "same youth, location and start as an earlier row (kept in the primary models)",
    ),
    Column("duration.csv", "note", "text", "", "synthetic-data banner"),
    Column(
        "room_cells.csv",
        "contrast",
        "text",
        "",
        "room contrast key (first group vs second group), e.g. iso_vs_own",
    ),
    Column("room_cells.csv", "contrast_label", "text", "", "Dutch label of the contrast"),
    Column("room_cells.csv", "meting", "text", "", "measurement number"),
    Column("room_cells.csv", "locatie", "text", "", "pseudonymous location code"),
    Column("room_cells.csv", "maand", "text", "YYYY-MM", "calendar month of the start"),
    Column("room_cells.csv", "month", "number", "months", "month_index minus the month centre (design.json)"),
    Column(
        "room_cells.csv",
        "k",
        "integer",
        "registrations",
        "registrations in the first room group of the contrast",
    ),
    Column(
        "room_cells.csv",
        "wts",
        "integer",
        "registrations",
        "registrations in either room group (the binomial denominator)",
    ),
    Column(
        "room_cells.csv",
        "y",
        "number",
        "proportion",
        "k / wts: the outcome of the room models (prior weights wts)",
    ),
    Column("room_cells.csv", "note", "text", "", "synthetic-data banner"),
)
"""The data dictionary: every column of every teaching CSV, in file order."""

FILES: dict[str, str] = {
    "counts.csv": "one row per location-month with positive occupancy (count models)",
    "duration.csv": "one row per registration with a positive duration (duration and isolation-room models)",
    "room_cells.csv": "one row per room contrast, location and month: binomial cells (room models)",
}
"""Teaching CSV -> what one row is."""


def columns_of(file: str) -> list[str]:
    """Column names of one teaching CSV, in the order of :data:`COLUMNS`."""
    return [c.column for c in COLUMNS if c.file == file]


def room_cells(frames: AnalysisFrames) -> pd.DataFrame:
    """Binomial cells of every room contrast, as the room models are fitted on them.

    Each contrast uses :func:`analysis.models.frames.room_frame` (only the locations where both
    rooms occur) and collapses its registrations per location and month, which is how
    :func:`analysis.models.fit.binomial_cells` collapses them for the month, measurement and
    interaction models (a month belongs to one measurement, so the cells are the same for all
    three).

    Parameters
    ----------
    frames : AnalysisFrames

    Returns
    -------
    DataFrame
        contrast, contrast_label, meting, locatie, maand, month, k, wts, y.
    """
    parts = []
    for contrast in ROOM_CONTRASTS:
        frame = room_frame(frames, contrast)
        g = (
            frame.groupby(["meting", "locatie", "maand", "month"], sort=True)["y"]
            .agg(["sum", "size"])
            .reset_index()
        )
        g["k"] = g["sum"].astype(int)
        g["wts"] = g["size"].astype(int)
        g["y"] = g["k"] / g["wts"]
        g.insert(0, "contrast_label", contrast_label(contrast))
        g.insert(0, "contrast", contrast)
        parts.append(g.drop(columns=["sum", "size"]))
    return pd.concat(parts, ignore_index=True)


def teaching_frames(frames: AnalysisFrames) -> dict[str, pd.DataFrame]:
    """The three teaching tables (without the ``note`` column), keyed by file name.

    Parameters
    ----------
    frames : AnalysisFrames
        The chapter-3 frames (:func:`analysis.models.frames.load_frames`).

    Returns
    -------
    dict of DataFrame
        ``counts.csv``, ``duration.csv``, ``room_cells.csv``; no youth pseudonym.
    """
    counts = frames.counts.sort_values(["meting", "locatie", "maand"], kind="stable")
    dur = frames.duration.copy()
    code = pd.to_numeric(dur["aanleiding"], errors="coerce")
    dur["reden"] = code.map(REASONS).astype(object)
    dur = dur.sort_values(["meting", "locatie", "maand"], kind="stable")
    tables = {
        "counts.csv": counts,
        "duration.csv": dur,
        "room_cells.csv": room_cells(frames),
    }
    out = {}
    for name, table in tables.items():
        cols = [c for c in columns_of(name) if c != "note"]
        out[name] = table[cols].reset_index(drop=True)
    return out


def design(frames: AnalysisFrames) -> dict:
    """Constants the frames were built with (``design.json``)."""
    return {
        "meting_levels": list(frames.meting_levels),
        "reference": frames.reference,
        "first_month": frames.first_month,
        "month_centre": float(frames.month_centre),
        "room_codes": dict(ROOM_CODES),
        "reasons": {str(k): v for k, v in REASONS.items()},
    }


def _models_text() -> str:
    """One line per primary model: its id, file and R formula (from :mod:`analysis.models.spec`)."""
    file_of = {"counts": "counts.csv", "duration": "duration.csv", "isolation": "duration.csv"}
    lines = []
    for s in primary_specs():
        base = s.frame.split(":")[0]
        where = file_of.get(base, "room_cells.csv" if base == "room" else "duration.csv")
        extra = ""
        if base == "room":
            extra = f" (rows with contrast == {s.frame.split(':')[1]}, weights = wts)"
        elif base == "isolation":
            extra = f" (rows with ruimte == {ROOM_CODES['iso']})"
        elif base == "reason":
            extra = f" (rows with ruimte == {ROOM_CODES['iso']} and reden not empty)"
        formula = s.formula().replace("|", "\\|")  # a bar inside a table cell must be escaped
        lines.append(
            f"| `{s.model_id}` | `{where}`{extra} | `{formula}` | {s.engine}, {s.family}, {s.method} |"
        )
    return "\n".join(
        ["| model | data | R formula | engine, family, estimation |", "|---|---|---|---|", *lines]
    )


def readme_text(frames: AnalysisFrames, counts: dict[str, int]) -> str:
    """README of a twin export (English; every number computed from the frames)."""
    d = design(frames)
    files = "\n".join(f"| `{f}` | {what} | {counts[f]} |" for f, what in FILES.items())
    return f"""# Teaching data of chapter 3 (synthetic twin)

**{SYNTHETIC_BANNER}.** These files come from the synthetic twin, never from real
registrations; they say nothing about real young people. Every row carries this banner in
the column `note`.

They are the analysis frames the chapter-3 models are fitted on, written by the build
(`analysis.models.teaching.export`), so that the models can be fitted by hand in R, Stata or
statsmodels. The method is explained in `docs/method.md`; the teaching notebook
`notebooks/teaching/learn_models.ipynb` fits the models on these files and reproduces the
chapter's estimates (`build/results/models/ch3_models_fixed.csv`).

| file | one row is | rows |
|---|---|---|
{files}
| `{DICTIONARY}` | one column of a file above: type, unit, description (the data dictionary) | {len(COLUMNS)} |
| `{DESIGN}` | the constants below, for programs | - |

## Constants

- Measurement levels, reference first: {", ".join(d["meting_levels"])} (`meting` is a factor; read it as text).
- Month index 0 is {d["first_month"]}; `month = month_index - {d["month_centre"]}` (centred on
  the mean over the rows of `counts.csv`, the same constant for every model).
- Room codes: {", ".join(f"{k} = {v}" for k, v in d["room_codes"].items())}.

## The models of chapter 3 on these files

{_models_text()}

`offset(log_occ)` fixes the coefficient of ln(occupancy) at 1. Every model is fitted by maximum
likelihood (lmer with `REML = FALSE`; Laplace for the GLMMs). The room models are fitted on the
cells: in R `glmer(y ~ ..., weights = wts, family = binomial)` or `cbind(k, wts - k) ~ ...`; in
statsmodels a binomial GLM of `k` out of `wts`. The likelihood of the cells differs from that of
the registrations only by a constant, so the estimates are the same.

## Reading the files

- R: `read.csv("counts.csv", colClasses = c(meting = "character", locatie = "character"))`
- Stata: `import delimited counts.csv, stringcols(1 2) clear`
- Python: `pandas.read_csv("counts.csv", dtype={{"meting": str, "locatie": str}})`

Decimal point `.`, comma-separated, UTF-8, empty cell = missing.
"""


REAL_DATA_README = """# Teaching data of chapter 3: not written

This build used real registrations. The analysis frames of chapter 3 are then person-level
data (one row per seclusion of a young person) and stay on the secure side: no teaching file
is written, and any teaching file of an earlier build from the synthetic twin was removed.

Build from the synthetic twin (no files in `data/raw/`) to get the teaching data.
"""


def export(
    processed: Path,
    out: Path,
    *,
    metingen: Sequence[int] | None = None,
    reference: int | None = None,
    params_dir: Path | None = None,
    synthetic_build: bool = True,
) -> list[Path]:
    """Write the teaching files into ``out``, or only a README saying why not.

    Parameters
    ----------
    processed : Path
        Processed tables (``registrations.parquet``, ``occupancy.parquet``, ``ingest_report.json``).
    out : Path
        Target folder (``<build>/results/teaching``); files in it that are not written now are
        removed, so no file of an earlier build stays.
    metingen, reference, params_dir
        As for :func:`analysis.models.frames.load_frames` (the build passes what notebook 03 gets).
    synthetic_build : bool
        Whether the build itself runs as a twin build; data are written only when it does *and*
        the processed folder says the data are synthetic (a build told to treat twin data as
        real writes none).

    Returns
    -------
    list of Path
        The files written: README, data dictionary, design and three CSVs on the synthetic
        twin; the README alone on real (or unknown) data.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if synthetic_build and is_synthetic(processed):
        frames = load_frames(processed, metingen=metingen, reference=reference, params_dir=params_dir)
        tables = teaching_frames(frames)
        for name, table in tables.items():
            written.append(write_csv(table.assign(note=SYNTHETIC_BANNER), out / name))
        dictionary = pd.DataFrame([c.__dict__ for c in COLUMNS])
        written.append(write_csv(dictionary, out / DICTIONARY))
        (out / DESIGN).write_text(json.dumps(design(frames), indent=2, sort_keys=True) + "\n", "utf-8")
        written.append(out / DESIGN)
        text = readme_text(frames, {k: len(v) for k, v in tables.items()})
    else:
        text = REAL_DATA_README
    (out / README).write_text(text, encoding="utf-8")
    written.append(out / README)
    keep = {p.name for p in written}
    for stale in out.iterdir():
        if stale.is_file() and stale.name not in keep:
            stale.unlink()
    return written
