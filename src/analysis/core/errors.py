"""Errors a user can cause and fix (configuration, layout, keys): one line, exit code 2.

Why a shared base class: the command line turns every :class:`UserError` into one clear line
on stderr and exit code 2 (``make report`` included), while a bug still shows its traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix; its message is one line that says what to do."""
