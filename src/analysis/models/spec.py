"""Model specifications as data: id, outcome, right-hand side, family, engine, frame, ids.

The primary set reconstructs Bijlage 3 of the report: a random intercept per location in every
model (Stata's ``chibar2`` label = LR test of one variance component), a centred calendar-month
index across measurements, and the measurement as a factor with the reference first.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
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


@dataclass(frozen=True)
class ModelSpec:
    """One model, fully specified.

    Attributes
    ----------
    model_id : str
        Stable id, e.g. ``count_month``; the published ids start with ``ch3.<model_id>``.
    group : str
        ``count``, ``duration``, ``room`` or ``isoduration``.
    frame : str
        Which analysis frame: ``counts``, ``duration``, ``room:<contrast>``, ``isolation``,
        ``reason``.
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
    """

    model_id: str
    group: str
    frame: str
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
        )
        for k, rhs in TIME_TERMS.items()
    ]


def duration_specs() -> list[ModelSpec]:
    """ML linear mixed models of ln(minutes)."""
    return [
        ModelSpec(f"dur_{k}", "duration", "duration", "log_dur", rhs, "gaussian", "lmer", null_engine="lm")
        for k, rhs in TIME_TERMS.items()
    ]


def room_specs(nagq: int = 1) -> list[ModelSpec]:
    """Logistic GLMMs for the four room contrasts."""
    return [
        ModelSpec(
            f"room_{c}_{k}", "room", f"room:{c}", "y", rhs, "binomial", "glmer", null_engine="glm", nagq=nagq
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
            f"isodur_{k}", "isoduration", "isolation", "log_dur", rhs, "gaussian", "lmer", null_engine="lm"
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
        )
    )
    return out


def has_month(spec: ModelSpec) -> bool:
    """Whether the fixed part has the calendar-month term (the month and interaction models)."""
    import re

    return re.search(r"\bmonth\b", spec.rhs) is not None


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
    ``|within`` coding (:func:`analysis.models.frames.frame_for`). The months between the
    measurements then carry no slope: a between-measurement drop goes to the contrasts.

    Parameters
    ----------
    spec : ModelSpec
        A model with a month term (:func:`has_month`).
    meting_levels : sequence of str
        Measurement levels, reference first (the names of the slope terms).
    """
    renames = tuple((f"meting{k}_x_month_within", slope_term(k)) for k in meting_levels)
    return replace(
        spec,
        model_id=spec.model_id + "~slopes",
        rhs=SLOPE_RHS,
        frame=spec.frame + "|within",
        term_map=spec.term_map + renames,
    )


def primary_specs() -> list[ModelSpec]:
    """All primary models of chapter 3 / Bijlage 3, in report order."""
    return count_specs() + duration_specs() + room_specs() + isolation_specs()


def select(specs: Sequence[ModelSpec], ids: Sequence[str]) -> list[ModelSpec]:
    """The specs with the given ids, in the order of ``ids``."""
    by_id = {s.model_id: s for s in specs}
    return [by_id[i] for i in ids]
