"""How likely a VAE finds an image: the ELBO and an importance-sampled estimate of log p(x).

The VAE's generative model is z ~ p(z) = N(0, I), then x ~ p(x|z), a Bernoulli per pixel
with probability sigmoid(decoder logits). Its encoder q(z|x) = N(mu, sigma^2) proposes latent
points. For K points z_k drawn from q(z|x), the importance weights

    w_k = p(x|z_k) p(z_k) / q(z_k|x)

average to p(x), so log (1/K) sum_k w_k estimates log p(x). In expectation it is a lower
bound that rises with K: at K = 1 it is the ELBO, and as K grows it closes in on log p(x)
(Burda, Grosse & Salakhutdinov 2016, "Importance weighted autoencoders", who use K = 5,000;
K = 1,000 is common). Everything is per image, in nats, under the Bernoulli decoder the
book's yardstick uses (``losses.negative_elbo``), whatever loss the model was trained with.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from .losses import kl_per_latent, reconstruction_loss
from .support.contracts import Count, Finite, Images, Is, Points, SequenceOf, Seed, VAEModel, checked

_LOG_2PI = math.log(2 * math.pi)


def _weights_bytes(k: int, batch_size: int, n: int) -> int:
    """Memory :func:`log_weights` needs for ``k`` samples per image: four (K, B, 784) floats
    per batch (logits, targets, the BCE and its sum), and (N, K) doubles kept for each of n."""
    return k * (4 * batch_size * 784 * 4 + 24 * n)


# samples per image: as many as fit in memory
K = Count(1, fits=lambda k, batch_size, images: _weights_bytes(k, batch_size, len(images)))


def _log_normal(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """log N(z; mu, diag(exp(logvar))), summed over the last dimension."""
    return -0.5 * (_LOG_2PI + logvar + (z - mu) ** 2 / logvar.exp()).sum(-1)


def _bernoulli_log_prob(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """log p(x|z) = -BCE summed over pixels, the book's reconstruction loss with its sign
    flipped: logits (K, B, 1, 28, 28) and x (B, 1, 28, 28) -> (K, B)."""
    k, b = logits.shape[:2]
    targets = x.expand(k, *x.shape).reshape(k * b, *x.shape[1:])
    bce = reconstruction_loss(logits.flatten(0, 1), targets, "bce", reduction="none")
    return -bce.view(k, b)


class LogWeights(NamedTuple):
    """Per image and sample, in nats: ``log_w`` (N, K) = ``log_px_z`` + log p(z) - log q(z|x),
    plus the analytic ``kl`` (N,) of q(z|x) from the prior."""

    log_w: torch.Tensor
    log_px_z: torch.Tensor
    kl: torch.Tensor


@torch.no_grad()
def log_weights(model: VAEModel, images: Images(least=1), k: K = 1000, batch_size: Count(1) = 20,
                seed: Seed = 0) -> Finite("log weights"):
    """Draw ``k`` latent points per image from q(z|x) and score them.

    ``images``: (N, 1, 28, 28) floats in [0, 1]. Runs ``batch_size`` images (so
    ``batch_size * k`` decoder passes) at a time on the model's device; returns CPU tensors.
    The draws come from ``seed``: same seed and batch size, same numbers.
    """
    device = next(model.parameters()).device
    gen = torch.Generator().manual_seed(seed)   # drawn on the CPU: the same eps on any device
    was_training = model.training
    model.eval()
    parts: list[tuple[torch.Tensor, ...]] = []
    for start in range(0, len(images), batch_size):
        x = images[start:start + batch_size].to(device)                   # (B, 1, 28, 28)
        mu, logvar = model.encode(x)                                      # (B, d) each
        eps = torch.randn((k, *mu.shape), generator=gen).to(device)       # (K, B, d)
        z = mu + (0.5 * logvar).exp() * eps
        logits = model.decode_logits(z.flatten(0, 1)).unflatten(0, (k, len(x)))  # (K, B, 1, 28, 28)
        log_px_z = _bernoulli_log_prob(logits, x)                         # (K, B)
        log_pz = -0.5 * (_LOG_2PI + z ** 2).sum(-1)
        log_qz = _log_normal(z, mu, logvar)
        parts.append(((log_px_z + log_pz - log_qz).T, log_px_z.T,
                      kl_per_latent(mu, logvar).sum(1)))
    model.train(was_training)
    return LogWeights(*(torch.cat(p).double().cpu() for p in zip(*parts)))


def log_mean_exp(log_w: Points(), k: Count(1, lambda log_w: log_w.shape[1]) = None) -> torch.Tensor:
    """log (1/k) sum_{j<k} exp(log_w[:, j]) per row, stably (log-sum-exp): (N, K) -> (N,).
    With ``k`` smaller than K, only the first ``k`` samples count."""
    k = log_w.shape[1] if k is None else k
    return torch.logsumexp(log_w[:, :k], dim=1) - math.log(k)


def iwae_bound(log_w: Points(), k: Count(1, lambda log_w: log_w.shape[1])) -> torch.Tensor:
    """The k-sample estimate averaged over the K // k disjoint groups of k draws that
    ``log_w`` (N, K) holds: (N,). Same expectation as ``log_mean_exp(log_w, k)``, less noise."""
    groups = log_w.shape[1] // k
    grouped = log_w[:, :groups * k].reshape(len(log_w), groups, k)
    return (torch.logsumexp(grouped, dim=2) - math.log(k)).mean(1)


def importance_sampled_log_likelihood(model: VAEModel, images: Images(least=1), k: K = 1000,
                                      batch_size: Count(1) = 20, seed: Seed = 0) -> torch.Tensor:
    """Estimate of log p(x) per image, in nats, from ``k`` importance samples: (N,).

    In expectation a lower bound on log p(x) that tightens as ``k`` grows; k = 1 gives the
    ELBO in expectation. Needs N * k decoder passes."""
    return log_mean_exp(log_weights(model, images, k, batch_size, seed).log_w)


def elbo(weights: Is(LogWeights)) -> torch.Tensor:
    """The ELBO per image, in nats, from drawn samples: mean_k log p(x|z_k) - KL(q(z|x) || p(z)),
    the reconstruction term averaged over all K samples and the KL exact: (N,)."""
    return weights.log_px_z.mean(1) - weights.kl


def elbo_per_image(model: VAEModel, images: Images(least=1), k: K = 100, batch_size: Count(1) = 100,
                   seed: Seed = 0) -> torch.Tensor:
    """The ELBO per image in nats, its reconstruction term averaged over ``k`` draws: (N,).
    Its negative is the book's "negative ELBO per image" (``losses.negative_elbo``), with
    less sampling noise."""
    return elbo(log_weights(model, images, k, batch_size, seed))


class BoundTable(NamedTuple):
    """Averages over images, in nats: the ELBO and the importance-sampled estimate for
    each K (a dict K -> nats)."""

    elbo: float
    estimates: dict[int, float]

    @property
    def gap(self) -> float:
        """How far the largest-K estimate lies above the ELBO."""
        return self.estimates[max(self.estimates)] - self.elbo


def bound_table(model: VAEModel, images: Images(least=1), ks: SequenceOf(K) = (1, 10, 100, 1000),
                batch_size: Count(1) = 20, seed: Seed = 0) -> BoundTable:
    """ELBO and log p(x) estimates for several K from one set of max(ks) draws per image,
    averaged over ``images``. The estimate for K averages the max(ks) // K disjoint groups of
    K draws (:func:`iwae_bound`), so small K are not left to a single noisy draw."""
    weights = log_weights(model, images, max(ks), batch_size, seed)
    estimates = {k: iwae_bound(weights.log_w, k).mean().item() for k in sorted(ks)}
    return BoundTable(elbo(weights).mean().item(), estimates)


@torch.no_grad()
def kl_per_dimension(model: VAEModel, images: Images(least=1), batch_size: Count(1) = 1000) -> torch.Tensor:
    """KL(q(z|x) || N(0, 1)) of each latent dimension, averaged over ``images``: (d,), nats.

    A dimension whose KL is near zero has mu ≈ 0 and sigma ≈ 1 for every image: it carries
    no information about the image (an "inactive unit"). When all of them are near zero the
    posterior has collapsed onto the prior (posterior collapse)."""
    device, total = next(model.parameters()).device, torch.zeros(model.latent_dim, dtype=torch.float64)
    for start in range(0, len(images), batch_size):
        mu, logvar = model.encode(images[start:start + batch_size].to(device))
        total += kl_per_latent(mu, logvar).double().sum(0).cpu()          # (B, d) summed over B
    return total / len(images)


checked(globals())
