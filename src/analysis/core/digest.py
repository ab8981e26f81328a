"""SHA-256 of a file's bytes: the one digest every stage uses.

Ingest records it per raw export (provenance of the processed tables), the twin's manifest
lists it per file, and the build's incremental steps hash their inputs with it
(:mod:`analysis.pipeline.hashing` builds tree, frame and JSON digests on top).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

CHUNK = 1 << 20
"""Read size in bytes: large exports are hashed without loading them whole."""


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, as 64 lowercase hex digits.

    Parameters
    ----------
    path : Path
        File to hash (symlinks are followed).

    Returns
    -------
    str
        Hex digest.
    """
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()
