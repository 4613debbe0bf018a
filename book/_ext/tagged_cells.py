"""The book's exercise boxes, hidden solutions, notes, tips and margin notes, from cell tags.

The chapters are read in JupyterLab and Colab too, and those render plain Markdown (CommonMark,
tables, maths, HTML), not MyST: a directive or a role shows there as raw text. So a chapter's
Markdown stays plain, and a cell's tags say what the book makes of it. As Sphinx reads each
notebook (``source-read``), this extension rewrites the tagged cells into the MyST that
sphinx-exercise and the admonitions understand, so the pages are what they were:

- ``exercise``: a Markdown cell that opens with the heading ``### Exercise: <title>``. Its cell
  metadata ``label`` (``"ex-06-kl"``) is the exercise's anchor. It becomes sphinx-exercise's
  numbered ``exercise`` box, titled ``<title>``.
- ``solution``: the cells that follow an exercise and answer it. Each run of them becomes one
  hidden (dropdown) ``solution`` to the exercise above. In JupyterLab a solution's code is
  collapsed (cell metadata ``jupyter.source_hidden``); in Colab it is a form (``#@title
  Solution``, ``cellView: form``). tests/test_notebook_markdown.py checks both.
- ``note``, ``tip``, ``warning``, ``margin``: a Markdown cell written as a block quote; a first
  line that is only bold text (``> **Adam**``) is its title. It becomes that admonition (a tip or
  note with a title is an ``admonition`` of that class) or margin note.

Links between chapters need nothing here: a Markdown link to the notebook
(``[Training](07_training.ipynb)``) opens the notebook in JupyterLab and Colab, and MyST
resolves it to the page (a missing chapter fails the ``-n`` build).
"""

from __future__ import annotations

import json
import re

EXERCISE_HEADING = re.compile(r"#{1,6} +Exercise: *(?P<title>.+?) *")
BOLD_TITLE = re.compile(r"\*\*(?P<title>[^*]+)\*\*")
ASIDES = ("note", "tip", "warning", "margin")
ROLES = ("exercise", "solution", *ASIDES)


class TaggedCellError(ValueError):
    """A tagged cell the book cannot turn into its box (the message names the cell)."""


def cell_tags(cell: dict) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def source(cell: dict) -> str:
    text = cell.get("source", "")
    return text if isinstance(text, str) else "".join(text)


def _fenced(head: str, body: str) -> str:
    """A MyST directive around ``body``, its fence longer than any backtick run inside."""
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{head}\n{body.strip(chr(10))}\n{fence}"


def exercise_title(cell: dict) -> tuple[str, str]:
    """(title, body) of an exercise cell: its first line is ``### Exercise: <title>``."""
    first, _, body = source(cell).partition("\n")
    found = EXERCISE_HEADING.fullmatch(first.strip())
    if not found:
        raise TaggedCellError(f"an exercise cell opens with '### Exercise: <title>', not {first!r}")
    return found["title"], body


def unquote(text: str) -> str:
    """The text of a Markdown block quote (every line starts with ``>``)."""
    lines = text.strip("\n").split("\n")
    if not all(line.startswith(">") for line in lines):
        raise TaggedCellError(f"a note, tip, warning or margin cell is a block quote ('> ' on "
                              f"every line): {text[:60]!r}")
    return "\n".join(line[2:] if line.startswith("> ") else line[1:] for line in lines)


def _exercise(cell: dict) -> str:
    title, body = exercise_title(cell)
    label = cell.get("metadata", {}).get("label")
    options = f":label: {label}\n" if label else ""
    return _fenced(f"{{exercise}} {title}\n{options}", body)


def _aside(kind: str, cell: dict) -> str:
    body = unquote(source(cell))
    first, _, rest = body.partition("\n")
    titled = BOLD_TITLE.fullmatch(first.strip())
    title, body = (titled["title"], rest) if titled else (None, body)
    if kind == "margin":
        head = "{margin}" + (f" {title}" if title else "")
    elif title:
        head = f"{{admonition}} {title}\n:class: {kind}"
    else:
        head = f"{{{kind}}}"
    return _fenced(head + "\n", body)


def _markdown(text: str, cell_id: str) -> dict:
    return {"cell_type": "markdown", "id": cell_id, "metadata": {}, "source": text}


def role(cell: dict) -> str | None:
    """Which of the book's boxes the cell is (its tag), or None."""
    found = [tag for tag in cell_tags(cell) if tag in ROLES]
    if len(found) > 1:
        raise TaggedCellError(f"a cell has one of the tags {ROLES}, not several: {found}")
    return found[0] if found else None


def to_myst(notebook: dict) -> dict:
    """The notebook with its tagged cells rewritten into MyST directives (a new dict)."""
    cells, label, open_solution = [], None, False
    for cell in notebook["cells"]:
        kind = role(cell)
        if open_solution and kind != "solution":
            cells.append(_markdown("```{solution-end}\n```", f"{label}-solution-end"))
            open_solution = False
        if kind == "solution":
            if label is None:
                raise TaggedCellError("a solution cell follows no labelled exercise: "
                                      f"{source(cell)[:60]!r}")
            if not open_solution:
                cells.append(_markdown(f"```{{solution-start}} {label}\n:class: dropdown\n```",
                                       f"{label}-solution-start"))
                open_solution = True
            cells.append(cell)
            continue
        if kind is None or cell["cell_type"] != "markdown":
            cells.append(cell)
            continue
        if kind == "exercise":
            label = cell.get("metadata", {}).get("label")
            text = _exercise(cell)
        else:
            text = _aside(kind, cell)
        cells.append(dict(cell, source=text))
    if open_solution:
        cells.append(_markdown("```{solution-end}\n```", f"{label}-solution-end"))
    return dict(notebook, cells=cells)


def _rewrite(app, docname, content):
    if not str(app.env.doc2path(docname)).endswith(".ipynb"):
        return
    try:
        content[0] = json.dumps(to_myst(json.loads(content[0])), ensure_ascii=False)
    except TaggedCellError as error:
        from sphinx.util import logging
        logging.getLogger(__name__).warning("%s", error, location=docname)


def setup(app):
    app.setup_extension("sphinx_exercise")
    app.connect("source-read", _rewrite)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
