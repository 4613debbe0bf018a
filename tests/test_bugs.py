"""Chapter 10's deliberate bugs, free bits, and the settings that carry them (TrainConfig.bug,
TrainConfig.free_bits): each bug changes exactly what it names, and a model with a bug or free bits has
a cache key of its own."""

from __future__ import annotations

import pytest
import torch

from vae_tutorial import book, bugs, data, losses, metrics
from vae_tutorial.models import VAE, ModelConfig
from vae_tutorial.support.errors import ConfigError
from vae_tutorial.support.runs import checkpoint_path, describe, train_or_load
from vae_tutorial.train import TrainConfig, batch_loss


def _batch(seed=0):
    g = torch.Generator().manual_seed(seed)
    model = VAE(ModelConfig(latent_dim=3, hidden_dims=(16, 8)))
    return model, torch.rand(6, 1, 28, 28, generator=g)


def _terms(model, x, **settings):
    torch.manual_seed(0)
    return batch_loss(model, x, None, TrainConfig(**settings))


def test_without_a_bug_the_step_is_the_books():
    model, x = _batch()
    torch.manual_seed(0)
    logits, mu, logvar = model(x)
    expected = losses.vae_loss(logits, x, mu, logvar)
    assert torch.allclose(_terms(model, x).total, expected.total)


def test_each_bug_changes_what_it_names():
    model, x = _batch()
    right = _terms(model, x)
    mean = _terms(model, x, bug="mean-over-pixels")
    assert torch.allclose(mean.reconstruction * 784, right.reconstruction, rtol=1e-5)
    assert torch.allclose(mean.kl, right.kl)
    flipped = _terms(model, x, bug="kl-sign-flipped")
    assert torch.allclose(flipped.total, right.reconstruction - right.kl)
    as_sigma = _terms(model, x, bug="logvar-as-sigma")
    assert torch.allclose(as_sigma.kl, right.kl) and not torch.allclose(as_sigma.total, right.total)
    scaled = _terms(model, x, loss="bce", bug="bce-on-minus-one-to-one")
    torch.manual_seed(0)
    xs = 2 * x - 1
    mu, logvar = model.encode(xs)
    logits = model.decoder(model.reparameterize(mu, logvar))
    assert torch.allclose(scaled.reconstruction, losses.reconstruction_loss(logits, xs, "bce"))


def test_logvar_as_sigma_samples_with_the_head_itself():
    mu, logvar = torch.zeros(20000, 2), torch.tensor([[0.0, 0.5]]).expand(20000, 2)
    z = bugs.reparameterize(mu, logvar)
    assert z[:, 0].abs().max() == 0 and abs(z[:, 1].std().item() - 0.5) < 0.02


def test_free_bits_leave_the_first_nats_of_each_dimension_free():
    mu = torch.tensor([[0.1, 2.0], [-0.1, 2.0]]).requires_grad_()
    logvar = torch.zeros(2, 2)
    logits, x = torch.zeros(2, 1, 28, 28), torch.zeros(2, 1, 28, 28)
    plain = losses.vae_loss(logits, x, mu, logvar)
    free = losses.vae_loss(logits, x, mu, logvar, free_bits=0.5)
    assert torch.allclose(free.kl, plain.kl)            # the KL reported is the true one
    # dimension 1 spends 0.005 nats (< 0.5: charged 0.5), dimension 2 spends 2 (charged 2)
    assert torch.allclose(free.total - free.reconstruction, torch.tensor(0.5 + 2.0))
    free.total.backward()
    assert mu.grad[:, 0].abs().max() == 0 and mu.grad[:, 1].abs().min() > 0


def test_a_bug_or_free_bits_gives_a_model_a_cache_key_of_its_own(mnist_root):
    digits = data.load_mnist(mnist_root, quiet=True)
    plain = book.config("vae-short", digits)
    assert plain.as_dict()["bug"] == "" and plain.as_dict()["free_bits"] == 0.0
    buggy = book.config("vae-short", digits, bug="kl-sign-flipped", free_bits=0.5)
    assert buggy.as_dict()["bug"] == "kl-sign-flipped" and buggy.as_dict()["free_bits"] == 0.5
    assert checkpoint_path(buggy, digits) != checkpoint_path(plain, digits)
    freed = book.config("vae-short", digits, free_bits=0.5)
    assert checkpoint_path(freed, digits) not in {checkpoint_path(plain, digits),
                                                  checkpoint_path(buggy, digits)}
    assert "with the bug 'kl-sign-flipped'" in describe(buggy) and "0.5 free nats" in describe(buggy)


def test_a_buggy_model_trains_and_comes_back_from_the_cache(mnist_root):
    digits = data.load_mnist(mnist_root, quiet=True)
    config = TrainConfig(model=ModelConfig(latent_dim=2, hidden_dims=(16,)), epochs=1,
                         bug="mean-over-pixels", batch_size=32)
    first = train_or_load(config, digits, progress=False, verbose=False)
    again = train_or_load(config, digits, progress=False, verbose=False)
    assert first.origin == "trained" and again.origin == "cache" and again.config.bug == "mean-over-pixels"


def test_bad_settings_are_refused_in_one_line(mnist_root):
    digits = data.load_mnist(mnist_root, quiet=True)
    with pytest.raises(ConfigError, match="bug must be one of"):
        book.trained("vae-short", digits, bug="typo")
    with pytest.raises(ConfigError, match="free_bits must be a number of nats >= 0"):
        book.trained("vae-short", digits, free_bits=-1.0)
    with pytest.raises(ConfigError, match="the bugs of chapter 10 are in a VAE"):
        book.trained("ae", digits, bug="kl-sign-flipped")


def test_short_recipes_train_a_fifth_of_the_epochs_and_take_a_latent_size(mnist_root):
    full, offline = data.load_mnist(mnist_root, quiet=True), data.load_mnist(quiet=True)
    assert book.config("vae-short", full).epochs == book.SHORT_EPOCHS["full"]
    assert book.config("vae-short", offline).epochs == book.SHORT_EPOCHS["offline-5000"]
    assert book.config("vae-short", full, latent_dim=20).model.latent_dim == 20
    assert book.RECIPES["vae-short"].model.latent_dim == 5     # the recipe itself is untouched
