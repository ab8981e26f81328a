"""Keyed pseudonyms for ``nummer_jongere`` (HMAC-SHA-256).

The youth id links registrations of the same young person within a location, which the
chapter-3 models need; the id itself must not leave the raw data. A keyed hash keeps the
link while making the id unrecoverable without the key, and the key never sits in the
repository. The synthetic twin (a raw tree with a ``SYNTHETIC`` marker file) uses a fixed
public key so that its processed data is identical on every machine.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.core.provenance import is_synthetic
from analysis.core.errors import UserError

if TYPE_CHECKING:  # the build plans with key_fingerprint; pandas is not needed for it
    import pandas as pd

KEY_ENV = "COMPENDIUM_PSEUDONYM_KEY"
KEY_FILE_ENV = "COMPENDIUM_PSEUDONYM_KEY_FILE"
SYNTHETIC_KEY = b"synthetic-twin-public-key"

HOW_TO_SET = (
    f"set {KEY_ENV} to a long random secret (e.g. `export {KEY_ENV}=$(python -c "
    "'import secrets; print(secrets.token_hex(32))')`) or put the secret in a file outside "
    f"the repository and set {KEY_FILE_ENV}=/path/to/that/file; keep the same key for every "
    "measurement so pseudonyms stay comparable"
)


class MissingKey(UserError):
    """Real data is being ingested without a usable pseudonymisation key."""


#: Minimum key length: 16 bytes = 128 bits.
MIN_KEY_BYTES = 16


def check_key(key: bytes, origin: str) -> bytes:
    """``key`` if it has at least :data:`MIN_KEY_BYTES` bytes and is not one repeated pattern.

    Why: a short key lets anyone enumerate youth numbers (a few thousand ids per location)
    and reverse every pseudonym.
    """
    if len(key) < MIN_KEY_BYTES:
        raise MissingKey(
            f"the pseudonymisation key from {origin} has {len(key)} bytes; at least "
            f"{MIN_KEY_BYTES} bytes (128 bits) are required: " + HOW_TO_SET
        )
    if len(set(key)) < 4:
        raise MissingKey(
            f"the pseudonymisation key from {origin} repeats fewer than 4 different "
            "characters; use a random key: " + HOW_TO_SET
        )
    return key


def fingerprint(key: bytes) -> str:
    """A short public fingerprint of ``key`` (not the key; the key cannot be derived from it).

    Used as an input of the build's ingest step, so a new key re-ingests, and written to
    ``ingest_report.json`` so a reader can tell which key made the pseudonyms.
    """
    return hmac.new(key, b"compendium pseudonym key fingerprint", hashlib.sha256).hexdigest()[:16]


def key_fingerprint(raw: Path) -> str:
    """Fingerprint of the key :func:`resolve_key` gives for ``raw`` (raises :class:`MissingKey`)."""
    return fingerprint(resolve_key(raw))


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def resolve_key(raw: Path, key: bytes | None = None, repo_root: Path | None = None) -> bytes:
    """Return the pseudonymisation key for the raw tree ``raw``.

    Parameters
    ----------
    raw : Path
        Raw-data root.
    key : bytes, optional
        Explicit key (takes precedence; used by tests and callers that manage keys).
    repo_root : Path, optional
        Repository root; a key file inside it is refused. Defaults to the project root.

    Returns
    -------
    bytes
        The key: explicit, else the public synthetic key for the twin, else
        ``$COMPENDIUM_PSEUDONYM_KEY``, else the contents of ``$COMPENDIUM_PSEUDONYM_KEY_FILE``.

    Raises
    ------
    MissingKey
        Real data without a key, an empty key, or a key file inside the repository.
    """
    if key is not None:
        if not key:
            raise MissingKey("the pseudonymisation key is empty; " + HOW_TO_SET)
        return check_key(key, "the caller")
    if is_synthetic(raw):  # the marker AND its manifest: only a tree `compendium synth` wrote
        return SYNTHETIC_KEY
    env = os.environ.get(KEY_ENV, "")
    if env.strip():
        return check_key(env.strip().encode("utf-8"), KEY_ENV)
    file_name = os.environ.get(KEY_FILE_ENV, "")
    if file_name.strip():
        path = Path(file_name).expanduser()
        if repo_root is None:
            from analysis.core.paths import find_root

            repo_root = find_root()
        if _inside(path, repo_root):
            raise MissingKey(
                f"{KEY_FILE_ENV} points to {path}, inside the repository; move the "
                "key file outside the repository so it can never be committed"
            )
        if not path.is_file():
            raise MissingKey(f"{KEY_FILE_ENV} points to {path}, which does not exist; " + HOW_TO_SET)
        secret = path.read_bytes().strip()
        if not secret:
            raise MissingKey(f"the key file {path} is empty; " + HOW_TO_SET)
        return check_key(secret, str(path))
    raise MissingKey(f"{raw} holds real registrations and no pseudonymisation key is set: " + HOW_TO_SET)


_DIGITS = re.compile(r"^\d+(?:[.,]0+)?$")


def normalise_youth_id(value: str) -> str:
    """The codebook's rule for ``nummer_jongere`` before hashing and duplicate checks.

    Whitespace anywhere is removed and letters are upper-cased; an id of digits only (also
    ``12.0`` as a spreadsheet or SPSS number arrives) loses its leading zeros and decimal
    part. So ``0012``, `` 12``, ``12`` and ``12.0`` are one youth, ``xx 0001`` and ``XX0001``
    are one youth; ``XX0012`` and ``XX12`` stay different (letters make the id a code whose
    zeros may matter).
    """
    text = "".join(str(value).split()).upper()
    if _DIGITS.match(text):
        digits = re.split(r"[.,]", text)[0].lstrip("0")
        return digits or "0"
    return text


def pseudonym(value: str, key: bytes) -> str:
    """HMAC-SHA-256 (hex) of a youth id after :func:`normalise_youth_id`.

    Why normalise: ``xx0001`` and ``XX0001 `` (or ``0012`` and ``12``) are the same youth in
    different exports.
    """
    return hmac.new(key, normalise_youth_id(value).encode("utf-8"), hashlib.sha256).hexdigest()


def pseudonymise(ids: "pd.Series", key: bytes) -> "pd.Series":
    """Pseudonyms for a column of youth ids; missing ids stay missing.

    Hashes each distinct id once (a few thousand youths, not one call per registration).
    """
    present = ids.dropna()
    present = present[present.astype(str).str.strip() != ""]
    table = {v: pseudonym(str(v), key) for v in present.unique()}
    return ids.map(table).astype("str")
