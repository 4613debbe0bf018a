import errno

import pytest

from conftest import files_in
from vae_tutorial.support import paths


def test_atomic_write_replaces_the_file_whole(tmp_path):
    target = tmp_path / "sub" / "model.pt"
    paths.atomic_write(target, lambda f: f.write(b"first"))
    paths.atomic_write(target, lambda f: f.write(b"second"))
    assert target.read_bytes() == b"second"
    assert [p.name for p in target.parent.iterdir()] == ["model.pt"]


def test_a_failed_write_leaves_the_old_file_and_no_litter(tmp_path):
    target = tmp_path / "model.pt"
    target.write_bytes(b"the user's model")

    def half_then_crash(f):
        f.write(b"half a fi")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        paths.atomic_write(target, half_then_crash)
    assert target.read_bytes() == b"the user's model"
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]


def test_cache_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("VAE_TUTORIAL_CACHE", str(tmp_path / "here"))
    assert paths.cache_dir() == tmp_path / "here"
    assert not (tmp_path / "here").exists()  # reading creates nothing; writers create folders
    monkeypatch.delenv("VAE_TUTORIAL_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert paths.cache_dir() == tmp_path / "xdg" / "vae-tutorial"


def test_a_full_disk_raises_oserror_and_leaves_the_old_file_and_no_litter(full_disk, tmp_path):
    disk = full_disk(tmp_path / "disk")
    target = disk / "model.pt"
    before = files_in(disk)
    with pytest.raises(OSError) as failure:
        paths.atomic_write(target, lambda f: f.write(bytes(2_000_000)))
    assert failure.value.errno == errno.ENOSPC and files_in(disk) == before


def test_a_new_file_that_cannot_be_written_leaves_nothing(full_disk, tmp_path):
    disk = full_disk(tmp_path / "disk")
    before = files_in(disk)
    with pytest.raises(OSError):
        paths.write_new_file(disk, "rescued-", ".pt", lambda f: f.write(bytes(2_000_000)))
    assert files_in(disk) == before
    made = paths.write_new_file(tmp_path, "rescued-", ".pt", lambda f: f.write(b"model"))
    assert made.parent == tmp_path and made.name.startswith("rescued-") and made.read_bytes() == b"model"


def test_a_folder_has_one_writer_at_a_time(tmp_path):
    with paths.folder_lock(tmp_path):
        with pytest.raises(paths.FolderInUse):
            with paths.folder_lock(tmp_path):
                pass
    with paths.folder_lock(tmp_path):   # released when the first writer is done
        pass
    assert list(tmp_path.iterdir()) == []   # and no lock file left behind


def test_files_published_together_are_never_from_two_writers(tmp_path):
    (tmp_path / "model.pt").write_bytes(b"old model")
    (tmp_path / "metrics.json").write_bytes(b"old metrics")

    def fails(f):
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        paths.atomic_write_together({tmp_path / "model.pt": lambda f: f.write(b"new model"),
                                     tmp_path / "metrics.json": fails})
    assert (tmp_path / "model.pt").read_bytes() == b"old model"        # all or nothing
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json", "model.pt"]
    paths.atomic_write_together({tmp_path / "model.pt": lambda f: f.write(b"new model"),
                                 tmp_path / "metrics.json": lambda f: f.write(b"new metrics")})
    assert (tmp_path / "metrics.json").read_bytes() == b"new metrics"


def test_the_cache_folder_needs_no_home(monkeypatch):
    monkeypatch.delenv("VAE_TUTORIAL_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)

    def no_home():
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(paths.Path, "home", staticmethod(no_home))
    assert paths.cache_dir().name == "vae-tutorial"


# ---------------------------------------------------------------- issue 28: permissions, and kills between renames

import os  # noqa: E402
import stat  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

from vae_tutorial.support import cache  # noqa: E402


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_files_get_the_permissions_the_umask_gives(umask, tmp_path):
    """Not mkstemp's 0600: a cache shared by a group must be readable by the group."""
    old = os.umask(umask)
    try:
        written = [paths.atomic_write(tmp_path / "one", lambda f: f.write(b"x")),
                   *paths.atomic_write_together({tmp_path / "model.pt": lambda f: f.write(b"m"),
                                                 tmp_path / "metrics.json": lambda f: f.write(b"j")}),
                   paths.write_new_file(tmp_path, "rescued-", ".pt", lambda f: f.write(b"r")),
                   cache.write(tmp_path / "entry.pt", {"weights": [1.0]})]
    finally:
        os.umask(old)
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path.name


# Writes a new model and its metrics over an old pair, and kills itself (SIGKILL, no clean-up)
# at the K-th os.replace, before it happens: 1 the note of the renames, 2 model.pt, 3 metrics.json.
_KILLED_WRITER = """
import os, signal, sys
from pathlib import Path
from vae_tutorial.support import paths
folder, kill_at, calls, real = Path(sys.argv[1]), int(sys.argv[2]), [0], os.replace
def replace(a, b):
    calls[0] += 1
    if calls[0] == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
    real(a, b)
os.replace = replace
paths.atomic_write_together({folder / "model.pt": lambda f: f.write(b"new model"),
                             folder / "metrics.json": lambda f: f.write(b"new metrics")})
"""


@pytest.mark.parametrize("kill_at", [1, 2, 3, 4])
def test_a_pair_killed_between_its_renames_is_old_or_new_never_mixed_or_lost(kill_at, tmp_path):
    (tmp_path / "model.pt").write_bytes(b"old model")
    (tmp_path / "metrics.json").write_bytes(b"old metrics")
    done = subprocess.run([sys.executable, "-c", _KILLED_WRITER, str(tmp_path), str(kill_at)],
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == (-9 if kill_at < 4 else 0)
    paths.finish_replacing(tmp_path)            # what the next run does first (or any next write)
    pair = ((tmp_path / "model.pt").read_bytes(), (tmp_path / "metrics.json").read_bytes())
    assert pair == ((b"old model", b"old metrics") if kill_at == 1 else (b"new model", b"new metrics"))
    paths.remove_stale_temporaries(tmp_path)     # the killed writer's process is gone
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json", "model.pt"]


def test_the_next_write_in_the_folder_finishes_a_killed_pair_first(tmp_path):
    (tmp_path / "model.pt").write_bytes(b"old model")
    (tmp_path / "metrics.json").write_bytes(b"old metrics")
    subprocess.run([sys.executable, "-c", _KILLED_WRITER, str(tmp_path), "3"],
                   env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert (tmp_path / "model.pt").read_bytes() == b"new model"       # killed between its two renames
    paths.atomic_write(tmp_path / "other", lambda f: f.write(b"x"))
    assert (tmp_path / "metrics.json").read_bytes() == b"new metrics"
