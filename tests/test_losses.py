import pytest
import torch
import torch.nn.functional as F
from torch.distributions import Normal, kl_divergence as torch_kl

from vae_tutorial.errors import ConfigError
from vae_tutorial.losses import kl_divergence, kl_per_latent, negative_elbo, reconstruction_loss, vae_loss
from vae_tutorial.models import ModelOutput


def test_kl_matches_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(6, 5, generator=g), torch.randn(6, 5, generator=g)
    per_latent = torch_kl(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0))
    torch.testing.assert_close(kl_per_latent(mu, logvar), per_latent)
    expected = per_latent.sum(1)
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


@pytest.mark.parametrize("kind", ["mse", "bce"])
def test_targets_without_the_channel_dimension_are_refused_not_broadcast(kind):
    logits, x = torch.zeros(64, 1, 28, 28), torch.rand(64, 28, 28)
    with pytest.raises(ConfigError, match=r"same shape.*x.unsqueeze\(1\)"):
        reconstruction_loss(logits, x, kind)


def test_custom_bce_matches_pytorch_in_value_and_gradient():
    g = torch.Generator().manual_seed(0)
    logits = (torch.randn(5, 1, 28, 28, generator=g, dtype=torch.float64) * 6).requires_grad_()
    x = torch.rand(5, 1, 28, 28, generator=g, dtype=torch.float64)
    x[0] = (x[0] > 0.5).double()  # binary and grey targets alike
    ours = reconstruction_loss(logits, x, "bce", reduction="none")
    theirs = F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
    torch.testing.assert_close(ours, theirs, rtol=1e-6, atol=1e-6)
    weights = torch.rand(5, generator=g, dtype=torch.float64)
    (grad_ours,) = torch.autograd.grad((ours * weights).sum(), logits)
    (grad_theirs,) = torch.autograd.grad((theirs * weights).sum(), logits)
    torch.testing.assert_close(grad_ours, grad_theirs)
    small = logits[:2, :, :3, :3].detach().clone().requires_grad_()
    assert torch.autograd.gradcheck(lambda l: reconstruction_loss(l, x[:2, :, :3, :3], "bce", "none"), (small,))


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
        out = ModelOutput(logits.repeat(repeat, 1, 1, 1), mu, mu.repeat(repeat, 1), logvar.repeat(repeat, 1))
        return vae_loss(out, x.repeat(repeat, 1, 1, 1), kind)

    small, large = terms(1), terms(8)
    torch.testing.assert_close(large.reconstruction, small.reconstruction)
    torch.testing.assert_close(large.kl, small.kl)
    grads = [torch.autograd.grad(t.total, (logits, mu, logvar)) for t in (small, large)]
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b)
