"""Coverage both ways: every claim quotes sentences the book has (``tests/test_claims.py``), and
every sentence of the book that states a number, a comparison or a word of degree is quoted by a
claim or listed in ``claims/not_claims.py`` with the reason it is none (claims/coverage.py says
which sentences count: prose, and the comments, printed strings and figure titles of code)."""

from __future__ import annotations

from collections import Counter

import pytest

import claims
from claims import coverage
from claims.harness import CLAIMS
from claims.not_claims import NOT_CLAIMS, REASONS

claims.modules()   # registers every claim


@pytest.fixture(scope="module")
def found():
    """(every sentence that states something, the quoted pieces of every claim)."""
    stating = [s for s in coverage.sentences() if s.states()]
    pieces = [p for ps in coverage.quoted_pieces(CLAIMS).values() for p in ps]
    return stating, pieces


def _listed(sentence) -> list:
    return [(fragment, reason) for fragment, reason in NOT_CLAIMS.get(sentence.chapter, ())
            if coverage.letters(fragment) in sentence.letters]


def test_every_sentence_that_states_something_is_quoted_by_a_claim_or_listed(found, capsys):
    """A sentence a reader trusts is measured (a claim quotes it) or says why it need not be."""
    stating, pieces = found
    covered = [s for s in stating if any(coverage.overlaps(s.letters, p) for p in pieces)]
    listed = [s for s in stating if s not in covered and _listed(s)]
    missing = [s for s in stating if s not in covered and s not in listed]
    with capsys.disabled():
        print(f"\nsentences that state a number, a comparison or a word of degree: {len(stating)}; "
              f"quoted by a claim: {len(covered)}; listed as no claim: {len(listed)} "
              f"({', '.join(f'{r} {n}' for r, n in Counter(_listed(s)[0][1] for s in listed).most_common())}); "
              f"neither: {len(missing)}")
    assert not missing, "neither quoted by a claim nor listed in claims/not_claims.py:\n" + "\n".join(
        f"{s.chapter} ({s.where}): {s.text}" for s in missing)


def test_every_listed_sentence_is_in_the_book_and_says_why(found):
    """A listing outlives no sentence: each fragment must still match a sentence of its chapter,
    and each reason is one of ``REASONS``."""
    stating, _ = found
    everything = coverage.sentences()
    stale = [f"{chapter}: {fragment!r}" for chapter, entries in NOT_CLAIMS.items() for fragment, _ in entries
             if not any(s.chapter == chapter and coverage.letters(fragment) in s.letters for s in everything)]
    assert not stale, "listed, but no longer in the book:\n" + "\n".join(stale)
    unknown = {reason for entries in NOT_CLAIMS.values() for _, reason in entries} - set(REASONS)
    assert not unknown, f"reasons not in not_claims.REASONS: {unknown}"


def test_the_detector_sees_numbers_comparisons_and_words_of_degree():
    s = lambda text, where="prose": coverage.Sentence("x", where, text)  # noqa: E731
    assert s("The VAE's samples are clear far more often.").states()
    assert s("It reads 1,000 samples.").states()
    assert s("The loss is lower than before.").states()
    assert not s("Here is the whole model.").states()
    assert not s("the ten digits above, and the ones below:").states()
    assert not s("print 1,000 samples", "printed").states()        # code's numbers are settings
    assert s("the conv VAE is better", "comment").states()


def test_quotes_cover_sentences_across_their_boundaries():
    a = coverage.letters("The two 6s are closer together than two different digits usually are.")
    piece = coverage.letters("closer together than two different digits usually are. Which model")
    assert coverage.overlaps(a, piece)
    assert not coverage.overlaps(a, coverage.letters("something else entirely, not in the sentence"))
