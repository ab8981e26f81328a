# %% [markdown]
# # Factsheet per locatie (Bijlage 5)
#
# Terugkoppeling aan één locatie: de laatste maand tegenover de maanden ervoor, en de locatie tegenover het landelijke cijfer. Alle aantallen gaan door `analysis.describe.disclosure` (minimale celgrootte met secundaire onderdrukking); er staan geen gegevens van individuele jongeren in. `compendium factsheets` voert dit notebook per locatie uit en maakt er HTML en PDF van.

# %% tags=["parameters"]
# Parameters (papermill overrides these; see analysis.core.params.FactsheetParams)
data_dir = "data/processed"   # processed tables (analysis.ingest.process)
location = "L01"              # location code
meting = 2                    # measurement number (params/meting-<N>.yaml)
first_month = "2020-09"       # first month of the period (YYYY-MM)
last_month = "2021-02"        # latest month: shown against the months before it
min_cell_size = 5             # smallest count shown (disclosure control)
lang = "nl"                   # label language
output_dir = "build"          # build folder; the factsheet goes to <output_dir>/factsheets
params_dir = None     # folder with meting-<N>.yaml; None = params/


# %%
import json

import pandas as pd

from analysis.present import location as dl
from analysis.present import display
from analysis.report import factsheets
from analysis.describe.load import load_measurement
from analysis.describe.disclosure import guard_display
from analysis.core.params import FactsheetParams

p = FactsheetParams.from_namespace(globals())
paths = p.paths()
period = dl.Period(tuple(p.months()))
data = load_measurement(paths.processed, p.meting, list(period.months))
names = data.locations.set_index("locatie")["naam"] if "naam" in data.locations else pd.Series(dtype=str)

# %% [markdown]
# ## Inhoud na onthullingscontrole
#
# `describe_location.factsheet` telt per maand, per kolom (laatste maand, eerdere maanden, hele periode) en per categorie, onderdrukt kleine aantallen en alles waaruit ze af te leiden zijn, en geeft alleen tekst terug die getoond mag worden.

# %%
sheet = dl.factsheet(data.registrations, data.occupancy, location=p.location, period=period,
                     k=p.min_cell_size, lang=p.lang, locations=data.locations)
sheet = factsheets.decorate(sheet, name=names.get(p.location), measurement=p.meting,
                            synthetic=data.synthetic, k=p.min_cell_size)
work = factsheets.work_dir(paths)
work.mkdir(parents=True, exist_ok=True)
(work / f"{p.location}.json").write_text(json.dumps(sheet, ensure_ascii=False, indent=1), encoding="utf-8")
chart = factsheets.plot_months(sheet, work / f"{p.location}-maanden", synthetic=data.synthetic, lang=p.lang)
display.set_base_dir(work)

# %%
display.text(f"## {sheet['title']}\n\n{sheet['subtitle']}" + (f"\n\n**{sheet['banner']}**" if sheet["banner"] else ""))
keys = guard_display(pd.DataFrame([[k["label"], k["value"], k["sub"]] for k in sheet["key_figures"]],
                                  columns=["Kerncijfer", "Waarde", "Toelichting"]))
display.table(keys, label="kerncijfers", caption="Kerncijfers")
display.figure(chart, label="maanden", caption="Registraties per maand (laatste maand gemarkeerd) en per 10 jongeren")

# %%
ind = sheet["indicators"]
display.table(guard_display(pd.DataFrame(ind["rows"], columns=["Indicator", *ind["columns"][1:]])),
              label="indicatoren", caption="Laatste maand, eerdere maanden, hele periode en landelijk")
for t in sheet["tables"]:
    frame = pd.DataFrame(t["rows"] + [t["total"]], columns=factsheets.item_columns(sheet, flat=True))
    display.table(guard_display(frame), label=f"fs-{t['title'].lower().replace(' ', '-')}",
                  caption=t["title"], note=sheet["notes"][-2])
display.text("\n\n".join(sheet["notes"]))

# %% [markdown]
# De HTML- en PDF-versie worden door `analysis.report.factsheets.render` gemaakt uit hetzelfde JSON-bestand (`<build>/factsheets/_work/<locatie>.json`).
