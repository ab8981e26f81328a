# %% tags=["parameters"]
# Parameters (papermill); None: de standaard van het project
data_dir = None  # map met registrations.parquet en occupancy.parquet (None: data/processed)
output_dir = None  # build-map; de tabellen komen in <output_dir>/results/models (None: build/)
params_dir = None  # map met meting-<N>.yaml (None: params/)
metingen = None  # twee of meer metingen (None: alle metingen in de data)
referentie = None  # referentiemeting (None: de eerste)
model_cache = True  # eerder geschatte modellen met dezelfde data en code hergebruiken
scheduler = None  # adres van een Dask-scheduler (None: het cluster van de build, anders een lokaal cluster)
workers = 2  # werkprocessen van een nieuw lokaal cluster (0: in dit proces)

# %% [markdown]
# # Eén locatie weglaten
#
# De conclusies van dit hoofdstuk gaan over alle locaties samen. Het aantal locaties is klein, en
# locaties verschillen sterk: in grootte, in hoe vaak ze afzonderen en in hoeveel dat tussen de
# metingen veranderde. Het random intercept per locatie vangt verschillen in *niveau* op, maar één
# uitzonderlijke locatie kan een schatting toch naar zich toe trekken. Denk aan een grote locatie
# die in de tweede meting veel minder afzonderde dan in de eerste: zij alleen kan een daling over
# alle locaties zichtbaar maken die bij de andere locaties nauwelijks bestaat. De conclusie "in de
# JeugdzorgPlus nam het aantal afzonderingen af" zou dan eigenlijk over die ene locatie gaan.
#
# Daarom schatten we de belangrijkste modellen opnieuw, steeds met één locatie minder
# (*leave one location out*): per model één keer voor elke locatie. Blijft de conclusie gelijk,
# welke locatie we ook weglaten, dan draagt geen enkele locatie haar alleen. Verandert de
# conclusie zodra één bepaalde locatie ontbreekt, dan rust zij op die locatie, en dat hoort de
# lezer te weten.

# %%
from analysis import SYNTHETIC_BANNER
from analysis.present import display
from analysis.models import chapter3
from analysis.present import narrative
from analysis.present import models as present
from analysis.core.params import LoloParams

# Eerst de parameters controleren: een tikfout stopt de run hier, niet halverwege.
params = LoloParams.from_namespace(globals())
paths = params.paths()
lolo = chapter3.run_lolo(
    paths.processed,
    paths.model_results,
    metingen=params.metingen,
    reference=params.referentie,
    params_dir=params.params_path,
    cache_dir=params.cache_dir,
    scheduler=params.scheduler,
    workers=params.workers,
)
ref = lolo.frames.reference
summary = lolo.summary()
banner = f" {SYNTHETIC_BANNER}." if lolo.synthetic else ""
if lolo.synthetic:
    display.text(
        f"> **{SYNTHETIC_BANNER}.** Ook deze schattingen komen uit de synthetische tweeling; "
        "ze zeggen niets over echte locaties of jongeren."
    )

# %% [markdown]
# ## Werkwijze
#
# Het gaat om de schattingen waar de conclusies van dit hoofdstuk op rusten: de trend per maand en
# het verschil tussen de metingen in het aantal afzonderingen, het verschil tussen de metingen in
# de duur, de trend en het metingsverschil in de duur in de isoleer- of separeerruimte, en het
# metingsverschil in de kans op de isoleerruimte ten opzichte van een overige ruimte. Elk model
# heeft dezelfde vorm als het primaire model in de vorige paragrafen; alleen de gegevens van één
# locatie ontbreken. Per model zijn er dus zoveel analyses als locaties in de gegevens van dat
# model; de modellen over de isoleer- of separeerruimte tellen alleen de locaties waar zo'n
# afzondering voorkwam. We schatten elk model ook eenmaal op alle locaties, zodat de vergelijking
# binnen deze analyse blijft.
#
# Een conclusie noemen we *gelijk* als de schatting zonder die locatie in beide gevallen
# significant is (p < 0,05) met exp(b) aan dezelfde kant van 1, of in beide gevallen niet
# significant. De locatie met de *grootste invloed* is de locatie zonder welke exp(b) het verst
# (op logaritmische schaal) van de schatting op alle locaties ligt.

# %%
display.text(narrative.lolo_sentence(summary, ref, sampled=bool(lolo.sampled)))
if lolo.sampled:
    display.text(narrative.lolo_sample_sentence(lolo.sampled, lolo.max_locations))
present.table(
    present.lolo_summary_display(summary, ref),
    label="ch3-sens-lolo",
    caption="Eén locatie weglaten: de belangrijkste schattingen op alle locaties en zonder één locatie",
    note="Alle locaties: exp(b) en p van het model op alle locaties. Zonder één locatie: kleinste "
    "en grootste exp(b) als steeds één locatie wordt weggelaten. Zelfde conclusie: aantal van "
    "die schattingen met dezelfde conclusie (zie de tekst). Grootste invloed: de locatie "
    "zonder welke exp(b) het meest verschuift, met die exp(b). Alle schattingen per locatie "
    "staan in `ch3_sens_lolo.csv`." + banner,
)
display.metadata(chapter3.run_lolo, "models/ch3_sens_lolo_range")
display.text(narrative.lolo_status_sentence(lolo.problems(), lolo.n_fits) + " " + lolo.cache_note)

# %% [markdown]
# ## Hoe te lezen
#
# Een conclusie die verandert als één locatie ontbreekt, is geen fout in de gegevens van die
# locatie. Het betekent dat het bewijs voor die conclusie smal is: het komt voor een groot deel van
# één plek. Dat geldt vooral voor schattingen met een p-waarde dicht bij 0,05, waar een kleine
# verschuiving al over de grens gaat. Een brede marge tussen kleinste en grootste exp(b) zonder
# verandering van conclusie zegt vooral dat de locaties verschillen; de richting van de uitkomst
# hangt dan niet aan één locatie.
