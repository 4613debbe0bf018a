"""Chapter 10's deliberate bugs: the mistakes VAE learners make most,
written into the VAE's training step on purpose, so that the chapter can
train each one and show what goes wrong.

The book's own models never come here (their TrainConfig.bug is "").
Each bug is the book's code with one line changed, marked BUG; the
chapter shows it. train.batch_loss hands a batch here when config.bug
names one of BUGS.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .losses import LossTerms, kl_divergence, reconstruction_loss, vae_loss

BUGS = ("mean-over-pixels", "kl-sign-flipped", "logvar-as-sigma",
        "bce-on-minus-one-to-one")


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


def batch_loss(model, x, config) -> LossTerms:
    """train.batch_loss for a VAE, with config.bug in it."""
    if config.bug == "bce-on-minus-one-to-one":
        x = minus_one_to_one(x)
    mu, logvar = model.encode(x)                            # 1. encode
    if config.bug == "logvar-as-sigma":
        z = reparameterize(mu, logvar)                      # 2. sample
    else:
        z = model.reparameterize(mu, logvar)
    logits = model.decoder(z)                               # 3. decode
    loss = {"mean-over-pixels": vae_loss_mean_over_pixels,
            "kl-sign-flipped": vae_loss_kl_sign_flipped,
            }.get(config.bug, vae_loss)
    return loss(logits, x, mu, logvar, config.loss, config.beta)  # 4.
