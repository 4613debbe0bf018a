"""The chapters' exercises: check a function you wrote against the book's own.

    from vae_tutorial import exercises
    exercises.check("kl_divergence", my_kl)    # prints one line: right, or what it looks like

``check`` runs your function and the package's own code (``losses.kl_divergence`` here) on the
same random inputs. When the two agree it says so. When they do not, it runs the mistakes VAE
learners make most (a flipped sign, a mean where the book sums, log-variance used as sigma, the
missing ½, the batch averaged twice, ...) on the same inputs, and names the one your function
matches, with how to fix it. Where randomness is allowed it judges behaviour, not one random
stream: samples are compared in distribution and must change from call to call, and a training
step gets back the very noise it drew. What training needs is checked too: a loss must keep its
gradient. Your function runs contained (``running.py``): whatever it does, raises, never
returns (stopped after ``running.TIME_LIMIT`` seconds) or returns something that is not real
numbers, the check ends in one line. ``EXERCISES`` lists what can be checked, each with its
chapter (one module per group of chapters). It prints plain text, so it works the same in
Jupyter, Colab and Binder.
"""

from __future__ import annotations

import difflib
from typing import Callable

from ..support.errors import ConfigError
from ..support.messages import printable
from . import chapter_13 as _yardstick, chapters_01_06 as _early, chapters_07_10 as _middle
from . import chapters_11_12 as _late
from .checking import Exercise, Verdict, diagnose_exercise, wrap

__all__ = ["check", "diagnose", "Verdict", "EXERCISES"]

EXERCISES: dict[str, Exercise] = {ex.name: ex for ex in (
    _early.NEAREST, _early.ENCODER, _early.REPARAMETERIZE, _early.LOG_MEAN_EXP, _early.MSE,
    _early.BCE, _early.KL, _middle.TRAIN_STEP, _middle.INTERPOLATE, _middle.BCE_FLOOR,
    _middle.VAE_LOSS, _middle.RECONSTRUCT, _late.DECODER_INPUT, _late.CORRECTED_SCORE,
    _yardstick.BINARISE)}


def diagnose(name: str, fn: Callable) -> Verdict:
    """Check ``fn`` for exercise ``name`` (a key of :data:`EXERCISES`) and return the verdict
    without printing it."""
    if not isinstance(name, str):
        raise ConfigError(f"check's first argument is the exercise's name, a string such as "
                          f"'kl_divergence'; got {type(name).__name__}")
    if name not in EXERCISES:
        near = difflib.get_close_matches(name, EXERCISES, n=1)
        hint = f"did you mean {near[0]!r}? " if near else ""
        raise ConfigError(f"no exercise {name!r}; {hint}the exercises are {', '.join(EXERCISES)}")
    if not callable(fn):
        raise ConfigError(f"check({name!r}, ...) needs your function itself (its name, without "
                          f"brackets), got {type(fn).__name__}")
    return diagnose_exercise(EXERCISES[name], fn)


def check(name: str, fn: Callable) -> None:
    """Run your function ``fn`` for exercise ``name`` against the book's own code on random
    inputs and print its verdict: ✓, or ✗ with the known mistake it looks like (one
    message, wrapped between words to fit the exercise boxes of the book)."""
    print(printable(wrap(diagnose(name, fn).message)))
