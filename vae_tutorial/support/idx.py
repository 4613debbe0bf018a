"""IDX files, the format MNIST and Fashion-MNIST come in: read with every header checked, written."""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path

import numpy as np

from .errors import DataError


def _fix_hint(path: Path) -> str:
    return f"Delete {path} and download it again (or point data_dir at a folder with intact files)."


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file of unsigned bytes (optionally gzipped), validating the header.

    Raises :class:`DataError` naming the file for a broken gzip stream, a wrong magic
    number, or a size that does not match the header (truncated or padded file).
    """
    path = Path(path)
    try:
        with (gzip.open if path.suffix == ".gz" else open)(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(f"{path} is not a readable gzip/IDX file ({err}). {_fix_hint(path)}") from None
    if len(raw) < 4 or raw[0:2] != b"\x00\x00" or raw[2] != 0x08 or not 1 <= raw[3] <= 4:
        magic = raw[:4].hex() if len(raw) >= 4 else "missing"
        raise DataError(
            f"{path} is not an IDX file of unsigned bytes (magic number {magic}, "
            f"expected 00000801 for labels or 00000803 for images). {_fix_hint(path)}")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path} is truncated inside its header. {_fix_hint(path)}")
    dims = struct.unpack(">" + "I" * ndim, raw[4:header])
    expected = header + math.prod(dims)  # Python ints: a corrupt header cannot overflow
    if len(raw) != expected:
        what = "truncated" if len(raw) < expected else "longer than its header says"
        raise DataError(
            f"{path} is {what}: its header promises {' x '.join(map(str, dims))} bytes of data "
            f"({expected:,} bytes in all) but the file holds {len(raw):,}. {_fix_hint(path)}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write a uint8 array as an IDX file (gzipped when ``path`` ends in .gz)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    payload = bytes([0, 0, 0x08, array.ndim]) + struct.pack(">" + "I" * array.ndim, *array.shape)
    payload += array.tobytes()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with (gzip.open if path.suffix == ".gz" else open)(path, "wb") as f:
        f.write(payload)
