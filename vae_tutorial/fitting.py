"""``fit``: the training loop of ``train.py``, run for every epoch, around it what a run needs.

``train.train_epoch`` is the lesson: the five steps over shuffled batches. ``fit`` wraps it from
outside: the model and the images on one device, every random number from ``config.seed``, a
progress bar, the held-out loss after each epoch and a :class:`History` of it all. Which step
trains a model is :func:`step_for`'s choice (each kind of model brings its own); chapter 10
passes in steps with a bug in them.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from functools import partial

import torch
from tqdm.auto import tqdm

from .losses import LossTerms
from .models import Autoencoder, Classifier, ConditionalVAE, ModelConfig
from .data import ImageData
from .support.contracts import (Choice, Count, Fields, Images, Is, Model, ModelLabels, Real, Satisfies,
                                Seed, SequenceOf, checked)
from .support.devices import pick_device  # noqa: F401  (where fit runs: CUDA, MPS or the CPU)
from .support.errors import TrainingError
from .support.seeds import seeded
from .train import (TrainConfig, autoencoder_step, classifier_step, conditional_vae_step,
                    train_epoch, vae_step)


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

    def add_epoch(self, steps: torch.Tensor, sizes: torch.Tensor, held_out: float,
                  seconds: float) -> None:
        """One epoch from its batches' (total, reconstruction, KL) means, (batches, 3), and their
        sizes: the figures are means per image."""
        epoch = (steps * sizes[:, None]).sum(0) / sizes.sum()
        names = ("train_loss", "reconstruction", "kl", "test_loss", "seconds")
        for name, value in zip(names, (*epoch.tolist(), held_out, seconds)):
            getattr(self, name).append(value)
        self.step_reconstruction += steps[:, 1].tolist()
        self.step_kl += steps[:, 2].tolist()

    def as_dict(self) -> dict:
        return asdict(self)


AnyModel = Model("ae", "vae", "cvae", "classifier")
Step = Satisfies(lambda step: callable(step) and hasattr(step, "__qualname__"),
                 "a function step(model, x, y, kind, beta) such as bugs.kl_sign_flipped_step")
Loss = Choice("mse", "bce")
# What a configuration may hold, field by field: a model that can be built, a run that can train.
MODEL_CONFIG = Is(ModelConfig) & Fields(
    kind=Choice("ae", "vae", "cvae", "classifier"), architecture=Choice("mlp", "conv"),
    latent_dim=Count(1), hidden_dims=Is(tuple) & SequenceOf(Count(1))) & Satisfies(
    lambda c: c.kind != "cvae" or c.architecture == "mlp", "an MLP: the conditional VAE (kind 'cvae') is an MLP")
SCHEDULES = ("constant", "one-cycle")    # TrainConfig.schedule: see schedule_for
TRAIN_CONFIG = Is(TrainConfig) & Fields(
    model=MODEL_CONFIG, dataset=Choice("mnist", "fashion-mnist"), loss=Loss, beta=Real(at_least=0),
    epochs=Count(1), batch_size=Count(1), lr=Real(above=0), seed=Seed, schedule=Choice(*SCHEDULES))


def step_for(model: AnyModel, kind: Loss = "mse", beta: Real(at_least=0) = 1.0):
    """The step that trains ``model`` (each kind of model brings its own), with the
    reconstruction loss ``kind`` and the KL's weight ``beta``: ``step(model, x, y)``."""
    own = ((Classifier, classifier_step), (ConditionalVAE, conditional_vae_step), (Autoencoder, autoencoder_step))
    step = next((s for cls, s in own if isinstance(model, cls)), vae_step)  # else a VAE (MLP or conv)
    return partial(step, kind=kind, beta=beta)


def schedule_for(optimizer, config: TrainConfig, batches_per_epoch: int):
    """The learning-rate schedule ``fit`` steps after every batch, outside the loop of
    ``train.py`` (which only ever sees an optimizer): None for ``config.schedule ==
    "constant"``; for "one-cycle", PyTorch's OneCycleLR with its defaults (Smith and Topin,
    2017): the rate warms up from lr/25 to ``config.lr`` over the first 30% of the batches, then
    anneals (a cosine) to lr/25e4, while Adam's beta1 moves from 0.95 to 0.85 and back."""
    if config.schedule == "constant":
        return None
    return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.lr,
                                               total_steps=config.epochs * batches_per_epoch)


def _batch_sizes(n: int, batch_size: int) -> torch.Tensor:
    sizes = torch.full((math.ceil(n / batch_size),), batch_size, dtype=torch.float64)
    sizes[-1] = n - batch_size * (len(sizes) - 1)
    return sizes


def fit(model: AnyModel, data: ImageData, config: TRAIN_CONFIG, step: Step = None, device="cpu",
        progress: bool = True, on_epoch=None) -> History:
    """Train ``model`` on ``data``'s training images for ``config.epochs`` epochs; return its
    History. ``step(model, x, y, kind, beta)``: steps 1 to 4 for a batch (default: the model's
    own, :func:`step_for`), given ``config``'s loss and beta. ``on_epoch(epoch, history)`` runs
    after each epoch. The same seed on the same device gives the same numbers, bit for bit."""
    step = partial(step, kind=config.loss, beta=config.beta) if step else \
        step_for(model, config.loss, config.beta)
    model.to(device).train()
    images = data.train_images.to(device)        # moved to the device once
    labels = data.train_labels.to(device)
    held_out = data.images("test").to(device)
    # fused: Adam updates all weights in one kernel, not layer by layer
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, fused=True)
    history, sizes = History(), _batch_sizes(len(images), config.batch_size)
    schedule = schedule_for(optimizer, config, len(sizes))
    bar = tqdm(total=config.epochs * len(sizes), disable=not progress, unit="batch")
    with seeded(config.seed, device):   # the shuffling and every eps
        for epoch in range(1, config.epochs + 1):
            started, steps = time.perf_counter(), []
            for terms in train_epoch(model, optimizer, images, labels, step, config.batch_size):
                steps.append(torch.stack(terms).detach())
                if schedule is not None:
                    schedule.step()   # the rate of the next batch
                bar.update()
            loss = evaluate_loss(model, held_out, config.loss, config.beta,
                                 labels=data.test_labels, seed=config.seed).total
            history.add_epoch(torch.stack(steps).double().cpu(), sizes, loss,
                              time.perf_counter() - started)
            loss = history.train_loss[-1]
            if not math.isfinite(loss):
                raise TrainingError(f"the loss became {loss} in epoch {epoch}; try a smaller "
                                    f"learning rate (now {config.lr}) or beta")
            bar.set_postfix(loss=f"{loss:.1f}", held_out=f"{history.test_loss[-1]:.1f}")
            if on_epoch is not None:
                on_epoch(epoch, history)
    bar.close()
    return history


@torch.no_grad()
def evaluate_loss(model: AnyModel, images: Images(least=1), kind: Loss = "mse", beta: Real(at_least=0) = 1.0,
                  labels: ModelLabels("images", ignored=True) = None, elbo: bool = False,
                  batch_size: Count(1) = 1000, seed: Seed = 0) -> LossTerms:
    """The loss per image, averaged over ``images`` (N, 1, 28, 28), with the model's own step.

    ``elbo=True``: the negative ELBO in nats (BCE + KL, beta 1), whatever ``kind`` the model was
    trained with: the book's yardstick for VAEs. Sampling comes from ``seed``; the judge and the
    conditional VAE need the ``labels``."""
    was_training, device = model.training, next(model.parameters()).device
    model.eval()
    step = step_for(model, "bce" if elbo else kind, 1.0 if elbo else beta)
    labels = torch.zeros(len(images), dtype=torch.long) if labels is None else labels
    totals = torch.zeros(3, dtype=torch.float64)
    with seeded(seed, device):
        for x, y in zip(images.split(batch_size), labels.split(batch_size)):
            terms = step(model, x.to(device), y.to(device))
            totals += torch.stack(terms).double().cpu() * len(x)
    model.train(was_training)
    return LossTerms(*(totals / len(images)).tolist())


checked(globals())
