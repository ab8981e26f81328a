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
    code = ingest.main(args.raw, args.out)
    _done("ingest", t0)
    return code


def cmd_run(args: argparse.Namespace) -> int:
    """Execute chapter notebooks (all, or those named) with papermill."""
    from analysis.pipeline import build

    cfg = build.BuildConfig(paths=_paths(args), force=True)
    wanted = set(args.notebooks or [])
    for factory in [f for stage in build.plan(cfg) for f in stage]:
        step = factory()
        if isinstance(step, list) or not step.name.startswith("notebook-"):
            continue
        if wanted and step.name.removeprefix("notebook-") not in wanted:
            continue
        t0 = time.perf_counter()
        step.action()
        _done(step.name, t0)
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    """Render the report from the executed notebooks and results."""
    from analysis.pipeline import build
    from analysis.report import render

    paths = _paths(args)
    _, synthetic = build.raw_root(build.BuildConfig(paths=paths))
    t0 = time.perf_counter()
    out = render.render(paths, renderer=args.renderer, synthetic=synthetic)
    for kind, path in out.items():
        console.print(f"  {kind}: {path}")
    _done("render", t0)
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    """Build everything that is out of date."""
    from analysis.pipeline import build

    paths = _paths(args)
    cfg = build.BuildConfig(paths=paths, force=args.force, renderer=args.renderer,
                            synthetic=True if args.synthetic else None)
    raw, synthetic = build.raw_root(cfg)
    if synthetic:
        console.print(f"[bold yellow]Data: synthetic twin[/] ({SYNTHETIC_BANNER}); "
                      f"no registrations found in {paths.raw}")
    else:
        console.print(f"[bold]Data: real registrations[/] from {raw}")

    def show(res) -> None:
        mark = "[green]ran[/]" if res.ran else "[dim]skipped[/]"
        console.print(f"  {mark} {res.name:<40} {res.seconds:6.1f} s  ({res.reason})")

    cfg.on_step = show
    t0 = time.perf_counter()
    with console.status("building ..."):
        build.build(cfg)
    console.print(f"report: {paths.report_output / 'report.html'}\n        {paths.report_output / 'report.pdf'}")
    _done("build", t0)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Reproduction check against the published figures."""
    from analysis.verify import reproduction

    result = reproduction.check(_paths(args))
    result.print_summary(console)
    return int(result.exit_code)


def cmd_factsheets(args: argparse.Namespace) -> int:
    """One factsheet per location."""
    from analysis.pipeline import factsheets

    return int(factsheets.main(_paths(args), location=args.location, measurement=args.measurement))
