"""How a map forms while a model learns: its codes epoch by epoch, from a ``recording.Recording``
(chapter 7's epoch slider and the sentences under it)."""

from __future__ import annotations

import torch

from ..support.contracts import Numbers, Real, Satisfies, checked
from .coverage import inside_prior

# recording.Recording, told by what it holds (metrics sit below the recorder)
def is_recording(r) -> bool:
    """Whether ``r`` holds codes epoch by epoch, (E, C, latent), as a ``recording.Recording`` does."""
    return isinstance(getattr(r, "codes", None), torch.Tensor) and r.codes.dim() == 3


RECORDING = Satisfies(is_recording, "a recording: the .recording of a model trained with record=True "
                                    "(book.trained records the recipes of book.RECORDED)")


def spreads(recording: RECORDING) -> torch.Tensor:
    """(E,) each epoch's spread of the recorded codes: their standard deviation along each latent
    number, averaged (N(0, I): 1), as chapter 3 measures it."""
    return recording.codes.double().std(1).mean(1)


def inside_shares(recording: RECORDING, mass: Real(above=0, below=1) = 0.95) -> torch.Tensor:
    """(E,) each epoch's share of the recorded codes inside the circle (ball) that holds
    ``mass`` of N(0, I): where random latent points fall (``inside_prior``)."""
    return torch.tensor([inside_prior(c, mass) for c in recording.codes.double()], dtype=torch.float64)


def settled(values: Numbers(least=1), within: Real(at_least=0) = 0.1) -> int:
    """The first epoch (1-based) from which every later value of ``values`` (one per epoch)
    stays within ``within`` (a share, 0.1: 10%) of the last one: when a spread stopped
    changing."""
    off = ((values / values[-1]) - 1).abs() > within
    return int(off.nonzero().max()) + 2 if off.any() else 1


checked(globals())
