"""Content hashes for incremental builds and provenance.

A build step re-runs only when the digest of its inputs changes. Digests are SHA-256 over
file bytes (raw exports, notebooks, package source), over canonical CSV of data slices
(so a step sees only the rows it uses) or over canonical JSON of parameters.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from analysis.core.digest import file_digest
from analysis.core.walk import files_under

if TYPE_CHECKING:  # pandas takes a second to import; planning a no-op build needs none
    import pandas as pd

#: This process's file digests keyed by (path, size, mtime, ctime, inode): a build digests the
#: raw tree for ingest and again for calibration, the results for two steps. Any write changes
#: ctime (and a replaced folder has new inodes), so a changed file is read again.
_FILE_MEMO: dict[tuple[str, int, int, int, int], str] = {}
_MEMO_LOCK = threading.Lock()


def stat_file_digest(path: Path, st: os.stat_result | None = None) -> str:
    """:func:`analysis.core.digest.file_digest`, memoised in this process by the file's status."""
    st = st or os.stat(path)
    key = (str(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    with _MEMO_LOCK:
        hit = _FILE_MEMO.get(key)
    if hit is None:
        hit = file_digest(path)
        with _MEMO_LOCK:
            _FILE_MEMO[key] = hit
    return hit


def _all_files(root: Path) -> list[Path]:
    """Files under ``root`` as ``root.glob("**/*")`` plus ``is_file()`` finds them, unsorted.

    Same rules (symbolic links to files count, linked folders are not entered), an order of
    magnitude faster than :meth:`pathlib.Path.glob` on a tree of thousands of exports.
    """
    return [Path(e.path) for _, e in files_under(root)]


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
    patterns = tuple(patterns)
    if patterns == ("**/*",):
        files = sorted(_all_files(root), key=lambda p: p.parts)  # the order of Paths, faster
    else:
        files = sorted({p for pat in patterns for p in root.glob(pat) if p.is_file()})
    exclude = tuple(exclude)
    prefix = str(root) + os.sep
    for p in files:
        full = str(p)
        # the relative path; a slice is cheaper than relative_to on thousands of files
        rel = full[len(prefix) :] if full.startswith(prefix) else p.relative_to(root).as_posix()
        if any(x in rel for x in exclude):
            continue
        h.update(rel.encode() + b"\0" + stat_file_digest(p).encode() + b"\n")
    return h.hexdigest()


def frame_digest(df: "pd.DataFrame") -> str:
    """Digest of a DataFrame's content in a canonical CSV form (row order as given)."""
    return hashlib.sha256(df.to_csv(index=False, lineterminator="\n").encode()).hexdigest()


def json_digest(obj: Any) -> str:
    """Digest of a JSON-serialisable object with sorted keys."""
    text = json.dumps(obj, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def combine(parts: dict[str, str]) -> str:
    """One digest over named digests (order-independent)."""
    return json_digest(dict(sorted(parts.items())))


def memo(
    folder: Path | None,
    name: str,
    key: dict[str, str],
    compute: Callable[[], Any],
    key_after: Callable[[], dict[str, str]] | None = None,
) -> Any:
    """``compute()``, kept in ``<folder>/<name>.json`` for the next call with the same ``key``.

    For values a build's planning derives from data (the digest of one measurement's rows,
    the inputs of the factsheet steps): ``key`` must name everything ``compute`` reads (file
    digests of the tables, parameters, the code's digest), so a stored value is returned only
    for the very same inputs. The value must be JSON (lists come back as lists).

    Parameters
    ----------
    folder
        Cache folder (the build's ``cache/plan``); None computes without storing.
    name
        File-name-safe name of the value.
    key
        Named digests of every input of ``compute``.
    compute
        Returns the value from the inputs (may be slow: reads tables).
    key_after
        For a ``compute`` that writes one of its own inputs (the disclosure decision, which
        :func:`analysis.present.publish.decision_for` stores when absent): the key of the
        inputs as they are after it ran, under which the value is stored.
    """
    if folder is None:
        return compute()
    path = Path(folder) / f"{name}.json"
    want = json_digest(key)
    try:
        stored = json.loads(path.read_text("utf-8"))
        if stored.get("key") == want:
            return stored["value"]
    except (OSError, ValueError, AttributeError, KeyError):
        pass
    value = compute()
    if key_after is not None:
        key = key_after()
        want = json_digest(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps({"key": want, "inputs": key, "value": value}, sort_keys=True), "utf-8")
    os.replace(tmp, path)
    return json.loads(json.dumps(value))
