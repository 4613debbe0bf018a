"""Which sentences of the book a reader has to trust, and whether each is measured.

A sentence *states something* when it gives a number, makes a comparison ("fewer", "higher than")
or uses a word of degree ("about", "far", "most"). Every such sentence of the book must be either
*quoted* by a claim (its docstring quotes it, between double quotes, ``[...]`` eliding) or
*listed* in ``not_claims.py`` with the reason it is no claim (a definition, a setting, a paper's
figure...). ``tests/test_claims_coverage.py`` checks both ways and prints the counts.

The sentences come from every chapter: the Markdown (prose, notes, exercises), and in the code
cells the sentences a reader reads as text: comments, the strings a cell prints, the titles of
its figures and the alt texts a cell's metadata gives them (``mystnb: image: alt``). (The other
alt texts and the legends are written by ``plots`` from the figure's own numbers, the same
numbers the cells print: ``tests/test_plots.py`` checks one rounding.)
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

BOOK = Path(__file__).resolve().parents[1] / "book"

NUMBER = re.compile(r"\d")
COMPARISON = re.compile(
    r"\b(more|less|fewer|higher|lower|better|worse|larger|smaller|bigger|wider|narrower|closer|"
    r"further|nearer|sharper|ahead|twice|half|than|most|least|best|worst|equal|"
    r"exceeds?|beats?|outperforms?)\b"
    r"|\b(above|below|under|over)(?= \d| zero| one| half| a (fifth|quarter|tenth)| its | that )", re.I)
DEGREE = re.compile(
    r"\b(about|far|several|almost|nearly|mostly|little|much|many|few|roughly|hardly|barely|"
    r"slightly|strongly|moderately|always|never|none|plainly|clearly)\b", re.I)


@dataclass(frozen=True)
class Sentence:
    chapter: str       # the notebook's stem, e.g. "03_mu_and_sigma"
    where: str         # "prose", "heading", "comment", "printed", "title" or "alt" (a figure's alt text)
    text: str

    @property
    def letters(self) -> str:
        return letters(self.text)

    def states(self) -> bool:
        """Gives a number, a comparison or a word of degree. Code's sentences count only for a
        comparison or a word of degree: their numbers are shapes and settings."""
        if self.where == "heading":   # a title names a section; the sentences under it say things
            return False
        text = re.sub(r"\bhow (much|many|far)\b", "", self.text, flags=re.I)
        if COMPARISON.search(text) or DEGREE.search(text):
            return True
        return self.where in ("prose", "alt") and bool(NUMBER.search(self.text))


def letters(text: str) -> str:
    """Text reduced to lower-case letters and digits, so a quote matches the chapter's markdown
    whatever its line breaks, maths markup and punctuation."""
    return re.sub(r"[\W_]+", "", text.replace("\\mathcal", "").lower())


def _split(text: str) -> list[str]:
    text = " ".join(text.split())
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z(\"“*$\[`])", text) if len(letters(s)) > 3]


def _headings(markdown: str) -> list[str]:
    return [re.sub(r"^\s*>?\s*#+\s*(Exercise:\s*)?", "", line).strip()
            for line in markdown.splitlines() if re.match(r"\s*>?\s*#", line)]


def _prose(markdown: str) -> list[str]:
    """The sentences of a Markdown cell: headings, display maths, HTML tags and link targets
    dropped, inline maths and code kept as text; every list item and paragraph split into
    sentences."""
    text = re.sub(r"\$\$.*?\$\$", " ", markdown, flags=re.S)
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"\$([^$]*)\$", lambda m: re.sub(r"\\(mathcal|operatorname|text|mathrm)", "", m.group(1)), text)
    blocks, current = [], []
    for line in text.splitlines():
        line = re.sub(r"^\s*>\s?", "", line)
        if re.match(r"\s*#", line):
            blocks.append(" ".join(current)); current = []
            continue
        if not line.strip() or re.match(r"\s*([-*]|\d+\.)\s", line):
            blocks.append(" ".join(current)); current = []
            line = re.sub(r"^\s*([-*]|\d+\.)\s", "", line)
        current.append(line)
    blocks.append(" ".join(current))
    return [s for block in blocks for s in _split(block)]


def _code(source: str) -> list[tuple[str, str]]:
    """(where, sentence) for the comments, printed strings and figure titles of a code cell."""
    out = []
    for line in source.splitlines():
        m = re.search(r"(?<![\"'\w])#(?![@!])\s*(.*)$", line)
        if m and m.group(1).strip() and not line.lstrip().startswith("%"):
            out.append(("comment", m.group(1)))
    try:
        tree = ast.parse("\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))))
    except SyntaxError:
        return out

    def text_of(node) -> str:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.JoinedStr):
            return "".join(v.value if isinstance(v, ast.Constant) else " {} " for v in node.values)
        if isinstance(node, ast.BinOp):
            return text_of(node.left) + text_of(node.right)
        if isinstance(node, (ast.List, ast.Tuple)):
            return " ".join(text_of(e) for e in node.elts)
        return ""

    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Name) and node.func.id == "print":
            said = " ".join(text_of(a) for a in node.args)
            if said.strip():
                out.append(("printed", said))
        for kw in node.keywords:
            if kw.arg in ("title", "suptitle", "titles", "xlabel", "ylabel"):
                said = text_of(kw.value)
                if said.strip():
                    out.append(("title", said))
    return out


def sentences(book: Path = BOOK) -> list[Sentence]:
    """Every sentence of every chapter, in order."""
    out = []
    for path in sorted(book.glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] == "markdown":
                out += [Sentence(path.stem, "heading", h) for h in _headings(source)]
                out += [Sentence(path.stem, "prose", s) for s in _prose(source)]
            elif cell["cell_type"] == "code":
                out += [Sentence(path.stem, where, s) for where, said in _code(source) for s in _split(said)]
                figure = cell.get("metadata", {}).get("mystnb", {})
                for text in (figure.get("image", {}).get("alt"), figure.get("figure", {}).get("caption")):
                    out += [Sentence(path.stem, "alt", s) for s in _split(text or "")]
    return out


def book_letters(book: Path = BOOK) -> str:
    """The whole book's sentences, reduced to letters (:func:`letters`), for finding quotes."""
    return "".join(s.letters for s in sentences(book))


def quoted_pieces(claims: dict) -> dict[str, list[str]]:
    """Claim name -> the pieces of sentences its docstring quotes (split at ``[...]``), as
    letters, those long enough to identify a sentence (more than 12 letters)."""
    out = {}
    for name, c in claims.items():
        pieces = []
        for quote in re.findall(r'"([^"]+)"', c.measure.__doc__ or ""):
            pieces += [letters(p) for p in re.split(r"\[\.\.\.\]", quote) if len(letters(p)) > 12]
        out[name] = pieces
    return out


def overlaps(sentence: str, piece: str, least: int = 20) -> bool:
    """Whether a quoted ``piece`` covers the ``sentence`` (both as letters): one holds the other,
    or the piece runs across the sentence's start or end by at least ``least`` letters."""
    if piece in sentence or sentence in piece:
        return True
    if len(piece) < least or len(sentence) < least:
        return False
    head, tail = piece[:least], piece[-least:]
    at = sentence.find(head)
    if at >= 0 and piece.startswith(sentence[at:]):
        return True
    at = sentence.find(tail)
    return at >= 0 and piece.endswith(sentence[:at + least])
