"""The chapters' Markdown is what every front end renders, and the book still makes its boxes.

JupyterLab and Colab render notebook Markdown without MyST: a directive fence shows as a code
block, a role or a target as raw text. Every Markdown cell is rendered here with a plain
CommonMark renderer (markdown-it-py, tables on, no MyST plugins) and searched for them. Before
issue 30 the chapters held 132 (66 exercise and solution fences, 8 notes, tips, margins and
warnings, 58 ``{doc}`` roles); now none. What only the book needs comes from cell tags, which
book/_ext/tagged_cells.py turns into the MyST the book builds from; the last tests check the
built pages."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

import tagged_cells   # book/_ext (pyproject's pythonpath)

# markdown-it-py comes with the book extra (MyST's parser is built on it); the stacks that install
# only the test extra (tests/test_colab_stack.py) skip this file, whose answer is the same there
MarkdownIt = pytest.importorskip("markdown_it", reason="needs markdown-it-py (the book extra)").MarkdownIt

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))
COMMONMARK = MarkdownIt("commonmark").enable("table")
ROLE = re.compile(r"\{[\w:.-]+\}$")                       # text right before a `code` span
TARGET = re.compile(r"^\([\w.:-]+\)=\s*$", re.M)           # (label)= on a line of its own
COLON_FENCE = re.compile(r"^:{3,}\s*\{[\w-]+\}", re.M)     # :::{note}


def notebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def markdown_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "markdown"]


def myst_constructs(markdown: str) -> list[str]:
    """The MyST-only constructs a plain CommonMark renderer leaves as raw text in ``markdown``:
    directive fences (a code block whose info string is ``{name}``, or a ``:::{name}`` line),
    roles (``{name}`` right before inline code) and targets (``(label)=``), also inside a
    directive's body."""
    found = []

    def walk(tokens):
        for i, token in enumerate(tokens):
            if token.type == "fence" and token.info.strip().startswith("{"):
                found.append("fence " + token.info.split()[0])
                walk(COMMONMARK.parse(token.content))   # a directive's body is MyST too
            elif token.type == "inline":
                found.extend("fence " + m.group(0).lstrip(": ") for m in COLON_FENCE.finditer(token.content))
                found.extend("target " + m.group(0).strip() for m in TARGET.finditer(token.content))
                walk(token.children or [])
            elif token.type == "code_inline" and i and tokens[i - 1].type == "text":
                role = ROLE.search(tokens[i - 1].content)
                if role:
                    found.append("role " + role.group(0))

    walk(COMMONMARK.parse(markdown))
    return found


def count(nb: dict) -> Counter:
    return Counter(c for cell in markdown_cells(nb) for c in myst_constructs("".join(cell["source"])))


def test_the_detector_finds_each_kind_of_myst_construct():
    sample = ("See {doc}`07_training` and {ref}`ex-06-kl`.\n\n(my-target)=\n## A heading\n\n"
              "````{exercise} Title\n:label: ex-1\n\nText with `code`.\n````\n\n"
              ":::{note}\nA note.\n:::\n\n> ```{margin} Adam\n> In a quote, {doc}`07_training`.\n> ```\n\n"
              "Plain `code`, {a set} `x`? $\\{x\\}$ and ```python\nprint(1)\n```\n")
    assert Counter(myst_constructs(sample)) == Counter(
        ["role {doc}", "role {ref}", "target (my-target)=", "fence {exercise}", "fence {note}",
         "fence {margin}", "role {doc}"])
    assert myst_constructs("| a | b |\n|---|---|\n| $x$ | `y` |\n\n<details><summary>s</summary>\n\nt\n</details>\n") == []


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_markdown_cells_hold_no_myst_syntax(path):
    found = count(notebook(path))
    assert not found, f"{path.name}: {dict(found)} (plain Markdown and cell tags instead: book/_ext/tagged_cells.py)"


def test_the_book_gets_every_box_back_from_the_tags():
    """Rewritten for the book, the chapters hold the directives the MyST versions held: an
    exercise box and a dropdown solution for each of the 30 exercises, and the 6 notes, tips,
    margins and warnings (the detector counts the fences the book will see)."""
    total = sum((count(tagged_cells.to_myst(notebook(p))) for p in CHAPTERS), Counter())
    assert total == Counter({"fence {exercise}": 30, "fence {solution-start}": 30, "fence {solution-end}": 30,
                             "fence {margin}": 2, "fence {admonition}": 1, "fence {note}": 2,
                             "fence {warning}": 1})


def test_links_between_chapters_are_markdown_links_to_their_notebooks():
    """``[Training](07_training.ipynb)`` opens the notebook in JupyterLab and Colab, and the book
    resolves it to the page; every local link names a chapter that exists."""
    names = {p.name for p in CHAPTERS}
    seen = 0
    for path in CHAPTERS:
        for cell in markdown_cells(notebook(path)):
            for token in COMMONMARK.parse("".join(cell["source"])):
                for child in token.children or []:
                    href = child.attrGet("href") if child.type == "link_open" else None
                    if href and not re.match(r"[a-z]+:|#", href):
                        seen += 1
                        assert href in names, f"{path.name}: a link to {href!r}, which is no chapter"
    assert seen >= 50


def _tagged(path: Path, tag: str) -> list[dict]:
    return [c for c in notebook(path)["cells"] if tag in c["metadata"].get("tags", [])]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_exercises_and_solutions_are_tagged_and_solutions_hidden_everywhere(path):
    """Each exercise is a Markdown cell headed "Exercise: <title>" with its label, each is
    followed by its solution, and each solution's code is collapsed in JupyterLab
    (``jupyter.source_hidden``) and a form titled "Solution" in Colab (``#@title``, ``cellView:
    form``). What a solution prints stays visible once it runs: every exercise without a check
    says in its text what the reader should see."""
    nb = notebook(path)
    tagged_cells.to_myst(nb)                  # raises TaggedCellError on a malformed cell
    chapter = path.stem[:2]
    current = None
    for cell in nb["cells"]:
        tags, source = cell["metadata"].get("tags", []), "".join(cell["source"])
        if "exercise" in tags:
            assert cell["cell_type"] == "markdown"
            title, _ = tagged_cells.exercise_title(cell)
            assert re.fullmatch(rf"ex-{chapter}-[a-z0-9-]+", cell["metadata"].get("label", "")), title
            assert current is None or current["solutions"], f"{current['title']} has no solution"
            current = {"title": title, "text": source, "solutions": []}
        elif "solution" in tags:
            assert current is not None and cell["cell_type"] == "code"
            assert cell["metadata"].get("jupyter", {}).get("source_hidden") is True, current["title"]
            assert cell["metadata"].get("cellView") == "form" and source.startswith("#@title Solution\n")
            if "exercises.check(" not in source:
                assert "What you should see" in current["text"], current["title"]
            current["solutions"].append(source)
    assert current is None or current["solutions"], f"{current['title']} has no solution"


def test_exercise_labels_are_unique_across_the_book():
    labels = [c["metadata"]["label"] for p in CHAPTERS for c in _tagged(p, "exercise")]
    assert len(labels) == len(set(labels)) == 30


def test_tagged_cells_that_break_the_rules_are_named():
    with pytest.raises(tagged_cells.TaggedCellError, match="opens with '### Exercise: <title>'"):
        tagged_cells.to_myst({"cells": [{"cell_type": "markdown", "metadata": {"tags": ["exercise"]},
                                         "source": "Exercise 1\n\ntext"}]})
    with pytest.raises(tagged_cells.TaggedCellError, match="follows no labelled exercise"):
        tagged_cells.to_myst({"cells": [{"cell_type": "code", "metadata": {"tags": ["solution"]},
                                         "source": "x = 1"}]})
    with pytest.raises(tagged_cells.TaggedCellError, match="block quote"):
        tagged_cells.to_myst({"cells": [{"cell_type": "markdown", "metadata": {"tags": ["note"]},
                                         "source": "Not quoted."}]})


def test_the_rewrite_for_the_book():
    cells = [{"cell_type": "markdown", "metadata": {"tags": ["exercise"], "label": "ex-01-a"},
              "source": "### Exercise: Add `a`\n\nUse ```` ``` ```` fences.\n"},
             {"cell_type": "code", "metadata": {"tags": ["solution"]}, "source": "#@title Solution\n1"},
             {"cell_type": "code", "metadata": {"tags": ["solution"]}, "source": "2"},
             {"cell_type": "markdown", "metadata": {"tags": ["tip"]}, "source": "> **Try**\n>\n> - this"},
             {"cell_type": "markdown", "metadata": {"tags": ["margin"]}, "source": "> **Adam**\n> An optimiser."},
             {"cell_type": "markdown", "metadata": {"tags": ["note"]}, "source": "> **Bold** start.\n> More."}]
    out = [c if c["cell_type"] == "code" else c["source"] for c in tagged_cells.to_myst({"cells": cells})["cells"]]
    assert out == ["`````{exercise} Add `a`\n:label: ex-01-a\n\nUse ```` ``` ```` fences.\n`````",
                   "```{solution-start} ex-01-a\n:class: dropdown\n```", cells[1], cells[2],
                   "```{solution-end}\n```",
                   "```{admonition} Try\n:class: tip\n\n- this\n```",
                   "```{margin} Adam\n\nAn optimiser.\n```",
                   "```{note}\n\n**Bold** start.\nMore.\n```"]


# --------------------------------------------------------------------------- the built pages

class _Boxes:
    """Counts of the book's boxes in a built page's HTML."""
    PATTERNS = {"exercise": r'<div class="exercise admonition" id="ex-',
                "solution": r'<div class="solution dropdown admonition"',
                "margin": r'<aside class="margin sidebar"',
                "tip": r'<div class="tip admonition"',
                "note": r'<div class="admonition note"',
                "warning": r'<div class="admonition warning"'}

    @classmethod
    def of(cls, html: str) -> dict[str, int]:
        return {name: len(re.findall(pattern, html)) for name, pattern in cls.PATTERNS.items()}


def test_every_chapter_page_has_its_numbered_exercises_hidden_solutions_and_notes(built_book):
    """The built pages: one numbered exercise box per exercise cell (each with its label as its
    anchor), one dropdown solution per exercise, linking back to it, and each note, tip, warning
    and margin note styled as one."""
    numbers = []
    for path in CHAPTERS:
        html = (built_book / "book" / f"{path.stem}.html").read_text(encoding="utf-8")
        exercises = _tagged(path, "exercise")
        expected = {"exercise": len(exercises), "solution": len(exercises),
                    **{kind: len(_tagged(path, kind)) for kind in ("margin", "tip", "note", "warning")}}
        assert _Boxes.of(html) == expected, path.stem
        for cell in exercises:
            label = cell["metadata"]["label"]
            assert f'id="{label}"' in html and f'href="#{label}"' in html, label
        numbers += [int(n) for n in re.findall(r'<span class="caption-number">Exercise (\d+) </span>', html)]
    assert numbers == list(range(1, 31)), "the exercises are numbered through the book"
    assert "{doc}" not in "".join((built_book / "book" / f"{p.stem}.html").read_text() for p in CHAPTERS)
