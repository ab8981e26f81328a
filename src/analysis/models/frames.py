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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

ROOM_CONTRASTS: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "other_vs_own": ((2,), (1,)),
    "iso_vs_own": ((3,), (1,)),
    "iso_vs_other": ((3,), (2,)),
    "iso_vs_ownother": ((3,), (1, 2)),
}
"""Room contrasts: (codes counted as 1, codes counted as 0); ruimte 1 own, 2 other, 3 isolation."""

REASONS: dict[int, str] = {1: "agressie", 2: "orde_regels", 3: "zelfbeschadiging"}
"""Reasons (aanleiding codes) of the isolation-room reason x measurement model."""


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
    """

    counts: pd.DataFrame
    registrations: pd.DataFrame
    duration: pd.DataFrame
    exclusions: pd.DataFrame
    meting_levels: list[str]
    month_centre: float
    first_month: str
    notes: list[str] = field(default_factory=list)

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


def _period_months(occupancy: pd.DataFrame, metingen: Sequence[int],
                   months: Mapping[int, Sequence[str]] | None) -> dict[int, list[str]]:
    """Months of each measurement: from the measurement files, else from the occupancy table."""
    out = {}
    for m in metingen:
        if months is not None and m in months:
            out[m] = list(months[m])
        else:
            out[m] = sorted(occupancy.loc[occupancy["meting"] == m, "maand"].astype(str).unique())
    return out


def _count_grid(occupancy: pd.DataFrame, periods: dict[int, list[str]],
                locations: pd.DataFrame | None, log: list[dict]) -> pd.DataFrame:
    """Location-months with positive occupancy inside each measurement and location period."""
    occ = occupancy.copy()
    occ["meting"] = occ["meting"].astype(int)
    occ["maand"] = occ["maand"].astype(str)
    occ["locatie"] = occ["locatie"].astype(str)
    in_period = np.zeros(len(occ), dtype=bool)
    for m, months in periods.items():
        in_period |= (occ["meting"] == m).to_numpy() & occ["maand"].isin(months).to_numpy()
    log.append({"frame": "counts", "reason": "bezetting buiten de geselecteerde metingperiodes",
                "n": int((~in_period & occ["meting"].isin(list(periods))).sum())})
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
        log.append({"frame": "counts", "reason": "maand buiten deelnameperiode van de locatie",
                    "n": int((~ok).sum())})
        occ = occ[ok].drop(columns=["eerste_maand", "laatste_maand"])
    bez = pd.to_numeric(occ["gemiddelde_bezetting"], errors="coerce")
    bad = bez.isna() | (bez <= 0)
    log.append({"frame": "counts", "reason": "bezetting ontbreekt of is 0 (offset onbepaald)",
                "n": int(bad.sum())})
    occ = occ[~bad].assign(occupancy=bez[~bad].astype(float))
    return occ[["meting", "locatie", "maand", "occupancy"]].reset_index(drop=True)


def build_frames(registrations: pd.DataFrame, occupancy: pd.DataFrame, *,
                 metingen: Sequence[int] | None = None, reference: int | None = None,
                 months: Mapping[int, Sequence[str]] | None = None,
                 locations: pd.DataFrame | None = None) -> AnalysisFrames:
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
    grid = _count_grid(occupancy, periods, locations, log)
    grid["month_index"] = month_number(grid["maand"]) - origin
    centre = float(grid["month_index"].mean())

    reg = registrations.copy()
    reg["meting"] = reg["meting"].astype(int)
    reg = reg[reg["meting"].isin(metingen)]
    reg["maand"] = reg["maand"].astype(str)
    reg["locatie"] = reg["locatie"].astype(str)
    in_period = np.zeros(len(reg), dtype=bool)
    for m, mths in periods.items():
        in_period |= (reg["meting"] == m).to_numpy() & reg["maand"].isin(mths).to_numpy()
    log.append({"frame": "registrations", "reason": "start buiten de metingperiode",
                "n": int((~in_period).sum())})
    reg = reg[in_period].copy()

    counts = reg.groupby(["meting", "locatie", "maand"]).size().rename("n").reset_index()
    merged = grid.merge(counts, on=["meting", "locatie", "maand"], how="left")
    lost = counts.merge(grid, on=["meting", "locatie", "maand"], how="left", indicator=True)
    log.append({"frame": "counts", "reason": "registraties in locatie-maand zonder bezetting",
                "n": int(lost.loc[lost["_merge"] == "left_only", "n"].sum())})
    merged["n"] = merged["n"].fillna(0).astype(int)
    merged["log_occ"] = np.log(merged["occupancy"])
    merged["month"] = merged["month_index"] - centre
    merged["meting"] = merged["meting"].astype(str)

    reg["month_index"] = (month_number(reg["maand"]) - origin).astype(int)
    reg["month"] = reg["month_index"] - centre
    reg["meting"] = reg["meting"].astype(str)
    if "jongere" not in reg:
        reg["jongere"] = None
    reg["jongere"] = reg["jongere"].astype(object).where(reg["jongere"].notna(), None)
    flag = reg["vlag_duur_2359"] if "vlag_duur_2359" in reg else pd.Series(False, index=reg.index)
    reg["flag_2359"] = flag.fillna(False).astype(bool)
    keep = ["meting", "locatie", "jongere", "maand", "month_index", "month", "ruimte",
            "aanleiding", "duur_min", "flag_2359"]
    reg = reg[[c for c in keep if c in reg.columns]].reset_index(drop=True)
    duration = _duration_frame(reg, log)
    return AnalysisFrames(counts=merged, registrations=reg, duration=duration,
                          exclusions=pd.DataFrame(log, columns=["frame", "reason", "n"]),
                          meting_levels=levels, month_centre=centre, first_month=first_month)


def _duration_frame(reg: pd.DataFrame, log: list[dict]) -> pd.DataFrame:
    """Registrations with a positive duration; logs missing and non-positive durations."""
    dur = pd.to_numeric(reg["duur_min"], errors="coerce").astype(float)
    missing = dur.isna()
    nonpos = ~missing & (dur <= 0)
    log.append({"frame": "duration", "reason": "duur ontbreekt (geen eindtijd)", "n": int(missing.sum())})
    log.append({"frame": "duration", "reason": "duur <= 0 minuten (eind voor of gelijk aan start)",
                "n": int(nonpos.sum())})
    out = reg[~missing & ~nonpos].copy()
    out["dur"] = dur[~missing & ~nonpos]
    out["log_dur"] = np.log(out["dur"])
    return out.reset_index(drop=True)


def room_frame(frames: AnalysisFrames, contrast: str) -> pd.DataFrame:
    """Registrations in the two room groups of ``contrast`` with outcome ``y`` (1 = first group).

    Parameters
    ----------
    frames : AnalysisFrames
    contrast : str
        Key of :data:`ROOM_CONTRASTS`.

    Returns
    -------
    DataFrame
    """
    ones, zeros = ROOM_CONTRASTS[contrast]
    reg = frames.registrations
    ruimte = pd.to_numeric(reg["ruimte"], errors="coerce")
    out = reg[ruimte.isin(ones + zeros)].copy()
    out["y"] = ruimte[out.index].isin(ones).astype(float)
    return out.reset_index(drop=True)


def isolation_frame(frames: AnalysisFrames) -> pd.DataFrame:
    """Duration frame restricted to isolation-room registrations (ruimte 3)."""
    d = frames.duration
    return d[pd.to_numeric(d["ruimte"], errors="coerce") == 3].reset_index(drop=True)


def reason_frame(frames: AnalysisFrames) -> pd.DataFrame:
    """Isolation-room durations with reason aggression, order/rules or self-harm (``reden``)."""
    d = isolation_frame(frames)
    code = pd.to_numeric(d["aanleiding"], errors="coerce")
    out = d[code.isin(list(REASONS))].copy()
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


def load_frames(processed: Path, *, metingen: Sequence[int] | None = None,
                reference: int | None = None,
                months: Mapping[int, Sequence[str]] | None = None,
                params_dir: Path | None = None) -> AnalysisFrames:
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
        try:
            from analysis.core.measurements import load_all
            from analysis.core.paths import Paths, default_paths

            paths = Paths(default_paths().root, params_dir=Path(params_dir)) if params_dir else None
            months = {k: v.months() for k, v in load_all(paths).items()}
        except Exception:  # noqa: BLE001 - params are optional here; fall back to the data
            months = None
    return build_frames(reg, occ, metingen=metingen, reference=reference, months=months,
                        locations=loc)


def frame_for(frames: AnalysisFrames, name: str) -> pd.DataFrame:
    """The analysis frame called ``name`` in a :class:`~analysis.models.spec.ModelSpec`.

    ``name`` is ``counts``, ``duration``, ``room:<contrast>``, ``isolation`` or ``reason``,
    optionally followed by modifiers ``|no2359`` (drop rows flagged vlag_duur_2359) and
    ``|youth`` (missing youth ids replaced by singleton ids, see :func:`with_youth_ids`).
    """
    base, *mods = name.split("|")
    if base == "counts":
        out = frames.counts
    elif base == "duration":
        out = frames.duration
    elif base.startswith("room:"):
        out = room_frame(frames, base.split(":", 1)[1])
    elif base == "isolation":
        out = isolation_frame(frames)
    elif base == "reason":
        out = reason_frame(frames)
    else:
        raise KeyError(f"Unknown analysis frame {name!r}")
    if "no2359" in mods:
        out = out[~out["flag_2359"]].reset_index(drop=True)
    if "youth" in mods:
        out = with_youth_ids(out)
    return out
