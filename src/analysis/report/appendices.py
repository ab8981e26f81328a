"""Generated appendix content (markdown): B codebook, C data quality, D reproduction, E audit,
F computing environment. Appendix A (statistics) lives in :mod:`analysis.report.statistics`.

Every function returns pandoc markdown without the appendix heading (the report source owns
the headings), so the same text serves the pandoc and the Quarto path.
"""

from __future__ import annotations

import json
import platform
import shutil
import subprocess
import sys
from dataclasses import replace
from importlib import metadata
from pathlib import Path

import pandas as pd

from analysis import codebook
from analysis.verify.audit import AuditResult
from analysis.ingest.gate import CHECK_NL
from analysis.core.paths import Paths
from analysis.present import text
from analysis.present import format as nf
from analysis.verify.reproduction import CheckResult

TYPE_NL = {
    "string": "tekst",
    "integer": "code (geheel getal)",
    "date": "datum",
    "time": "tijd",
    "number": "getal",
    "boolean": "ja/nee",
    "datetime": "datum en tijd",
    "yearmonth": "jaar en maand (JJJJ-MM)",
    "list": "lijst van codes",
}


#: Zero-width space: a line-break opportunity that prints nothing (HTML and Typst).
ZWSP = nf.ZWSP
#: The appendices' tables (:data:`analysis.present.format.APPENDIX_TABLE`).
APPENDIX = nf.APPENDIX_TABLE
#: Appendix D's reproduction tables: as :data:`analysis.present.format.APPENDIX_TABLE`, narrower text.
REPRO_TABLE = replace(nf.APPENDIX_TABLE, cap=30)


def breakable(name: str) -> str:
    """An identifier that may wrap after ``.``, ``_`` and ``-`` (long ids in narrow columns)."""
    return "".join(ch + ZWSP if ch in "._-" else ch for ch in str(name))


# --- B: codebook ---------------------------------------------------------------------
def codebook_md() -> str:
    """Data dictionary generated from the machine-readable codebook (appendix B)."""
    pkg = codebook.load_package()
    parts = [
        f"Dit overzicht is gegenereerd uit het machineleesbare codeboek "
        f"(`src/analysis/codebook/datapackage.json`, versie {pkg.get('version', '?')}). "
        f"Ontbrekende waarden worden getoond als '{codebook.missing_label('nl')}'. "
        "De toelichtingen komen letterlijk uit het codeboek.\n"
    ]
    for res in pkg["resources"]:
        fields = codebook.fields(res["name"])
        parts.append(f"## {res.get('title', res['name'])} (`{res['name']}`)\n")
        rows = [
            {
                "Veld": breakable(f.name),
                "Titel": f.title,
                "Type": TYPE_NL.get(f.type, f.type),
                "Verplicht": "ja" if f.required else "nee",
                "Toelichting": f.explanation("nl")
                + (" Persoonsgegeven: wordt gepseudonimiseerd." if f.pii else ""),
            }
            for f in fields
        ]
        parts.append(
            nf.table_markdown(
                pd.DataFrame(rows), f"Velden van {res['name']}", f"codebook-{res['name']}", layout=APPENDIX
            )
        )
        for f in (x for x in fields if x.categories):
            cats = pd.DataFrame(
                [{"Code": c.value, "Label": c.label, "Label (Engels)": c.label_en} for c in f.categories]
            )
            parts.append(
                f"**{f.title}** (`{f.name}`)\n\n" + nf.table_markdown(cats, align="rll", layout=APPENDIX)
            )
    return "\n".join(parts)


# --- C: data quality ---------------------------------------------------------------------
# Appendix C reports columns, codes and counts only: never a value from an export. Reasons
# are summarised by check id (a code), and file errors by their check, so that no text that
# could hold a youth number or free text reaches the public report.


def _report_tables(rep: dict) -> list[str]:
    """Reconciliation tables from ``ingest_report.json`` (totals, per measurement, files with problems)."""
    parts = []
    totals = rep.get("totals")
    if isinstance(totals, dict) and all(isinstance(v, dict) for v in totals.values()):
        df = pd.DataFrame.from_dict(totals, orient="index").reset_index(names="soort")
        df["soort"] = df["soort"].replace({"all": "totaal"})
        order = ["soort", "files", "files_not_processed", "rows_read", "rows_accepted", "rows_quarantined"]
        df = df[[c for c in order if c in df.columns]]
        df = df.rename(
            columns={
                "files": "bestanden",
                "files_not_processed": "niet verwerkt",
                "rows_read": "rijen gelezen",
                "rows_accepted": "geaccepteerd",
                "rows_quarantined": "in quarantaine",
                "soort": "Soort",
            }
        )
        parts.append(
            nf.table_markdown(
                df,
                "Aansluiting: gelezen, geaccepteerde en afgekeurde rijen",
                "ingest-totals",
                layout=APPENDIX,
            )
        )
    files = pd.DataFrame(rep.get("files") or [])
    if len(files) and {"kind", "meting", "rows_read"} <= set(files.columns):
        by = (
            files.assign(meting=files["meting"].map(lambda m: "" if pd.isna(m) else str(int(m))))
            .groupby(["meting", "kind"], dropna=False)
            .agg(
                bestanden=("file", "size"),
                gelezen=("rows_read", "sum"),
                geaccepteerd=("rows_accepted", "sum"),
                quarantaine=("rows_quarantined", "sum"),
            )
            .reset_index()
            .rename(columns={"meting": "Meting", "kind": "Soort"})
        )
        parts.append(
            nf.table_markdown(by, "Invoerbestanden per meting en soort", "ingest-files", layout=APPENDIX)
        )
        if "error" in files:
            bad = files[files["error"].notna()]
            if len(bad):
                n = len(bad)
                rows = int(bad["rows_read"].sum())
                parts.append(
                    f"{text.count(n, 'bestand', 'bestanden')} kon{'' if n == 1 else 'den'} niet worden "
                    f"verwerkt ({text.count(rows, 'rij', 'rijen')}, alle in quarantaine); de reden per "
                    "bestand staat in `ingest_report.json`.\n"
                )
    return parts


def _period_tables(rep: dict) -> list[str]:
    """Configured and found months per measurement, and what the period rule left out."""
    periods, outside = rep.get("periods") or {}, rep.get("outside_period") or {}
    if not periods:
        return []
    rows = []
    for m in sorted(periods, key=int):
        p, o = periods[m], outside.get(m, {})
        found = p.get("found")
        rows.append(
            {
                "Meting": m,
                "Ingestelde periode": f"{p['configured']['first']} t/m {p['configured']['last']}",
                "Maanden in de data": f"{found['first']} t/m {found['last']}" if found else "-",
                "Registraties buiten periode": o.get("registrations", 0),
                "Bezetting buiten periode": o.get("occupancy", 0),
                "Per locatie": ", ".join(f"{k}: {v}" for k, v in (o.get("by_location") or {}).items()) or "-",
            }
        )
    parts = [
        "## Periode van de metingen\n",
        "Registraties en bezetting buiten de ingestelde periode van een meting "
        "(`params/meting-<N>.yaml`), of buiten de eerste en laatste maand van hun locatie "
        "(`locations.csv`), staan in quarantaine (reden *buiten periode*) en tellen in geen enkele "
        "tabel of model mee.\n",
        nf.table_markdown(
            pd.DataFrame(rows),
            "Ingestelde en gevonden maanden per meting; rijen buiten de periode",
            "ingest-periods",
            layout=APPENDIX,
        ),
    ]
    locs = rep.get("locations") or {}
    loc_rows = [
        {
            "Meting": m,
            "Verwacht": v.get("expected"),
            "Met registraties": len(v.get("found") or []),
            "Zonder registraties": ", ".join(v.get("without_registrations") or []) or "-",
        }
        for m, v in sorted(locs.items(), key=lambda kv: int(kv[0]))
        if isinstance(v, dict)
    ]
    if loc_rows:
        parts.append(
            nf.table_markdown(
                pd.DataFrame(loc_rows),
                "Aantal locaties per meting: verwacht en gevonden",
                "ingest-locations",
                layout=APPENDIX,
            )
        )
    return parts


def missingness(processed: Path) -> pd.DataFrame | None:
    """Share of 'not registered' per categorical field and measurement."""
    reg = processed / "registrations.parquet"
    if not reg.exists():
        return None
    df = pd.read_parquet(reg)
    cols = [f.name for f in codebook.categorical_fields() if f.name in df.columns]
    if not cols or "meting" not in df.columns:
        return None
    rows = []
    for m, g in df.groupby("meting"):
        for c in cols:
            rows.append(
                {
                    "Meting": int(m),
                    "Veld": codebook.field(c).title,
                    "Niet ingevuld (n)": int(g[c].isna().sum()),
                    "N": len(g),
                    "%": nf.number(100 * g[c].isna().mean(), 1),
                }
            )
    return pd.DataFrame(rows)


def data_quality_md(processed: Path) -> str:
    """Ingestion reconciliation, periods, quarantine summary and missingness (appendix C).

    Only columns, check codes and counts are shown: no value from an export.
    """
    parts = []
    rep_path = processed / "ingest_report.json"
    if rep_path.exists():
        rep = json.loads(rep_path.read_text("utf-8"))
        synthetic = rep.get("synthetic")
        parts.append(
            "De gegevens zijn ingelezen en gecontroleerd met `compendium ingest`. Het volledige "
            "verslag (inclusief SHA-256 van elk invoer- en uitvoerbestand) staat in "
            f"`ingest_report.json`. Bron: {'synthetische tweeling' if synthetic else 'registraties'}.\n"
        )
        parts.extend(_report_tables(rep))
        parts.extend(_period_tables(rep))
    else:
        parts.append(
            "*Geen `ingest_report.json` gevonden: de ingest-stap is in deze build niet uitgevoerd.*\n"
        )
    q_path = processed / "quarantine.csv"
    if q_path.exists():
        q = pd.read_csv(q_path, dtype=str, keep_default_na=False)
        if len(q):
            check = q["check"] if "check" in q else pd.Series("", index=q.index)
            known = {
                f.name
                for res in ("registraties", "locaties", "bezetting", "beleid")
                for f in codebook.fields(res)
            }
            col = q["column"].where(q["column"].isin(known), "")
            by = (
                pd.DataFrame({"Controle": check.map(lambda c: CHECK_NL.get(c, c)), "Kolom": col})
                .groupby(["Controle", "Kolom"])
                .size()
                .reset_index(name="Aantal")
                .sort_values(["Aantal", "Controle", "Kolom"], ascending=[False, True, True])
            )
            parts.append(
                f"In quarantaine: {text.count(len(q), 'melding', 'meldingen')} over rijen die niet aan "
                "het codeboek voldeden (per controle en kolom; de waarden zelf blijven in "
                "`data/processed/quarantine.csv`).\n"
            )
            parts.append(
                nf.table_markdown(
                    by.head(40), "Quarantaine per controle en kolom", "quarantine", layout=APPENDIX
                )
            )
        else:
            parts.append("Er staan geen registraties in quarantaine.\n")
    miss = missingness(processed)
    if miss is not None:
        parts.append("## Ontbrekende waarden\n")
        parts.append(
            nf.table_markdown(
                miss, "Niet ingevulde onderdelen per meting", "missingness", align="rlrrr", layout=APPENDIX
            )
        )
    return "\n".join(parts)


# --- D: reproduction -------------------------------------------------------------------------
_CH = {"method": "Methode", "1": "Hoofdstuk 1", "2": "Hoofdstuk 2", "3": "Hoofdstuk 3"}
REPRO_STATUS_NL = {
    "exact": "exact",
    "within rounding": "binnen afronding",
    "within CI": "binnen BI",
    "same conclusion": "zelfde conclusie",
    "outside CI": "buiten BI",
    "differs": "wijkt af",
    "not computed": "niet berekend",
    "no published figure": "geen gepubliceerd cijfer",
}
"""Dutch names of :data:`analysis.verify.reproduction.STATUSES` for the report."""


def published_map_md(published: dict[str, list[str]]) -> str:
    """Appendix D's finding aid: each table and figure of the 2021 report and where it is here.

    Parameters
    ----------
    published : dict
        Label in this report (``tbl-...``/``fig-...``) -> artefacts of the 2021 report.
    """
    by_artefact: dict[str, list[str]] = {}
    for label, arts in published.items():
        for a in arts:
            by_artefact.setdefault(a, []).append(label)
    if not by_artefact:
        return ""

    def key(name: str) -> tuple[int, int]:
        kind, _, num = name.partition(" ")
        return {"Tabel": 0, "Figuur": 1}.get(kind, 2), int(num) if num.isdigit() else 0

    rows = [
        {"Rapport 2021": a, "In dit rapport": ", ".join(f"@{lab}" for lab in labels)}
        for a, labels in sorted(by_artefact.items(), key=lambda kv: key(kv[0]))
    ]
    return (
        "Waar staat wat? Elke tabel en figuur van het rapport uit 2021 die deze build nabootst, met "
        "de tabel of figuur in dit rapport (het bijschrift daar noemt het nummer uit 2021).\n\n"
        + nf.table_markdown(
            pd.DataFrame(rows),
            "Tabellen en figuren van het rapport uit 2021 in dit rapport",
            "repro-map",
            align="ll",
            layout=APPENDIX,
        )
    )


def _shown_decimals(decimals: object) -> int:
    """Decimals for a computed value beside a published one: two more than published (max 6)."""
    d = 0 if nf.is_missing(decimals) else int(decimals)
    return min(nf.MAX_DECIMALS, d + 2)


def computed_cell(value: float | None, decimals: object, kind: str) -> str:
    """A computed value of appendix D: whole numbers plain, p below its published bound as a bound."""
    if nf.is_missing(value):
        return ""
    if kind == "p_upper_bound":
        return nf.pvalue(value, 0 if nf.is_missing(decimals) else int(decimals))
    if float(value).is_integer():
        return nf.integer(value)
    return nf.number(value, _shown_decimals(decimals))


def difference_cell(value: float | None, decimals: object, kind: str) -> str:
    """Computed minus published in appendix D; empty for a p bound (the status says it)."""
    if nf.is_missing(value) or kind == "p_upper_bound":
        return ""
    return nf.signed(value, 0 if float(value).is_integer() else _shown_decimals(decimals))


def reproduction_md(result: CheckResult) -> str:
    """Every published figure beside this build's value, grouped by chapter (appendix D)."""
    t = result.table
    counts = result.counts().reset_index().rename(columns={"chapter": "Hoofdstuk"})
    counts["Hoofdstuk"] = counts["Hoofdstuk"].map(lambda c: _CH.get(str(c), str(c)))
    counts = counts.rename(columns=REPRO_STATUS_NL)
    must = t[t["must_match"]]
    n_cmp = int((~must["status"].isin(["not computed", "no published figure"])).sum())
    if result.exit_code:
        verdict = (
            f"**{text.count(len(result.failures), 'cijfer', 'cijfers')} van hoofdstuk 1 en 2 "
            f"{text.verb(len(result.failures), 'wijkt', 'wijken')} af** (zie hieronder)."
        )
    elif n_cmp:
        verdict = (
            f"{text.capitalize(text.count(n_cmp, 'vergeleken cijfer', 'vergeleken cijfers'))} van "
            f"hoofdstuk 1 en 2 {text.verb(n_cmp, 'komt', 'komen')} overeen met het rapport."
        )
    else:
        verdict = (
            "Deze build berekende hoofdstuk 1 en 2 niet voor de gepubliceerde meting; er is daar "
            "niets vergeleken."
        )
    parts = [
        "Elk cijfer uit het gepubliceerde rapport (`data/reference/published_figures.csv`) staat hier "
        "naast de waarde die deze build berekende over dezelfde meting(en); bij elk gepubliceerd cijfer "
        "legt de kolom `metingen` van dat bestand vast over welke meting(en) het gaat. Status: *exact*; *binnen afronding* "
        "(verschil kleiner dan een halve eenheid van de laatste gepubliceerde decimaal); *binnen BI* "
        "(schatting binnen het gepubliceerde 95%-BI); *wijkt af*; *niet berekend* (niet uit de "
        "registraties af te leiden, zoals interviewgegevens, of niet berekend voor die meting); "
        "*geen gepubliceerd cijfer* (berekend voor een meting waarover het rapport niets publiceerde; "
        "niet vergeleken). " + verdict + "\n",
        "\n".join(f"- {line}" for line in result.compared()) + "\n",
        nf.table_markdown(counts, "Reproductie per hoofdstuk en status", "repro-summary", layout=APPENDIX),
    ]
    # Only reasons that explain a difference shown below (none when nothing was compared).
    allowed = t[t["allowed"] & (t["status"] == "differs")].drop_duplicates("reason")
    if len(allowed):
        parts.append("Toegestane afwijkingen (bekend onverenigbaar in het gepubliceerde rapport):\n")
        parts.extend(f"- `{r['id'].rsplit('.', 1)[0]}.*`: {r['reason']}" for _, r in allowed.iterrows())
        parts.append("")
    for ch, g in t.groupby("chapter", sort=False):
        view = pd.DataFrame(
            {
                "id": g["id"].map(lambda s: f"`{breakable(s)}`"),
                "meting": g["metingen"].map(
                    lambda sc: text.number_range([int(x) for x in str(sc).split(";") if x])
                ),
                "gepubliceerd": [
                    nf.published(v, d, k) for v, d, k in zip(g["published"], g["decimals"], g["kind"])
                ],
                "berekend": [
                    computed_cell(v, d, k) for v, d, k in zip(g["computed"], g["decimals"], g["kind"])
                ],
                "verschil": [
                    difference_cell(v, d, k) for v, d, k in zip(g["difference"], g["decimals"], g["kind"])
                ],
                "status": g["status"].map(lambda x: REPRO_STATUS_NL.get(x, x))
                + g["allowed"].map(lambda a: " (toegestaan)" if a else ""),
            }
        )
        align = "llrrrl"
        if str(ch) == "3" and "width_ratio" in g and g["width_ratio"].notna().any():
            # why: for chapter 3 the width of the CI is part of the verdict
            view.insert(
                5, "BI-breedte", g["width_ratio"].map(lambda v: "" if pd.isna(v) else "× " + nf.number(v, 2))
            )
            align = "llrrrrl"
        parts.append(f"## {_CH.get(str(ch), str(ch))}\n")
        if str(ch) == "3":
            parts.append(chapter3_note(g))
        parts.append(
            nf.table_markdown(
                view,
                f"Reproductie {_CH.get(str(ch), str(ch)).lower()}",
                f"repro-{ch}",
                align=align,
                layout=REPRO_TABLE,
            )
        )
    return "\n".join(parts)


def chapter3_note(g: pd.DataFrame) -> str:
    """Explanation of the chapter-3 statuses and the CI-width column, with the counts of this build."""
    from analysis.core.intervals import WIDTH_RANGE

    est = g[g["kind"].eq("estimate")]
    n_in = int(est["status"].isin(["exact", "within rounding", "within CI"]).sum())
    terms = (
        g.dropna(subset=["width_ratio"])
        .drop_duplicates("id")
        .assign(term=lambda x: x["id"].str.rsplit(".", n=1).str[0])
        .drop_duplicates("term")
    )
    n_w = int(terms["width_ratio"].round(2).between(*WIDTH_RANGE).sum())
    n_c = int(terms["conclusion"].eq("zelfde").sum())
    lo, hi = (nf.number(x, 2) for x in WIDTH_RANGE)
    return (
        f"Per modelterm wordt het geheel beoordeeld. Een schatting is *binnen BI* of *buiten BI* (het "
        f"gepubliceerde 95%-BI). Een grens van het BI of een p-waarde die buiten de afronding valt, is "
        f"*zelfde conclusie* wanneer de schatting binnen het gepubliceerde BI ligt, de breedte van het BI "
        f"(op logschaal) tussen {lo} en {hi} keer de gepubliceerde breedte is (kolom *BI-breedte*) en de "
        f"conclusie bij 5% dezelfde is; anders *wijkt af*. In deze build: "
        f"{text.count(n_in, 'schatting', 'schattingen')} van {len(est)} binnen het gepubliceerde BI, "
        f"{n_w} van {len(terms)} termen met een BI-breedte binnen die grenzen en {n_c} van {len(terms)} "
        f"met dezelfde conclusie.\n"
    )


# --- E: audit ------------------------------------------------------------------------------------

#: Dutch name of every check of the audit (appendix E).
AUDIT_CHECK_NL = {
    "category_sum": "Aantallen per categorie tegen N",
    "percent_count": "Percentages tegen aantallen (met afronding)",
    "percent_sum": "Percentages tellen op tot 100",
    "summary_range": "Gemiddelden en medianen tegen minimum en maximum",
    "p_ci": "p-waarden tegen betrouwbaarheidsintervallen",
    "contrast": "Samenhang tussen contrasten van dezelfde uitkomst",
}


def audit_md(result: AuditResult) -> str:
    """Findings of the consistency checks of the published figures (appendix E)."""
    counts = pd.DataFrame(
        [
            {
                "Controle": AUDIT_CHECK_NL.get(k, k),
                "Vergelijkingen": n,
                "Bevindingen": len(result.by_check(k)),
            }
            for k, n in result.checked.items()
        ]
    )
    parts = [
        "Deze bijlage controleert het gepubliceerde rapport op interne samenhang, uitsluitend met "
        "de daarin gepubliceerde getallen. Elke controle houdt rekening met de afronding in het "
        "rapport; een bevinding betekent dat geen onafgeronde waarden met alle betrokken getallen "
        "tegelijk verenigbaar zijn. Standaardfouten zijn teruggerekend op de logschaal: "
        "SE = (log(bovengrens) - log(ondergrens)) / (2 × 1,96), z = log(schatting) / SE.\n",
        nf.table_markdown(counts, "Uitgevoerde controles", "audit-checks", layout=APPENDIX),
    ]
    if not result.findings:
        parts.append("Er zijn geen inconsistenties gevonden.\n")
    for i, f in enumerate(result.findings, 1):
        parts.append(
            f"**Bevinding {i}** ({AUDIT_CHECK_NL.get(f.check, f.check)}). {f.message}\n\n"
            f"Getallen: {f.numbers}. Ids: " + ", ".join(f"`{x}`" for x in f.ids) + ".\n"
        )
    return "\n".join(parts)


# --- F: environment ------------------------------------------------------------------------------
PACKAGES = (
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "matplotlib",
    "papermill",
    "nbformat",
    "pypandoc-binary",
    "typst",
    "rpy2",
    "pymer4",
    "pydantic",
    "rich",
)


def _run(cmd: list[str], cwd: Path | None = None) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20, cwd=cwd)
        return (out.stdout or out.stderr).strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def git_commit(root: Path) -> str:
    """Commit hash of the working tree ('+ wijzigingen' when dirty; '' outside git)."""
    sha = _run(["git", "rev-parse", "--short=12", "HEAD"], root)
    if not sha or " " in sha:
        return ""
    dirty = _run(["git", "status", "--porcelain", "--untracked-files=no"], root)
    return sha + (" (+ lokale wijzigingen)" if dirty else "")


def versions() -> pd.DataFrame:
    """Versions of Python, the key packages, pandoc, Typst, R and Quarto."""
    rows = [
        {"Onderdeel": "Python", "Versie": platform.python_version()},
        {"Onderdeel": "Platform", "Versie": platform.platform()},
    ]
    for p in PACKAGES:
        try:
            rows.append({"Onderdeel": p, "Versie": metadata.version(p)})
        except metadata.PackageNotFoundError:
            continue
    try:
        import pypandoc

        rows.append({"Onderdeel": "pandoc", "Versie": pypandoc.get_pandoc_version()})
    except (ImportError, OSError):
        pass
    r = shutil.which("R")
    if r:
        rows.append(
            {
                "Onderdeel": "R",
                "Versie": _run([r, "--version"]).splitlines()[0] if _run([r, "--version"]) else "?",
            }
        )
    q = shutil.which("quarto")
    if q:
        rows.append({"Onderdeel": "Quarto", "Versie": _run([q, "--version"])})
    return pd.DataFrame(rows)


def environment_md(paths: Paths, context: dict | None = None) -> str:
    """Computing environment and how to re-run (appendix F)."""
    ctx = context or {}
    parts = [
        "Dit rapport is volledig gegenereerd uit code en data. Commit: "
        f"`{ctx.get('commit') or git_commit(paths.root) or 'onbekend'}`; "
        f"renderer: {ctx.get('renderer', 'pandoc + Typst')}; Python `{sys.executable}`.\n",
        nf.table_markdown(versions(), "Softwareversies", "versions", layout=APPENDIX),
    ]
    times = ctx.get("stage_times")
    if isinstance(times, dict) and times:
        df = pd.DataFrame([{"Stap": k, "Duur (s)": nf.number(float(v), 1)} for k, v in times.items()])
        parts.append(
            nf.table_markdown(
                df, "Duur van de stappen van deze build", "stage-times", align="lr", layout=APPENDIX
            )
        )
    parts.append(
        "## Opnieuw uitvoeren\n\n"
        "```bash\n"
        "make report              # omgeving (indien nodig) + volledige build: HTML en PDF\n"
        "make test                # alle tests\n"
        ".venv/bin/compendium build --synthetic   # forceer de synthetische tweeling\n"
        ".venv/bin/compendium render --renderer pandoc   # alleen opnieuw renderen (offline)\n"
        ".venv/bin/compendium check                      # reproductiecontrole (bijlage D)\n"
        "```\n\n"
        "Met echte registraties in `data/raw/` (zie `data/raw/README.md`) gebruikt `make report` die "
        "gegevens; anders de synthetische tweeling. Wie Quarto heeft, kan ook `compendium render "
        "--renderer quarto` of `quarto render` gebruiken; de inhoud is dezelfde.\n"
    )
    return "\n".join(parts)


# --- D (twin only): calibration of the synthetic twin ----------------------------------------------
CALIBRATION_STATUS_NL = {
    "exact": "exact",
    "miss": "niet gehaald",
    "not computed": "niet berekend",
    "within CI": "binnen BI",
    "outside CI": "buiten BI",
}


def calibration_md(paths: Paths) -> str:
    """Calibration of the synthetic twin (appendix D), empty for real data.

    Lists how many calibration targets the ingested twin meets exactly and every target it
    does not, with the reason. The table is the output of the build's ``calibration`` step
    (``<build>/calibration/synth_calibration.csv``); rendering only reads it.
    """
    from analysis.core.provenance import is_synthetic

    if not is_synthetic(paths.processed):
        return ""
    if not paths.calibration_table.exists():
        return (
            "## Kalibratie van de synthetische tweeling\n\n::: {.callout}\nDe kalibratie is in deze build "
            "niet uitgevoerd (`calibration/synth_calibration.csv` ontbreekt in de build-map; "
            "`compendium build` maakt haar).\n:::\n"
        )
    t = pd.read_csv(
        paths.calibration_table,
        dtype={"id": str, "status": str, "toelichting": str},
        keep_default_na=False,
        na_values=[""],
    )
    counts = t["status"].value_counts()
    misses = t[t["status"] != "exact"]
    parts = [
        "## Kalibratie van de synthetische tweeling\n",
        f"De tweeling is gemaakt uit de gepubliceerde cijfers alleen. Na inlezen (ingest) haalt zij "
        f"{int(counts.get('exact', 0))} van de {len(t)} kalibratiedoelen exact"
        + (f"; de overige {len(misses)} staan hieronder met de reden." if len(misses) else ".")
        + " De volledige tabel staat in `calibration/synth_calibration.csv` van de build-map; de aannames in "
        "`docs/synthetic-twin.md`.\n",
    ]
    if len(misses):
        view = pd.DataFrame(
            {
                "id": misses["id"].map(lambda s: f"`{s}`"),
                "doel": misses["target"].map(nf.shortest),
                "bereikt": misses["achieved"].map(lambda v: nf.significant(v, 4)),
                "status": misses["status"].map(lambda x: CALIBRATION_STATUS_NL.get(x, x)),
                "reden": misses["toelichting"],
            }
        )
        parts.append(
            nf.table_markdown(
                view,
                "Kalibratiedoelen die de tweeling niet exact haalt",
                "synth-calibration",
                align="lrrll",
                layout=APPENDIX,
            )
        )
    parts.append(chapter3_calibration_md(paths))
    return "\n".join(parts)


TARGET_NL = {"outside CI": "buiten BI", "CI width": "BI-breedte", "other conclusion": "andere conclusie"}
"""Dutch names of the failed chapter-3 targets of :func:`analysis.verify.calibration.chapter3_targets`."""


def model_verdicts_nl(paths: Paths) -> str:
    """One Dutch sentence on the fit-quality verdicts of this build's chapter-3 models (twin only).

    Read from ``ch3_models_fit.csv``; the twin is meant to give models that can be interpreted,
    as the published ones, so the appendix says how many are and names any that are
    not, with the reasons. Empty when the table is missing.
    """
    from analysis.models.verdict import from_code

    path = Path(paths.model_results) / "ch3_models_fit.csv"
    if not path.exists():
        return ""
    fit = pd.read_csv(path, dtype={"model_id": str, "verdict": str, "outcome": str}, keep_default_na=False)
    if fit.empty or "verdict" not in fit:
        return ""
    ok = fit["verdict"].eq("ok")
    rooms = fit["outcome"].eq("room")  # the declared outcome column (models.spec.SPEC_COLUMNS)
    n, n_room = len(fit), int(rooms.sum())
    n_ok, n_room_ok = int(ok.sum()), int((ok & rooms).sum())
    head = (
        f"Van de {text.count(n, 'multilevelmodel', 'multilevelmodellen')} van hoofdstuk 3 in deze build "
        f"{text.verb(n_ok, 'is', 'zijn')} er {n_ok or 'geen'} interpreteerbaar (geconvergeerd, niet "
        f"singulier, zonder waarschuwing of quasi-scheiding)"
    )
    if n_room:
        head += f", waaronder {n_room_ok or 'geen'} van {text.count(n_room, 'ruimtemodel', 'ruimtemodellen')}"
    bad = fit[~ok]
    if bad.empty:
        return head + "."
    return (
        head
        + "; niet interpreteerbaar: "
        + text.join(
            [f"`{r.model_id}` ({text.join(from_code(r.verdict).phrases())})" for r in bad.itertuples()]
        )
        + "."
    )


def chapter3_calibration_md(paths: Paths) -> str:
    """The twin's chapter-3 targets, judged on this build's own GLMM fits (appendix D, twin only)."""
    from analysis.core.results import read_values
    from analysis.core.intervals import WIDTH_RANGE
    from analysis.verify.calibration import chapter3_targets

    vals = read_values(paths.results) if Path(paths.results).exists() else pd.DataFrame()
    if vals.empty:
        return ""
    vals = vals.dropna(subset=["published_id"])
    vals = vals[vals["published_id"].str.startswith("ch3.")]
    if "metingen" in vals:  # the published chapter-3 figures compare measurements 1 and 2
        vals = vals[vals["metingen"].isin(["", "1;2"])]
    t = chapter3_targets(dict(zip(vals["published_id"], vals["value"].astype(float))), source="GLMM")
    t = t[t["status"].ne("not computed")]
    if t.empty:
        return ""
    c = t[t["target"]]
    n_all = int(c["status"].eq("on target").sum())
    lo, hi = (nf.number(x, 2) for x in WIDTH_RANGE)
    out = [
        "### Hoofdstuk 3: schatting, onzekerheid en conclusie\n",
        f"Voor elk gepubliceerd modelresultaat dat intern samenhangt (bijlage E) heeft de tweeling drie "
        f"doelen: de schatting binnen het gepubliceerde 95%-BI, de breedte van het BI (logschaal) tussen "
        f"{lo} en {hi} keer de gepubliceerde breedte, en dezelfde conclusie bij 5%. Beoordeeld met de "
        f"multilevelmodellen van deze build: {int(c['inside'].sum())} van {len(c)} schattingen binnen het BI, "
        f"{int(c['width_ok'].sum())} van {len(c)} met een passende BI-breedte, {int(c['same_conclusion'].sum())} "
        f"van {len(c)} met dezelfde conclusie; {n_all} van {len(c)} halen alle drie.",
    ]
    excl = t[~t["target"]]
    if len(excl):
        out[-1] += (
            " "
            + text.capitalize(text.count(len(excl), "resultaat", "resultaten"))
            + " "
            + text.verb(len(excl), "telt", "tellen")
            + " niet als doel omdat bijlage E "
            + ("het" if len(excl) == 1 else "ze")
            + " onsamenhangend vindt; "
            + ("het staat" if len(excl) == 1 else "ze staan")
            + " wel in de tabel."
        )
    verdicts = model_verdicts_nl(paths)
    if verdicts:
        out[-1] += " " + verdicts
    out[-1] += "\n"

    view = pd.DataFrame(
        {
            "term": t["term"].map(lambda s: f"`{s.removeprefix('ch3.')}`"),
            "gepubliceerd": [
                f"{nf.number(r.published, 2)} ({nf.ci(r.ci_low, r.ci_high, 2)})" for r in t.itertuples()
            ],
            "tweeling": [
                f"{nf.number(r.estimate, 2)} ({nf.ci(r.twin_ci_low, r.twin_ci_high, 2)})"
                for r in t.itertuples()
            ],
            "p": t["twin_p"].map(lambda v: nf.pvalue(v, 3)),
            "BI-breedte": t["width_ratio"].map(lambda v: "× " + nf.number(v, 2)),
            "conclusie": t["same_conclusion"].map(lambda x: "zelfde" if x else "anders"),
            "oordeel": [
                ("" if r.target else "geen doel; ")
                + (
                    "alle drie gehaald"
                    if r.status == "on target"
                    else "niet gehaald: " + "; ".join(TARGET_NL.get(x, x) for x in r.status.split("; "))
                )
                + (f" ({r.toelichting})" if r.toelichting else "")
                for r in t.itertuples()
            ],
        }
    )
    out.append(
        nf.table_markdown(
            view,
            "Tweeling tegen gepubliceerde modelresultaten (hoofdstuk 3)",
            "synth-ch3",
            align="lrrrrll",
            layout=APPENDIX,
        )
    )
    lr = location_lr_nl(dict(zip(vals["published_id"], vals["value"].astype(float))))
    if lr:
        out.append(lr + "\n")
    return "\n".join(out)


def location_lr_nl(values: dict[str, float]) -> str:
    """Twin against published LR statistics of the location effect (chibar2): reported, not targets.

    Appendix D's reproduction table marks them *wijkt af*; this sentence says why that is not a
    calibration failure and whether the conclusion (the p bound) is the same.
    """
    from analysis.synth import targets as T

    pub = T.published()
    ids = sorted(k for k in pub if k.startswith("ch3.") and k.endswith(".re_location.chibar2"))
    pairs = [(k, values.get(k), pub[k]) for k in ids if values.get(k) is not None]
    if not pairs:
        return ""
    same = [
        k
        for k, _, _ in pairs
        if (p := values.get(k.replace(".chibar2", ".p"))) is not None
        and p <= pub.get(k.replace(".chibar2", ".p"), float("nan"))
    ]
    model = lambda k: k.split(".")[1]  # noqa: E731 - one-line label helper
    listed = text.join(f"`{model(k)}` {nf.number(v, 1)} tegen {nf.shortest(w)}" for k, v, w in pairs)
    concl = (
        "de conclusie (een locatie-effect, p onder de gepubliceerde grens) is "
        + (f"bij alle {len(pairs)} toetsen " if len(pairs) > 1 else "")
        + "dezelfde"
        if len(same) == len(pairs)
        else "dezelfde conclusie (p onder de gepubliceerde grens) bij "
        + f"{len(same)} van {text.count(len(pairs), 'toets', 'toetsen')}"
    )
    return (
        "De LR-toetsgrootheden van het locatie-effect (chibar2) zijn geen kalibratiedoel; de tweeling "
        "stemt de spreiding tussen locaties af op de breedte van de betrouwbaarheidsintervallen. "
        f"Tweeling tegen rapport: {listed}; {concl}. Waar de verschillen vandaan komen, staat in "
        "`docs/synthetic-twin.md`."
    )
