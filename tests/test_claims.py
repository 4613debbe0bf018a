"""Every comparative sentence of the book, asserted on the book's own cached models.

The claims and their harness live in ``claims/`` (one module per group of chapters) (the benchmarks measure the same functions over
other seeds and held-out sets); every claim there is a test here, on the offline digits and,
when $VAE_TUTORIAL_FULL_DATA names a folder with full-size MNIST, on it too
(tests/conftest.py, "the book's cached models").
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import claims
from claims import coverage
from claims.harness import CLAIMS, World

pytestmark = pytest.mark.book_cache
# every claim of every module of claims/ (harness.py holds none) is a test here
for _module in claims.modules():
    globals().update({name: test for name, test in vars(_module).items() if name.startswith("test_")})


pytestmark = pytest.mark.book_cache


BOOK = Path(__file__).resolve().parents[1] / "book"


@pytest.fixture
def bk(book_data) -> World:
    """The book's world for the digits of ``book_data`` (offline, or full-size)."""
    return World(book_data[1])


@pytest.mark.parametrize("chapter, calls", [
    ("03_mu_and_sigma", ["metrics.prior_report(", "metrics.clear_share("]),
    ("06_kl_divergence", ["metrics.clear_share("]),
    ("08_generation", ["metrics.clear_share("]),
    ("09_clothes", ["metrics.clear_share(", "metrics.dataset_report("]),
])
def test_every_clear_share_comes_from_the_one_function_with_its_defaults(chapter, calls):
    """One definition, one sample size, one number per model: the chapters judge random samples
    only through ``metrics.clear_share`` or the reports built on it (``prior_report``,
    ``dataset_report``), with the default n, seed and threshold, never through
    ``judge_samples`` on samples of their own."""
    cells = json.loads((BOOK / f"{chapter}.ipynb").read_text())["cells"]
    source = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    for call in calls:
        assert call in source, call
    assert "judge_samples(" not in source
    for call in re.findall(r"(?:clear_share|prior_report|dataset_report)\(([^)]*)\)", source):
        assert not re.search(r"\b(n|seed|threshold)\s*=", call), call


def _letters(text: str) -> str:
    """Text reduced to lower-case letters and digits, so a quote matches the chapter's markdown
    whatever its line breaks, maths markup and punctuation."""
    return re.sub(r"[\W_]+", "", text.replace("\\mathcal", "").lower())


def test_every_claim_quotes_sentences_the_book_has():
    """Each claim's docstring quotes the sentences it checks; every quoted piece (between "[...]"
    elisions) must still be in a chapter (its prose, or a solution's printed and commented
    sentences, a figure's title or alt text: claims/coverage.py), so rewording a sentence
    without its test fails here. tests/test_claims_coverage.py checks the other way round."""
    book_text = coverage.book_letters()
    missing = []
    for name, c in CLAIMS.items():
        quotes = re.findall(r'"([^"]+)"', c.measure.__doc__ or "")
        assert quotes, f"{name} quotes no sentence"
        for quote in quotes:
            for piece in re.split(r"\[\.\.\.\]", quote):
                if len(_letters(piece)) > 12 and _letters(piece) not in book_text:
                    missing.append(f"{name}: {piece.strip()!r}")
    assert not missing, "\n".join(missing)
