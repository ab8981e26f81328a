"""Where data came from: the synthetic twin or real registrations.

One question, one answer for every stage: a folder is synthetic when it is the
twin's raw tree (it holds the ``SYNTHETIC`` marker written by :mod:`analysis.synth`) or a
processed folder whose ``ingest_report.json`` says ``"synthetic": true`` (ingest copies the
marker's verdict there, so later stages need not know where the raw tree was).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from analysis.core.digest import file_digest

#: Marker file in the root of the synthetic twin's raw tree.
SYNTHETIC_MARKER = "SYNTHETIC"
#: Line in the marker after which the twin's manifest follows (``<sha256>  <path>`` lines).
MANIFEST_HEADER = "--- manifest: sha256 and path of every file of this twin ---"
_MANIFEST_LINE = re.compile(r"^([0-9a-f]{64})  (.+)$")
#: Report that ingest writes beside the processed tables.
INGEST_REPORT = "ingest_report.json"


def marker_text(text: str, files: dict[str, str]) -> str:
    """The marker's content: ``text`` and the manifest of every other file of the twin.

    Parameters
    ----------
    text : str
        The human-readable notice.
    files : dict
        Relative POSIX path -> SHA-256 of every file of the tree except the marker.
    """
    lines = [f"{digest}  {path}" for path, digest in sorted(files.items()) if path != SYNTHETIC_MARKER]
    return text.rstrip("\n") + "\n\n" + MANIFEST_HEADER + "\n" + "\n".join(lines) + "\n"


def twin_verified(raw: Path) -> bool:
    """True when ``raw`` is exactly the tree ``compendium synth`` wrote.

    The marker must hold a manifest; every file it lists must exist with that SHA-256 and
    the tree must hold no other file (hidden files aside). Why: a ``SYNTHETIC`` file copied
    or left in a real raw tree must never switch ingest to the public key.
    """
    raw = Path(raw)
    marker = raw / SYNTHETIC_MARKER
    if not marker.is_file():
        return False
    text = marker.read_text(encoding="utf-8", errors="replace")
    if MANIFEST_HEADER not in text:
        return False
    listed = {}
    for line in text.split(MANIFEST_HEADER, 1)[1].splitlines():
        m = _MANIFEST_LINE.match(line)
        if m:
            listed[m.group(2)] = m.group(1)
    if not listed:
        return False
    present = {
        p.relative_to(raw).as_posix()
        for p in raw.rglob("*")
        if (p.is_file() or p.is_symlink())
        and p != marker
        and not any(part.startswith(".") for part in p.relative_to(raw).parts)
    }
    if present != set(listed):
        return False
    return all(
        not (raw / rel).is_symlink() and file_digest(raw / rel) == digest for rel, digest in listed.items()
    )


def is_synthetic(folder: Path) -> bool:
    """True when ``folder`` holds synthetic data.

    Parameters
    ----------
    folder : Path
        A raw-data tree (it holds the ``SYNTHETIC`` marker and matches the manifest in it,
        :func:`twin_verified`) or a processed folder (checked for the ``synthetic`` flag of
        ``ingest_report.json``).

    Returns
    -------
    bool
        False when neither the marker nor a report with the flag set is present: data of
        unknown origin are treated as real, so they are never labelled synthetic by mistake
        and the pseudonymisation key is required for them.
    """
    folder = Path(folder)
    if (folder / SYNTHETIC_MARKER).is_file():
        return twin_verified(folder)
    report = folder / INGEST_REPORT
    if not report.is_file():
        return False
    return bool(json.loads(report.read_text(encoding="utf-8")).get("synthetic", False))
