"""Appendix A (statistics) from ``<build>/results/models/``.

Reads what the chapter-3 pipeline wrote (``analysis.models.tables.write_tables``) and lays it
out for an A4 page: estimation and software once, then per outcome (counts, duration, room,
isolation-room duration) the model formulas, a fixed-effects table (b, SE, exp(b), 95% CI, p)
and a fit table (log-likelihood, AIC, location variance, ICC, dispersion, chibar2 test, status);
then R's warnings verbatim, the residual diagnostics, the sensitivity analyses and the
exclusions. Every table is narrow (at most nine short columns); numbers have 3-4 significant
digits and a decimal comma, p-values read ``<0,001``. CSVs this module does not know are shown
too (under their index title), so nothing the models wrote is hidden.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from analysis.core.paths import default_paths
from analysis.models.frames import ROOM_CONTRASTS, contrast_short
from analysis.models.smallsample import DISAGREE_SHARE, MIN_LOCATIONS, N_BOOT, N_EXACT
from analysis.models.verdict import MAX_ABS_B, MAX_ICC, MAX_RE_SD, MIN_SE
from analysis.present import format as nf
from analysis.present import models as present
from analysis.present.models import (
    _col,
    better_display,
    fit_display,
    fixed_display,
    overview_table,
    sig,
    simulated_lrt_display,
    versions_table,
)
from analysis.report.card_pages import cards_md

#: CSVs laid out by this module; any other CSV is shown as a generic table.
KNOWN = {
    "ch3_models_fit",
    "ch3_models_fixed",
    "ch3_models_random",
    "ch3_models_lrtests",
    "ch3_models_diagnostics",
    "ch3_models_exclusions",
    "ch3_sens_estimates",
    "ch3_sens_lrtests",
    "ch3_sens_lolo",
    "ch3_sens_lolo_range",
    "ch3_fig_change_count",
    "ch3_fig_change_dur",
    "ch3_fig_change_room",
    "ch3_fig_change_isodur",
    "ch3_fig_location_effects",
    "ch3_model_cards",
}
MAX_ROWS = 60


# --- formatting --------------------------------------------------------------------------
def table(df: pd.DataFrame, caption: str, label: str, cap: int = 34) -> str:
    """Pipe table of appendix A (:data:`analysis.present.format.MODEL_TABLE`, text at most ``cap`` wide)."""
    return nf.table_markdown(df, caption, label, layout=replace(nf.MODEL_TABLE, cap=cap))


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


# --- estimation and software -------------------------------------------------------------
def _estimation_md(fit: pd.DataFrame) -> list[str]:
    parts = [
        "## Schatting en software\n",
        "Alle modellen hebben een random intercept per locatie en zijn in R geschat (glmmTMB voor "
        "de tellingen, lme4 voor de overige), aangestuurd vanuit Python. Schattingen staan op de "
        "schaal van het model (b, met standaardfout SE) en als verhouding exp(b) met "
        "95%-betrouwbaarheidsinterval (Wald, b ± 1,96 SE); p-waarden zijn tweezijdig (Wald z). "
        "De duurmodellen zijn lineaire modellen op ln(minuten), geschat met ML; het "
        "oorspronkelijke rapport noemt ze ten onrechte logistische regressies. De toets op "
        "variatie tussen locaties is een LR-toets tegen het model zonder random effect, met als "
        "referentie het mengsel 0,5 × chi2(0) + 0,5 × chi2(1) (chibar2(01)). Bij het intercept staat "
        "alleen b: exp(intercept) is een basisniveau in de middelste maand, geen verhouding. "
        "De logistische modellen voor de ruimte krijgen registraties met dezelfde waarden van "
        "alle modelvariabelen (locatie, meting, maand) samengevoegd als binomiale aantallen; "
        "dat geeft dezelfde likelihood en dus dezelfde schattingen, maar rekent veel sneller. "
        "Log-likelihood, AIC, aantal waarnemingen en de residuchecks staan op het niveau van de "
        "afzonderlijke registraties, zoals in Stata of SPSS. De logistische modellen worden met "
        "nloptwrap geoptimaliseerd; haalt een fit de convergentiecontrole van lme4 niet, dan wordt "
        "hij vanaf die schattingen opnieuw gestart met bobyqa, en die nieuwe fit wordt op zijn eigen "
        "convergentiecontrole beoordeeld. De kolom *Optimalisatie* noemt per uitkomst welke "
        "optimalisatie de gerapporteerde fits gaf.\n",
        "**Oordeel per model.** Voordat er een zin over een model wordt geschreven, krijgt elk model "
        "een oordeel. Een model is *niet interpreteerbaar* (in de tabellen: n.i.) als R het niet kon "
        "schatten, het niet convergeerde, een variantie op nul (de rand) schatte, R een waarschuwing "
        "gaf, er quasi-scheiding is (bij een ja/nee-uitkomst een locatie met alleen nullen of alleen "
        "enen; bij tellingen een locatie zonder enige afzondering), een coëfficiënt buiten "
        f"±{nf.shortest(MAX_ABS_B)} op de modelschaal ligt, de standaarddeviatie tussen locaties (log- of "
        f"logitschaal) groter is dan {nf.shortest(MAX_RE_SD)}, de ICC groter is dan {present.fmt(MAX_ICC, 1)}, of een "
        f"standaardfout niet eindig of kleiner dan {present.fmt(MIN_SE, 6)} is (een interval zonder breedte). De tekst "
        "van hoofdstuk 3 trekt uit zo'n model geen conclusie; de kolom *Oordeel* noemt de reden.\n",
        "**Software van het oorspronkelijke rapport.** Het rapport van 2021 zegt dat de analyses met "
        "SPSS (versie 26) zijn gedaan. De labels in zijn bijlage 3 (chibar2 voor de toets op variatie "
        "tussen locaties, Wald-z, een negatief-binomiaal model met bezetting als offset) zijn echter die "
        "van Stata (`menbreg`, `mixed`, `melogit`). De keuzes hier volgen die Stata-conventies: maximum "
        "likelihood (ML, geen REML), Wald-z-toetsen en -intervallen, NB2 (variantie μ + μ²/θ) en de "
        "LR-toets met chibar2-referentie. Met de standaardinstellingen van SPSS (GENLINMIXED voor de "
        "tellingen en de ruimte, MIXED voor de duur) zou er het volgende veranderen: de lineaire modellen "
        "worden met REML geschat (iets grotere varianties, vrijwel dezelfde vaste effecten); de "
        "gegeneraliseerde modellen worden met een linearisatie (pseudo-likelihood) geschat in plaats "
        "van Laplace, wat bij ja/nee-uitkomsten met weinig registraties per locatie kleinere effecten en "
        "varianties kan geven; vaste effecten krijgen t-toetsen en t-intervallen met residuele "
        "vrijheidsgraden (iets breder); en de variantie tussen locaties wordt met een Wald-z-toets "
        "getoetst, niet met een LR-toets, zodat SPSS geen chibar2 geeft.\n",
    ]
    ov = overview_table(fit)
    if len(ov):
        parts.append(
            table(ov, "Verdeling, software, schattingsmethode en omvang per uitkomst", "stat-overview")
        )
    vt = versions_table(fit)
    if vt is not None:
        parts.append(table(vt, "Software waarmee de modellen zijn geschat", "stat-versions"))
    return parts


# --- per outcome ---------------------------------------------------------------------------
def formulas_md(fit: pd.DataFrame) -> str:
    """Bulleted R formulas of a section's models."""
    if "formula" not in fit.columns:
        return ""
    seen = present.formula_labels(fit)  # the room contrasts share formulas: each once
    lines = [f"- {label}: `{f}`" for f, label in seen.items()]
    return "**Modelformules.**\n\n" + "\n".join(lines) + "\n"


def section_md(
    key: str, fit: pd.DataFrame, fixed: pd.DataFrame, random: pd.DataFrame, lr: pd.DataFrame
) -> list[str]:
    """Formulas, fixed effects and fit of one outcome (:data:`analysis.present.models.SECTIONS`)."""
    label, title = present.SECTIONS[key]
    parts = [f"## {title}\n"]
    if key == "room":
        parts.append(
            "Vergelijkingen: "
            + "; ".join(f"*{contrast_short(c)}* = {present.ROOM_LABELS[c].lower()}" for c in ROOM_CONTRASTS)
            + ". Elk model gebruikt de registraties in de twee vergelijkte ruimtes, met y = 1 "
            "voor de eerstgenoemde, en alleen de locaties waar beide ruimtes voorkomen: een locatie "
            "zonder isoleerruimte kan daar niemand plaatsen, en haar registraties maken het model "
            "quasi-gescheiden (een locatie met steeds dezelfde uitkomst). De weggelaten locaties "
            "staan met hun aantal registraties in de tabel met uitsluitingen; de schatting op alle "
            "locaties is de gevoeligheidsanalyse *Ruimte: alle locaties*.\n"
        )
    if len(fit):
        parts.append(formulas_md(fit))
    if len(fixed):
        parts.append(table(fixed_display(fixed), f"{title}: vaste effecten", f"stat-fixed-{label}"))
    if len(fit):
        parts.append(
            table(
                fit_display(fit, random, lr),
                f"{title}: fit, variantie tussen locaties en LR-toets",
                f"stat-fit-{label}",
            )
        )
    return parts


def warnings_md(fit: pd.DataFrame) -> list[str]:
    """R's warnings and errors, verbatim, per model (or a sentence that there were none)."""
    parts = ["## Convergentie en waarschuwingen\n"]
    text = (
        _col(fit, "warnings").fillna("").astype(str) + " " + _col(fit, "error").fillna("").astype(str)
    ).str.strip()
    bad = fit[text.str.len() > 0]
    if bad.empty:
        return parts + ["R gaf bij geen enkel model een waarschuwing of fout.\n"]
    parts.append("Waarschuwingen en fouten van R bij het schatten (letterlijk, ingekort tot 300 tekens):\n")
    for m, s, t in zip(present.labels(bad), _col(bad, "status"), text[bad.index]):
        msgs = dict.fromkeys(" ".join(x.split()).replace("`", "'")[:300] for x in t.split(" | ") if x.strip())
        parts.append(
            f"- *{m}* ({present.STATUS_NL.get(str(s), s)}):\n" + "\n".join(f"    - `{x}`" for x in msgs)
        )
    return parts + [""]


# --- small-sample inference and calibration ---------------------------------------------------
CALIBRATION_FILE = "method_calibration.csv"
"""The calibration study's results (``benchmarks/bench_calibration.py``) in ``data/reference/``."""
CALIBRATION_METHODS: dict[str, str] = {
    "wald": "Wald",
    "profile": "profiel",
    "satterthwaite": "Satterthwaite",
    "chibar2": "chibar2",
    "bootstrap": "bootstrap",
    "exact_lrt": "RLRsim",
}
CALIBRATION_FAMILIES: dict[str, str] = {
    "binomial": "ruimte (logistisch)",
    "nbinom2": "aantal (NB2)",
    "gaussian": "duur (LMM)",
}


def calibration_display(cal: pd.DataFrame) -> pd.DataFrame:
    """One row per (quantity, family, term, locations): the standard method (Wald, chibar2) and the
    better one side by side, each with its MC interval."""

    def cell(r: pd.Series) -> str:
        return (
            f"{nf.percent(100 * r['estimate'], 0)} "
            f"({nf.number(100 * r['mc_low'], 0)}-{nf.number(100 * r['mc_high'], 0)})"
        )

    rows = []
    for (q, fam, term, n), g in cal.groupby(["quantity", "family", "term", "locations"], sort=False):
        standard = g[g["method"].isin(["wald", "chibar2"])]
        better = g[~g["method"].isin(["wald", "chibar2"])]
        rows.append(
            {
                "Maat": "dekking 95%-BI" if q == "coverage" else "type-I-fout (5%)",
                "Model": CALIBRATION_FAMILIES.get(str(fam), str(fam)),
                "Term": present.term_label(str(term)) if q == "coverage" else "variantie locatie",
                "Locaties": str(int(n)),
                "Wald / chibar2": cell(standard.iloc[0]) if len(standard) else "",
                "Beter": cell(better.iloc[0]) if len(better) else "",
                "Methode": CALIBRATION_METHODS.get(str(better["method"].iloc[0]), "") if len(better) else "",
                "Replicaties": str(int(g["n"].max())),
            }
        )
    return pd.DataFrame(rows)


def calibration_md(path: Path) -> list[str]:
    """Appendix-A section: the calibration table with its date and commit (or that it is missing)."""
    parts = ["### Kalibratie van de methoden\n"]
    if not path.exists():
        return parts + [
            "*De kalibratiestudie (`benchmarks/bench_calibration.py`) is nog niet gedraaid; "
            f"`data/reference/{CALIBRATION_FILE}` ontbreekt.*\n"
        ]
    cal = pd.read_csv(path, dtype={"commit": str, "date": str})
    if cal.empty:
        return parts + ["*De kalibratiestudie heeft geen resultaten opgeleverd.*\n"]
    date, commit = str(cal["date"].iloc[0]), str(cal["commit"].iloc[0])
    parts.append(
        "Hoe goed werken Wald en de betere methoden bij zo weinig locaties? Een simulatiestudie met "
        "bekende waarden (`benchmarks/bench_calibration.py`, gedraaid op "
        f"{date}, commit `{commit}`) schat de modellen van hoofdstuk 3 op gesimuleerde gegevens met "
        f"{text_join(sorted({int(n) for n in cal['locations']}))} locaties. *Dekking* is het "
        "aandeel replicaties waarin het 95%-interval de ware waarde bevat (goed: 95%); *type-I-fout* "
        "is het aandeel replicaties zonder variatie tussen locaties waarin de toets op die variatie "
        "bij 5% significant is (goed: 5%). Tussen haakjes het Monte-Carlo-interval (95%, "
        "Clopper-Pearson): met het genoemde aantal replicaties ligt de echte waarde daarbinnen. "
        "Elke replicatie is een volledige schatting met dezelfde code als hoofdstuk 3.\n"
    )
    parts.append(
        table(
            calibration_display(cal),
            f"Kalibratie van intervallen en toetsen naar aantal locaties (gedraaid {date}, commit {commit})",
            "stat-calibration",
            cap=24,
        )
    )
    return parts


def text_join(numbers: list[int]) -> str:
    """``4, 6, 10 en 18``."""
    items = [str(n) for n in numbers]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " en " + items[-1]


def small_sample_md(
    fit: pd.DataFrame, fixed: pd.DataFrame, lr: pd.DataFrame, calibration: Path | None = None
) -> list[str]:
    """Appendix-A section: the small-sample rule, Wald beside the better interval, the simulated
    LR tests and the calibration of the methods."""
    parts = ["## Inferentie bij weinig locaties\n"]
    min_loc = (
        int(_col(fit, "min_locations").dropna().iloc[0])
        if _col(fit, "min_locations").notna().any()
        else MIN_LOCATIONS
    )
    n_boot = _col(lr, "n_boot").where(_col(lr, "lrt_sim_method").astype(str) == "parametric_bootstrap")
    parts.append(
        "Wald-intervallen en de chibar2-referentie van de LR-toets zijn grote-steekproefbenaderingen; "
        f"met weinig locaties kunnen ze te smal of te optimistisch zijn. Daarom krijgt elk model naast "
        "het Wald-interval een beter interval: voor de lineaire modellen (duur) t-intervallen en "
        "t-toetsen met Satterthwaite-vrijheidsgraden (lmerTest, op de ML-fit zelf), voor de "
        "logistische en negatief-binomiale modellen profiel-likelihoodintervallen (`confint(m, method = "
        '"profile")`) met als p-waarde de LR-toets van de term (het model opnieuw geschat zonder die '
        f"term). **Regel.** Rust een model op minder dan {min_loc} locaties, of wijkt voor een term een "
        f"grens van het betere interval meer dan {present.fmt(100 * DISAGREE_SHARE, 0)}% van de halve "
        "breedte van het Wald-interval af (of valt de toets aan de andere kant van 5%), dan gebruikt de "
        "tekst van hoofdstuk 3 het betere interval en zegt hij of de conclusie daardoor verandert; het "
        "oordeel krijgt dan de kanttekening *weinig locaties*. Voor die modellen wordt de variantie "
        "tussen locaties ook getoetst tegen een gesimuleerde nulverdeling: een parametrische bootstrap "
        "vanuit het model zonder random effect ("
        + (
            f"{nf.number(n_boot.dropna().iloc[0], 0)} replicaties"
            if n_boot.notna().any()
            else f"{nf.number(N_BOOT, 0)} replicaties"
        )
        + ", logistische en negatief-binomiale modellen) of de exacte nulverdeling van RLRsim "
        f"({nf.number(N_EXACT, 0)} trekkingen, lineaire modellen). De p-waarde is (k + 1)/(n + 1) met "
        "k van de n gesimuleerde LR-waarden minstens zo groot als de waargenomen; het "
        "Monte-Carlo-interval (Clopper-Pearson) zegt hoeveel daarvan simulatieruis is. Alle simulaties "
        "hebben een vaste seed.\n"
    )
    bd = better_display(fixed) if len(fixed) and "ci_method" in fixed.columns else pd.DataFrame()
    if len(bd):
        parts.append(
            table(
                bd,
                "Wald en het betere interval naast elkaar (exp(b)); *In de tekst*: welk interval "
                "hoofdstuk 3 noemt",
                "stat-small-sample",
                cap=26,
            )
        )
    else:
        parts.append("*Deze build heeft geen betere intervallen berekend.*\n")
    sd = simulated_lrt_display(lr, fit) if len(lr) and "lrt_sim_method" in lr.columns else pd.DataFrame()
    if len(sd):
        parts.append(
            table(
                sd,
                "Toets op variatie tussen locaties: chibar2 en de gesimuleerde nulverdeling",
                "stat-small-sample-lrt",
            )
        )
    else:
        parts.append("*Geen model viel onder de regel; er is geen gesimuleerde LR-toets gedaan.*\n")
    path = calibration if calibration is not None else default_paths().reference / CALIBRATION_FILE
    return parts + calibration_md(path)


# --- diagnostics, sensitivity, exclusions -----------------------------------------------------
def diagnostics_md(diag: pd.DataFrame, has_figures: bool) -> list[str]:
    parts = [
        "## Diagnostiek\n",
        "Gesimuleerde geschaalde residuen (de methode van DHARMa, op R's `simulate()`): "
        "uniformiteit (Kolmogorov-Smirnov, gesimuleerd bij de geschatte locatie-effecten), dispersie en, "
        "bij tellingen, het aantal nullen (beide gesimuleerd met nieuwe locatie-effecten, omdat de "
        "geschatte effecten de spreiding anders te klein doen lijken); waargenomen gedeeld door "
        "gesimuleerd, 1 = zoals verwacht. Voor ja/nee-uitkomsten is er geen dispersietoets: hun "
        "spreiding ligt vast door het gemiddelde."
        + (
            " De residufiguren van het meest uitgebreide model per uitkomst staan in hoofdstuk 3, "
            "paragraaf *Diagnostiek*."
            if has_figures
            else ""
        )
        + "\n",
    ]
    return parts + [
        table(
            present.diagnostics_display(diag, "compact"),
            "Toetsen op de gesimuleerde geschaalde residuen",
            "stat-diagnostics",
        )
    ]


def sensitivity_md(tables: dict[str, pd.DataFrame]) -> list[str]:
    parts = [
        "## Gevoeligheidsanalyses\n",
        "Elke analyse verandert één keuze van het primaire model; de tabellen zetten de primaire "
        "en de gewijzigde schatting (exp(b)) naast elkaar. Eén regel bepaalt of een conclusie gelijk "
        "blijft: de verhouding ligt aan dezelfde kant van 1 en is in beide modellen wel of in beide "
        "niet significant bij 5%. Is het primaire of het gewijzigde model niet interpreteerbaar "
        "(mislukt, waarschuwing, singulier of ontaard), dan is de vergelijking *niet te beoordelen* en "
        "telt ze niet als steun. De volledige schattingen, ook van de "
        "intercepten, staan in `ch3_sens_estimates.csv`.\n",
    ]
    if "ch3_sens_lrtests" in tables and len(tables["ch3_sens_lrtests"]):
        parts.append(
            table(
                present.lr_display(tables["ch3_sens_lrtests"], "compact"),
                "LR-toetsen van de gevoeligheidsanalyses",
                "stat-sens-lr",
            )
        )
    est = tables.get("ch3_sens_estimates")
    if est is not None and len(est):
        for analysis in est["analysis"].drop_duplicates():
            detail = present.sensitivity_detail(est, analysis, style="compact")
            if len(detail):
                parts.append(
                    table(
                        detail,
                        "Gevoeligheid: " + _lower_first(present.SENSITIVITY_LABELS.get(analysis, analysis)),
                        f"stat-sens-{analysis.replace('_', '-')}",
                    )
                )
        fits = est[est["variant"] != "primary"].drop_duplicates(["analysis", "model_id"])
        status = fits.groupby("analysis", sort=False)["status"]
        verdicts = (
            fits["verdict"] if "verdict" in fits else fits["status"].where(fits["status"] != "ok", "ok")
        )
        bad = (verdicts.fillna("").astype(str) != "ok").groupby(fits["analysis"], sort=False).sum()
        counts = pd.DataFrame(
            {
                "Analyse": [present.SENSITIVITY_LABELS.get(a, a) for a in status.size().index],
                "Modellen": status.size().to_numpy(),
                "Waarschuwing": status.apply(lambda x: int((x == "warning").sum())).to_numpy(),
                "Mislukt": status.apply(lambda x: int((x == "failed").sum())).to_numpy(),
                "Niet interpreteerbaar": bad.reindex(status.size().index).fillna(0).astype(int).to_numpy(),
            }
        )
        parts.append(
            table(
                counts,
                "Gevoeligheidsanalyses: modellen met een waarschuwing van R, zonder "
                "schatting of niet interpreteerbaar (meldingen in `ch3_sens_estimates.csv`); "
                "hun vergelijkingen tellen als niet te beoordelen",
                "stat-sens-status",
            )
        )
    rng, fixed = tables.get("ch3_sens_lolo_range"), tables.get("ch3_models_fixed")
    if rng is not None and len(rng) and fixed is not None:
        parts.append(
            table(
                present.lolo_display(rng, fixed, style="compact"),
                "Leave one location out: bereik van exp(b) (elke locatie één keer weggelaten; "
                "alle schattingen in `ch3_sens_lolo.csv`)",
                "stat-sens-lolo",
            )
        )
    return parts


def generic_md(name: str, df: pd.DataFrame, title: str) -> list[str]:
    """A CSV this module does not lay out: rounded, the first rows."""
    df = df.drop(columns=[c for c in ("note", "published_prefix") if c in df.columns])
    note = ""
    if len(df) > MAX_ROWS:
        note = f"\n*Noot.* De eerste {MAX_ROWS} van {len(df)} rijen; het volledige bestand is `{name}.csv`.\n"
        df = df.head(MAX_ROWS)
    shown = df.apply(lambda c: c.map(sig) if pd.api.types.is_float_dtype(c) else c)
    return [f"## {title}\n", table(shown, title, f"stat-{name.replace('_', '-')}") + note]


def statistics_md(
    models_dir: Path,
    *,
    figure_folders: list[Path],
    calibration: Path | None = None,
) -> str:
    """Appendix A as markdown.

    Parameters
    ----------
    models_dir : Path
        ``<build>/results/models``.
    figure_folders : list of Path
        Folders searched for diagnostics figures (``diag_<model>.png/.svg``); they are shown in
        chapter 3 and only referred to here.
    calibration : Path, optional
        The calibration study's CSV (default ``data/reference/method_calibration.csv``).

    Returns
    -------
    str
        Markdown (sections as level-2 headings).
    """
    if not models_dir.exists() or not any(models_dir.glob("*.csv")):
        return (
            "*In deze build zijn geen modellen geschat (`results/models/` is leeg); hoofdstuk 3 en "
            "deze bijlage zijn daarom niet gevuld.*\n"
        )
    index = (
        pd.read_csv(models_dir / "index.csv")
        if (models_dir / "index.csv").exists()
        else pd.DataFrame(columns=["name", "title"])
    )
    titles = dict(zip(index["name"], index["title"]))
    names = [p.stem for p in sorted(models_dir.glob("*.csv")) if p.stem not in ("index", "values")]
    t = {n: pd.read_csv(models_dir / f"{n}.csv") for n in names}
    empty = pd.DataFrame(columns=["model_id"])
    fit, fixed = t.get("ch3_models_fit", empty), t.get("ch3_models_fixed", empty)
    random = t.get("ch3_models_random", pd.DataFrame(columns=["model_id", "var1", "var2", "vcov"]))
    lr = t.get("ch3_models_lrtests", pd.DataFrame(columns=["model_id", "lr", "p"]))
    parts = [
        "Deze bijlage toont alle modellen van hoofdstuk 3 volledig, zoals de build ze wegschreef "
        "(`results/models/`): per uitkomst de formules, de vaste effecten, de fit en de toets op "
        "variatie tussen locaties; daarna de meldingen van R, de diagnostiek en de "
        "gevoeligheidsanalyses.\n"
    ]
    if len(fit):
        parts += _estimation_md(fit)
    fixed_by = present.by_outcome(fixed) if len(fixed) else {}
    fit_by = present.by_outcome(fit) if len(fit) else {}
    for key in present.SECTIONS:
        if key in fixed_by or key in fit_by:
            parts += section_md(key, fit_by.get(key, empty), fixed_by.get(key, empty), random, lr)
    if len(fit):
        parts += small_sample_md(fit, fixed, lr, calibration)
        parts += warnings_md(fit)
    if "ch3_models_diagnostics" in t:
        has_figures = any(any(f.rglob("diag_*.png")) for f in [models_dir, *figure_folders] if f.exists())
        parts += diagnostics_md(t["ch3_models_diagnostics"], has_figures)
    if any(n.startswith("ch3_sens_") for n in names):
        parts += sensitivity_md(t)
    if "ch3_models_exclusions" in t:
        parts += [
            "## Analysebestanden en uitsluitingen\n",
            table(
                present.exclusions_table(t["ch3_models_exclusions"]),
                "Uitgesloten rijen per analysebestand",
                "stat-exclusions",
            ),
        ]
    for name in (n for n in names if n not in KNOWN):
        parts += generic_md(name, t[name], titles.get(name, name))
    parts += cards_md(models_dir)  # one card per model (analysis.report.card_pages)
    return "\n".join(parts)
