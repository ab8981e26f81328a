# %% tags=["parameters"]
# Parameters (papermill); None: de standaard van het project
data_dir = None               # map met registrations.parquet en occupancy.parquet (None: data/processed)
output_dir = None             # build-map; tabellen in <output_dir>/results/models (None: build/)
params_dir = None             # map met meting-<N>.yaml (None: params/)
metingen = None               # twee of meer metingen (None: alle metingen in de data)
referentie = None             # referentiemeting (None: de eerste)
model_set = "primary"         # "primary" of "primary+sensitivity"
nsim = 250                    # simulaties per model voor de residudiagnostiek
seed = 20240601
model_cache = True            # eerder geschatte modellen met dezelfde data en code hergebruiken

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
from analysis.models import pipeline, tables
from analysis.present import narrative
from analysis.present import models as present
from analysis.models.diagnostics import diagnose, diagnostics_table
from analysis.models.frames import load_frames
from analysis.models.sensitivity import run_sensitivity
from analysis.core.params import ModelsParams

# Eerst de parameters controleren: een tikfout stopt de run hier, niet halverwege.
params = ModelsParams.from_namespace(globals())
paths = params.paths()
ch3 = pipeline.run(paths.processed, paths.model_results, metingen=params.metingen,
                   reference=params.referentie, model_set=params.model_set,
                   figures=paths.figures / "models", nsim=params.nsim, seed=params.seed,
                   params_dir=params.params_path, cache_dir=params.cache_dir)
F, R = ch3.frames, ch3.results
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
    "schattingen; bijlage A noemt de reden); de tekst trekt er geen conclusie uit." + banner)

def estimates(prefix_or_table, label, caption):
    """Show an estimates table with its note and provenance line."""
    t = (present.estimates_table(R, prefix_or_table, published, ref)
         if isinstance(prefix_or_table, str) else prefix_or_table)
    present.table(t, label=label, caption=caption, note=ESTIMATES_NOTE)
    display.metadata(pipeline.fit_primary, "models/ch3_models_fixed")

if ch3.synthetic:
    display.text(f"> **{SYNTHETIC_BANNER}.** Alle schattingen in dit hoofdstuk komen uit de "
                 "synthetische tweeling; ze zeggen niets over echte jongeren.")

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
# zoals in het oorspronkelijke rapport.

# %% [markdown]
# ## Analysebestanden en uitsluitingen

# %%
display.text(
    f"Het telbestand heeft {len(F.counts)} locatie-maanden van {F.counts['locatie'].nunique()} locaties "
    f"(waarvan {int((F.counts['n'] == 0).sum())} maanden zonder afzondering). "
    f"De duuranalyse gebruikt {len(F.duration)} van de {len(F.registrations)} registraties. "
    f"De maandindex telt kalendermaanden vanaf {figures.month_label(F.first_month)} en is gecentreerd op "
    f"{present.fmt(F.month_centre, 1)}; referentiemeting is meting {ref}. "
    f"Onderstaande tabel telt wat er per analysebestand buiten de modellen bleef.")
present.table(present.exclusions_table(F.exclusions), label="ch3-exclusions",
              caption="Uitgesloten rijen per analysebestand", note=banner.strip() or None)
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
estimates("count", "ch3-estimates-count",
          "Aantal ongeplande afzonderingen per bezette plaats: rate ratios met 95%-BI, naast het rapport")

# %% [markdown]
# ## Tijdsduur
#
# Afzonderingen duren meestal kort en soms heel lang: de verdeling van de duur is scheef. Op de
# logaritme van het aantal minuten is die verdeling ongeveer normaal, dus gebruiken we een lineair
# multilevelmodel op ln(minuten). Teruggerekend (exp(b)) is een effect dan een verhouding van
# *geometrische gemiddelden*: 0,90 betekent ongeveer 10% korter. Het oorspronkelijke rapport noemt
# dit een logistische regressie; de gerapporteerde getallen passen alleen bij dit lineaire model.
# We schatten met *maximum likelihood* (ML) en niet met REML, omdat de LR-toets de likelihood van
# het model zonder random effect (een gewone regressie, ook ML) moet kunnen vergelijken.

# %%
display.text(narrative.model_paragraph(R, "dur"))
estimates("dur", "ch3-estimates-dur",
          "Duur van een ongeplande afzondering: verhoudingen van geometrische gemiddelden met 95%-BI, "
          "naast het rapport")

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
    display.text(f"**{label}.** " + narrative.model_paragraph(R, f"room_{contrast}"))
estimates(present.room_table(R, published, ref), "ch3-estimates-room",
          "Ruimte van de afzondering: odds ratios met 95%-BI per vergelijking, naast het rapport")

# %% [markdown]
# ## Duur in de isoleer- of separeerruimte
#
# Dezelfde aanpak als bij de duur, maar alleen voor afzonderingen in een isoleer- of
# separeerruimte. Een extra model kijkt per aanleiding (agressie, orde/regels,
# zelfbeschadiging) of de duur tussen de metingen veranderde; elke term *aanleiding: meting*
# is het verschil tussen de metingen binnen die aanleiding.

# %%
display.text(narrative.model_paragraph(R, "isodur") + " "
             + narrative.reason_paragraph(R.get("isodur_reason_meting")))
estimates("isodur", "ch3-estimates-isodur",
          "Duur in de isoleer- of separeerruimte: verhoudingen van geometrische gemiddelden met 95%-BI, "
          "naast het rapport")

# %% [markdown]
# ## Schatting en convergentie
#
# Een model dat niet netjes convergeert, wordt niet weggelaten maar gemeld. Bijlage A geeft per
# model de formule, de schattingsmethode, de fit, de variantiecomponenten en de letterlijke
# meldingen van R.

# %%
display.text(narrative.status_sentence(R) + " " + ch3.cache_note)

# %% [markdown]
# ## Diagnostiek: gesimuleerde geschaalde residuen
#
# Klopt het model met de data? Voor elk model simuleren we honderden nieuwe datasets uit het
# geschatte model en kijken we waar elke echte waarneming in die gesimuleerde waarden valt. Bij een
# goed model zijn deze *geschaalde residuen* gelijkmatig verdeeld tussen 0 en 1 (de methode van het
# R-pakket DHARMa). Drie toetsen volgen daaruit: uniformiteit (Kolmogorov-Smirnov), dispersie
# (spreiden de waarnemingen meer of minder dan het model voorspelt?) en, bij tellingen, het aantal
# nullen. Met duizenden registraties vindt zo'n toets ook kleine, onschuldige afwijkingen; de
# figuren laten zien hoe groot een afwijking is.

# %%
diag = diagnostics_table(ch3.diagnostics)
n_bad = int((diag[["ks_p", "dispersion_p"]] < 0.05).any(axis=1).sum())
display.text(f"Bij {n_bad} van de {len(diag)} modellen wijst de uniformiteits- of dispersietoets "
             f"(p < 0,05) op een afwijking. De figuren tonen het meest uitgebreide model per uitkomst: "
             "links de geordende residuen tegen de uniforme verdeling (op de diagonaal bij een goed "
             "model), rechts de residuen per maand (de mediaan hoort rond 0,5 te liggen).")
shown = pipeline.figure_models(R)
present.table(present.diagnostics_display(diag[diag["model_id"].isin(shown)]), label="ch3-diagnostics",
              caption="Toetsen op de gesimuleerde geschaalde residuen van het meest uitgebreide model per uitkomst",
              note=f"Gebaseerd op {nsim} simulaties per model. Dispersie en nullen: waargenomen gedeeld "
                   "door gesimuleerd (1 = zoals verwacht). Bijlage A geeft de toetsen van alle modellen." + banner)
display.metadata(diagnose, "models/ch3_models_diagnostics")
for mid in shown:
    svg = paths.figures / "models" / f"diag_{mid}.svg"
    if svg.exists():
        display.figure((svg, svg.with_suffix(".png")), label=f"ch3-diag-{mid.replace('_', '-')}",
                       caption=figures.caption(f"Geschaalde residuen, {present.model_label(mid).lower()}",
                                               synthetic=ch3.synthetic))

# %% [markdown]
# ## Gevoeligheidsanalyses
#
# Hangen de conclusies af van keuzes in de modellen? Elke gevoeligheidsanalyse verandert één keuze
# en schat de modellen opnieuw: een *random helling* (locaties mogen een eigen trend over de
# maanden hebben; de LR-toets gebruikt dan een mengsel van chi-kwadraatverdelingen met één en twee
# vrijheidsgraden), Poisson in plaats van negatief-binomiaal, een gamma-model op de minuten zelf,
# een extra niveau voor de jongere binnen de locatie, bezetting als gewone verklarende variabele in
# plaats van offset, zonder de verdachte duur van 23:59, en nauwkeuriger kwadratuur voor de
# ruimtemodellen. Of één locatie op zichzelf een conclusie bepaalt, onderzoekt de volgende paragraaf
# (*leave one location out*).

# %%
s = ch3.sensitivity
if s is None:
    display.text("De gevoeligheidsanalyses zijn in deze run niet uitgevoerd (`model_set = \"primary\"`); "
                 "bijlage A toont ze wanneer ze zijn geschat.")
else:
    lr = tables.lr_table(s.tests)
    slopes = lr[lr["name"] == "re_slope_month"]
    summary = present.sensitivity_summary(s.estimates)
    kept, total = present.conclusions_kept(s.estimates)
    nb_pois, youth = lr[lr["name"] == "nb_vs_poisson"], lr[lr["name"] == "re_youth"]
    display.text(
        f"Bij {int((slopes['p'] < 0.05).sum())} van de {len(slopes)} maandmodellen verbetert een random "
        "helling de fit significant (p < 0,05; tabel hieronder). "
        + (f"Het negatief-binomiale model past in {int((nb_pois['p'] < 0.05).sum())} van de {len(nb_pois)} "
           "telmodellen significant beter dan het Poisson-model. " if len(nb_pois) else "")
        + (f"Een extra random intercept per jongere verbetert {int((youth['p'] < 0.05).sum())} van de "
           f"{len(youth)} modellen op registratieniveau significant. " if len(youth) else "")
        + (f"Over alle alternatieve specificaties samen leiden {kept} van de {total} schattingen tot "
           "dezelfde conclusie als het primaire model (wel of niet significant bij 5%)." if total else ""))
    present.table(present.lr_display(slopes).drop(columns="Toets"), label="ch3-sens-lr",
                  caption="Random helling voor maand per locatie: LR-toetsen tegen het model met alleen een random intercept",
                  note="De helling voegt een variantie en een covariantie toe; onder de nulhypothese ligt de "
                       "variantie op de rand, daarom is de referentie een mengsel van chi2(1) en chi2(2). "
                       "Alle LR-toetsen staan in bijlage A." + banner)
    display.metadata(run_sensitivity, "models/ch3_sens_lrtests")
    present.table(summary, label="ch3-sens-summary",
                  caption="Alternatieve specificaties: grootste verschuiving van exp(b) en gelijke conclusies",
                  note="Zelfde conclusie: aantal termen dat in het primaire en het gewijzigde model "
                       "beide wel of beide niet significant is (p < 0,05). Alle schattingen staan in "
                       "bijlage A." + banner)
    display.metadata(run_sensitivity, "models/ch3_sens_estimates")
