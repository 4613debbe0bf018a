import math

import pytest
import torch
import torch.nn.functional as F
from torch.distributions import Normal, kl_divergence as torch_kl

from vae_tutorial.losses import (autoencoder_loss, classifier_loss, kl_divergence, kl_per_latent,
                                 reconstruction_loss, vae_loss)


def test_kl_matches_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(6, 5, generator=g), torch.randn(6, 5, generator=g)
    per_latent = torch_kl(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0))
    torch.testing.assert_close(kl_per_latent(mu, logvar), per_latent)
    torch.testing.assert_close(kl_divergence(mu, logvar), per_latent.sum(1).mean())


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


def test_beta_weights_kl_and_the_autoencoder_has_none():
    logits, x = torch.zeros(2, 1, 28, 28), torch.full((2, 1, 28, 28), 0.5)
    mu, logvar = torch.ones(2, 5), torch.zeros(2, 5)
    terms = vae_loss(logits, x, mu, logvar, "mse", beta=4.0)
    torch.testing.assert_close(terms.total, terms.reconstruction + 4.0 * terms.kl)
    assert terms.kl.item() == pytest.approx(2.5)
    ae = autoencoder_loss(logits, x, "mse")
    assert ae.kl.item() == 0.0 and ae.total == ae.reconstruction


def test_bce_with_beta_one_is_the_negative_elbo_of_a_coin_flip_decoder():
    """All logits 0 (every pixel 50/50) and the prior as posterior: 784 ln 2 nats, KL 0."""
    logits, x = torch.zeros(1, 1, 28, 28), torch.ones(1, 1, 28, 28)
    mu, logvar = torch.zeros(1, 5), torch.zeros(1, 5)
    terms = vae_loss(logits, x, mu, logvar, "bce", 1.0)
    assert terms.total.item() == pytest.approx(784 * torch.log(torch.tensor(2.0)).item(), rel=1e-5)


def test_the_judges_loss_is_cross_entropy():
    logits, labels = torch.tensor([[2.0, 0.0], [0.0, 1.0]]), torch.tensor([0, 1])
    terms = classifier_loss(logits, labels)
    torch.testing.assert_close(terms.total, F.cross_entropy(logits, labels))


def test_both_losses_of_a_picture_worked_out_by_hand():
    """Every pixel ink (x = 1), every logit ln 3, so every pixel is drawn 0.75: the squared error
    is 784 x 0.25² = 49 and the cross-entropy 784 x -ln 0.75 = 225.54 nats, per image, whatever
    the batch size."""
    logits, x = torch.full((4, 1, 28, 28), math.log(3.0)), torch.ones(4, 1, 28, 28)
    assert reconstruction_loss(logits, x, "mse").item() == pytest.approx(49.0, rel=1e-6)
    assert reconstruction_loss(logits, x, "bce").item() == pytest.approx(225.5427, rel=1e-5)
    per_image = reconstruction_loss(logits, x, "mse", reduction="none")
    assert per_image.shape == (4,) and torch.allclose(per_image, torch.full((4,), 49.0))


@pytest.mark.parametrize("kind", ["mse", "bce"])
def test_the_balance_of_reconstruction_and_kl_does_not_depend_on_the_batch_size(kind):
    """Both terms are per image (summed over pixels / latent dimensions, averaged over the
    batch): the same images in a batch of 8 or of 64 give the same two numbers and gradients."""
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(8, 1, 28, 28, generator=g, requires_grad=True)
    x = torch.rand(8, 1, 28, 28, generator=g)
    mu = torch.randn(8, 5, generator=g, requires_grad=True)
    logvar = torch.randn(8, 5, generator=g, requires_grad=True)

    def terms(repeat):
        return vae_loss(logits.repeat(repeat, 1, 1, 1), x.repeat(repeat, 1, 1, 1),
                        mu.repeat(repeat, 1), logvar.repeat(repeat, 1), kind)

    small, large = terms(1), terms(8)
    torch.testing.assert_close(large.reconstruction, small.reconstruction)
    torch.testing.assert_close(large.kl, small.kl)
    grads = [torch.autograd.grad(t.total, (logits, mu, logvar)) for t in (small, large)]
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b)
