"""Why the Teams adapter would not start: one line naming the setting to fix."""
from __future__ import annotations


class TeamsStartError(RuntimeError):
    """A setting the Teams adapter cannot start with; the message names it."""
