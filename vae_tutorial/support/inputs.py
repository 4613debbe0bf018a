"""The one adapter where users' data and settings enter the package.

The teaching modules (``models``, ``losses``, ``train``) are plain PyTorch: a wrong shape there
gets PyTorch's own error. The functions chapters and users call with their own data (the data
loaders, ``book.trained``, ``train_or_load``, the CLI, and the metrics, plots, widgets and latent
helpers) pass what they are given through here first, so bad input ends in one line that says
what was wrong and how to fix it, and good input arrives in the form the models take:
(N, 1, 28, 28) float32 in [0, 1], on the model's device.
"""

from __future__ import annotations

import math

import torch

from .devices import device_of
from .errors import ConfigError, DataError

SEED_LIMIT = 2**63            # torch's generators take seeds below this
IMAGE_SHAPE = (1, 28, 28)
MODEL_KINDS = ("ae", "vae", "cvae", "classifier")
DATASET_NAMES = ("mnist", "fashion-mnist")
RECONSTRUCTION_LOSSES = ("mse", "bce")


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
        (_whole(config.seed, 0) and config.seed < SEED_LIMIT,
         f"seed must be a whole number from 0 to 2**63 - 1, got {config.seed!r}"),
    ]
    for ok, message in checks:
        if not ok:
            raise ConfigError(message)


def count(n, what: str = "n") -> int:
    """A count the user gave (how many samples, steps, points): a whole number >= 0."""
    if not _whole(n, 0):
        raise ConfigError(f"{what} must be a whole number >= 0, got {n!r}")
    return n


# --------------------------------------------------------------------------- data sets

def check_dataset(d) -> None:
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


def labels(y, n: int, model: torch.nn.Module, what: str = "labels") -> torch.Tensor | None:
    """The labels a conditional VAE takes with ``n`` images or latent points: (n,) int64 in
    0..9 on its device (one number stands for all n). None for the other models, which take none."""
    conditional = getattr(getattr(model, "config", None), "kind", None) == "cvae"
    if not conditional:
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


def vae(model, what: str) -> None:
    """Refuse anything but an (unconditional) VAE where mu and sigma are needed."""
    if not hasattr(model, "reparameterize"):
        raise ConfigError(f"{what} needs a VAE (an encoder that outputs mu and sigma); got "
                          f"{type(model).__name__}")
    if getattr(model.config, "kind", None) == "cvae":
        raise ConfigError(f"{what} needs a VAE that takes images alone; the conditional VAE "
                          f"scores images with their labels (train.evaluate_loss(..., labels=...))")


def latent_model(model, what: str) -> None:
    """Refuse anything but an autoencoder or a VAE (e.g. the judge) where latent points are used."""
    if not hasattr(model, "latent_dim"):
        raise ConfigError(f"{what} needs an autoencoder or a VAE; got {type(model).__name__}")
