"""Training: one ``fit`` loop, device choice, checkpoints, and ``train_or_load``.

The loop is the article's five steps — encode into mu and sigma, sample a latent point,
decode, compute both losses, update — over batches taken by index from tensors that live
on the device, so no DataLoader or per-image Python code sits in the hot path.

Devices: training runs on the best device there is (``pick_device``); the trained model that
``train_or_load`` hands out lives on the CPU, where the chapters' tensors are.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Callable

import torch
from tqdm.auto import tqdm

from . import cache
from .data import ImageData, load_dataset, say
from .errors import ConfigError, TrainingError
from .losses import RECONSTRUCTION_LOSSES, LossTerms, negative_elbo, vae_loss
from .models import Autoencoder, ModelConfig, build_model

SEED_LIMIT = 2**63  # torch's generators take seeds below this


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
            (isinstance(self.seed, int) and not isinstance(self.seed, bool) and 0 <= self.seed < SEED_LIMIT,
             f"seed must be a whole number from 0 to 2**63 - 1, got {self.seed!r}"),
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


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return mps is not None and mps.is_available()


def pick_device(device: str | torch.device = "auto") -> torch.device:
    """"auto" picks CUDA, then Apple's MPS, then the CPU. Otherwise "cpu", "cuda", "cuda:N" or
    "mps", checked to exist here; other device types (meta, xpu, ...) are refused."""
    if str(device) == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if _mps_available() else torch.device("cpu")
    try:
        chosen = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        chosen = None
    if chosen is None or chosen.type not in ("cpu", "cuda", "mps"):
        raise ConfigError(f"unknown or unsupported device {str(device)!r}; use 'auto', 'cpu', 'cuda', "
                          f"'cuda:N' or 'mps'")
    if chosen.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError("device 'cuda' was asked for but no CUDA GPU is available; use --device auto or cpu")
        if chosen.index is not None and chosen.index >= torch.cuda.device_count():
            raise ConfigError(f"device {str(device)!r} does not exist: this machine has "
                              f"{torch.cuda.device_count()} CUDA GPU(s), numbered from 0")
    if chosen.type == "mps" and not _mps_available():
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
    """A model with what made it: its configuration, history and the data it was trained on.

    ``data`` is the training data's identity (``ImageData.identity()``); ``origin`` says where
    the weights came from: "trained" (just now), "cache" (trained earlier on this machine) or
    "shipped" (pretrained weights that come with the package)."""

    model: Autoencoder
    config: TrainConfig
    history: History
    data: dict
    data_variant: str
    data_source: str
    path: Path | None = None
    origin: str = "trained"

    @property
    def from_cache(self) -> bool:
        return self.origin != "trained"


def _description(config: TrainConfig, data_identity: dict) -> dict:
    return cache.describe("model", data_identity, config=config.as_dict())


def _label(config: TrainConfig) -> str:
    return f"{config.model.kind}-{config.dataset}"


def _payload(trained: TrainedModel) -> dict:
    return {
        "description": _description(trained.config, trained.data),
        "data_variant": trained.data_variant,
        "data_source": trained.data_source,
        "history": trained.history.as_dict(),
        "state_dict": {k: v.detach().cpu() for k, v in trained.model.state_dict().items()},
    }


def save_checkpoint(path: str | Path, trained: TrainedModel) -> Path:
    """Write weights + configuration + data identity + history atomically (temporary file,
    then rename). Raises ``OSError`` when ``path`` cannot be written; an older file there is
    then left as it was."""
    return cache.write(path, _payload(trained))


def _restore(payload: dict, path: Path, origin: str) -> TrainedModel:
    """Rebuild a TrainedModel from a checked payload; any inconsistency raises."""
    description = payload["description"]
    if description.get("kind") != "model":
        raise ValueError(f"it holds a {description.get('kind')!r}, not a model")
    config = TrainConfig.from_dict(description["config"])
    model = build_model(config.model)
    model.load_state_dict(payload["state_dict"])  # strict: every weight present, right shapes
    history = History(**payload["history"])
    return TrainedModel(model.eval(), config, history, dict(description["data"]),
                        str(payload["data_variant"]), str(payload["data_source"]), path, origin)


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> TrainedModel:
    """Rebuild a model from a checkpoint file alone (``weights_only=True``: no pickled code).

    Raises :class:`TrainingError` when the file is missing, unreadable, from another format
    version, incomplete, holds non-finite weights or does not fit its own configuration.
    """
    path = Path(path)
    if not path.is_file():
        raise TrainingError(f"checkpoint {path} does not exist; train one with "
                            f"`python -m vae_tutorial train --out DIR`")
    try:
        trained = _restore(cache.read(path), path, "cache")
    except Exception as err:  # any failure means "not a usable checkpoint of ours"
        detail = str(err).splitlines()[0] if str(err) else type(err).__name__
        if not isinstance(err, cache.CacheEntryError):
            detail = f"{type(err).__name__}: {detail}"
        raise TrainingError(f"checkpoint {path} cannot be used ({detail}). Delete it and train "
                            f"again.") from None
    trained.model.to(pick_device(device))
    return trained


def checkpoint_path(config: TrainConfig, data: ImageData, root: str | Path | None = None) -> Path:
    """Where this machine's cache keeps the model for ``config`` trained on ``data``."""
    return cache.models_dir(root) / cache.entry_name(_label(config), _description(config, data.identity()))


def _name(config: TrainConfig) -> str:
    """E.g. "VAE (latent 5, beta 1, mse, mnist)", for messages."""
    kind = "VAE" if config.model.kind == "vae" else "autoencoder"
    beta = f", beta {config.beta:g}" if config.model.kind == "vae" else ""
    return f"{kind} (latent {config.model.latent_dim}{beta}, {config.loss}, {config.dataset})"


def train_or_load(config: TrainConfig, data: ImageData | None = None,
                  device: str | torch.device = "auto", cache_root: str | Path | None = None,
                  progress: bool = True, verbose: bool = True, pretrained: bool = True) -> TrainedModel:
    """The model for ``config`` trained on ``data``, on the CPU.

    Looked up by configuration and by the fingerprint of ``data``'s training split: the
    package's shipped weights first (unless ``pretrained=False``), then this machine's cache;
    otherwise trained now on ``device`` and saved to the cache. A bad cache file is reported and
    replaced, never used; a cache folder that cannot be written costs a warning, not the model.
    Prints one line saying which of these happened (unless ``verbose=False``).
    """
    if data is None:
        data = load_dataset(config.dataset)
    if data.name != config.dataset:
        raise ConfigError(f"config.dataset is {config.dataset!r} but the data given is {data.name!r}")
    description = _description(config, data.identity())
    found = cache.find(_label(config), description, root=cache_root, pretrained=pretrained,
                       restore=lambda payload, path, shipped: _restore(
                           payload, path, "shipped" if shipped else "cache"))
    if found is not None:
        if verbose:
            where = ("that ships with the package, trained with this recipe on exactly this data"
                     if found.shipped else "trained earlier on this machine (from the cache)")
            say(f"Loaded the {_name(config)} {where}.")
        return found.value
    model = build_model(config.model, seed=config.seed)
    history = fit(model, data, config, device=device, progress=progress)
    trained = TrainedModel(model.cpu().eval(), config, history, data.identity(), data.variant, data.source)
    trained.path = cache.store(_label(config), description, _payload(trained), f"{_name(config)}", cache_root)
    if verbose:
        kept = "; cached for next time" if trained.path is not None else ""
        say(f"Trained the {_name(config)} for {config.epochs} epochs in {sum(history.seconds):.1f} s{kept}.")
    return trained
