"""Write chapter 1's map of the book from the table of contents, so that it cannot drift.

The map is the Markdown cell of ``book/01_introduction.ipynb`` that starts with
``## The path through the book``: one line per chapter that ``_toc.yml`` lists after the first,
in its order, each a link to the chapter titled as the chapter's own first heading, followed by
the chapter's one-line summary (``summary`` in the notebook's ``vae_tutorial`` metadata; where a
chapter has none, the first sentence of its opening paragraph). ``tests/test_book_map.py`` fails
when the cell differs from what this writes; after adding, moving or renaming a chapter, run

    python tools/book_map.py
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
INTRODUCTION = ROOT / "book" / "01_introduction.ipynb"
HEADING = "## The path through the book"
LEAD = ("Chapters 2 to 9 follow the article's path (chapter 4 adds the probability model it leaves "
        "out); the chapters after them go past it. Each link opens the chapter:")


def chapters(toc: Path = ROOT / "_toc.yml") -> list[Path]:
    """The notebooks the table of contents lists after its root, in order (its chapters, or the
    chapters of each of its parts)."""
    entries = yaml.safe_load(toc.read_text())
    groups = [entries.get("chapters", [])] + [p.get("chapters", []) for p in entries.get("parts", [])]
    return [ROOT / f"{c['file']}.ipynb" for group in groups for c in group if "file" in c]


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def entry(path: Path) -> str:
    """One line of the map: ``- [Title](file.ipynb): summary``."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    markdown = [_source(c) for c in nb["cells"] if c["cell_type"] == "markdown"]
    first = markdown[0]
    title = re.search(r"^# (.+)$", first, re.M).group(1).strip()
    summary = nb["metadata"].get("vae_tutorial", {}).get("summary")
    if not summary:
        opening = first.split("\n\n", 1)[1] if "\n\n" in first else markdown[1]
        summary = re.split(r"(?<=[.!?])\s", " ".join(opening.split()), maxsplit=1)[0]
    return f"- [{title}]({path.name}): {summary}"


def render() -> str:
    return "\n".join([HEADING, "", LEAD, "", *map(entry, chapters())])


def write() -> bool:
    """Rewrite the map cell; True when it changed."""
    nb = json.loads(INTRODUCTION.read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if c["cell_type"] == "markdown" and _source(c).startswith(HEADING)]
    if len(cells) != 1:
        raise SystemExit(f"{INTRODUCTION.name}: expected one Markdown cell starting {HEADING!r}")
    new = render()
    if _source(cells[0]) == new:
        return False
    lines = new.split("\n")
    cells[0]["source"] = [line + "\n" for line in lines[:-1]] + [lines[-1]]
    INTRODUCTION.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return True


if __name__ == "__main__":
    print("rewrote the map" if write() else "the map is current")
