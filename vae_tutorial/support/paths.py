"""Where the package keeps what it downloads and trains: one cache folder, movable by env var;
and the safe ways to write there.

Reading never needs the cache folder to exist or be writable; only writing does, and a write
that fails (read-only folder, a file in the way, a full disk) raises ``OSError`` for the caller
to turn into one clear line. A failed write leaves nothing behind: no half file, no empty file,
and the file it was to replace as it was.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import tempfile
import time
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

CACHE_ENV = "VAE_TUTORIAL_CACHE"
DATA_ENV = "VAE_TUTORIAL_DATA"
OFFLINE_ENV = "VAE_TUTORIAL_OFFLINE"

# A temporary file left by a save that was killed: ".NAME.<pid>.<random>.tmp"
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[^.]+\.tmp$")
# The renames of files written together, noted before they start: ".FIRST.together"
_TOGETHER = ".together"
STALE_AFTER_S = 3600.0  # a live save takes milliseconds; an hour-old temporary is litter


def cache_dir() -> Path:
    """The cache folder: ``$VAE_TUTORIAL_CACHE``, else ``$XDG_CACHE_HOME/vae-tutorial``,
    else ``~/.cache/vae-tutorial``. Not created here: writers create what they need."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = Path.home() / ".cache"
        except (RuntimeError, KeyError):   # no $HOME and no password entry (some containers)
            base = Path(tempfile.gettempdir())
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


def _write_whole(fd: int, write: Callable[[BinaryIO], object]) -> None:
    """Let ``write`` fill the open file ``fd``, then push it to the disk: a full disk can show
    only when the data leaves the buffers, and then it raises here, not after the rename."""
    with os.fdopen(fd, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())


def _new_file(folder: Path, prefix: str, suffix: str) -> tuple[int, str]:
    """A new file ``folder/prefix<random>suffix``, open for writing, with the permissions the
    umask gives new files (mkstemp's are 0600: a cache shared by a group would be unreadable)."""
    while True:
        name = str(folder / f"{prefix}{secrets.token_hex(4)}{suffix}")
        try:
            return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666), name
        except FileExistsError:
            continue


def _temporary_beside(path: Path) -> tuple[int, str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    finish_replacing(path.parent)
    remove_stale_temporaries(path.parent)
    return _new_file(path.parent, f".{path.name}.{os.getpid()}.", ".tmp")


def atomic_write(path: str | Path, write: Callable[[BinaryIO], object]) -> Path:
    """Let ``write`` fill a temporary file beside ``path``, then rename it to ``path``: a crash
    or a second process never leaves half a file under the real name. Temporaries that earlier
    killed saves left in the folder are cleaned up first. Raises ``OSError`` when the folder
    cannot be written or the disk is full (the old file, if any, is then untouched, and no
    temporary is left)."""
    return atomic_write_together({Path(path): write})[0]


def atomic_write_together(files: dict[Path, Callable[[BinaryIO], object]]) -> list[Path]:
    """Write several files that belong together (a model and its metrics): all of them, or
    none. Each is written whole to a temporary first; then the renames are noted in a file
    beside them (written whole, renamed into place), done, and the note removed. A process
    killed during the renames leaves the note and the temporaries not yet renamed, and the
    next write in that folder (or :func:`finish_replacing`) does the rest: so the files come
    from one writer, the old set or the new one, never a new model beside old metrics for
    longer than that. Raises ``OSError`` (the old files untouched, no temporaries left) when
    one cannot be written."""
    written: list[tuple[str, Path]] = []
    renaming = False
    try:
        for path, write in files.items():
            fd, tmp = _temporary_beside(Path(path))
            written.append((tmp, Path(path)))
            _write_whole(fd, write)
        note = written[0][1].parent / f".{written[0][1].name}{_TOGETHER}"
        if len(written) > 1:
            fd, tmp = _temporary_beside(note)
            _write_whole(fd, lambda f: f.write(json.dumps([[Path(t).name, p.name] for t, p in written]).encode()))
            os.replace(tmp, note)
        renaming = len(written) > 1    # from here on, a failure leaves the rest to finish_replacing
        for tmp, path in written:
            os.replace(tmp, path)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(note)
    finally:
        for tmp, _ in written if not renaming else ():
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    return [path for _, path in written]


def finish_replacing(folder: str | Path) -> None:
    """Do the renames a killed :func:`atomic_write_together` noted in ``folder`` and did not
    finish, so the files written together are all in place (a folder that cannot be read or
    written is left as it is)."""
    with contextlib.suppress(OSError, ValueError):
        for note in Path(folder).glob(f".*{_TOGETHER}"):
            for tmp, name in json.loads(note.read_text()):
                with contextlib.suppress(FileNotFoundError):
                    os.replace(Path(folder) / tmp, Path(folder) / name)
            note.unlink()


def write_new_file(folder: str | Path, prefix: str, suffix: str,
                   write: Callable[[BinaryIO], object]) -> Path:
    """A new file in ``folder`` with a unique name (``prefix``...``suffix``), filled by
    ``write``. Raises ``OSError`` when it cannot be written whole, and then leaves no file, not
    even an empty one."""
    fd, name = _new_file(Path(folder), prefix, suffix)
    try:
        _write_whole(fd, write)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    return Path(name)


class FolderInUse(BlockingIOError):
    """Another writer holds the folder (see :func:`folder_lock`)."""


@contextlib.contextmanager
def folder_lock(folder: str | Path) -> Iterator[None]:
    """Hold ``folder`` (which must exist) for one writer: a second ``folder_lock`` on it, from
    this process or another, raises :class:`FolderInUse` until the first is done. The lock dies
    with its process (a killed run never leaves the folder locked) and leaves no file behind.
    POSIX locks the folder itself; Windows locks a hidden file in it."""
    try:
        import fcntl
    except ImportError:   # Windows
        yield from _windows_lock(Path(folder))
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FolderInUse(f"{folder} is held by another writer") from None
        yield
    finally:
        os.close(fd)                                      # closing releases the lock


def _windows_lock(folder: Path) -> Iterator[None]:
    import msvcrt

    path = folder / ".vae-tutorial-lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    try:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            raise FolderInUse(f"{folder} is held by another writer") from None
        yield
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(path)
