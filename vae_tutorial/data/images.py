"""A data set as the book holds it: whole splits as tensors, checked once when made, with a
fingerprint of the training images that names what a model was trained on."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

import torch

from ..support.contracts import Choice, Count, Seed, checked
from ..support.errors import DataError

DIGIT_NAMES = tuple(str(d) for d in range(10))
FASHION_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
OFFLINE_VARIANT = "offline-5000"

# name -> (torchvision's folder name, class names)
DATASETS = {
    "mnist": ("MNIST", DIGIT_NAMES),
    "fashion-mnist": ("FashionMNIST", FASHION_NAMES),
}


def fingerprint(images: torch.Tensor, labels: torch.Tensor) -> str:
    """SHA-256 (hex) of uint8 images (N, 28, 28) and their labels: the data's identity.

    Computed from the content every time a data set is loaded (about 0.1 s for MNIST's 47 MB),
    never remembered by file name, size or date: a copy that keeps those (``cp -p``, a tar
    archive) of other images still gets its own fingerprint, so it never gets another data set's
    models."""
    h = hashlib.sha256()
    h.update(f"images {tuple(images.shape)}\n".encode())
    h.update(images.contiguous().numpy())           # the buffer itself: no 47 MB copy
    h.update(f"labels {tuple(labels.shape)}\n".encode())
    h.update(labels.numpy().astype("<i8").tobytes())
    return h.hexdigest()


def _check(d) -> None:
    """Refuse an ``ImageData`` that would train silently wrong: empty, not uint8, bad labels."""
    for split in ("train", "test"):
        images, labels = getattr(d, f"{split}_images"), getattr(d, f"{split}_labels")
        where = f"{d.name} {split}_images"
        if not isinstance(images, torch.Tensor) or not isinstance(labels, torch.Tensor):
            raise DataError(f"{where} and {split}_labels must be torch tensors")
        if images.is_floating_point() and bool(torch.isnan(images).any()):
            raise DataError(f"{where} holds NaN pixel values. Drop or repair those images before "
                            f"training; pixels must be whole numbers 0-255 (uint8).")
        if images.dtype != torch.uint8 or images.dim() != 3 or tuple(images.shape[1:]) != (28, 28):
            raise DataError(
                f"{where} must be a uint8 tensor of shape (N, 28, 28), got {images.dtype} of shape "
                f"{tuple(images.shape)}. For floats in [0, 1] use (x * 255).round().to(torch.uint8); "
                f"for (N, 1, 28, 28) use x.squeeze(1).")
        if len(images) == 0:
            raise DataError(f"{where} holds no images; a model cannot be trained or tested on an "
                            f"empty split. Check the files (or the subset) you gave.")
        if labels.dim() != 1 or len(labels) != len(images) or labels.dtype != torch.int64:
            raise DataError(f"{d.name} {split}_labels must be int64 of shape ({len(images)},), got "
                            f"{labels.dtype} of shape {tuple(labels.shape)}")
        if int(labels.min()) < 0 or int(labels.max()) >= len(d.class_names):
            raise DataError(f"{d.name} {split}_labels must lie in 0..{len(d.class_names) - 1}, found "
                            f"{int(labels.min())}..{int(labels.max())}")


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
    binarised: bool = False        # every pixel black or white (:meth:`binarized`)
    # The training split's fingerprint, computed from the tensors on first use
    known_fingerprint: str | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        _check(self)   # empty, not uint8, bad labels: refused here, in one line

    @property
    def is_full(self) -> bool:
        return self.variant == "full"

    def images(self, split: Choice("train", "test") = "test", n: Count(0) = None) -> torch.Tensor:
        """Images of ``split`` as floats: (N, 1, 28, 28) in [0, 1] (the first ``n`` if given)."""
        return getattr(self, f"{split}_images")[:n].unsqueeze(1).float().div_(255)

    def labels(self, split: Choice("train", "test") = "test") -> torch.Tensor:
        return getattr(self, f"{split}_labels")

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the training images and labels (hex), computed once per object."""
        if self.known_fingerprint is None:
            object.__setattr__(self, "known_fingerprint",
                               fingerprint(self.train_images, self.train_labels))
        return self.known_fingerprint

    def identity(self) -> dict:
        """What a model trained on this data saw: dataset, split, size and fingerprint. Part of
        every cache key and stored in every checkpoint."""
        return {"dataset": self.name, "split": "train", "n": len(self.train_labels),
                "sha256": self.fingerprint}

    def first(self, n: Count(1)) -> "ImageData":
        """This data with only its first ``n`` training images (held-out images unchanged), to
        compare datasets at the same training-set size. Its fingerprint is its own, so its models
        never share a cache entry with the whole set's; with ``n`` >= the training set, itself."""
        if n >= len(self.train_labels):
            return self
        return replace(self, train_images=self.train_images[:n], train_labels=self.train_labels[:n],
                       variant=f"{self.variant}-first-{n}")

    def binarized(self, seed: Seed = 0) -> "ImageData":
        """This data with every pixel black or white: ink (255) with probability its grey value,
        drawn once from ``seed``, in both splits (a fixed binarisation, as papers that want exact
        likelihoods use: the Bernoulli decoder's BCE is then a true log-probability). Its
        fingerprint is its own, so its models never share a cache entry with the grey data's."""
        gen = torch.Generator().manual_seed(seed)

        def black_and_white(images: torch.Tensor) -> torch.Tensor:
            ink = torch.rand(images.shape, generator=gen) * 255 < images.float()
            return ink.to(torch.uint8) * 255

        return replace(self, train_images=black_and_white(self.train_images),
                       test_images=black_and_white(self.test_images),
                       source=f"{self.source}, binarised (seed {seed})", binarised=True)

    def describe(self) -> str:
        """One line: which data, how many images, from where."""
        return (f"{self.name} ({self.variant}): {len(self.train_labels):,} train / "
                f"{len(self.test_labels):,} held-out images, from {self.source}")


checked(globals())
