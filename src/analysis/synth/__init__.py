"""Synthetic twin of the confidential registrations.

``write_twin`` writes a complete raw-data tree in the raw-data contract; ``main`` is what
``compendium synth`` calls. Nothing here uses real data: the twin is built from the
published aggregates only (see ``docs/synthetic-twin.md``).
"""

from __future__ import annotations

import hashlib
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import SYNTHETIC_BANNER
from analysis.core.months import month_range
from analysis.core.provenance import SYNTHETIC_MARKER, marker_text
from analysis.synth import locations as L
from analysis.synth import measurement1 as M1
from analysis.synth import measurement2 as M2
from analysis.synth import model as M
from analysis.synth import targets as T
from analysis.synth import writers as W
from analysis.synth.policy_table import policy_table

DEFAULT_SEED = 20210531
MONTHS = {1: ("2019-09", "2020-02"), 2: ("2020-09", "2021-02")}
MARKER_TEXT = f"""{SYNTHETIC_BANNER}

Deze map is de synthetische tweeling ('synthetic twin') van de registraties van
"Ik laat je niet alleen" (etappe 3). Alle locaties, instellingen, jongeren en registraties
zijn verzonnen en alleen afgeleid van de gepubliceerde aggregaten van het rapport.
Locatiecodes (L01-L18), namen (Locatie A-R) en instellingen (Instelling 1-10) zijn
pseudoniemen en verwijzen niet naar echte locaties.

This folder is synthetic. Every location, institution, youth and registration is invented
and derived only from the published aggregates. Ingest uses this file to select the public
pseudonym key. Written by `compendium synth` (analysis.synth); see docs/synthetic-twin.md.
"""


@dataclass
class Twin:
    """All generated tables before writing (internal frames, codes as int, 0 = missing)."""

    registrations: dict[int, pd.DataFrame] = field(default_factory=dict)
    occupancy: dict[int, pd.DataFrame] = field(default_factory=dict)
    months: dict[int, list[str]] = field(default_factory=dict)
    policy: pd.DataFrame | None = None


def _months(meting: int) -> list[str]:
    """Months of a measurement: params/meting-N.yaml if present, else Sep-Feb (N+2018/19)."""
    first, last = MONTHS.get(meting, (f"{2018 + meting}-09", f"{2019 + meting}-02"))
    from analysis.core.measurements import load_all

    # a broken params file is an error (ParamsError, one line), never a silent default
    found = load_all()
    if meting in found:
        return found[meting].months()
    return month_range(first, last)


def build(seed: int = DEFAULT_SEED, extra_measurements: list[int] | tuple[int, ...] = ()) -> Twin:
    """Generate every table of the twin in memory (deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    values = T.published()
    world = M.World.draw(rng)
    twin = Twin()
    m2_months = _months(2)
    twin.months[2] = m2_months
    m2 = M2.generate(m2_months, world, values, rng)
    occ_months = {c: L.active_months(c, m2_months, 2) for c in L.codes()}
    total = int(round(values["ch2.s2_1_1.mean.occupancy"] * 10)) * len(m2_months)
    occ2 = L.occupancy(occ_months, total, rng)
    twin.registrations[2], twin.occupancy[2] = m2, occ2
    for meting in [1, *sorted(set(extra_measurements) - {1, 2})]:
        months = _months(meting)
        con = M1.Contrast() if meting == 1 else M1.EXTRA
        occ = L.occupancy({c: months for c in L.codes()}, None, rng, level=con.occupancy)
        twin.months[meting] = months
        twin.occupancy[meting] = occ
        twin.registrations[meting] = M1.generate(months, m2, occ2, occ, world, con, rng)
    twin.policy = policy_table(rng)
    return twin


def _prepare(out: Path) -> None:
    """Empty ``out`` if it is an earlier twin; refuse to touch a folder with other data."""
    if out.exists() and any(out.iterdir()):
        if not (out / SYNTHETIC_MARKER).is_file():
            raise FileExistsError(f"{out} is not empty and holds no SYNTHETIC marker; not overwriting it")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def write_twin(
    out: Path, seed: int = DEFAULT_SEED, extra_measurements: list[int] | tuple[int, ...] = ()
) -> dict[str, str]:
    """Write the raw-data tree of the twin to ``out``.

    Parameters
    ----------
    out : Path
        Target folder (created; an earlier twin there is replaced).
    seed : int
        Random seed; the same seed gives byte-identical files.
    extra_measurements : list of int
        Additional measurements (e.g. ``[3]``) drawn from the same model.

    Returns
    -------
    dict
        Relative path (POSIX) -> SHA-256 of every written file, sorted by path.
    """
    out = Path(out)
    twin = build(seed, extra_measurements)
    _prepare(out)
    (out / SYNTHETIC_MARKER).write_text(MARKER_TEXT, encoding="utf-8")
    all_months = sorted(m for ms in twin.months.values() for m in ms)
    W.write_csv(out / "locations.csv", L.locations_table(all_months[0], all_months[-1]))
    inst = {loc.code: loc.institution for loc in L.locations()}
    for meting, reg in sorted(twin.registrations.items()):
        folder = out / f"meting-{meting}"
        W.write_registrations(folder / "registraties", reg, inst)
        occ = twin.occupancy[meting]
        W.write_csv(
            folder / "bezetting.csv",
            pd.DataFrame(
                {
                    "locatie": occ["locatie"],
                    "maand": occ["maand"],
                    "gemiddelde_bezetting": W.decimal_comma(occ["tienden"]),
                }
            ),
        )
    W.write_csv(out / "meting-2" / "beleid.csv", twin.policy)
    W.write_csv(out / "meting-2" / "faciliteiten.csv", L.facilities_table())
    # The marker carries the manifest of every other file, so ingest can verify that a tree
    # with a marker really is this twin (analysis.core.provenance.twin_verified).
    files = {k: v for k, v in manifest(out).items() if k != SYNTHETIC_MARKER}
    (out / SYNTHETIC_MARKER).write_text(marker_text(MARKER_TEXT, files), encoding="utf-8")
    return manifest(out)


def manifest(root: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file under ``root``."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def main(
    out: Path | None, seed: int = DEFAULT_SEED, extra_measurements: list[int] | tuple[int, ...] = ()
) -> Path:
    """``compendium synth``: write the twin into ``out`` (default ``build/synthetic-raw``).

    The calibration check (``--check``) is a verification step and lives in
    :mod:`analysis.verify.calibration`; the CLI calls it after this function.

    Returns
    -------
    Path
        The folder written.
    """
    if out is None:
        from analysis.core.paths import default_paths

        out = default_paths().synthetic_raw
    t0 = time.perf_counter()
    files = write_twin(Path(out), seed, list(extra_measurements))
    print(f"synthetic twin: {len(files)} files in {out} ({time.perf_counter() - t0:.1f} s, seed {seed})")
    return Path(out)
