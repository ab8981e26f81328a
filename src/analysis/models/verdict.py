"""Fit-quality verdict: is a fitted model interpretable, and if not, why.

The verdict is computed from the fitted result alone (status, R's messages, estimates, variance
components, the model data), before any sentence is written. A model is *interpretable* only
when none of these checks fires:

==================  ===========================================================================
reason              fires when
==================  ===========================================================================
failed              R raised an error (no estimates)
not_converged       the optimizer reported non-convergence (lme4 / glmmTMB convergence check)
singular            a variance component is estimated at (numerically) zero: boundary fit
warnings            R raised any warning or convergence message while fitting
separation          0/1 outcome: a location whose outcome is all 0 or all 1 (quasi-separation);
                    count outcome: a location with no event in any month
extreme_estimate    a fixed effect with ``|b| > MAX_ABS_B`` on the link scale
extreme_re_sd       a random-effect SD above ``MAX_RE_SD`` on the link scale (not for LMMs,
                    whose scale is that of the outcome)
extreme_icc         location ICC above ``MAX_ICC``
ci_degenerate       a fixed effect whose SE is not finite or below ``MIN_SE`` (zero-width CI)
==================  ===========================================================================

The limits are conventions, stated once here and in ``docs/models.md``: on the log and logit
scales a coefficient of 10 is a factor of 22,000, and a location SD of 5 puts the middle 95% of
locations a factor of about 3 * 10^8 apart; such values arise from (quasi-)separation, not from
data that inform them.

A verdict also carries *cautions*: reasons to read an interpretable model with care that do not
make it uninterpretable. They are reported beside the verdict (CSV column ``verdict_caution``),
never in its ``code``, so every rule that reads ``verdict == "ok"`` is unchanged:

==================  ===========================================================================
caution             fires when
==================  ===========================================================================
few_locations       the model has a location random effect and rests on fewer than
                    :data:`analysis.models.smallsample.MIN_LOCATIONS` locations; its narrative
                    reports the small-sample interval (:mod:`analysis.models.smallsample`)
misfit_<test>       a simulated-residual diagnostic (:mod:`analysis.models.diagnostics`) fails
                    its caution limit in :data:`DIAGNOSTIC_RULES` with p < :data:`DIAG_ALPHA`
==================  ===========================================================================

Diagnostics decide by a stated rule that needs both evidence and size: a test flags only when
its p-value is below :data:`DIAG_ALPHA` *and* its effect passes a limit, because with thousands
of rows a p-value alone flags deviations too small to matter (on the twin the duration models'
KS test gives p ~ 1e-24 at D = 0.066). Past the caution limit the model is read with care
(``misfit_<test>`` caution, "voorzichtig"); past the second limit it is not interpretable
(reason ``misfit``). The limits are in :data:`DIAGNOSTIC_RULES` and ``docs/models.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Mapping

import numpy as np
import pandas as pd

from analysis.models.smallsample import MIN_LOCATIONS

if TYPE_CHECKING:
    from analysis.models.fit import ModelResult

MAX_ABS_B = 10.0
"""Largest credible |coefficient| on the link scale (log, logit, ln minutes)."""
MAX_RE_SD = 5.0
"""Largest credible random-effect SD on the log or logit scale."""
MAX_ICC = 0.9
"""Location ICC above this means locations are nearly deterministic: not a model of change."""
MIN_SE = 1e-6
"""Standard errors below this give a zero-width confidence interval."""

DIAG_ALPHA = 0.05
"""A diagnostic flags only when its p-value is below this (and its effect passes a limit)."""
DIAGNOSTIC_RULES: dict[str, tuple[str, float, float]] = {
    # test: (effect, caution limit, not-interpretable limit); ratios count both directions
    "dispersion": ("ratio", 1.5, 3.0),
    "zeros": ("ratio", 1.5, 3.0),
    "uniformity": ("KS D", 0.1, 0.25),
    "outliers": ("ratio", 3.0, 10.0),
}
"""Stated decision rules of the simulated-residual diagnostics (``docs/models.md``)."""

REASONS: tuple[str, ...] = (
    "failed",
    "not_converged",
    "singular",
    "warnings",
    "separation",
    "extreme_estimate",
    "extreme_re_sd",
    "extreme_icc",
    "ci_degenerate",
    "misfit",
)
"""Every reason code, in the order they are reported."""
CAUTIONS: tuple[str, ...] = ("few_locations", *(f"misfit_{t}" for t in DIAGNOSTIC_RULES))
"""Every caution code (reported, but the model stays interpretable)."""

REASON_NL: dict[str, str] = {
    "failed": "R kon het model niet schatten",
    "not_converged": "het model is niet geconvergeerd",
    "singular": "een variantie is op nul geschat, op de rand van wat mogelijk is",
    "warnings": "R gaf een waarschuwing",
    "separation": "quasi-scheiding (een locatie met steeds dezelfde uitkomst)",
    "extreme_estimate": f"een coëfficiënt ligt buiten ±{MAX_ABS_B:g} op de modelschaal",
    "extreme_re_sd": f"de standaarddeviatie tussen locaties is groter dan {MAX_RE_SD:g}",
    "extreme_icc": f"de ICC is groter dan {MAX_ICC:g}".replace(".", ","),
    "ci_degenerate": "een betrouwbaarheidsinterval heeft geen breedte of is niet eindig",
    "few_locations": f"het model rust op minder dan {MIN_LOCATIONS} locaties",
    "misfit": "een residudiagnostiek wijkt sterk af (boven de grens van niet interpreteerbaar)",
    "misfit_dispersion": "de spreiding wijkt af van wat het model verwacht (dispersietoets)",
    "misfit_zeros": "er zijn meer of minder nullen dan het model verwacht",
    "misfit_uniformity": "de verdeling van de residuen wijkt af (KS-toets)",
    "misfit_outliers": "er zijn meer uitschieters dan het model verwacht",
}
"""Dutch phrase per reason (used in sentences and in appendix A)."""

LABEL_NL: dict[bool, str] = {True: "interpreteerbaar", False: "niet interpreteerbaar"}


@dataclass(frozen=True)
class Verdict:
    """Outcome of :func:`judge`.

    Attributes
    ----------
    reasons : tuple of str
        Codes of :data:`REASONS` that fired (empty: interpretable).
    separated : tuple of str
        Locations with a constant outcome (for the ``separation`` reason).
    cautions : tuple of str
        Codes of :data:`CAUTIONS` that fired (the model may still be interpretable).
    n_locations : int
        Locations the model rests on (0: no location random effect); counted in the
        ``few_locations`` phrase.
    """

    reasons: tuple[str, ...] = ()
    separated: tuple[str, ...] = ()
    cautions: tuple[str, ...] = ()
    n_locations: int = 0

    @property
    def interpretable(self) -> bool:
        """Whether the model may be reported as a finding."""
        return not self.reasons

    @property
    def code(self) -> str:
        """``ok`` or the reasons joined by ``+`` (the CSV column ``verdict``)."""
        return "ok" if self.interpretable else "+".join(self.reasons)

    @property
    def caution_code(self) -> str:
        """Cautions joined by ``+``, empty when none (the CSV column ``verdict_caution``)."""
        return "+".join(self.cautions)

    @property
    def label(self) -> str:
        """Dutch label: ``interpreteerbaar`` / ``niet interpreteerbaar``."""
        return LABEL_NL[self.interpretable]

    def phrases(self) -> list[str]:
        """Dutch phrase per reason, the separated locations counted."""
        out = []
        for r in self.reasons:
            if r == "separation" and self.separated:
                n = len(self.separated)
                out.append(
                    f"quasi-scheiding ({n} {'locatie' if n == 1 else 'locaties'} met steeds "
                    "dezelfde uitkomst)"
                )
            else:
                out.append(REASON_NL[r])
        return out


def from_code(code: str, caution: object = "") -> Verdict:
    """Rebuild a :class:`Verdict` from its CSV ``code`` (``ok`` or ``a+b``) and ``verdict_caution``."""
    cautions = tuple(c for c in caution.split("+") if c in CAUTIONS) if isinstance(caution, str) else ()
    if not isinstance(code, str) or code in ("", "ok"):
        return Verdict(cautions=cautions)
    return Verdict(tuple(r for r in code.split("+") if r in REASONS), cautions=cautions)


def constant_locations(data: pd.DataFrame, outcome: str, family: str) -> list[str]:
    """Locations whose outcome gives no information on their level (quasi-separation).

    Parameters
    ----------
    data : DataFrame
        Model data with ``locatie`` and ``outcome`` (0/1 rows, or counts).
    outcome : str
    family : str
        ``binomial``: all 0 or all 1 in a location; ``nbinom2``/``poisson``: all zero.

    Returns
    -------
    list of str
    """
    if data is None or data.empty or "locatie" not in data or outcome not in data:
        return []
    y = pd.to_numeric(data[outcome], errors="coerce")
    g = y.groupby(data["locatie"].astype(str))
    if family == "binomial":
        lo, hi = g.min(), g.max()
        bad = (hi <= 0) | (lo >= 1)
    elif family in ("nbinom2", "poisson"):
        bad = g.max() <= 0
    else:
        return []
    return sorted(bad[bad].index.astype(str))


def _any(values: Iterable[float], test) -> bool:
    arr = np.asarray(list(values), dtype=float)
    return bool(arr.size) and bool(test(arr).any())


def judge(res: "ModelResult") -> Verdict:
    """The fit-quality verdict of one fitted model (see the module docstring).

    Parameters
    ----------
    res : ModelResult
        A result of :func:`analysis.models.fit.fit`; ``res.data`` holds the model rows (for
        binomial models the 0/1 rows, not the cells).

    Returns
    -------
    Verdict
    """
    if res.status == "failed":
        return Verdict(("failed",))
    reasons: set[str] = set()
    if not res.converged:
        reasons.add("not_converged")
    if res.singular:
        reasons.add("singular")
    if res.warnings or any("singular" not in m for m in res.messages):
        reasons.add("warnings")
    separated: list[str] = []
    if res.spec.random and res.data is not None:
        separated = constant_locations(res.data, res.spec.outcome, res.spec.family)
        if separated:
            reasons.add("separation")
    fx = res.fixed
    if len(fx):
        if _any(fx["estimate"], lambda a: ~np.isfinite(a) | (np.abs(a) > MAX_ABS_B)):
            reasons.add("extreme_estimate")
        if _any(fx["se"], lambda a: ~np.isfinite(a) | (a < MIN_SE)):
            reasons.add("ci_degenerate")
    if res.spec.family != "gaussian" and len(res.random):
        sds = res.random.loc[res.random["var2"].isna(), "sd_cor"]
        if _any(sds, lambda a: a > MAX_RE_SD):
            reasons.add("extreme_re_sd")
    if np.isfinite(res.icc) and res.icc > MAX_ICC:
        reasons.add("extreme_icc")
    n_loc = int(res.ngroups.get("locatie", 0)) if res.spec.random else 0
    cautions = ["few_locations"] if 0 < n_loc < MIN_LOCATIONS else []
    flagged, severe = diagnostic_flags(getattr(res, "diagnosis", None))
    cautions += [f"misfit_{t}" for t in flagged]
    if severe:
        reasons.add("misfit")
    return Verdict(tuple(r for r in REASONS if r in reasons), tuple(separated), tuple(cautions), n_loc)


def _effect(test: str, diag: Mapping[str, float]) -> tuple[float, float]:
    """(effect on the scale of its limits, p) of one diagnostic; NaN when not run."""
    nan = float("nan")
    if test == "uniformity":
        return float(diag.get("ks_stat", nan)), float(diag.get("ks_p", nan))
    key = {"dispersion": "dispersion", "zeros": "zero", "outliers": "outlier"}[test]
    ratio, p = float(diag.get(f"{key}_ratio", nan)), float(diag.get(f"{key}_p", nan))
    # a ratio counts both ways for dispersion and zeros (too few is a misfit too); outliers only up
    if test != "outliers" and np.isfinite(ratio) and 0 < ratio < 1:
        ratio = 1 / ratio
    return ratio, p


def diagnostic_flags(diag: Mapping[str, float] | None) -> tuple[list[str], bool]:
    """Diagnostics past their caution limit (with p < :data:`DIAG_ALPHA`), and whether any is
    past its not-interpretable limit (:data:`DIAGNOSTIC_RULES`).

    Parameters
    ----------
    diag : mapping or None
        The diagnostics row of a model (:meth:`analysis.models.diagnostics.Diagnostics.row`);
        None: not diagnosed (no flag).
    """
    if not diag:
        return [], False
    flagged, severe = [], False
    for test, (_, caution, limit) in DIAGNOSTIC_RULES.items():
        effect, p = _effect(test, diag)
        if np.isfinite(effect) and np.isfinite(p) and p < DIAG_ALPHA and effect > caution:
            flagged.append(test)
            severe = severe or effect > limit
    return flagged, severe
