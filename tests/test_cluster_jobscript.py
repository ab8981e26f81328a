"""The SLURM recipe of docs/cluster.md: the job script dask-jobqueue renders starts compendium workers.

``SLURMCluster`` renders its sbatch script without SLURM (its scheduler listens on loopback
here). The script is checked line by line, then run with ``bash`` as a batch node would run it:
its workers must join the scheduler, pass the build's check and run with the process settings
of the build's own workers (one thread, one BLAS thread, a fixed memory layout).
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from analysis.core.paths import find_root
from analysis.core.processes import ADDR_NO_RANDOMIZE, THREAD_VARIABLES
from analysis.models import worker

dask_jobqueue = pytest.importorskip("dask_jobqueue")

ROOT = find_root()
PROLOGUE = [f"cd {ROOT}", f"export R_LIBS_USER={ROOT / '.r-lib'}"]


@pytest.fixture
def slurm():
    """A ``SLURMCluster`` of two-process jobs as docs/cluster.md configures it."""
    cluster = dask_jobqueue.SLURMCluster(
        **worker.jobqueue_options(
            processes=2,
            memory="4GB",
            walltime="00:30:00",
            prologue=PROLOGUE,
            queue="normal",
            scheduler_options={"host": "127.0.0.1", "dashboard_address": None},
        )
    )
    try:
        yield cluster
    finally:
        cluster.close()


def _worker_line(script: str) -> list[str]:
    lines = [ln for ln in script.splitlines() if "-m analysis.models.worker" in ln]
    assert len(lines) == 1, script
    return shlex.split(lines[0])


def test_the_job_script_starts_the_compendium_worker(slurm) -> None:
    script = slurm.job_script()
    assert "#SBATCH --cpus-per-task=2" in script and "#SBATCH -t 00:30:00" in script
    assert "#SBATCH -p normal" in script
    assert all(line in script for line in PROLOGUE)
    cmd = _worker_line(script)
    assert cmd[:3] == [sys.executable, "-m", "analysis.models.worker"]
    assert cmd[3] == slurm.scheduler_address
    args, extra = worker._parser().parse_known_args(cmd[3:])
    assert (args.nthreads, args.nworkers) == (1, 2)  # one R session per core of the job
    dask_cmd = worker.dask_worker_command(args.scheduler, args.nworkers, extra)
    assert dask_cmd[dask_cmd.index("--nthreads") + 1] == "1"
    assert dask_cmd[dask_cmd.index("--preload-nanny") + 1] == "analysis.models.worker"
    assert "--memory-limit" in extra and "--death-timeout" in extra


def _spawned_workers(root: psutil.Process) -> list[psutil.Process]:
    return [p for p in root.children(recursive=True) if "spawn_main" in " ".join(p.cmdline())]


def test_the_job_script_run_as_a_batch_node_would_gives_checked_workers(slurm, tmp_path: Path) -> None:
    script = slurm.job_script().replace("dummy-name", "node-1")
    (tmp_path / "job.sh").write_text(script, encoding="utf-8")
    with open(tmp_path / "job.log", "w") as log:
        job = subprocess.Popen(["bash", str(tmp_path / "job.sh")], stdout=log, stderr=subprocess.STDOUT)
    try:
        from distributed import Client

        with Client(slurm.scheduler_address, timeout=30) as c:
            t0 = time.monotonic()
            while len(c.scheduler_info(n_workers=-1)["workers"]) < 2:
                assert job.poll() is None, (tmp_path / "job.log").read_text()
                assert time.monotonic() - t0 < 300, "the job's workers did not join"
                time.sleep(0.5)
        # The build's check through the scheduler: R and the model packages as on this machine
        # (the code digest is left out: others may be editing this working tree right now).
        want = {k: v for k, v in worker.expected().items() if k != "analysis code"}
        found = worker.check_cluster(slurm.scheduler_address, want=want)
        assert len(found) == 2 and all(env["lme4"] == want["lme4"] for env in found.values())
        procs = _spawned_workers(psutil.Process(job.pid))
        assert len(procs) == 2
        for p in procs:
            env = p.environ()
            assert all(env.get(v) == "1" for v in THREAD_VARIABLES), env
            personality = int(Path(f"/proc/{p.pid}/personality").read_text(), 16)
            assert personality & ADDR_NO_RANDOMIZE, "memory layout not fixed"
        assert "compendium worker: R " in (tmp_path / "job.log").read_text()
    finally:
        try:
            root = psutil.Process(job.pid)
            tree = root.children(recursive=True) + [root]
        except psutil.NoSuchProcess:
            tree = []
        for p in tree:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(tree, timeout=30)
