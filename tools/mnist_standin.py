"""Rebuild MNIST's 60,000 training digits, byte for byte, from the development copy.

``../shared/mnist-dev`` splits MNIST's training set in two (the first 50,000 as "train", the
last 10,000 as "t10k"). Concatenated they are exactly the training set torchvision downloads
(the uncompressed image file's MD5 is checked below). The folder this writes puts all 60,000 in
``train-*`` and repeats the last 10,000 as ``t10k-*``: that held-out split overlaps the
training set, so figures measured on it mean nothing. It exists for two jobs only: training the
package's shipped weights on the real training set, and timing the path readers of the
published book take (their data's fingerprint matches the shipped weights).

    python tools/mnist_standin.py ../shared/mnist-dev /tmp/mnist-standin
"""

from __future__ import annotations

import gzip
import hashlib
import struct
import sys
from pathlib import Path

# MD5 of torchvision's (and LeCun's) uncompressed train-images-idx3-ubyte
MNIST_TRAIN_IMAGES_MD5 = "6bbc9ace898e44ae57da46a324031adb"


def _read(path: Path) -> bytes:
    return gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()


def _find(folder: Path, stem: str) -> Path:
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    raise SystemExit(f"{folder} has no {stem}[.gz]")


def build_standin(dev_root: str | Path, out_root: str | Path) -> Path:
    """Write the stand-in into ``out_root/MNIST/raw`` and return ``out_root``."""
    raw_in = Path(dev_root) / "MNIST" / "raw"
    raw_out = Path(out_root) / "MNIST" / "raw"
    raw_out.mkdir(parents=True, exist_ok=True)
    for kind, magic, item in (("images", 3, 28 * 28), ("labels", 1, 1)):
        first = _read(_find(raw_in, f"train-{kind}-idx{magic}-ubyte"))
        last = _read(_find(raw_in, f"t10k-{kind}-idx{magic}-ubyte"))
        header = 8 if kind == "labels" else 16
        body = first[header:] + last[header:]
        n = len(body) // item
        dims = (n,) if kind == "labels" else (n, 28, 28)
        whole = bytes([0, 0, 8, len(dims)]) + struct.pack(">" + "I" * len(dims), *dims) + body
        if kind == "images" and hashlib.md5(whole).hexdigest() != MNIST_TRAIN_IMAGES_MD5:
            raise SystemExit(f"{raw_in} does not rebuild MNIST's training set (MD5 differs)")
        (raw_out / f"train-{kind}-idx{magic}-ubyte").write_bytes(whole)
        (raw_out / f"t10k-{kind}-idx{magic}-ubyte").write_bytes(last)
    return Path(out_root)


if __name__ == "__main__":
    print(build_standin(sys.argv[1], sys.argv[2]))
