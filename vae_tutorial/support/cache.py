"""One cache for everything the package trains: the book's models and the judge classifier.

An entry is one ``.pt`` file named ``<label>-<key>.pt``. The key hashes a *description* of what
was trained: its kind and configuration, the identity of the data it was trained on (a
fingerprint of the training images and labels, their number and the split) and
``FORMAT_VERSION``. The description is also stored inside the file and compared on load, so an
entry is never served for other data or another configuration, even if files are renamed.

Entries are looked for in two folders, in this order:

1. ``vae_tutorial/support/pretrained/``: weights that ship with the package, trained with the book's
   recipes on the standard data sets, so a reader with that exact data does not wait for
   training (see ``tools/train_pretrained.py``);
2. ``<cache folder>/models/``: what this machine trained.

Every file carries a SHA-256 checksum of its own content (weights and settings), checked before
it is used: a file that is unreadable, damaged (any byte changed since it was written), from
another format version, describes something else, or holds non-finite weights is reported in
one line and ignored (the caller trains again). Files are read with ``weights_only=True``, so a
file holding pickled code is refused without running it. Saving is atomic; when the cache folder
cannot be written (read-only, unreadable, a full disk) the caller still gets its model, with one
warning that nothing was cached.

It knows payloads (dicts of tensors and settings), not models: ``support/runs.py`` turns
them into trained models.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch

from .errors import TrainingError
from .messages import warn
from .paths import atomic_write, cache_dir, unwritable_reason

FORMAT_VERSION = 4   # 4: a checksum of the content inside each file; 3: the VAE's two heads
PRETRAINED_DIR = Path(__file__).resolve().parent / "pretrained"
# the payload's fields that hold tensors: the weights, and what a recorded run saw each epoch
TENSORS = ("state_dict", "recording")


class CacheEntryError(TrainingError):
    """A cache or checkpoint file that cannot be used (the message says why)."""


def entry_name(label: str, description: dict) -> str:
    """File name of the entry for ``description``: ``<label>-<16 hex digits>.pt``."""
    blob = json.dumps({"description": description, "format": FORMAT_VERSION}, sort_keys=True)
    return f"{label}-{hashlib.sha256(blob.encode()).hexdigest()[:16]}.pt"


def models_dir(root: str | Path | None = None) -> Path:
    """Where this machine's trained entries go: ``root`` or ``<cache folder>/models``."""
    return Path(root) if root is not None else cache_dir() / "models"


def checksum(payload: dict) -> str:
    """SHA-256 (hex) of a payload's content: every tensor's name, type, shape and bytes, and
    every other field as canonical JSON. Stored in the file; anything changed since then (a
    flipped bit, zeros written over a weight) gives another checksum."""
    h = hashlib.sha256()
    rest = {k: v for k, v in payload.items() if k not in (*TENSORS, "checksum")}
    h.update(json.dumps(rest, sort_keys=True, default=repr).encode())
    for field in TENSORS:   # the weights, then (if recorded) the recording, byte by byte
        tensors = payload.get(field) or {}
        prefix = "" if field == "state_dict" else f"{field}."
        for name in sorted(tensors):
            t = tensors[name].detach().cpu().contiguous()
            h.update(f"\n{prefix}{name} {t.dtype} {tuple(t.shape)}\n".encode())
            h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def read(path: str | Path) -> dict:
    """The payload of a cache entry or checkpoint, checked: a dict of our format version whose
    checksum matches its content and whose ``state_dict`` holds only finite tensors. Loaded with
    ``weights_only=True`` (no pickled code runs). Raises :class:`CacheEntryError` saying what is
    wrong."""
    path = Path(path)
    try:
        with warnings.catch_warnings():   # torch's notes on odd files: the one line below says it
            warnings.simplefilter("ignore")
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for a damaged or foreign file
        if isinstance(err, pickle.UnpicklingError) and "Weights only load failed" in str(err):
            raise CacheEntryError(f"{path} is not a vae_tutorial file: it holds Python objects "
                                  f"other than weights, which could run code when loaded, so it "
                                  f"was not loaded") from None
        raise CacheEntryError(f"{path} cannot be read ({type(err).__name__}: "
                              f"{_first_line(err)})") from None
    if not isinstance(payload, dict):
        raise CacheEntryError(f"{path} is not a vae_tutorial file (it holds a {type(payload).__name__})")
    if payload.get("format") != FORMAT_VERSION:
        raise CacheEntryError(f"{path} has format version {payload.get('format')!r}; this package "
                              f"reads version {FORMAT_VERSION}")
    state = payload.get("state_dict")
    if not isinstance(state, dict) or not state or not all(isinstance(t, torch.Tensor) for t in state.values()):
        raise CacheEntryError(f"{path} holds no weights")
    recording = payload.get("recording", {})
    if not isinstance(recording, dict) or not all(isinstance(t, torch.Tensor) for t in recording.values()):
        raise CacheEntryError(f"{path} holds a recording that is not tensors")
    if payload.get("checksum") != checksum(payload):
        raise CacheEntryError(f"{path} is damaged: its content no longer matches the checksum "
                              f"written with it (bytes changed on the disk or in a copy)")
    bad = [name for name, t in (*state.items(), *recording.items()) if not torch.isfinite(t).all()]
    if bad:
        raise CacheEntryError(f"{path} holds non-finite (NaN or infinite) weights in {', '.join(bad[:3])}")
    return payload


def write(path: str | Path, payload: dict) -> Path:
    """Save ``payload`` (with this format version and its checksum) atomically. Raises
    ``OSError`` on failure (a full disk too), leaving any earlier file at ``path`` intact."""
    return atomic_write(path, lambda f: f.write(serialize(payload)))


def serialize(payload: dict) -> bytes:
    """The bytes of the file for ``payload``: with this format version and its checksum.
    Serialised in memory, so a full disk fails in the write that follows (an ``OSError``),
    never inside ``torch.save`` (a ``RuntimeError`` that says nothing of the disk)."""
    payload = {k: v for k, v in payload.items() if k != "checksum"}
    payload["format"] = FORMAT_VERSION
    payload["checksum"] = checksum(payload)
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


@dataclass
class Found:
    """A usable entry: what ``restore`` made of it, where it is and whether it shipped with
    the package."""

    value: Any
    path: Path
    shipped: bool


def find(label: str, description: dict, restore: Callable[[dict, Path, bool], Any],
         root: str | Path | None = None, pretrained: bool = True) -> Found | None:
    """The entry for ``description``: shipped weights first (when ``pretrained``), then this
    machine's cache. ``restore(payload, path, shipped)`` builds the caller's object from a
    checked payload; a file that fails the checks or ``restore`` (weights that do not fit the
    model, say) is reported in one line and skipped."""
    name = entry_name(label, description)
    folders = ([(PRETRAINED_DIR, True)] if pretrained else []) + [(models_dir(root), False)]
    for folder, shipped in folders:
        path = folder / name
        try:
            if not path.is_file():
                continue
        except OSError as err:   # a folder that cannot be read: as if empty
            warn(f"Warning: the cache folder {folder} cannot be read ({err.strerror or err}); "
                 f"training instead.")
            continue
        try:
            payload = read(path)
            if payload.get("description") != description:
                raise CacheEntryError(f"{path} holds a different configuration or data than its "
                                      f"name says")
            return Found(restore(payload, path, shipped), path, shipped)
        except Exception as err:  # CacheEntryError names the file; restore's errors do not
            detail = err if isinstance(err, CacheEntryError) else f"{path} ({err})"
            warn(f"Ignoring a bad cached file and training again: {detail}.")
    return None


def store(label: str, description: dict, payload: dict, what: str,
          root: str | Path | None = None) -> Path | None:
    """Save ``payload`` as the entry for ``description`` in this machine's cache. Returns the
    path, or None (after one warning line) when the cache folder cannot be written."""
    folder = models_dir(root)
    reason = unwritable_reason(folder)
    try:
        if reason is None:
            return write(folder / entry_name(label, description), {**payload, "description": description})
    except OSError as err:
        reason = f"saving to {folder} failed ({err.strerror or type(err).__name__})"
    warn(f"Warning: nothing is cached, so the {what} will be trained again next time: {reason}. "
         f"Set $VAE_TUTORIAL_CACHE to a writable folder to keep it.")
    return None


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else "no detail"


def describe(kind: str, data_identity: dict, **settings: Any) -> dict:
    """A description: what is trained (``kind``), how (``settings``) and on what data."""
    return {"kind": kind, **settings, "data": data_identity}
