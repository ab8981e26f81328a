"""Command-line interface ``compendium``.

Subcommands follow the pipeline: ``synth`` -> ``ingest`` -> ``run`` -> ``render``; ``build``
does all of it (incrementally), ``check`` compares a build with the published figures and
``factsheets`` writes one factsheet per location. Imports are lazy so that ``--help`` and
the descriptive steps start fast (R and pymer4 load only where models are fitted).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis import __version__


def _add_paths(p: argparse.ArgumentParser) -> None:
    p.add_argument("--build", type=Path, default=None, help="build folder (default: build/)")


def _add_cluster(p: argparse.ArgumentParser, in_process: bool = False) -> None:
    """``--scheduler`` and ``--workers``: where the Dask fan-out runs (:mod:`analysis.models.engine`).

    Parameters
    ----------
    p : argparse.ArgumentParser
        The sub-command's parser.
    in_process : bool
        The command also runs without a cluster (``--workers 0``).
    """
    p.add_argument(
        "--scheduler",
        default=None,
        help="address of an existing Dask scheduler (tcp://host:8786) or scheduler file "
        "(default: a local cluster of --workers processes)",
    )
    zero = " (0: in this process)" if in_process else ""
    p.add_argument("--workers", type=int, default=2, help=f"worker processes of the local cluster{zero}")


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="compendium",
        description="Reproducible compendium 'Ik laat je niet alleen' (stage 3): forced "
        "seclusion in JeugdzorgPlus. Runs on data/raw/ when it holds registrations, otherwise "
        "on the synthetic twin.",
    )
    ap.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "synth",
        help="write the synthetic twin as a raw-data tree",
        description="Write a complete raw-data tree (locations, measurements 1 and 2) "
        "calibrated to the published figures. --check lists every calibration target.",
    )
    p.add_argument("--out", type=Path, default=None, help="output folder (default: build/synthetic-raw)")
    p.add_argument("--seed", type=int, default=20210531, help="random seed (same seed, same bytes)")
    p.add_argument("--check", action="store_true", help="ingest the twin and report every calibration target")
    p.add_argument(
        "--glmm",
        action="store_true",
        help="with --check: chapter-3 targets and fit verdicts from the GLMMs in R (slow) instead of "
        "the quick stand-ins",
    )
    p.add_argument(
        "--measurements",
        type=int,
        nargs="*",
        default=None,
        help="extra synthetic measurements beyond 1 and 2 (e.g. 3)",
    )

    p = sub.add_parser(
        "ingest",
        help="validate raw exports into processed tables",
        description="Read every export under --raw, validate it against the codebook, "
        "write processed tables, quarantine.csv and ingest_report.json to --out. "
        "Exit 0 when processed data was written, 2 when nothing could be processed.",
    )
    p.add_argument("--raw", type=Path, default=None, help="raw-data folder (default: data/raw)")
    p.add_argument("--out", type=Path, default=None, help="output folder (default: data/processed)")
    p.add_argument(
        "--show-values",
        action="store_true",
        help="show values of youth-number, free-text and other text columns in quarantine.csv "
        "(masked by default; the file stays in the secure environment)",
    )

    p = sub.add_parser(
        "new-measurement",
        help="write params/meting-N.yaml from the exports of measurement N",
        description="Read the registration exports of <raw>/meting-N/registraties/, find the "
        "months and locations in the data and write params/meting-N.yaml for you to check "
        "(counts per month in its comments). Exit 2 when there is nothing to read or the file "
        "exists (use --force).",
    )
    p.add_argument("meting", type=int, help="measurement number, e.g. 3")
    p.add_argument("--raw", type=Path, default=None, help="raw-data folder (default: data/raw)")
    p.add_argument("--params", type=Path, default=None, help="params folder (default: params)")
    p.add_argument("--force", action="store_true", help="overwrite an existing params/meting-N.yaml")

    p = sub.add_parser(
        "run",
        help="execute the chapter notebooks with papermill",
        description="Execute notebooks/ with papermill into <build>/notebooks.",
    )
    _add_paths(p)
    p.add_argument("notebooks", nargs="*", help="notebook names (default: all chapters)")

    p = sub.add_parser(
        "render",
        help="render the report to HTML and PDF",
        description="Render reports/ to reports/_output/report.html and report.pdf.",
    )
    _add_paths(p)
    p.add_argument(
        "--renderer",
        choices=["auto", "quarto", "pandoc"],
        default="auto",
        help="auto: quarto when on PATH, else pandoc + Typst (offline)",
    )

    p = sub.add_parser(
        "build",
        help="synth (if needed), ingest, run, render: the whole report",
        description="Build the report. Uses data/raw/ when it holds registrations, "
        "the synthetic twin otherwise. Re-runs only steps whose inputs changed.",
    )
    _add_paths(p)
    p.add_argument("--force", action="store_true", help="re-run every step")
    p.add_argument(
        "--renderer",
        choices=["auto", "quarto", "pandoc"],
        default="auto",
        help="auto: quarto when on PATH, else pandoc + Typst (offline)",
    )
    p.add_argument(
        "--synthetic", action="store_true", help="use the synthetic twin even if data/raw has data"
    )
    p.add_argument(
        "--describe",
        type=int,
        default=None,
        metavar="N",
        help="measurement that chapters 1 and 2 describe (default: the latest)",
    )
    p.add_argument(
        "--graph",
        action="store_true",
        help="print every step with its inputs and outputs (the build table) and exit",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="say which steps would run and why (never built, inputs changed, outputs missing) "
        "or that they are up to date, without running any",
    )
    _add_cluster(p)

    p = sub.add_parser(
        "check",
        help="compare the build with the published figures",
        description="Reproduction check: every published figure beside the value this "
        "build computed. Exits 1 when a figure that should match does not.",
    )
    _add_paths(p)

    p = sub.add_parser(
        "release",
        help="copy the outputs that pass output checking into release/",
        description="Output checking before anything leaves the secure environment: the "
        "report, the factsheets and the results CSVs are searched for values of "
        "identifying or free-text columns of the raw exports and their pseudonyms, and "
        "per-location counts are checked against the minimum cell size. Files that pass "
        "are copied into release/, with checks.csv and CHECKS.md (rule, cells checked, "
        "cells suppressed, reason per file). Exits 1 when a file was held back.",
    )
    _add_paths(p)
    p.add_argument("--out", type=Path, default=None, help="release folder (default: release/)")

    p = sub.add_parser(
        "factsheets",
        help="one factsheet per location (HTML + PDF)",
        description="Write one factsheet per location (Bijlage 5 of the report) as "
        "<build>/factsheets/<location>.html and .pdf: the latest month against "
        "the months before it and the national figures, over the months the "
        "location took part, after disclosure control. Only locations whose "
        "data or national figures changed are redone.",
    )
    _add_paths(p)
    p.add_argument("--location", default=None, help="only this location code")
    p.add_argument("--measurement", type=int, default=None, help="measurement number (default: latest)")
    _add_cluster(p)

    p = sub.add_parser(
        "plan",
        help="power of the next measurement by simulation (Dask)",
        description="Simulate new measurements from the fitted chapter-3 models (or from "
        "the model block of params/plan.yaml), refit them on a Dask cluster and report "
        "the power per design with Monte Carlo intervals, the minimal detectable "
        "decline and the type-I error. Stored results are re-used: an interrupted "
        "run resumes where it stopped.",
    )
    _add_paths(p)
    p.add_argument("--setting", choices=["quick", "full"], default="full", help="designs of params/plan.yaml")
    p.add_argument("--plan", type=Path, default=None, help="study file (default: params/plan.yaml)")
    _add_cluster(p, in_process=True)
    p.add_argument("--nsim", type=int, default=None, help="simulations per design")
    p.add_argument(
        "--outcomes",
        nargs="+",
        choices=["count", "duration", "isolation"],
        default=None,
        help="outcomes to plan for (default: those of the setting in the study file)",
    )
    p.add_argument("--months", type=int, nargs="+", default=None, help="months per measurement")
    p.add_argument("--locations", type=int, nargs="+", default=None, help="numbers of locations taking part")
    p.add_argument("--changes", type=float, nargs="+", default=None, help="relative changes, e.g. -0.1 -0.2")
    p.add_argument(
        "--from-params", action="store_true", help="simulate from the model block of the study file"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")

    p = sub.add_parser(
        "worker",
        help="a Dask worker for builds on a cluster (checks R and versions first)",
        description="Check that R, the model packages and this compendium load here (exit 2 with "
        "one line otherwise), apply the process settings of the build's own workers, then run "
        "`dask worker` with one thread per process. Options: --nworkers N, --expect FILE (versions "
        "the build expects, written by --versions on the build machine), --versions; any other "
        "option goes to `dask worker`. See docs/cluster.md.",
    )
    p.add_argument(
        "scheduler", nargs="?", help="scheduler address (tcp://host:8786) or scheduler file (*.json)"
    )
    p.add_argument("--versions", action="store_true", help="print this machine's versions as JSON and exit")
    p.add_argument("options", nargs=argparse.REMAINDER, help="worker options (see above)")
    return ap


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code.

    Every error the compendium raises on purpose (:class:`analysis.core.errors.ProjectError`)
    is one line on stderr, ``error: <what> - <what to do>``, exit code 2. Any other exception
    is a bug: its traceback goes to a log file in the build folder and stderr gets one line
    with that file's path, exit code 1. No traceback reaches the terminal either way.
    """
    args = _parser().parse_args(argv)
    from analysis.core.errors import ProjectError, one_line

    try:
        from analysis.pipeline import commands  # lazy: keeps --help fast

        handler = getattr(commands, f"cmd_{args.command.replace('-', '_')}")
        return int(handler(args) or 0)
    except ProjectError as exc:  # a problem the user can act on: one line, no traceback
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM (commands turn it into this): not a bug
        print("error: interrupted - steps that did not finish are re-run by the next build", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - a bug: the traceback goes to a log, not the terminal
        log = _log_traceback(args, exc)
        print(
            f"error: unexpected {type(exc).__name__} in compendium {args.command} - this is a bug, "
            f"not a problem with your data; the traceback is in {log}; please report it",
            file=sys.stderr,
        )
        return 1


def _log_traceback(args: argparse.Namespace, exc: BaseException) -> Path:
    """Write ``exc``'s traceback to ``<build>/logs/`` (a temporary folder if that fails); its path.

    Why the build folder: a traceback may quote values from the data, so it stays on the
    secure side with the rest of the build (never in ``release/``).
    """
    import os
    import tempfile
    import time
    import traceback

    body = "".join(traceback.format_exception(exc))
    name = f"error-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    try:
        from analysis.pipeline.commands import _paths

        folder = _paths(args).logs
        folder.mkdir(parents=True, exist_ok=True)
    except Exception:  # noqa: BLE001 - no build folder (bad root, read-only): any writable place will do
        folder = Path(tempfile.gettempdir())
    path = folder / name
    path.write_text(f"compendium {args.command}\n{body}", encoding="utf-8")
    return path


if __name__ == "__main__":
    sys.exit(main())
