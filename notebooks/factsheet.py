# %% [markdown]
# # Factsheet per locatie (Bijlage 5)
#
# Terugkoppeling aan één locatie: de laatste maand tegenover de maanden ervoor, en de locatie tegenover het landelijke cijfer. Alle aantallen gaan door `analysis.describe.disclosure` (minimale celgrootte met secundaire onderdrukking); er staan geen gegevens van individuele jongeren in. `compendium factsheets` (en de build) roept per locatie dezelfde functie aan als dit notebook, `analysis.report.factsheets.content`, in aparte werkprocessen zonder Jupyter-kernel, en maakt er HTML en PDF van.

# %% tags=["parameters"]
# Parameters (papermill overrides these; see analysis.core.params.FactsheetParams)
data_dir = None  # processed tables (None: data/processed, as the build)
location = "L01"  # location code
meting = None  # measurement number (params/meting-<N>.yaml); None: the latest, as the build
first_month = None  # first month of the period (YYYY-MM); None: start of the measurement
last_month = None  # latest month, shown against the months before it; None: end of the measurement
min_cell_size = 5  # smallest count shown (disclosure control)
output_dir = None  # build folder (None: build/); the factsheet goes to <output_dir>/factsheets
params_dir = None  # folder with meting-<N>.yaml; None = params/

# %%
import pandas as pd

from analysis.present import display
from analysis.report import factsheets
from analysis.describe.disclosure import guard_display
from analysis.core.params import FactsheetParams

p = FactsheetParams.from_namespace(globals())
paths = p.paths()

# %% [markdown]
# ## Inhoud na onthullingscontrole
#
# `factsheets.content` (via `analysis.present.location.factsheet`) telt per maand, per kolom (laatste maand, eerdere maanden, hele periode) en per categorie, onderdrukt kleine aantallen en alles waaruit ze af te leiden zijn, en geeft alleen tekst terug die getoond mag worden.

# %%
sheet, chart = factsheets.content(p)  # the same function the build runs per location
display.set_base_dir(factsheets.work_dir(paths))

# %%
display.text(
    f"## {sheet['title']}\n\n{sheet['subtitle']}" + (f"\n\n**{sheet['banner']}**" if sheet["banner"] else "")
)
keys = guard_display(
    pd.DataFrame(
        [[k["label"], k["value"], k["sub"]] for k in sheet["key_figures"]],
        columns=["Kerncijfer", "Waarde", "Toelichting"],
    )
)
display.table(keys, label="kerncijfers", caption="Kerncijfers")
display.figure(
    chart, label="maanden", caption="Registraties per maand (laatste maand gemarkeerd) en per 10 jongeren"
)

# %%
ind = sheet["indicators"]
display.table(
    guard_display(pd.DataFrame(ind["rows"], columns=["Indicator", *ind["columns"][1:]])),
    label="indicatoren",
    caption="Laatste maand, eerdere maanden, hele periode en landelijk",
)
for t in sheet["tables"]:
    frame = pd.DataFrame(t["rows"] + [t["total"]], columns=factsheets.item_columns(sheet, flat=True))
    display.table(
        guard_display(frame),
        label=f"fs-{t['title'].lower().replace(' ', '-')}",
        caption=t["title"],
        note=sheet["notes"][-2],
    )
display.text("\n\n".join(sheet["notes"]))

# %% [markdown]
# De HTML- en PDF-versie worden door `analysis.report.factsheets.render` gemaakt uit hetzelfde JSON-bestand (`<build>/factsheets/_work/<locatie>.json`); `factsheets.make(p)` doet alles in één keer.
