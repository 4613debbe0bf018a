"""Messages for people: one wrapped line on stdout (what happened) or stderr (warnings)."""

from __future__ import annotations

import sys
import textwrap


def say(message: str, file=None) -> None:
    """Print a message wrapped to notebook width (no sideways scrolling in the book)."""
    print(textwrap.fill(message, width=76, subsequent_indent="  "), file=file or sys.stdout)


def warn(message: str) -> None:
    """One wrapped line on stderr (notebooks show it too)."""
    say(message, file=sys.stderr)
