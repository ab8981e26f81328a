"""The Dask fan-out moved to :mod:`analysis.models.engine` (chapter 3's fits use it too).

Kept so that ``from analysis.pipeline import engine`` keeps working.
"""

from analysis.models.engine import (  # noqa: F401
    SCHEDULER_ENV,
    RunStats,
    Shared,
    Task,
    _in_r_context,
    client,
    default_scheduler,
    load_stored,
    run,
    save,
    shared_cluster,
)
