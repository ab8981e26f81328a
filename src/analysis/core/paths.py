"""All file-system locations of the compendium, derived from one project root.

Every module asks this module for paths; nothing else builds paths from strings such as
``"../outputs"``. The root is found from ``COMPENDIUM_ROOT`` or by walking up from this file
to the directory holding ``pyproject.toml``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path


def find_root() -> Path:
    """Return the project root directory.

    Returns
    -------
    Path
        ``$COMPENDIUM_ROOT`` if set, else the first parent of this file with a
        ``pyproject.toml``.
    """
    env = os.environ.get("COMPENDIUM_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").exists():
            return parent
    raise RuntimeError("Cannot find the project root (no pyproject.toml above %s)" % here)


@dataclass(frozen=True)
class Paths:
    """Locations of inputs, intermediate and output files.

    Parameters
    ----------
    root : Path
        Project root.
    build : Path, optional
        Build folder for executed notebooks, results and figures (default ``root/build``).
    raw : Path, optional
        Raw-data tree in the raw-data contract (default ``root/data/raw``).
    processed : Path, optional
        Processed tables written by ingest (default ``root/data/processed``).
    output : Path, optional
        Rendered report (default ``root/reports/_output``).
    params_dir : Path, optional
        Measurement descriptions (default ``root/params``).
    reports_dir : Path, optional
        Report sources (default ``root/reports``); the renderer points it at a staged copy
        inside the build folder, so concurrent builds never share generated files.
    """

    root: Path
    build: Path | None = None
    raw: Path | None = None
    processed: Path | None = None
    output: Path | None = None
    params_dir: Path | None = None
    reports_dir: Path | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root).resolve())
        if self.build is None:
            object.__setattr__(self, "build", self.root / "build")
        if self.raw is None:
            object.__setattr__(self, "raw", self.root / "data" / "raw")
        if self.processed is None:
            object.__setattr__(self, "processed", self.root / "data" / "processed")
        if self.params_dir is None:
            object.__setattr__(self, "params_dir", self.root / "params")
        if self.output is None:
            object.__setattr__(self, "output", self.root / "reports" / "_output")

    # --- sources (tracked) -------------------------------------------------------
    @property
    def notebooks(self) -> Path:
        """Source notebooks (stored without outputs)."""
        return self.root / "notebooks"

    @property
    def reports(self) -> Path:
        """Report sources (Quarto/markdown)."""
        return Path(self.reports_dir) if self.reports_dir else self.root / "reports"

    @property
    def reference(self) -> Path:
        """Reference tables from the published report."""
        return self.root / "data" / "reference"

    @property
    def published_figures(self) -> Path:
        """Every number the published report states, one row each."""
        return self.reference / "published_figures.csv"

    @property
    def params(self) -> Path:
        """Measurement descriptions (``meting-<N>.yaml``)."""
        return Path(self.params_dir)

    # --- generated ---------------------------------------------------------------
    @property
    def synthetic_raw(self) -> Path:
        """Raw-data tree of the synthetic twin when no real data is present."""
        return self.build / "synthetic-raw"

    @property
    def executed_notebooks(self) -> Path:
        """Notebooks executed by papermill."""
        return self.build / "notebooks"

    @property
    def results(self) -> Path:
        """Tidy result CSVs (the results contract)."""
        return self.build / "results"

    @property
    def appendix(self) -> Path:
        """Per-location tables too long for the report (``analysis.present.display.location_table``)."""
        return self.results / "appendix"

    @property
    def model_results(self) -> Path:
        """Tidy CSVs of the chapter-3 models."""
        return self.results / "models"

    @property
    def model_frames(self) -> Path:
        """Chapter-3 analysis frames of the synthetic twin, beside the model cards (R snippets read them)."""
        return self.model_results / "frames"

    @property
    def secure_frames(self) -> Path:
        """Chapter-3 analysis frames of real registrations: outside ``results/``, never released."""
        return self.build / "secure" / "frames"

    @property
    def model_cache(self) -> Path:
        """Store of fitted models keyed by spec, data, code and R versions (see models.cache)."""
        return self.build / "cache" / "models"

    @property
    def figures(self) -> Path:
        """Figures as SVG (HTML) and PNG (PDF)."""
        return self.build / "figures"

    @property
    def verify(self) -> Path:
        """Outputs of the verification steps (reproduction check, audit)."""
        return self.build / "verify"

    @property
    def reproduction_check(self) -> Path:
        """Reproduction check of this build (every published figure beside its value)."""
        return self.verify / "reproduction.json"

    @property
    def audit_findings(self) -> Path:
        """Consistency audit of the published figures."""
        return self.verify / "audit.json"

    @property
    def calibration_table(self) -> Path:
        """Calibration of the synthetic twin (twin builds only); not under ``results/``."""
        return self.build / "calibration" / "synth_calibration.csv"

    @property
    def report_output(self) -> Path:
        """Rendered report (``report.html``, ``report.pdf``)."""
        return Path(self.output)

    @property
    def factsheets(self) -> Path:
        """Rendered location factsheets."""
        return self.build / "factsheets"

    @property
    def state(self) -> Path:
        """Content hashes of completed build steps."""
        return self.build / ".state"

    @property
    def plan_cache(self) -> Path:
        """Values the build's planning derived from data or code, keyed by their inputs' digests."""
        return self.build / "cache" / "plan"

    @property
    def logs(self) -> Path:
        """Tracebacks of unexpected errors (inside the secure build folder: they may quote data)."""
        return self.build / "logs"

    @property
    def intake(self) -> Path:
        """The intake verdict of a build: shares and repeated files checked against ``params/``."""
        return self.build / "intake.json"


def decision_file(build: Path, meting: int) -> Path:
    """Where a build keeps the disclosure decision of one measurement (inside the build folder).

    :func:`analysis.present.publish.decision_file` (the build plans with this one without
    importing the presentation stage).
    """
    return Path(build) / "disclosure" / f"meting-{int(meting)}.json"


def default_paths() -> Paths:
    """Paths for the project this package is installed from."""
    return Paths(find_root())


# --- codes that become parts of paths ------------------------------------------------------
#: A location code: letters, digits, ``-`` and ``_``, starting with a letter or digit, at most
#: 16 characters. Why a pattern: codes become file names (factsheets), so ``../x`` or ``a/b``
#: must never be accepted as a code.
LOCATION_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$")


def is_location_code(code: object) -> bool:
    """True when ``code`` matches :data:`LOCATION_CODE`."""
    return isinstance(code, str) and bool(LOCATION_CODE.fullmatch(code))


def safe_child(folder: Path, *parts: str) -> Path:
    """``folder / parts...``, refusing any result that is not inside ``folder``.

    Parameters
    ----------
    folder : Path
        The folder the path must stay under.
    *parts : str
        Path parts built from data (location codes, measurement numbers).

    Returns
    -------
    Path
        The joined path (not resolved).

    Raises
    ------
    ValueError
        A part is absolute, empty, or leads outside ``folder`` (``..``, a symbolic link).
    """
    folder = Path(folder)
    for part in parts:
        if not part or Path(part).is_absolute() or "\x00" in part:
            raise ValueError(f"unsafe path part {part!r} under {folder}")
    path = folder.joinpath(*parts)
    base = folder.resolve()
    target = path.resolve()
    if target != base and base not in target.parents:
        raise ValueError(f"path {path} leads outside {folder}")
    return path


def location_file(folder: Path, location: str, suffix: str) -> Path:
    """``folder/<location><suffix>`` for a valid location code, checked to stay inside ``folder``.

    Why: location codes come from data; ``../x`` must never write outside the build folder.
    (Here, not in :mod:`analysis.report.factsheets`: the build plans the factsheet steps'
    outputs without importing the report stage.)
    """
    if not is_location_code(location):
        raise ValueError(f"{location!r} is not a valid location code (letters, digits, - and _)")
    return safe_child(folder, f"{location}{suffix}")
