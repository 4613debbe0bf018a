"""Chapter 10's deliberate bugs and free bits, each a training step passed in (``step=``): each
bug changes exactly what it names, measured against numbers worked out by hand, and a model
trained by a step of its own has a cache key of its own."""

from __future__ import annotations

import math

import pytest
import torch

from vae_tutorial import book, bugs, data, losses
from vae_tutorial.models import VAE, ModelConfig
from vae_tutorial.runs import checkpoint_path, describe, step_name, train_or_load
from vae_tutorial.support.errors import ConfigError
from vae_tutorial.train import TrainConfig, vae_step


class Fixed(VAE):
    """A VAE whose encoder gives the same mu and log sigma² for every image, and whose decoder
    gives the same logits for every latent point: its losses can be worked out by hand."""

    def __init__(self, mu: float, logvar: float, logit: float):
        super().__init__(latent_dim=2, hidden_dims=(4,))
        self.values = mu, logvar, logit

    def encode(self, x):
        mu, logvar, _ = self.values
        n = len(x)
        return torch.full((n, 2), mu), torch.full((n, 2), logvar)

    def decode_logits(self, z):     # a method: found before the layers VAE registered
        self.decoded = z
        return torch.full((len(z), 1, 28, 28), self.values[2]) + 0 * z.sum()


def _fixed(mu=0.5, logvar=0.0, logit=0.0):
    return Fixed(mu, logvar, logit)


# By hand, for mu = 0.5 and log sigma² = 0 in both latent numbers: KL = 2 x mu² / 2 = 0.25 nats.
# Every logit 0 draws every pixel 0.5; against a picture of all-ink (x = 1) that is a squared
# error of 784 x 0.25 = 196, or 784 x ln 2 = 543.4 nats of cross-entropy.
KL = 0.25
SQUARED = 196.0
BCE = 784 * math.log(2)
INK = torch.ones(3, 1, 28, 28)


def test_the_fixed_model_gives_the_numbers_worked_out_by_hand():
    terms = vae_step(_fixed(), INK, None)
    assert terms.kl.item() == pytest.approx(KL) and terms.reconstruction.item() == pytest.approx(SQUARED)
    assert terms.total.item() == pytest.approx(SQUARED + KL)


def test_averaging_over_pixels_divides_the_reconstruction_by_784():
    terms = bugs.mean_over_pixels_step(_fixed(), INK, None)
    assert terms.reconstruction.item() == pytest.approx(SQUARED / 784)
    assert terms.kl.item() == pytest.approx(KL)          # the KL still summed: 784 times its weight
    assert terms.total.item() == pytest.approx(SQUARED / 784 + KL)


def test_the_flipped_sign_subtracts_the_kl():
    terms = bugs.kl_sign_flipped_step(_fixed(), INK, None)
    assert terms.total.item() == pytest.approx(SQUARED - KL)


def test_logvar_as_sigma_samples_with_the_head_itself():
    """The KL still reads the head as log sigma² (so with log sigma² = 0 it charges sigma = 1),
    but the sampling multiplies the noise by the head itself: 0, no noise at all."""
    mu, logvar = torch.zeros(20000, 2), torch.tensor([[0.0, 0.5]]).expand(20000, 2)
    z = bugs.reparameterize(mu, logvar)
    assert z[:, 0].abs().max() == 0 and abs(z[:, 1].std().item() - 0.5) < 0.02
    model = _fixed()
    terms = bugs.logvar_as_sigma_step(model, INK, None)
    assert torch.equal(model.decoded, torch.full((3, 2), 0.5))   # z = mu: the noise was times 0
    assert terms.kl.item() == pytest.approx(KL) and terms.reconstruction.item() == pytest.approx(SQUARED)


def test_pixels_in_minus_one_to_one_make_the_cross_entropy_fall_without_limit():
    """BCE of a logit t against a target y is log(1 + e^t) - y t; for y = -1 (a background pixel,
    scaled) that is log(1 + e^t) + t, which falls as t falls, with no floor. The step feeds the
    model 2x - 1."""
    assert bugs.minus_one_to_one(torch.tensor([0.0, 0.5, 1.0])).tolist() == [-1.0, 0.0, 1.0]
    target = torch.full((3, 1, 1, 1), -1.0)
    logits = torch.tensor([0.0, -5.0, -20.0]).reshape(3, 1, 1, 1)
    cost = losses.reconstruction_loss(logits, target, "bce", reduction="none")
    expected = [math.log(1 + math.exp(t)) + t for t in (0.0, -5.0, -20.0)]
    assert cost.tolist() == pytest.approx(expected, rel=1e-5)
    assert cost[0] > cost[1] > cost[2]
    terms = bugs.minus_one_to_one_step(_fixed(), torch.zeros(3, 1, 28, 28), None, "bce")
    # all-black pictures become all -1; every logit 0: 784 x ln 2 per image, as for any target
    assert terms.reconstruction.item() == pytest.approx(BCE, rel=1e-6)


def test_free_bits_leave_the_first_nats_of_each_dimension_free():
    mu = torch.tensor([[0.1, 2.0], [-0.1, 2.0]]).requires_grad_()
    logvar = torch.zeros(2, 2)
    logits, x = torch.zeros(2, 1, 28, 28), torch.zeros(2, 1, 28, 28)
    plain = losses.vae_loss(logits, x, mu, logvar)
    free = bugs.vae_loss_with_free_bits(logits, x, mu, logvar, free_bits=0.5)
    assert torch.allclose(free.kl, plain.kl)            # the KL reported is the true one
    # dimension 1 spends 0.005 nats (< 0.5: charged 0.5), dimension 2 spends 2 (charged 2)
    assert torch.allclose(free.total - free.reconstruction, torch.tensor(0.5 + 2.0))
    free.total.backward()
    assert mu.grad[:, 0].abs().max() == 0 and mu.grad[:, 1].abs().min() > 0


def test_a_step_of_its_own_gives_a_model_a_cache_key_of_its_own(mnist_root):
    digits = data.load_mnist(mnist_root, quiet=True)
    plain = book.config("vae-short", digits)
    keys = {checkpoint_path(plain, digits)}
    for step in bugs.STEPS:
        keys.add(checkpoint_path(plain, digits, step=step))
    assert len(keys) == 1 + len(bugs.STEPS)
    assert "trained by kl_sign_flipped_step" in describe(plain, step_name(bugs.kl_sign_flipped_step))
    assert "bug" not in plain.as_dict() and "free_bits" not in plain.as_dict()


def test_a_buggy_model_trains_and_comes_back_from_the_cache(mnist_root):
    digits = data.load_mnist(mnist_root, quiet=True)
    config = TrainConfig(model=ModelConfig(latent_dim=2, hidden_dims=(16,)), epochs=1, batch_size=32)
    first = train_or_load(config, digits, progress=False, verbose=False, step=bugs.mean_over_pixels_step)
    again = train_or_load(config, digits, progress=False, verbose=False, step=bugs.mean_over_pixels_step)
    plain = train_or_load(config, digits, progress=False, verbose=False)
    assert first.origin == "trained" and again.origin == "cache" and plain.origin == "trained"
    assert again.step == "vae_tutorial.bugs.mean_over_pixels_step" and plain.step == ""
    # trained with the bug, the reconstruction it learnt is the mean over pixels: below 1 (by hand:
    # an all-black decoder's squared error averaged over pixels is at most 1)
    assert first.history.reconstruction[-1] < 1 < plain.history.reconstruction[-1]


def test_bad_steps_are_refused_in_one_line(mnist_root):
    digits = data.load_mnist(mnist_root, quiet=True)
    with pytest.raises(ConfigError, match="step must be a function"):
        book.trained("vae-short", digits, step="kl-sign-flip")
    with pytest.raises(ConfigError, match="a training step of your own .* is for a VAE"):
        book.trained("ae", digits, step=bugs.kl_sign_flipped_step)


def test_short_recipes_train_a_fifth_of_the_epochs_and_take_a_latent_size(mnist_root):
    full, offline = data.load_mnist(mnist_root, quiet=True), data.load_mnist(quiet=True)
    assert book.config("vae-short", full).epochs == book.SHORT_EPOCHS["full"]
    assert book.config("vae-short", offline).epochs == book.SHORT_EPOCHS["offline-5000"]
    assert book.config("vae-short", full, latent_dim=20).model.latent_dim == 20
    assert book.RECIPES["vae-short"].model.latent_dim == 5     # the recipe itself is untouched
