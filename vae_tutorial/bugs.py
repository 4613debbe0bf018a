"""Chapter 10's deliberate bugs, and one cure: the mistakes VAE learners make
most, each written into the book's code on purpose, so that the chapter can
train it and show what goes wrong.

Each bug is the book's code with one line changed, marked BUG; the chapter
shows it. Each becomes a training step (``train.vae_step`` with the one piece
swapped) that the chapter passes in: ``book.trained("vae-short", digits,
step=bugs.kl_sign_flipped_step)``. The book's own models never come here.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .losses import LossTerms, kl_divergence, kl_per_latent, reconstruction_loss, vae_loss
from .train import vae_step

FREE_BITS = 0.5   # nats per latent number, the cure for posterior collapse


def vae_loss_mean_over_pixels(logits, x, mu, logvar, kind="mse",
                              beta=1.0) -> LossTerms:
    # BUG: reduction="mean" (the default) averages over the pixels too
    rec = F.mse_loss(torch.sigmoid(logits), x)
    kl = kl_divergence(mu, logvar)
    return LossTerms(rec + beta * kl, rec, kl)


def vae_loss_kl_sign_flipped(logits, x, mu, logvar, kind="mse",
                             beta=1.0) -> LossTerms:
    rec = reconstruction_loss(logits, x, kind)
    kl = kl_divergence(mu, logvar)
    return LossTerms(rec - beta * kl, rec, kl)   # BUG: minus the KL


def reparameterize(mu, logvar):
    eps = torch.randn_like(logvar)   # the randomness comes from outside
    return mu + logvar * eps         # BUG: logvar is log sigma², not sigma


def minus_one_to_one(x):
    # BUG for BCE: pixels in [-1, 1], as Normalize((0.5,), (0.5,)) makes
    return 2 * x - 1


def vae_loss_with_free_bits(logits, x, mu, logvar, kind="mse", beta=1.0,
                            free_bits=FREE_BITS) -> LossTerms:
    """The cure, not a bug: each latent number's first free_bits nats
    of KL (averaged over the batch) cost nothing, so the KL cannot push
    a number all the way onto the prior: "free bits" (Kingma et al.,
    "Improved variational inference with inverse autoregressive flow",
    2016). The KL reported is the true one."""
    rec = reconstruction_loss(logits, x, kind)
    per_latent = kl_per_latent(mu, logvar).mean(0)       # (latent,)
    charged = per_latent.clamp(min=free_bits).sum()
    return LossTerms(rec + beta * charged, rec, kl_divergence(mu, logvar))


# ---------------------------------------------------------------- as steps
# train.vae_step, each with one piece swapped: step(model, x, y, kind, beta)

def mean_over_pixels_step(model, x, y, kind="mse", beta=1.0):
    logits, mu, logvar = model(x)
    return vae_loss_mean_over_pixels(logits, x, mu, logvar, kind, beta)


def kl_sign_flipped_step(model, x, y, kind="mse", beta=1.0):
    logits, mu, logvar = model(x)
    return vae_loss_kl_sign_flipped(logits, x, mu, logvar, kind, beta)


def logvar_as_sigma_step(model, x, y, kind="mse", beta=1.0):
    mu, logvar = model.encode(x)
    logits = model.decode_logits(reparameterize(mu, logvar))
    return vae_loss(logits, x, mu, logvar, kind, beta)


def minus_one_to_one_step(model, x, y, kind="bce", beta=1.0):
    return vae_step(model, minus_one_to_one(x), y, kind, beta)


def free_bits_step(model, x, y, kind="mse", beta=1.0):
    logits, mu, logvar = model(x)
    return vae_loss_with_free_bits(logits, x, mu, logvar, kind, beta)


STEPS = (mean_over_pixels_step, kl_sign_flipped_step, logvar_as_sigma_step,
         minus_one_to_one_step, free_bits_step)
