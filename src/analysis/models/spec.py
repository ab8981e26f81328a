"""Model specifications as data: id, outcome, right-hand side, family, engine, frame, ids.

The primary set reconstructs Bijlage 3 of the report: a random intercept per location in every
model (Stata's ``chibar2`` label = LR test of one variance component), a centred calendar-month
index across measurements, and the measurement as a factor with the reference first.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Sequence

from analysis.models.frames import ROOM_CONTRASTS

TIME_TERMS: dict[str, str] = {"month": "month", "meting": "meting", "interaction": "month * meting"}
"""The three fits of every outcome: month; measurement; month x measurement."""

PUBLISHED_MODELS: frozenset[str] = frozenset(
    {
        "count_month",
        "count_meting",
        "count_interaction",
        "dur_month",
        "dur_meting",
        "dur_interaction",
        "room_other_vs_own_month",
        "room_other_vs_own_meting",
        "room_iso_vs_own_month",
        "room_iso_vs_own_meting",
        "room_iso_vs_other_month",
        "room_iso_vs_other_meting",
        "room_iso_vs_other_interaction",
        "room_iso_vs_ownother_month",
        "room_iso_vs_ownother_meting",
        "isodur_month",
        "isodur_meting",
        "isodur_interaction",
        "isodur_reason_meting",
    }
)
"""Models whose numbers the report publishes (ids ``ch3.<model>.<term>.<stat>``)."""

PUBLISHED_TERMS: frozenset[str] = frozenset({"month", "meting2", "month_x_meting2", "agressie"})
"""Terms that carry published ids (plus ``re_location`` for the LR test)."""

PRIMARY = "primary"
"""The ``variant`` of a primary model (a sensitivity variant names its analysis)."""

OUTCOMES: tuple[str, ...] = ("count", "duration", "room", "isoduration")
"""The outcomes of chapter 3 (:attr:`ModelSpec.group`), in report order."""

KINDS: tuple[str, ...] = (*TIME_TERMS, "reason_meting")
"""The kinds of model per outcome: the three time codings and reason x measurement."""

SPEC_COLUMNS: tuple[str, ...] = ("outcome", "contrast", "kind", "variant", "subset")
"""Columns every chapter-3 results table carries per row (:meth:`ModelSpec.columns`)."""


@dataclass(frozen=True)
class ModelSpec:
    """One model, fully specified.

    Attributes
    ----------
    model_id : str
        Stable id, e.g. ``count_month``; the published ids start with ``ch3.<model_id>``.
    group : str
        The outcome (:data:`OUTCOMES`): ``count``, ``duration``, ``room`` or ``isoduration``.
    base_frame : str
        Which analysis frame: ``counts``, ``duration``, ``room:<contrast>``, ``isolation``,
        ``reason`` (the rows of the primary models; :attr:`subset` selects a variant's rows).
    outcome : str
        Response column (``n``, ``log_dur``, ``y``, ``dur``).
    rhs : str
        Fixed part, e.g. ``month * meting``.
    family : str
        ``nbinom2``, ``poisson``, ``gaussian``, ``binomial`` or ``gamma_log``.
    engine : str
        ``glmmTMB``, ``lmer``, ``glmer`` or ``glmer.nb``.
    random : str
        Random part, e.g. ``(1 | locatie)``; empty for a model without random effects.
    offset : str
        Offset column (``log_occ``) or empty.
    null_engine : str
        Engine of the model without random effects for the LR test (``glmmTMB``, ``lm``,
        ``glm``); empty: no test.
    term_map : tuple of (str, str)
        Renames of cleaned term names for published ids (e.g. agressie_x_meting2 -> agressie).
    nagq : int
        Quadrature points for ``glmer`` (1 = Laplace).
    zi : str
        Zero-inflation formula for glmmTMB (``~1``); empty: none.
    kind : str
        :data:`KINDS`: ``month``, ``meting``, ``interaction`` or ``reason_meting``.
    contrast : str
        Room contrast (:data:`~analysis.models.frames.ROOM_CONTRASTS`) of a room model, else empty.
    variant : str
        :data:`PRIMARY` or the sensitivity analysis that changed the model
        (:mod:`analysis.models.sensitivity`).
    primary_id : str
        Id of the primary model a variant changes; empty for a primary model
        (:attr:`primary_model`).
    subset : str
        Data subset of a variant: a modifier of the analysis frame (``no2359``, ``nodup``,
        ``alllocs``, ``youth``, ``nogap``, ``within``; see
        :func:`analysis.models.frames.frame_for`); empty: the primary rows.

    The declaration fields (group, kind, contrast, variant, subset) are what a model *is*; the
    results tables carry them as columns (:meth:`columns`), so nothing reads them back out of
    ``model_id``, which is an opaque key (the join key of the CSVs, cards, cache and reference fits).
    """

    model_id: str
    group: str
    base_frame: str
    outcome: str
    rhs: str
    family: str
    engine: str
    random: str = "(1 | locatie)"
    offset: str = ""
    null_engine: str = ""
    term_map: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    nagq: int = 1
    zi: str = ""
    kind: str = ""
    contrast: str = ""
    variant: str = PRIMARY
    primary_id: str = ""
    subset: str = ""

    @property
    def frame(self) -> str:
        """Name of the analysis frame (:func:`analysis.models.frames.frame_for`): the base frame and
        the data subset, e.g. ``duration|no2359``."""
        return f"{self.base_frame}|{self.subset}" if self.subset else self.base_frame

    @property
    def primary_model(self) -> str:
        """Id of the primary model: its own id, or the one this variant changes."""
        return self.primary_id or self.model_id

    def columns(self) -> dict[str, str]:
        """The declaration as result columns (:data:`SPEC_COLUMNS`); ``outcome`` is :attr:`group`."""
        return {
            "outcome": self.group,
            "contrast": self.contrast,
            "kind": self.kind,
            "variant": self.variant,
            "subset": self.subset,
        }

    @property
    def published(self) -> bool:
        """Whether the report publishes numbers of this model."""
        return self.model_id in PUBLISHED_MODELS

    @property
    def method(self) -> str:
        """Estimation method in words."""
        if self.engine == "lmer":
            return "ML (REML = FALSE)"
        if self.engine == "glmer":
            return "Laplace" if self.nagq == 1 else f"adaptive Gauss-Hermite ({self.nagq} points)"
        if self.engine in ("glmmTMB", "glmer.nb"):
            return "Laplace" if self.random else "ML"
        return "ML"

    def formula(self, random: bool = True) -> str:
        """R formula, with or without the random part."""
        parts = [self.rhs]
        if self.offset:
            parts.append(f"offset({self.offset})")
        if random and self.random:
            parts.append(self.random)
        return f"{self.outcome} ~ " + " + ".join(parts)

    def null_spec(self) -> "ModelSpec":
        """The same model without random effects (for the LR test)."""
        return replace(
            self, model_id=f"{self.model_id}__null", random="", engine=self.null_engine, null_engine=""
        )

    def variables(self) -> list[str]:
        """Data columns the formula needs."""
        import re

        cols = {self.outcome, "locatie"} | ({self.offset} if self.offset else set())
        text = self.rhs + " " + self.random
        for name in ("month", "month_within", "meting", "reden", "jongere", "log_occ"):
            if re.search(rf"\b{name}\b", text):
                cols.add(name)
        return sorted(cols)


def count_specs() -> list[ModelSpec]:
    """NB2 GLMMs of monthly counts with offset ln(mean occupancy)."""
    return [
        ModelSpec(
            f"count_{k}",
            "count",
            "counts",
            "n",
            rhs,
            "nbinom2",
            "glmmTMB",
            offset="log_occ",
            null_engine="glmmTMB",
            kind=k,
        )
        for k, rhs in TIME_TERMS.items()
    ]


def duration_specs() -> list[ModelSpec]:
    """ML linear mixed models of ln(minutes)."""
    return [
        ModelSpec(
            f"dur_{k}", "duration", "duration", "log_dur", rhs, "gaussian", "lmer", null_engine="lm", kind=k
        )
        for k, rhs in TIME_TERMS.items()
    ]


def room_specs(nagq: int = 1) -> list[ModelSpec]:
    """Logistic GLMMs for the four room contrasts."""
    return [
        ModelSpec(
            f"room_{c}_{k}",
            "room",
            f"room:{c}",
            "y",
            rhs,
            "binomial",
            "glmer",
            null_engine="glm",
            nagq=nagq,
            kind=k,
            contrast=c,
        )
        for c in ROOM_CONTRASTS
        for k, rhs in TIME_TERMS.items()
    ]


def isolation_specs() -> list[ModelSpec]:
    """ML linear mixed models of ln(minutes) in the isolation room, incl. reason x measurement.

    The reason model is parameterised as ``reden + reden:meting`` so that each
    ``<reason>_x_meting<k>`` coefficient *is* the measurement contrast within that reason.
    """
    out = [
        ModelSpec(
            f"isodur_{k}",
            "isoduration",
            "isolation",
            "log_dur",
            rhs,
            "gaussian",
            "lmer",
            null_engine="lm",
            kind=k,
        )
        for k, rhs in TIME_TERMS.items()
    ]
    out.append(
        ModelSpec(
            "isodur_reason_meting",
            "isoduration",
            "reason",
            "log_dur",
            "reden + reden:meting",
            "gaussian",
            "lmer",
            null_engine="lm",
            term_map=(("agressie_x_meting2", "agressie"),),
            kind="reason_meting",
        )
    )
    return out


MONTH_KINDS: tuple[str, ...] = ("month", "interaction")
"""The kinds of model whose fixed part has the calendar-month term."""


def has_month(spec: ModelSpec) -> bool:
    """Whether the fixed part has the calendar-month term (the month and interaction models)."""
    return spec.kind in MONTH_KINDS


SLOPE_RHS = "meting + meting:month_within"
"""Fixed part of the slope-per-measurement model: a level and a month slope per measurement."""


def slope_term(level: str) -> str:
    """Name of the within-measurement month slope of measurement ``level``: ``month_in_meting2``."""
    return f"month_in_meting{level}"


def slope_per_measurement(spec: ModelSpec, meting_levels: Sequence[str]) -> ModelSpec:
    """``spec`` with the calendar month replaced by a month slope within each measurement.

    The fixed part becomes :data:`SLOPE_RHS` (month nested in measurement): one intercept per
    measurement (the reference and the ``meting<k>`` contrasts, at each measurement's own mean
    month) and one slope per measurement, named :func:`slope_term`. The frame gets the
    ``within`` subset (:func:`analysis.models.frames.frame_for`). The months between the
    measurements then carry no slope: a between-measurement drop goes to the contrasts.

    Parameters
    ----------
    spec : ModelSpec
        A model with a month term (:func:`has_month`).
    meting_levels : sequence of str
        Measurement levels, reference first (the names of the slope terms).
    """
    return MONTH_BY_METING.apply(spec, meting_levels)


def primary_specs() -> list[ModelSpec]:
    """All primary models of chapter 3 / Bijlage 3, in report order."""
    return count_specs() + duration_specs() + room_specs() + isolation_specs()


def select(specs: Sequence[ModelSpec], ids: Sequence[str]) -> list[ModelSpec]:
    """The specs with the given ids, in the order of ``ids``."""
    by_id = {s.model_id: s for s in specs}
    return [by_id[i] for i in ids]


# --- sensitivity variants as data ------------------------------------------------------------
@dataclass(frozen=True)
class LRDeclaration:
    """The LR test a variant adds against its primary model.

    Attributes
    ----------
    name : str
        Test name (``re_slope_month``, ``nb_vs_poisson``, ``re_youth``, ``zi``).
    df : int
        Parameters the larger model adds.
    primary_is_full : bool
        Whether the primary model is the larger one (NB2 against Poisson); else the variant is.
    """

    name: str
    df: int = 1
    primary_is_full: bool = False


@dataclass(frozen=True)
class Variant:
    """One sensitivity analysis as data: which primary models it re-fits and what it changes.

    Attributes
    ----------
    analysis : str
        Name of the analysis (the ``variant`` of its fits; :data:`analysis.models.sensitivity.ANALYSES`).
    tag : str
        Suffix of its fits' opaque ids (``count_month~<tag>``: keys of the cache and the cards only).
    models : tuple of (outcome, kinds)
        The primary models it re-fits: per outcome (:data:`OUTCOMES`) the kinds, in this order
        (within an outcome the report order of :func:`primary_specs`).
    changes : tuple of (field, value)
        Fields of :class:`ModelSpec` it replaces (family, engine, random, outcome, nagq, zi, ...).
    subset : str
        Data subset of its fits (empty: the primary rows).
    covariate : str
        A column moved from the offset into the fixed part (the offset is dropped).
    slopes : bool
        The calendar month replaced by a month slope within each measurement (:data:`SLOPE_RHS`).
    test : LRDeclaration, optional
        LR test of the variant against the primary model.
    """

    analysis: str
    tag: str
    models: tuple[tuple[str, tuple[str, ...]], ...]
    changes: tuple[tuple[str, object], ...] = ()
    subset: str = ""
    covariate: str = ""
    slopes: bool = False
    test: LRDeclaration | None = None

    def targets(self, specs: Sequence[ModelSpec]) -> list[ModelSpec]:
        """The primary specs this variant re-fits, in the declared order."""
        return [s for outcome, kinds in self.models for s in specs if s.group == outcome and s.kind in kinds]

    def apply(self, spec: ModelSpec, meting_levels: Sequence[str] = ()) -> ModelSpec:
        """The variant of the primary ``spec``: its changes, subset and declaration fields.

        Parameters
        ----------
        spec : ModelSpec
            A primary model.
        meting_levels : sequence of str
            Measurement levels, reference first (names of the slope terms when :attr:`slopes`).
        """
        fields: dict[str, object] = dict(self.changes)
        if self.covariate:
            fields.update(rhs=f"{spec.rhs} + {self.covariate}", offset="")
        if self.slopes:
            renames = tuple((f"meting{k}_x_month_within", slope_term(k)) for k in meting_levels)
            fields.update(rhs=SLOPE_RHS, term_map=spec.term_map + renames)
        return replace(
            spec,
            model_id=f"{spec.model_id}~{self.tag}",
            variant=self.analysis,
            primary_id=spec.model_id,
            subset=self.subset or spec.subset,
            **fields,  # type: ignore[arg-type]
        )


_TIME = tuple(TIME_TERMS)
_ROOM_KINDS = (("room", _TIME),)
MONTH_BY_METING = Variant(
    "month_by_meting", "slopes", tuple((o, MONTH_KINDS) for o in OUTCOMES), subset="within", slopes=True
)
"""A month slope within each measurement instead of one calendar slope (frame subset ``within``)."""

VARIANTS: tuple[Variant, ...] = (
    Variant(
        "random_slope",
        "slope",
        tuple((o, ("month",)) for o in ("count", "duration", "isoduration", "room")),
        changes=(("random", "(1 + month | locatie)"),),
        test=LRDeclaration("re_slope_month", df=2),
    ),
    Variant(
        "poisson",
        "poisson",
        (("count", _TIME),),
        changes=(("family", "poisson"),),
        test=LRDeclaration("nb_vs_poisson", primary_is_full=True),
    ),
    Variant(
        "gamma",
        "gamma",
        (("duration", _TIME), ("isoduration", _TIME)),
        changes=(("outcome", "dur"), ("family", "gamma_log"), ("engine", "glmmTMB")),
    ),
    Variant(
        "youth",
        "youth",
        (("duration", _TIME), ("isoduration", KINDS), ("room", ("month", "meting"))),
        changes=(("random", "(1 | locatie/jongere)"),),
        subset="youth",
        test=LRDeclaration("re_youth"),
    ),
    Variant("occupancy_cov", "occcov", (("count", _TIME),), covariate="log_occ"),
    Variant("no2359", "no2359", (("duration", _TIME), ("isoduration", KINDS)), subset="no2359"),
    Variant("quadrature", "agq7", _ROOM_KINDS, changes=(("nagq", 7),)),
    Variant("room_all_locations", "alllocs", _ROOM_KINDS, subset="alllocs"),
    Variant("no_duplicates", "nodup", tuple((o, KINDS) for o in OUTCOMES), subset="nodup"),
    Variant(
        "zero_inflated",
        "zinb",
        (("count", _TIME),),
        changes=(("zi", "~1"),),
        test=LRDeclaration("zi"),
    ),
    Variant("month_nogap", "nogap", tuple((o, MONTH_KINDS) for o in OUTCOMES), subset="nogap"),
    MONTH_BY_METING,
)
"""The sensitivity variants of Bijlage 3, in run order (see :mod:`analysis.models.sensitivity`)."""


def declared_specs(meting_levels: Sequence[str] = ()) -> list[ModelSpec]:
    """Every declared model: the primary specs, then each variant of :data:`VARIANTS`."""
    primary = primary_specs()
    return primary + [v.apply(s, meting_levels) for v in VARIANTS for s in v.targets(primary)]


@lru_cache(maxsize=1)
def declared_columns() -> dict[str, dict[str, str]]:
    """model_id -> :meth:`ModelSpec.columns` of every declared model (a lookup by the opaque id)."""
    return {s.model_id: s.columns() for s in declared_specs()}
