"""The claims harness: every comparative sentence of the book as checks with margins.

Each claim is a function named for its chapter (``chapters.py``) that quotes its sentence and
returns the *checks* the sentence makes: the measured value, the rule it must meet (a word of
degree from ``metrics.DEGREES``, a direction, or a bound the sentence states) and the *margin*,
how far inside the rule the value is (>= 0: the sentence holds). ``@claim`` registers each in
``CLAIMS`` and turns it into a test that asserts every margin is >= 0 on the book's
:class:`World` (``tests/test_claims.py`` collects them: on the offline digits and, when
$VAE_TUTORIAL_FULL_DATA names a folder with full-size MNIST, on it too).

The same functions run in ``benchmarks/claims_robustness.py`` over other training seeds and
other held-out sets (a :class:`World` each); its table in BENCHMARKS.md gives every claim's
worst margin. A direction goes into the prose only when its worst margin there is >= 0.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, NamedTuple

import torch

from vae_tutorial import book, likelihood, metrics

_MEMO: dict = {}


def memo(digits, what: str, compute):
    """Compute each figure once per dataset and session: several claims read one table."""
    key = (digits.name, digits.variant, digits.source, what)
    if key not in _MEMO:
        _MEMO[key] = compute()
    return _MEMO[key]


def model(name: str, data):
    return memo(data, f"model {name}", lambda: book.trained(name, data).model)


def judge(data):
    return memo(data, "judge", lambda: book.judge(data))


class Check(NamedTuple):
    """One comparison a sentence makes: ``value`` measured, ``rule`` it must meet, ``margin``
    how far inside the rule it lies, in the value's units (>= 0: the sentence holds)."""

    what: str
    value: float
    rule: str
    margin: float


def word(what: str, value: float, degree: str) -> Check:
    """``value`` (a ratio or a share) must fit the word of degree (``metrics.DEGREES``)."""
    return Check(what, value, f"{degree}: {metrics.DEGREES[degree].means}", metrics.degree(degree, value))


def above(what: str, value: float, low: float, rule: str | None = None) -> Check:
    """``value`` must be above the bound ``low`` that the sentence states."""
    return Check(what, value, rule or f"> {low:.4g}", value - low)


def below(what: str, value: float, high: float, rule: str | None = None) -> Check:
    """``value`` must be below the bound ``high`` that the sentence states."""
    return Check(what, value, rule or f"< {high:.4g}", high - value)


def higher(what: str, value: float, other: float) -> Check:
    """A direction: ``value`` must be higher than the ``other`` figure (margin in their units)."""
    return Check(what, value, "higher", value - other)


def lower(what: str, value: float, other: float) -> Check:
    """A direction: ``value`` must be lower than the ``other`` figure (margin in their units)."""
    return Check(what, value, "lower", other - value)


def observed(what: str, value: float, other: float) -> Check:
    """Not a claim: a difference the prose calls mixed (its sign changes between runs), recorded
    so that ``benchmarks/claims_robustness.py`` shows it changing. The tests do not assert it."""
    return Check(what, value, OBSERVED, value - other)


OBSERVED = "observed (mixed: not asserted)"


def ratio(a: float, b: float) -> float:
    return metrics.ratio(a, b)


def share(mask: torch.Tensor) -> float:
    return float(mask.float().mean())


def _with_held_out(data, held_out):
    if data is None or held_out is None:
        return data
    images, labels = held_out
    return replace(data, test_images=images, test_labels=labels)


class World:
    """The book's models for one training set and seed, judged on one held-out set.

    ``digits`` (and ``clothes``): the data the models train on; ``held_out`` (and
    ``clothes_held_out``): (uint8 images (N, 28, 28), labels (N,)) to measure on instead of
    the data's own held-out split; ``seed``: the training seed of every model and judge;
    ``points_seed``: the seed of the random latent points the clear shares decode; ``tag``
    names the held-out set. The tests use the book's world (seed 0, the data's own held-out
    images, points seed 0); ``benchmarks/claims_robustness.py`` varies all of them."""

    def __init__(self, digits=None, seed: int = 0, held_out=None, clothes=None, clothes_held_out=None,
                 points_seed: int = metrics.CLEAR_SEED, tag: str = "own") -> None:
        self.train_data, self.clothes_train = digits, clothes
        self.digits = _with_held_out(digits, held_out)
        self.clothes = _with_held_out(clothes, clothes_held_out)
        self.seed, self.points_seed, self.tag = seed, points_seed, tag
        self.variant = digits.variant if digits is not None else None

    def with_clothes(self, clothes) -> "World":
        return World(self.train_data, self.seed, _held(self.digits), clothes, None, self.points_seed, self.tag)

    def memo(self, what: str, compute):
        """Compute each figure once per world: several claims read one table."""
        d = self.digits if self.digits is not None else self.clothes
        key = ("world", d.name, d.variant, d.source, d.fingerprint, self.seed, self.tag, self.points_seed,
               self.clothes is not None, what)
        if key not in _MEMO:
            _MEMO[key] = compute()
        return _MEMO[key]

    # models, trained on the training data (never on a swapped held-out split) ------------
    def trained(self, name: str, pretrained: bool = True, data=None, **overrides):
        data = self.train_data if data is None else data
        key = ("trained", data.name, data.fingerprint, name, tuple(sorted(overrides.items())), self.seed,
               pretrained)
        if key not in _MEMO:
            _MEMO[key] = book.trained(name, data, pretrained=pretrained, seed=self.seed, **overrides)
        return _MEMO[key]

    def model(self, name: str, beta: float | None = None, **overrides):
        if beta is not None:
            overrides["beta"] = beta
        return self.trained(name, **overrides).model

    def history(self, name: str, pretrained: bool = True):
        return self.trained(name, pretrained=pretrained).history

    def judge_of(self, data):
        """The judge for ``data``'s training images (this seed), its accuracy on ``data``'s
        held-out images."""
        key = ("judge", data.name, data.fingerprint, self.seed)
        if key not in _MEMO:
            _MEMO[key] = book.judge(data, seed=self.seed)   # trained on its training images
        trained = _MEMO[key]
        predicted, _ = trained.read(data.images("test"))
        accuracy = float((predicted == data.test_labels).float().mean())
        return metrics.Judge(trained.model, accuracy, trained.class_names)

    @property
    def judge(self):
        return self.memo("judge", lambda: self.judge_of(self.digits))

    @property
    def clothes_judge(self):
        return self.memo("clothes judge", lambda: self.judge_of(self.clothes))

    def clear_share(self, model, judge, fit_to=None):
        """``metrics.clear_share`` with the book's defaults, from this world's latent points."""
        return metrics.clear_share(model, judge, seed=self.points_seed, fit_to=fit_to)

    @property
    def bound_tables(self) -> dict:
        """04_probabilistic_view: 100 held-out digits, K up to 1,000, both VAEs."""
        held_out = self.digits.images("test")[:100]
        return self.memo("bound tables", lambda: {
            name: likelihood.bound_table(self.model(name), held_out, ks=(1, 10, 100, 1000))
            for name in ("vae", "vae-bce")})


def _held(data):
    return None if data is None else (data.test_images, data.test_labels)


@dataclass
class Claim:
    """A sentence's checks for one world: ``measure(world) -> list[Check]``. ``needs``: which
    data its world must hold ("digits", "clothes" or both)."""

    name: str
    measure: Callable
    needs: tuple[str, ...]


CLAIMS: dict[str, Claim] = {}


def _assert_holds(checks: list[Check]) -> None:
    failed = [c for c in checks if c.rule != OBSERVED and not c.margin >= 0]
    assert not failed, "\n".join(f"{c.what}: {c.value:.4g}, needs {c.rule} (margin {c.margin:.4g})"
                                 for c in failed)


def claim(*needs: str):
    """Register ``measure(world) -> list[Check]`` and return the test that asserts it on the
    book's world: digits (``bk``), clothes (``book_clothes``) or both."""
    needs = needs or ("digits",)

    def register(measure):
        name = measure.__name__
        CLAIMS[name] = Claim(name, measure, needs)
        if needs == ("clothes",):
            def test(book_clothes):
                _assert_holds(measure(World(clothes=book_clothes)))
        elif "clothes" in needs:
            def test(bk, book_clothes):
                _assert_holds(measure(bk.with_clothes(book_clothes)))
        else:
            def test(bk):
                _assert_holds(measure(bk))
        test.__name__ = test.__qualname__ = name
        test.__doc__ = measure.__doc__
        test.measure = measure
        return test
    return register
