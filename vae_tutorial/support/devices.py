"""Which device to train on: a CUDA GPU, then Apple's MPS, then the CPU; and how much memory
this machine has."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from .errors import ConfigError


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return mps is not None and mps.is_available()


def pick_device(device: str | torch.device = "auto") -> torch.device:
    """"auto" picks CUDA, then Apple's MPS, then the CPU. Otherwise "cpu", "cuda", "cuda:N" or
    "mps", checked to exist here; other device types (meta, xpu, ...) are refused."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "mps" if _mps_available() else "cpu")
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


def memory_bytes() -> int | None:
    """This machine's memory in bytes (the lower of the physical memory and a container's
    limit), or None where it cannot be read."""
    try:
        found = [os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")]
    except (AttributeError, ValueError, OSError):   # Windows has no sysconf
        return None
    for limit in (Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory/memory.limit_in_bytes")):
        try:
            found.append(int(limit.read_text().strip()))
        except (OSError, ValueError):   # absent, unreadable, or "max"
            pass
    return min(found)


def out_of_memory(err: BaseException) -> bool:
    """Whether ``err`` is an allocation that failed for want of memory (CPU or GPU)."""
    text = str(err).lower()
    return isinstance(err, MemoryError) or (
        isinstance(err, RuntimeError) and ("out of memory" in text or "can't allocate memory" in text))
