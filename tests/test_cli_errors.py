"""Every error a user can meet is one line: ``error: <what> - <what to do>``, never a traceback.

Every :class:`analysis.core.errors.ProjectError` subclass defined anywhere in the package is
raised from inside ``compendium build`` and must come out as one line on stderr with exit
code 2; any other exception is a bug: one line with the path of a log file that holds the
traceback, exit code 1. ``make report`` passes the one line and the exit code on.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import shutil
import subprocess
from pathlib import Path

import pytest

import analysis
from analysis.core.errors import ProjectError, UserError, one_line
from analysis.pipeline import cli

# modules that start R or a notebook kernel on import are not needed to find error classes
SKIP = ("analysis.pipeline.kernel",)


def _project_errors() -> list[type[ProjectError]]:
    for mod in pkgutil.walk_packages(analysis.__path__, "analysis."):
        if not mod.name.startswith(SKIP):
            importlib.import_module(mod.name)
    seen, todo = [], [ProjectError]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("analysis.") and sub not in seen:
                seen.append(sub)
                todo.append(sub)
    return sorted(seen, key=lambda c: f"{c.__module__}.{c.__name__}")


ERRORS = _project_errors()


def _instance(cls: type[ProjectError]) -> ProjectError:
    """An instance with a two-line message (the command line must make it one)."""
    try:
        return cls("first line of the problem\nsecond line")
    except TypeError:  # a class with a structured constructor: bypass it, keep the message
        exc = cls.__new__(cls)
        Exception.__init__(exc, "first line of the problem\nsecond line")
        return exc


def test_every_kind_of_error_is_found():
    names = {c.__name__ for c in ERRORS}
    # the classes a build meets most; a new class anywhere in the package joins automatically
    assert {"UserError", "ParamsError", "IngestError", "MissingKey", "IntakeStop", "BuildLocked"} <= names
    assert {"DisclosureError", "ContractError", "NotebookFailed", "RenderError", "StepFailed"} <= names


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__name__)
def test_project_error_is_one_line_exit_2(cls, monkeypatch, capsys, tmp_path):
    from analysis.pipeline import build

    exc = _instance(cls)

    def boom(cfg):
        raise exc

    monkeypatch.setattr(build, "build", boom)
    code = cli.main(["build", "--synthetic", "--build", str(tmp_path / "build")])
    err = capsys.readouterr().err
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0] == f"error: {one_line(exc)}"
    assert lines[0].startswith("error: first line of the problem second line")
    if not issubclass(cls, UserError):
        # a class whose message says what went wrong in this case says what to do through its hint
        assert cls.hint and lines[0].endswith(f" - {cls.hint}"), cls


def test_unexpected_error_logs_its_traceback(monkeypatch, capsys, tmp_path):
    from analysis.pipeline import build

    def boom(cfg):
        raise KeyError("a bug")

    monkeypatch.setattr(build, "build", boom)
    code = cli.main(["build", "--synthetic", "--build", str(tmp_path / "build")])
    err = capsys.readouterr().err
    assert code == 1
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err
    assert lines[0].startswith("error: unexpected KeyError in compendium build - this is a bug")
    logs = list((tmp_path / "build" / "logs").glob("error-*.log"))
    assert len(logs) == 1 and str(logs[0]) in lines[0]
    body = logs[0].read_text()
    assert "Traceback" in body and "KeyError: 'a bug'" in body


def test_make_report_passes_the_line_and_exit_code_on(tmp_path):
    """``make report`` on a project with a re-delivered export: one error line, exit 2, no traceback."""
    from analysis.core.paths import find_root
    from ingest_fixtures import KEY, make_tree, valid_rows
    from test_leak_build import _copy_project

    root = find_root()
    proj = tmp_path / "proj"
    _copy_project(proj)
    shutil.move(str(make_tree(tmp_path, valid_rows(20))), proj / "data" / "raw")
    reg = proj / "data" / "raw" / "meting-2" / "registraties"
    shutil.copy(reg / "export.csv", reg / "resent.csv")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPENDIUM_", "MAKE"))}
    env.update(COMPENDIUM_ROOT=str(proj), PYTHONPATH=str(proj / "src"), COMPENDIUM_PSEUDONYM_KEY=KEY.decode())
    proc = subprocess.run(
        # -o setup: the environment is this checkout's (setup would install the copy into it)
        ["make", "-s", "-o", "setup", "report", f"VENV={root / '.venv'}"],
        cwd=proj,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 1 and "resent.csv" in errors[0] and "export.csv" in errors[0], proc.stderr
    # make adds its own line naming the target; nothing else reaches stderr
    others = [ln for ln in proc.stderr.splitlines() if ln.strip() and not ln.startswith(("error: ", "make"))]
    assert others == [], proc.stderr
    assert Path(proj / "data" / "processed" / "ingest_report.json").exists()
