# %% [markdown]
# # Ongeplande gedwongen afzonderingen
#
# Dit hoofdstuk beschrijft alle ongeplande gedwongen afzonderingen van één meting, standaard de laatste: hoeveel, bij hoeveel jongeren, waarom, waar, wanneer en hoe lang, en wat er daarna gebeurde. Alle getallen komen uit de verwerkte registraties; de figuren en tabellen schrijven hun gegevens ook weg als CSV (`results/`), zodat elk getal na te rekenen is.

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
from analysis.present import figures
from analysis.describe import chapter2, disclosure, load_measurement
from analysis.present import describe_tables as pr
from analysis.present import publish
from analysis.core.params import UnplannedParams

# Check the parameters first: a typo should stop the run here, not halfway.
params = UnplannedParams.from_namespace(globals())
paths = params.paths()
data = load_measurement(paths.processed, params.meting, params.months())
K = params.min_cell_size
# One disclosure decision for every count of this chapter, its results CSVs and the
# factsheets (made once by the build; on the twin, K = 0, nothing is hidden).
decision = publish.chapter2_decision(paths.build, data, K)
res = chapter2(data, params.results_dir, publish=publish.publisher(decision))
shown = {name: publish.display_frame(name, r.table, decision.hidden) for name, r in res.items()}
reg = data.registrations
fig_dir = params.figures_dir
note = SYNTHETIC_BANNER if data.synthetic else None
dc_note = disclosure.note(K)  # what "x" means, or that nothing is hidden (the twin)
n_shown = publish.shown_count(decision, "T", len(reg))  # "x" when the decision hides the total


def show_figure(paths_, key, label, title):
    """Figure + provenance line (the caption names the base N and, if so, the synthetic data)."""
    display.figure(paths_, label=label, caption=figures.caption(title, synthetic=data.synthetic))
    display.metadata(res[key].function, key)


# %%
if data.synthetic:
    display.text(
        f"> **{SYNTHETIC_BANNER}.** Alle aantallen in dit hoofdstuk komen uit de synthetische tweeling."
    )
m = params.months()
display.text(tx.period(params.meting, m, data.n_outside_period))
# Too few registrations for cell-by-cell protection: what disclosure control hid beyond its
# rule, and why (nothing on the twin or when the rule sufficed).
if decision.widened:
    display.text(publish.widened_text(decision, params.meting, heading=False))

# %% [markdown]
# ## Aantal ongeplande gedwongen afzonderingen
#
# Het totaal per maand laat zien of het aantal afzonderingen tijdens de meting verandert. Omdat niet elke locatie alle maanden registreerde, kijken we ook naar het aantal geregistreerde maanden per locatie: een lagere telling kan dan aan de registratie liggen in plaats van aan minder afzonderingen.

# %%
pm = res["ch2_fig01_per_month"].table
cov = res["ch2_s2_1_coverage"].table
short = cov[cov["months_registered"] < cov["months_period"]]
if not publish.hides_totals(decision):  # otherwise the sentence above says they are not shown
    display.text(tx.totals(params.meting, len(reg), pm, cov, len(m)))
show_figure(
    figures.bar_per_month(
        shown["ch2_fig01_per_month"].astype({"n": float}),  # hidden months: no bar
        fig_dir / "ch2_fig01_per_month",
        synthetic=data.synthetic,
    ),
    "ch2_fig01_per_month",
    "ch2-fig01-per-month",
    f"Aantal geregistreerde ongeplande gedwongen afzonderingen per maand (N = {n_shown})",
)
display.table(
    pr.month_table(shown["ch2_fig01_per_month"]),
    label="ch2-per-month",
    caption="Aantal ongeplande gedwongen afzonderingen per maand (gegevens bij Figuur 1)",
    note=note,
)
display.metadata(res["ch2_fig01_per_month"].function, "ch2_fig01_per_month")
# One row per location: above display.MAX_LOCATIONS_INLINE the table goes to a CSV file.
display.location_table(
    pr.location_month_table(res["ch2_fig01_per_location_month"].table, hidden=decision.hidden),
    label="ch2-per-location-month",
    caption="Aantal ongeplande gedwongen afzonderingen per locatie en maand",
    csv_dir=paths.appendix,
    note=f"{note}. {dc_note}" if note else dc_note,
)
display.metadata(res["ch2_fig01_per_location_month"].function, "ch2_fig01_per_location_month")
if len(short):
    display.location_table(
        pr.coverage_table(cov),
        label="ch2-coverage",
        caption="Locaties die minder maanden registreerden",
        csv_dir=paths.appendix,
        note=note,
    )
    display.metadata(res["ch2_s2_1_coverage"].function, "ch2_s2_1_coverage")

# %% [markdown]
# ### Unieke jongeren
#
# Hoe vaak wordt dezelfde jongere afgezonderd? Dat kan alleen worden nagegaan bij locaties die bij elke registratie een (gepseudonimiseerd) jongerennummer vastlegden. We tonen de verdeling in klassen en nooit per jongere.

# %%
ys = dict(zip(res["ch2_s2_1_1_youths"].table["statistic"], res["ch2_s2_1_1_youths"].table["value"]))
if ys["n_youths"] > 0:
    display.text(tx.youths(ys))
    display.table(
        pr.per_youth_table(res["ch2_s2_1_1_per_youth"].table, min_cell_size=K),
        label="ch2-per-youth",
        caption="Aantal afzonderingen per jongere (locaties met jongerennummer)",
        note=note,
    )
    display.metadata(res["ch2_s2_1_1_per_youth"].function, "ch2_s2_1_1_per_youth")
else:
    display.text("In deze meting is bij geen enkele locatie een jongerennummer vastgelegd.")

# %% [markdown]
# ## Niet ingevulde onderdelen
#
# Voordat we de inhoud bekijken, tellen we per onderdeel hoe vaak het leeg bleef. Die aantallen verschijnen in elke figuur als aparte categorie *Niet ingevuld*, zodat alle registraties meetellen en de percentages optellen tot 100.

# %%
mt = shown["ch2_s2_2_missingness"]  # narrative and table after the build's decision
display.text(tx.most_missing(mt))
display.table(
    pr.missingness_table(shown["ch2_s2_2_missingness"]),
    label="ch2-missingness",
    caption="Niet ingevulde onderdelen van de registratie",
    note=note,
)
display.metadata(res["ch2_s2_2_missingness"].function, "ch2_s2_2_missingness")


# %% [markdown]
# ## Aanleiding, doel, ruimte en beheer
#
# Elke figuur hieronder toont per categorie het percentage en het aantal, met *Niet ingevuld* onderaan. De noemer is steeds het totaal aantal afzonderingen.


# %%
def describe_item(key, label, title, lead):
    base = shown[key]["denominator"]  # <NA> when the decision hides it
    display.text(tx.distribution(lead, shown[key]))  # hidden categories are not named
    # Small bars are hidden in the figure as in the tables and the results CSV (the build's
    # one decision; nothing is hidden on the twin).
    p = figures.bar_distribution(shown[key], fig_dir / key, synthetic=data.synthetic)
    n = disclosure.SUPPRESSED_MARK if base.isna().iloc[0] else int(base.iloc[0])
    show_figure(p, key, label, f"{title} (N = {n})")


describe_item(
    "ch2_fig02_reason",
    "ch2-fig02-reason",
    "Aanleiding van de afzondering",
    "De aanleiding laat zien welk gedrag of welke situatie tot afzonderen leidde.",
)
describe_item(
    "ch2_fig03_goal",
    "ch2-fig03-goal",
    "Doel van de afzondering",
    "Het doel zegt wat medewerkers met de afzondering wilden bereiken.",
)
describe_item(
    "ch2_fig04_room",
    "ch2-fig04-room",
    "Ruimte waarin de afzondering plaatsvond",
    "De ruimte loopt van de eigen kamer tot een sobere isoleer- of separeerruimte.",
)
describe_item(
    "ch2_fig05_lock",
    "ch2-fig05-lock",
    "Beheer van de ruimte",
    "Een afzondering kan met de deur open of op slot plaatsvinden.",
)

# %% [markdown]
# ### Ruimte per aanleiding
#
# De aanleidingen komen niet even vaak voor; daarom vergelijken we de ruimte binnen elke aanleiding (percentages per balk). Registraties zonder ruimte tellen hier niet mee in de noemer.

# %%
rb = shown["ch2_fig06_room_by_reason"]
display.text(tx.room_by_reason(rb))
show_figure(
    figures.stacked_by_group(
        rb,
        fig_dir / "ch2_fig06_room_by_reason",
        synthetic=data.synthetic,
        legend_title="Ruimte",
    ),
    "ch2_fig06_room_by_reason",
    "ch2-fig06-room-by-reason",
    "Ruimte per type aanleiding",
)

# %% [markdown]
# ## Tijdstip en duur
#
# Het uur van aanvang laat zien op welke momenten van de dag de spanning oploopt. Per aanleiding tonen we het aandeel per uur, zodat kleine aanleidingen niet wegvallen naast de grote.

# %%
hours = shown["ch2_fig07_start_hour"].astype({"n": float})  # hidden hours: no bar
peaks = tx.start_hours(res["ch2_fig07_start_hour"].values, hours)
if peaks:
    display.text(peaks)
show_figure(
    figures.bar_per_hour(hours, fig_dir / "ch2_fig07_start_hour", synthetic=data.synthetic),
    "ch2_fig07_start_hour",
    "ch2-fig07-start-hour",
    f"Tijdstip van aanvang (N = {n_shown})",
)
show_figure(
    figures.hour_by_group(
        shown["ch2_fig08_start_hour_by_reason"],
        fig_dir / "ch2_fig08_start_hour_by_reason",
        synthetic=data.synthetic,
    ),
    "ch2_fig08_start_hour_by_reason",
    "ch2-fig08-start-hour-by-reason",
    "Tijdstip van aanvang per type aanleiding",
)

# %%
tab = shown["ch2_tab02_duration_by_reason"]
n2359 = int(res["ch2_tab02_duration_by_reason"].values["ch2.tab02.n_2359"])
display.text(tx.duration(tab))
display.table(
    pr.duration_table(tab),
    label="ch2-tab02-duration",
    caption="Duur van de afzondering per type aanleiding in uren en minuten",
    note=tx.note_2359(n2359) + (f" {note}." if note else ""),
)
display.metadata(res["ch2_tab02_duration_by_reason"].function, "ch2_tab02_duration_by_reason")

# %% [markdown]
# ## Contact, evaluatie en perspectief van de jongere
#
# Na de aanleiding en de ruimte volgt wat er tijdens en na de afzondering gebeurde: was er contact, is de afzondering besproken, en heeft de jongere de registratie gezien.

# %%
describe_item(
    "ch2_fig09_contact",
    "ch2-fig09-contact",
    "Contact tijdens de afzondering",
    "Contact betekent dat een medewerker tijdens de afzondering met de jongere sprak of kon spreken.",
)
describe_item(
    "ch2_fig10_evaluation",
    "ch2-fig10-evaluation",
    "Evaluatie van de afzondering",
    "Een evaluatie achteraf helpt een volgende afzondering te voorkomen.",
)
ev = shown["ch2_fig11_evaluation_with_youth"]
if not ev["denominator"].isna().iloc[0]:  # a hidden base is not stated
    display.text(tx.evaluation_base(int(ev["denominator"].iloc[0])))
describe_item(
    "ch2_fig11_evaluation_with_youth",
    "ch2-fig11-evaluation-with-youth",
    "Evaluatie met jongere",
    "Evalueren met de jongere geeft de jongere een stem.",
)
describe_item(
    "ch2_fig12_youth_view",
    "ch2-fig12-youth-view",
    "Perspectief van de jongere",
    "De jongere kan de registratie lezen en aangeven of hij of zij het ermee eens is.",
)
