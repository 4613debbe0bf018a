"""The two halves of the VAE's loss, with one convention for their scale.

Every loss here is **summed over pixels (or latent dimensions) and averaged over the
batch**: a number per image, in nats for binary cross-entropy and KL. Mixing a per-pixel
mean for one term with a sum for the other silently changes the KL weight by a factor 784;
that is the most common bug in VAE examples.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from .errors import ConfigError
from .models import ModelOutput

RECONSTRUCTION_LOSSES = ("mse", "bce")


def _reduce(per_image: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "mean":
        return per_image.mean()
    if reduction == "none":
        return per_image
    raise ConfigError(f"reduction must be 'mean' (over the batch) or 'none', got {reduction!r}")


def reconstruction_loss(logits: torch.Tensor, x: torch.Tensor, kind: str = "mse",
                        reduction: str = "mean") -> torch.Tensor:
    """How far the reconstruction is from the input, summed over pixels.

    ``logits``: decoder output before the sigmoid, (B, 1, 28, 28); ``x``: targets in [0, 1].

    - ``"mse"`` (the article's choice): sum_i (x_i - x̂_i)^2 with x̂ = sigmoid(logits);
    - ``"bce"``: -sum_i [x_i log x̂_i + (1 - x_i) log(1 - x̂_i)], in nats, computed from the
      logits for numerical stability.

    ``reduction="mean"`` averages over the batch; ``"none"`` returns one value per image.
    ``logits`` and ``x`` must have the same shape: broadcasting one against the other would
    compare every image with every other and return a wrong number without complaint.
    """
    _check_same_shape(logits, x)
    if kind == "mse":
        per_image = ((torch.sigmoid(logits) - x) ** 2).flatten(1).sum(1)
    elif kind == "bce":
        per_image = _BCEWithLogits.apply(logits, x)
    else:
        raise ConfigError(f"reconstruction loss must be one of {RECONSTRUCTION_LOSSES}, got {kind!r}")
    return _reduce(per_image, reduction)


def _check_same_shape(logits: torch.Tensor, x: torch.Tensor) -> None:
    if not isinstance(logits, torch.Tensor) or not isinstance(x, torch.Tensor):
        raise ConfigError("reconstruction_loss needs two tensors: the decoder's logits and the images")
    if logits.shape != x.shape or logits.dim() < 2:
        hint = ""
        if x.dim() == logits.dim() - 1 and tuple(x.shape) == tuple(logits.shape[:1] + logits.shape[2:]):
            hint = " Add the channel dimension with x.unsqueeze(1)."
        elif logits.dim() == x.dim() - 1 and tuple(logits.shape) == tuple(x.shape[:1] + x.shape[2:]):
            hint = " Add the channel dimension with logits.unsqueeze(1)."
        raise ConfigError(f"logits {tuple(logits.shape)} and target images {tuple(x.shape)} must have "
                          f"the same shape, e.g. (batch, 1, 28, 28).{hint}")
    if not x.is_floating_point():
        raise ConfigError(f"target images must be floats in [0, 1], got {x.dtype}; use x.float() / 255 "
                          f"for uint8 pixels")


class _BCEWithLogits(torch.autograd.Function):
    """Binary cross-entropy from logits, summed over pixels: (B, ...) -> (B,).

    Same value as ``F.binary_cross_entropy_with_logits``, written out because it is the
    hottest line of CPU training: PyTorch's CPU ``log1p`` (used by softplus) is a scalar
    loop, while ``log`` is vectorised. log(1 + e) with e = exp(-|l|) in (0, 1] differs from
    log1p(e) by at most ~1e-7 per pixel. The gradient is the familiar sigmoid(l) - x.
    """

    @staticmethod
    def forward(ctx, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(logits, x)
        # max(l, 0) - x*l + log(1 + exp(-|l|)), in place on one temporary buffer
        per_pixel = logits.abs().neg_().exp_().add_(1).log_()
        per_pixel += logits.clamp(min=0)
        per_pixel.addcmul_(x, logits, value=-1)
        return per_pixel.flatten(1).sum(1)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        logits, x = ctx.saved_tensors
        shape = (-1,) + (1,) * (logits.dim() - 1)
        return torch.sigmoid(logits).sub_(x).mul_(grad.view(shape)), None


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """KL( N(mu, sigma^2) || N(0, 1) ) for a diagonal Gaussian, summed over latent dimensions:

        KL = 1/2 * sum_j ( mu_j^2 + sigma_j^2 - log sigma_j^2 - 1 ),  sigma_j^2 = exp(logvar_j)

    Zero exactly when mu = 0 and sigma = 1; grows when mu strays from 0 or sigma from 1.
    (Kingma & Welling 2014, appendix B.) In nats; ``reduction`` as above.
    """
    return _reduce(kl_per_latent(mu, logvar).sum(1), reduction)


def kl_per_latent(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """The KL of :func:`kl_divergence` before the sum over latent dimensions: (batch, latent),
    ``1/2 (mu_j^2 + sigma_j^2 - log sigma_j^2 - 1)`` for each image and dimension j."""
    if mu.shape != logvar.shape or mu.dim() != 2:
        raise ConfigError(f"mu {tuple(mu.shape)} and logvar {tuple(logvar.shape)} must both be "
                          f"(batch, latent), as VAE.encode returns them")
    return 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1)


class LossTerms(NamedTuple):
    """``total = reconstruction + beta * kl``, each averaged over the batch."""

    total: torch.Tensor
    reconstruction: torch.Tensor
    kl: torch.Tensor


def vae_loss(output: ModelOutput, x: torch.Tensor, kind: str = "mse",
             beta: float = 1.0) -> LossTerms:
    """The training loss. For the plain autoencoder (no mu) the KL term is zero."""
    rec = reconstruction_loss(output.logits, x, kind)
    if output.mu is None:
        kl = torch.zeros((), device=x.device)
    else:
        kl = kl_divergence(output.mu, output.logvar)
    return LossTerms(rec + beta * kl, rec, kl)


def negative_elbo(output: ModelOutput, x: torch.Tensor) -> LossTerms:
    """The negative ELBO in nats per image under a Bernoulli decoder: BCE summed over pixels
    plus KL, with beta = 1, whatever loss the model was trained with. Lower is better;
    it upper-bounds -log p(x)."""
    return vae_loss(output, x, "bce", 1.0)
