"""One directory walk for the build's digests: every file under a folder, fast.

:func:`os.scandir` instead of :meth:`pathlib.Path.glob` or :func:`os.walk`: a no-op build
hashes the raw tree (thousands of exports at 10x) and the package's code on every run, and
``glob`` with ``is_file`` costs a ``stat`` per entry that the directory listing already holds.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Collection, Iterator


def files_under(root: Path, skip: Collection[str] = ()) -> Iterator[tuple[str, os.DirEntry]]:
    """Every file under ``root`` as ``(relative POSIX path, directory entry)``, unordered.

    The rules of ``root.glob("**/*")`` plus ``is_file()``: a symbolic link to a file counts,
    a linked folder is not entered, and an entry that cannot be read is passed over (it has
    no bytes to hash).

    Parameters
    ----------
    root : Path
        Folder to walk; a missing or unreadable folder yields nothing.
    skip : collection of str
        Names of entries (files or folders) left out wherever they stand, e.g. ``__pycache__``.
    """
    todo: list[tuple[str, str]] = [(os.fspath(root), "")]
    while todo:
        folder, rel = todo.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError:
            continue
        for e in entries:
            if e.name in skip:
                continue
            r = f"{rel}{e.name}"
            try:
                if e.is_dir() and not e.is_symlink():
                    todo.append((e.path, r + "/"))
                elif e.is_file():
                    yield r, e
            except OSError:
                continue
