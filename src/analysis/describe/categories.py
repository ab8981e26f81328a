"""Category distributions of the registration items (chapter 2, Figures 2-6 and 9-12).

Every distribution is a tidy table with one row per codebook code plus one row for the
missing category (``code == "na"``, label "Niet ingevuld"), so that every registration is
counted exactly once and the percentages add up to 100. This mirrors the report, which
shows "niet ingevuld" as a category of its own and uses all registrations as denominator.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from analysis import codebook

MISSING_CODE = "na"
DEBRIEF: tuple[int, ...] = codebook.codes("evaluatie_1", "Debrief planned", "Debrief held")
"""``evaluatie_1`` codes of a debrief that was planned or held: the base of ``evaluatie_2``."""

#: Registration items shown as figures in chapter 2: field -> (figure id, results name).
FIGURE_ITEMS: dict[str, tuple[str, str]] = {
    "aanleiding": ("ch2.fig02", "ch2_fig02_reason"),
    "doel": ("ch2.fig03", "ch2_fig03_goal"),
    "ruimte": ("ch2.fig04", "ch2_fig04_room"),
    "beheer_ruimte": ("ch2.fig05", "ch2_fig05_lock"),
    "contact": ("ch2.fig09", "ch2_fig09_contact"),
    "evaluatie_1": ("ch2.fig10", "ch2_fig10_evaluation"),
    "aanvulling_jongere": ("ch2.fig12", "ch2_fig12_youth_view"),
}

DIST_COLUMNS = ["code", "label", "n", "denominator", "pct"]


def _pct(n: pd.Series | np.ndarray, denominator: int) -> np.ndarray:
    """Unrounded percentages; NaN for an empty base (0/0 has no share)."""
    n = np.asarray(n, dtype=float)
    return n / denominator * 100 if denominator > 0 else np.full(n.shape, np.nan)


def distribution(values: pd.Series, field: codebook.Field, *, include_missing: bool = True) -> pd.DataFrame:
    """Count every code of a categorical field, including codes that do not occur.

    Parameters
    ----------
    values : Series
        Codes (Int64, NA = not registered).
    field : codebook.Field
        Codebook field that gives the codes and labels.
    include_missing : bool
        Add the "niet ingevuld" row and count it in the denominator (the report's choice).

    Returns
    -------
    DataFrame
        Columns ``code`` (str; ``"na"`` for missing), ``label``, ``n``, ``denominator``,
        ``pct`` (unrounded; display rounds); ``attrs["field"]`` is the field's name.
    """
    codes = pd.to_numeric(values, errors="coerce").astype("Int64")
    unknown = set(codes.dropna().unique()) - set(field.codes)
    if unknown:
        # A code outside the codebook means ingest let something through: fail loudly.
        raise ValueError(f"{field.name}: codes {sorted(unknown)} are not in the codebook")
    counts = codes.value_counts(dropna=True)
    rows = [(str(c), field.label(c), int(counts.get(c, 0))) for c in field.codes]
    if include_missing:
        rows.append((MISSING_CODE, codebook.missing_label(), int(codes.isna().sum())))
    out = pd.DataFrame(rows, columns=["code", "label", "n"])
    denominator = int(out["n"].sum())
    out["denominator"] = denominator
    out["pct"] = _pct(out["n"], denominator)
    out = out[DIST_COLUMNS]
    # Figures colour the categories by codebook field (analysis.present.figures.category_style).
    out.attrs["field"] = field.name
    return out


def item_distribution(reg: pd.DataFrame, item: str) -> pd.DataFrame:
    """Distribution of one registration item over all registrations (Figures 2-5, 9, 10, 12)."""
    return distribution(reg[item], codebook.field(item))


def evaluation_with_youth(reg: pd.DataFrame) -> pd.DataFrame:
    """Figure 11: was the youth involved, among debriefs held or planned.

    The base is the registrations whose ``evaluatie_1`` is a planned or held debrief
    (:data:`DEBRIEF`, from the codebook): asking whether the youth took part only makes sense
    when there is a debrief.
    """
    base = reg.loc[reg["evaluatie_1"].isin(DEBRIEF).fillna(False).astype(bool), "evaluatie_2"]
    return distribution(base, codebook.field("evaluatie_2"))


def room_by_reason(reg: pd.DataFrame) -> pd.DataFrame:
    """Figure 6: room per reason.

    Percentages are within a reason, over the registrations whose room is registered: the
    report's self-harm shares (56 of 85) leave the unregistered room out. Rows with room
    ``"na"`` are kept (with ``pct`` NaN) so every registration is still counted once, and a
    reason ``"na"`` block holds the registrations without a reason.

    Returns
    -------
    DataFrame
        ``reason_code``, ``reason_label``, ``code`` (room), ``label`` (room), ``n``,
        ``denominator`` (room registered, within reason), ``pct``.
    """
    reason_f, room_f = codebook.field("aanleiding"), codebook.field("ruimte")
    parts = []
    reasons = [(str(c), reason_f.label(c)) for c in reason_f.codes]
    reasons.append((MISSING_CODE, codebook.missing_label()))
    for code, label in reasons:
        mask = reg["aanleiding"].isna() if code == MISSING_CODE else reg["aanleiding"] == int(code)
        sub = distribution(reg.loc[mask.fillna(False).astype(bool), "ruimte"], room_f)
        registered = int(sub.loc[sub["code"] != MISSING_CODE, "n"].sum())
        sub["denominator"] = registered
        sub["pct"] = _pct(sub["n"], registered)
        sub.loc[sub["code"] == MISSING_CODE, "pct"] = np.nan
        sub.insert(0, "reason_label", label)
        sub.insert(0, "reason_code", code)
        parts.append(sub)
    return pd.concat(parts, ignore_index=True)


def missingness(reg: pd.DataFrame, items: Iterable[str] | None = None) -> pd.DataFrame:
    """Section 2.2: how often each codebook item was left empty.

    Covers the categorical items, the end time (no ``eind``) and the youth number, because
    those are the parts of the form a registrant can skip. "Evaluatie met jongere" is only
    asked after a held or planned debrief, so its denominator is those registrations.

    Returns
    -------
    DataFrame
        ``item``, ``label`` (codebook title), ``n_missing``, ``denominator``, ``pct``.
    """
    if items is None:
        items = [f.name for f in codebook.categorical_fields("registraties")]
        items += ["eind", "jongere"]
    titles = {"eind": "Tijd eind", "jongere": "Nummer jongere"}
    rows = []
    for item in items:
        if item in titles:
            title = titles[item]
        else:
            title = codebook.field(item).display_title()
        base = reg
        if item == "evaluatie_2":
            # Only asked when a debrief was held or planned; elsewhere empty is correct.
            base = reg[reg["evaluatie_1"].isin(DEBRIEF).fillna(False).astype(bool)]
        rows.append((item, title, int(base[item].isna().sum()), len(base)))
    out = pd.DataFrame(rows, columns=["item", "label", "n_missing", "denominator"])
    out["pct"] = [m / d * 100 if d else np.nan for m, d in zip(out["n_missing"], out["denominator"])]
    return out


def distribution_values(table: pd.DataFrame, prefix: str) -> dict[str, float]:
    """Published-id values of a distribution: ``<prefix>.n.<code>`` and ``<prefix>.pct.<code>``."""
    out: dict[str, float] = {}
    for rec in table.itertuples(index=False):
        out[f"{prefix}.n.{rec.code}"] = float(rec.n)
        if not pd.isna(rec.pct):
            out[f"{prefix}.pct.{rec.code}"] = float(rec.pct)
    return out


def room_by_reason_values(table: pd.DataFrame, prefix: str = "ch2.fig06") -> dict[str, float]:
    """Values ``ch2.fig06.n.<reason>.<room>`` and ``ch2.fig06.pct.<reason>.<room>``."""
    out: dict[str, float] = {}
    for rec in table.itertuples(index=False):
        out[f"{prefix}.n.{rec.reason_code}.{rec.code}"] = float(rec.n)
        if not pd.isna(rec.pct):
            out[f"{prefix}.pct.{rec.reason_code}.{rec.code}"] = float(rec.pct)
    return out
