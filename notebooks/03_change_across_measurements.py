# %% tags=["parameters"]
# Parameters (papermill); None: de standaard van het project
data_dir = None  # map met registrations.parquet en occupancy.parquet (None: data/processed)
output_dir = None  # build-map; tabellen in <output_dir>/results/models (None: build/)
params_dir = None  # map met meting-<N>.yaml (None: params/)
metingen = None  # twee of meer metingen (None: alle metingen in de data)
referentie = None  # referentiemeting (None: de eerste)
model_set = (
    None  # "primary" of "primary+sensitivity" (None: analysis.core.params.DEFAULT_MODEL_SET, zoals de build)
)
nsim = None  # simulaties per model voor de residudiagnostiek (None: DEFAULT_NSIM)
seed = None  # None: analysis.core.params.DEFAULT_SEED, de seed van de build
model_cache = True  # eerder geschatte modellen met dezelfde data en code hergebruiken
scheduler = None  # adres van een Dask-scheduler (None: het cluster van de build, anders een lokaal cluster)
workers = 2  # werkprocessen van een nieuw lokaal cluster (0: in dit proces)

# %% [markdown]
# # Veranderingen in ongepland gedwongen afzonderen over de metingen
#
# Dit hoofdstuk gaat na of het aantal ongeplande gedwongen afzonderingen, hun duur en de ruimte
# waarin ze plaatsvonden veranderden: in de loop van de maanden en tussen de metingen. Elke
# uitkomst wordt op drie manieren bekeken, zoals in het oorspronkelijke rapport: met de maand als
# doorlopende tijd, met de meting als groep, en met beide en hun samenhang (interactie). Bij elke
# tabel staat het gepubliceerde getal naast het getal dat deze build berekende. Alle getallen in
# de tekst worden berekend, niet overgetypt; bijlage A geeft elk model volledig.

# %%
from analysis import SYNTHETIC_BANNER
from analysis.present import display
from analysis.present import figures
from analysis.present import format as nf
from analysis.models import cards, chapter3
from analysis.present import narrative, text
from analysis.present import montecarlo, timecoding
from analysis.present import models as present
from analysis.models.diagnostics import diagnose
from analysis.models.frames import load_frames
from analysis.models.change import change_table, location_effects
from analysis.models.sensitivity import run_sensitivity, test_table
from analysis.core.params import ModelsParams

# Eerst de parameters controleren: een tikfout stopt de run hier, niet halverwege.
params = ModelsParams.from_namespace(globals())
paths = params.paths()
ch3 = chapter3.run(
    paths.processed,
    paths.model_results,
    metingen=params.metingen,
    reference=params.referentie,
    model_set=params.model_set,
    nsim=params.nsim,
    seed=params.seed,
    params_dir=params.params_path,
    cache_dir=params.cache_dir,
    scheduler=params.scheduler,
    workers=params.workers,
)
F, R, T = ch3.frames, ch3.results, ch3.tables  # T: the results tables, as written to results/models
ref = F.reference
published = present.load_published(paths.published_figures)
banner = f" {SYNTHETIC_BANNER}." if ch3.synthetic else ""
ESTIMATES_NOTE = (
    "Elke rij komt uit een eigen model: de maand uit het model met alleen de maand, de meting uit "
    "het model met alleen de meting, de interactie uit het model met maand, meting en hun interactie. "
    "Bij *Variatie tussen locaties* staat in de kolom exp(b) de LR-toetsgrootheid chibar2 van het "
    "maandmodel. *Rapport*: de waarde zoals gepubliceerd (Academische Werkplaats Risicojeugd, 2021, "
    "bijlage 3), leeg waar het rapport geen waarde geeft. *Oordeel*: n.i. = het model is niet "
    "interpreteerbaar (niet geconvergeerd, singulier, waarschuwing van R, quasi-scheiding of extreme "
    "schattingen; bijlage A noemt de reden); de tekst trekt er geen conclusie uit." + banner
)


def estimates(outcome_or_table, label, caption):
    """Show an estimates table (of an outcome, from the results tables) with its note and provenance."""
    t = (
        present.estimates_table(T, outcome_or_table, published, ref)
        if isinstance(outcome_or_table, str)
        else outcome_or_table
    )
    present.table(t, label=label, caption=caption, note=ESTIMATES_NOTE)
    display.metadata(chapter3.fit_primary, "models/ch3_models_fixed")


if ch3.synthetic:
    display.text(
        f"> **{SYNTHETIC_BANNER}.** Alle schattingen in dit hoofdstuk komen uit de "
        "synthetische tweeling; ze zeggen niets over echte jongeren."
    )
display.text(
    "Een Engelstalige inleiding in deze modellen, met hun vergelijkingen, staat in "
    "[docs/method.md](docs/method.md); het oefennotebook `notebooks/teaching/learn_models.ipynb` "
    "schat ze stap voor stap."
)

# %% [markdown]
# ## Opzet van de analyses
#
# **Waarom multilevelmodellen?** De registraties komen van een beperkt aantal locaties, en
# afzonderingen binnen één locatie lijken meer op elkaar dan afzonderingen van verschillende
# locaties (beleid, gebouw, groep jongeren). Een gewone regressie zou al die registraties als
# onafhankelijk behandelen en de onzekerheid onderschatten. Daarom krijgt elk model een
# *random intercept per locatie*: iedere locatie mag een eigen niveau hebben, en het model schat
# hoe groot de verschillen tussen locaties zijn (de variantie). De *intraklassecorrelatie* (ICC)
# zegt welk deel van de variatie tussen locaties ligt.
#
# **Waarom chibar2?** Of locaties werkelijk verschillen, toetsen we met een likelihood-ratiotoets
# (LR-toets): het model met random intercept tegen hetzelfde model zonder. Een variantie kan niet
# negatief zijn; onder de nulhypothese (variantie nul) ligt de waarde dus op de rand van wat
# mogelijk is. De toetsgrootheid volgt dan geen gewone chi-kwadraatverdeling met één vrijheidsgraad
# maar een half-om-half mengsel van nul en die verdeling (*chi-bar-kwadraat*, chibar2): de p-waarde
# is de helft van de gewone. Het oorspronkelijke rapport noemt deze toets ook zo.
#
# **Tijd en meting.** De maand is een doorlopende teller over de metingen heen (de maanden tussen
# de metingen tellen mee), gecentreerd op het gemiddelde. De meting is een groep, met de
# referentiemeting als vergelijkingspunt. In het interactiemodel zegt de term *maand × meting* of
# de maandelijkse trend in een latere meting anders was dan in de referentiemeting.
#
# **Lezen van de uitkomsten.** Alle modellen schatten op een logaritmische schaal; we tonen
# exp(b): een verhouding. Een waarde onder 1 betekent minder (of korter, of een kleinere kans),
# boven 1 meer. Het 95%-betrouwbaarheidsinterval (BI) en de p-waarde komen uit de Wald-toets,
# zoals in het oorspronkelijke rapport. Rust een model op weinig locaties, of wijkt een beter
# interval duidelijk af van Wald, dan noemt de tekst het betere interval (profiel-likelihood, of
# t met Satterthwaite-vrijheidsgraden voor de duur), zegt hij of de conclusie daardoor verandert
# en toetst hij de variatie tussen locaties ook met een gesimuleerde nulverdeling. De regel en
# beide intervallen naast elkaar staan in bijlage A (*Inferentie bij weinig locaties*).

# %% [markdown]
# ## Analysebestanden en uitsluitingen

# %%
display.text(
    f"Het telbestand heeft {len(F.counts)} locatie-maanden van {F.counts['locatie'].nunique()} locaties "
    f"(waarvan {int((F.counts['n'] == 0).sum())} maanden zonder afzondering). "
    f"De duuranalyse gebruikt {len(F.duration)} van de {len(F.registrations)} registraties. "
    f"De maandindex telt kalendermaanden vanaf {nf.month(F.first_month)} en is gecentreerd op "
    f"{present.fmt(F.month_centre, 1)}; referentiemeting is meting {ref}. "
    "Onderstaande tabel telt per analysebestand elke rij die buiten de modellen bleef, en hoeveel er "
    "overbleven: samen zijn dat alle rijen van de geselecteerde metingen. De ruimtevergelijkingen "
    "gebruiken alleen locaties waar beide vergeleken ruimtes voorkomen: een locatie zonder "
    "isoleerruimte kan daar niemand plaatsen; de schatting op alle locaties staat bij de "
    "gevoeligheidsanalyses."
)
present.table(
    present.exclusions_table(ch3.exclusions),
    label="ch3-exclusions",
    caption="Uitgesloten en gebruikte rijen per analysebestand",
    note=(
        "*In het analysebestand*: de rijen die het model gebruikt. Eenheid: registraties, of "
        "locatie-maanden bij het aantal. *Bij het inlezen*: rijen die niet in de verwerkte "
        "gegevens staan." + banner
    ),
)
display.metadata(load_frames, "models/ch3_models_exclusions")

# %% [markdown]
# ## Aantal ongeplande afzonderingen
#
# Het aantal afzonderingen per locatie per maand is een telling. Tellingen van afzonderingen
# variëren meer dan een Poisson-verdeling toestaat (sommige maanden zijn onrustig), daarom
# gebruiken we een *negatief-binomiaal* model. Een locatie met meer jongeren heeft vanzelf meer
# afzonderingen; de logaritme van de gemiddelde bezetting gaat daarom als *offset* in het model,
# met een vaste coëfficiënt 1. Zo gaat exp(b) over het aantal afzonderingen per bezette plaats
# (een *rate ratio*). Het model wordt geschat met de Laplace-benadering (R-pakket glmmTMB).

# %%
display.text(narrative.model_paragraph(R, "count"))
estimates(
    "count",
    "ch3-estimates-count",
    "Aantal ongeplande afzonderingen per bezette plaats: rate ratios met 95%-BI, naast het rapport",
)

# %% [markdown]
# ## Tijdsduur
#
# Afzonderingen duren meestal kort en soms heel lang: de verdeling van de duur is scheef. Op de
# logaritme van het aantal minuten is die verdeling ongeveer normaal, dus gebruiken we een lineair
# multilevelmodel op ln(minuten). Teruggerekend (exp(b)) is een effect dan een verhouding van
# *geometrische gemiddelden*: 0,90 betekent ongeveer 10% korter. Het oorspronkelijke rapport noemt
# dit een logistische regressie, maar een logistisch model beschrijft geen minuten. Het lineaire
# model op ln(minuten) is onze keuze: het eenvoudigste model dat verhoudingen geeft zoals het
# rapport ze publiceert. De gepubliceerde getallen wijzen het niet eenduidig aan: een gamma-model
# met log-link geeft ook verhoudingen (van rekenkundige gemiddelden); zijn schatting staat hieronder.
# We schatten met *maximum likelihood* (ML) en niet met REML, omdat de LR-toets de likelihood van
# het model zonder random effect (een gewone regressie, ook ML) moet kunnen vergelijken.

# %%
display.text(narrative.model_paragraph(R, "duration"))
display.text(narrative.duration_model_sentence(ch3.sensitivity.estimates if ch3.sensitivity else None, ref))
estimates(
    "duration",
    "ch3-estimates-dur",
    "Duur van een ongeplande afzondering: verhoudingen van geometrische gemiddelden met 95%-BI, "
    "naast het rapport",
)

# %% [markdown]
# ## Ruimte
#
# Voor de ruimte (eigen kamer, overige ruimte, isoleer- of separeerruimte) vergelijken we steeds
# twee soorten ruimte met een *logistisch* multilevelmodel: de uitkomst is of een afzondering in
# de ene of de andere ruimte plaatsvond, en exp(b) is een *odds ratio*. Er zijn vier
# vergelijkingen, zoals in het rapport. Deze modellen schatten we met de Laplace-benadering
# (R-pakket lme4); de gevoeligheidsanalyse herhaalt ze met nauwkeuriger kwadratuur.

# %%
for contrast, label in present.ROOM_LABELS.items():
    display.text(f"**{label}.** " + narrative.model_paragraph(R, "room", contrast))
estimates(
    present.room_table(T, published, ref),
    "ch3-estimates-room",
    "Ruimte van de afzondering: odds ratios met 95%-BI per vergelijking, naast het rapport",
)

# %% [markdown]
# ## Duur in de isoleer- of separeerruimte
#
# Dezelfde aanpak als bij de duur, maar alleen voor afzonderingen in een isoleer- of
# separeerruimte. Een extra model kijkt per aanleiding (agressie, orde/regels,
# zelfbeschadiging) of de duur tussen de metingen veranderde; elke term *aanleiding: meting*
# is het verschil tussen de metingen binnen die aanleiding.

# %%
display.text(
    narrative.model_paragraph(R, "isoduration")
    + " "
    + narrative.reason_paragraph(R.get("isodur_reason_meting"))
)
estimates(
    "isoduration",
    "ch3-estimates-isodur",
    "Duur in de isoleer- of separeerruimte: verhoudingen van geometrische gemiddelden met 95%-BI, "
    "naast het rapport",
)

# %% [markdown]
# ## De verandering in beeld
#
# De figuren hieronder tonen per uitkomst de waargenomen waarde per maand, per meting, met de lijn
# van het model met maand, meting en hun interactie en het 95%-betrouwbaarheidsinterval daarvan.
# De lijn geldt voor een locatie met een gemiddeld niveau (random effect nul). Een model dat niet
# interpreteerbaar is, krijgt geen lijn. De laatste figuur toont per locatie hoeveel die afwijkt
# van een gemiddelde locatie (het random effect, met 95%-interval).
#

# %%
CHANGE_FIGURES = {  # outcome -> (y-axis label, share?, decimals, caption)
    "count": (
        "Afzonderingen per 10 jongeren bezetting",
        False,
        1,
        "Aantal ongeplande afzonderingen per 10 jongeren bezetting per maand",
    ),
    "dur": (
        "Geometrisch gemiddelde duur (minuten)",
        False,
        0,
        "Geometrisch gemiddelde duur van een ongeplande afzondering per maand",
    ),
    "room": (
        "Aandeel in isoleerruimte",
        True,
        0,
        "Aandeel afzonderingen in de isoleer- of separeerruimte per maand",
    ),
    "isodur": (
        "Geometrisch gemiddelde duur (minuten)",
        False,
        0,
        "Geometrisch gemiddelde duur in de isoleer- of separeerruimte per maand",
    ),
}
for key, (ylabel, share, dec, cap) in CHANGE_FIGURES.items():
    t = ch3.change.get(key)
    if t is None or t.empty:
        continue
    mid = chapter3.CHANGE_MODELS[key]
    paths_fig = figures.change_figure(
        t,
        paths.figures / "models" / f"change_{key}",
        ylabel=ylabel,
        percent=share,
        decimals=dec,
        synthetic=ch3.synthetic,
    )
    if not R[mid].interpretable:
        display.text(
            narrative.verdict_sentence(R[mid]) + " De figuur toont daarom alleen de waargenomen waarden."
        )
    display.figure(
        (paths_fig.svg, paths_fig.png),
        label=f"ch3-change-{key}",
        caption=figures.caption(
            cap
            + ", per meting, met de modellijn ("
            + present.model_label(R[mid].spec).lower()
            + ") en 95%-BI",
            synthetic=ch3.synthetic,
        ),
    )
    display.metadata(change_table, f"models/ch3_fig_change_{key}")
eff = ch3.location_effects
if len(eff):
    shown_eff = eff[eff["verdict"] == "ok"]
    titles = {m: present.model_label(R[m].spec) for m in shown_eff["model_id"].unique()}
    xlabels = {m: present.RATIO_NAMES.get(R[m].spec.group, "verhouding") for m in titles}
    skipped = [present.model_label(R[m].spec).lower() for m in eff["model_id"].unique() if m not in titles]
    # Above display.MAX_LOCATIONS_INLINE locations a panel shows a stated selection (caption).
    shown_eff, above_limit = figures.location_selection(shown_eff)
    if len(shown_eff):
        p_eff = figures.caterpillar_figure(
            shown_eff,
            paths.figures / "models" / "location_effects",
            titles=titles,
            xlabels=xlabels,
            synthetic=ch3.synthetic,
        )
        display.figure(
            (p_eff.svg, p_eff.png),
            label="ch3-location-effects",
            caption=figures.caption(
                "Afwijking per locatie van een gemiddelde locatie (random effect, "
                "exp-schaal) met 95%-interval"
                + (f". {figures.location_selection_caption(above_limit)}" if above_limit else ""),
                synthetic=ch3.synthetic,
            ),
        )
        display.metadata(location_effects, "models/ch3_fig_location_effects")
    if skipped:
        display.text("Niet getoond omdat het model niet interpreteerbaar is: " + text.join(skipped) + ".")

# %% [markdown]
# ## Schatting en convergentie
#
# Een model dat niet netjes convergeert, wordt niet weggelaten maar gemeld. Bijlage A geeft per
# model de formule, de schattingsmethode, de fit, de variantiecomponenten en de letterlijke
# meldingen van R.

# %%
display.text(narrative.status_sentence(R) + " " + ch3.cache_note)
# One card per model (appendix A), built from the results CSVs written above, with the analysis
# frames its R code refits from (real registrations: only in the secure build folder).
cards.write_cards(
    paths.model_results,
    F,
    paths,
    synthetic=ch3.synthetic,
    reference=paths.published_figures,
    note=SYNTHETIC_BANNER if ch3.synthetic else "",
)
display.text(
    "Bijlage A geeft voor elk model een modelkaart: de specificatie, welke keuzes het rapport van "
    "2021 noemt en welke wij afleidden, de gegevens, de schatting, de toetsen en de "
    "gevoeligheidsanalyses, en R-code die het model zonder deze software opnieuw schat uit het "
    + (
        "analysebestand naast de kaarten (`results/models/frames/`)."
        if ch3.synthetic
        else "analysebestand; dat staat alleen in de beveiligde buildmap (`secure/frames/`) en gaat "
        "nooit mee naar een gedeelde uitvoer."
    )
)
display.metadata(cards.write_cards, "models/ch3_model_cards")

# %% [markdown]
# ## Diagnostiek: gesimuleerde geschaalde residuen
#
# Klopt het model met de data? Voor elk model simuleren we honderden nieuwe datasets uit het
# geschatte model en kijken we waar elke echte waarneming in die gesimuleerde waarden valt. Bij een
# goed model zijn deze *geschaalde residuen* gelijkmatig verdeeld tussen 0 en 1 (de methode van het
# R-pakket DHARMa). Drie toetsen volgen daaruit: uniformiteit (Kolmogorov-Smirnov), dispersie
# (spreiden de waarnemingen meer of minder dan het model voorspelt?) en, bij tellingen, het aantal
# nullen. De residuen en de uniformiteitstoets gaan uit van de geschatte locatie-effecten; voor de
# dispersie- en nultoets trekt de simulatie nieuwe locatie-effecten, omdat de geschatte effecten op
# dezelfde gegevens zijn geschat en de spreiding dan te klein lijkt. Bij een ja/nee-uitkomst ligt de
# spreiding vast door het gemiddelde; daar is geen dispersietoets.

# %%
diag = T["ch3_models_diagnostics"]  # the simulated-residual tests, with the declaration columns
display.text(
    narrative.diagnostics_sentence(ch3.diagnostics, R)
    + " De figuren tonen het meest uitgebreide model per uitkomst: links de geordende residuen "
    "tegen de uniforme verdeling (op de diagonaal bij een goed model), rechts de residuen per "
    "maand of per categorie (de mediaan hoort rond 0,5 te liggen)."
)
if ch3.sensitivity is not None:
    display.text(narrative.zero_inflation_sentence(ch3.diagnostics, ch3.sensitivity.estimates))
shown = chapter3.figure_models(R)
diag_shown = diag[diag["model_id"].isin(shown)]
present.table(
    montecarlo.with_intervals(present.diagnostics_display(diag_shown), diag_shown),
    label="ch3-diagnostics",
    caption="Toetsen op de gesimuleerde geschaalde residuen van het meest uitgebreide model per uitkomst",
    note=montecarlo.caption_note(diag_shown) + " Dispersie en nullen: waargenomen gedeeld "
    "door gesimuleerd (1 = zoals verwacht). Bijlage A geeft de toetsen van alle modellen." + banner,
)
display.metadata(diagnose, "models/ch3_models_diagnostics")
by_id = {d.model_id: d for d in ch3.diagnostics}
for mid in shown:
    d = by_id.get(mid)
    if d is None or d.error:
        continue
    p_diag = figures.residual_figure(
        d,
        paths.figures / "models" / f"diag_{mid}",
        title=present.model_label(R[mid].spec),
        first_month=F.first_month,
        month_centre=F.month_centre,
        group_labels=present.group_labels(d.groups),
        synthetic=ch3.synthetic,
    )
    display.figure(
        (p_diag.svg, p_diag.png),
        label=f"ch3-diag-{mid.replace('_', '-')}",
        caption=figures.caption(
            f"Geschaalde residuen, {present.model_label(R[mid].spec).lower()}", synthetic=ch3.synthetic
        ),
    )

# %% [markdown]
# ## Gevoeligheidsanalyses
#
# Hangen de conclusies af van keuzes in de modellen? Elke gevoeligheidsanalyse verandert één keuze
# en schat de modellen opnieuw, bijvoorbeeld een *random helling* (locaties mogen een eigen trend
# over de maanden hebben; de LR-toets gebruikt dan een mengsel van chi-kwadraatverdelingen met één
# en twee vrijheidsgraden), een andere verdeling of een extra niveau voor de jongere binnen de
# locatie. Welke analyses deze run schatte, staat hieronder. Of één locatie op zichzelf een
# conclusie bepaalt, onderzoekt de volgende paragraaf (*leave one location out*).
#
# **Tijdscodering.** De maand telt in de primaire modellen de kalendermaanden, ook die tussen de
# metingen. De helling per maand bevat dan grotendeels de daling tussen de metingen. Twee analyses
# gaan na of de conclusies van die keuze afhangen. De eerste telt alleen de maanden waarin gemeten
# is: de laatste maand van een meting en de eerste van de volgende liggen één maand uit elkaar. De
# tweede geeft elke meting een eigen helling binnen de meting (maand binnen meting) en een eigen
# niveau; de daling tussen de metingen zit dan in het verschil tussen de metingen, niet in de
# helling. Daar wordt de maandterm van het maandmodel vergeleken met de helling binnen elke meting
# (de conclusie blijft alleen gelijk als die voor elke meting gelijk is), en de maandterm van het
# interactiemodel, de helling in de referentiemeting, met de helling binnen die meting.

# %%
s = ch3.sensitivity
if s is None:
    display.text(
        'De gevoeligheidsanalyses zijn in deze run niet uitgevoerd (`model_set = "primary"`); '
        "bijlage A toont ze wanneer ze zijn geschat."
    )
else:
    lr = test_table(s)
    slopes = lr[lr["name"] == "re_slope_month"]
    summary = present.sensitivity_summary(s.estimates)
    display.text(
        timecoding.analyses_sentence(s.estimates, s.skipped)
        + " "
        + narrative.sensitivity_tests_sentence(s)
        + " "
        + narrative.sensitivity_sentence(s.estimates, s.skipped)
    )
    variants = {r.model_id: r for r in s.results.values()}
    slope_table = present.lr_display(slopes).drop(columns="Toets")
    slope_table["Oordeel"] = ["" if variants[m].interpretable else "n.i." for m in slopes["model_id"]]
    present.table(
        slope_table,
        label="ch3-sens-lr",
        caption="Random helling voor maand per locatie: LR-toetsen tegen het model met alleen een random intercept",
        note="De helling voegt een variantie en een covariantie toe; onder de nulhypothese ligt de "
        "variantie op de rand, daarom is de referentie een mengsel van chi2(1) en chi2(2). "
        "n.i.: het model met random helling is niet interpreteerbaar; die toets telt niet mee. "
        "Alle LR-toetsen staan in bijlage A." + banner,
    )
    display.metadata(run_sensitivity, "models/ch3_sens_lrtests")
    present.table(
        summary,
        label="ch3-sens-summary",
        caption="Alternatieve specificaties: grootste verschuiving van exp(b) en gelijke conclusies",
        note="Zelfde: aantal vergelijkingen van een term (bij een helling per meting: een helling "
        "tegenover de maandterm) waarvan de verhouding in het primaire en het gewijzigde "
        "model aan dezelfde kant van 1 ligt en die in beide wel of in beide niet significant "
        "zijn (p < 0,05); anders: de overige; niet te beoordelen: het primaire of het "
        "gewijzigde model is niet interpreteerbaar (mislukt, waarschuwing, singulier of "
        "ontaard) en telt dus niet als steun. Alle schattingen staan in bijlage A." + banner,
    )
    display.metadata(run_sensitivity, "models/ch3_sens_estimates")
    display.text(timecoding.time_coding_sentence(s.estimates))
    present.table(
        timecoding.time_coding_table(s.estimates, int(ref)),
        label="ch3-sens-timecoding",
        caption="Tijdscodering: blijft elke conclusie met een maandterm gelijk?",
        note="Per conclusie van een model met een maandterm: exp(b) en p van het primaire model, en "
        "per analyse de conclusie met exp(b) en p van het gewijzigde model. Zelfde: aan dezelfde kant "
        "van 1 en in beide wel of in beide niet significant (p < 0,05); bij een helling per meting "
        "geldt dat voor elke vergeleken helling. Niet te beoordelen: een van beide modellen is niet "
        "interpreteerbaar. Leeg: het gewijzigde model heeft geen term die deze term beantwoordt. "
        "De schattingen staan in `ch3_sens_estimates.csv`." + banner,
    )
    display.metadata(run_sensitivity, "models/ch3_sens_estimates")
