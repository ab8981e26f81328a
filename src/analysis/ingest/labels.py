"""Labels of an export against the codebook: SPSS value labels and text in coded columns.

An SPSS export carries a code and a value label per category; CSV and XLSX exports may hold
a label (text) instead of a code. Neither may decide silently when the two disagree with the
codebook, so ingest compares them per file and coded column before it validates any row:

* **SPSS value labels.** For every code used in a file's rows that has a value label, the
  label is looked up like any text (codebook label in Dutch or English, or an alias of
  ``aliases.yaml``; case, whitespace and accents ignored). When it means the same code as
  the cell's code, the code is used. A label that means another code, or no code at all, is
  a conflict ("Weglopen" on code 5 where the codebook's 5 is "Rust-/kamermoment").
* **Text labels.** A text in a coded column that is no code, label or alias and repeats in
  at least :data:`REPEATED_TEXT_ROWS` rows of one measurement is a conflict too (the wording
  of a category, not a typing error); rarer texts stay per-row ``bad_code`` quarantine lines.

Conflicts of every file are collected first; then :func:`settle` writes a ready
``aliases.yaml`` proposal (``aliases.proposed.yaml``) and raises one :class:`LabelConflict`
that names each conflict and where to copy the proposal. The proposal trusts the code a file
gave a label (the SPSS value); its comments say what the codebook calls that code, and mark
guesses (a text without a code) for the user to check.
"""

from __future__ import annotations

import difflib
import json
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from operator import itemgetter
from pathlib import Path
from typing import Any, Iterable, Protocol, TypeVar

import yaml

from analysis import codebook
from analysis.core.errors import UserError
from analysis.ingest.checks import code_table, lookup_code
from analysis.ingest.readers import label_key

#: Rows of one measurement from which an unknown text in a coded column is a label conflict
#: rather than a per-row ``bad_code`` (one-off garbage stays a quarantine line per row).
REPEATED_TEXT_ROWS = 5
#: Name of the proposal file (``aliases.proposed.meting-<N>.yaml`` when measurements differ).
PROPOSAL = "aliases.proposed.yaml"
#: Conflicts named in the message; the proposal file holds every one of them.
MAX_LISTED = 20
#: Characters of a label shown in the message (labels of coded columns are category names).
MAX_LABEL_CHARS = 40
_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_INTEGER = re.compile(r"^\+?0*(\d+)(?:[.,]0+)?$")


class LabelConflict(UserError):
    """Labels of the exports disagree with the codebook; ``conflicts`` lists them, ``proposals``
    the proposal files written (proposal path -> where to copy it)."""

    def __init__(self, message: str, conflicts: list["Conflict"], proposals: dict[Path, Path]) -> None:
        super().__init__(message)
        self.conflicts = conflicts
        self.proposals = proposals


class TextLike(Protocol):
    """What reconciling needs of one table's kept text (:class:`analysis.ingest.process.Text`)."""

    file: str
    columns: dict[str, int]
    rows: list[list[str]]
    value_labels: dict[str, dict[str, str]]


#: A kept text (a dataclass, so that a prepared copy is :func:`dataclasses.replace` of it).
T = TypeVar("T", bound=TextLike)


@dataclass
class Conflict:
    """One label that disagrees with the codebook, over the files of one measurement.

    ``code`` is the file's code (an SPSS value; None for a text label), ``label`` the file's
    label or text as first written, ``means`` the code the label has in the codebook or
    aliases (None: none), ``codes`` the code the cell's code has (None: not a codebook code
    or a text), ``files`` the files with their rows, ``shared`` the other codes that carry
    the same label in the files (then only correcting the exports settles it).
    """

    meting: int | None
    column: str
    code: str | None
    label: str
    means: int | None
    codes: int | None
    files: dict[str, int] = field(default_factory=dict)
    #: Other codebook codes the files of the measurement give the same label.
    shared: list[int] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """Rows holding the label, over all files."""
        return sum(self.files.values())


# --- finding conflicts ----------------------------------------------------------------------
def coded_fields(resource: str) -> list[codebook.Field]:
    """Fields of ``resource`` whose values are codebook codes (single codes and code lists)."""
    return [f for f in codebook.fields(resource) if f.categories]


def reconcile(
    texts: Iterable[T],
    resource: str,
    labels: dict[str, dict[str, int]],
    meting: int | None = None,
) -> tuple[list[T], list[Conflict]]:
    """The kept text of one measurement's files of ``resource`` prepared, and its label conflicts.

    Preparing the cells of columns with SPSS value labels for validation: in a column that is
    not coded (``locatie``) a value is replaced by its label, as the label names it; in a coded
    column a value that is no codebook code and whose label is one of the codebook's
    missing-value texts (``n.v.t.``) becomes empty (not registered). A prepared text is a new
    object (the rows copied); a text with nothing to prepare is returned as it is.

    Parameters
    ----------
    texts : iterable
        Kept text of each table (file, codebook column -> cell position, rows, value labels).
    resource : str
        Codebook resource (``registraties`` or ``beleid``).
    labels : dict
        Column -> label alias -> code (``aliases.yaml`` of the measurement).
    meting : int, optional
        The measurement the files belong to.

    Returns
    -------
    tuple
        The prepared texts, in order, and the conflicts: one per (column, code, label), with
        the files and rows holding it.
    """
    fields = {f.name: f for f in coded_fields(resource)}
    tables = {name: code_table(f, labels.get(name)) for name, f in fields.items()}
    missing = {m.strip().casefold() for m in codebook.missing_values(resource)}
    found: dict[tuple, Conflict] = {}
    texts_seen: dict[tuple[str, str], Conflict] = {}
    prepared = []
    for t in texts:
        t = _with_uncoded_labels(t, fields)
        blank: dict[int, set[str]] = {}  # cell position -> cells that become empty
        for name, f in fields.items():
            pos = t.columns.get(name)
            if pos is None:
                continue
            vl = t.value_labels.get(name, {})
            counts = Counter(map(itemgetter(pos), t.rows))
            if f.type == "list":
                counts = _elements(counts)
            for cell, n in counts.items():
                value = cell.strip()
                if not value or value.casefold() in missing:
                    continue
                label = vl.get(value)
                if label is not None:
                    c = _labelled(value, label, tables[name], missing)
                    if c == "missing":
                        blank.setdefault(pos, set()).add(cell)
                        continue
                    key = (name, _code_key(value), label_key(label))
                    item = found.setdefault(key, Conflict(meting, name, _code_key(value), label, *c))
                    item.files[t.file] = item.files.get(t.file, 0) + n
                elif not _NUMBER.match(value) and lookup_code(value, tables[name]) is None:
                    item = texts_seen.setdefault(
                        (name, label_key(value)), Conflict(meting, name, None, value, None, None)
                    )
                    item.files[t.file] = item.files.get(t.file, 0) + n
        prepared.append(_with_blank_codes(t, blank))
    repeated = [c for c in texts_seen.values() if c.rows >= REPEATED_TEXT_ROWS]
    return prepared, _disagreeing(found.values()) + repeated


def _disagreeing(uses: Iterable[Conflict]) -> list[Conflict]:
    """The labelled codes that conflict: a label that means another code or none, and every
    use of a label that the files give to more than one codebook code (``shared``): no
    alias can make one label mean two codes."""
    by_label: dict[tuple[str, str], list[Conflict]] = {}
    for c in uses:
        by_label.setdefault((c.column, label_key(c.label)), []).append(c)
    out = []
    for group in by_label.values():
        codes = {c.codes for c in group if c.codes is not None}
        for c in group:
            if len(codes) > 1 and c.codes is not None:
                c = replace(c, shared=sorted(codes - {c.codes}))
            if c.shared or c.codes is None or c.means != c.codes:
                out.append(c)
    return out


def _labelled(
    value: str, label: str, table: dict[str, int], missing: set[str]
) -> tuple[int | None, int | None] | str:
    """``(label means, code means)`` of an SPSS code and its label (they agree when both are
    the same code); ``"missing"`` when the code is no code and the label a missing-value text."""
    codes = lookup_code(value, table)
    if label.strip().casefold() in missing and codes is None:
        return "missing"
    return lookup_code(label, table), codes


def _code_key(value: str) -> str:
    """A code as aliases look it up (``07`` and ``7.0`` are ``7``)."""
    m = _INTEGER.match(value)
    return str(int(m.group(1))) if m else value


def _elements(counts: Counter) -> Counter:
    """Rows per element of code-list cells (``1|3``, ``a, b``)."""
    out: Counter = Counter()
    for cell, n in counts.items():
        for part in {p.strip() for p in re.split(r"[|,]", cell) if p.strip()}:
            out[part] += n
    return out


def _with_uncoded_labels(t: T, coded: dict[str, codebook.Field]) -> T:
    """``t`` with values replaced by their SPSS label in labelled columns that hold no codes.

    ``t`` itself when it has no such column; otherwise a copy (the rows copied).
    """
    columns = [
        (t.columns[name], vl)
        for name, vl in t.value_labels.items()
        if name not in coded and t.columns.get(name) is not None and vl
    ]
    if not columns:
        return t
    rows = [list(row) for row in t.rows]
    for pos, vl in columns:
        for row in rows:
            label = vl.get(row[pos].strip())
            if label is not None:
                row[pos] = label
    return replace(t, rows=rows)


def _with_blank_codes(t: T, blank: dict[int, set[str]]) -> T:
    """``t`` with the cells ``blank`` names (position -> cells) made empty (``t`` if none)."""
    if not blank:
        return t
    rows = [list(row) for row in t.rows]
    for pos, cells in blank.items():
        for row in rows:
            if row[pos] in cells:
                row[pos] = ""
    return replace(t, rows=rows)


# --- the proposal ---------------------------------------------------------------------------
@dataclass
class Entry:
    """One proposed alias: ``text`` means ``code`` in ``column`` (None: to be filled in)."""

    column: str
    text: str
    code: int | None
    notes: list[str]
    guess: bool = False


def _short(text: str, limit: int = MAX_LABEL_CHARS) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _codebook_label(column: str, code: int | None) -> str:
    f = _field(column)
    return f.label(code) if f is not None and code is not None and code in f.codes else ""


def _field(column: str) -> codebook.Field | None:
    for res in ("registraties", "beleid"):
        for f in codebook.fields(res):
            if f.name == column:
                return f
    return None


def guess_code(text: str, column: str) -> int | None:
    """The code of the codebook label closest to ``text`` (a guess for the user to check).

    A codebook label (Dutch or English, at least four characters) that appears as whole words
    in the text, or the text in a label, decides when it points to one code; otherwise the
    closest label by :func:`difflib.get_close_matches` (ratio at least 0.6); None if none.
    """
    f = _field(column)
    if f is None:
        return None
    key = label_key(text)
    cands = {label_key(c.label): c.value for c in f.categories}
    cands.update({label_key(c.label_en): c.value for c in f.categories})

    def words(inner: str, outer: str) -> bool:
        return len(inner) >= 4 and re.search(rf"(?<!\w){re.escape(inner)}(?!\w)", outer) is not None

    hits = {code for lab, code in cands.items() if words(lab, key) or words(key, lab)}
    if len(hits) == 1:
        return hits.pop()
    close = difflib.get_close_matches(key, list(cands), n=1, cutoff=0.6)
    return cands[close[0]] if close else None


def _entry(c: Conflict) -> Entry:
    """The alias that settles ``c``, trusting the file's code when it is a codebook code."""
    files = ", ".join(f"{_clean(name)} ({n} rows)" for name, n in sorted(c.files.items()))
    if c.code is not None and c.codes is not None:
        note = (
            f"{files}: code {c.code} labelled {_quote(c.label)}; codebook {c.codes} = "
            f"{_quote(_codebook_label(c.column, c.codes))}"
        )
        notes = [note]
        if c.means is not None and c.means != c.codes:
            notes.append(
                f"note: the codebook's label {_quote(c.label)} is code {c.means} "
                f"({_quote(_codebook_label(c.column, c.means))}); this line makes it {c.codes} in every "
                "file of this measurement - or correct the export instead"
            )
        return Entry(c.column, c.label, c.codes, notes)
    if c.code is not None and c.means is not None:
        note = (
            f"{files}: code {c.code} is not a codebook code; its label {_quote(c.label)} is codebook "
            f"{c.means} = {_quote(_codebook_label(c.column, c.means))}"
        )
        return Entry(c.column, c.code, c.means, [note])
    text = c.code if c.code is not None else c.label
    what = (
        f"code {c.code} labelled {_quote(c.label)} (neither a codebook code nor label)"
        if c.code is not None
        else f"{_quote(c.label)} is no code or label of the codebook"
    )
    guess = guess_code(c.label, c.column)
    if guess is None:
        return Entry(c.column, text, None, [f"{files}: {what}", "FILL IN: no codebook label is close"])
    note = f"GUESS - check: closest codebook label is {guess} = {_quote(_codebook_label(c.column, guess))}"
    return Entry(c.column, text, guess, [f"{files}: {what}", note], guess=True)


def _quote(text: str) -> str:
    return json.dumps(_short(text), ensure_ascii=False)


def _clean(text: str) -> str:
    """Text safe inside a one-line YAML comment (control characters escaped)."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in str(text))


def _existing(path: Path | None) -> dict[str, Any]:
    """The mapping of an existing aliases file (already validated by ingest), else empty."""
    if path is None or not path.is_file():
        return {}
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def proposal_text(entries: list[Entry], target: Path, existing: Path | None) -> str:
    """An ``aliases.yaml`` with the entries of ``existing`` (if any) and ``entries``, commented."""
    old = _existing(existing)
    lines = [
        "# Proposed by `compendium ingest` for labels of the exports that differ from the codebook.",
        "# Review every entry, then copy this file to",
        f"#   {_clean(target)}",
        "# Each entry keeps the code a file gave its label (SPSS value), so the data mean what the",
        "# institution registered; the comment says what the codebook calls that code. Entries",
        "# marked GUESS map a text without a code to the closest codebook label: check them.",
    ]
    if any(e.code is None for e in entries):
        lines.append("# Entries marked FILL IN have no code yet: this file is not valid until you add one.")
    if old:
        lines.append(f"# It keeps every entry of the existing {_clean(existing)}.")
    if old.get("columns"):
        lines.append("columns:")
        lines += [f"  {_key(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in old["columns"].items()]
    lines.append("labels:")
    new: dict[str, list[Entry]] = {}
    for e in entries:
        new.setdefault(e.column, []).append(e)
    old_labels = old.get("labels") or {}
    for column in list(old_labels) + [c for c in new if c not in old_labels]:
        lines.append(f"  {column}:")
        replaced = {label_key(e.text): e for e in new.get(column, [])}
        for text, code in (old_labels.get(column) or {}).items():
            if label_key(text) in replaced:
                replaced[label_key(text)].notes.append(
                    f"replaces {_clean(text)!r}: {code} of {_clean(existing)}"
                )
                continue
            lines.append(f"    {_key(text)}: {code}")
        for e in new.get(column, []):
            lines += [f"    # {_clean(n)}" for n in e.notes]
            lines.append(f"    {_key(e.text)}: {'null' if e.code is None else e.code}")
    return "\n".join(lines) + "\n"


def _key(text: Any) -> str:
    """A YAML key: a JSON string is a valid double-quoted YAML scalar."""
    return json.dumps(str(text), ensure_ascii=False)


# --- stopping -------------------------------------------------------------------------------
def remove_stale(proposal_dir: Path) -> None:
    """Remove proposals of an earlier run (they would describe conflicts that are gone)."""
    if proposal_dir.is_dir():
        for p in proposal_dir.glob("aliases.proposed*.yaml"):
            p.unlink()


def _plan(
    entries: dict[int | None, list[Entry]],
    targets: dict[int | None, Path],
    existing: dict[int | None, Path | None],
    root: Path,
    root_existing: Path | None,
) -> list[tuple[str, Path, Path | None, list[Entry]]]:
    """``(proposal name, target, existing file, entries)`` per proposal file.

    One measurement: its own ``aliases.yaml``. Several that agree on every entry, where no
    measurement's own file (which takes precedence) maps one of the texts: the raw root's
    ``aliases.yaml``, for all. Otherwise one proposal per measurement.
    """
    if len(entries) == 1:
        ((m, es),) = entries.items()
        return [(PROPOSAL, targets[m], existing[m], es)]
    merged: dict[tuple[str, str], Entry] = {}
    agree = True
    for es in entries.values():
        for e in es:
            k = (e.column, label_key(e.text))
            if k not in merged:
                merged[k] = replace(e, notes=list(e.notes))
            elif merged[k].code != e.code:
                agree = False
            else:
                merged[k].notes += e.notes
    own = {
        (col, label_key(text))
        for m in entries
        for col, mapping in (_existing(existing[m]).get("labels") or {}).items()
        for text in mapping or {}
    }
    if agree and not own & set(merged):
        return [(PROPOSAL, root, root_existing, list(merged.values()))]
    return [
        (PROPOSAL.replace(".yaml", f".meting-{m}.yaml"), targets[m], existing[m], es)
        for m, es in sorted(entries.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
    ]


def _describe(c: Conflict) -> str:
    """One conflict for the message: file, column, code, file's label, codebook's label, rows."""
    names = sorted(c.files)
    where = _clean(names[0]) + (f" (+{len(names) - 1} more files)" if len(names) > 1 else "")
    rows = f"{c.rows} row{'s' if c.rows != 1 else ''}"
    if c.code is None:
        return f"{where} {c.column}: {_quote(c.label)} is no code or label of the codebook, {rows}"
    if c.means is None:
        means = " (not a codebook label)"
    elif c.means != c.codes:
        means = f" (the codebook's label of {c.means})"
    else:
        means = ""
    if c.codes is not None:
        cb = f"codebook {c.codes} = {_quote(_codebook_label(c.column, c.codes))}"
    else:
        cb = f"{c.code} is no codebook code"
    if c.shared:
        means += f" (also the files' label of code {', '.join(map(str, c.shared))})"
    return f"{where} {c.column} code {c.code}: label {_quote(c.label)}{means}, {cb}, {rows}"


def merged(conflicts: list[Conflict]) -> list[Conflict]:
    """The conflicts as a user names them: one per column, code and label over all measurements.

    Why: an institution's own wording is usually the same in every export it sends, so three
    labels in 27 files of three measurements are three conflicts, not nine.
    """
    out: dict[tuple, Conflict] = {}
    for c in conflicts:
        key = (c.column, c.code, _quote(c.label), c.means, c.codes)
        if key not in out:
            out[key] = Conflict(
                None, c.column, c.code, c.label, c.means, c.codes, dict(c.files), list(c.shared)
            )
            continue
        m = out[key]
        for f, n in c.files.items():
            m.files[f] = m.files.get(f, 0) + n
        m.shared = sorted(set(m.shared) | set(c.shared))
    return list(out.values())


def settle(
    conflicts: list[Conflict],
    proposal_dir: Path,
    raw: Path,
    targets: dict[int | None, Path],
    existing: dict[int | None, Path | None],
    root_existing: Path | None = None,
) -> None:
    """Stop on label conflicts: write the proposal(s) and raise :class:`LabelConflict`.

    Without conflicts, proposals of an earlier run in ``proposal_dir`` are removed.

    Parameters
    ----------
    conflicts : list of Conflict
        Conflicts of every file of every measurement.
    proposal_dir : Path
        Folder for ``aliases.proposed.yaml`` (created).
    raw : Path
        Raw root (its ``aliases.yaml`` applies to every measurement).
    targets : dict
        Measurement -> its own ``registraties/aliases.yaml`` (where a proposal is copied).
    existing : dict
        Measurement -> its existing aliases file, if any (kept in the proposal).
    root_existing : Path, optional
        The raw root's existing ``aliases.yaml``.

    Raises
    ------
    LabelConflict
        When there is any conflict; one line naming each (up to :data:`MAX_LISTED`).
    """
    remove_stale(proposal_dir)
    if not conflicts:
        return
    conflicts = sorted(
        conflicts, key=lambda c: (c.meting or 0, c.column, c.code is None, c.code or "", c.label)
    )
    entries: dict[int | None, list[Entry]] = {}
    for c in conflicts:
        entries.setdefault(c.meting, []).append(_entry(c))
    dupes = _disagreements(entries)
    plan = _plan(entries, targets, existing, raw / "aliases.yaml", root_existing)
    proposal_dir.mkdir(parents=True, exist_ok=True)
    written: dict[Path, Path] = {}
    for name, target, old, es in plan:
        path = proposal_dir / name
        path.write_text(proposal_text(es, target, old), encoding="utf-8")
        written[path] = target
    shown = merged(conflicts)
    listed = "; ".join(_describe(c) for c in shown[:MAX_LISTED])
    if len(shown) > MAX_LISTED:
        listed += f"; and {len(shown) - MAX_LISTED} more (all in the proposal)"
    how = " and ".join(f"review {p} and copy it to {t}" for p, t in written.items())
    fill = (
        " (fill in the entries marked FILL IN first)"
        if any(e.code is None for es in entries.values() for e in es)
        else ""
    )
    also = (
        f"; the files disagree on {', '.join(dupes)}: correct those exports, one aliases file cannot settle it"
        if dupes
        else ""
    )
    n = len(shown)
    raise LabelConflict(
        f"{n} label{'s' if n != 1 else ''} of the exports differ from the codebook, nothing was "
        f"ingested: {listed} - {how}{fill}, or correct the exports, then run again{also}",
        conflicts,
        written,
    )


def _disagreements(entries: dict[int | None, list[Entry]]) -> list[str]:
    """Merge the entries of one measurement that name the same text; return the texts that
    files give different codes (no alias can settle them).

    A guess or an empty entry (a text without a code) gives way to a code a file gave the
    same text (an SPSS label), which then settles both.
    """
    out = []
    for m, es in entries.items():
        seen: dict[tuple[str, str], Entry] = {}
        for e in sorted(es, key=lambda e: e.guess or e.code is None):
            k = (e.column, label_key(e.text))
            first = seen.get(k)
            if first is None:
                seen[k] = e
            elif e.guess or e.code is None or first.code == e.code:
                first.notes += e.notes
            else:
                out.append(f"{e.column} {_quote(e.text)}" + (f" (meting {m})" if m is not None else ""))
                first.notes.append(f"CONFLICT: {'; '.join(e.notes)} - the files disagree; correct one export")
        entries[m] = list(seen.values())
    return out
