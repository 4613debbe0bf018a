"""How a map forms while a model learns: its codes epoch by epoch, from a ``recording.Recording``
(chapter 7's epoch slider and the sentences under it)."""

from __future__ import annotations

import torch

from ..support.errors import ConfigError
from .coverage import inside_prior


def _codes(recording) -> torch.Tensor:
    if recording is None or not hasattr(recording, "codes"):
        raise ConfigError("pass a recording: the .recording of a model trained with record=True "
                          "(book.trained records the recipes of book.RECORDED)")
    return recording.codes.double()


def spreads(recording) -> torch.Tensor:
    """(E,) each epoch's spread of the recorded codes: their standard deviation along each latent
    number, averaged (N(0, I): 1), as chapter 3 measures it."""
    return _codes(recording).std(1).mean(1)


def inside_shares(recording, mass: float = 0.95) -> torch.Tensor:
    """(E,) each epoch's share of the recorded codes inside the circle (ball) that holds
    ``mass`` of N(0, I): where random latent points fall (``inside_prior``)."""
    return torch.tensor([inside_prior(c, mass) for c in _codes(recording)], dtype=torch.float64)


def settled(values, within: float = 0.1) -> int:
    """The first epoch (1-based) from which every later value of ``values`` (one per epoch)
    stays within ``within`` (a share, 0.1: 10%) of the last one: when a spread stopped
    changing."""
    v = torch.as_tensor(values, dtype=torch.float64)
    if v.ndim != 1 or not len(v):
        raise ConfigError(f"values must be one number per epoch, got shape {tuple(v.shape)}")
    off = ((v / v[-1]) - 1).abs() > within
    return int(off.nonzero().max()) + 2 if off.any() else 1
