"""The one adapter where users' data and settings enter the package.

The teaching modules (``models``, ``losses``, ``train``) are plain PyTorch: a wrong shape there
gets PyTorch's own error. The functions chapters and users call with their own data (the data
loaders, ``book.trained``, ``train_or_load``, the CLI, and the metrics, plots, widgets and latent
helpers) pass what they are given through here first, so bad input ends in one line that says
what was wrong and how to fix it, and good input arrives in the form the models take:
(N, 1, 28, 28) float32 in [0, 1], on the model's device.
"""

from __future__ import annotations

import inspect
import math

import numpy as np
import torch

from .devices import device_of
from .errors import ConfigError, TrainingError

SEED_LIMIT = 2**63            # torch's generators take seeds below this
IMAGE_SHAPE = (1, 28, 28)
MODEL_KINDS = ("ae", "vae", "cvae", "classifier")
DATASET_NAMES = ("mnist", "fashion-mnist")
RECONSTRUCTION_LOSSES = ("mse", "bce")
SCHEDULES = ("constant", "one-cycle")    # train.TrainConfig.schedule


# --------------------------------------------------------------------------- settings

def _whole(value, low: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def _number(value, positive: bool) -> bool:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return ok and (value > 0 if positive else value >= 0)


def check_model_config(config) -> None:
    """Refuse a ``models.ModelConfig`` that cannot be built, in one line."""
    checks = [
        (config.kind in MODEL_KINDS, f"model kind must be one of {', '.join(map(repr, MODEL_KINDS))}, got {config.kind!r}"),
        (config.architecture in ("mlp", "conv"), f"architecture must be 'mlp' or 'conv', got {config.architecture!r}"),
        (config.kind != "cvae" or config.architecture == "mlp",
         "the conditional VAE (kind 'cvae') is an MLP: use architecture='mlp'"),
        (_whole(config.latent_dim, 1), f"latent_dim must be a whole number >= 1, got {config.latent_dim!r}"),
        (isinstance(config.hidden_dims, tuple) and len(config.hidden_dims) > 0
         and all(_whole(h, 1) for h in config.hidden_dims),
         f"hidden_dims must be one or more whole numbers >= 1, got {config.hidden_dims!r}"),
    ]
    for ok, message in checks:
        if not ok:
            raise ConfigError(message)


def check_train_config(config) -> None:
    """Refuse a ``train.TrainConfig`` (and its model) that cannot train, in one line."""
    check_model_config(config.model)
    checks = [
        (config.dataset in DATASET_NAMES, f"dataset must be 'mnist' or 'fashion-mnist', got {config.dataset!r}"),
        (config.loss in RECONSTRUCTION_LOSSES, f"loss must be one of {RECONSTRUCTION_LOSSES}, got {config.loss!r}"),
        (_number(config.beta, positive=False), f"beta must be a number >= 0, got {config.beta!r}"),
        (_whole(config.epochs, 1), f"epochs must be a whole number >= 1, got {config.epochs!r}"),
        (_whole(config.batch_size, 1), f"batch_size must be a whole number >= 1, got {config.batch_size!r}"),
        (_number(config.lr, positive=True), f"lr (learning rate) must be a number > 0, got {config.lr!r}"),
        (config.schedule in SCHEDULES, f"schedule must be one of {SCHEDULES}, got {config.schedule!r}"),
        (_whole(config.seed, 0) and config.seed < SEED_LIMIT,
         f"seed must be a whole number from 0 to 2**63 - 1, got {config.seed!r}"),
    ]
    for ok, message in checks:
        if not ok:
            raise ConfigError(message)


def count(n, what: str = "n", low: int = 0) -> int:
    """A count the user gave (how many samples, steps, points): a whole number >= ``low``."""
    if not _whole(n, low):
        raise ConfigError(f"{what} must be a whole number >= {low}, got {n!r}")
    return n


def seed(value, what: str = "seed") -> int:
    """A seed for torch's and numpy's generators: a whole number from 0 to 2**63 - 1."""
    if not (_whole(value, 0) and value < SEED_LIMIT):
        raise ConfigError(f"{what} must be a whole number from 0 to 2**63 - 1, got {value!r}")
    return value


def number(value, what: str, *, above: float | None = None, at_least: float | None = None,
           at_most: float | None = None, below: float | None = None,
           infinite: bool = False) -> float:
    """A setting that is one real number (mu, sigma, a threshold, a share): finite (or, with
    ``infinite``, any but NaN), within the bounds given; returned as a float."""
    ok = isinstance(value, (int, float, np.number)) and not isinstance(value, (bool, np.bool_))
    ok = ok or (isinstance(value, torch.Tensor) and value.numel() == 1 and not value.is_complex())
    x = float(value) if ok else math.nan
    bounds = [(above, lambda b: x > b, "above"), (at_least, lambda b: x >= b, ">="),
              (at_most, lambda b: x <= b, "<="), (below, lambda b: x < b, "below")]
    if math.isnan(x) or (math.isinf(x) and not infinite) or not all(
            test(b) for b, test, _ in bounds if b is not None):
        wanted = " and ".join(f"{word} {b:g}" for b, _, word in bounds if b is not None)
        kind = "a number (not NaN)" if infinite else "a finite number"
        raise ConfigError(f"{what} must be {kind}{' ' + wanted if wanted else ''}, got {value!r}")
    return x


# --------------------------------------------------------------------------- data sets

# --------------------------------------------------------------------------- tensors

def images(x, model: torch.nn.Module | None = None, what: str = "images",
           allow_empty: bool = True) -> torch.Tensor:
    """Images as the models take them: (N, 1, 28, 28) float in [0, 1], with ``model``'s float
    type on its device (float32 on the CPU without one).

    Accepted: (N, 1, 28, 28) or (N, 28, 28); uint8 pixels (0-255, scaled to [0, 1]) or floats in
    [0, 1]. Refused, in one line: other shapes, other integer types (0-1 or 0-255 cannot be
    told apart), values that are not finite or lie outside [0, 1], and no images at all where a
    result would be an average over them (``allow_empty=False``)."""
    if not isinstance(x, torch.Tensor):
        raise ConfigError(f"{what} must be a torch tensor of shape (N, 1, 28, 28), got "
                          f"{type(x).__name__}; data.ImageData.images() gives that")
    if x.dim() == 3 and tuple(x.shape[1:]) == (28, 28):
        x = x.unsqueeze(1)
    if x.dim() != 4 or tuple(x.shape[1:]) != IMAGE_SHAPE:
        raise ConfigError(f"{what} must have shape (N, 1, 28, 28) (or (N, 28, 28)), got "
                          f"{tuple(x.shape)}; data.ImageData.images() gives that shape")
    if not allow_empty and len(x) == 0:
        raise ConfigError(f"{what} holds no images; pass at least one")
    device, dtype = (device_of(model), next(model.parameters()).dtype) if model is not None \
        else (x.device, torch.float32)
    if x.dtype == torch.uint8:
        return x.to(device).to(dtype).div_(255)
    if not x.is_floating_point():
        raise ConfigError(f"{what} must be floats in [0, 1] (or uint8 0-255), got {x.dtype}; "
                          f"use x.float() / 255 if they are 0-255, x.float() if they are 0-1")
    if len(x):
        low, high = float(x.min()), float(x.max())
        if not (math.isfinite(low) and math.isfinite(high)):
            raise ConfigError(f"{what} hold NaN or infinite values; pixels must lie in [0, 1]")
        if low < 0 or high > 1:
            hint = " (for images scaled to [-1, 1] use (x + 1) / 2)" if low >= -1 and low < 0 else ""
            raise ConfigError(f"{what} must lie in [0, 1], got values from {low:.3g} to "
                              f"{high:.3g}{hint}")
    return x.to(device=device, dtype=dtype)


def latents(z, model: torch.nn.Module, what: str = "latent points") -> torch.Tensor:
    """Latent points for ``model``: (N, latent_dim) finite reals, as its float type on its device."""
    dim = model.latent_dim
    if not isinstance(z, torch.Tensor):
        raise ConfigError(f"{what} must be a tensor of shape (N, {dim}), got {type(z).__name__}")
    if z.dim() != 2 or z.shape[1] != dim:
        hint = " One point is z[None] or torch.tensor([[...]])." if z.dim() == 1 else ""
        raise ConfigError(f"{what} must have shape (N, {dim}) for this model, got "
                          f"{tuple(z.shape)}.{hint}")
    if z.is_complex() or z.dtype == torch.bool:
        raise ConfigError(f"{what} must be real numbers, got {z.dtype}")
    if not bool(torch.isfinite(z.float()).all()):
        raise ConfigError(f"{what} hold NaN or infinite values; the decoder needs finite numbers")
    return z.to(device=device_of(model), dtype=next(model.parameters()).dtype)


def model_labels(y, n: int, model: torch.nn.Module, what: str = "labels") -> torch.Tensor | None:
    """The labels a conditional VAE takes with ``n`` images or latent points: (n,) int64 in
    0..9 on its device (one number stands for all n). None for the other models, which take none."""
    if not conditional(model):
        if y is not None:
            raise ConfigError(f"{what}: only the conditional VAE takes labels; this is a "
                              f"{type(model).__name__}. Leave labels out.")
        return None
    if y is None:
        raise ConfigError(f"the conditional VAE needs a label for every image or latent point: "
                          f"pass {what}=... (one number 0-9, or one per row)")
    if isinstance(y, int) and not isinstance(y, bool):
        y = torch.full((n,), y, dtype=torch.long)
    if not isinstance(y, torch.Tensor) or y.is_floating_point() or y.is_complex() or y.dtype == torch.bool:
        raise ConfigError(f"{what} must be whole numbers 0-9 (an int or an integer tensor), got "
                          f"{getattr(y, 'dtype', type(y).__name__)}")
    if y.dim() == 0:
        y = y.expand(n)
    if y.dim() != 1 or len(y) != n:
        raise ConfigError(f"{what} must have shape ({n},), one per row, got {tuple(y.shape)}")
    if n and (int(y.min()) < 0 or int(y.max()) > 9):
        raise ConfigError(f"{what} must lie in 0..9, found {int(y.min())}..{int(y.max())}")
    return y.to(device=device_of(model), dtype=torch.long)


def conditional(model) -> bool:
    """Whether ``model`` is a conditional VAE: one whose encoder takes each image's label."""
    encode = getattr(model, "encode", None)
    return encode is not None and len(inspect.signature(encode).parameters) == 2


def vae(model, what: str) -> None:
    """Refuse anything but an (unconditional) VAE where mu and sigma are needed."""
    if not hasattr(model, "reparameterize"):
        raise ConfigError(f"{what} needs a VAE (an encoder that outputs mu and sigma); got "
                          f"{type(model).__name__}")
    if conditional(model):
        raise ConfigError(f"{what} needs a VAE that takes images alone; the conditional VAE "
                          f"scores images with their labels (train.evaluate_loss(..., labels=...))")


def latent_model(model, what: str) -> None:
    """Refuse anything but an autoencoder or a VAE (e.g. the judge) where latent points are used."""
    if not hasattr(model, "latent_dim"):
        raise ConfigError(f"{what} needs an autoencoder or a VAE; got {type(model).__name__}")


# --------------------------------------------------------------------------- points, labels, results

def points(x, what: str = "codes", least: int = 1, dim: int | None = None,
           flatten: bool = False) -> torch.Tensor:
    """Points (codes, latent points, 2-d embeddings) as the metrics take them: (N, d) float64 on
    the CPU. Accepted: tensors, numpy arrays, nested lists; with ``flatten``, (N, ...) such as
    images, flattened to (N, d). Refused, in one line: another shape, fewer than ``least``
    points, ``dim`` columns when another number is asked for, NaN or infinite values."""
    try:
        t = (x.detach().to("cpu", torch.float64) if isinstance(x, torch.Tensor)
             else torch.as_tensor(np.asarray(x, dtype=np.float64)))
    except (TypeError, ValueError, RuntimeError):
        raise ConfigError(f"{what} must be numbers of shape (N, d), one row per point; got "
                          f"{type(x).__name__}") from None
    if flatten and t.dim() >= 2:
        t = t.flatten(1)
    if t.dim() != 2 or t.shape[1] == 0:
        raise ConfigError(f"{what} must have shape (N, d), one row per point, got {tuple(t.shape)}")
    if dim is not None and t.shape[1] != dim:
        raise ConfigError(f"{what} must have {dim} numbers per point (as the others here), got "
                          f"{t.shape[1]}")
    if len(t) < least:
        raise ConfigError(f"{what} hold {len(t)} point(s); this needs at least {least}")
    if not bool(torch.isfinite(t).all()):
        raise ConfigError(f"{what} hold NaN or infinite values")
    return t


def values(x, n: int | None, what: str, least: int = 0) -> torch.Tensor:
    """One finite number per item (losses, confidences, scores): (n,) float64 on the CPU; where
    ``n`` is None, any number of them, at least ``least``."""
    flat = x.detach().cpu() if isinstance(x, torch.Tensor) else np.asarray(x)
    if flat.ndim != 1 or (n is not None and len(flat) != n):
        count = "numbers" if n is None else f"{n} numbers"
        raise ConfigError(f"{what} must be {count} in a flat list, got shape {tuple(flat.shape)}")
    return points(flat[:, None], what, least=least)[:, 0]


def named(entries, what: str, kind: str = "name -> model") -> dict:
    """A dict of at least one named entry (models, runs, data sets), as ``kind`` says."""
    if not isinstance(entries, dict) or not entries:
        got = "{}" if isinstance(entries, dict) else type(entries).__name__
        raise ConfigError(f"{what} needs a dict of at least one {kind}; got {got}")
    return entries


def scores(per_set, what: str, like: dict | None = None) -> dict:
    """Scores of images by data set (log p(x), compressed lengths): {set name: (N,) finite
    numbers}, at least one set of at least one image, each returned as (N,) float64 on the
    CPU. With ``like`` (such a dict, checked already), each set must be one of ``like``'s and
    hold as many scores."""
    out = {}
    for name, v in named(per_set, what, "data set name -> scores (one per image)").items():
        if like is not None and name not in like:
            raise ConfigError(f"{what} hold scores of {name!r}, which the others lack (they "
                              f"have {', '.join(map(str, like))})")
        out[name] = values(v, None, f"{what}, {name!r},", least=1)
        if like is not None and len(out[name]) != len(like[name]):
            raise ConfigError(f"{what} hold {len(out[name])} scores of {name!r}, the others "
                              f"{len(like[name])}: one per image, of the same images")
    return out


def labels(y, n: int, what: str = "labels", classes: int | None = None) -> torch.Tensor:
    """Class labels, one per point: (n,) whole numbers from 0 (below ``classes`` when given),
    returned as int64 on the CPU."""
    try:
        t = y.detach().cpu() if isinstance(y, torch.Tensor) else torch.as_tensor(np.asarray(y))
    except (TypeError, ValueError, RuntimeError):
        t = None
    if t is None or t.dtype == torch.bool or t.is_complex() or (
            t.is_floating_point() and not bool((t == t.round()).all())):
        raise ConfigError(f"{what} must be whole numbers (class numbers, e.g. "
                          f"data.class_names.index('Coat')), got {type(y).__name__}")
    if t.dim() != 1 or len(t) != n:
        raise ConfigError(f"{what} must be one per point: shape ({n},), got {tuple(t.shape)}")
    t = t.long()
    if n and (int(t.min()) < 0 or (classes is not None and int(t.max()) >= classes)):
        top = f"..{classes - 1} ({classes} classes)" if classes is not None else " or more"
        raise ConfigError(f"{what} must lie in 0{top}, found {int(t.min())}..{int(t.max())}")
    return t


def image_data(d, what: str) -> None:
    """Refuse anything but a ``data.ImageData`` where a data set is needed."""
    if type(d).__name__ != "ImageData" or not hasattr(d, "identity"):
        raise ConfigError(f"{what} needs a data set (data.load_mnist() gives one), got "
                          f"{type(d).__name__}")


def class_index(k, data, what: str = "class") -> int:
    """A class of ``data`` by number (0 .. classes - 1)."""
    names = data.class_names
    if not _whole(k, 0) or k >= len(names):
        raise ConfigError(f"{what} must be a class number from 0 to {len(names) - 1} "
                          f"({', '.join(names[:3])}, ...), got {k!r}")
    return k


def finite_result(t: torch.Tensor, what: str, large_input: float | None = None) -> torch.Tensor:
    """``t``, a model's output, checked to be finite: NaN or infinity here means diverged weights
    (or, where ``large_input`` is the largest input value, inputs too large for float32)."""
    if t.is_floating_point() and not bool(torch.isfinite(t).all()):
        if large_input is not None and large_input > 1e4:
            raise ConfigError(f"the {what} overflow (NaN or infinity) for inputs as large as "
                              f"{large_input:.3g}; latent values lie within a few units of 0")
        raise TrainingError(f"the model's {what} are not finite (NaN or infinity): its weights have "
                            f"diverged. Train it again with a smaller learning rate or beta.")
    return t
