"""Checks ``compendium build`` runs before it builds anything: raw layout, measurement
descriptions, pseudonymisation key (the user errors ingest would raise).

Kept apart from :mod:`analysis.ingest.process` so that a build on real data checks them
without importing pandas or pyarrow (a no-op build imports neither).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from analysis.core.errors import UserError
from analysis.ingest import discover, pseudonym

if TYPE_CHECKING:
    from analysis.core.measurements import Measurement


class IngestError(UserError):
    """Ingest cannot start (configuration or layout problem); the message is one line."""


class NothingToIngest(IngestError):
    """Nothing can be processed: no raw folder, no registration files or no locations.csv."""


def discover_measurements(
    raw: Path, measurements: dict[int, Measurement]
) -> tuple[discover.RawTree, list[tuple[Measurement, discover.MeasurementFolder]]]:
    """The raw tree (:func:`analysis.ingest.discover.discover`) matched with the measurement
    descriptions; raise when nothing can be processed or the layout is wrong."""
    tree = discover.discover(raw)
    if not tree.exists:
        raise NothingToIngest(f"raw folder {raw} does not exist")
    if tree.errors:
        raise IngestError(tree.errors[0])
    if tree.locations is None:
        raise NothingToIngest(f"{raw} has no locations.csv (see data/raw/README.md)")
    by_folder = {m.folder.lower(): m for m in measurements.values()}
    found = []
    for folder in tree.measurements:
        m = by_folder.get(folder.path.name.lower())
        if m is None:
            raise IngestError(
                f"raw folder {folder.path.name} has no measurement description: run "
                f"`compendium new-measurement {folder.meting} --raw {raw}` to write "
                f"params/meting-{folder.meting}.yaml from the data, then check it"
            )
        found.append((m, folder))
    if not tree.registration_files():
        raise NothingToIngest(f"no registration files under {raw}/meting-<N>/registraties/")
    return tree, found


def preflight(raw: Path, measurements: dict[int, Measurement]) -> None:
    """Raise the user errors ingest would raise (layout, params, key) before a build starts."""
    discover_measurements(Path(raw), measurements)
    pseudonym.resolve_key(Path(raw))
