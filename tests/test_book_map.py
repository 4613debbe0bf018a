"""Chapter 1's map of the book is the table of contents (tools/book_map.py writes it)."""

from __future__ import annotations

import json

import book_map   # tools/ (pyproject's pythonpath)


def test_the_map_lists_every_chapter_of_the_table_of_contents_in_order():
    """After a chapter is added, moved or renamed, ``python tools/book_map.py`` rewrites it."""
    nb = json.loads(book_map.INTRODUCTION.read_text(encoding="utf-8"))
    cells = ["".join(c["source"]) for c in nb["cells"]
             if c["cell_type"] == "markdown" and "".join(c["source"]).startswith(book_map.HEADING)]
    assert cells == [book_map.render()], "chapter 1's map differs from _toc.yml: run python tools/book_map.py"
    linked = [line.split("](")[1].split(")")[0] for line in cells[0].splitlines() if line.startswith("- [")]
    assert linked == [p.name for p in book_map.chapters()]
    assert len(linked) >= 11

