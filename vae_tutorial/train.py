"""Training: the article's five steps, repeated over batches of images.

1. encode into mu and sigma, 2. sample z, 3. decode, 4. compute both losses,
5. update the weights. The images stay in one tensor on the device and each
batch is taken from it by index: no DataLoader, no per-image Python code.
The same ``fit`` trains the plain autoencoder and the judge (a classifier).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import torch
from tqdm.auto import tqdm

from . import bugs, losses
from .data import ImageData
from .models import VAE, Autoencoder, ConditionalVAE, ModelConfig
from .support.devices import pick_device  # noqa: F401  (CUDA, MPS or CPU)
from .support.errors import ConfigError, TrainingError
from .support.seeds import seeded


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a trained model (also its cache key)."""

    model: ModelConfig = field(default_factory=ModelConfig)
    dataset: str = "mnist"        # "mnist" or "fashion-mnist"
    loss: str = "mse"             # "mse" (the article's) or "bce"
    beta: float = 1.0             # the weight of the KL term
    epochs: int = 20
    batch_size: int = 128
    lr: float = 1e-3
    seed: int = 0
    free_bits: float = 0.0        # KL nats per latent number left free
    bug: str = ""                 # chapter 10's bugs (bugs.py); "" for none

    def as_dict(self) -> dict:
        return {**asdict(self), "model": self.model.as_dict()}


@dataclass
class History:
    """What training measured, per image: each epoch's losses, held-out
    loss and seconds, and the two parts of every batch's loss."""

    train_loss: list[float] = field(default_factory=list)
    reconstruction: list[float] = field(default_factory=list)
    kl: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    step_reconstruction: list[float] = field(default_factory=list)
    step_kl: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> list[int]:
        return list(range(1, len(self.train_loss) + 1))

    def add_epoch(self, steps, sizes, held_out, seconds) -> None:
        """One epoch from its batches' (total, reconstruction, KL) means,
        (batches, 3), and their sizes: the figures are means per image."""
        epoch = (steps * sizes[:, None]).sum(0) / sizes.sum()
        names = ("train_loss", "reconstruction", "kl", "test_loss",
                 "seconds")
        for name, value in zip(names, (*epoch.tolist(), held_out, seconds)):
            getattr(self, name).append(value)
        self.step_reconstruction += steps[:, 1].tolist()
        self.step_kl += steps[:, 2].tolist()

    def as_dict(self) -> dict:
        return asdict(self)


def batch_loss(model, x, y, config: TrainConfig) -> losses.LossTerms:
    """Steps 1 to 4 for one batch: images x (B, 1, 28, 28), labels y."""
    if config.bug:    # chapter 10's deliberate bugs (bugs.py), never the
        return bugs.batch_loss(model, x, config)   # book's own models
    if isinstance(model, VAE):
        logits, mu, logvar = model(x)      # 1. encode, 2. sample, 3. decode
        return losses.vae_loss(             # 4. both losses
            logits, x, mu, logvar, config.loss, config.beta,
            config.free_bits)
    if isinstance(model, ConditionalVAE):
        logits, mu, logvar = model(x, y)   # the same, told the labels
        return losses.vae_loss(
            logits, x, mu, logvar, config.loss, config.beta,
            config.free_bits)
    if isinstance(model, Autoencoder):
        logits, z = model(x)               # encode and decode, no sampling
        return losses.autoencoder_loss(logits, x, config.loss)
    return losses.classifier_loss(model(x), y)   # the judge: which digit?


def as_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 (B, 28, 28) 0-255 -> (B, 1, 28, 28) floats in [0, 1]."""
    return images.unsqueeze(1).float() / 255


def fit(model, data: ImageData, config: TrainConfig, device="cpu",
        progress=True, on_epoch=None) -> History:
    """Train ``model`` on ``data``'s training images; return its History.
    ``on_epoch(epoch, history)`` runs after each epoch. The same seed on
    the same device gives the same numbers, bit for bit."""
    model.to(device).train()
    images = data.train_images.to(device)        # moved to the device once
    labels = data.train_labels.to(device)
    # fused: Adam updates all weights in one kernel, not layer by layer
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr,
                                 fused=True)
    history, n = History(), len(images)
    bar = tqdm(total=config.epochs * math.ceil(n / config.batch_size),
               disable=not progress, unit="batch")
    with seeded(config.seed, device):   # the shuffling and every eps
        for epoch in range(1, config.epochs + 1):
            started, steps, sizes = time.perf_counter(), [], []
            order = torch.randperm(n, device=device)
            for idx in order.split(config.batch_size):
                x, y = as_float(images[idx]), labels[idx]
                terms = batch_loss(model, x, y, config)   # steps 1 to 4
                optimizer.zero_grad()
                terms.total.backward()   # 5. the gradients ...
                optimizer.step()         #    ... and the update
                steps.append(torch.stack(terms).detach())
                sizes.append(len(idx))
                bar.update()
            held_out = evaluate_loss(
                model, data.test_images, config.loss, config.beta,
                labels=data.test_labels, seed=config.seed).total
            history.add_epoch(torch.stack(steps).cpu(), torch.tensor(sizes),
                              held_out, time.perf_counter() - started)
            loss = history.train_loss[-1]
            if not math.isfinite(loss):
                raise TrainingError(
                    f"the loss became {loss} in epoch {epoch}; try a "
                    f"smaller learning rate (now {config.lr}) or beta")
            bar.set_postfix(loss=f"{loss:.1f}", held_out=f"{held_out:.1f}")
            if on_epoch is not None:
                on_epoch(epoch, history)
    bar.close()
    return history


@torch.no_grad()
def evaluate_loss(model, images, kind="mse", beta=1.0, labels=None,
                  elbo=False, batch_size=1000, seed=0) -> losses.LossTerms:
    """The loss per image, averaged over uint8 ``images`` (N, 28, 28).

    ``elbo=True``: the negative ELBO in nats (BCE + KL, beta 1), whatever
    ``kind`` the model was trained with: the book's yardstick for VAEs.
    Sampling comes from ``seed``; the judge and the conditional VAE need
    the ``labels``."""
    if labels is None and isinstance(model, ConditionalVAE):
        raise ConfigError("the conditional VAE needs labels=... to score")
    was_training, device = model.training, next(model.parameters()).device
    model.eval()
    config = TrainConfig(loss="bce" if elbo else kind,
                         beta=1.0 if elbo else beta)
    if labels is None:
        labels = torch.zeros(len(images), dtype=torch.long)
    totals = torch.zeros(3, dtype=torch.float64)
    with seeded(seed, device):
        for idx in torch.arange(len(images)).split(batch_size):
            x = as_float(images[idx].to(device))
            terms = batch_loss(model, x, labels[idx].to(device), config)
            totals += torch.stack(terms).double().cpu() * len(idx)
    model.train(was_training)
    return losses.LossTerms(*(totals / len(images)).tolist())
