"""The build's minimum cell size rule, kept free of heavy imports.

:mod:`analysis.describe.disclosure` applies it (and re-exports both names); the build reads
it while planning, which must not import pandas (a no-op build only checks digests).
"""

from __future__ import annotations

#: Default minimum cell size for factsheets and every table published per location.
DEFAULT_MIN_CELL_SIZE = 5


def rule_for(synthetic: bool) -> int:
    """Minimum cell size of a build: the one rule for every table published per location.

    Real registrations: :data:`DEFAULT_MIN_CELL_SIZE` for the factsheets, the national
    report's per-location tables and the results CSVs alike. The synthetic twin describes no
    one: everything is shown (``k = 0``), and every output says so
    (:func:`analysis.describe.disclosure.note`).
    """
    return 0 if synthetic else DEFAULT_MIN_CELL_SIZE
