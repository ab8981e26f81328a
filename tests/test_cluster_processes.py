"""Builds on an external Dask cluster of real processes, as a user with a cluster would run them.

A ``dask scheduler`` and ``compendium worker`` processes are started as separate processes on
loopback (scheduler file in a temporary folder, workers in a working directory of their own),
and ``compendium build --scheduler <file>`` runs in copies of the project: on the synthetic twin
and on a real-format tree (the twin written as real exports, with a secret key). Every results
CSV is compared with a local build of the same tree. A second cluster loses a worker (the whole
process tree, as a lost node) in the middle of chapter 3; the build finishes on the other one
with the same results. The workers record every file they open (an audit hook) and every
message they receive; neither may touch the raw exports or the key.

The builds take 10-15 minutes on two cores, so those tests are in the slow tier
(``make test-slow``); the checks of ``compendium worker`` and the build's refusal of a worker
without R run in ``make test``. Processes are ended by their process ids in ``finally`` blocks.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pandas as pd
import psutil
import pytest

from analysis.core.paths import find_root
from ingest_fixtures import KEY

ROOT = find_root()
BIN = Path(sys.executable).parent
RTOL = 1e-9

AUDIT_PRELOAD = '''\
"""Test preload of a worker process: what it opens (audit hook) and every message it receives."""
import os
import sys

_DIR = os.environ["COMPENDIUM_TEST_AUDIT_DIR"]
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_APPEND
_LOG = os.open(os.path.join(_DIR, f"open-{os.getpid()}.log"), _FLAGS, 0o600)
_DUMP = os.open(os.path.join(_DIR, f"received-{os.getpid()}.bin"), _FLAGS, 0o600)


def _hook(event, args):
    # os.write raises no audit event, so the hook cannot call itself
    if event in ("open", "os.listdir", "os.scandir") and args:
        path = args[0]
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if isinstance(path, (str, os.PathLike)):
            os.write(_LOG, f"{event}\\t{os.path.abspath(os.fspath(path))}\\n".encode("utf-8", "replace"))


sys.addaudithook(_hook)


def dask_setup(worker):
    from distributed import protocol

    loads = protocol.loads

    def recording_loads(frames, *args, **kwargs):
        for frame in frames:  # uncompressed (distributed.comm.compression off in these tests)
            os.write(_DUMP, bytes(frame))
        return loads(frames, *args, **kwargs)

    protocol.loads = recording_loads
'''


# --- processes -----------------------------------------------------------------------------
def _kill_tree(proc: subprocess.Popen | None) -> None:
    """Kill ``proc`` and every process it started, each by its own process id."""
    if proc is None:
        return
    try:
        parent = psutil.Process(proc.pid)
        tree = parent.children(recursive=True) + [parent]
    except psutil.NoSuchProcess:
        tree = []
    for p in tree:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(tree, timeout=30)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:  # pragma: no cover - killed above
        pass


def _wait_for(
    what: str, ok: Callable[[], bool], timeout: float, proc: subprocess.Popen | None = None
) -> None:
    t0 = time.monotonic()
    while not ok():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what}: the process ended with exit code {proc.returncode}")
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.5)


def _clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COMPENDIUM_", "DASK_")) and k not in ("PYTHONPATH", "R_HOME")
    }
    env.update(
        {
            "MPLBACKEND": "Agg",
            "R_LIBS_USER": str(ROOT / ".r-lib"),
            # Messages uncompressed (the default of this dask version, stated for the audit).
            "DASK_DISTRIBUTED__COMM__COMPRESSION": "False",
        }
    )
    env.update(extra)
    return env


@dataclass
class Cluster:
    """A scheduler and worker processes started by a test."""

    scheduler_file: Path
    scheduler: subprocess.Popen | None = None
    workers: list[subprocess.Popen] = field(default_factory=list)

    def stop(self) -> None:
        for w in self.workers:
            _kill_tree(w)
        _kill_tree(self.scheduler)

    def n_workers(self) -> int:
        from distributed import Client

        with Client(scheduler_file=str(self.scheduler_file), timeout=30) as c:
            return len(c.scheduler_info(n_workers=-1)["workers"])


@contextmanager
def cluster(
    tmp: Path,
    code: Path,
    n_workers: int = 2,
    worker_args: tuple[str, ...] = (),
    worker_env: dict[str, str] | None = None,
    plain: tuple[int, ...] = (),
    plain_env: dict[str, str] | None = None,
) -> Iterator[Cluster]:
    """``dask scheduler`` and ``n_workers`` ``compendium worker`` processes on loopback.

    Workers run the project code of ``code`` (``PYTHONPATH``) in a working directory of their
    own; workers whose index is in ``plain`` are plain ``dask worker`` processes instead (with
    ``plain_env`` added to their environment).
    """
    tmp.mkdir(parents=True, exist_ok=True)
    home = tmp / "worker-home"
    home.mkdir(exist_ok=True)
    c = Cluster(tmp / "scheduler.json")
    try:
        # The scheduler setting docs/cluster.md recommends (as the build's local clusters).
        env = _clean_env(DASK_DISTRIBUTED__SCHEDULER__ACTIVE_MEMORY_MANAGER__START="False")
        with open(tmp / "scheduler.log", "w") as log:
            c.scheduler = subprocess.Popen(
                [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0"]
                + ["--scheduler-file", str(c.scheduler_file), "--no-dashboard"],
                cwd=tmp,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        _wait_for("scheduler file", c.scheduler_file.exists, 60, c.scheduler)
        for i in range(n_workers):
            env = _clean_env(PYTHONPATH=str(code / "src"), **(worker_env or {}))
            if i in plain:
                env.update(plain_env or {})
                cmd = [
                    str(BIN / "dask"),
                    "worker",
                    "--scheduler-file",
                    str(c.scheduler_file),
                    "--nthreads",
                    "1",
                ]
            else:
                cmd = [str(BIN / "compendium"), "worker", str(c.scheduler_file), *worker_args]
            with open(tmp / f"worker-{i}.log", "w") as log:
                c.workers.append(
                    subprocess.Popen(
                        cmd + ["--name", f"w{i}", "--no-dashboard"],
                        cwd=home,
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
        _wait_for(f"{n_workers} workers", lambda: c.n_workers() == n_workers, 300)
        yield c
    finally:
        c.stop()


# --- projects and builds -------------------------------------------------------------------
def _copy_project(dest: Path) -> None:
    """The committed project (``git archive HEAD``) without raw data, tests and benchmarks.

    The commit, not the working tree: several people edit the same working tree, and a
    half-made change elsewhere must not break these builds.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for _ in range(10):  # another git command may hold the repository for a moment
        archive = subprocess.run(["git", "archive", "--format=tar", "HEAD"], cwd=ROOT, capture_output=True)
        if archive.returncode == 0:
            break
        time.sleep(2)
    else:
        raise AssertionError(f"git archive failed: {archive.stderr.decode(errors='replace')}")
    subprocess.run(
        ["tar", "-x", "-C", str(dest), "--exclude=data/raw/*", "--exclude=tests", "--exclude=benchmarks"],
        input=archive.stdout,
        check=True,
    )


def _project(base: Path, dest: Path, real: bool) -> Path:
    """A copy of ``base``; ``real``: the twin written as real exports under ``data/raw``."""
    from analysis.synth import write_twin

    shutil.copytree(base, dest, ignore=shutil.ignore_patterns("__pycache__"))
    if real:
        raw = dest / "data" / "raw"
        write_twin(raw)
        (raw / "SYNTHETIC").unlink()  # real data from here on: the build needs the key
    return dest


def _build_cmd(scheduler: Path | None) -> list[str]:
    return [str(BIN / "compendium"), "build"] + (["--scheduler", str(scheduler)] if scheduler else [])


def _build_env(proj: Path, key_file: Path) -> dict[str, str]:
    return _clean_env(
        COMPENDIUM_ROOT=str(proj), PYTHONPATH=str(proj / "src"), COMPENDIUM_PSEUDONYM_KEY_FILE=str(key_file)
    )


def _build(proj: Path, key_file: Path, scheduler: Path | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        _build_cmd(scheduler),
        cwd=proj,
        env=_build_env(proj, key_file),
        capture_output=True,
        text=True,
        timeout=2400,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def _frames_equal(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Same columns and text; numbers equal to :data:`RTOL` relative (NaN equal to NaN)."""
    if list(a.columns) != list(b.columns) or a.shape != b.shape:
        return False
    for col in a.columns:
        x, y = a[col], b[col]
        if pd.api.types.is_numeric_dtype(x) and pd.api.types.is_numeric_dtype(y):
            if not np.allclose(x.to_numpy(float), y.to_numpy(float), rtol=RTOL, atol=0.0, equal_nan=True):
                return False
        elif not x.astype(str).equals(y.astype(str)):
            return False
    return True


def compare_results(local: Path, other: Path) -> dict[str, list[str]]:
    """Every results CSV of two builds: identical, equal to :data:`RTOL`, or different."""
    names = sorted(p.relative_to(local).as_posix() for p in local.rglob("*.csv"))
    assert names, f"no results CSV under {local}"
    assert names == sorted(p.relative_to(other).as_posix() for p in other.rglob("*.csv"))
    out: dict[str, list[str]] = {"identical": [], "close": [], "different": []}
    for name in names:
        a, b = local / name, other / name
        if a.read_bytes() == b.read_bytes():
            out["identical"].append(name)
        elif _frames_equal(pd.read_csv(a), pd.read_csv(b)):
            out["close"].append(name)
        else:
            out["different"].append(name)
    return out


def _report(name: str, found: dict[str, list[str]]) -> None:
    """Print (``pytest -s``) which files were equal how."""
    print(
        f"\n{name}: {len(found['identical'])} results CSVs byte for byte, "
        f"{len(found['close'])} to {RTOL:g} relative {found['close']}, different {found['different']}"
    )


# --- fixtures --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One snapshot of the project (every build and worker runs this code) and a key outside it."""
    tmp = tmp_path_factory.mktemp("cluster")
    base = tmp / "base"
    _copy_project(base)
    secret = tmp / "secret"
    secret.mkdir()
    (secret / "key.txt").write_bytes(KEY)
    return {"tmp": tmp, "base": base, "key": secret / "key.txt"}


@pytest.fixture(scope="module")
def local_builds(work: dict[str, Path]) -> dict[str, Path]:
    """The twin and the real-format tree built on a local cluster (the reference)."""
    out = {}
    for kind in ("twin", "real"):
        proj = _project(work["base"], work["tmp"] / f"local-{kind}", real=kind == "real")
        _build(proj, work["key"])
        out[kind] = proj
    return out


@pytest.fixture(scope="module")
def cluster_builds(work: dict[str, Path]) -> dict[str, object]:
    """Both trees built on one external cluster whose workers record what they open and receive."""
    tmp = work["tmp"] / "external"
    audit = tmp / "audit"
    audit.mkdir(parents=True)
    preload = tmp / "audit_preload.py"
    preload.write_text(AUDIT_PRELOAD, encoding="utf-8")
    out: dict[str, object] = {"audit": audit}
    with cluster(
        tmp,
        work["base"],
        worker_args=("--preload", str(preload)),
        worker_env={"COMPENDIUM_TEST_AUDIT_DIR": str(audit)},
    ) as c:
        for kind in ("twin", "real"):
            proj = _project(work["base"], work["tmp"] / f"external-{kind}", real=kind == "real")
            out[f"{kind}-console"] = _build(proj, work["key"], c.scheduler_file).stdout
            out[kind] = proj
        out["workers"] = c.n_workers()
    return out


# --- the worker's own checks (make test) -------------------------------------------------------
def _worker(tmp: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    fake = tmp / "scheduler.json"
    fake.write_text("{}", encoding="utf-8")  # the checks fail before the scheduler is contacted
    return subprocess.run(
        [str(BIN / "compendium"), "worker", str(fake), *args],
        cwd=tmp,
        env=_clean_env(**env),
        capture_output=True,
        text=True,
        timeout=600,
    )


def _one_error_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    return lines[0]


def test_a_worker_without_r_does_not_start(tmp_path: Path) -> None:
    line = _one_error_line(_worker(tmp_path, R_HOME=str(tmp_path / "no-R")))
    assert "R or the model packages cannot be loaded" in line and "docs/cluster.md" in line


def test_a_worker_without_the_model_packages_does_not_start(tmp_path: Path) -> None:
    empty = str(tmp_path / "empty-library")
    line = _one_error_line(_worker(tmp_path, R_LIBS_SITE=empty, R_LIBS=empty, R_LIBS_USER=empty))
    assert "there is no package called" in line


def test_a_worker_with_other_versions_than_expected_does_not_start(tmp_path: Path) -> None:
    (tmp_path / "expect.json").write_text(json.dumps({"lme4": "0.0-1", "R": "9.9.9"}), encoding="utf-8")
    line = _one_error_line(_worker(tmp_path, "--expect", str(tmp_path / "expect.json")))
    assert "lme4" in line and "expected 0.0-1" in line and "expected 9.9.9" in line


def test_a_worker_runs_one_thread_per_process(tmp_path: Path) -> None:
    assert "one thread" in _one_error_line(_worker(tmp_path, "--nthreads", "4"))


@pytest.mark.e2e
def test_the_build_refuses_a_cluster_with_a_worker_without_r(tmp_path: Path) -> None:
    """One compendium worker and one plain ``dask worker`` without R: one line, exit 2, no fit."""
    base = tmp_path / "proj"
    _copy_project(base)
    (tmp_path / "key.txt").write_bytes(KEY)
    no_r = {"R_HOME": str(tmp_path / "no-R")}
    with cluster(tmp_path / "c", base, plain=(1,), plain_env=no_r) as c:
        t0 = time.perf_counter()
        proc = subprocess.run(
            _build_cmd(c.scheduler_file),
            cwd=base,
            env=_build_env(base, tmp_path / "key.txt"),
            capture_output=True,
            text=True,
            timeout=1200,
        )
        seconds = time.perf_counter() - t0
    line = _one_error_line(proc)
    assert "the cluster's worker tcp://127.0.0.1:" in line and "cannot load R" in line, line
    assert not list((base / "build" / "cache" / "models").rglob("*.pkl")), "a model was fitted"
    assert "notebook-03" not in proc.stdout  # refused before chapter 3 ran
    print(f"\nrefused after {seconds:.0f} s: {line}")


# --- builds on the external cluster (make test-slow) ----------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("kind", ["twin", "real"])
def test_a_build_on_an_external_cluster_equals_a_local_build(kind: str, local_builds, cluster_builds) -> None:
    assert "Data: real registrations" in cluster_builds[f"{kind}-console"] or kind == "twin"
    found = compare_results(
        local_builds[kind] / "build" / "results", cluster_builds[kind] / "build" / "results"
    )
    _report(f"{kind}, external cluster against local", found)
    assert not found["different"], found["different"]
    assert len(found["identical"]) + len(found["close"]) >= 40  # every chapter wrote its CSVs
    assert cluster_builds["workers"] == 2  # both workers were there to the end


@pytest.mark.slow
def test_workers_never_open_raw_exports_nor_receive_the_key(cluster_builds, work) -> None:
    audit: Path = cluster_builds["audit"]
    real: Path = cluster_builds["real"]
    opened = [
        line.split("\t", 1)[1]
        for log in sorted(audit.glob("open-*.log"))
        for line in log.read_text("utf-8").splitlines()
    ]
    received = b"".join(p.read_bytes() for p in sorted(audit.glob("received-*.bin")))
    # The records are real: the workers wrote the model store and the factsheets, and received
    # the frames they fitted. (An audit hook sees what Python opens; pyarrow, Typst and R open
    # files in their own code, unseen: the processed tables the factsheets read, for example.)
    assert any(p.startswith(str(real / "build" / "cache" / "models")) for p in opened)
    assert any(p.startswith(str(real / "build" / "factsheets")) for p in opened)
    assert len(received) > 1_000_000 and b"locatie" in received
    forbidden = [
        real / "data" / "raw",
        cluster_builds["twin"] / "build" / "synthetic-raw",
        work["key"].parent,
    ]
    touched = [p for p in opened if any(p.startswith(str(f)) for f in forbidden)]
    assert not touched, touched[:5]
    assert KEY not in received and KEY.hex().encode() not in received
    # Nor any youth number of the raw exports (the frames carry pseudonyms only).
    from analysis.ingest.readers import read_tables  # every export format and encoding of the twin

    numbers = set()
    for export in (real / "data" / "raw").rglob("registraties/*"):
        for table in read_tables(export):
            column = table.frame.iloc[:, list(table.header).index("nummer_jongere")]
            numbers.update(str(v) for v in column.dropna() if str(v).strip())
    assert len(numbers) > 100
    assert not [n for n in numbers if n.encode() in received][:5]
    print(
        f"\naudit: {len(opened)} paths opened or listed by {len(list(audit.glob('open-*.log')))} "
        f"processes (nannies and workers), {len(received) / 1e6:.1f} MB received, "
        f"{len(numbers)} raw youth numbers searched"
    )


@pytest.mark.slow
def test_a_worker_lost_in_the_middle_of_chapter_3_costs_time_not_results(work, local_builds) -> None:
    tmp = work["tmp"] / "lost-worker"
    proj = _project(work["base"], work["tmp"] / "lost-worker-twin", real=False)
    store = proj / "build" / "cache" / "models"
    with cluster(tmp, work["base"]) as c, open(tmp / "build.log", "w") as log:
        build = subprocess.Popen(
            _build_cmd(c.scheduler_file),
            cwd=proj,
            env=_build_env(proj, work["key"]),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            # Chapter 3 is under way once its first fits are in the model store.
            _wait_for("chapter-3 fits", lambda: len(list(store.rglob("*.pkl"))) >= 8, 1200, build)
            fitted = len(list(store.rglob("*.pkl")))
            assert "notebook-03" not in (tmp / "build.log").read_text()  # no chapter-3 step finished yet
            victim = psutil.Process(c.workers[1].pid)
            tree = [victim, *victim.children(recursive=True)]
            _kill_tree(c.workers[1])  # the node is gone: nanny and worker process
            assert not any(p.is_running() for p in tree)
            build.wait(timeout=2400)
        finally:
            _kill_tree(build)
        assert build.returncode == 0, (tmp / "build.log").read_text()[-3000:]
        assert c.n_workers() == 1  # the rest ran on the other worker
    total = len(list(store.rglob("*.pkl")))
    found = compare_results(local_builds["twin"] / "build" / "results", proj / "build" / "results")
    _report(f"lost worker after {fitted} of {total} stored fits", found)
    assert fitted < total and not found["different"], found["different"]
