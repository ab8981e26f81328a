# %% tags=["parameters"]
# Parameters (papermill); None: de standaard van het project
data_dir = None  # map met registrations.parquet en occupancy.parquet (None: data/processed)
output_dir = None  # build-map; de tabellen komen in <output_dir>/results/planning (None: build/)
params_dir = None  # map met meting-<N>.yaml en plan.yaml (None: params/)
metingen = None  # metingen van de bronmodellen (None: alle metingen in de data)
referentie = None  # referentiemeting van de bronmodellen (None: de eerste)
model_cache = True  # eerder geschatte modellen met dezelfde data en code hergebruiken
plan_file = None  # studiebestand (None: <params_dir>/plan.yaml)
setting = "quick"  # "quick" (in elke build) of "full" (compendium plan)
scheduler = None  # adres van een bestaande Dask-scheduler (None: lokaal cluster)
workers = 2  # werkprocessen van het lokale cluster (0: in dit proces)
nsim = None  # simulaties per ontwerp (None: zoals in het studiebestand)
from_params = False  # simuleren uit het model-blok van het studiebestand in plaats van uit de data

# %% [markdown]
# Hoeveel maanden moet een volgende meting duren, bij hoeveel locaties, om een daling van het
# aantal afzonderingen te kunnen zien? Deze bijlage beantwoordt die vraag met een simulatiestudie.
# We nemen de modellen van hoofdstuk 3 zoals ze op de gegevens zijn geschat, en laten ze nieuwe
# metingen voortbrengen: de laatste meting en een volgende meting, bij nieuwe locaties waarvan het
# niveau uit de geschatte verdeling tussen locaties wordt getrokken, met de bezetting uit de
# gegevens. In de volgende meting leggen we een verwachte verandering op. Elke gesimuleerde meting
# analyseren we met hetzelfde model als in hoofdstuk 3, en we noteren of de verandering bij een
# toets van hoofdstuk 3 wordt gezien. Het aandeel simulaties waarin dat gebeurt, is het onderscheidend
# vermogen (de *power*) van dat ontwerp.

# %%
from analysis import SYNTHETIC_BANNER
from analysis.core.params import PlanningParams
from analysis.present import display
from analysis.present import planning as present
from analysis.pipeline import plan

# Eerst de parameters controleren: een tikfout stopt de run hier, niet halverwege.
params = PlanningParams.from_namespace(globals())
paths = params.paths()
display.set_base_dir(paths.executed_notebooks)
res = plan.run_plan(
    paths,
    params.plan_path,
    setting=params.setting,
    nsim=params.nsim,
    scheduler=params.scheduler,
    workers=params.workers,
    from_params=params.from_params,
    metingen=params.metingen,
    reference=params.referentie,
    cache_dir=params.cache_dir,
    progress=False,
)
banner = f" {SYNTHETIC_BANNER}." if res.synthetic else ""
if res.synthetic:
    display.text(
        f"> **{SYNTHETIC_BANNER}.** Deze simulaties gaan uit van modellen die op de synthetische "
        "tweeling zijn geschat; ze zeggen niets over echte locaties of jongeren."
    )

# %% [markdown]
# ## Werkwijze
#
# Voor het aantal afzonderingen trekt elke gesimuleerde locatie een eigen niveau uit de geschatte
# verdeling tussen locaties; dat niveau geldt in beide metingen. Het aantal per maand volgt de
# negatief-binomiale verdeling van het geschatte model, met de bezetting van een waargenomen locatie
# als blootstelling. Voor de duur en voor de kans op de isoleer- of separeerruimte gaan we uit van de
# registraties die zo ontstaan, met de spreiding tussen locaties en binnen locaties van de
# betreffende modellen. Elke simulatie heeft een eigen startwaarde van de toevalsgenerator, zodat de
# uitkomst niet afhangt van de volgorde of van het aantal rekenprocessen. Bij *geen verandering* is
# het aandeel gevonden verschillen de type-I-fout; die hoort rond het gekozen toetsniveau te liggen. De marges zijn
# 95%-intervallen voor de Monte-Carlo-onzekerheid (Wilson): met meer simulaties worden ze smaller.
#
# Een power is zelf een schatting uit een eindig aantal simulaties. De tekst trekt daarom alleen
# conclusies die het Monte-Carlo-interval toelaat. Een kleinste daling die met de beoogde kans wordt
# gezien, noemen we alleen als bij een onderzochte daling het hele interval van de power op of boven
# de beoogde kans ligt en bij elke kleinere onderzochte daling het hele interval eronder; die daling
# ligt dan tussen die twee. Valt de beoogde kans binnen een interval, dan is zij met dit aantal
# simulaties niet te bepalen.

# %%
display.text(present.study_sentence(res.setting, res.power, plan.read_plan(params.plan_path)["settings"]))
display.text(present.answer_sentences(res.power, res.mdc, res.target))
fig = present.power_figure(
    res.power, paths.figures / "plan_power", synthetic=res.synthetic, target=res.target, alpha=res.study.alpha
)
display.figure(
    fig,
    label="plan-power",
    caption="Onderscheidend vermogen tegen de verwachte daling, per ontwerp van de volgende "
    "meting, met 95%-Monte-Carlo-intervallen" + ("; " + SYNTHETIC_BANNER if res.synthetic else ""),
)
display.table(
    present.power_display(res.power),
    label="plan-power",
    caption="Onderscheidend vermogen per ontwerp van de volgende meting",
    note=f"Maanden: per meting. Power bij 0%: de type-I-fout. Aantal: afzonderingen per bezette plaats; duur: geometrisch gemiddelde; isoleerruimte: odds. {res.study.nsim} simulaties per ontwerp; toets op {present.pct(res.study.alpha)} "
    "(Wald, tweezijdig; een daling telt alleen als gezien bij een geschatte daling). "
    "Bron van de parameters: " + res.truth.source + "." + banner,
)
display.metadata(plan.run_plan, "planning/plan_power")
display.text(present.type1_sentence(res.power, res.study.alpha))
display.text(present.quality_sentence(res.power, res.skipped))

# %%
st = res.stats
where = (
    "dit proces"
    if st.workers == 0
    else (
        f"een lokaal Dask-cluster met {st.workers} werkprocessen" if st.local else "een bestaand Dask-cluster"
    )
)
display.text(
    f"Rekenwerk: {st.tasks} taken op {where}; {st.from_store} kwamen uit eerder opgeslagen "
    f"resultaten, {st.computed} zijn nu berekend (op een cluster: `--scheduler ADRES`)."
)

# %% [markdown]
# ## Hoe te lezen
#
# Een hoge power betekent: als de verandering echt zo groot is en de locaties zich gedragen
# zoals in de geschatte modellen, dan ziet een meting met dit ontwerp haar in bijna alle
# gevallen. De berekening is zo goed als de modellen waar zij van uitgaat: verandert de
# samenstelling van de locaties, of verschilt de spreiding tussen locaties in een volgende meting,
# dan verandert ook de power. Een langere meting helpt vooral als het aantal afzonderingen per
# maand klein is; zijn locaties onderling sterk verschillend, dan helpen extra locaties meer dan
# extra maanden.
