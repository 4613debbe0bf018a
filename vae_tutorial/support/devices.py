"""Which device to train on: a CUDA GPU, then Apple's MPS, then the CPU."""

from __future__ import annotations

import torch

from .errors import ConfigError


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return mps is not None and mps.is_available()


def pick_device(device: str | torch.device = "auto") -> torch.device:
    """"auto" picks CUDA, then Apple's MPS, then the CPU. Otherwise "cpu", "cuda", "cuda:N" or
    "mps", checked to exist here; other device types (meta, xpu, ...) are refused."""
    if str(device) == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if _mps_available() else torch.device("cpu")
    try:
        chosen = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        chosen = None
    if chosen is None or chosen.type not in ("cpu", "cuda", "mps"):
        raise ConfigError(f"unknown or unsupported device {str(device)!r}; use 'auto', 'cpu', 'cuda', "
                          f"'cuda:N' or 'mps'")
    if chosen.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError("device 'cuda' was asked for but no CUDA GPU is available; use --device auto or cpu")
        if chosen.index is not None and chosen.index >= torch.cuda.device_count():
            raise ConfigError(f"device {str(device)!r} does not exist: this machine has "
                              f"{torch.cuda.device_count()} CUDA GPU(s), numbered from 0")
    if chosen.type == "mps" and not _mps_available():
        raise ConfigError("device 'mps' was asked for but Apple MPS is not available; use --device auto or cpu")
    return chosen


def device_of(model: torch.nn.Module) -> torch.device:
    """The device a model's weights live on."""
    return next(model.parameters()).device
