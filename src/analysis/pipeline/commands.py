"""Handlers of the ``compendium`` subcommands (parsing lives in :mod:`analysis.pipeline.cli`).

Each handler prints what it does and its wall time, and returns the exit code. Failures are
never swallowed: an exception propagates as a non-zero exit with its message.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rich.console import Console

from analysis import SYNTHETIC_BANNER
from analysis.core.paths import Paths, default_paths
from analysis.present import format as nf

console = Console(highlight=False)


def _paths(args: argparse.Namespace) -> Paths:
    base = default_paths()
    build = getattr(args, "build", None)
    return Paths(base.root, build=build) if build else base


def _done(label: str, t0: float) -> None:
    console.print(f"[green]done[/] {label} in {nf.seconds(time.perf_counter() - t0)}")


def _terminate_on_sigterm() -> None:
    """Turn SIGTERM into KeyboardInterrupt after stopping this process's children.

    Python's default SIGTERM handling ends the process at once and leaves the Jupyter kernels
    and workers it started running (they would go on writing results into the build folder
    while the next build starts). Terminating them first makes the running steps fail; their
    state stays "running", so the next build re-runs them.
    """
    import signal

    def handler(signum: int, frame: object) -> None:
        try:
            import psutil

            for child in psutil.Process().children(recursive=True):
                child.terminate()
        except Exception:  # noqa: BLE001, S110 - best effort; the interrupt below still happens
            pass
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, handler)


def _locked(run, paths: Paths) -> int:
    """Run ``run()`` holding the build folder's lock; exit 2 when another build holds it."""
    from analysis.pipeline.incremental import BuildLocked, build_lock

    try:
        with build_lock(paths.build):
            return int(run() or 0)
    except BuildLocked as exc:
        console.print(f"[bold red]{exc}[/]")
        return 2


def cmd_synth(args: argparse.Namespace) -> int:
    """Write the synthetic twin (and optionally report calibration)."""
    from analysis import synth

    out = args.out or default_paths().synthetic_raw
    t0 = time.perf_counter()
    out = synth.main(out, args.seed, list(args.measurements or []))
    code = 0
    if args.check:
        from analysis.verify import calibration

        code = calibration.run_check(out, glmm=getattr(args, "glmm", False))
    _done(f"synth -> {out}", t0)
    return code


def cmd_ingest(args: argparse.Namespace) -> int:
    """Validate raw exports into processed tables."""
    from analysis.ingest import process as ingest

    t0 = time.perf_counter()
    code = ingest.main(args.raw, args.out, show_values=getattr(args, "show_values", False))
    _done("ingest", t0)
    return code


def cmd_new_measurement(args: argparse.Namespace) -> int:
    """Write params/meting-N.yaml from the exports of measurement N, for the user to check."""
    from analysis.ingest import newmeasurement

    paths = default_paths()
    target, m, found = newmeasurement.main(
        args.meting, args.raw or paths.raw, args.params or paths.params, force=args.force
    )
    console.print(
        f"wrote {target}: meting {m.meting}, {m.first_month} to {m.last_month}, "
        f"{m.expected_locations} locations, {int(found.per_month.sum())} registrations in "
        f"{found.files} files"
    )
    outside = found.per_month[
        (found.per_month.index < m.first_month) | (found.per_month.index > m.last_month)
    ]
    if len(outside):
        console.print(
            f"[yellow]warning[/] {int(outside.sum())} registrations in months outside the proposed "
            f"period ({', '.join(outside.index)}) will be quarantined as 'buiten periode'"
        )
    console.print(
        "Check the months, the number of locations and the label in that file (the counts per "
        "month are in its comments), then run `compendium build`."
    )
    return 0


def ingest_warnings(processed: Path) -> list[str]:
    """Warnings of the last ingest (periods, locations, marker) for the build output."""
    import json

    report = processed / "ingest_report.json"
    if not report.is_file():
        return []
    rep = json.loads(report.read_text(encoding="utf-8"))
    return [w for w in rep.get("warnings", []) if w.startswith(("meting ", "SYNTHETIC"))]


def ingest_accounting(processed: Path) -> list[str]:
    """The ingest accounting per measurement (:func:`analysis.ingest.gate.lines`); JSON only."""
    import json

    from analysis.ingest import gate

    report = processed / "ingest_report.json"
    if not report.is_file():
        return []
    return gate.lines(json.loads(report.read_text(encoding="utf-8")).get("accounting", {}))


def cmd_run(args: argparse.Namespace) -> int:
    """Execute chapter notebooks (all, or those named) with papermill."""
    from analysis.pipeline import build

    from analysis.pipeline.incremental import Runner

    paths = _paths(args)
    cfg = build.BuildConfig(paths=paths, force=True)
    wanted = set(args.notebooks or [])

    def run() -> int:
        # the same steps as the build, run through its runner: their state is verified and
        # recorded, so the next build does not run them again
        runner = Runner(paths.state, force=True)
        for factory in [f for stage in build.plan(cfg) for f in stage]:
            step = factory()
            if isinstance(step, list) or not step.name.startswith("notebook-"):
                continue
            if wanted and step.name.removeprefix("notebook-") not in wanted:
                continue
            t0 = time.perf_counter()
            runner.run(step)
            _done(step.name, t0)
        return 0

    _terminate_on_sigterm()
    return _locked(run, paths)


def cmd_render(args: argparse.Namespace) -> int:
    """Render the report from the executed notebooks and results."""
    from analysis.pipeline import build
    from analysis.pipeline.incremental import Runner

    paths = _paths(args)
    cfg = build.BuildConfig(paths=paths)
    _, synthetic = build.raw_root(cfg)

    def run() -> int:
        t0 = time.perf_counter()
        # The appendices show the verification steps' outputs: bring them up to date first.
        runner = Runner(paths.state)
        from analysis.pipeline import graph

        for factory in graph.verify_factories(cfg):
            runner.run(factory())
        out = build.render_atomic(paths, args.renderer, synthetic, build.expected_notebooks(cfg))
        for kind, path in out.items():
            console.print(f"  {kind}: {path}")
        _done("render", t0)
        return 0

    _terminate_on_sigterm()
    return _locked(run, paths)


def cmd_build(args: argparse.Namespace) -> int:
    """Build everything that is out of date."""
    from analysis.pipeline import build

    paths = _paths(args)
    cfg = build.BuildConfig(
        paths=paths,
        force=args.force,
        renderer=args.renderer,
        synthetic=True if args.synthetic else None,
        describe=getattr(args, "describe", None),
        scheduler=getattr(args, "scheduler", None),
        workers=getattr(args, "workers", 2),
    )
    if getattr(args, "graph", False):
        return _print_graph(paths)
    raw, synthetic = build.raw_root(cfg)
    if getattr(args, "dry_run", False):
        return _print_dry_run(cfg, synthetic)
    if not synthetic:
        # User errors (layout, a measurement without params, no key) end here in one line
        # with exit 2, before anything is built (see cli.main).
        from analysis.ingest.preflight import preflight  # no pandas: a no-op build stays light
        from analysis.core import measurements

        preflight(raw, measurements.load_all(paths))
    if synthetic:
        why = "--synthetic given" if args.synthetic else f"no registrations found in {paths.raw}"
        # The report and figures carry the Dutch banner; the console says the same in English.
        console.print(f"[bold yellow]Data: synthetic twin[/] (synthetic data, no real registrations; {why})")
    else:
        console.print(f"[bold]Data: real registrations[/] from {raw}")
    k = build.min_cell_size(cfg)
    console.print(
        f"Disclosure control: minimum cell size {k}"
        + (
            " (synthetic twin: every count shown)"
            if k <= 1
            else ", one decision over chapter 2, its results CSVs and the factsheets (build/disclosure)"
        )
    )

    def show(res) -> None:
        mark = "[green]ran[/]" if res.ran else "[dim]skipped[/]"
        console.print(f"  {mark} {res.name:<40} {res.seconds:6.1f} s  ({res.reason})")
        if res.name == "ingest":
            # the data story first: what ingest did to every measurement, before any notebook
            for line in ingest_accounting(paths.processed):
                console.print(f"    {line}", soft_wrap=True)

    cfg.on_step = show
    t0 = time.perf_counter()
    _terminate_on_sigterm()
    # errors (a locked build folder, an intake stop, ...) are one line through cli.main
    with console.status("building ..."):
        build.build(cfg)
    for w in ingest_warnings(paths.processed):
        console.print(f"[bold yellow]warning[/] {w}", soft_wrap=True)
    console.print(
        f"report: {paths.report_output / 'report.html'}\n        {paths.report_output / 'report.pdf'}"
    )
    _done("build", t0)
    return 0


def _print_graph(paths: Paths) -> int:
    """``compendium build --graph``: the build table, with the files of this build's families."""
    from analysis.pipeline import graphview

    for line in graphview.describe(paths):
        console.print(line, soft_wrap=True, markup=False)
    return 0


def _print_dry_run(cfg, synthetic: bool) -> int:
    """``compendium build --dry-run``: what would run and why; runs nothing."""
    from analysis.pipeline import graphview

    console.print(f"Dry run ({'synthetic twin' if synthetic else 'real registrations'}):", markup=False)
    for line in graphview.dry_run_lines(graphview.dry_run(cfg)):
        console.print(line, soft_wrap=True, markup=False)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Reproduction check against the published figures."""
    from analysis.pipeline import build
    from analysis.verify import reproduction

    paths = _paths(args)
    found = build.report_completeness(paths, build.expected_notebooks(build.BuildConfig(paths=paths)))
    console.print(("[green]" if found.ok else "[bold red]") + found.summary() + "[/]")
    for problem in found.problems[:20]:
        console.print(f"  {problem}")
    result = reproduction.check(paths)
    result.print_summary(console)
    return max(int(result.exit_code), 0 if found.ok else 1)


def cmd_release(args: argparse.Namespace) -> int:
    """Output checking, then copy what passes into ``release/``."""
    from analysis.pipeline import build, release

    paths = _paths(args)
    raw, _ = build.raw_root(build.BuildConfig(paths=paths))
    checks = release.release(paths, raw=raw, out=args.out)
    held = [c for c in checks if not c.passed]
    console.print(f"release: {len(checks) - len(held)} of {len(checks)} files passed output checking")
    for c in held:
        console.print(f"  [bold red]held back[/] {c.file}: {c.reason}")
    return 1 if held else 0


def cmd_factsheets(args: argparse.Namespace) -> int:
    """One factsheet per location."""
    from analysis.pipeline import factsheet_steps

    paths = _paths(args)
    _terminate_on_sigterm()
    return _locked(
        lambda: factsheet_steps.main(
            paths,
            location=args.location,
            measurement=args.measurement,
            scheduler=getattr(args, "scheduler", None),
            workers=getattr(args, "workers", factsheet_steps.WORKERS),
        ),
        paths,
    )


def cmd_plan(args: argparse.Namespace) -> int:
    """Planning study of the next measurement (power by simulation on Dask)."""
    from rich.table import Table

    from analysis.pipeline import plan

    paths = _paths(args)
    t0 = time.perf_counter()
    res = plan.run_plan(
        paths,
        args.plan or paths.params / "plan.yaml",
        setting=args.setting,
        nsim=args.nsim,
        scheduler=args.scheduler,
        workers=args.workers,
        from_params=args.from_params,
        outcomes=args.outcomes,
        months=args.months,
        locations=args.locations,
        changes=args.changes,
        cache_dir=paths.model_cache,
        progress=not args.no_progress,
        out=paths.build / "planning" / args.setting,
    )
    if res.synthetic:
        console.print(f"[bold yellow]{SYNTHETIC_BANNER}[/]")
    console.print(f"source: {res.truth.source}")
    for outcome, why in res.skipped.items():
        console.print(f"[red]skipped[/] {outcome}: {why}")
    table = Table(title=f"power per design ({res.study.nsim} simulations each, alpha {res.study.alpha})")
    for col in ("outcome", "months", "locations", "change", "power", "95% MC interval", "warnings", "failed"):
        table.add_column(col)
    for r in res.power.itertuples():
        table.add_row(
            r.outcome,
            str(r.months),
            str(r.locations),
            f"{r.change:+.0%}",
            f"{r.power:.3f}",
            f"{r.ci_low:.3f}-{r.ci_high:.3f}",
            str(r.n_warning),
            str(r.n_failed),
        )
    console.print(table)
    for r in res.mdc.itertuples():
        what = f"{r.mdc:.1%}" if r.reached else f"not reached up to {r.largest_studied:.0%}"
        console.print(
            f"  minimal detectable decline ({r.target:.0%} power) {r.outcome}, {r.months} months, "
            f"{r.locations} locations: {what}"
        )
    st = res.stats
    console.print(
        f"tasks {st.tasks} (stored {st.from_store}, computed {st.computed}) on {st.workers} workers "
        f"[{st.scheduler}]; cluster start {st.start_seconds:.1f} s; "
        f"CPU in tasks {sum(st.task_seconds):.1f} s"
    )
    for f in res.files:
        console.print(f"  {f}")
    _done("plan", t0)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """A Dask worker for builds on a cluster: checks, then becomes ``dask worker`` (same process)."""
    from analysis.models import worker

    flags = ["--versions"] if args.versions else []
    return worker.main([*([args.scheduler] if args.scheduler else []), *flags, *args.options])
