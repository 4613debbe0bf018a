"""The teaching models are plain PyTorch: shapes, the two heads, the reparameterisation, and the
numbers each layer computes, checked against a forward pass written out by hand."""

import pytest
import torch
import torch.nn.functional as F

from vae_tutorial.models import (VAE, Autoencoder, Classifier, ConditionalVAE, ConvAutoencoder,
                                 ConvVAE)


@pytest.mark.parametrize("make", [Autoencoder, ConvAutoencoder])
def test_autoencoder_shapes(make):
    ae = make(latent_dim=5)
    x = torch.rand(7, 1, 28, 28)
    logits, z = ae(x)
    assert logits.shape == (7, 1, 28, 28) and z.shape == (7, 5)
    assert torch.equal(ae.encode(x), z)
    images = ae.decode(z)
    assert images.shape == (7, 1, 28, 28) and 0 <= images.min() and images.max() <= 1


@pytest.mark.parametrize("make", [VAE, ConvVAE])
def test_vae_shapes(make):
    vae = make(latent_dim=5)
    x = torch.rand(7, 1, 28, 28)
    logits, mu, logvar = vae(x)
    assert logits.shape == (7, 1, 28, 28) and mu.shape == logvar.shape == (7, 5)
    torch.testing.assert_close(vae.encode(x), (mu, logvar))


def test_the_vae_differs_from_the_autoencoder_only_in_its_heads():
    """Same body and decoder; the autoencoder's one head (z) becomes two (mu, log sigma²)."""
    ae, vae = Autoencoder(5, (256, 128)), VAE(5, (256, 128))
    shapes = lambda m: {k: tuple(v.shape) for k, v in m.state_dict().items()}  # noqa: E731
    ae_only, vae_only = shapes(ae).keys() - shapes(vae).keys(), shapes(vae).keys() - shapes(ae).keys()
    assert ae_only == {"fc_z.weight", "fc_z.bias"}
    assert vae_only == {"fc_mu.weight", "fc_mu.bias", "fc_logvar.weight", "fc_logvar.bias"}
    assert shapes(vae)["fc_mu.weight"] == shapes(vae)["fc_logvar.weight"] == shapes(ae)["fc_z.weight"] == (5, 128)
    assert {k: v for k, v in shapes(ae).items() if k not in ae_only} == \
        {k: v for k, v in shapes(vae).items() if k not in vae_only}


def test_the_bowtie_mirrors():
    vae = VAE(5, (256, 128))
    widths = lambda seq: [m.out_features for m in seq if isinstance(m, torch.nn.Linear)]  # noqa: E731
    assert widths(vae.encoder) == [256, 128] and vae.fc_mu.out_features == 5
    assert widths(vae.decode_logits) == [128, 256, 784]
    assert vae.decode_logits[0].in_features == 5


def _by_hand(vae: VAE, x: torch.Tensor, eps: torch.Tensor):
    """The VAE's forward pass written out layer by layer from its weights, with the noise eps
    given: an independent reading of what the class's code should compute."""
    w = {k: v for k, v in vae.state_dict().items()}
    h = x.flatten(1)
    h = F.relu(h @ w["encoder.1.weight"].T + w["encoder.1.bias"])
    h = F.relu(h @ w["encoder.3.weight"].T + w["encoder.3.bias"])
    mu = h @ w["fc_mu.weight"].T + w["fc_mu.bias"]
    logvar = h @ w["fc_logvar.weight"].T + w["fc_logvar.bias"]
    z = mu + torch.sqrt(torch.exp(logvar)) * eps
    h = F.relu(z @ w["decode_logits.0.weight"].T + w["decode_logits.0.bias"])
    h = F.relu(h @ w["decode_logits.2.weight"].T + w["decode_logits.2.bias"])
    logits = h @ w["decode_logits.4.weight"].T + w["decode_logits.4.bias"]
    return logits.view(-1, 1, 28, 28), mu, logvar


def test_the_vae_computes_what_its_layers_say():
    torch.manual_seed(0)
    vae, x = VAE(3, (32, 16)), torch.rand(5, 1, 28, 28)
    torch.manual_seed(1)
    logits, mu, logvar = vae(x)
    torch.manual_seed(1)
    eps = torch.randn(5, 3)                       # the draw reparameterize makes
    for ours, theirs in zip((logits, mu, logvar), _by_hand(vae, x, eps)):
        torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(vae.decode(mu), torch.sigmoid(_by_hand(vae, x, torch.zeros(5, 3))[0]),
                               rtol=1e-5, atol=1e-6)


def test_the_conditional_vae_reads_the_label_one_hot_in_both_halves():
    """A label is ten extra inputs: changing it changes mu, and decoding the same z as two
    labels gives two images; the label's column of the first layer is what moves them."""
    torch.manual_seed(0)
    cvae, x = ConditionalVAE(3, (32, 16)), torch.rand(4, 1, 28, 28)
    assert cvae.encoder[1].in_features == 784 + 10 and cvae.decode_logits[0].in_features == 3 + 10
    mu3, _ = cvae.encode(x, torch.full((4,), 3))
    mu7, _ = cvae.encode(x, torch.full((4,), 7))
    first = cvae.encoder[1].weight                     # (32, 794)
    h3 = x.flatten(1) @ first[:, :784].T + first[:, 784 + 3] + cvae.encoder[1].bias
    h7 = x.flatten(1) @ first[:, :784].T + first[:, 784 + 7] + cvae.encoder[1].bias
    assert not torch.allclose(mu3, mu7) and not torch.allclose(h3, h7)
    z = torch.zeros(4, 3)
    assert not torch.allclose(cvae.decode(z, torch.full((4,), 3)), cvae.decode(z, torch.full((4,), 7)))


def test_reparameterisation_gives_mu_and_sigma_gradients():
    """z = mu + sigma * eps: gradients reach both; torch.normal(mu, sigma) gives them zeros."""
    vae = VAE(3, (8,))
    mu = torch.zeros(4, 3, requires_grad=True)
    logvar = torch.zeros(4, 3, requires_grad=True)
    vae.reparameterize(mu, logvar).pow(2).sum().backward()
    assert mu.grad.abs().sum() > 0 and logvar.grad.abs().sum() > 0
    mu.grad, logvar.grad = None, None
    torch.normal(mu, torch.exp(0.5 * logvar)).pow(2).sum().backward()
    assert torch.all(mu.grad == 0) and torch.all(logvar.grad == 0)


def test_reparameterisation_statistics():
    vae = VAE(1, (8,))
    mu, logvar = torch.full((20000, 1), 2.0), torch.full((20000, 1), 2 * torch.log(torch.tensor(3.0)))
    torch.manual_seed(1)
    z = vae.reparameterize(mu, logvar)
    assert abs(z.mean().item() - 2.0) < 0.1 and abs(z.std().item() - 3.0) < 0.1


def test_vae_gradients_reach_the_encoder():
    model = VAE(hidden_dims=(32,))
    logits, mu, logvar = model(torch.rand(4, 1, 28, 28))
    logits.sum().backward()
    assert model.encoder[1].weight.grad.abs().sum() > 0


def test_the_judge_reads_ten_classes():
    judge = Classifier((256,))
    assert judge(torch.rand(3, 1, 28, 28)).shape == (3, 10)
