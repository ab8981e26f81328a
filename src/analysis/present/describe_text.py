"""Dutch sentences of chapters 1 and 2, built from the computed tables (never typed numbers).

The notebooks ``01_planned_policy`` and ``02_unplanned_seclusion`` call these functions and show
the result with :func:`analysis.present.display.text`, and the report's summary takes its
chapter-2 findings from :func:`summary_chapter2`; this module is the one home of their running
text. Every count goes through :mod:`analysis.present.text` (singular/plural, zero
cases, lists), every percentage through :func:`analysis.present.describe_tables.pct_of`, and
every ordering is computed from the data.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import pandas as pd

from analysis.present import describe_tables as pr
from analysis.present import format as nf
from analysis.present import text
from analysis.present.format import number as format_number, percent as format_pct


def _n(table: pd.DataFrame, code: str | int) -> int | None:
    """Count of a category, 0 when the category is absent, None when disclosure control hid it."""
    try:
        value = pr.row(table, code)["n"]
    except KeyError:
        return 0
    return None if pd.isna(value) else int(value)


def _locs(n: int) -> str:
    return text.count(n, "locatie", "locaties")


def _registrations(n: int) -> str:
    """``"12 ongeplande gedwongen afzonderingen"`` (one, none)."""
    return text.count(n, "ongeplande gedwongen afzondering", "ongeplande gedwongen afzonderingen")


def _first_last(per_month: pd.DataFrame) -> tuple[int, int]:
    """Registrations in the first and in the last month of the period."""
    return int(per_month["n"].iloc[0]), int(per_month["n"].iloc[-1])


def _month_of(per_month: pd.DataFrame, row: int, long: bool = False) -> str:
    """The month of row ``row`` (0 first, -1 last) of a per-month table, for the reader."""
    return nf.month(str(per_month["maand"].iloc[row]), long=long)


def _with_pct(table: pd.DataFrame, code: str | int, decimals: int | None = 1) -> str:
    """``"3 locaties (17,6%)"``; just ``"geen locaties"`` for zero."""
    n = _n(table, code)
    return _locs(n) if n == 0 else f"{_locs(n)} ({pr.pct_of(table, code, decimals)})"


# --- chapter 1 -------------------------------------------------------------------------------------
def policy_fallback(requested: int, used: int | None) -> str:
    """One sentence when the chosen measurement has no ``beleid.csv``.

    Parameters
    ----------
    requested : int
        Measurement the chapter was asked to describe.
    used : int or None
        Latest earlier measurement with policy rows, or None when no measurement has them.
    """
    if used is None:
        return (
            f"Voor {text.measurements([requested])} en de metingen daarvoor is geen beleidsbestand "
            "(`beleid.csv`) aangeleverd; dit hoofdstuk kan daarom niet worden berekend."
        )
    return (
        f"Voor {text.measurements([requested])} is geen beleidsbestand (`beleid.csv`) aangeleverd; "
        f"dit hoofdstuk beschrijft daarom {text.measurements([used])}, de laatste meting met een "
        "beleidsbestand."
    )


def policy_supplied(meting: int, supplied: pd.DataFrame, rest: pd.DataFrame) -> str:
    """Who described their policy, and how many rest moments the locations have."""
    n_yes, n_no = _n(supplied, 1), _n(supplied, 0)
    total = n_yes + n_no
    lead = (
        f"In {text.measurements([meting])} beschreven alle {_locs(total)} hun beleid."
        if n_no == 0
        else f"In {text.measurements([meting])} {text.verb(n_yes, 'beschreef', 'beschreven')} {n_yes} van de "
        f"{_locs(total)} hun beleid; {text.count_verb(n_no, 'locatie', 'locaties', 'leverde', 'leverden')} "
        "niets aan."
    )
    return (
        f"{lead} Naast de nachtrust {text.verb(_n(rest, 1), 'heeft', 'hebben')} "
        f"{_with_pct(rest, 1)} geen vast rustmoment overdag, {_with_pct(rest, 2)} "
        f"één rustmoment overdag en {_with_pct(rest, 3)} twee rustmomenten overdag."
    )


def _item(table: pd.DataFrame, item: str) -> pd.DataFrame:
    return table[table["item"] == item]


def day_change(change: pd.DataFrame, unchanged: pd.DataFrame) -> str:
    """Changes of daytime rest moments and what the unchanged locations look like."""
    rest, amb = _item(unchanged, "rustmomenten"), _item(unchanged, "ambitie_overdag")
    closed = int(_item(unchanged, "gesloten")["n"].sum())
    n_unch, n_amb = _n(change, 4), _n(amb, 1)
    parts = [
        f"Bij {_with_pct(change, 1)} is een rustmoment overdag geschrapt, bij "
        f"{_with_pct(change, 2)} is het anders ingericht en bij {_with_pct(change, 3)} "
        "gebeurde allebei."
    ]
    if n_unch == 0:
        parts.append("Geen enkele locatie liet het beleid overdag ongemoeid.")
        return " ".join(parts)
    parts.append(
        f"{text.capitalize(_with_pct(change, 4))} {text.verb(n_unch, 'liet', 'lieten')} het "
        "beleid overdag ongemoeid; "
        + (
            f"van hen {text.verb(n_amb, 'heeft', 'hebben')} {text.count(n_amb, 'locatie', 'locaties')} "
            "wel de uitgesproken ambitie het te veranderen."
            if n_amb
            else "geen van hen sprak de ambitie uit het te veranderen."
        )
    )
    one, two = _n(rest, 2), _n(rest, 3)
    tail = (
        f"; {format_number(closed)} ervan {text.verb(closed, 'is', 'zijn')} inmiddels gesloten."
        if closed
        else "."
    )
    parts.append(
        f"In deze groep {text.verb(one, 'heeft', 'hebben')} {_locs(one)} één en {_locs(two)} twee "
        f"rustmomenten overdag{tail}"
    )
    return " ".join(parts)


def night_change(change: pd.DataFrame, unchanged: pd.DataFrame) -> str:
    """Changes of the night rest (door open or locked)."""
    door = _item(unchanged, "nacht_deur")
    closed = int(_item(unchanged, "gesloten")["n"].sum())
    n_open, n_plan, n_same = _n(change, 1), _n(change, 2), _n(change, 3)
    s = (
        f"{text.capitalize(_with_pct(change, 1))} {text.verb(n_open, 'laat', 'laten')} de kamerdeur "
        f"'s nachts (deels) open sinds deze meting, {_with_pct(change, 2)} "
        f"{text.verb(n_plan, 'heeft', 'hebben')} dat als voornemen uitgesproken en "
        f"{_with_pct(change, 3)} {text.verb(n_same, 'veranderde', 'veranderden')} niets."
    )
    if n_same:
        s += (
            f" Binnen die laatste groep was de deur bij {_locs(_n(door, 1))} al open; bij "
            f"{_locs(_n(door, 2))} gaat hij op slot"
            + (
                f" (van deze locaties {text.verb(closed, 'is', 'zijn')} er {closed} gesloten)."
                if closed
                else "."
            )
        )
    return s


def factors(title: str, table: pd.DataFrame) -> str:
    """How many different factors were named, by how many locations with data."""
    named = int((table["n"] > 0).sum())
    base = int(table["denominator"].iloc[0]) if len(table) else 0
    return (
        f"{title}: {text.count(named, 'factor', 'verschillende factoren', zero='geen factoren')} genoemd "
        f"door {_locs(base)} met gegevens."
    )


# --- chapter 2 -------------------------------------------------------------------------------------
def period(meting: int, months: Sequence[str], n_outside: int) -> str:
    """The measurement and its period, and the registrations outside it."""
    s = (
        f"{text.capitalize(text.measurements([meting]))}: {nf.month(months[0])} tot en met "
        f"{nf.month(months[-1])} ({text.count(len(months), 'maand', 'maanden')})."
    )
    if n_outside:
        s += (
            f" {text.capitalize(text.count(n_outside, 'registratie', 'registraties'))} van deze meting "
            f"{text.verb(n_outside, 'valt', 'vallen')} buiten die periode en "
            f"{text.verb(n_outside, 'telt', 'tellen')} niet mee."
        )
    return s


def totals(
    meting: int,
    n_registrations: int,
    per_month: pd.DataFrame,
    coverage: pd.DataFrame,
    n_months: int,
) -> str:
    """Total, first and last month (with the direction), and locations that registered fewer months."""
    if n_registrations == 0:
        return (
            f"In {text.measurements([meting])} is geen enkele ongeplande gedwongen afzondering vastgelegd "
            f"({_locs(len(coverage))})."
        )
    first, last = _first_last(per_month)
    s = (
        f"In {text.measurements([meting])} {text.verb(n_registrations, 'is', 'zijn')} "
        f"{_registrations(n_registrations)} "
        f"vastgelegd door {_locs(len(coverage))}. In de eerste maand ({_month_of(per_month, 0)}) "
        f"{text.verb(first, 'was', 'waren')} het er {format_number(first) if first else 'geen'}, in de laatste "
        f"({_month_of(per_month, -1)}) {format_number(last) if last else 'geen'}"
        + (
            ", evenveel."
            if first == last
            else f", {text.compare(last, first, words='meer')} dan in de eerste."
        )
    )
    short = coverage[coverage["months_registered"] < coverage["months_period"]]
    if not len(short):
        return s + f" Alle locaties registreerden alle {text.count(n_months, 'maand', 'maanden')}."
    late, early = int(short["late_start"].sum()), int(short["ended_early"].sum())
    why = [
        p
        for p in (
            f"{format_number(late)} {text.verb(late, 'begon', 'begonnen')} later" if late else "",
            f"{format_number(early)} {text.verb(early, 'stopte', 'stopten')} eerder" if early else "",
        )
        if p
    ]
    s += (
        f" {text.capitalize(text.count_verb(len(short), 'locatie', 'locaties', 'registreerde', 'registreerden'))} "
        f"minder dan {text.count(n_months, 'maand', 'maanden')}" + (f": {text.join(why)}." if why else ".")
    )
    return s


def youths(stats: dict[str, float]) -> str:
    """Unique youths at the locations that registered a youth number."""
    with_id, without = int(stats["n_locations_with_id"]), int(stats["n_locations_without_id"])
    extra = f", {_locs(without)} nooit" if without else ""
    return (
        f"{text.capitalize(_locs(with_id))} {text.verb(with_id, 'legde', 'legden')} bij elke afzondering "
        f"een jongerennummer vast{extra}. Bij {'die locatie' if with_id == 1 else 'die locaties'} gaat het om "
        f"{text.count(int(stats['n_registrations']), 'afzondering', 'afzonderingen')} van "
        f"{text.count(int(stats['n_youths']), 'jongere', 'verschillende jongeren')}. Per jongere loopt het "
        f"uiteen van {format_number(stats['min_per_youth'])} tot "
        f"{text.count(int(stats['max_per_youth']), 'afzondering', 'afzonderingen')}; de jongere met de "
        f"meeste werd afgezonderd binnen een periode van "
        f"{text.count(int(stats['max_youth_span_days']), 'dag', 'dagen')}. Hoe lang elke jongere verbleef "
        "is niet bekend, alleen de gemiddelde bezetting per maand "
        f"({pr.number(stats['mean_occupancy'], 1)} jongeren over alle locaties); hoeveel jongeren "
        "nooit werden afgezonderd is daarom niet te zeggen."
    )


def most_missing(missing: pd.DataFrame) -> str:
    """The item left empty most often (or that none was)."""
    missing = missing[pd.to_numeric(missing["n_missing"], errors="coerce").notna()]  # hidden: not named
    if missing.empty or int(missing["n_missing"].max()) == 0:
        return "Geen enkel onderdeel bleef leeg."
    ordered = text.by_frequency(zip(missing.index, missing["n_missing"]))
    worst = missing.loc[ordered[0][0]]
    return (
        f"Het vaakst leeg bleef *{worst['label']}* ({format_number(worst['n_missing'])} keer, "
        f"{format_pct(worst['pct'], decimals=1)})."
    )


def distribution(lead: str, table: pd.DataFrame) -> str:
    """Categories in computed descending order with % and n, then the missing ones.

    A count hidden by disclosure control (``<NA>`` in ``n``) is not named: the sentence says
    how many categories are not shown.
    """
    n = pd.to_numeric(table["n"], errors="coerce")
    real = table["code"].astype(str) != "na"
    known = table[real & n.notna() & (n > 0)]
    n_hidden = int((real & n.isna()).sum())
    ordered = text.by_frequency(zip(known["code"].astype(str), known["n"]))
    parts = [
        f"{pr.row(table, code)['label']} {pr.pct_of(table, code)} (n = {format_number(n)})"
        for code, n in ordered
    ]
    body = (
        ("In aflopende volgorde: " + "; ".join(parts) + ". ")
        if parts
        else ("Geen enkele categorie is ingevuld. " if not n_hidden else "")
    )
    if n_hidden:
        body += (
            f"{text.count(n_hidden, 'categorie', 'categorieën')} met een klein aantal "
            f"{text.verb(n_hidden, 'wordt', 'worden')} niet getoond (x). "
        )
    n_na = _n(table, "na")
    if n_na is None:
        tail = "Niet ingevuld: een klein aantal, niet getoond (x)."
    elif n_na:
        tail = f"Niet ingevuld: {format_number(n_na)} keer ({pr.pct_of(table, 'na')})."
    else:
        tail = "Niets bleef leeg."
    return f"{lead} {body}{tail}"


def room_by_reason(rb: pd.DataFrame) -> str:
    """Where the share of the own room is lowest and highest, and where the isolation room is used most."""
    # Rows whose share is hidden by disclosure control (NaN) are not named.
    den = pd.to_numeric(rb["denominator"], errors="coerce")
    valid = rb[(rb["reason_code"].astype(str) != "na") & (den > 0) & rb["pct"].notna() & rb["n"].notna()]
    own, iso = valid[valid["code"].astype(str) == "1"], valid[valid["code"].astype(str) == "3"]
    if own.empty:
        return "Bij geen enkele aanleiding is een ruimte vastgelegd."
    lo, hi = own.loc[own["pct"].idxmin()], own.loc[own["pct"].idxmax()]
    s = (
        f"Het aandeel afzonderingen op de eigen kamer varieert van {pr.number(lo['pct'])}% bij "
        f"{lo['reason_label']} tot {pr.number(hi['pct'])}% bij {hi['reason_label']}."
    )
    if len(iso) and iso["n"].max() > 0:
        top = iso.loc[iso["pct"].idxmax()]
        s += (
            f" De isoleer- of separeerruimte wordt naar verhouding het vaakst gebruikt bij {top['reason_label']} "
            f"({pr.number(top['pct'])}%, n = {format_number(top['n'])} van {format_number(top['denominator'])})."
        )
    return s


def _hhmm(minutes: float) -> str:
    return f"{int(minutes) // 60:02d}:{int(minutes) % 60:02d}"


def start_hours(values: dict[str, float], hours: pd.DataFrame) -> str:
    """Where the day's rise starts, the two peaks and the busiest hour ("" without a profile)."""
    if "ch2.fig07.time.peak1" not in values:
        return ""
    top = pd.to_numeric(hours["n"], errors="coerce").max()  # hours hidden by disclosure control: NaN
    busiest = (
        ""
        if pd.isna(top)
        else f"; het drukste uur telt {text.count(int(top), 'afzondering', 'afzonderingen')}"
    )
    return (
        f"Vanaf ongeveer {_hhmm(values['ch2.fig07.time.rise_start'])} neemt het aantal afzonderingen toe. "
        f"De twee hoogste pieken liggen rond {_hhmm(values['ch2.fig07.time.peak1'])} en tussen "
        f"{_hhmm(values['ch2.fig07.time.peak2_start'])} en {_hhmm(values['ch2.fig07.time.peak2_end'])}"
        f"{busiest}."
    )


def duration(tab: pd.DataFrame) -> str:
    """Why the median, and which reason has the longest median duration."""
    s = (
        "Een paar zeer lange afzonderingen trekken het gemiddelde omhoog; de mediaan (de helft duurt korter, "
        "de helft langer) is daarom de betere maat."
    )
    known = tab.dropna(subset=["median"])
    if known.empty:
        return s
    ordered = text.by_frequency(zip(known.index, known["median"]))
    big = known.loc[ordered[0][0]]
    return s + f" De langste mediane duur heeft {big['label']}: {big['median_hmm']} (uur:minuten)."


def note_2359(n: int) -> str:
    """Table note on the software default duration of 23:59."""
    if n == 0:
        return "Een duur van 23:59 (de standaardwaarde van de registratiesoftware voor een hele dag) komt niet voor."
    return (
        f"Een duur van 23:59 komt {format_number(n)} keer voor. De registratiesoftware vult die waarde in "
        "als één hele dag als duur wordt opgegeven; het is dus geen gemeten duur."
    )


def evaluation_base(n: int) -> str:
    """Why the next figure has a smaller denominator."""
    return (
        "Of de jongere bij de evaluatie betrokken was, is alleen zinvol als er een evaluatie is geweest of "
        f"gepland is; dat geldt voor {text.count(n, 'afzondering', 'afzonderingen')}, de noemer van de "
        "volgende figuur."
    )


# --- chapter 2 in the report's summary ------------------------------------------------------------
# Shorter sentences than the chapter's, from the same results tables (read by
# :func:`analysis.present.summary.chapter2_sentences`); hidden counts (NaN) are never named.
def _lower(label: str) -> str:
    """A codebook label inside a sentence (first letter lower case, abbreviations kept)."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def _pct(table: pd.DataFrame, code: str) -> str:
    hit = table[table["code"].astype(str) == code]
    return format_pct(float(hit["pct"].iloc[0])) if len(hit) else ""


def _ranked(table: pd.DataFrame) -> list[tuple[str, float]]:
    """(code, n) of the registered categories, most frequent first."""
    known = table[(table["code"].astype(str) != "na") & (table["n"] > 0)]
    return text.by_frequency(zip(known["code"].astype(str), known["n"]))


def _label(table: pd.DataFrame, code: str) -> str:
    return _lower(str(table.loc[table["code"].astype(str) == code, "label"].iloc[0]))


def summary_totals(metingen: Sequence[int], per_month: pd.DataFrame, coverage: pd.DataFrame) -> list[str]:
    """How many locations registered how many seclusions and, when any, the course per month."""
    total = int(per_month["n"].sum())
    out = [
        f"In {text.measurements(list(metingen))} {text.verb(len(coverage), 'registreerde', 'registreerden')} "
        f"{_locs(len(coverage))} samen {_registrations(total)}."
    ]
    if total == 0:
        return out
    first, last = _first_last(per_month)
    move = text.compare(last, first, words=("steeg", "daalde", "bleef"))
    out.append(
        f"Per maand {move} het aantal van {format_number(first)} in {_month_of(per_month, 0, long=True)} "
        + ("en was het " if move == "bleef" else "naar ")
        + f"{format_number(last)} in {_month_of(per_month, -1, long=True)}"
        + (" ook" if move == "bleef" else "")
        + "."
    )
    return out


def summary_youths(youths: pd.DataFrame) -> str:
    """Unique youths and their range of seclusions ("" when no youth number was registered)."""
    y = dict(zip(youths["statistic"], youths["value"]))
    if not y.get("n_youths", 0) > 0:
        return ""
    return (
        f"Bij de locaties die een jongerennummer registreerden, ging het om "
        f"{text.count(int(y['n_youths']), 'unieke jongere', 'unieke jongeren')} met samen "
        f"{text.count(int(y['n_registrations']), 'afzondering', 'afzonderingen')}; per jongere "
        f"liep dat uiteen van {format_number(y['min_per_youth'])} tot "
        f"{format_number(y['max_per_youth'])}."
    )


def summary_reason_goal(reason: pd.DataFrame | None, goal: pd.DataFrame | None) -> str:
    """The two most registered reasons and the most named goal ("" when neither is known)."""
    said = []
    if reason is not None and _ranked(reason):
        top = _ranked(reason)[:2]
        said.append(
            f"de meest geregistreerde {'aanleidingen waren' if len(top) > 1 else 'aanleiding was'} "
            + text.join(f"{_label(reason, c)} ({_pct(reason, c)})" for c, _ in top)
        )
    if goal is not None and _ranked(goal):
        g = _ranked(goal)[0][0]
        said.append(f"het meest genoemde doel was {_label(goal, g)} ({_pct(goal, g)})")
    return text.capitalize("; ".join(said)) + "." if said else ""


def summary_rooms(room: pd.DataFrame, lock: pd.DataFrame | None) -> str:
    """Rooms in order of use and how often the door was locked ("" when no room was registered)."""
    if not _ranked(room):
        return ""
    top = _ranked(room)[0][0]
    rest = [c for c, _ in _ranked(room)[1:]]
    s = (
        f"De meeste afzonderingen vonden plaats in de {_label(room, top)} ({_pct(room, top)})"
        + (
            f"; daarna volgen {text.join(f'de {_label(room, c)} ({_pct(room, c)})' for c in rest)}"
            if rest
            else ""
        )
        + "."
    )
    if lock is not None and (lock["code"] == "2").any():
        s += f" De deur was in {_pct(lock, '2')} van de gevallen op slot."
    return s


def summary_durations(dur: pd.DataFrame) -> str:
    """Median duration of the three most frequent reasons ("" when no median is known)."""
    dur = dur.dropna(subset=["median"])
    by_n = text.by_frequency(zip(dur.index, dur["n"]))[:3]
    if not by_n:
        return ""
    return (
        "De mediane duur was "
        + text.join(
            f"{text.count(float(dur.loc[i, 'median']), 'minuut', 'minuten')} bij {_lower(str(dur.loc[i, 'label']))}"
            for i, _ in by_n
        )
        + f" (de {text.count(len(by_n), 'meest voorkomende aanleiding', 'meest voorkomende aanleidingen')})."
    )


def summary_evaluation(ev: pd.DataFrame, view: pd.DataFrame) -> str:
    """How often an evaluation followed and the youth saw the registration ("" without evaluations)."""
    if not (ev["code"] == "3").any():
        return ""
    return (
        f"Na {_pct(ev, '3')} van de afzonderingen vond een evaluatie plaats; de jongere zag de "
        f"registratie in {_pct(view, '3')} (akkoord) en {_pct(view, '2')} (niet akkoord) van de gevallen."
    )


def summary_chapter2(metingen: Sequence[int], tables: Mapping[str, pd.DataFrame | None]) -> list[str]:
    """The chapter-2 findings of the report's summary, one sentence per finding.

    Parameters
    ----------
    metingen : sequence of int
        The measurements chapter 2 describes.
    tables : mapping
        Results tables by name (``ch2_fig01_per_month``, ``ch2_s2_1_coverage``, ...); a missing
        table (None or absent) leaves out the sentences that need it.

    Returns
    -------
    list of str
        Sentences; empty without the per-month or coverage table.
    """
    t = dict(tables)
    per_month, coverage = t.get("ch2_fig01_per_month"), t.get("ch2_s2_1_coverage")
    if not metingen or per_month is None or coverage is None:
        return []
    out = summary_totals(metingen, per_month, coverage)
    if int(per_month["n"].sum()) == 0:
        return out
    reason, room, dur = (
        t.get("ch2_fig02_reason"),
        t.get("ch2_fig04_room"),
        t.get("ch2_tab02_duration_by_reason"),
    )
    ev, view, youths = (
        t.get("ch2_fig10_evaluation"),
        t.get("ch2_fig12_youth_view"),
        t.get("ch2_s2_1_1_youths"),
    )
    parts = [
        summary_youths(youths) if youths is not None else "",
        summary_reason_goal(reason, t.get("ch2_fig03_goal")),
        summary_rooms(room, t.get("ch2_fig05_lock")) if room is not None else "",
        summary_durations(dur) if dur is not None and reason is not None else "",
        summary_evaluation(ev, view) if ev is not None and view is not None else "",
    ]
    return out + [p for p in parts if p]
