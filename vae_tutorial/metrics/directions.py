"""Steer by meaning: a direction in the latent space found from data, and what moving a digit's
code along it does (chapter 8).

An *attribute* is a number measured on each image: its stroke thickness (the ink it holds,
``ink``) or its slant (the second moments of its ink, :func:`slant`). :func:`direction` finds,
from training digits alone, the direction in which the codes of digits with more of it lie;
:func:`steer` moves held-out digits' codes along it and measures what changed.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..data import ImageData
from ..latent import encodings, move
from ..support.contracts import Choice, Images, ImagesAlone, Is, Numbers, Real, checked
from .detection import ink
from .judge import Judge


def slant(images: Images()) -> torch.Tensor:
    """(N,) how far each image's ink leans to the right: the pixels it moves right for each
    pixel up, from the second moments of the ink (cov(x, y) / var(y), with y pointing up).
    0: upright; 0.3: the top of a 20-pixel-tall digit sits 6 pixels right of its foot."""
    x = images.double().flatten(1)                                # (N, 784), rows from the top
    right = torch.arange(28, dtype=torch.float64).repeat(28)      # each pixel's column
    up = torch.arange(27, -1, -1, dtype=torch.float64).repeat_interleave(28)   # its height
    mass = x.sum(1).clamp_min(1e-12)
    mx, my = x @ right / mass, x @ up / mass
    cov = x @ (right * up) / mass - mx * my
    var = (x @ (up * up) / mass - my * my).clamp_min(1e-12)
    return cov / var


# what the book steers by: the attribute's name -> how it is measured on each image
ATTRIBUTES = {"thickness": ink, "slant": slant}


def direction(model: ImagesAlone, data: Is(ImageData), attribute: Choice(ATTRIBUTES),
              share: Real(above=0, at_most=0.5) = 0.25) -> torch.Tensor:
    """(latent,) the direction in which ``attribute`` ("thickness" or "slant") grows, found from
    ``data``'s training digits: within each class, the mean code (mu) of the ``share`` of its
    digits with the most of it minus that of the share with the least; then the average over
    the classes, so that the direction carries no digit towards another."""
    measure = ATTRIBUTES[attribute]
    x, y = data.images("train"), data.labels("train")
    codes, values = encodings(model, x), measure(x)
    gaps = []
    for k in y.unique():
        idx = (y == k).nonzero().squeeze(1)
        order = idx[values[idx].argsort()]
        n = max(1, int(len(order) * share))
        gaps.append(codes[order[-n:]].mean(0) - codes[order[:n]].mean(0))
    return torch.stack(gaps).mean(0)


@dataclass
class Steering:
    """Held-out digits moved ``amount`` times a direction each way (see :func:`steer`).
    ``less``, ``before``, ``more``: the attribute of the image decoded from the code moved
    back, not moved, moved on; ``read_*``: what the judge reads in each."""

    attribute: str
    amount: float
    less: torch.Tensor
    before: torch.Tensor
    more: torch.Tensor
    read_less: torch.Tensor
    read: torch.Tensor
    read_more: torch.Tensor

    @property
    def changes_as_said(self) -> float:
        """Share of the digits whose attribute grows along the direction: less < before < more."""
        return float(((self.less < self.before) & (self.before < self.more)).double().mean())

    @property
    def same_digit(self) -> float:
        """Share of the digits the judge reads as the same digit at both ends as unmoved."""
        return float(((self.read_less == self.read) & (self.read_more == self.read)).double().mean())


def steer(model: ImagesAlone, judge: Is(Judge), images: Images(least=1), along: Numbers("model.latent_dim"),
          attribute: Choice(ATTRIBUTES), amount: Real(above=0) = 0.5) -> Steering:
    """Move each image's code (mu) by -``amount`` and +``amount`` times the direction
    ``along`` (e.g. :func:`direction`'s), decode, and measure ``attribute`` and what the judge
    reads in each picture, against the image decoded from the code itself."""
    measure = ATTRIBUTES[attribute]
    moved = move(model, images, along, torch.tensor([-amount, 0.0, amount], dtype=torch.float64))   # (N, 3, ...)
    values = [measure(moved[:, i]) for i in range(3)]
    reads = [judge.read(moved[:, i])[0] for i in range(3)]
    return Steering(attribute, float(amount), *values, *reads)


checked(globals())
