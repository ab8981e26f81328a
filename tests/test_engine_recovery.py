"""The Dask engine survives a lost worker and never retries a task that failed.

CI once failed with ``FutureCancelledError: ... cancelled for reason: lost dependencies`` in
notebook 03 of a full build: a frame scattered to the build's cluster was gone when its tasks
arrived, with no worker lost (scheduler log of a local reproduction). Dask's active memory
manager drops replicas every 2 s (a broadcast frame was on one worker again within seconds);
the engine's local clusters now run without it, and a run sends tasks that lost their shared
data again instead of failing. Workers are killed for real here (``os._exit`` inside a task),
the one way to lose shared data on purpose.
"""

from __future__ import annotations

import gc
import os
import time
from pathlib import Path

import numpy as np
import pytest

from analysis.models import engine


def _die_once(marker: str, data: np.ndarray, i: int) -> int:
    """Kill this worker process the first time task 0 runs; else a value from the shared data."""
    if i == 0 and not Path(marker).exists():
        Path(marker).write_text("died")
        os._exit(1)
    return int(data.sum()) + i


def _count_and_fail(counter: str) -> None:
    """Record a call, then fail as a model error would."""
    with open(counter, "a") as fh:
        fh.write("x")
    raise ValueError("model error")


def _collector_state() -> bool:
    return gc.isenabled()


def _tasks(marker: Path, n: int = 6) -> list[engine.Task]:
    return [(f"t{i}", _die_once, (str(marker), engine.Shared("data"), i)) for i in range(n)]


def test_a_lost_worker_with_the_only_copy_costs_a_resubmission_not_the_run(tmp_path: Path) -> None:
    st = engine.RunStats()
    out = engine.run(
        _tasks(tmp_path / "marker"),
        workers=1,
        progress=False,
        stats=st,
        shared={"data": np.arange(10)},
        store=tmp_path / "store",
    )
    assert (tmp_path / "marker").exists()  # the worker really died
    assert out == [45 + i for i in range(6)]
    assert 1 <= st.resubmitted <= 6
    assert st.computed == 6 and len(list((tmp_path / "store").glob("*.pkl"))) == 6


def test_local_clusters_keep_every_replica() -> None:
    with engine.client(None, 2) as c:
        fut = c.scatter(np.arange(1000), broadcast=True, hash=False)
        time.sleep(4.5)  # the active memory manager, when on, runs every 2 s
        assert len(c.who_has([fut])[fut.key]) == 2


def test_with_two_workers_a_lost_worker_costs_at_most_its_tasks(tmp_path: Path) -> None:
    st = engine.RunStats()
    out = engine.run(
        _tasks(tmp_path / "marker"), workers=2, progress=False, stats=st, shared={"data": np.arange(10)}
    )
    assert (tmp_path / "marker").exists()
    assert out == [45 + i for i in range(6)]
    assert st.resubmitted <= 6  # 0 when the other worker held the frame (Dask re-ran the task)


def _frame_gone(prefix: str, _own: object) -> bool:
    """Whether this worker drops the object whose key starts with ``prefix`` within 10 s."""
    from distributed import get_worker

    w = get_worker()
    for _ in range(100):
        if not any(str(k).startswith(prefix) for k in list(w.data)):
            return True
        time.sleep(0.1)
    return False


def _use(data: object) -> int:
    return len(data)


def test_a_shared_object_is_released_when_its_last_task_is_done() -> None:
    """Tasks run grouped by shared object; the first object is dropped before the second group."""
    # In the order given the groups interleave; the engine submits the "a" group first.
    # "b" is a string, so only "a" has a key that starts with "ndarray-".
    tasks = [
        ("a1", _use, (engine.Shared("a"),)),
        ("b1", _frame_gone, ("ndarray-", engine.Shared("b"))),
        ("a2", _use, (engine.Shared("a"),)),
        ("b2", _frame_gone, ("ndarray-", engine.Shared("b"))),
    ]
    out = engine.run(tasks, workers=1, progress=False, shared={"a": np.arange(5), "b": "bbb"})
    assert out == [5, True, 5, True]


def test_a_task_that_raised_is_not_sent_again(tmp_path: Path) -> None:
    counter = tmp_path / "calls"
    with pytest.raises(ValueError, match="model error"):
        engine.run([("bad", _count_and_fail, (str(counter),))], workers=1, progress=False)
    assert counter.read_text() == "x"


def test_no_automatic_collection_while_a_task_runs() -> None:
    assert gc.isenabled()
    assert engine.run([("gc", _collector_state, ())], workers=0, progress=False) == [False]
    assert gc.isenabled()  # restored afterwards
