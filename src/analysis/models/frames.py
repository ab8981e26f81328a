"""Analysis frames for the chapter-3 models, built from the processed tables (no R needed).

* ``counts``: one row per location-month of the selected measurements with occupancy > 0; months
  with occupancy but no registrations are zeros.
* ``registrations``: one row per registration inside a measurement period (registration level).
* ``duration``: registrations with a positive duration (``log_dur`` = ln minutes).
* room and isolation frames are derived with :func:`room_frame`, :func:`isolation_frame` and
  :func:`reason_frame`.

Time is ``month``: calendar months since the first month of the first selected measurement,
centred on the mean over the location-month rows (the same constant for every model, so the
intercepts and the measurement contrasts of the interaction models refer to the same month).
``meting`` is a string factor; the reference measurement comes first in ``meting_levels``.

Two other codings of time serve the sensitivity analyses of the time coding (``|nogap`` and
``|within`` in :func:`frame_for`): the month counted over the measured months only, without the
months between measurements (:func:`month_without_gap`), and the month within its own
measurement (:func:`month_within_measurement`), for a slope per measurement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import re

import numpy as np
import pandas as pd

from analysis import codebook

ROOMS_EN: dict[str, str] = {"own": "Own room", "other": "Other room", "iso": "Isolation room"}
"""Room keys of the model ids -> English label of the ``ruimte`` category in the codebook."""
REASONS_EN: tuple[str, ...] = ("Aggression", "Order/rules", "Self-harm")
"""English labels (codebook ``aanleiding``) of the reasons in the reason x measurement model."""


def _code(field: str, label_en: str) -> int:
    """Code of the category of ``field`` whose English codebook label is ``label_en``."""
    for cat in codebook.field(field).categories:
        if cat.label_en == label_en:
            return cat.value
    raise KeyError(f"codebook field {field!r} has no category labelled {label_en!r}")


ROOM_CODES: dict[str, int] = {k: _code("ruimte", v) for k, v in ROOMS_EN.items()}
"""Room key -> ``ruimte`` code, read from the codebook."""


def _contrast(ones: tuple[str, ...], zeros: tuple[str, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    return tuple(ROOM_CODES[k] for k in ones), tuple(ROOM_CODES[k] for k in zeros)


ROOM_CONTRASTS: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "other_vs_own": _contrast(("other",), ("own",)),
    "iso_vs_own": _contrast(("iso",), ("own",)),
    "iso_vs_other": _contrast(("iso",), ("other",)),
    "iso_vs_ownother": _contrast(("iso",), ("own", "other")),
}
"""Room contrasts: (codes counted as 1, codes counted as 0), codes from the codebook."""


def term_name(label: str) -> str:
    """Model term of a Dutch category label: ``Orde/regels`` -> ``orde_regels``."""
    return re.sub(r"[^0-9a-z]+", "_", label.lower()).strip("_")


REASONS: dict[int, str] = {
    _code("aanleiding", en): term_name(codebook.field("aanleiding").label(_code("aanleiding", en)))
    for en in REASONS_EN
}
"""Reasons (aanleiding code -> term name) of the isolation-room reason x measurement model."""


def room_label(code: int) -> str:
    """Dutch codebook label of a ``ruimte`` code."""
    return codebook.field("ruimte").label(int(code))


def contrast_label(contrast: str) -> str:
    """Dutch label of a room contrast from the codebook, e.g. ``Isoleer- of separeerruimte t.o.v. ...``."""
    ones, zeros = ROOM_CONTRASTS[contrast]
    first = " of ".join(room_label(c) for c in ones)
    second = " of ".join(room_label(c).lower() for c in zeros)
    return f"{first} t.o.v. {second}"


def room_short(code: int) -> str:
    """Short Dutch name of a ``ruimte`` code: the first word of its codebook label, lower case.

    ``Isoleer- of separeerruimte`` -> ``isoleer``, ``Eigen kamer jongere`` -> ``eigen``; narrow
    table columns use it where the full label would wrap over three lines.
    """
    return room_label(code).split()[0].rstrip("-").lower()


def contrast_short(contrast: str) -> str:
    """Short label of a room contrast from the codebook: ``isoleer/eigen+overige``."""
    ones, zeros = ROOM_CONTRASTS[contrast]
    return "+".join(room_short(c) for c in ones) + "/" + "+".join(room_short(c) for c in zeros)


@dataclass
class AnalysisFrames:
    """The model-ready frames and the bookkeeping of what was excluded.

    Attributes
    ----------
    counts : DataFrame
        locatie, meting, maand, month_index, month, occupancy, log_occ, n.
    registrations : DataFrame
        In-period registrations with locatie, jongere, meting, maand, month_index, month,
        ruimte, aanleiding, duur_min, flag_2359.
    duration : DataFrame
        ``registrations`` with a positive duration, plus ``dur`` and ``log_dur``.
    exclusions : DataFrame
        frame, reason, n: every row left out and why.
    meting_levels : list of str
        Measurement levels, reference first.
    month_centre : float
        Constant subtracted from ``month_index``.
    first_month : str
        Month with index 0 (``YYYY-MM``).
    n_registrations, n_location_months : int
        Rows of the processed registrations and occupancy tables in the selected measurements:
        every model's observations plus its exclusions add up to one of these
        (:func:`frame_exclusions`).
    periods : dict of str to list of str
        Months (``YYYY-MM``) of each measurement level; empty: taken from ``counts``
        (:func:`measured_months`).
    """

    counts: pd.DataFrame
    registrations: pd.DataFrame
    duration: pd.DataFrame
    exclusions: pd.DataFrame
    meting_levels: list[str]
    month_centre: float
    first_month: str
    notes: list[str] = field(default_factory=list)
    n_registrations: int = 0
    n_location_months: int = 0
    periods: dict[str, list[str]] = field(default_factory=dict)

    @property
    def reference(self) -> str:
        """The reference measurement (first level)."""
        return self.meting_levels[0]


def month_number(ym: pd.Series | str) -> pd.Series | int:
    """Absolute month number ``12 * year + month - 1`` of ``YYYY-MM`` strings."""
    if isinstance(ym, str):
        y, m = ym.split("-")
        return 12 * int(y) + int(m) - 1
    parts = ym.astype(str).str.split("-", expand=True)
    return 12 * parts[0].astype(int) + parts[1].astype(int) - 1


def meting_levels(metingen: Sequence[int], reference: int | None = None) -> list[str]:
    """Measurement levels as strings with the reference first, the rest in numeric order."""
    ms = sorted(int(m) for m in metingen)
    if len(ms) < 2:
        raise ValueError("The chapter-3 models need at least two measurements")
    ref = ms[0] if reference is None else int(reference)
    if ref not in ms:
        raise ValueError(f"Reference measurement {ref} is not among {ms}")
    return [str(ref)] + [str(m) for m in ms if m != ref]


def _period_months(
    occupancy: pd.DataFrame, metingen: Sequence[int], months: Mapping[int, Sequence[str]] | None
) -> dict[int, list[str]]:
    """Months of each measurement: from the measurement files, else from the occupancy table."""
    out = {}
    for m in metingen:
        if months is not None and m in months:
            out[m] = list(months[m])
        else:
            out[m] = sorted(occupancy.loc[occupancy["meting"] == m, "maand"].astype(str).unique())
    return out


def _count_grid(
    occupancy: pd.DataFrame, periods: dict[int, list[str]], locations: pd.DataFrame | None, log: list[dict]
) -> pd.DataFrame:
    """Location-months with positive occupancy inside each measurement and location period."""
    occ = occupancy.copy()
    occ["meting"] = occ["meting"].astype(int)
    occ["maand"] = occ["maand"].astype(str)
    occ["locatie"] = occ["locatie"].astype(str)
    in_period = np.zeros(len(occ), dtype=bool)
    for m, months in periods.items():
        in_period |= (occ["meting"] == m).to_numpy() & occ["maand"].isin(months).to_numpy()
    log.append(
        {
            "frame": "counts",
            "reason": "bezetting buiten de geselecteerde metingperiodes",
            "n": int((~in_period & occ["meting"].isin(list(periods))).sum()),
        }
    )
    occ = occ[in_period]
    if locations is not None and {"eerste_maand", "laatste_maand"} <= set(locations.columns):
        loc = locations[["locatie", "eerste_maand", "laatste_maand"]].copy()
        loc["locatie"] = loc["locatie"].astype(str)
        for c in ("eerste_maand", "laatste_maand"):  # 'YYYY-MM' (or a date): keep NA as NA
            loc[c] = loc[c].astype("string").str[:7]
        occ = occ.merge(loc, on="locatie", how="left")
        # a location without a (complete) period in locations.parquet is not restricted
        first = occ["eerste_maand"].fillna("0000-00").astype(str)
        last = occ["laatste_maand"].fillna("9999-99").astype(str)
        ok = (occ["maand"] >= first) & (occ["maand"] <= last)
        log.append(
            {
                "frame": "counts",
                "reason": "maand buiten deelnameperiode van de locatie",
                "n": int((~ok).sum()),
            }
        )
        occ = occ[ok].drop(columns=["eerste_maand", "laatste_maand"])
    bez = pd.to_numeric(occ["gemiddelde_bezetting"], errors="coerce")
    bad = bez.isna() | (bez <= 0)
    log.append(
        {"frame": "counts", "reason": "bezetting ontbreekt of is 0 (offset onbepaald)", "n": int(bad.sum())}
    )
    occ = occ[~bad].assign(occupancy=bez[~bad].astype(float))
    return occ[["meting", "locatie", "maand", "occupancy"]].reset_index(drop=True)


def build_frames(
    registrations: pd.DataFrame,
    occupancy: pd.DataFrame,
    *,
    metingen: Sequence[int] | None = None,
    reference: int | None = None,
    months: Mapping[int, Sequence[str]] | None = None,
    locations: pd.DataFrame | None = None,
) -> AnalysisFrames:
    """Build the count, registration and duration frames.

    Parameters
    ----------
    registrations : DataFrame
        ``registrations.parquet`` (processed-table contract).
    occupancy : DataFrame
        ``occupancy.parquet`` (meting, locatie, maand, gemiddelde_bezetting).
    metingen : sequence of int, optional
        Measurements to include (default: all in ``occupancy``); at least two.
    reference : int, optional
        Reference measurement (default: the first).
    months : mapping, optional
        Months per measurement (``Measurement.months()``); default: months in ``occupancy``.
    locations : DataFrame, optional
        ``locations.parquet``; when given, location-months outside eerste_maand..laatste_maand
        are dropped.

    Returns
    -------
    AnalysisFrames
    """
    metingen = sorted(int(m) for m in (metingen or occupancy["meting"].unique()))
    levels = meting_levels(metingen, reference)
    periods = _period_months(occupancy, metingen, months)
    first_month = min(min(v) for v in periods.values() if v)
    origin = month_number(first_month)
    log: list[dict] = []
    n_grid = int(occupancy["meting"].astype(int).isin(metingen).sum())
    grid = _count_grid(occupancy, periods, locations, log)
    grid["month_index"] = month_number(grid["maand"]) - origin
    centre = float(grid["month_index"].mean())
    reg, n_selected = _registrations_in_periods(registrations, periods, log)
    counts = _count_frame(grid, reg, centre, log)
    reg = _registration_frame(reg, origin, centre)
    duration = _duration_frame(reg, log)
    return AnalysisFrames(
        counts=counts,
        registrations=reg,
        duration=duration,
        exclusions=pd.DataFrame(log, columns=["frame", "reason", "n"]),
        meting_levels=levels,
        month_centre=centre,
        first_month=first_month,
        n_registrations=n_selected,
        n_location_months=n_grid,
        periods={str(m): sorted(str(x) for x in v) for m, v in periods.items()},
    )


def _registrations_in_periods(
    registrations: pd.DataFrame, periods: dict[int, list[str]], log: list[dict]
) -> tuple[pd.DataFrame, int]:
    """Registrations of the selected measurements that start inside their period; the selected count.

    Logs the registrations of a selected measurement that start outside its months.
    """
    reg = registrations.copy()
    reg["meting"] = reg["meting"].astype(int)
    reg = reg[reg["meting"].isin(list(periods))]
    n_selected = len(reg)
    reg["maand"] = reg["maand"].astype(str)
    reg["locatie"] = reg["locatie"].astype(str)
    in_period = np.zeros(len(reg), dtype=bool)
    for m, mths in periods.items():
        in_period |= (reg["meting"] == m).to_numpy() & reg["maand"].isin(mths).to_numpy()
    log.append(
        {"frame": "registrations", "reason": "start buiten de metingperiode", "n": int((~in_period).sum())}
    )
    return reg[in_period].copy(), n_selected


def _count_frame(grid: pd.DataFrame, reg: pd.DataFrame, centre: float, log: list[dict]) -> pd.DataFrame:
    """Registrations per location-month of ``grid`` (zeros kept), with offset and centred month.

    Logs the registrations in location-months that are not in the grid (no usable occupancy).
    """
    keys = ["meting", "locatie", "maand"]
    counts = reg.groupby(keys).size().rename("n").reset_index()
    merged = grid.merge(counts, on=keys, how="left")
    lost = counts.merge(grid, on=keys, how="left", indicator=True)
    log.append(
        {
            "frame": "counts",
            "reason": "registraties in locatie-maand zonder bezetting",
            "n": int(lost.loc[lost["_merge"] == "left_only", "n"].sum()),
        }
    )
    merged["n"] = merged["n"].fillna(0).astype(int)
    merged["log_occ"] = np.log(merged["occupancy"])
    merged["month"] = merged["month_index"] - centre
    merged["meting"] = merged["meting"].astype(str)
    return merged


#: Columns of :attr:`AnalysisFrames.registrations`, in order (those present in the input).
REGISTRATION_FRAME_COLUMNS = (
    "meting",
    "locatie",
    "jongere",
    "maand",
    "month_index",
    "month",
    "ruimte",
    "aanleiding",
    "duur_min",
    "flag_2359",
    "flag_duplicate",
)


def _registration_frame(reg: pd.DataFrame, origin: int, centre: float) -> pd.DataFrame:
    """Registrations with month index and centred month, youth ids (None when missing) and flags."""
    reg = reg.copy()
    reg["month_index"] = (month_number(reg["maand"]) - origin).astype(int)
    reg["month"] = reg["month_index"] - centre
    reg["meting"] = reg["meting"].astype(str)
    if "jongere" not in reg:
        reg["jongere"] = None
    reg["jongere"] = reg["jongere"].astype(object).where(reg["jongere"].notna(), None)
    flag = reg["vlag_duur_2359"] if "vlag_duur_2359" in reg else pd.Series(False, index=reg.index)
    reg["flag_2359"] = flag.fillna(False).astype(bool)
    dup = reg["vlag_dubbel"] if "vlag_dubbel" in reg else pd.Series(False, index=reg.index)
    reg["flag_duplicate"] = dup.fillna(False).astype(bool)
    return reg[[c for c in REGISTRATION_FRAME_COLUMNS if c in reg.columns]].reset_index(drop=True)


def _duration_frame(reg: pd.DataFrame, log: list[dict]) -> pd.DataFrame:
    """Registrations with a positive duration; logs missing and non-positive durations."""
    dur = pd.to_numeric(reg["duur_min"], errors="coerce").astype(float)
    missing = dur.isna()
    nonpos = ~missing & (dur <= 0)
    log.append({"frame": "duration", "reason": "duur ontbreekt (geen eindtijd)", "n": int(missing.sum())})
    log.append(
        {
            "frame": "duration",
            "reason": "duur <= 0 minuten (eind voor of gelijk aan start)",
            "n": int(nonpos.sum()),
        }
    )
    out = reg[~missing & ~nonpos].copy()
    out["dur"] = dur[~missing & ~nonpos]
    out["log_dur"] = np.log(out["dur"])
    return out.reset_index(drop=True)


def _log(log: list[dict] | None, frame: str, reason: str, n: int) -> None:
    if log is not None:
        log.append({"frame": frame, "reason": reason, "n": int(n)})


def both_room_locations(frame: pd.DataFrame) -> list[str]:
    """Locations where both rooms of a contrast occur (``y`` has a 0 and a 1)."""
    g = frame.groupby(frame["locatie"].astype(str))["y"]
    both = (g.min() == 0) & (g.max() == 1)
    return sorted(both[both].index)


def room_frame(
    frames: AnalysisFrames,
    contrast: str,
    *,
    all_locations: bool = False,
    log: list[dict] | None = None,
    name: str = "",
) -> pd.DataFrame:
    """Registrations in the two room groups of ``contrast`` with outcome ``y`` (1 = first group).

    A location where only one of the two rooms occurs in the data cannot choose between them
    (a location without an isolation room cannot place anyone there): its registrations carry no
    information on the contrast and make the model quasi-separated. They are left out unless
    ``all_locations`` (the sensitivity analysis ``room_all_locations``).

    Parameters
    ----------
    frames : AnalysisFrames
    contrast : str
        Key of :data:`ROOM_CONTRASTS`.
    all_locations : bool
        Keep locations where only one of the two rooms occurs.
    log : list of dict, optional
        Receives (frame, reason, n) for every registration left out.
    name : str
        Frame name used in ``log``.

    Returns
    -------
    DataFrame
    """
    ones, zeros = ROOM_CONTRASTS[contrast]
    reg = frames.registrations
    ruimte = pd.to_numeric(reg["ruimte"], errors="coerce")
    _log(log, name, "ruimte ontbreekt", ruimte.isna().sum())
    other = ruimte.notna() & ~ruimte.isin(ones + zeros)
    for code in sorted(ruimte[other].astype(int).unique()):
        _log(
            log,
            name,
            f"ruimte niet in deze vergelijking: {room_label(code).lower()}",
            (ruimte[other] == code).sum(),
        )
    out = reg[ruimte.isin(ones + zeros)].copy()
    out["y"] = ruimte[out.index].isin(ones).astype(float)
    if not all_locations:
        keep = both_room_locations(out)
        drop = sorted(set(out["locatie"].astype(str)) - set(keep))
        lost = out["locatie"].astype(str).isin(drop)
        if drop:
            _log(
                log,
                name,
                "locatie waar maar één van de twee ruimtes voorkomt: " + ", ".join(drop),
                lost.sum(),
            )
        out = out[~lost]
    return out.reset_index(drop=True)


def isolation_frame(frames: AnalysisFrames, *, log: list[dict] | None = None, name: str = "") -> pd.DataFrame:
    """Duration frame restricted to isolation-room registrations (code from the codebook)."""
    d = frames.duration
    iso = (pd.to_numeric(d["ruimte"], errors="coerce") == ROOM_CODES["iso"]).fillna(False).astype(bool)
    _log(log, name, f"ruimte is geen {room_label(ROOM_CODES['iso']).lower()} of ontbreekt", (~iso).sum())
    return d[iso].reset_index(drop=True)


def reason_frame(frames: AnalysisFrames, *, log: list[dict] | None = None, name: str = "") -> pd.DataFrame:
    """Isolation-room durations with reason aggression, order/rules or self-harm (``reden``)."""
    d = isolation_frame(frames, log=log, name=name)
    code = pd.to_numeric(d["aanleiding"], errors="coerce")
    keep = code.isin(list(REASONS)).fillna(False).astype(bool)
    names = [codebook.field("aanleiding").label(c).lower() for c in REASONS]
    _log(
        log,
        name,
        "andere aanleiding dan " + ", ".join(names[:-1]) + " of " + names[-1] + ", of geen aanleiding",
        (~keep).sum(),
    )
    out = d[keep].copy()
    out["reden"] = code[out.index].astype(int).map(REASONS)
    return out.reset_index(drop=True)


def with_youth_ids(frame: pd.DataFrame) -> pd.DataFrame:
    """Copy with missing ``jongere`` replaced by a unique id per row (own singleton level).

    A registration without a youth pseudonym cannot be linked to other registrations; giving
    it its own level keeps the row and assumes no clustering for it (pooling all missing rows
    into one fake youth would invent clustering).
    """
    out = frame.copy()
    miss = out["jongere"].isna()
    out.loc[miss, "jongere"] = [f"onbekend-{i}" for i in np.flatnonzero(miss.to_numpy())]
    out["jongere"] = out["locatie"].astype(str) + "/" + out["jongere"].astype(str)
    return out


def measured_months(frames: AnalysisFrames) -> dict[str, list[str]]:
    """Months (``YYYY-MM``) of each measurement level, in calendar order.

    From :attr:`AnalysisFrames.periods` (the measurement files, else the occupancy table), or,
    for frames built without it, from the months in ``counts``.
    """
    if frames.periods:
        return {str(k): sorted(map(str, v)) for k, v in frames.periods.items()}
    c = frames.counts
    return {str(k): sorted(g["maand"].astype(str).unique()) for k, g in c.groupby("meting", sort=True)}


def month_without_gap(maand: pd.Series, months: Mapping[str, Sequence[str]]) -> pd.Series:
    """Position of each month among the measured months only (0, 1, 2, ...), not centred.

    The months between measurements are not counted: the last month of one measurement and
    the first month of the next get consecutive numbers. A month outside every measurement
    gets NaN.

    Parameters
    ----------
    maand : Series of str
        ``YYYY-MM`` per row.
    months : mapping of str to sequence of str
        Months per measurement (:func:`measured_months`).

    Returns
    -------
    Series of float
    """
    measured = sorted({str(m) for ms in months.values() for m in ms})
    position = {m: float(i) for i, m in enumerate(measured)}
    return maand.astype(str).map(position).astype(float)


def month_within_measurement(
    maand: pd.Series, meting: pd.Series, months: Mapping[str, Sequence[str]]
) -> pd.Series:
    """Calendar months since the first month of the row's own measurement, not centred."""
    first = {str(k): month_number(min(v)) for k, v in months.items() if len(v)}
    start = meting.astype(str).map(first).astype(float)
    return month_number(maand.astype(str)).astype(float) - start


def time_codings(frames: AnalysisFrames, frame: pd.DataFrame) -> pd.DataFrame:
    """``month_nogap`` and ``month_within`` of each row of ``frame`` (columns maand, meting).

    Both are centred like ``month`` on the location-month rows of ``counts``, so every model
    of one coding refers to the same month: ``month_nogap`` on its mean over all of them,
    ``month_within`` on its mean within each measurement (then the measurement contrast of the
    slope-per-measurement model compares the measurements at their own mean month, not at a
    month between them).
    """
    months = measured_months(frames)
    c = frames.counts
    grid_nogap = month_without_gap(c["maand"], months)
    grid_within = month_within_measurement(c["maand"], c["meting"], months)
    centre_within = grid_within.groupby(c["meting"].astype(str)).mean()
    nogap = month_without_gap(frame["maand"], months) - float(grid_nogap.mean())
    within = month_within_measurement(frame["maand"], frame["meting"], months)
    within = within - frame["meting"].astype(str).map(centre_within).astype(float)
    return pd.DataFrame({"month_nogap": nogap, "month_within": within}, index=frame.index)


def load_frames(
    processed: Path,
    *,
    metingen: Sequence[int] | None = None,
    reference: int | None = None,
    months: Mapping[int, Sequence[str]] | None = None,
    params_dir: Path | None = None,
) -> AnalysisFrames:
    """Read ``registrations.parquet``, ``occupancy.parquet`` (and ``locations.parquet``).

    Parameters
    ----------
    processed : Path
        Folder with the processed tables.
    metingen, reference, months
        See :func:`build_frames`. When ``months`` is None the measurement files
        (``params_dir``, default ``params/``) give the months of the measurements they describe;
        other measurements take their months from the occupancy table.
    params_dir : Path, optional
        Folder with ``meting-<N>.yaml``.

    Returns
    -------
    AnalysisFrames
    """
    processed = Path(processed)
    reg = pd.read_parquet(processed / "registrations.parquet")
    occ = pd.read_parquet(processed / "occupancy.parquet")
    loc_path = processed / "locations.parquet"
    loc = pd.read_parquet(loc_path) if loc_path.exists() else None
    if months is None:
        months = measurement_months(params_dir)
    return build_frames(reg, occ, metingen=metingen, reference=reference, months=months, locations=loc)


def measurement_months(params_dir: Path | None = None) -> dict[int, list[str]]:
    """Months of every measurement described in ``params_dir`` (default ``params/``).

    A measurement without a file is absent (:func:`build_frames` then takes its months from
    the occupancy table). A file that cannot be used stops here: falling back to the data
    would fit the models on months nobody configured.

    Parameters
    ----------
    params_dir : Path, optional
        Folder with ``meting-<N>.yaml``.

    Returns
    -------
    dict
        Measurement number -> its months (``YYYY-MM``).

    Raises
    ------
    analysis.core.measurements.ParamsError
        A measurement file that cannot be read or validated (one line naming the file).
    """
    from analysis.core.measurements import load_all
    from analysis.core.paths import Paths, default_paths

    paths = Paths(default_paths().root, params_dir=Path(params_dir)) if params_dir else None
    return {k: v.months() for k, v in load_all(paths).items()}


def frame_for(frames: AnalysisFrames, name: str, log: list[dict] | None = None) -> pd.DataFrame:
    """The analysis frame called ``name`` in a :class:`~analysis.models.spec.ModelSpec`.

    ``name`` is ``counts``, ``duration``, ``room:<contrast>``, ``isolation`` or ``reason``,
    optionally followed by modifiers ``|no2359`` (drop rows flagged vlag_duur_2359),
    ``|nodup`` (drop rows flagged vlag_dubbel), ``|alllocs`` (room contrasts on every location,
    also where only one of the two rooms occurs), ``|youth`` (missing youth ids replaced by
    singleton ids, see :func:`with_youth_ids`), ``|nogap`` (``month`` counts the measured months
    only, :func:`month_without_gap`) and ``|within`` (adds ``month_within``, the centred month
    within each measurement, :func:`month_within_measurement`); see :func:`time_codings`. The
    last two change no row. ``log`` receives the rows each step leaves out beyond the base
    exclusions of :attr:`AnalysisFrames.exclusions` (see :func:`frame_exclusions`).
    """
    base, *mods = name.split("|")
    if base == "counts":
        out = frames.counts
        if "nodup" in mods:  # counts without the registrations flagged as duplicates
            keys = ["meting", "locatie", "maand"]
            reg = frames.registrations
            dup = reg[reg["flag_duplicate"]].groupby(keys).size().rename("dup")
            out = out.merge(dup.reset_index(), on=keys, how="left")
            out["n"] = (out["n"] - out["dup"].fillna(0)).astype(int)
            out = out.drop(columns="dup")
            mods = [m for m in mods if m != "nodup"]
    elif base == "duration":
        out = frames.duration
    elif base.startswith("room:"):
        out = room_frame(frames, base.split(":", 1)[1], all_locations="alllocs" in mods, log=log, name=name)
    elif base == "isolation":
        out = isolation_frame(frames, log=log, name=name)
    elif base == "reason":
        out = reason_frame(frames, log=log, name=name)
    else:
        raise KeyError(f"Unknown analysis frame {name!r}")
    if "no2359" in mods:
        _log(log, name, "vlag duur 23:59", out["flag_2359"].sum())
        out = out[~out["flag_2359"]].reset_index(drop=True)
    if "nodup" in mods:
        _log(
            log,
            name,
            "vlag dubbel (zelfde jongere, locatie en start als een eerdere rij)",
            out["flag_duplicate"].sum(),
        )
        out = out[~out["flag_duplicate"]].reset_index(drop=True)
    if "youth" in mods:
        out = with_youth_ids(out)
    if "nogap" in mods or "within" in mods:
        coded = time_codings(frames, out)
        out = out.copy()
        if "nogap" in mods:
            out["month"] = coded["month_nogap"]
        if "within" in mods:
            out["month_within"] = coded["month_within"]
    return out


PRIMARY_FRAMES: tuple[str, ...] = (
    "counts",
    "duration",
    *(f"room:{c}" for c in ROOM_CONTRASTS),
    "isolation",
    "reason",
)
"""The analysis frames of the primary models, in report order."""

UNIT_REGISTRATIONS, UNIT_MONTHS = "registraties", "locatie-maanden"


def frame_exclusions(
    frames: AnalysisFrames, names: tuple[str, ...] | list[str] = PRIMARY_FRAMES
) -> pd.DataFrame:
    """Every row left out of each analysis frame, and the rows used, from the processed tables.

    For a registration-level frame the rows start from the registrations of the selected
    measurements (:attr:`AnalysisFrames.n_registrations`); for ``counts`` from the occupancy rows
    of the selected measurements (:attr:`AnalysisFrames.n_location_months`). Each step of
    :func:`build_frames` and :func:`frame_for` that drops rows gives one row, so for every frame
    ``used + sum(excluded) = rows in the data`` (tested per model).

    Parameters
    ----------
    frames : AnalysisFrames
    names : sequence of str
        Frame names (:func:`frame_for`).

    Returns
    -------
    DataFrame
        frame, reason, n, unit, excluded (False on the row ``in het analysebestand``).
    """
    base = frames.exclusions
    rows = []
    for name in names:
        log: list[dict] = []
        if name.split("|")[0] == "counts":
            steps = base[base["frame"] == "counts"]
            for r in steps.itertuples():
                unit = UNIT_REGISTRATIONS if r.reason.startswith("registraties") else UNIT_MONTHS
                rows.append(
                    {"frame": name, "reason": r.reason, "n": int(r.n), "unit": unit, "excluded": True}
                )
            used = len(frame_for(frames, name, log))
            rows.append(
                {
                    "frame": name,
                    "reason": "in het analysebestand",
                    "n": used,
                    "unit": UNIT_MONTHS,
                    "excluded": False,
                }
            )
            continue
        steps = base[base["frame"] == "registrations"]
        if not name.startswith("room:"):
            steps = pd.concat([steps, base[base["frame"] == "duration"]])
        for r in steps.itertuples():
            rows.append(
                {
                    "frame": name,
                    "reason": r.reason,
                    "n": int(r.n),
                    "unit": UNIT_REGISTRATIONS,
                    "excluded": True,
                }
            )
        used = len(frame_for(frames, name, log))
        rows += [{**x, "unit": UNIT_REGISTRATIONS, "excluded": True} for x in log]
        rows.append(
            {
                "frame": name,
                "reason": "in het analysebestand",
                "n": used,
                "unit": UNIT_REGISTRATIONS,
                "excluded": False,
            }
        )
    out = pd.DataFrame(rows, columns=["frame", "reason", "n", "unit", "excluded"])
    return out[(out["n"] > 0) | ~out["excluded"]].reset_index(drop=True)
