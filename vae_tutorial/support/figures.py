"""Figures that say what they show: each figure's alt text travels inside its PNG.

``plots.py`` describes every figure it draws (its title and what is in it, with the numbers a
sighted reader would read off it) and calls :func:`describe`. In a notebook, the PNG that
shows the figure then carries that text as its "Description" (an ``iTXt`` chunk, UTF-8), and
the book's Sphinx extension (``book/_ext/figure_alt.py``) makes it the image's alt text. So the
text comes from the code that draws the figure and cannot drift from it, and no chapter types
it. (MyST-NB takes an image's alt text from cell metadata only, ``mystnb: image: alt:``, which
still wins where a chapter sets it; output metadata gives it just width and height.)

Outside IPython the text stays on the figure: :func:`alt_text`.
"""

from __future__ import annotations

import base64
import struct
import zlib

from matplotlib.figure import Figure

KEY = "Description"
# A figure whose colours carry meaning (a colour scale: "bright means wrong") says so in its PNG
# too; the book's dark mode, which inverts figures, then shows it as drawn.
DARK_MODE_KEY, AS_DRAWN = "Dark mode", "as drawn"
_ATTRIBUTE = "_vae_tutorial_alt"
_AS_DRAWN_ATTRIBUTE = "_vae_tutorial_as_drawn"


def describe(fig: Figure, text: str, as_drawn: bool = False) -> Figure:
    """Attach ``text`` to ``fig`` as its alt text and make sure IPython's PNGs carry it. With
    ``as_drawn``, the PNG also says that its colours carry meaning, so the book's dark mode does
    not invert it."""
    setattr(fig, _ATTRIBUTE, " ".join(text.split()))
    setattr(fig, _AS_DRAWN_ATTRIBUTE, as_drawn)
    _wrap_png_formatter()
    return fig


def alt_text(fig: Figure) -> str | None:
    """The alt text :func:`describe` attached to ``fig`` (None if there is none)."""
    return getattr(fig, _ATTRIBUTE, None)


def with_text(png: bytes, key: str, text: str) -> bytes:
    """``png`` with an iTXt chunk ``key: text`` right after its header chunk (IHDR)."""
    # keyword, NUL, not compressed (0, method 0), no language tag, NUL, no translated keyword, NUL
    body = key.encode("latin-1") + b"\0" + b"\0\0" + b"\0" + b"\0" + text.encode("utf-8")
    chunk = struct.pack(">I", len(body)) + b"iTXt" + body + \
        struct.pack(">I", zlib.crc32(b"iTXt" + body) & 0xFFFFFFFF)
    end_of_header = 8 + 4 + 4 + 13 + 4    # signature, then IHDR: length, type, 13 bytes, CRC
    return png[:end_of_header] + chunk + png[end_of_header:]


def _wrap_png_formatter() -> None:
    """Wrap IPython's PNG printer for matplotlib figures (whatever the inline backend set up:
    png or retina, its print_figure_kwargs) so the PNG it makes carries the figure's text.
    Done again whenever the backend has replaced the printer (a %matplotlib or %config call)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return
    formatter = shell.display_formatter.formatters["image/png"]
    try:
        printer = formatter.lookup_by_type(Figure)
    except KeyError:             # no PNGs for figures (svg only, or no inline backend)
        return
    if getattr(printer, "_vae_tutorial", False):
        return

    def print_png(fig):
        result = printer(fig)
        data, metadata = result if isinstance(result, tuple) else (result, None)   # retina: both
        text = alt_text(fig)
        if not data or not text:
            return result
        as_text = isinstance(data, str)               # base64, as the inline backend gives it
        png = with_text(base64.b64decode(data) if as_text else data, KEY, text)
        if getattr(fig, _AS_DRAWN_ATTRIBUTE, False):
            png = with_text(png, DARK_MODE_KEY, AS_DRAWN)
        data = base64.b64encode(png).decode("ascii") if as_text else png
        return data if metadata is None else (data, metadata)

    print_png._vae_tutorial = True
    formatter.for_type(Figure, print_png)
