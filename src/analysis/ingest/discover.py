"""Find the files of a raw-data tree: the one discovery used by ``ingest`` and ``build``.

Rules (documented in ``data/raw/README.md``):

* ``locations.csv`` in the root (name matched case-insensitively), and an optional
  ``aliases.yaml`` there that applies to every measurement;
* one folder ``meting-<N>`` per measurement (case-insensitive, ``N`` an integer);
* every file under ``meting-<N>/registraties/``, in subfolders too, is a registration export,
  except ``registraties/aliases.yaml``, hidden files and folders (name starting with ``.``)
  and Excel lock files (``~$...``). Extensions are matched case-insensitively (``.CSV``,
  ``.Xlsx``); a file of another type, a dangling symbolic link or a symbolic link to a
  folder is kept as an entry with a problem, so ingest reports it and never skips it;
* ``meting-<N>/bezetting.csv`` and ``beleid.csv`` (case-insensitive); ``faciliteiten.csv``
  of the synthetic twin is known and not ingested; any other file in a measurement folder
  or in the root is listed as not read.

A file name that is not valid UTF-8 is shown with ``\\xNN`` escapes (``display``), so that
reports and logs can always be written.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

READABLE_SUFFIXES = (".csv", ".xlsx", ".sav")
METING_DIR = re.compile(r"^meting-(\d+)$", re.IGNORECASE)
#: Files in the root that are not data (this README, the twin's marker).
ROOT_NOT_DATA = {"readme.md", "synthetic", ".gitkeep", ".gitignore"}
#: Files of a measurement folder and the table they feed (None: known, not ingested).
MEASUREMENT_FILES = {"bezetting.csv": "bezetting", "beleid.csv": "beleid", "faciliteiten.csv": None}


@dataclass(frozen=True)
class RawFile:
    """One file found; ``problem`` says why it cannot be read (then it is reported, not read)."""

    path: Path
    display: str
    problem: str | None = None


@dataclass
class MeasurementFolder:
    """The files of one ``meting-<N>`` folder."""

    meting: int
    path: Path
    registrations: list[RawFile] = field(default_factory=list)
    tables: dict[str, Path] = field(default_factory=dict)
    aliases: Path | None = None
    #: The ``registraties`` folder as spelled on disk (None when there is none).
    registrations_dir: Path | None = None
    not_read: list[str] = field(default_factory=list)


@dataclass
class RawTree:
    """Everything :func:`discover` found under a raw root."""

    root: Path
    exists: bool
    locations: Path | None = None
    #: ``aliases.yaml`` in the root: aliases for every measurement (a measurement's own wins).
    aliases: Path | None = None
    measurements: list[MeasurementFolder] = field(default_factory=list)
    not_read: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def has_data(self) -> bool:
        """True when the tree holds anything of an export: ``locations.csv`` or a file in a
        measurement folder (also one that cannot be read, so it is reported, never ignored)."""
        return self.locations is not None or any(
            m.registrations or m.tables or m.not_read for m in self.measurements
        )

    def registration_files(self) -> list[RawFile]:
        """All registration entries, in measurement order then path order."""
        return [f for m in self.measurements for f in m.registrations]


def display_name(path: Path, root: Path) -> str:
    """POSIX path of ``path`` relative to ``root``, always valid UTF-8 (``\\xNN`` escapes)."""
    rel = os.fsencode(path.relative_to(root).as_posix())
    return rel.decode("utf-8", errors="backslashreplace")


def _entries(folder: Path, errors: list[str]) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as it:
            return sorted(it, key=lambda e: os.fsencode(e.name))
    except OSError as exc:
        errors.append(f"folder {folder} cannot be read ({exc.strerror or type(exc).__name__})")
        return []


def _hidden(name: str) -> bool:
    return name.startswith((".", "~$"))


def _registrations(reg: Path, root: Path, errors: list[str]) -> tuple[list[RawFile], Path | None]:
    """Every registration entry under ``reg`` (recursively) and the per-source aliases file."""
    found: list[RawFile] = []
    aliases = None
    stack = [reg]
    while stack:
        folder = stack.pop()
        for e in _entries(folder, errors):
            path = Path(e.path)
            if _hidden(e.name):
                continue
            if folder == reg and e.name.lower() == "aliases.yaml":
                aliases = path
                continue
            show = display_name(path, root)
            if e.is_symlink() and not path.exists():
                found.append(RawFile(path, show, "a symbolic link whose target does not exist"))
            elif e.is_symlink() and path.is_dir():
                found.append(
                    RawFile(
                        path,
                        show,
                        "a symbolic link to a folder (not followed); "
                        "copy the files into registraties/ instead",
                    )
                )
            elif e.is_dir():
                stack.append(path)
            elif not path.is_file():
                found.append(RawFile(path, show, "not a regular file"))
            elif path.suffix.lower() not in READABLE_SUFFIXES:
                found.append(
                    RawFile(
                        path,
                        show,
                        f"unsupported file type {path.suffix or '(none)'!r}; "
                        "save the export as .csv, .xlsx or .sav",
                    )
                )
            else:
                found.append(RawFile(path, show))
    return sorted(found, key=lambda f: os.fsencode(f.path.relative_to(root).as_posix())), aliases


def discover(raw: Path) -> RawTree:
    """Find every file of the raw-data tree ``raw`` by the rules of this module.

    Parameters
    ----------
    raw : Path
        Raw-data root.

    Returns
    -------
    RawTree
        What was found; unreadable folders are listed in ``errors`` (ingest stops on them).
    """
    raw = Path(raw)
    tree = RawTree(root=raw, exists=raw.is_dir())
    if not tree.exists:
        return tree
    for e in _entries(raw, tree.errors):
        path = Path(e.path)
        m = METING_DIR.match(e.name)
        if m and path.is_dir():
            folder = MeasurementFolder(meting=int(m.group(1)), path=path)
            for sub in _entries(path, tree.errors):
                low = sub.name.lower()
                sub_path = Path(sub.path)
                if low == "registraties" and sub_path.is_dir():
                    folder.registrations_dir = sub_path
                    folder.registrations, folder.aliases = _registrations(sub_path, raw, tree.errors)
                elif low in MEASUREMENT_FILES and sub_path.is_file():
                    if MEASUREMENT_FILES[low]:
                        folder.tables[MEASUREMENT_FILES[low]] = sub_path
                elif not _hidden(sub.name):
                    folder.not_read.append(display_name(sub_path, raw))
            if any(f.meting == folder.meting for f in tree.measurements):
                tree.errors.append(
                    f"two folders for measurement {folder.meting} in {raw}; keep one meting-{folder.meting}"
                )
            tree.measurements.append(folder)
        elif e.name.lower() == "locations.csv" and path.is_file():
            tree.locations = path
        elif e.name.lower() == "aliases.yaml" and path.is_file():
            tree.aliases = path
        elif not _hidden(e.name) and e.name.lower() not in ROOT_NOT_DATA:
            tree.not_read.append(display_name(path, raw))
    tree.measurements.sort(key=lambda f: f.meting)
    return tree


def has_real_data(raw: Path) -> bool:
    """True when ``raw`` holds an export (see :meth:`RawTree.has_data`); the build then uses it."""
    return discover(raw).has_data()
