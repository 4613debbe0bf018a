"""Every figure's alt text from the figure itself.

The package's figures carry what they show inside their PNG (a "Description" text chunk,
written by ``vae_tutorial/support/figures.py`` from the code that draws them). MyST-NB writes
each image output to a file and gives the image no alt text unless the cell's metadata sets
one (``mystnb: image: alt:``). This extension reads the chunk of every image that has no alt
text and makes it the alt text, so a screen reader says what the figure shows, not its file
name. An image that has neither keeps none, and the browser tests report it.

A figure whose colours carry meaning also says "Dark mode: as drawn" in its PNG; its image gets
the class ``as-drawn``, which the book's dark mode (``book/_static/book.css``) does not invert.
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes

KEY = "Description"
DARK_MODE_KEY, AS_DRAWN = "Dark mode", "as drawn"   # as vae_tutorial/support/figures.py writes them


def png_texts(path: Path) -> dict[str, str]:
    """Every text stored in a PNG's tEXt or iTXt chunks, by key (empty if it has none or is no
    readable PNG)."""
    try:
        from PIL import Image
        with Image.open(path) as image:
            image.load()             # text chunks after the image data are read here
            return {key: str(text) for key, text in getattr(image, "text", {}).items() if text}
    except (OSError, ValueError):
        return {}


def png_text(path: Path, key: str = KEY) -> str | None:
    """The text stored under ``key`` in a PNG's tEXt or iTXt chunks (None if there is none)."""
    return png_texts(path).get(key)


def _set_alt(app, doctree):
    for image in doctree.findall(nodes.image):
        uri = image.get("uri", "")
        if not uri.lower().endswith(".png") or "://" in uri:
            continue
        # Sphinx's image collector (which runs first) has put the path, relative to the source
        # folder, in candidates
        found = image.get("candidates", {}).get("*")
        path = Path(app.srcdir, found) if found else Path(app.env.relfn2path(uri, app.env.docname)[1])
        texts = png_texts(path)      # one read for the alt text and the dark-mode mark
        if not image.get("alt") and texts.get(KEY):
            image["alt"] = texts[KEY]
        if texts.get(DARK_MODE_KEY) == AS_DRAWN:
            image["classes"].append("as-drawn")


def setup(app):
    app.connect("doctree-read", _set_alt, priority=600)   # after the image collector (500)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
