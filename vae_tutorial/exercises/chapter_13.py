"""The exercise of chapter 13: binarise pictures as the yardstick's data set is made, each pixel
ink with its grey level as probability, drawn anew at every call (dynamic binarisation)."""

from __future__ import annotations

import torch

from .checking import Exercise, Found, gen, pictures
from .running import as_tensor, call

BINARY_DRAWS = 2000   # copies of one picture each binarise(...) call gets


def _binarise_cases(case: int) -> tuple:
    return (pictures(1, gen(case)),)


def _run_binarise(fn, args) -> torch.Tensor:
    """The share of ink in each pixel over BINARY_DRAWS copies of one picture (1, 28, 28)."""
    x = args[0].expand(BINARY_DRAWS, -1, -1, -1).clone()
    with torch.random.fork_rng():
        torch.manual_seed(0)
        got = as_tensor(call(fn, x))
    if got.shape != x.shape:
        return got
    if not ((got == 0) | (got == 1)).all() and not ((got == 0) | (got == 255)).all():
        raise Found("not-binary")
    grey = (x[0] > 0.05) & (x[0] < 0.95)
    flat, ink = x.flatten(1).double(), got.flatten(1) > 0
    lowest_ink = torch.where(ink, flat, torch.inf).min(1).values
    highest_paper = torch.where(ink, -torch.inf, flat).max(1).values
    if grey.any() and torch.equal(got, got[:1].expand_as(got)):   # every copy alike
        with torch.random.fork_rng():
            torch.manual_seed(1)
            again = as_tensor(call(fn, x.clone()))
        raise Found("threshold" if torch.equal(again, got) else "one-draw")
    if grey.any() and (lowest_ink >= highest_paper).all():   # ink wherever x is above a level
        raise Found("one-per-image")
    return got.mean(0)


def _same_ink(got: torch.Tensor, expected: torch.Tensor) -> bool:
    """Two shares of ink per pixel, each from BINARY_DRAWS draws, that agree: pixel by pixel
    within 6 standard errors of their difference, and summed over the pixels too (where a
    small bias in every pixel adds up)."""
    if got.shape != expected.shape:
        return False
    p = ((got + expected) / 2).clamp(0, 1)                      # pooled share of ink
    var = 2 * p * (1 - p) / BINARY_DRAWS
    pixels = ((got - expected).abs() <= 6 * var.sqrt() + 3 / BINARY_DRAWS).all()
    total = (got - expected).sum().abs() <= 6 * var.sum().sqrt() + 3 / BINARY_DRAWS
    return bool(pixels and total)


def _binarise_fresh(fn) -> str | None:
    """Once right: two calls (under two seeds) must not draw the same pixels."""
    x = torch.full((4, 1, 28, 28), 0.5)
    with torch.random.fork_rng():
        torch.manual_seed(1)
        first = as_tensor(call(fn, x.clone()))
        torch.manual_seed(2)
        second = as_tensor(call(fn, x.clone()))
    return "fixed-draw" if torch.equal(first, second) else None


BINARISE = Exercise(
    "binarise", "13", "each pixel 1 with its grey level as probability, else 0, drawn anew "
    "at every call",
    torch.bernoulli, _binarise_cases, _run_binarise,
    {
        "threshold": ("that is a fixed threshold (ink where x > 0.5): a pixel of 0.3 is then "
                      "never ink and one of 0.7 always. Draw each pixel with its grey level as "
                      "probability: torch.bernoulli(x)", None),
        "one-draw": ("every image gets the same pixels: draw one random number per pixel of "
                     "every image (torch.rand_like(x)), not one for all", None),
        "one-per-image": ("each image has one random number for all its pixels, so its ink is "
                          "every pixel above one level: draw one number per pixel "
                          "(torch.rand_like(x))", None),
        "not-binary": ("some pixels are neither 0 nor 1: each pixel is drawn whole, 1 (ink) with "
                       "probability x, else 0", None),
        "inverted": ("ink and paper are swapped: a pixel is ink with probability x, so compare "
                     "torch.rand_like(x) < x, not >", lambda x: torch.bernoulli(1 - x)),
        "255": ("the ink is 255: the models take pixels in [0, 1], so ink is 1",
                lambda x: torch.bernoulli(x) * 255),
        "fixed-draw": ("the draws are right, but the same at every call (a seed set inside the "
                       "function?): dynamic binarisation draws anew each time", None),
    },
    "Ink with probability x, a fresh draw every call.",
    compare=_same_ink, after=_binarise_fresh)
