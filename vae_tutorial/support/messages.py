"""Messages for people: one wrapped line on stdout (what happened) or stderr (warnings)."""

from __future__ import annotations

import sys
import textwrap


def printable(text: str, stream=None) -> str:
    """``text`` as ``stream`` can print it: characters its encoding lacks become escapes, and a
    file name that is not valid UTF-8 shows its raw bytes as ``\\xff``, instead of the print
    failing with a UnicodeEncodeError (a strict ``PYTHONIOENCODING``, an ASCII terminal)."""
    encoding = getattr(stream or sys.stdout, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
        return text
    except (UnicodeEncodeError, LookupError):
        pass
    try:   # names the file system decoded with surrogateescape: back to their bytes, escaped
        return text.encode(encoding, "surrogateescape").decode(encoding, "backslashreplace")
    except (UnicodeEncodeError, LookupError):
        return text.encode("ascii", "backslashreplace").decode("ascii")


def say(message: str, file=None) -> None:
    """Print a message wrapped to notebook width (no sideways scrolling in the book)."""
    stream = file or sys.stdout
    print(printable(textwrap.fill(message, width=72, subsequent_indent="  "), stream), file=stream)


def warn(message: str) -> None:
    """One wrapped line on stderr (notebooks show it too)."""
    say(message, file=sys.stderr)
