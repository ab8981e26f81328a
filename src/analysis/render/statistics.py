"""Appendix A (statistics) from ``<build>/results/models/``.

Reads whatever the chapter-3 pipeline wrote (``analysis.models.tables.write_tables``): the
index (name, title, file), per model the formula, data and estimation (``ch3_models_fit``),
fixed effects, random effects, LR tests, diagnostics (tests and ``diag_<model>`` figures),
exclusions and sensitivity analyses, and the software versions recorded with the fits.
Unknown CSVs are shown too (under their index title), so nothing the models wrote is hidden.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.render.appendices import md_table
from analysis.render.notebook_md import copy_figure

#: Known tables in reading order: name -> section heading (Dutch).
SECTIONS = {
    "ch3_models_fit": "Modellen, data en schatting",
    "ch3_models_fixed": "Vaste effecten",
    "ch3_models_random": "Random effecten",
    "ch3_models_lrtests": "Toetsen",
    "ch3_models_diagnostics": "Diagnostiek",
    "ch3_models_exclusions": "Analysebestanden en uitsluitingen",
    "ch3_sens_estimates": "Gevoeligheidsanalyses",
    "ch3_sens_lrtests": "Gevoeligheidsanalyses: toetsen",
    "ch3_sens_lolo": "Leave-one-location-out",
    "ch3_sens_lolo_range": "Leave-one-location-out: bereik",
}
FIT_COLUMNS = {"model_id": "model", "formula": "formule", "family": "verdeling", "engine": "software",
               "method": "schatting", "nobs": "n", "ngroups": "groepen", "converged": "geconvergeerd",
               "singular": "singulier", "aic": "AIC", "status": "status"}
FIXED_COLUMNS = {"model_id": "model", "term": "term", "estimate": "b", "se": "SE", "z": "z",
                 "p": "p", "exp_est": "exp(b)", "exp_ci_low": "95%-BI laag", "exp_ci_high": "95%-BI hoog"}
MAX_ROWS = 60


def _round(df: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].map(lambda v: "" if pd.isna(v) else f"{v:.2e}" if 0 < abs(v) < 10 ** -digits
                                else f"{v:.{digits}f}")
    return out


def _drop_constant(df: pd.DataFrame, keep: tuple[str, ...] = ()) -> pd.DataFrame:
    """Drop the synthetic ``note`` column and columns that are empty everywhere."""
    df = df.drop(columns=[c for c in ("note", "published_prefix") if c in df.columns])
    empty = [c for c in df.columns if c not in keep and df[c].isna().all()]
    return df.drop(columns=empty)


def _fit_section(df: pd.DataFrame) -> list[str]:
    parts = []
    if "formula" in df.columns:
        parts.append(md_table(df[["model_id", "formula"]].rename(columns=FIT_COLUMNS),
                              "Modelformules", "stat-formulas"))
    view = df[[c for c in FIT_COLUMNS if c in df.columns and c != "formula"]].rename(columns=FIT_COLUMNS)
    parts.append(md_table(_round(view, 1), "Data, schatting en fit per model", "stat-fit"))
    if "warnings" in df.columns:
        warn = df[df["warnings"].fillna("").astype(str).str.len() > 0]
        if len(warn):
            parts.append("Waarschuwingen van R bij het schatten (letterlijk):\n")
            parts.extend(f"- `{r.model_id}`: {str(r.warnings)[:400]}" for r in warn.itertuples())
            parts.append("")
        else:
            parts.append("R gaf bij geen enkel model een waarschuwing.\n")
    if "versions" in df.columns and df["versions"].notna().any():
        v = str(df["versions"].dropna().iloc[0])
        items = [x.split("=", 1) for x in v.split(";") if "=" in x]
        if items:
            parts.append(md_table(pd.DataFrame(items, columns=["software", "versie"]),
                                  "Software waarmee de modellen zijn geschat", "stat-versions"))
    return parts


def _table_section(name: str, df: pd.DataFrame, title: str) -> list[str]:
    if name == "ch3_models_fit":
        return _fit_section(df)
    if name == "ch3_models_fixed":
        df = df[[c for c in FIXED_COLUMNS if c in df.columns]].rename(columns=FIXED_COLUMNS)
    df = _drop_constant(df)
    note = ""
    if len(df) > MAX_ROWS:
        note = f"\n*Noot.* De eerste {MAX_ROWS} van {len(df)} rijen; het volledige bestand is `{name}.csv`.\n"
        df = df.head(MAX_ROWS)
    return [md_table(_round(df), title, f"stat-{name.replace('_', '-')}") + note]


def _figures(folders: list[Path], dest: Path, ref: str) -> list[str]:
    seen, parts = set(), []
    for folder in folders:
        if not folder.exists():
            continue
        for f in sorted(folder.rglob("diag_*.png")) + sorted(folder.rglob("diag_*.svg")):
            if f.stem in seen:
                continue
            seen.add(f.stem)
            name = copy_figure(f, dest)
            model = f.stem.removeprefix("diag_")
            parts.append(f"![Gesimuleerde geschaalde residuen van model {model}: QQ-plot tegen de "
                         f"uniforme verdeling en residuen per maand]({ref}/{name}){{#fig-diag-{model.replace('_', '-')}}}\n")
    return parts


def statistics_md(models_dir: Path, *, figure_folders: list[Path], figures_dest: Path,
                  figures_ref: str = "_generated/figures") -> str:
    """Appendix A as markdown.

    Parameters
    ----------
    models_dir : Path
        ``<build>/results/models``.
    figure_folders : list of Path
        Folders searched for diagnostics figures (``diag_<model>.png/.svg``).
    figures_dest : Path
        Where figures are copied for the report.
    figures_ref : str
        How the report source refers to ``figures_dest``.

    Returns
    -------
    str
        Markdown (sections as level-2 headings).
    """
    if not models_dir.exists() or not any(models_dir.glob("*.csv")):
        return ("*In deze build zijn geen modellen geschat (`results/models/` is leeg); hoofdstuk 3 en "
                "deze bijlage zijn daarom niet gevuld.*\n")
    index = pd.read_csv(models_dir / "index.csv") if (models_dir / "index.csv").exists() else pd.DataFrame(
        columns=["name", "title"])
    titles = dict(zip(index["name"], index["title"]))
    names = [p.stem for p in sorted(models_dir.glob("*.csv")) if p.stem not in ("index", "values")]
    ordered = [n for n in SECTIONS if n in names] + [n for n in names if n not in SECTIONS]
    parts = ["Deze bijlage toont alle uitkomsten van de modellen van hoofdstuk 3 zoals de build ze "
             "wegschreef (`results/models/`). Schattingen staan op de schaal van het model (b) en als "
             "ratio (exp(b)) met 95%-betrouwbaarheidsinterval.\n"]
    for name in ordered:
        df = pd.read_csv(models_dir / f"{name}.csv")
        heading = SECTIONS.get(name, titles.get(name, name))
        parts.append(f"## {heading}\n")
        parts.extend(_table_section(name, df, titles.get(name, heading)))
        if name == "ch3_models_diagnostics":
            parts.extend(_figures([models_dir, *figure_folders], figures_dest, figures_ref))
    return "\n".join(parts)
