"""Every specification choice of the chapter-3 models, declared once: stated or inferred.

The 2021 report describes its models in two sentences ("negatief binomiale regressie ...
gecorrigeerd voor de gemiddelde bezetting", "logistische regressie") and reports results in
Bijlage 3. Everything else that makes a chapter-3 model is our reading. Each :class:`Choice`
says which:

* ``stated``: the report says so; ``quote`` holds its words (a few, verbatim) and ``where``
  the place (section and line of the plain-text version of the report, the convention of
  ``data/reference/published_figures.csv``; that text has no page numbers).
* ``inferred``: we chose it; ``reason`` says why, and ``quote``/``where`` name the sentence it
  rests on when there is one.

The model cards (:mod:`analysis.models.cards`), appendix A and ``docs/models.md`` read this
table; ``tests/test_model_cards.py`` checks every quote against the report text and that the
docs list every choice with its status.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatch

from analysis.models.spec import ModelSpec

STATED, INFERRED = "stated", "inferred"
STATUS_NL: dict[str, str] = {STATED: "gesteld", INFERRED: "afgeleid"}
"""Dutch name of each status (appendix A)."""


@dataclass(frozen=True)
class Choice:
    """One specification choice.

    Attributes
    ----------
    key : str
        Stable id (``docs/models.md`` and the cards use it).
    status : str
        :data:`STATED` or :data:`INFERRED`.
    choice : str
        What the models do (English).
    keuze : str
        The same in Dutch (appendix A).
    quote : str
        The report's words (Dutch, verbatim, short); empty when no sentence bears on it.
    where : str
        Section and line(s) of the plain-text report, e.g. ``Methode §2 L279-280``.
    reason : str
        Why we chose it (English); required for inferred choices.
    reden : str
        The same in Dutch (appendix A).
    models : tuple of str
        Patterns (``fnmatch``) of ``<outcome>/<kind>`` (the model's declaration,
        :meth:`~analysis.models.spec.ModelSpec.columns`) the choice applies to.
    """

    key: str
    status: str
    choice: str
    keuze: str
    quote: str = ""
    where: str = ""
    reason: str = ""
    reden: str = ""
    models: tuple[str, ...] = ("*",)

    def applies(self, spec: ModelSpec) -> bool:
        """Whether this choice is part of ``spec``."""
        return any(fnmatch(f"{spec.group}/{spec.kind}", p) for p in self.models)


_MONTH = ("*/month", "*/interaction")
_METING = ("*/meting", "*/interaction", "*/reason_meting")
_DUR = ("duration/*", "isoduration/*")

CHOICES: tuple[Choice, ...] = (
    Choice(
        "count_negative_binomial",
        STATED,
        "Counts per location-month follow a negative binomial regression.",
        "Het aantal per locatie-maand volgt een negatief-binomiale regressie.",
        "een negatief binomiale regressie analyse uitgevoerd",
        "Methode §2 L279-280",
        models=("count/*",),
    ),
    Choice(
        "count_nb2",
        INFERRED,
        "NB2 parameterisation (variance mu + mu^2/theta).",
        "NB2-parametrisering (variantie mu + mu^2/theta).",
        reason="The report names no parameterisation; NB2 is the default of Stata's menbreg, whose "
        "chibar2 label the report prints, and of glmmTMB's nbinom2.",
        reden="Het rapport noemt geen parametrisering; NB2 is de standaard van Stata (menbreg), "
        "waarvan het rapport het label chibar2 overneemt.",
        models=("count/*",),
    ),
    Choice(
        "count_occupancy_offset",
        INFERRED,
        "ln(mean occupancy) of the location-month as offset (coefficient fixed at 1).",
        "ln(gemiddelde bezetting) van de locatie-maand als offset (coëfficiënt 1).",
        "gecorrigeerd voor de gemiddelde bezetting per locatie per maand",
        "Methode §2 L281-282",
        reason="'Corrected for' may mean an offset or a covariate; an offset makes exp(b) a rate per "
        "occupied place. The sensitivity analysis occupancy_cov fits occupancy as a covariate.",
        reden="'Gecorrigeerd voor' kan een offset of een covariaat zijn; met een offset is exp(b) een "
        "verhouding per bezette plaats. De gevoeligheidsanalyse met bezetting als covariaat toetst het.",
        models=("count/*",),
    ),
    Choice(
        "count_zero_months",
        INFERRED,
        "A location-month with occupancy but no registration is a zero; months without occupancy are left out.",
        "Een locatie-maand met bezetting maar zonder registratie telt als nul; maanden zonder bezetting "
        "vallen weg.",
        reason="The report does not say; a month without a registration is a month without seclusion "
        "when the location took part, and the offset is undefined without occupancy.",
        reden="Het rapport zegt het niet; zonder bezetting is de offset onbepaald.",
        models=("count/*",),
    ),
    Choice(
        "duration_lmm_log_minutes",
        INFERRED,
        "Duration: linear mixed model on ln(minutes); exp(b) is a ratio of geometric means. Our choice "
        "among models that give ratios: a gamma log-link model (ratio of arithmetic means) is the "
        "sensitivity analysis 'gamma'.",
        "Duur: lineair multilevelmodel op ln(minuten); exp(b) is een verhouding van geometrische "
        "gemiddelden. Onze keuze; het gamma-model met log-link (verhouding van rekenkundige "
        "gemiddelden) staat bij de gevoeligheidsanalyses.",
        "een logistische regressie analyse uitgevoerd om te kunnen bepalen of de tijdsduur",
        "Methode §2 L282-284",
        reason="A logistic model cannot take minutes; the published ratios ('0.91 keer korter') and "
        "their intervals fit a model on the log scale. An LMM on ln(minutes) is the simplest such "
        "model and matches the published figures on the twin, but the published numbers do not "
        "single it out: the gamma log-link model also gives ratios.",
        reden="Een logistisch model kan geen minuten modelleren; de gepubliceerde verhoudingen passen "
        "bij een model op logschaal. Het lineaire model op ln(minuten) is het eenvoudigste; het "
        "gamma-model geeft ook verhoudingen.",
        models=_DUR,
    ),
    Choice(
        "duration_positive",
        INFERRED,
        "Registrations without an end time or with duration <= 0 minutes are left out of duration models; "
        "end times of 23:59 are kept.",
        "Registraties zonder eindtijd of met een duur van 0 minuten of minder vallen weg uit de "
        "duurmodellen; eindtijden van 23:59 blijven.",
        reason="ln(minutes) is undefined for them; the original analysis had no 23:59 flag, so those rows "
        "were kept (the sensitivity analysis no2359 drops them).",
        reden="ln(minuten) bestaat voor hen niet; de oorspronkelijke analyse kende geen vlag voor 23:59.",
        models=_DUR,
    ),
    Choice(
        "room_logistic",
        STATED,
        "Room: logistic regression of one room against another.",
        "Ruimte: logistische regressie van de ene ruimte tegen de andere.",
        "dichotome variabelen, zoals categorieën",
        "Methode §2 L286",
        models=("room/*",),
    ),
    Choice(
        "room_contrasts",
        STATED,
        "Four room contrasts: other vs own room, isolation vs own room, isolation vs other room, "
        "isolation vs own or other room.",
        "Vier vergelijkingen: overige ruimte t.o.v. eigen kamer, isoleerruimte t.o.v. eigen kamer, "
        "isoleerruimte t.o.v. overige ruimte, isoleerruimte t.o.v. eigen kamer of overige ruimte.",
        "wanneer de eigen kamer en overige ruimte samengenomen wordt",
        "Bijlage 3 L2269-2270",
        models=("room/*",),
    ),
    Choice(
        "room_both_rooms",
        INFERRED,
        "A room contrast uses only the locations where both of its rooms occur in the data.",
        "Een ruimtevergelijking gebruikt alleen de locaties waar beide ruimtes voorkomen.",
        reason="A location without, say, an isolation room cannot place anyone there; its rows carry no "
        "information on the contrast and make the model quasi-separated. The fit on every location "
        "is the sensitivity analysis room_all_locations.",
        reden="Een locatie zonder isoleerruimte kan daar niemand plaatsen; haar registraties zeggen niets "
        "over de vergelijking en maken het model quasi-gescheiden.",
        models=("room/*",),
    ),
    Choice(
        "isolation_subset",
        STATED,
        "Isolation-room duration: the duration model on the registrations in the isolation room.",
        "Duur in de isoleerruimte: het duurmodel op de registraties in de isoleer- of separeerruimte.",
        "afzondering in een isoleer- of separeerruimte significant gestegen",
        "Bijlage 3 L2277",
        models=("isoduration/*",),
    ),
    Choice(
        "isolation_reasons",
        STATED,
        "Reason model: the measurement contrast within aggression, order/rules and self-harm.",
        "Aanleidingsmodel: het verschil tussen de metingen binnen agressie, orde/regels en zelfbeschadiging.",
        "Bij het verstoren van de orde en/of het overtreden van de regels en zelfbeschadiging",
        "Bijlage 3 L2289",
        models=("isoduration/reason_meting",),
    ),
    Choice(
        "isolation_reason_parameters",
        INFERRED,
        "Reason model parameterised reden + reden:meting (each reason-by-measurement term is the contrast "
        "within that reason); other reasons are not in the model.",
        "Aanleidingsmodel als reden + reden:meting (elke term is het verschil binnen die aanleiding); "
        "andere aanleidingen vallen weg.",
        reason="The report gives one contrast per reason, which this parameterisation estimates directly.",
        reden="Het rapport geeft één verschil per aanleiding; deze parametrisering schat dat direct.",
        models=("isoduration/reason_meting",),
    ),
    Choice(
        "random_intercept",
        INFERRED,
        "A random intercept per location, (1 | locatie), in every model.",
        "Een random intercept per locatie, (1 | locatie), in elk model.",
        "chibar2 = 47,24, p < .001",
        "Bijlage 3 L2228",
        reason="The report prints chibar2, Stata's label for the LR test of one variance component; a "
        "random slope would add a variance and a covariance (chi2(2)). Its words 'variatie in de "
        "vermindering' sound like slopes; the random slope is the sensitivity analysis random_slope.",
        reden="Het rapport drukt chibar2 af: het label van Stata voor de toets van één variantie. Een "
        "random helling staat bij de gevoeligheidsanalyses.",
    ),
    Choice(
        "lr_test_chibar2",
        INFERRED,
        "The location variance is tested by an LR test against the same model without random effect; "
        "reference 0.5 chi2(0) + 0.5 chi2(1).",
        "De variantie tussen locaties wordt getoetst met een LR-toets tegen hetzelfde model zonder "
        "random effect; referentie 0,5 chi2(0) + 0,5 chi2(1).",
        "chibar2 = 47,24, p < .001",
        "Bijlage 3 L2228",
        reason="The report names the statistic, not the null model; chibar2(01) is what Stata prints for "
        "this test, and the variance lies on the boundary under the null.",
        reden="Het rapport noemt de toetsgrootheid, niet het nulmodel; onder de nulhypothese ligt de "
        "variantie op de rand.",
        models=("*/month", "*/meting", "*/interaction", "*/reason_meting"),
    ),
    Choice(
        "month_continuous",
        STATED,
        "Time as a monthly trend ('each consecutive month').",
        "Tijd als trend per maand ('elke opeenvolgende maand').",
        "elke opeenvolgende maand 0.92 keer zoveel",
        "Bijlage 3 L2225",
        models=_MONTH,
    ),
    Choice(
        "month_calendar_gap",
        INFERRED,
        "The month index counts calendar months, including the months between the measurements.",
        "De maandindex telt kalendermaanden, ook de maanden tussen de metingen.",
        "Over de twee metingen heen",
        "Bijlage 3 L2224",
        reason="The report does not say how months were numbered; a calendar index is the plain reading of "
        "'each consecutive month' over both measurements. The slope is then largely the drop between "
        "the measurements; the time-coding sensitivity analyses count only the measured months.",
        reden="Het rapport zegt niet hoe de maanden zijn genummerd; de helling is dan grotendeels de "
        "daling tussen de metingen (zie de gevoeligheidsanalyses van de tijdcodering).",
        models=_MONTH,
    ),
    Choice(
        "month_centred",
        INFERRED,
        "The month index is centred on its mean over the location-months of the count frame.",
        "De maandindex is gecentreerd op het gemiddelde over de locatie-maanden.",
        reason="Centring changes no slope and no p of the month and measurement models; in the interaction "
        "model it makes the measurement contrast the difference at the centre month.",
        reden="Centreren verandert geen helling; in het interactiemodel is het verschil tussen de "
        "metingen dan dat in de middelste maand.",
        models=_MONTH,
    ),
    Choice(
        "measurement_periods",
        INFERRED,
        "Measurement 2 ran September 2020 to February 2021 (stated); measurement 1 is assumed to be "
        "September 2019 to February 2020.",
        "De kalendermaanden van de eerste meting zijn aangenomen: dezelfde maanden een jaar eerder "
        "dan de tweede meting (params/meting-1.yaml).",
        "in beide metingen gedurende zes maanden gemeten",
        "Methode §2 L275-276",
        reason="The report gives the start of measurement 2 ('Vanaf september 2020', L229) and six months "
        "for both, not the months of measurement 1; we assume the same calendar months one year "
        "earlier (params/meting-1.yaml).",
        reden="Het rapport noemt de start van de tweede meting en de duur van beide, niet de maanden "
        "van de eerste.",
    ),
    Choice(
        "measurement_factor",
        STATED,
        "Measurement as a group, measurement 1 the reference.",
        "De meting als groep, met de eerste meting als referentie.",
        "0.38 keer zoveel ongeplande gedwongen afzonderingen",
        "Bijlage 3 L2230",
        models=_METING,
    ),
    Choice(
        "month_by_measurement",
        STATED,
        "An interaction model: month, measurement and month x measurement.",
        "Een interactiemodel: maand, meting en maand x meting.",
        "Daarnaast is het beloop over tijd",
        "Bijlage 3 L2231",
        models=("*/interaction",),
    ),
    Choice(
        "ml_laplace",
        INFERRED,
        "Estimation by maximum likelihood: ML (not REML) for the LMMs, Laplace for the GLMMs.",
        "Schatting met maximum likelihood: ML (niet REML) voor de lineaire modellen, Laplace voor de "
        "overige.",
        "SPSS (versie 26)",
        "Methode §1 L267",
        reason="The report names SPSS but prints Stata's labels (chibar2, Wald z); Stata's mixed uses ML "
        "and the LR test needs ML likelihoods. Stata's melogit uses 7-point quadrature; the "
        "sensitivity analysis quadrature refits the room models so.",
        reden="Het rapport noemt SPSS maar gebruikt de labels van Stata; de LR-toets vraagt ML. De "
        "gevoeligheidsanalyse met kwadratuur volgt Stata's melogit.",
    ),
    Choice(
        "wald_inference",
        INFERRED,
        "Wald z tests and 95% intervals b +/- 1.96 SE on the link scale, exponentiated.",
        "Wald-z-toetsen en 95%-intervallen b ± 1,96 SE op de modelschaal, teruggerekend.",
        "(p < .001, 95% CI [0.90, 0.94)",
        "Bijlage 3 L2226",
        reason="The report prints CIs and p without degrees of freedom, as Stata does for these models.",
        reden="Het rapport geeft intervallen en p zonder vrijheidsgraden, zoals Stata.",
    ),
)
"""Every specification choice, in the order the cards and the docs list them."""


def choices_for(spec: ModelSpec) -> list[Choice]:
    """The choices that make up ``spec``, in :data:`CHOICES` order."""
    return [c for c in CHOICES if c.applies(spec)]


def check(choices: tuple[Choice, ...] = CHOICES) -> list[str]:
    """Problems of the declaration: unknown status, stated without quote, inferred without reason."""
    problems = []
    keys = [c.key for c in choices]
    problems += [f"duplicate key {k}" for k in sorted({k for k in keys if keys.count(k) > 1})]
    for c in choices:
        if c.status not in STATUS_NL:
            problems.append(f"{c.key}: unknown status {c.status!r}")
        if c.status == STATED and not (c.quote and c.where):
            problems.append(f"{c.key}: stated without the report's words and place")
        if c.status == INFERRED and not (c.reason and c.reden):
            problems.append(f"{c.key}: inferred without a reason")
        if bool(c.quote) != bool(c.where):
            problems.append(f"{c.key}: a quote needs its place and a place its quote")
    return problems
