"""Where the package keeps what it downloads and trains: one cache folder, movable by env var."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "VAE_TUTORIAL_CACHE"
DATA_ENV = "VAE_TUTORIAL_DATA"
OFFLINE_ENV = "VAE_TUTORIAL_OFFLINE"


def cache_dir() -> Path:
    """The cache folder: ``$VAE_TUTORIAL_CACHE``, else ``$XDG_CACHE_HOME/vae-tutorial``,
    else ``~/.cache/vae-tutorial``. Created on first use."""
    if os.environ.get(CACHE_ENV):
        root = Path(os.environ[CACHE_ENV]).expanduser()
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        root = Path(base) / "vae-tutorial"
    root.mkdir(parents=True, exist_ok=True)
    return root


def offline() -> bool:
    """True when ``$VAE_TUTORIAL_OFFLINE`` asks the package never to try a download."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() not in ("", "0", "false", "no")
