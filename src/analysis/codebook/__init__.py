"""Access to the machine-readable codebook (``codebook/datapackage.json``).

The codebook is a Frictionless Data Package (validated by the ``frictionless`` library in
``tests/test_codebook_frictionless.py``). It is the single source of truth for column names,
types, category codes, their Dutch and English labels, their display order (the order of a
field's ``categories``), their colour and hatch in figures, Dutch and English field
descriptions and missing values; ingestion, figures, tables, the processed-table schemas
(:mod:`analysis.codebook.schemas`) and the report's data dictionary all read it through this
module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

from analysis.core.errors import ProjectError

Lang = Literal["nl", "en"]


@dataclass(frozen=True)
class Category:
    """One code of a categorical field.

    Attributes
    ----------
    value : int
        The code.
    label, label_en : str
        Dutch and English label.
    colour : str
        Fill colour in figures (``#rrggbb``); the same category has the same colour in
        every figure.
    hatch : str
        Matplotlib hatch pattern drawn over the colour, so figures survive greyscale print.
    key : str
        Short English name used in published-figure ids (empty when none is needed).
    """

    value: int
    label: str
    label_en: str
    colour: str = ""
    hatch: str = ""
    key: str = ""

    def text(self, lang: Lang = "nl") -> str:
        """Label in the requested language."""
        return self.label if lang == "nl" else self.label_en


class CodebookError(ProjectError, ValueError):
    """The codebook file breaks a rule of this module (e.g. a field without a Dutch description)."""

    hint = "correct src/analysis/codebook/datapackage.json (see docs/contracts.md)"


@dataclass(frozen=True)
class Field:
    """One column of a resource in the codebook.

    Attributes
    ----------
    name : str
        Column name.
    type : str
        Frictionless type (``string``, ``integer``, ``date``, ...).
    title, title_en : str
        Column title in Dutch and English.
    description : str
        English explanation (English documentation and CLI).
    description_nl : str
        Dutch explanation (the report's data dictionary, appendix B); empty when not given.
        Fields read through :func:`fields` always have one: the loader rejects a codebook
        with a field that lacks it.
    """

    name: str
    type: str
    title: str
    title_en: str
    description: str
    description_nl: str = ""
    categories: tuple[Category, ...] = ()
    required: bool = False
    aliases: tuple[str, ...] = ()
    free_text: bool = False
    pii: bool = False
    raw: dict[str, Any] | None = None

    @property
    def codes(self) -> tuple[int, ...]:
        """Allowed codes (empty for non-categorical fields)."""
        return tuple(c.value for c in self.categories)

    def label(self, code: int, lang: Lang = "nl") -> str:
        """Label of ``code`` in ``lang``; raises ``KeyError`` for an unknown code."""
        for cat in self.categories:
            if cat.value == code:
                return cat.text(lang)
        raise KeyError(f"{self.name}: {code!r} is not a code; allowed: {self.allowed_text()}")

    def labels(self, lang: Lang = "nl") -> dict[int, str]:
        """Mapping code -> label."""
        return {c.value: c.text(lang) for c in self.categories}

    def category(self, code: int) -> Category:
        """The category with ``code``; raises ``KeyError`` for an unknown code."""
        for cat in self.categories:
            if cat.value == int(code):
                return cat
        raise KeyError(f"{self.name}: {code!r} is not a code; allowed: {self.allowed_text()}")

    def keys(self) -> dict[int, str]:
        """Mapping code -> short English key (codes without a key are left out)."""
        return {c.value: c.key for c in self.categories if c.key}

    def allowed_text(self) -> str:
        """Human-readable list of allowed codes, e.g. ``1 Zonder jongere, 2 Met jongere``."""
        return ", ".join(f"{c.value} {c.label}" for c in self.categories)

    def display_title(self, lang: Lang = "nl") -> str:
        """Column title in ``lang``."""
        return self.title if lang == "nl" else self.title_en

    def explanation(self, lang: Lang = "nl") -> str:
        """Field description in ``lang``.

        Parameters
        ----------
        lang : {"nl", "en"}
            Language; ``"nl"`` gives :attr:`description_nl`, ``"en"`` :attr:`description`.

        Returns
        -------
        str
            The description (empty when the codebook gives none).
        """
        return self.description_nl if lang == "nl" else self.description


def check_package(pkg: dict[str, Any]) -> None:
    """Check that every field has a Dutch description and every category its labels and style.

    Parameters
    ----------
    pkg : dict
        A data-package dictionary as read from ``datapackage.json``.

    Raises
    ------
    CodebookError
        Naming the resource and field of the first field whose ``description_nl`` is
        missing, not a string or blank, or of the first category without ``label``,
        ``label_en``, ``colour`` or ``hatch``.
    """
    for res in pkg.get("resources", []):
        for d in res.get("schema", {}).get("fields", []):
            text = d.get("description_nl")
            if not isinstance(text, str) or not text.strip():
                raise CodebookError(
                    f"codebook resource {res.get('name')!r}, field {d.get('name')!r} has no Dutch "
                    "description: add a non-empty 'description_nl' next to 'description' in "
                    "src/analysis/codebook/datapackage.json"
                )
            for cat in d.get("categories", []):
                missing = [k for k in ("label", "label_en", "colour", "hatch") if k not in cat]
                if missing:
                    raise CodebookError(
                        f"codebook resource {res.get('name')!r}, field {d.get('name')!r}, code "
                        f"{cat.get('value')!r} lacks {missing}: every category needs both labels, a "
                        "colour and a hatch (figures read them from the codebook)"
                    )


@lru_cache(maxsize=1)
def load_package() -> dict[str, Any]:
    """Return the raw data-package dictionary.

    Returns
    -------
    dict
        The parsed ``codebook/datapackage.json``.

    Raises
    ------
    CodebookError
        When a field lacks its Dutch description (see :func:`check_package`).
    """
    text = resources.files("analysis.codebook").joinpath("datapackage.json").read_text("utf-8")
    pkg = json.loads(text)
    check_package(pkg)
    return pkg


def resource(name: str) -> dict[str, Any]:
    """Return the resource called ``name`` (``registraties``, ``bezetting``, ...)."""
    for res in load_package()["resources"]:
        if res["name"] == name:
            return res
    raise KeyError(f"codebook has no resource {name!r}")


def _field(d: dict[str, Any]) -> Field:
    cats = tuple(
        Category(
            int(c["value"]),
            c["label"],
            c["label_en"],
            colour=c.get("colour", ""),
            hatch=c.get("hatch", ""),
            key=c.get("key", ""),
        )
        for c in d.get("categories", [])
    )
    return Field(
        name=d["name"],
        type=d["type"],
        title=d["title"],
        title_en=d["title_en"],
        description=d.get("description", ""),
        description_nl=d.get("description_nl", ""),
        categories=cats,
        required=bool(d.get("constraints", {}).get("required", False)),
        aliases=tuple(d.get("aliases", [])),
        free_text=bool(d.get("free_text", False)),
        pii=bool(d.get("pii", False)),
        raw=d,
    )


def fields(resource_name: str = "registraties") -> list[Field]:
    """All fields of a resource, in codebook order."""
    return [_field(d) for d in resource(resource_name)["schema"]["fields"]]


def field(name: str, resource_name: str = "registraties") -> Field:
    """One field by name."""
    for f in fields(resource_name):
        if f.name == name:
            return f
    raise KeyError(f"codebook resource {resource_name!r} has no field {name!r}")


def codes(name: str, *labels_en: str, resource_name: str = "registraties") -> tuple[int, ...]:
    """Codes of the categories of field ``name`` with these English labels, in the order given.

    Code that selects categories (the debriefs that were planned or held, the contact that took
    place) names them by label, so the numbers live in the codebook only.

    Raises
    ------
    KeyError
        A label is not a category of the field (a renamed category must fail loudly).
    """
    by_label = {c.label_en: c.value for c in field(name, resource_name).categories}
    missing = [lab for lab in labels_en if lab not in by_label]
    if missing:
        raise KeyError(f"codebook field {name!r} has no categories labelled {missing}")
    return tuple(int(by_label[lab]) for lab in labels_en)


def missing_values(resource_name: str = "registraties") -> list[str]:
    """Cell texts that mean 'not registered'."""
    return list(resource(resource_name)["schema"].get("missingValues", [""]))


def missing_label(lang: Lang = "nl") -> str:
    """Label of the 'not registered' category shown in figures and tables."""
    return load_package()["missing_label"][lang]


def missing_style() -> tuple[str, str]:
    """Colour and hatch of the 'not registered' category in figures."""
    style = load_package()["missing_style"]
    return style["colour"], style["hatch"]


def categorical_fields(resource_name: str = "registraties") -> list[Field]:
    """Fields with category codes."""
    return [f for f in fields(resource_name) if f.categories]
