"""Content hashes for incremental builds and provenance.

A build step re-runs only when the digest of its inputs changes. Digests are SHA-256 over
file bytes (raw exports, notebooks, package source), over canonical CSV of data slices
(so a step sees only the rows it uses) or over canonical JSON of parameters.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from analysis.core.digest import file_digest


def tree_digest(root: Path, patterns: Iterable[str] = ("**/*",), exclude: Iterable[str] = ()) -> str:
    """Digest of every file under ``root`` matching ``patterns`` (names and bytes).

    Parameters
    ----------
    root : Path
        Folder to hash; a missing folder hashes as empty.
    patterns : iterable of str
        Glob patterns relative to ``root``.
    exclude : iterable of str
        Path fragments; files whose relative path contains one are skipped
        (e.g. ``__pycache__``).
    """
    h = hashlib.sha256()
    if not root.exists():
        return h.hexdigest()
    files = sorted({p for pat in patterns for p in root.glob(pat) if p.is_file()})
    for p in files:
        rel = p.relative_to(root).as_posix()
        if any(x in rel for x in exclude):
            continue
        h.update(rel.encode() + b"\0" + file_digest(p).encode() + b"\n")
    return h.hexdigest()


def frame_digest(df: pd.DataFrame) -> str:
    """Digest of a DataFrame's content in a canonical CSV form (row order as given)."""
    return hashlib.sha256(df.to_csv(index=False, lineterminator="\n").encode()).hexdigest()


def json_digest(obj: Any) -> str:
    """Digest of a JSON-serialisable object with sorted keys."""
    text = json.dumps(obj, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def combine(parts: dict[str, str]) -> str:
    """One digest over named digests (order-independent)."""
    return json_digest(dict(sorted(parts.items())))
