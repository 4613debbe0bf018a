"""What the book's words of degree mean: one range each.

Chapter 1 prints the table (:func:`degree_table`), the claims tests check every sentence against
the same ranges, and ``benchmarks/claims_robustness.py`` reports how far inside its range each
claim stays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..support.contracts import Choice, Real, checked


@dataclass(frozen=True)
class Degree:
    """A word of degree: it fits a measured ``value`` when ``low <= value <= high``. ``of``
    says what the value is: "ratio", the larger of two positive figures divided by the smaller
    (or the first by the second, as the sentence orders them), or "share", a part of a whole
    between 0 and 1."""

    means: str
    of: str
    low: float = -math.inf
    high: float = math.inf


DEGREES: dict[str, Degree] = {
    "about": Degree("the two differ by less than 10% (ratio below 1.1)", "ratio", high=1.1),
    "far more": Degree("at least twice as much (far fewer, far below: at most half)", "ratio", low=2.0),
    "several times": Degree("at least three times as much", "ratio", low=3.0),
    "almost none": Degree("at most 5%", "share", high=0.05),
    "a minority": Degree("less than half", "share", high=0.5),
    "most": Degree("more than half", "share", low=0.5),
}


def degree(word: Choice(DEGREES), value: Real(infinite=True)) -> float:
    """How far ``value`` (a ratio or a share, see :class:`Degree`) lies inside the range that
    ``word`` stands for (``DEGREES``), in the value's own units: >= 0 when the word fits,
    negative when it does not. E.g. ``degree("far more", 2.5) == 0.5``."""
    d = DEGREES[word]
    return min(value - d.low, d.high - value)


def ratio(a: Real(at_least=0), b: Real(at_least=0)) -> float:
    """a / b for two positive figures (infinite when b is 0 and a is not)."""
    return a / b if b else (math.inf if a else 1.0)


def degree_table() -> "pandas.DataFrame":  # noqa: F821
    """The words of degree and what each means in this book, as a table to show."""
    import pandas as pd

    return pd.DataFrame({"word": list(DEGREES), "means": [d.means for d in DEGREES.values()]}
                        ).set_index("word")


checked(globals())
