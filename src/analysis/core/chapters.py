"""The one list of the report's chapters: notebook, title, measurements it reads, sections.

The build (which notebooks run, on which measurements), the report assembly (which notebook
becomes which chapter, with which title) and the documentation all read :data:`CHAPTERS`;
``tests/test_chapters.py`` checks that every notebook's top heading equals its title here and
that the README lists the same notebooks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Scope = Literal["latest", "all"]


@dataclass(frozen=True)
class Section:
    """A notebook shown as the last section of a chapter (its headings one level down).

    Attributes
    ----------
    notebook : str
        Notebook name without ``.ipynb``.
    title : str
        Section title (used when the notebook has no top heading or did not run).
    sensitivity_only : bool
        Runs only with ``model_set="primary+sensitivity"``.
    """

    notebook: str
    title: str
    sensitivity_only: bool = False


@dataclass(frozen=True)
class Chapter:
    """One chapter of the report.

    Attributes
    ----------
    number : str
        Chapter number as the results contract writes it (``"1"``).
    notebook : str
        Notebook name without ``.ipynb``.
    title : str
        Chapter title (equal to the notebook's top heading; tested).
    scope : {"latest", "all"}
        ``latest``: describes one measurement, by default the latest configured;
        ``all``: compares every configured measurement.
    table : str
        Processed table whose rows of those measurements the notebook reads (its data input).
    group : str
        Code group of the build step (``chapter`` or ``models``).
    include : str
        Generated include file of the report (``_ch01.md``).
    sections : tuple of Section
        Notebooks shown as the chapter's last sections.
    falls_back : bool
        When the chosen measurement has no rows in ``table``, the notebook describes the latest
        earlier measurement that has them (chapter 1: ``beleid.csv`` is not delivered every
        measurement), so the rows of every earlier measurement are its data input too.
    """

    number: str
    notebook: str
    title: str
    scope: Scope
    table: str
    group: str
    include: str
    sections: tuple[Section, ...] = ()
    falls_back: bool = False


CHAPTERS: tuple[Chapter, ...] = (
    Chapter(
        "1",
        "01_planned_policy",
        "Geplande gedwongen afzonderingen",
        "latest",
        "policy.parquet",
        "chapter",
        "_ch01.md",
        falls_back=True,
    ),
    Chapter(
        "2",
        "02_unplanned_seclusion",
        "Ongeplande gedwongen afzonderingen",
        "latest",
        "registrations.parquet",
        "chapter",
        "_ch02.md",
    ),
    Chapter(
        "3",
        "03_change_across_measurements",
        "Veranderingen in ongepland gedwongen afzonderen over de metingen",
        "all",
        "registrations.parquet",
        "models",
        "_ch03.md",
        (Section("03b_leave_one_location_out", "Eén locatie weglaten", sensitivity_only=True),),
    ),
)


def chapter(number: str) -> Chapter:
    """The chapter with this number."""
    for ch in CHAPTERS:
        if ch.number == str(number):
            return ch
    raise KeyError(f"no chapter {number!r}; known: {[c.number for c in CHAPTERS]}")


def titles() -> dict[str, str]:
    """Notebook name -> title, for chapters and their sections."""
    out = {ch.notebook: ch.title for ch in CHAPTERS}
    out.update({s.notebook: s.title for ch in CHAPTERS for s in ch.sections})
    return out


def notebooks() -> list[str]:
    """Every notebook the report is made of, in report order."""
    return [nb for ch in CHAPTERS for nb in (ch.notebook, *(s.notebook for s in ch.sections))]
