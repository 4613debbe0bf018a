"""Where the package keeps what it downloads and trains: one cache folder, movable by env var.

Reading never needs the cache folder to exist or be writable; only writing does, and a write
that fails (read-only folder, a file in the way, a full disk) raises ``OSError`` for the caller
to turn into one clear line.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path
from typing import BinaryIO, Callable

CACHE_ENV = "VAE_TUTORIAL_CACHE"
DATA_ENV = "VAE_TUTORIAL_DATA"
OFFLINE_ENV = "VAE_TUTORIAL_OFFLINE"

# A temporary file left by a save that was killed: ".NAME.<pid>.<random>.tmp"
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[^.]+\.tmp$")
STALE_AFTER_S = 3600.0  # a live save takes milliseconds; an hour-old temporary is litter


def cache_dir() -> Path:
    """The cache folder: ``$VAE_TUTORIAL_CACHE``, else ``$XDG_CACHE_HOME/vae-tutorial``,
    else ``~/.cache/vae-tutorial``. Not created here: writers create what they need."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "vae-tutorial"


def offline() -> bool:
    """True when ``$VAE_TUTORIAL_OFFLINE`` asks the package never to try a download."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() not in ("", "0", "false", "no")


def unwritable_reason(folder: str | Path) -> str | None:
    """None when files can be created in ``folder`` (created if missing), else why not, in words.

    Checked by really creating (and removing) a file: permission bits say nothing about
    read-only mounts, /proc, or a parent that is a file."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".write-check.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        return f"{folder} is not a writable folder ({err.strerror or type(err).__name__})"
    return None


def remove_stale_temporaries(folder: str | Path) -> list[Path]:
    """Delete temporaries that killed saves left in ``folder``: those whose process is gone,
    or older than an hour. Returns what was removed."""
    removed = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    for path in entries:
        match = _TEMPORARY.match(path.name)
        if match is None:
            continue
        try:
            old = time.time() - path.stat().st_mtime > STALE_AFTER_S
            if old or not _process_alive(int(match["pid"])):
                path.unlink()
                removed.append(path)
        except OSError:
            pass  # gone already, or not ours to delete
    return removed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # exists but belongs to someone else, or not a pid we can ask about
    return True


def atomic_write(path: str | Path, write: Callable[[BinaryIO], object]) -> Path:
    """Let ``write`` fill a temporary file beside ``path``, then rename it to ``path``: a crash
    or a second process never leaves half a file under the real name. Temporaries that earlier
    killed saves left in the folder are cleaned up first. Raises ``OSError`` when the folder
    cannot be written (the old file, if any, is then untouched)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
