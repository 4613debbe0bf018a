"""Training: the article's five steps (encode, sample, decode, both losses, update), repeated.

The images stay in one tensor on the device and each batch is taken from it by index: no
DataLoader, no per-image Python code in the loop. The same ``fit`` trains the plain
autoencoder (no sampling, no KL) and the judge (a classifier).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import torch
from tqdm.auto import tqdm

from . import losses
from .data import ImageData
from .models import VAE, Autoencoder, ModelConfig
from .support.devices import pick_device  # noqa: F401  ("auto": a CUDA GPU, Apple's MPS, the CPU)
from .support.errors import TrainingError
from .support.seeds import seeded


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a trained model: also its cache key and the CLI's arguments."""

    model: ModelConfig = field(default_factory=ModelConfig)
    dataset: str = "mnist"           # "mnist" or "fashion-mnist"
    loss: str = "mse"                # reconstruction loss: "mse" (the article's) or "bce"
    beta: float = 1.0                # weight of the KL term
    epochs: int = 20
    batch_size: int = 128
    lr: float = 1e-3
    seed: int = 0

    def as_dict(self) -> dict:
        return {**asdict(self), "model": self.model.as_dict()}


@dataclass
class History:
    """What training measured, losses per image: one value per epoch (training loss, its two
    parts, the held-out loss, seconds), and the two parts of every batch's loss, step by step."""

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

    def add_epoch(self, steps: torch.Tensor, sizes: torch.Tensor, held_out: float, seconds: float) -> None:
        """One epoch from its batches' (total, reconstruction, KL), (batches, 3), each a mean
        over its batch of ``sizes`` images: the epoch's figures are means over all its images."""
        loss, rec, kl = ((steps * sizes[:, None]).sum(0) / sizes.sum()).tolist()
        for name, value in zip(("train_loss", "reconstruction", "kl", "test_loss", "seconds"),
                               (loss, rec, kl, held_out, seconds)):
            getattr(self, name).append(value)
        self.step_reconstruction += steps[:, 1].tolist()
        self.step_kl += steps[:, 2].tolist()

    def as_dict(self) -> dict:
        return asdict(self)


def batch_loss(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor,
               config: TrainConfig) -> losses.LossTerms:
    """Steps 1 to 4 for one batch ``x`` (B, 1, 28, 28) with labels ``y`` (B,)."""
    if isinstance(model, VAE):
        logits, mu, logvar = model(x)                # 1. encode, 2. sample z, 3. decode
        return losses.vae_loss(logits, x, mu, logvar, config.loss, config.beta)   # 4. both losses
    if isinstance(model, Autoencoder):
        logits, z = model(x)                         # encode and decode: no sampling
        return losses.autoencoder_loss(logits, x, config.loss)
    return losses.classifier_loss(model(x), y)       # the judge: which class is it?


def as_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 (B, 28, 28), 0-255 -> float (B, 1, 28, 28) in [0, 1]: how the models see pixels."""
    return images.unsqueeze(1).float() / 255


def fit(model: torch.nn.Module, data: ImageData, config: TrainConfig,
        device: str | torch.device = "cpu", progress: bool = True, on_epoch=None) -> History:
    """Train ``model`` in place on ``data``'s training split and return its :class:`History`
    (the held-out loss is measured after every epoch). ``on_epoch(epoch, history)`` runs after
    each epoch. Same seed, same device: the same numbers, bit for bit."""
    model.to(device).train()
    images, labels = data.train_images.to(device), data.train_labels.to(device)   # moved once
    # fused=True: Adam updates all the weights in one kernel, not layer by layer (faster)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, fused=True)
    history, n = History(), len(images)
    bar = tqdm(total=config.epochs * math.ceil(n / config.batch_size), disable=not progress,
               unit="batch", desc=f"training {config.model.kind} on {data.name}")
    with seeded(config.seed, device):                # the shuffling and every eps come from it
        for epoch in range(1, config.epochs + 1):
            started, steps, sizes = time.perf_counter(), [], []
            for idx in torch.randperm(n, device=device).split(config.batch_size):
                x, y = as_float(images[idx]), labels[idx]
                terms = batch_loss(model, x, y, config)        # steps 1 to 4
                optimizer.zero_grad()
                terms.total.backward()                         # 5. gradients of the loss ...
                optimizer.step()                               #    ... and the update
                steps.append(torch.stack(terms).detach())
                sizes.append(len(idx))
                bar.update()
            held_out = evaluate_loss(model, data.test_images, config.loss, config.beta,
                                     labels=data.test_labels, seed=config.seed).total
            history.add_epoch(torch.stack(steps).cpu(), torch.tensor(sizes, dtype=torch.float32),
                              held_out, time.perf_counter() - started)
            if not math.isfinite(history.train_loss[-1]):
                raise TrainingError(f"the loss became {history.train_loss[-1]} in epoch {epoch}; try "
                                    f"a smaller learning rate (now {config.lr}) or a smaller beta")
            bar.set_postfix(loss=f"{history.train_loss[-1]:.2f}", held_out=f"{held_out:.2f}")
            if on_epoch is not None:
                on_epoch(epoch, history)
    bar.close()
    model.eval()
    return history


@torch.no_grad()
def evaluate_loss(model: torch.nn.Module, images: torch.Tensor, kind: str = "mse",
                  beta: float = 1.0, labels: torch.Tensor | None = None, elbo: bool = False,
                  batch_size: int = 1000, seed: int = 0) -> losses.LossTerms:
    """The loss per image, averaged over ``images`` ((N, 28, 28) uint8), as plain floats.

    ``elbo=True``: the negative ELBO in nats (BCE + KL, beta 1) whatever ``kind`` the model was
    trained with: the yardstick the book compares VAEs by. The VAE's sampling noise comes from
    ``seed``, so the figure is repeatable. ``labels`` are needed for the judge only."""
    was_training, device = model.training, next(model.parameters()).device
    model.eval()
    config = TrainConfig(loss="bce" if elbo else kind, beta=1.0 if elbo else beta)
    labels = torch.zeros(len(images), dtype=torch.long) if labels is None else labels
    totals = torch.zeros(3, dtype=torch.float64)
    with seeded(seed, device):
        for idx in torch.arange(len(images)).split(batch_size):
            x, y = as_float(images[idx].to(device)), labels[idx].to(device)
            totals += torch.stack(batch_loss(model, x, y, config)).double().cpu() * len(idx)
    model.train(was_training)
    return losses.LossTerms(*(totals / len(images)).tolist())
