# %% [markdown]
# # Ongeplande gedwongen afzonderingen
#
# Dit hoofdstuk beschrijft alle ongeplande gedwongen afzonderingen van één meting: hoeveel, bij hoeveel jongeren, waarom, waar, wanneer en hoe lang, en wat er daarna gebeurde. Alle getallen komen uit de verwerkte registraties; de figuren en tabellen schrijven hun gegevens ook weg als CSV (`results/`), zodat elk getal na te rekenen is.

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
from analysis import SYNTHETIC_BANNER
from analysis.present import display
from analysis.present import figures
from analysis.describe import chapter2, load_measurement
from analysis.present import describe_tables as pr
from analysis.core.params import UnplannedParams

# Check the parameters first: a typo should stop the run here, not halfway.
params = UnplannedParams.from_namespace(globals())
paths = params.paths()
data = load_measurement(paths.processed, params.meting, params.months())
L, K = params.lang, params.min_cell_size
res = chapter2(data, params.results_dir, L)
reg = data.registrations
fig_dir = params.figures_dir
note = SYNTHETIC_BANNER if data.synthetic else None

def show_figure(paths_, key, label, title):
    """Figure + provenance line (the caption names the base N and, if so, the synthetic data)."""
    display.figure(paths_, label=label, caption=figures.caption(title, synthetic=data.synthetic, lang=L))
    display.metadata(res[key].function, key, L)


# %%
if data.synthetic:
    display.text(f"> **{SYNTHETIC_BANNER}.** Alle aantallen in dit hoofdstuk komen uit de synthetische tweeling.")
m = params.months()
display.text(
    f"Periode: {figures.month_label(m[0], L)} tot en met {figures.month_label(m[-1], L)} ({len(m)} maanden)."
    + (f" {data.n_outside_period} registraties van deze meting vallen buiten die periode en tellen niet mee."
       if data.n_outside_period else "")
)

# %% [markdown]
# ## Aantal ongeplande gedwongen afzonderingen
#
# Het totaal per maand laat zien of het aantal afzonderingen tijdens de meting verandert. Omdat niet elke locatie alle maanden registreerde, kijken we ook naar het aantal geregistreerde maanden per locatie: een lagere telling kan dan aan de registratie liggen in plaats van aan minder afzonderingen.

# %%
pm = res["ch2_fig01_per_month"].table
cov = res["ch2_s2_1_coverage"].table
short = cov[cov["months_registered"] < cov["months_period"]]
display.text(
    f"In deze periode zijn {len(reg)} ongeplande gedwongen afzonderingen vastgelegd door {len(cov)} locaties. "
    f"In de eerste maand ({figures.month_label(pm['maand'].iloc[0], L)}) waren het er {int(pm['n'].iloc[0])}, "
    f"in de laatste ({figures.month_label(pm['maand'].iloc[-1], L)}) {int(pm['n'].iloc[-1])}. "
    + (f"{len(short)} locaties registreerden minder dan {len(m)} maanden: "
       f"{int(short['late_start'].sum())} begon later en {int(short['ended_early'].sum())} stopte eerder."
       if len(short) else f"Alle locaties registreerden alle {len(m)} maanden.")
)
show_figure(figures.bar_per_month(pm, fig_dir / "ch2_fig01_per_month", lang=L, synthetic=data.synthetic),
            "ch2_fig01_per_month", "ch2-fig01-per-month",
            f"Aantal geregistreerde ongeplande gedwongen afzonderingen per maand (N = {len(reg)})")
display.table(pr.month_table(pm, lang=L), label="ch2-per-month",
              caption="Aantal ongeplande gedwongen afzonderingen per maand (gegevens bij Figuur 1)", note=note)
display.metadata(res["ch2_fig01_per_month"].function, "ch2_fig01_per_month", L)
if K <= 1:  # with both margins shown, small cells could not be protected
    display.table(pr.location_month_table(res["ch2_fig01_per_location_month"].table, lang=L),
                  label="ch2-per-location-month",
                  caption="Aantal ongeplande gedwongen afzonderingen per locatie en maand", note=note)
    display.metadata(res["ch2_fig01_per_location_month"].function, "ch2_fig01_per_location_month", L)
if len(short):
    display.table(pr.coverage_table(cov, lang=L), label="ch2-coverage",
                  caption="Locaties die minder maanden registreerden", note=note)
    display.metadata(res["ch2_s2_1_coverage"].function, "ch2_s2_1_coverage", L)

# %% [markdown]
# ### Unieke jongeren
#
# Hoe vaak wordt dezelfde jongere afgezonderd? Dat kan alleen worden nagegaan bij locaties die bij elke registratie een (gepseudonimiseerd) jongerennummer vastlegden. We tonen de verdeling in klassen en nooit per jongere.

# %%
ys = dict(zip(res["ch2_s2_1_1_youths"].table["statistic"], res["ch2_s2_1_1_youths"].table["value"]))
without = int(ys["n_locations_without_id"])
extra = f", {without} {'locatie' if without == 1 else 'locaties'} nooit" if without else ""
if ys["n_youths"] > 0:
    display.text(
        f"{int(ys['n_locations_with_id'])} locaties legden bij elke afzondering een jongerennummer vast"
        f"{extra}. "
        f"Bij die locaties gaat het om {int(ys['n_registrations'])} afzonderingen van {int(ys['n_youths'])} verschillende jongeren. "
        f"Per jongere loopt het uiteen van {int(ys['min_per_youth'])} tot {int(ys['max_per_youth'])} afzonderingen; "
        f"de jongere met de meeste werd afgezonderd binnen een periode van {int(ys['max_youth_span_days'])} dagen. "
        f"Hoe lang elke jongere verbleef is niet bekend, alleen de gemiddelde bezetting per maand "
        f"({pr.number(ys['mean_occupancy'], L, 1)} jongeren over alle locaties); "
        f"hoeveel jongeren nooit werden afgezonderd is daarom niet te zeggen."
    )
    display.table(pr.per_youth_table(res["ch2_s2_1_1_per_youth"].table, lang=L, min_cell_size=K),
                  label="ch2-per-youth", caption="Aantal afzonderingen per jongere (locaties met jongerennummer)", note=note)
    display.metadata(res["ch2_s2_1_1_per_youth"].function, "ch2_s2_1_1_per_youth", L)
else:
    display.text("In deze meting is bij geen enkele locatie een jongerennummer vastgelegd.")

# %% [markdown]
# ## Niet ingevulde onderdelen
#
# Voordat we de inhoud bekijken, tellen we per onderdeel hoe vaak het leeg bleef. Die aantallen verschijnen in elke figuur als aparte categorie *Niet ingevuld*, zodat alle registraties meetellen en de percentages optellen tot 100.

# %%
mt = res["ch2_s2_2_missingness"].table
worst = mt.sort_values("n_missing", ascending=False).iloc[0]
display.text(f"Het vaakst leeg bleef *{worst['label']}* ({int(worst['n_missing'])} keer, {pr.number(worst['pct'], L, 1)}%).")
display.table(pr.missingness_table(mt, lang=L), label="ch2-missingness",
              caption="Niet ingevulde onderdelen van de registratie", note=note)
display.metadata(res["ch2_s2_2_missingness"].function, "ch2_s2_2_missingness", L)


# %% [markdown]
# ## Aanleiding, doel, ruimte en beheer
#
# Elke figuur hieronder toont per categorie het percentage en het aantal, met *Niet ingevuld* onderaan. De noemer is steeds het totaal aantal afzonderingen.

# %%
def describe_item(key, label, title, lead):
    t = res[key].table
    known = t[t["code"] != "na"].sort_values("n", ascending=False)
    parts = [f"{r.label} {pr.pct_of(t, r.code, L)} (n = {int(r.n)})" for r in known.itertuples() if r.n > 0]
    display.text(f"{lead} In aflopende volgorde: " + "; ".join(parts) + ". "
                 f"Niet ingevuld: {pr.n_of(t, 'na')} keer ({pr.pct_of(t, 'na', L)}).")
    # With a minimum cell size, small bars are hidden in the figure as well as in tables.
    shown = pr.suppress_counts(t, K) if K > 1 else t
    p = figures.bar_distribution(shown, fig_dir / key, lang=L, synthetic=data.synthetic)
    show_figure(p, key, label, f"{title} (N = {int(t['denominator'].iloc[0])})")

describe_item("ch2_fig02_reason", "ch2-fig02-reason", "Aanleiding van de afzondering",
              "De aanleiding laat zien welk gedrag of welke situatie tot afzonderen leidde.")
describe_item("ch2_fig03_goal", "ch2-fig03-goal", "Doel van de afzondering",
              "Het doel zegt wat medewerkers met de afzondering wilden bereiken.")
describe_item("ch2_fig04_room", "ch2-fig04-room", "Ruimte waarin de afzondering plaatsvond",
              "De ruimte loopt van de eigen kamer tot een sobere isoleer- of separeerruimte.")
describe_item("ch2_fig05_lock", "ch2-fig05-lock", "Beheer van de ruimte",
              "Een afzondering kan met de deur open of op slot plaatsvinden.")

# %% [markdown]
# ### Ruimte per aanleiding
#
# De aanleidingen komen niet even vaak voor; daarom vergelijken we de ruimte binnen elke aanleiding (percentages per balk). Registraties zonder ruimte tellen hier niet mee in de noemer.

# %%
rb = res["ch2_fig06_room_by_reason"].table
own = rb[(rb["code"] == "1") & (rb["reason_code"] != "na") & (rb["denominator"] > 0)]
lo, hi = own.loc[own["pct"].idxmin()], own.loc[own["pct"].idxmax()]
iso = rb[(rb["code"] == "3") & (rb["reason_code"] != "na") & (rb["denominator"] > 0)]
top_iso = iso.loc[iso["pct"].idxmax()]
display.text(
    f"Het aandeel afzonderingen op de eigen kamer varieert van {pr.number(lo['pct'], L)}% bij {lo['reason_label']} "
    f"tot {pr.number(hi['pct'], L)}% bij {hi['reason_label']}. De isoleer- of separeerruimte wordt naar verhouding het vaakst "
    f"gebruikt bij {top_iso['reason_label']} ({pr.number(top_iso['pct'], L)}%, n = {int(top_iso['n'])} van {int(top_iso['denominator'])})."
)
show_figure(figures.stacked_by_group(rb, fig_dir / "ch2_fig06_room_by_reason", lang=L, synthetic=data.synthetic,
                                     legend_title="Ruimte" if L == "nl" else "Room"),
            "ch2_fig06_room_by_reason", "ch2-fig06-room-by-reason", "Ruimte per type aanleiding")

# %% [markdown]
# ## Tijdstip en duur
#
# Het uur van aanvang laat zien op welke momenten van de dag de spanning oploopt. Per aanleiding tonen we het aandeel per uur, zodat kleine aanleidingen niet wegvallen naast de grote.

# %%
hours = res["ch2_fig07_start_hour"].table
vals = res["ch2_fig07_start_hour"].values
hhmm = lambda minutes: f"{int(minutes) // 60:02d}:{int(minutes) % 60:02d}"
if "ch2.fig07.time.peak1" in vals:
    display.text(
        f"Vanaf ongeveer {hhmm(vals['ch2.fig07.time.rise_start'])} neemt het aantal afzonderingen toe. "
        f"De twee hoogste pieken liggen rond {hhmm(vals['ch2.fig07.time.peak1'])} en tussen "
        f"{hhmm(vals['ch2.fig07.time.peak2_start'])} en {hhmm(vals['ch2.fig07.time.peak2_end'])}; "
        f"het drukste uur telt {int(hours['n'].max())} afzonderingen."
    )
show_figure(figures.bar_per_hour(hours, fig_dir / "ch2_fig07_start_hour", lang=L, synthetic=data.synthetic),
            "ch2_fig07_start_hour", "ch2-fig07-start-hour", f"Tijdstip van aanvang (N = {len(reg)})")
show_figure(figures.hour_by_group(res["ch2_fig08_start_hour_by_reason"].table, fig_dir / "ch2_fig08_start_hour_by_reason",
                                  lang=L, synthetic=data.synthetic),
            "ch2_fig08_start_hour_by_reason", "ch2-fig08-start-hour-by-reason", "Tijdstip van aanvang per type aanleiding")

# %%
tab = res["ch2_tab02_duration_by_reason"].table
n2359 = int(res["ch2_tab02_duration_by_reason"].values["ch2.tab02.n_2359"])
big = tab.loc[tab["median"].idxmax()]
display.text(
    "Een paar zeer lange afzonderingen trekken het gemiddelde omhoog; de mediaan (de helft duurt korter, de helft langer) "
    f"is daarom de betere maat. De langste mediane duur heeft {big['label']}: {big['median_hmm']} (uur:minuten)."
)
note_2359 = (f"Een duur van 23:59 komt {n2359} keer voor. De registratiesoftware vult die waarde in als één hele dag "
             "als duur wordt opgegeven; het is dus geen gemeten duur.")
display.table(pr.duration_table(tab, lang=L, min_cell_size=K), label="ch2-tab02-duration",
              caption="Duur van de afzondering per type aanleiding in uren en minuten",
              note=note_2359 + (f" {note}." if note else ""))
display.metadata(res["ch2_tab02_duration_by_reason"].function, "ch2_tab02_duration_by_reason", L)

# %% [markdown]
# ## Contact, evaluatie en perspectief van de jongere
#
# Na de aanleiding en de ruimte volgt wat er tijdens en na de afzondering gebeurde: was er contact, is de afzondering besproken, en heeft de jongere de registratie gezien.

# %%
describe_item("ch2_fig09_contact", "ch2-fig09-contact", "Contact tijdens de afzondering",
              "Contact betekent dat een medewerker tijdens de afzondering met de jongere sprak of kon spreken.")
describe_item("ch2_fig10_evaluation", "ch2-fig10-evaluation", "Evaluatie van de afzondering",
              "Een evaluatie achteraf helpt een volgende afzondering te voorkomen.")
ev = res["ch2_fig11_evaluation_with_youth"].table
display.text(f"Of de jongere bij de evaluatie betrokken was, is alleen zinvol als er een evaluatie is geweest of gepland is; "
             f"dat geldt voor {int(ev['denominator'].iloc[0])} afzonderingen, de noemer van de volgende figuur.")
describe_item("ch2_fig11_evaluation_with_youth", "ch2-fig11-evaluation-with-youth", "Evaluatie met jongere",
              "Evalueren met de jongere geeft de jongere een stem.")
describe_item("ch2_fig12_youth_view", "ch2-fig12-youth-view", "Perspectief van de jongere",
              "De jongere kan de registratie lezen en aangeven of hij of zij het ermee eens is.")
