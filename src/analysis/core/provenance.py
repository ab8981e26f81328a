"""Where data came from: the synthetic twin or real registrations.

One question, one answer for every stage (issue 18): a folder is synthetic when it is the
twin's raw tree (it holds the ``SYNTHETIC`` marker written by :mod:`analysis.synth`) or a
processed folder whose ``ingest_report.json`` says ``"synthetic": true`` (ingest copies the
marker's verdict there, so later stages need not know where the raw tree was).
"""

from __future__ import annotations

import json
from pathlib import Path

#: Marker file in the root of the synthetic twin's raw tree.
SYNTHETIC_MARKER = "SYNTHETIC"
#: Report that ingest writes beside the processed tables.
INGEST_REPORT = "ingest_report.json"


def is_synthetic(folder: Path) -> bool:
    """True when ``folder`` holds synthetic data.

    Parameters
    ----------
    folder : Path
        A raw-data tree (checked for the ``SYNTHETIC`` marker) or a processed folder
        (checked for the ``synthetic`` flag of ``ingest_report.json``).

    Returns
    -------
    bool
        False when neither the marker nor a report with the flag set is present: data of
        unknown origin are treated as real, so they are never labelled synthetic by mistake
        and the pseudonymisation key is required for them.
    """
    folder = Path(folder)
    if (folder / SYNTHETIC_MARKER).is_file():
        return True
    report = folder / INGEST_REPORT
    if not report.is_file():
        return False
    return bool(json.loads(report.read_text(encoding="utf-8")).get("synthetic", False))
