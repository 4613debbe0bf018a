"""Learners' answers to the exercises, written the way learners write them (not the checks' own
versions): ``RIGHT[name]``, answers a check must accept, written quite differently from the
book's; ``WRONG[name][mistake]``, answers that make the mistake the check names; ``ODD[name]``,
wrong answers no known mistake explains, which must fail with the check's general message.
tests/test_exercises.py runs them all and prints how many of each it tried."""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from vae_tutorial import latent, losses, models


# --------------------------------------------------------------------------- 01 nearest_distance

def _np_nearest(image, images):
    a = image.double().numpy().reshape(1, -1)
    b = images.double().numpy().reshape(len(images), -1)
    return float(np.sqrt(((b - a) ** 2).sum(1)).min())


def _loop_nearest(image, images):
    best = math.inf
    for other in images:
        best = min(best, math.sqrt(((other - image) ** 2).sum().item()))
    return best


NEAREST_RIGHT = [
    lambda image, images: ((images - image) ** 2).sum(dim=(1, 2, 3)).min().sqrt(),
    _np_nearest, _loop_nearest,
    lambda image, images: torch.cdist(image.reshape(1, -1), images.flatten(1)).min(),
    lambda image, images: torch.linalg.vector_norm(images - image, dim=(1, 2, 3)).min(),
    lambda image, images: (images.double() - image.double()).flatten(1).norm(dim=1).min(),
]
NEAREST_WRONG = {
    "squared": [lambda image, images: ((images - image) ** 2).flatten(1).sum(1).min(),
                lambda image, images: torch.cdist(image.reshape(1, -1), images.flatten(1)).min() ** 2],
    "farthest": [lambda image, images: torch.cdist(image.reshape(1, -1), images.flatten(1)).max()],
    "not-squared": [lambda image, images: (images - image).flatten(1).sum(1).abs().min()],
    "mean-over-pixels": [lambda image, images: torch.sqrt(((images - image) ** 2).mean((1, 2, 3))).min()],
}
NEAREST_ODD = [
    lambda image, images: (images - image).abs().sum((1, 2, 3)).min(),        # L1
    lambda image, images: torch.cdist(image.reshape(1, -1), images.flatten(1)).argmin(),
]


# --------------------------------------------------------------------------- 02 make_encoder

def _encoder(flatten=True, relus=True, head_relu=False, widths=(256, 128), bias=True):
    def make_encoder(latent_dim):
        layers = [nn.Flatten()] if flatten else []
        sizes = [784, *widths]
        for a, b in zip(sizes, sizes[1:]):
            layers += [nn.Linear(a, b, bias=bias), nn.ReLU()] if relus else [nn.Linear(a, b, bias=bias)]
        layers.append(nn.Linear(sizes[-1], latent_dim, bias=bias))
        if head_relu:
            layers.append(nn.ReLU())
        return nn.Sequential(*layers)
    return make_encoder


class HeadFirst(nn.Module):
    """Layers registered in another order than they run: the head first."""

    def __init__(self, latent_dim):
        super().__init__()
        self.head = nn.Linear(128, latent_dim)
        self.second = nn.Linear(256, 128)
        self.first = nn.Linear(784, 256)

    def forward(self, x):
        h = F.relu(self.first(x.flatten(1)))
        return self.head(F.relu(self.second(h)))


class Stacked(nn.Module):
    def __init__(self, latent_dim):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(784, 256), nn.Linear(256, 128), nn.Linear(128, latent_dim)])

    def forward(self, x):
        x = x.view(x.size(0), -1)
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = torch.relu(x)
        return x


ENCODER_RIGHT = [
    _encoder(),
    lambda d: nn.Sequential(OrderedDict(flat=nn.Flatten(), fc1=nn.Linear(784, 256), act1=nn.ReLU(),
                                        fc2=nn.Linear(256, 128), act2=nn.ReLU(), head=nn.Linear(128, d))),
    lambda d: nn.Sequential(nn.Flatten(), models.mlp(784, 256, 128), nn.Linear(128, d)),
    HeadFirst, Stacked,
]
ENCODER_WRONG = {
    "widths": [_encoder(widths=(512, 128)), _encoder(widths=(256, 128, 64)),
               lambda d: _encoder()(d)[:-1]],    # the head left out
    "no-bias": [_encoder(bias=False)],
    "no-flatten": [_encoder(flatten=False)],
    "relu-after-head": [_encoder(head_relu=True)],
    "no-relu": [_encoder(relus=False)],
}
ENCODER_ODD = [
    lambda d: nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.Tanh(), nn.Linear(256, 128), nn.Tanh(),
                            nn.Linear(128, d)),
    lambda d: nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.Sigmoid(), nn.Linear(256, 128), nn.Sigmoid(),
                            nn.Linear(128, d)),
]


# --------------------------------------------------------------------------- 03 reparameterize

def _seeded(mu, logvar):
    g = torch.Generator().manual_seed(0)
    return mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=g)


def _reseeded(mu, logvar):
    torch.manual_seed(0)
    return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)


REPARAM_RIGHT = [
    lambda mu, logvar: mu + torch.exp(0.5 * logvar) * torch.randn_like(mu),
    lambda mu, logvar: torch.distributions.Normal(mu, logvar.mul(0.5).exp()).rsample(),
    lambda mu, logvar: mu + torch.sqrt(torch.exp(logvar)) * torch.randn(mu.shape),
    lambda mu, logvar: mu + (logvar / 2).exp() * torch.randn(mu.shape[1], mu.shape[0]).T,
    lambda mu, logvar: mu + (logvar / 2).exp() * torch.randn(mu.shape, dtype=torch.float64).float(),
    lambda mu, logvar: mu + (logvar / 2).exp() * torch.from_numpy(np.random.standard_normal(mu.shape)).float(),
    lambda mu, logvar: mu + torch.exp(logvar) ** 0.5 * torch.normal(torch.zeros_like(mu), torch.ones_like(mu)),
]
REPARAM_WRONG = {
    "logvar-as-sigma": [lambda mu, logvar: mu + logvar * torch.randn_like(mu)],
    "missing-half": [lambda mu, logvar: mu + torch.exp(logvar) * torch.randn_like(mu)],
    "no-sigma": [lambda mu, logvar: mu + torch.randn(mu.shape)],
    "no-noise": [lambda mu, logvar: mu.clone()],
    "no-mu": [lambda mu, logvar: torch.randn_like(mu) * torch.exp(logvar / 2)],
    "uniform": [lambda mu, logvar: mu + torch.exp(0.5 * logvar) * torch.rand_like(mu)],
    "fixed-noise": [_seeded, _reseeded],
    "same-rows": [lambda mu, logvar: mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape[1])],
    "no-gradient": [lambda mu, logvar: torch.normal(mu, torch.exp(0.5 * logvar)).detach(),
                    lambda mu, logvar: torch.from_numpy(np.random.normal(mu.numpy(), np.exp(logvar.numpy() / 2)))],
}
REPARAM_ODD = [
    lambda mu, logvar: mu + 0.5 * torch.exp(0.5 * logvar) * torch.randn_like(mu),   # half the spread
    lambda mu, logvar: mu + 1 + torch.exp(0.5 * logvar) * torch.randn_like(mu),      # shifted
]


# --------------------------------------------------------------------------- 04 log_mean_exp

def _np_log_mean_exp(log_w):
    w = log_w.double().numpy()
    top = w.max(axis=1, keepdims=True)
    return torch.from_numpy(top[:, 0] + np.log(np.exp(w - top).mean(axis=1)))


def _max_trick(log_w):
    m, _ = log_w.max(dim=1, keepdim=True)
    return m.squeeze(1) + torch.log(torch.mean(torch.exp(log_w - m), dim=1))


LME_RIGHT = [
    lambda log_w: torch.logsumexp(log_w, dim=1) - math.log(log_w.shape[1]),
    _np_log_mean_exp, _max_trick,
    lambda log_w: torch.logsumexp(log_w.double(), 1) - math.log(log_w.size(1)),
    lambda log_w: torch.special.logsumexp(log_w - math.log(log_w.shape[-1]), dim=-1),
]
LME_WRONG = {
    "underflow": [lambda log_w: torch.log(torch.mean(torch.exp(log_w), dim=1)),
                  lambda log_w: log_w.double().exp().mean(1).log()],          # float64: still -inf
    "log-of-sum": [lambda log_w: torch.logsumexp(log_w, dim=1)],
    "mean-of-logs": [lambda log_w: torch.mean(log_w, dim=1)],
    "wrong-dimension": [lambda log_w: torch.logsumexp(log_w, dim=0) - math.log(log_w.shape[0])],
    "log-n": [lambda log_w: torch.logsumexp(log_w, dim=1) - math.log(len(log_w))],
    "global-max": [lambda log_w: log_w.max() + torch.log(torch.exp(log_w - log_w.max()).mean(dim=1))],
}
LME_ODD = [lambda log_w: log_w.max(dim=1).values]


# --------------------------------------------------------------------------- 05 the losses

def _loop_mse(logits, x):
    return sum(((torch.sigmoid(l) - t) ** 2).sum() for l, t in zip(logits, x)) / len(x)


def _logsigmoid_bce(logits, x):
    return -(x * F.logsigmoid(logits) + (1 - x) * F.logsigmoid(-logits)).sum() / len(x)


MSE_RIGHT = [
    lambda logits, x: ((torch.sigmoid(logits) - x) ** 2).sum(dim=(1, 2, 3)).mean(),
    _loop_mse,
    lambda logits, x: F.mse_loss(torch.sigmoid(logits), x, reduction="sum") / len(x),
    lambda logits, x: torch.sum((logits.sigmoid() - x) ** 2) / x.shape[0],
    lambda logits, x: ((logits.double().sigmoid() - x.double()) ** 2).view(len(x), -1).sum(-1).mean(),
]
MSE_WRONG = {
    "mean-over-pixels": [lambda logits, x: ((torch.sigmoid(logits) - x) ** 2).mean()],
    "sum-over-batch": [lambda logits, x: F.mse_loss(torch.sigmoid(logits), x, reduction="sum")],
    "batch-averaged-twice": [lambda logits, x: (((torch.sigmoid(logits) - x) ** 2).sum((1, 2, 3))
                                                / len(x)).mean()],
    "logits": [lambda logits, x: F.mse_loss(logits, x, reduction="sum") / len(x)],
    "not-squared": [lambda logits, x: F.l1_loss(torch.sigmoid(logits), x, reduction="sum") / len(x)],
    "per-image": [lambda logits, x: ((torch.sigmoid(logits) - x) ** 2).flatten(1).sum(1)],
    "no-gradient": [lambda logits, x: ((torch.sigmoid(logits) - x) ** 2).sum((1, 2, 3)).mean().detach(),
                    lambda logits, x: ((torch.sigmoid(logits) - x) ** 2).sum((1, 2, 3)).mean().item(),
                    lambda logits, x: float(np.square(torch.sigmoid(logits).numpy() - x.numpy()).sum() / len(x))],
}
MSE_ODD = [lambda logits, x: torch.sqrt(((torch.sigmoid(logits) - x) ** 2).sum() / len(x))]

BCE_RIGHT = [
    lambda logits, x: F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=(1, 2, 3)).mean(),
    _logsigmoid_bce,
    lambda logits, x: F.binary_cross_entropy(torch.sigmoid(logits), x, reduction="sum") / len(x),
    lambda logits, x: F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.size(0),
]
BCE_WRONG = {
    "mean-over-pixels": [lambda logits, x: F.binary_cross_entropy(torch.sigmoid(logits), x)],
    "sigmoid-twice": [lambda logits, x: F.binary_cross_entropy_with_logits(
        torch.sigmoid(logits), x, reduction="sum") / len(x)],
    "sign-flipped": [lambda logits, x: (x * F.logsigmoid(logits) + (1 - x) * F.logsigmoid(-logits)).sum() / len(x)],
    "swapped": [lambda logits, x: F.binary_cross_entropy(x, torch.sigmoid(logits), reduction="sum") / x.shape[0]],
    "sum-over-batch": [lambda logits, x: F.binary_cross_entropy_with_logits(logits, x, reduction="sum")],
    "per-image": [lambda logits, x: F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)],
    "no-gradient": [lambda logits, x: F.binary_cross_entropy_with_logits(logits, x, reduction="sum").item() / len(x)],
}
BCE_ODD = [lambda logits, x: F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / len(x) / math.log(2)]


# --------------------------------------------------------------------------- 06 kl_divergence

def _dist_kl(mu, logvar):
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    return torch.distributions.kl_divergence(q, torch.distributions.Normal(0.0, 1.0)).sum(1).mean()


KL_RIGHT = [
    lambda mu, logvar: (0.5 * (mu ** 2 + logvar.exp() - logvar - 1)).sum(dim=1).mean(),
    _dist_kl,
    lambda mu, lv: -0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp()) / len(mu),
    lambda mu, lv: (-0.5 * (1 + lv.double() - mu.double() ** 2 - lv.double().exp())).sum(1).mean(),
    lambda mu, lv: sum(0.5 * (m @ m + v.exp().sum() - v.sum() - len(m)) for m, v in zip(mu, lv)) / len(mu),
]
KL_WRONG = {
    "sign-flipped": [lambda mu, lv: (0.5 * torch.sum(1 + lv - mu ** 2 - lv.exp(), 1)).mean()],
    "missing-half": [lambda mu, lv: -torch.sum(1 + lv - mu ** 2 - lv.exp(), 1).mean()],
    "logvar-as-sigma": [lambda mu, lv: (0.5 * (mu ** 2 + lv ** 2 - torch.log(lv ** 2) - 1)).sum(1).mean()],
    "logvar-as-log-sigma": [lambda mu, lv: (0.5 * (mu ** 2 + torch.exp(lv) ** 2 - 2 * lv - 1)).sum(1).mean()],
    "no-minus-one": [lambda mu, lv: (0.5 * (mu ** 2 + lv.exp() - lv)).sum(1).mean()],
    "mean-over-latent": [lambda mu, lv: torch.mean(-0.5 * (1 + lv - mu ** 2 - lv.exp()))],
    "sum-over-batch": [lambda mu, lv: -0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp())],
    "batch-averaged-twice": [lambda mu, lv: (-0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp()) / len(mu)) / mu.size(0)],
    "per-image": [lambda mu, lv: -0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp(), dim=1)],
    "no-gradient": [lambda mu, lv: torch.tensor(_dist_kl(mu, lv).item()),
                    lambda mu, lv: float(np.mean(np.sum(0.5 * (mu.numpy() ** 2 + np.exp(lv.numpy()) - lv.numpy() - 1), 1)))],
}
KL_ODD = [lambda mu, lv: (0.5 * (mu ** 2 + lv.exp() - lv - 1)).sum(1).mean() + 0.1]


# --------------------------------------------------------------------------- 07 train_step

def _rec(logits, x):
    return F.mse_loss(torch.sigmoid(logits), x, reduction="sum") / len(x)


def _kl(mu, lv):
    return -0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp()) / len(mu)


def _step(loss_fn=None, zero_grad="before", backward=True, step=True, sample=None, warm_up=False,
          seed=None, returns=lambda loss: loss.item()):
    """A learner's train_step, with one thing done its own way."""
    def train_step(model, optimizer, x):
        if warm_up:
            with torch.no_grad():
                model(x)              # a look before the step: draws noise it never uses
        if seed is not None:
            torch.manual_seed(seed)
        if sample is None:
            logits, mu, logvar = model(x)
        else:
            mu, logvar = model.encode(x)
            logits = model.decode_logits(sample(mu, logvar))
        loss = loss_fn(logits, x, mu, logvar) if loss_fn else _rec(logits, x) + _kl(mu, logvar)
        if zero_grad == "before":
            optimizer.zero_grad()
        if backward:
            loss.backward()
        if zero_grad == "between":
            optimizer.zero_grad()
        if step:
            optimizer.step()
        if zero_grad == "after":
            model.zero_grad()
        return returns(loss)
    return train_step


def _own_step(model, optimizer, x):
    logits, mu, logvar = model(x)
    loss = _loop_mse(logits, x) + _dist_kl(mu, logvar)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def _fresh_adam(model, optimizer, x):
    optimizer = torch.optim.Adam(model.parameters())   # a new one, every step
    logits, mu, logvar = model(x)
    loss = _rec(logits, x) + _kl(mu, logvar)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def _sigma(logvar):
    return torch.exp(0.5 * logvar)


STEP_RIGHT = [
    _own_step,
    _step(lambda logits, x, mu, lv: losses.vae_loss(logits, x, mu, lv).total),
    _step(sample=lambda mu, lv: mu + _sigma(lv) * torch.randn(mu.shape[1], mu.shape[0]).T),
    _step(sample=lambda mu, lv: mu + _sigma(lv) * torch.randn(mu.shape, dtype=torch.float64).float()),
    _step(sample=lambda mu, lv: torch.distributions.Normal(mu, _sigma(lv)).rsample()),
    _step(warm_up=True),
    _step(zero_grad="after"),
    _step(returns=lambda loss: loss.detach()),
    _step(returns=lambda loss: float(loss)),
]
STEP_WRONG = {
    "no-zero-grad": [_step(zero_grad=None)],
    "weights-unchanged": [_step(step=False), _step(zero_grad="between"), _step(backward=False, step=False)],
    "new-optimizer": [_fresh_adam],
    "decoded-mu": [_step(sample=lambda mu, lv: mu)],
    "fixed-noise": [_step(seed=0)],
    "uniform-noise": [_step(sample=lambda mu, lv: mu + _sigma(lv) * torch.rand_like(mu))],
    "not-normal": [_step(sample=lambda mu, lv: mu + lv * torch.randn_like(mu)),
                   _step(sample=lambda mu, lv: mu + lv.exp() * torch.randn_like(mu))],
    "mean-over-pixels": [_step(lambda logits, x, mu, lv: F.mse_loss(torch.sigmoid(logits), x) + _kl(mu, lv))],
    "kl-sign-flipped": [_step(lambda logits, x, mu, lv: _rec(logits, x) - _kl(mu, lv))],
    "rec-logits": [_step(lambda logits, x, mu, lv: F.mse_loss(logits, x, reduction="sum") / len(x) + _kl(mu, lv))],
    "rec-not-squared": [_step(lambda logits, x, mu, lv: F.l1_loss(torch.sigmoid(logits), x, reduction="sum") / len(x)
                              + _kl(mu, lv))],
    "rec-sum-over-batch": [_step(lambda logits, x, mu, lv: F.mse_loss(torch.sigmoid(logits), x, reduction="sum")
                                 + _kl(mu, lv))],
    "kl-missing-half": [_step(lambda logits, x, mu, lv: _rec(logits, x) + 2 * _kl(mu, lv))],
    "kl-logvar-as-sigma": [_step(lambda logits, x, mu, lv: _rec(logits, x) - 0.5 * torch.sum(
        1 + torch.log(lv ** 2) - mu ** 2 - lv ** 2) / len(x))],
    "kl-logvar-as-log-sigma": [_step(lambda logits, x, mu, lv: _rec(logits, x) - 0.5 * torch.sum(
        1 + 2 * lv - mu ** 2 - torch.exp(2 * lv)) / len(x))],
    "kl-no-minus-one": [_step(lambda logits, x, mu, lv: _rec(logits, x) + 0.5 * torch.sum(
        mu ** 2 + lv.exp() - lv) / len(x))],
    "kl-mean-over-latent": [_step(lambda logits, x, mu, lv: _rec(logits, x) + torch.mean(
        -0.5 * (1 + lv - mu ** 2 - lv.exp())))],
    "kl-sum-over-batch": [_step(lambda logits, x, mu, lv: _rec(logits, x) - 0.5 * torch.sum(
        1 + lv - mu ** 2 - lv.exp()))],
    "no-kl": [_step(lambda logits, x, mu, lv: _rec(logits, x))],
    "bce": [_step(lambda logits, x, mu, lv: F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
                  / len(x) + _kl(mu, lv))],
    "sum-over-batch": [_step(lambda logits, x, mu, lv: len(x) * (_rec(logits, x) + _kl(mu, lv)))],
    "batch-averaged-twice": [_step(lambda logits, x, mu, lv: (_rec(logits, x) + _kl(mu, lv)) / len(x))],
    "beta": [_step(lambda logits, x, mu, lv: _rec(logits, x) + 0.5 * _kl(mu, lv)),
             _step(lambda logits, x, mu, lv: _rec(logits, x) + 4 * _kl(mu, lv))],
}
STEP_ODD = [
    _step(lambda logits, x, mu, lv: _rec(logits, x) + _kl(mu, lv) + 0.1 * mu.pow(2).sum() / len(x)),
    _step(lambda logits, x, mu, lv: _rec(logits, x) + _kl(mu, lv), returns=lambda loss: 2 * loss.item()),
]


# --------------------------------------------------------------------------- 08 interpolate

def _sampled_interpolate(model, a, b, steps):
    za, zb = (model.reparameterize(*model.encode(img.unsqueeze(0))) for img in (a, b))
    t = torch.linspace(0, 1, steps).unsqueeze(1)
    return model.decode(za + t * (zb - za))


def _mu_path(model, a, b, t):
    za, zb = model.encode(a.unsqueeze(0))[0], model.encode(b.unsqueeze(0))[0]
    return za + t.unsqueeze(1) * (zb - za)


def _lerp_interpolate(model, first, second, steps=10):
    with torch.no_grad():
        mu_a, _ = model.encode(first.reshape(1, 1, 28, 28).float())
        mu_b, _ = model.encode(second.reshape(1, 1, 28, 28).float())
        return torch.stack([model.decode(torch.lerp(mu_a, mu_b, t))[0] for t in torch.linspace(0, 1, steps)])


def _loop_interpolate(model, a, b, steps):
    za, zb = model.encode(a[None])[0], model.encode(b[None])[0]
    images = []
    for i in range(steps):
        t = i / (steps - 1)
        images.append(model.decode(za * (1 - t) + zb * t))
    return torch.cat(images)


INTERP_RIGHT = [
    lambda model, a, b, steps: model.decode(_mu_path(model, a, b, torch.linspace(0, 1, steps))),
    _lerp_interpolate, _loop_interpolate,
]
INTERP_WRONG = {
    "pixels": [lambda model, a, b, steps: torch.stack([a + t * (b - a) for t in torch.linspace(0, 1, steps)])],
    "sampled-z": [_sampled_interpolate],
    "endpoints": [lambda model, a, b, steps: model.decode(
        _mu_path(model, a, b, torch.arange(1, steps + 1) / (steps + 1)))],
    "logits": [lambda model, a, b, steps: model.decode_logits(_mu_path(model, a, b, torch.linspace(0, 1, steps)))],
    "reversed": [lambda model, a, b, steps: model.decode(_mu_path(model, b, a, torch.linspace(0, 1, steps)))],
}
INTERP_ODD = [lambda model, a, b, steps: model.decode(_mu_path(model, a, b, torch.linspace(0, 1, steps) ** 2))]


# --------------------------------------------------------------------------- 09 bce_floor

def _scipy_floor(images):
    from scipy.stats import entropy

    x = images.double().reshape(len(images), -1).numpy()
    return float(np.mean([sum(entropy([p, 1 - p]) for p in row) for row in x]))


FLOOR_RIGHT = [
    lambda x: -(torch.special.xlogy(x, x) + torch.special.xlogy(1 - x, 1 - x)).sum(dim=(1, 2, 3)).mean(),
    _scipy_floor,
    lambda x: F.binary_cross_entropy(x, x, reduction="none").sum((1, 2, 3)).mean(),
    lambda x: (-(x * x.clamp_min(1e-12).log() + (1 - x) * (1 - x).clamp_min(1e-12).log())).flatten(1).sum(1).mean(),
]
FLOOR_WRONG = {
    "nan": [lambda x: (-(x * torch.log(x) + (1 - x) * torch.log(1 - x))).sum((1, 2, 3)).mean()],
    "bits": [lambda x: (-(torch.special.xlogy(x, x) + torch.special.xlogy(1 - x, 1 - x))
                        / math.log(2)).flatten(1).sum(1).mean()],
    "one-term": [lambda x: -torch.special.xlogy(x, x).flatten(1).sum(1).mean()],
    "mean-over-pixels": [lambda x: F.binary_cross_entropy(x, x)],
    "sum-over-images": [lambda x: F.binary_cross_entropy(x, x, reduction="sum")],
}
FLOOR_ODD = [lambda x: -(torch.special.xlogy(x, x) + torch.special.xlogy(1 - x, 1 - x)).sum((1, 2, 3)).max()]


# --------------------------------------------------------------------------- 10 vae_loss, reconstruct

def _own_vae_loss(logits, x, mu, logvar):
    return _loop_mse(logits, x) + _dist_kl(mu, logvar)


def _loss(rec=None, kl=None, combine=lambda r, k: r + k):
    """A learner's vae_loss with one term written its own way."""
    def vae_loss(logits, x, mu, logvar):
        r = rec(logits, x) if rec else _rec(logits, x)
        k = kl(mu, logvar) if kl else _kl(mu, logvar)
        return combine(r, k)
    return vae_loss


LOSS_RIGHT = [
    lambda logits, x, mu, logvar: (((torch.sigmoid(logits) - x) ** 2).sum(dim=(1, 2, 3))
                                   + 0.5 * (mu ** 2 + logvar.exp() - logvar - 1).sum(dim=1)).mean(),
    _own_vae_loss, _loss(),
    lambda logits, x, mu, lv: losses.vae_loss(logits, x, mu, lv).total,
    lambda logits, x, mu, lv: _loss()(logits.double(), x.double(), mu.double(), lv.double()),
]
LOSS_WRONG = {
    "mean-over-pixels": [_loss(rec=lambda logits, x: F.mse_loss(torch.sigmoid(logits), x))],
    "kl-sign-flipped": [_loss(combine=lambda r, k: r - k)],
    "rec-logits": [_loss(rec=lambda logits, x: ((logits - x) ** 2).sum() / len(x))],
    "rec-not-squared": [_loss(rec=lambda logits, x: (torch.sigmoid(logits) - x).abs().sum() / len(x))],
    "rec-sum-over-batch": [_loss(rec=lambda logits, x: F.mse_loss(torch.sigmoid(logits), x, reduction="sum"))],
    "kl-missing-half": [_loss(kl=lambda mu, lv: -torch.sum(1 + lv - mu ** 2 - lv.exp()) / len(mu))],
    "kl-logvar-as-sigma": [_loss(kl=lambda mu, lv: -0.5 * torch.sum(1 + torch.log(lv ** 2) - mu ** 2 - lv ** 2)
                                 / len(mu))],
    "kl-logvar-as-log-sigma": [_loss(kl=lambda mu, lv: (0.5 * (mu ** 2 + torch.exp(lv) ** 2 - 2 * lv - 1)).sum(1).mean())],
    "kl-no-minus-one": [_loss(kl=lambda mu, lv: 0.5 * torch.sum(mu ** 2 + lv.exp() - lv) / len(mu))],
    "kl-mean-over-latent": [_loss(kl=lambda mu, lv: torch.mean(-0.5 * (1 + lv - mu ** 2 - lv.exp())))],
    "kl-sum-over-batch": [_loss(kl=lambda mu, lv: -0.5 * torch.sum(1 + lv - mu ** 2 - lv.exp()))],
    "no-kl": [_loss(combine=lambda r, k: r)],
    "bce": [_loss(rec=lambda logits, x: F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / len(x))],
    "sum-over-batch": [lambda logits, x, mu, lv: F.mse_loss(torch.sigmoid(logits), x, reduction="sum")
                       - 0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp())],
    "batch-averaged-twice": [_loss(combine=lambda r, k: (r + k) / 6)],
    "per-image": [lambda logits, x, mu, lv: ((torch.sigmoid(logits) - x) ** 2).flatten(1).sum(1)
                  - 0.5 * (1 + lv - mu ** 2 - lv.exp()).sum(1)],
    "beta": [_loss(combine=lambda r, k: r + 0.5 * k), _loss(combine=lambda r, k: r + 10 * k)],
    "no-gradient": [_loss(combine=lambda r, k: (r + k).item()), _loss(combine=lambda r, k: (r + k).detach())],
}
LOSS_ODD = [_loss(combine=lambda r, k: r + k + 1.0),
            _loss(rec=lambda logits, x: F.mse_loss(torch.sigmoid(logits), x, reduction="sum") / len(x) / 2)]


def _own_reconstruct(model, images):
    with torch.no_grad():
        return torch.sigmoid(model.decode_logits(model.encode(images)[0]))


RECON_RIGHT = [
    lambda model, x: model.decode(model.encode(x)[0]),
    _own_reconstruct,
    lambda model, x: latent.reconstruct(model, x),
]
RECON_WRONG = {
    "sampled-z": [lambda model, x: model.decode(model.reparameterize(*model.encode(x))),
                  lambda model, x: torch.sigmoid(model(x)[0])],
    "logits": [lambda model, x: model(x)[0] * 0 + model.decode_logits(model.encode(x)[0])],
}
RECON_ODD = [lambda model, x: x.clone()]


# --------------------------------------------------------------------------- 11 decoder_input

def _scatter_one_hot(z, y):
    hot = torch.zeros(len(y), 10)
    hot[torch.arange(len(y)), y] = 1.0
    return torch.cat([z, hot], dim=1)


DECODER_RIGHT = [
    lambda z, y: torch.cat([z, F.one_hot(y, 10).float()], dim=1),
    lambda z, y: torch.cat((z, torch.eye(10)[y]), dim=-1),
    _scatter_one_hot,
    lambda z, y: torch.hstack([z, F.one_hot(y, num_classes=10)]),
]
DECODER_WRONG = {
    "label-number": [lambda z, y: torch.cat([z, y.unsqueeze(1).float()], dim=1)],
    "one-hot-width": [lambda z, y: torch.cat([z, F.one_hot(y).float()], dim=1)],
    "label-first": [lambda z, y: torch.cat([F.one_hot(y, 10).float(), z], dim=1)],
    "no-label": [lambda z, y: z],
    "added": [lambda z, y: z + y.view(-1, 1)],
}
DECODER_ODD = [lambda z, y: torch.cat([z, F.one_hot(9 - y, 10).float()], dim=1)]


# --------------------------------------------------------------------------- 12 corrected_score

SCORE_RIGHT = [
    lambda log_px, png_bytes: log_px + png_bytes * 8 * math.log(2),
    lambda log_px, png_bytes: log_px + png_bytes * math.log(256),
    lambda log_px, png_bytes: log_px + png_bytes * 8 / math.log2(math.e),
    lambda log_px, png_bytes: torch.from_numpy(log_px.numpy() + png_bytes.numpy() * 8 * np.log(2)),
]
SCORE_WRONG = {
    "bytes": [lambda log_px, png_bytes: log_px + png_bytes],
    "bits": [lambda log_px, png_bytes: log_px + 8 * png_bytes],
    "divided": [lambda log_px, png_bytes: log_px + png_bytes * 8 / math.log(2)],
    "minus": [lambda log_px, png_bytes: log_px - png_bytes * 8 * math.log(2)],
    "s-itself": [lambda log_px, png_bytes: -log_px - png_bytes * 8 * math.log(2)],
    "no-length": [lambda log_px, png_bytes: log_px],
}
SCORE_ODD = [lambda log_px, png_bytes: log_px + png_bytes * 8 * math.log(10)]


# --------------------------------------------------------------------------- 13 binarise

def _np_binarise(x):
    return torch.from_numpy(np.random.default_rng().binomial(1, x.double().numpy())).float()


def _loop_binarise(x):
    out = torch.empty_like(x)
    for i in range(len(x)):
        out[i] = (torch.rand(x[i].shape) < x[i]).float()
    return out


BINARISE_RIGHT = [
    lambda x: (torch.rand_like(x) < x).float(),
    _np_binarise,
    _loop_binarise,
    lambda x: torch.distributions.Bernoulli(probs=x).sample(),
]
BINARISE_WRONG = {
    "threshold": [lambda x: (x > 0.5).float(), lambda x: x.round()],
    "one-draw": [lambda x: (x > torch.rand(())).float()],
    "one-per-image": [lambda x: (torch.rand(len(x), 1, 1, 1) < x).float()],
    "not-binary": [lambda x: (x + 0.05 * torch.randn_like(x)).clamp(0, 1)],
    "inverted": [lambda x: (torch.rand_like(x) > x).float()],
    "255": [lambda x: (torch.rand_like(x) < x).float() * 255],
    "fixed-draw": [lambda x: torch.bernoulli(x, generator=torch.Generator().manual_seed(0))],
}
BINARISE_ODD = [lambda x: (torch.rand_like(x) < x ** 2).float()]


RIGHT = {"nearest_distance": NEAREST_RIGHT, "make_encoder": ENCODER_RIGHT, "reparameterize": REPARAM_RIGHT,
         "log_mean_exp": LME_RIGHT, "reconstruction_loss": MSE_RIGHT, "bce": BCE_RIGHT, "kl_divergence": KL_RIGHT,
         "train_step": STEP_RIGHT, "interpolate": INTERP_RIGHT, "bce_floor": FLOOR_RIGHT, "vae_loss": LOSS_RIGHT,
         "reconstruct": RECON_RIGHT, "decoder_input": DECODER_RIGHT, "corrected_score": SCORE_RIGHT,
         "binarise": BINARISE_RIGHT}
WRONG = {"nearest_distance": NEAREST_WRONG, "make_encoder": ENCODER_WRONG, "reparameterize": REPARAM_WRONG,
         "log_mean_exp": LME_WRONG, "reconstruction_loss": MSE_WRONG, "bce": BCE_WRONG, "kl_divergence": KL_WRONG,
         "train_step": STEP_WRONG, "interpolate": INTERP_WRONG, "bce_floor": FLOOR_WRONG, "vae_loss": LOSS_WRONG,
         "reconstruct": RECON_WRONG, "decoder_input": DECODER_WRONG, "corrected_score": SCORE_WRONG,
         "binarise": BINARISE_WRONG}
ODD = {"nearest_distance": NEAREST_ODD, "make_encoder": ENCODER_ODD, "reparameterize": REPARAM_ODD,
       "log_mean_exp": LME_ODD, "reconstruction_loss": MSE_ODD, "bce": BCE_ODD, "kl_divergence": KL_ODD,
       "train_step": STEP_ODD, "interpolate": INTERP_ODD, "bce_floor": FLOOR_ODD, "vae_loss": LOSS_ODD,
       "reconstruct": RECON_ODD, "decoder_input": DECODER_ODD, "corrected_score": SCORE_ODD,
       "binarise": BINARISE_ODD}
