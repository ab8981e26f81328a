# %% [markdown]
# # Geplande gedwongen afzonderingen
#
# Dit hoofdstuk beschrijft het beleid van de locaties rond *geplande* gedwongen afzonderingen: rustmomenten overdag en de nachtrust. De gegevens komen uit het beleidsbestand (`beleid.csv`) dat elke locatie aan het einde van een meting invult. Standaard beschrijft het hoofdstuk de laatste meting; heeft die geen beleidsbestand, dan de laatste meting die er wel een heeft (dat staat dan hieronder).

# %% tags=["parameters"]
# Parameters: papermill overrides these; None means the project default.
data_dir = None  # folder with the processed tables
meting = None  # measurement number (params/meting-N.yaml); None = the latest, as the build
first_month = None  # first month YYYY-MM; None = start of the measurement
last_month = None  # last month YYYY-MM; None = end of the measurement
min_cell_size = 0  # hide counts below this; 0 shows all, as in the national report
output_dir = None  # build folder; results and figures go below it
params_dir = None  # folder with meting-<N>.yaml; None = params/

# %% tags=["setup"]
from analysis import SYNTHETIC_BANNER
from analysis.present import display
from analysis.present import describe_text as tx
from analysis.describe import load_policy, chapter1
from analysis.present import describe_tables as pr
from analysis.describe.load import is_synthetic, policy_measurement
from analysis.core.params import PolicyParams

# Check the parameters first: a typo should stop the run here, not halfway.
params = PolicyParams.from_namespace(globals())
paths = params.paths()
# Not every measurement has a beleid.csv: use the latest one up to the chosen measurement that has.
used = policy_measurement(paths.processed, params.meting)
policy_rows = load_policy(paths.processed, used) if used is not None else None
synthetic = is_synthetic(paths.processed)

# %% tags=["compute"]
if synthetic:
    display.text(
        f"> **{SYNTHETIC_BANNER}.** Alle aantallen in dit hoofdstuk komen uit de synthetische tweeling, niet uit echte registraties."
    )
if used != params.meting:
    display.text(tx.policy_fallback(params.meting, used))
if policy_rows is not None:
    res = chapter1(policy_rows, params.results_dir)

# %% [markdown]
# ## Beleid rond geplande afzonderingen
#
# We tellen eerst hoeveel locaties hun beleid hebben beschreven. Alle percentages hieronder gebruiken die locaties als noemer: een locatie zonder gegevens kan geen keuze voor of tegen een rustmoment laten zien.

# %%
if policy_rows is not None:
    r = res["ch1_rest_moments"].table
    display.text(tx.policy_supplied(used, res["ch1_data_supplied"].table, r))
    display.table(
        pr.distribution_table(
            r, min_cell_size=params.min_cell_size, decimals=1, header="Geplande rustmomenten"
        ),
        label="ch1-rest-moments",
        caption=res["ch1_rest_moments"].title,
    )
    display.metadata(res["ch1_rest_moments"].function, "ch1_rest_moments")

# %% [markdown]
# ### Veranderingen overdag
#
# Het doel van het project is minder geplande afzonderingen. Per locatie is daarom vastgelegd of een rustmoment overdag is vervallen, aangepast, beide, of gelijk gebleven.

# %%
if policy_rows is not None:
    c = res["ch1_day_change"].table
    display.text(tx.day_change(c, res["ch1_day_unchanged"].table))
    display.table(
        pr.distribution_table(
            c, min_cell_size=params.min_cell_size, decimals=1, header="Verandering overdag"
        ),
        label="ch1-day-change",
        caption=res["ch1_day_change"].title,
    )
    display.metadata(res["ch1_day_change"].function, "ch1_day_change")

# %% [markdown]
# ### Veranderingen in de nachtrust
#
# 's Nachts verblijven alle jongeren op hun kamer. De vraag is of de deur daarbij op slot gaat; open laten geeft jongeren de kans een medewerker op te zoeken.

# %%
if policy_rows is not None:
    nc = res["ch1_night_change"].table
    display.text(tx.night_change(nc, res["ch1_night_unchanged"].table))
    display.table(
        pr.distribution_table(
            nc, min_cell_size=params.min_cell_size, decimals=1, header="Verandering nachtrust"
        ),
        label="ch1-night-change",
        caption=res["ch1_night_change"].title,
    )
    display.metadata(res["ch1_night_change"].function, "ch1_night_change")

# %% [markdown]
# ## Bevorderende en belemmerende factoren
#
# Locaties noemden wat hielp en wat tegenwerkte. Een locatie kan meerdere factoren noemen, dus de percentages tellen niet op tot 100.

# %%
if policy_rows is not None:
    for key, label in [
        ("ch1_factors_promoting", "ch1-factors-promoting"),
        ("ch1_factors_hindering", "ch1-factors-hindering"),
    ]:
        t = res[key].table
        display.text(tx.factors(res[key].title, t))
        display.table(
            pr.distribution_table(
                t, min_cell_size=params.min_cell_size, decimals=1, header="Factor", total_row=False
            ),
            label=label,
            caption=res[key].title,
            note="Meerdere antwoorden per locatie mogelijk; percentage van de locaties met gegevens.",
        )
        display.metadata(res[key].function, key)
