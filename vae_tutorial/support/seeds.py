"""Randomness from an explicit seed, without touching the caller's random state."""

from __future__ import annotations

from contextlib import contextmanager

import torch


@contextmanager
def seeded(seed: int, device: str | torch.device = "cpu"):
    """Run the block with torch's random numbers seeded by ``seed`` (the CPU's and, for a GPU
    ``device``, that GPU's generator); afterwards the caller's random state is as it was."""
    device = torch.device(device)
    gpus = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=gpus):
        torch.manual_seed(seed)
        yield
