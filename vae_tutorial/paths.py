"""Where the package keeps what it downloads and trains: one cache folder, movable by env var."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable

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


def atomic_write(path: str | Path, write: Callable[[BinaryIO], object]) -> Path:
    """Let ``write`` fill a temporary file beside ``path``, then rename it to ``path``: a crash
    or a second process never leaves half a file under the real name."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
