"""Training: the article's five steps, repeated over batches of images.

1. encode into mu and sigma, 2. sample z, 3. decode, 4. compute both losses,
5. update the weights. The images stay in one uint8 tensor and each batch is
taken from it by index: no DataLoader, no per-image Python code.

A step is steps 1 to 4 for one kind of model: ``step(model, x, y)`` takes a
batch of images x (B, 1, 28, 28) in [0, 1] and their labels y (B,), and
returns the batch's LossTerms. The VAE's step ignores the labels; the judge
(a classifier) and the conditional VAE use them. ``fitting.fit`` runs
``train_epoch`` for every epoch, with a seed, a progress bar and a history.

Run alone (``python -m vae_tutorial.train``), this file trains the book's VAE
on MNIST, downloaded by torchvision.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch

from .losses import LossTerms, autoencoder_loss, classifier_loss, vae_loss
from .models import ModelConfig, VAE


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
    schedule: str = "constant"    # or "one-cycle": fitting.fit warms the
                                  # rate up to lr, then anneals it

    def as_dict(self) -> dict:
        d = {**asdict(self), "model": self.model.as_dict()}
        if d["schedule"] == "constant":   # the keys of models cached
            del d["schedule"]             # before schedules existed
        return d


def vae_step(model, x, y, kind="mse", beta=1.0):
    """Steps 1 to 4 for a batch of images x (a VAE needs no labels y)."""
    logits, mu, logvar = model(x)        # 1. encode, 2. sample, 3. decode
    return vae_loss(logits, x, mu, logvar, kind, beta)   # 4. both losses


def train_epoch(model, optimizer, images, labels, step=vae_step,
                batch_size=128):
    """One pass over uint8 images (N, 28, 28) in shuffled batches; yields
    each batch's losses, for whoever wants to watch them."""
    order = torch.randperm(len(images), device=images.device)
    for idx in order.split(batch_size):
        x = images[idx].unsqueeze(1).float() / 255  # (B, 1, 28, 28), 0-1
        terms = step(model, x, labels[idx])          # steps 1 to 4
        optimizer.zero_grad()
        terms.total.backward()                       # 5. the gradients ...
        optimizer.step()                             #    ... and the update
        yield terms


def autoencoder_step(model, x, y, kind="mse", beta=None) -> LossTerms:
    """The plain autoencoder's step: encode and decode, no sampling, no KL
    (``beta`` is there for a VAE's settings, and unused)."""
    logits, z = model(x)
    return autoencoder_loss(logits, x, kind)


def classifier_step(model, x, y, kind=None, beta=None) -> LossTerms:
    """The judge's step: which class is each image? (``kind`` and ``beta``
    are a VAE's settings, and unused.)"""
    return classifier_loss(model(x), y)


def conditional_vae_step(model, x, y, kind="mse", beta=1.0) -> LossTerms:
    """The conditional VAE's step: the VAE's, told each image's label y."""
    logits, mu, logvar = model(x, y)
    return vae_loss(logits, x, mu, logvar, kind, beta)


if __name__ == "__main__":
    import torchvision

    mnist = torchvision.datasets.MNIST("data", train=True, download=True)
    model = VAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(1, 16):
        batches = [t.total.item() for t in
                   train_epoch(model, optimizer, mnist.data, mnist.targets)]
        print(f"epoch {epoch}: loss {sum(batches) / len(batches):.1f}")
