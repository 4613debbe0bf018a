"""The VAE's two losses, and the judge's.

Every loss here is summed over pixels (or latent dimensions) and averaged
over the batch: one number per image, in nats for BCE and KL. Averaging one
term over pixels and summing the other would weigh the KL 784 times too much
(chapter "KL divergence").
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F

from .support.contracts import Choice, Real, Shape, contract


def reconstruction_loss(logits, x, kind="mse", reduction="mean"):
    """How far the rebuilt images are from x: "mse", the squared error of
    sigmoid(logits), or "bce", binary cross-entropy in nats from the logits
    (more exact than the log of a sigmoid). Summed over pixels, averaged
    over the batch (reduction="none": one number per image)."""
    if kind == "mse":
        per_pixel = F.mse_loss(torch.sigmoid(logits), x, reduction="none")
    else:
        per_pixel = F.binary_cross_entropy_with_logits(
            logits, x, reduction="none")
    per_image = per_pixel.flatten(1).sum(1)      # sum over the 784 pixels
    return per_image.mean() if reduction == "mean" else per_image


def kl_per_latent(mu, logvar):
    """KL( N(mu_j, sigma_j²) || N(0, 1) ) per image and latent number j, in
    nats: (B, latent). Kingma and Welling (2014), appendix B."""
    return 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1)


def kl_divergence(mu, logvar):
    """KL( N(mu, sigma²) || N(0, I) ), summed over the latent numbers and
    averaged over the batch. Zero only at mu = 0, sigma = 1."""
    return kl_per_latent(mu, logvar).sum(1).mean()


class LossTerms(NamedTuple):
    """total = reconstruction + beta * kl, each averaged over the batch."""

    total: torch.Tensor
    reconstruction: torch.Tensor
    kl: torch.Tensor


def vae_loss(logits, x, mu, logvar, kind="mse", beta=1.0) -> LossTerms:
    """reconstruction + beta * KL (beta 1 and BCE: the negative ELBO)."""
    rec = reconstruction_loss(logits, x, kind)
    kl = kl_divergence(mu, logvar)
    return LossTerms(rec + beta * kl, rec, kl)


def autoencoder_loss(logits, x, kind="mse") -> LossTerms:
    """The plain autoencoder's loss: reconstruction only (it has no KL)."""
    rec = reconstruction_loss(logits, x, kind)
    return LossTerms(rec, rec, torch.zeros_like(rec))


def classifier_loss(logits, labels) -> LossTerms:
    """The judge's loss: cross-entropy of its ten logits, in nats."""
    ce = F.cross_entropy(logits, labels)
    return LossTerms(ce, ce, torch.zeros_like(ce))


# Chapters call these with tensors of their own. What they take is declared here, outside the
# code the chapters show (which runs alone), and checked at each call from outside the package
# (support/contracts.py): rebuilt images of another shape than x are refused, never broadcast.
_IMAGES, _CODES, _KIND = Shape("b *pixels"), Shape("b d"), Choice("mse", "bce")
reconstruction_loss = contract(reconstruction_loss, logits=_IMAGES, x=_IMAGES, kind=_KIND,
                               reduction=Choice("mean", "none"))
kl_per_latent = contract(kl_per_latent, mu=_CODES, logvar=_CODES)
kl_divergence = contract(kl_divergence, mu=_CODES, logvar=_CODES)
vae_loss = contract(vae_loss, logits=_IMAGES, x=_IMAGES, mu=_CODES, logvar=_CODES, kind=_KIND,
                    beta=Real(at_least=0))
autoencoder_loss = contract(autoencoder_loss, logits=_IMAGES, x=_IMAGES, kind=_KIND)
