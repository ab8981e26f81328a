# %% [markdown]
# # Geplande gedwongen afzonderingen
#
# Dit hoofdstuk beschrijft het beleid van de locaties rond *geplande* gedwongen afzonderingen: rustmomenten overdag en de nachtrust. De gegevens komen uit het beleidsbestand (`beleid.csv`) dat elke locatie aan het einde van de meting invult; het notebook rekent alles opnieuw uit, zodat een nieuwe meting alleen andere parameters nodig heeft.

# %% tags=["parameters"]
# Parameters: papermill overrides these; None means the project default.
data_dir = None        # folder with the processed tables
meting = 2             # measurement number, see params/meting-N.yaml
first_month = None     # first month YYYY-MM; None = start of the measurement
last_month = None      # last month YYYY-MM; None = end of the measurement
lang = "nl"            # labels: "nl" or "en"
min_cell_size = 0      # hide counts below this; 0 shows all, as in the national report
output_dir = None      # build folder; results and figures go below it
params_dir = None     # folder with meting-<N>.yaml; None = params/


# %% tags=["setup"]
from analysis.present import display
from analysis.describe import load_policy, chapter1
from analysis.present import describe_tables as pr
from analysis.describe.load import is_synthetic
from analysis.core.params import PolicyParams

# Check the parameters first: a typo should stop the run here, not halfway.
params = PolicyParams.from_namespace(globals())
paths = params.paths()
policy_rows = load_policy(paths.processed, params.meting)
synthetic = is_synthetic(paths.processed)
L = params.lang

# %% tags=["compute"]
if synthetic:
    display.text(f"> **{__import__('analysis').SYNTHETIC_BANNER}.** Alle aantallen in dit hoofdstuk komen uit de synthetische tweeling, niet uit echte registraties.")
if policy_rows is None:
    display.text(
        f"Voor meting {params.meting} is geen beleidsbestand aangeleverd (`policy.parquet` bevat geen rijen "
        f"voor deze meting). Dit hoofdstuk kan daarom niet worden berekend; de overige hoofdstukken wel."
    )
else:
    res = chapter1(policy_rows, params.results_dir, L)

# %% [markdown]
# ## Beleid rond geplande afzonderingen
#
# We tellen eerst hoeveel locaties hun beleid hebben beschreven. Alle percentages hieronder gebruiken die locaties als noemer: een locatie zonder gegevens kan geen keuze voor of tegen een rustmoment laten zien.

# %%
if policy_rows is not None:
    d = res["ch1_data_supplied"].table
    n_yes, n_no = pr.n_of(d, 1), pr.n_of(d, 0)
    r = res["ch1_rest_moments"].table
    display.text(
        f"In meting {params.meting} beschreven {n_yes} van de {n_yes + n_no} locaties hun beleid; "
        f"{n_no} {'locatie leverde' if n_no == 1 else 'locaties leverden'} niets aan. "
        f"Naast de nachtrust hebben "
        f"{pr.n_of(r, 1)} locaties ({pr.pct_of(r, 1, L, 1)}) geen vast rustmoment overdag, "
        f"{pr.n_of(r, 2)} ({pr.pct_of(r, 2, L, 1)}) één rustmoment overdag en "
        f"{pr.n_of(r, 3)} ({pr.pct_of(r, 3, L, 1)}) twee rustmomenten overdag."
    )
    display.table(pr.distribution_table(r, lang=L, min_cell_size=params.min_cell_size, decimals=1,
                                        header="Geplande rustmomenten"),
                  label="ch1-rest-moments", caption=res["ch1_rest_moments"].title)
    display.metadata(res["ch1_rest_moments"].function, "ch1_rest_moments", L)

# %% [markdown]
# ### Veranderingen overdag
#
# Het doel van het project is minder geplande afzonderingen. Per locatie is daarom vastgelegd of een rustmoment overdag is vervallen, aangepast, beide, of gelijk gebleven.

# %%
if policy_rows is not None:
    c = res["ch1_day_change"].table
    u = res["ch1_day_unchanged"].table
    ur = u[u["item"] == "rustmomenten"]
    amb = u[u["item"] == "ambitie_overdag"]
    closed = int(u.loc[u["item"] == "gesloten", "n"].iloc[0])
    n_unch = pr.n_of(c, 4)
    display.text(
        f"Bij {pr.n_of(c, 1)} locaties ({pr.pct_of(c, 1, L, 1)}) is een rustmoment overdag geschrapt, "
        f"bij {pr.n_of(c, 2)} ({pr.pct_of(c, 2, L, 1)}) is het anders ingericht en bij "
        f"{pr.n_of(c, 3)} ({pr.pct_of(c, 3, L, 1)}) gebeurde allebei. "
        f"{n_unch} locaties ({pr.pct_of(c, 4, L, 1)}) lieten het beleid overdag ongemoeid; "
        f"van hen {'heeft' if pr.n_of(amb, 1) == 1 else 'hebben'} {pr.n_of(amb, 1)} wel de uitgesproken ambitie het te veranderen. "
        f"In deze groep hebben {pr.n_of(ur, 2)} locaties één en {pr.n_of(ur, 3)} locaties twee rustmomenten overdag"
        + (f"; {closed} ervan is inmiddels gesloten." if closed else ".")
    )
    display.table(pr.distribution_table(c, lang=L, min_cell_size=params.min_cell_size, decimals=1,
                                        header="Verandering overdag"),
                  label="ch1-day-change", caption=res["ch1_day_change"].title)
    display.metadata(res["ch1_day_change"].function, "ch1_day_change", L)

# %% [markdown]
# ### Veranderingen in de nachtrust
#
# 's Nachts verblijven alle jongeren op hun kamer. De vraag is of de deur daarbij op slot gaat; open laten geeft jongeren de kans een medewerker op te zoeken.

# %%
if policy_rows is not None:
    nc = res["ch1_night_change"].table
    nu = res["ch1_night_unchanged"].table
    door = nu[nu["item"] == "nacht_deur"]
    closed = int(nu.loc[nu["item"] == "gesloten", "n"].iloc[0])
    display.text(
        f"{pr.n_of(nc, 1)} locaties ({pr.pct_of(nc, 1, L, 1)}) laten de kamerdeur 's nachts (deels) open sinds deze meting, "
        f"{pr.n_of(nc, 2)} ({pr.pct_of(nc, 2, L, 1)}) hebben dat als voornemen uitgesproken en "
        f"{pr.n_of(nc, 3)} ({pr.pct_of(nc, 3, L, 1)}) veranderden niets. Binnen die laatste groep was de deur bij "
        f"{pr.n_of(door, 1)} locaties al open; bij {pr.n_of(door, 2)} gaat hij op slot"
        + (f" (van deze locaties is er {closed} gesloten)." if closed else ".")
    )
    display.table(pr.distribution_table(nc, lang=L, min_cell_size=params.min_cell_size, decimals=1,
                                        header="Verandering nachtrust"),
                  label="ch1-night-change", caption=res["ch1_night_change"].title)
    display.metadata(res["ch1_night_change"].function, "ch1_night_change", L)

# %% [markdown]
# ## Bevorderende en belemmerende factoren
#
# Locaties noemden wat hielp en wat tegenwerkte. Een locatie kan meerdere factoren noemen, dus de percentages tellen niet op tot 100.

# %%
if policy_rows is not None:
    for key, label in [("ch1_factors_promoting", "ch1-factors-promoting"),
                       ("ch1_factors_hindering", "ch1-factors-hindering")]:
        t = res[key].table
        display.text(f"{res[key].title}: {int((t['n'] > 0).sum())} verschillende factoren genoemd "
                     f"door {int(t['denominator'].iloc[0])} locaties met gegevens.")
        display.table(pr.distribution_table(t, lang=L, min_cell_size=params.min_cell_size, decimals=1,
                                            header="Factor", total_row=False),
                      label=label, caption=res[key].title,
                      note="Meerdere antwoorden per locatie mogelijk; percentage van de locaties met gegevens.")
        display.metadata(res[key].function, key, L)
