"""The compendium's own errors, and how the command line shows them.

Every error the compendium raises on purpose derives from :class:`ProjectError`. The command
line (:mod:`analysis.pipeline.cli`) prints each as one line, ``error: <what> - <what to do>``,
with exit code 2 (``make report`` included); only an exception that is not a
:class:`ProjectError` is a bug, and its traceback goes to a log file whose path is printed.

Why a ``hint`` per class: the message says what went wrong in this case, the class knows what a
user can do about that kind of problem. :class:`UserError` messages already say what to do.
"""

from __future__ import annotations


class ProjectError(Exception):
    """An error the compendium raises on purpose; shown as one line, exit code 2."""

    #: What a user can do about this kind of error (appended after " - "; empty: the
    #: message says it already).
    hint: str = ""


class UserError(ProjectError):
    """A problem the user can fix; its message is one line that says what to do."""


def one_line(exc: BaseException) -> str:
    """``<what> - <what to do>`` for ``exc`` on one line (whitespace and line ends collapsed).

    Parameters
    ----------
    exc : BaseException
        The error; a :class:`ProjectError` contributes its class's ``hint``.

    Returns
    -------
    str
        The message without line breaks, followed by the hint when the class has one.
    """
    what = " ".join(str(exc).split()) or type(exc).__name__
    hint = getattr(exc, "hint", "") if isinstance(exc, ProjectError) else ""
    return f"{what} - {hint}" if hint else what
