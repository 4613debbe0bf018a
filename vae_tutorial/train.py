"""Training: one ``fit`` loop, device choice, and a checkpoint cache keyed by configuration.

The loop is the article's five steps — encode into mu and sigma, sample a latent point,
decode, compute both losses, update — over batches taken by index from tensors that live
on the device, so no DataLoader or per-image Python code sits in the hot path.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Callable

import torch
from tqdm.auto import tqdm

from .data import ImageData, load_dataset, say
from .errors import ConfigError, TrainingError
from .losses import RECONSTRUCTION_LOSSES, LossTerms, negative_elbo, vae_loss
from .models import Autoencoder, ModelConfig, build_model
from .paths import atomic_write, cache_dir

FORMAT_VERSION = 1


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a trained model; also its cache key and its CLI arguments."""

    model: ModelConfig = field(default_factory=ModelConfig)
    dataset: str = "mnist"           # "mnist" or "fashion-mnist"
    loss: str = "mse"                # reconstruction loss: "mse" (the article's) or "bce"
    beta: float = 1.0                # weight of the KL term
    epochs: int = 20
    batch_size: int = 128
    lr: float = 1e-3
    seed: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.model, dict):
            object.__setattr__(self, "model", ModelConfig(**self.model))
        checks = [
            (self.dataset in ("mnist", "fashion-mnist"), f"dataset must be 'mnist' or 'fashion-mnist', got {self.dataset!r}"),
            (self.loss in RECONSTRUCTION_LOSSES, f"loss must be one of {RECONSTRUCTION_LOSSES}, got {self.loss!r}"),
            (isinstance(self.beta, (int, float)) and math.isfinite(self.beta) and self.beta >= 0, f"beta must be a number >= 0, got {self.beta!r}"),
            (isinstance(self.epochs, int) and self.epochs >= 1, f"epochs must be a whole number >= 1, got {self.epochs!r}"),
            (isinstance(self.batch_size, int) and self.batch_size >= 1, f"batch_size must be a whole number >= 1, got {self.batch_size!r}"),
            (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0, f"lr (learning rate) must be a number > 0, got {self.lr!r}"),
            (isinstance(self.seed, int), f"seed must be a whole number, got {self.seed!r}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)
        object.__setattr__(self, "beta", float(self.beta))
        object.__setattr__(self, "lr", float(self.lr))

    def as_dict(self) -> dict:
        return {**asdict(self), "model": self.model.as_dict()}

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    def cache_key(self, data_variant: str) -> str:
        """A short hash of the whole configuration, the data variant and the format version."""
        blob = json.dumps({"config": self.as_dict(), "data": data_variant,
                           "format": FORMAT_VERSION}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def pick_device(device: str | torch.device = "auto") -> torch.device:
    """"auto" picks CUDA, then Apple's MPS, then the CPU; anything else is checked."""
    if str(device) == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        chosen = torch.device(device)
    except (RuntimeError, TypeError):
        raise ConfigError(f"unknown device {device!r}; use 'auto', 'cpu', 'cuda' or 'mps'") from None
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device 'cuda' was asked for but no CUDA GPU is available; use --device auto or cpu")
    if chosen.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError("device 'mps' was asked for but Apple MPS is not available; use --device auto or cpu")
    return chosen


@dataclass
class History:
    """Per-epoch figures, one list per quantity, ready to plot (losses per image)."""

    train_loss: list[float] = field(default_factory=list)
    reconstruction: list[float] = field(default_factory=list)
    kl: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> list[int]:
        return list(range(1, len(self.train_loss) + 1))

    def append(self, **values: float) -> None:
        for key, value in values.items():
            getattr(self, key).append(float(value))

    def as_dict(self) -> dict:
        return asdict(self)

    def rows(self) -> list[dict]:
        """One dict per epoch (what metrics.json stores)."""
        return [{"epoch": e, **{k: v[e - 1] for k, v in self.as_dict().items()}} for e in self.epochs]


@torch.no_grad()
def evaluate_loss(model: Autoencoder, images: torch.Tensor, kind: str, beta: float = 1.0,
                  batch_size: int = 1000, seed: int = 0, elbo: bool = False) -> LossTerms:
    """Average loss per image over ``images`` ((N, 28, 28) uint8 or (N, 1, 28, 28) float).

    With ``elbo=True`` it is the negative ELBO in nats (BCE + KL) whatever ``kind`` is.
    The sampling noise comes from ``seed``, so the figure is repeatable.
    """
    model.eval()
    device = next(model.parameters()).device
    gen = torch.Generator(device=device).manual_seed(seed)
    totals = torch.zeros(3, dtype=torch.float64)
    for start in range(0, len(images), batch_size):
        x = _as_float(images[start:start + batch_size].to(device))
        out = model(x, generator=gen)
        terms = negative_elbo(out, x) if elbo else vae_loss(out, x, kind, beta)
        totals += torch.stack([t.detach().double().cpu() for t in terms]) * len(x)
    model.train()
    return LossTerms(*(totals / max(len(images), 1)).tolist())


def _as_float(x: torch.Tensor) -> torch.Tensor:
    """uint8 (B, 28, 28) -> float (B, 1, 28, 28) in [0, 1]; floats pass through."""
    if x.dtype == torch.uint8:
        return x.unsqueeze(1).float().div_(255)
    return x


def make_optimizer(model: Autoencoder, lr: float) -> torch.optim.Optimizer:
    """Adam; the fused kernel where this PyTorch has it (one kernel for all parameters is
    several times faster than a loop over them on the CPU)."""
    try:
        return torch.optim.Adam(model.parameters(), lr=lr, fused=True)
    except (RuntimeError, TypeError, ValueError):  # older PyTorch or an unsupported device
        return torch.optim.Adam(model.parameters(), lr=lr)


def fit(model: Autoencoder, data: ImageData, config: TrainConfig,
        device: str | torch.device = "auto", progress: bool = True,
        on_epoch: Callable[[int, History], None] | None = None) -> History:
    """Train ``model`` in place on ``data.train_*`` and return its per-epoch :class:`History`.

    ``progress`` shows a tqdm bar; ``on_epoch(epoch, history)`` runs after every epoch.

    Same seed and same device -> the same history, bit for bit. Raises
    :class:`TrainingError` (naming the epoch and batch) if the loss stops being finite.
    """
    device = pick_device(device)
    model.to(device).train()
    train = data.train_images.to(device)   # moved once; batches are indexed on the device
    test = data.test_images.to(device)
    gen = torch.Generator(device=device).manual_seed(config.seed)
    optimizer = make_optimizer(model, config.lr)
    n, bs = len(train), config.batch_size
    steps = math.ceil(n / bs)
    history = History()
    bar = tqdm(total=config.epochs * steps, disable=not progress, unit="batch",
               desc=f"training {config.model.kind} on {data.name}", leave=True)
    for epoch in range(1, config.epochs + 1):
        started = time.perf_counter()
        sums = torch.zeros(3, device=device)
        order = torch.randperm(n, generator=gen, device=device)
        for step in range(steps):
            idx = order[step * bs:(step + 1) * bs]
            x = _as_float(train.index_select(0, idx))
            out = model(x, generator=gen)                      # encode, sample, decode
            terms = vae_loss(out, x, config.loss, config.beta)  # both losses
            if not torch.isfinite(terms.total):
                bar.close()
                raise TrainingError(
                    f"the loss became {terms.total.item()} at epoch {epoch}, batch {step + 1} "
                    f"(reconstruction {terms.reconstruction.item():.4g}, KL {terms.kl.item():.4g}). "
                    f"Try a smaller learning rate (now {config.lr}), a smaller beta, or loss='bce'.")
            optimizer.zero_grad(set_to_none=True)
            terms.total.backward()                             # update
            optimizer.step()
            with torch.no_grad():
                sums += torch.stack(terms) * len(idx)
            bar.update(1)
        train_loss, rec, kl = (sums / n).tolist()
        held_out = evaluate_loss(model, test, config.loss, config.beta, seed=config.seed).total
        history.append(train_loss=train_loss, reconstruction=rec, kl=kl, test_loss=held_out,
                       seconds=time.perf_counter() - started)
        bar.set_postfix(epoch=epoch, loss=f"{train_loss:.2f}", held_out=f"{held_out:.2f}")
        if on_epoch is not None:
            on_epoch(epoch, history)
    bar.close()
    model.eval()
    return history


# --------------------------------------------------------------------------- checkpoints

@dataclass
class TrainedModel:
    """A model with what made it: its configuration, history and the data it saw."""

    model: Autoencoder
    config: TrainConfig
    history: History
    data_variant: str
    data_source: str
    path: Path | None = None
    from_cache: bool = False


def save_checkpoint(path: str | Path, trained: TrainedModel) -> Path:
    """Write weights + configuration + history atomically (temporary file, then rename)."""
    payload = {
        "format": FORMAT_VERSION,
        "config": trained.config.as_dict(),
        "data_variant": trained.data_variant,
        "data_source": trained.data_source,
        "history": trained.history.as_dict(),
        "state_dict": {k: v.detach().cpu() for k, v in trained.model.state_dict().items()},
    }
    return atomic_save(payload, path)


def atomic_save(payload: dict, path: str | Path) -> Path:
    """``torch.save`` that never leaves half a file under ``path`` (see ``paths.atomic_write``)."""
    return atomic_write(path, lambda f: torch.save(payload, f))


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> TrainedModel:
    """Rebuild a model from a checkpoint file alone (``weights_only=True``: no pickled code).

    Raises :class:`TrainingError` when the file is missing, unreadable, from another format
    version or does not fit its own configuration.
    """
    path = Path(path)
    if not path.is_file():
        raise TrainingError(f"checkpoint {path} does not exist; train one with "
                            f"`python -m vae_tutorial train --out DIR`")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        if payload.get("format") != FORMAT_VERSION:
            raise ValueError(f"format version {payload.get('format')!r}, this package reads {FORMAT_VERSION}")
        config = TrainConfig.from_dict(payload["config"])
        model = build_model(config.model)
        model.load_state_dict(payload["state_dict"])
        history = History(**payload["history"])
    except Exception as err:  # any failure means "not a usable checkpoint of ours"
        raise TrainingError(f"checkpoint {path} cannot be used ({type(err).__name__}: "
                            f"{str(err).splitlines()[0] if str(err) else 'no detail'}). "
                            f"Delete it and train again.") from None
    model.to(pick_device(device)).eval()
    return TrainedModel(model, config, history, payload["data_variant"], payload["data_source"], path)


def checkpoint_path(config: TrainConfig, data_variant: str, root: str | Path | None = None) -> Path:
    """Where the cache keeps the model for ``config`` trained on ``data_variant``."""
    root = Path(root) if root is not None else cache_dir() / "models"
    name = f"{config.model.kind}-{config.dataset}-{config.cache_key(data_variant)}.pt"
    return root / name


def _name(config: TrainConfig) -> str:
    """E.g. "VAE (latent 5, beta 1, mse)", for messages."""
    kind = "VAE" if config.model.kind == "vae" else "autoencoder"
    beta = f", beta {config.beta:g}" if config.model.kind == "vae" else ""
    return f"{kind} (latent {config.model.latent_dim}{beta}, {config.loss}, {config.dataset})"


def train_or_load(config: TrainConfig, data: ImageData | None = None,
                  device: str | torch.device = "auto", cache: str | Path | None = None,
                  progress: bool = True, verbose: bool = True) -> TrainedModel:
    """The model for ``config``: loaded from the cache when an earlier run trained it,
    otherwise trained now and saved. A corrupt or mismatched cache file is reported and
    replaced, never used."""
    if data is None:
        data = load_dataset(config.dataset)
    if data.name != config.dataset:
        raise ConfigError(f"config.dataset is {config.dataset!r} but the data given is {data.name!r}")
    path = checkpoint_path(config, data.variant, cache)
    if path.exists():
        try:
            trained = load_checkpoint(path, device=pick_device(device))
            if trained.config != config or trained.data_variant != data.variant:
                raise TrainingError(f"checkpoint {path} holds a different configuration")
            trained.from_cache = True
            if verbose:
                say(f"Loaded the trained {_name(config)} from the cache.")
            return trained
        except TrainingError as err:
            say(f"Ignoring a bad cached checkpoint and training again: {err}")
    model = build_model(config.model, seed=config.seed)
    history = fit(model, data, config, device=device, progress=progress)
    trained = TrainedModel(model, config, history, data.variant, data.source, path)
    save_checkpoint(path, trained)
    if verbose:
        say(f"Trained the {_name(config)} for {config.epochs} epochs in {sum(history.seconds):.1f} s "
            f"(held-out loss {history.test_loss[-1]:.2f} per image); cached for next time.")
    return trained
