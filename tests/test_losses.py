import pytest
import torch
import torch.nn.functional as F
from torch.distributions import Normal, kl_divergence as torch_kl

from vae_tutorial.errors import ConfigError
from vae_tutorial.losses import kl_divergence, negative_elbo, reconstruction_loss, vae_loss
from vae_tutorial.models import ModelOutput


def test_kl_matches_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(6, 5, generator=g), torch.randn(6, 5, generator=g)
    expected = torch_kl(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0)).sum(1)
    torch.testing.assert_close(kl_divergence(mu, logvar, reduction="none"), expected)
    torch.testing.assert_close(kl_divergence(mu, logvar), expected.mean())


def test_kl_is_zero_only_at_standard_normal():
    assert kl_divergence(torch.zeros(2, 5), torch.zeros(2, 5)).item() == 0.0
    assert kl_divergence(torch.ones(2, 5), torch.zeros(2, 5)).item() == pytest.approx(2.5)


def test_reconstruction_losses_sum_pixels_and_average_batch():
    g = torch.Generator().manual_seed(0)
    logits, x = torch.randn(3, 1, 28, 28, generator=g), torch.rand(3, 1, 28, 28, generator=g)
    mse = ((torch.sigmoid(logits) - x) ** 2).sum() / 3
    bce = F.binary_cross_entropy(torch.sigmoid(logits), x, reduction="sum") / 3
    torch.testing.assert_close(reconstruction_loss(logits, x, "mse"), mse)
    torch.testing.assert_close(reconstruction_loss(logits, x, "bce"), bce, rtol=1e-4, atol=1e-3)
    assert reconstruction_loss(logits, x, "mse", reduction="none").shape == (3,)


def test_beta_weights_kl_and_ae_has_no_kl():
    logits, x = torch.zeros(2, 1, 28, 28), torch.full((2, 1, 28, 28), 0.5)
    mu, logvar = torch.ones(2, 5), torch.zeros(2, 5)
    terms = vae_loss(ModelOutput(logits, mu, mu, logvar), x, "mse", beta=4.0)
    torch.testing.assert_close(terms.total, terms.reconstruction + 4.0 * terms.kl)
    ae = vae_loss(ModelOutput(logits, mu), x, "mse")
    assert ae.kl.item() == 0.0 and ae.total == ae.reconstruction


def test_negative_elbo_uses_bce_and_beta_one():
    logits, x = torch.zeros(1, 1, 28, 28), torch.ones(1, 1, 28, 28)
    mu, logvar = torch.zeros(1, 5), torch.zeros(1, 5)
    terms = negative_elbo(ModelOutput(logits, mu, mu, logvar), x)
    assert terms.total.item() == pytest.approx(784 * torch.log(torch.tensor(2.0)).item(), rel=1e-5)


def test_bad_loss_names():
    with pytest.raises(ConfigError, match="mse"):
        reconstruction_loss(torch.zeros(1, 1, 28, 28), torch.zeros(1, 1, 28, 28), "l1")
    with pytest.raises(ConfigError, match="reduction"):
        kl_divergence(torch.zeros(1, 2), torch.zeros(1, 2), reduction="sum")
