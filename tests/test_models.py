"""The teaching models are plain PyTorch: shapes, the two heads, the reparameterisation."""

import pytest
import torch

from vae_tutorial.models import VAE, Autoencoder, Classifier, ModelConfig, build_model


@pytest.mark.parametrize("arch", ["mlp", "conv"])
def test_autoencoder_shapes(arch):
    ae = build_model(ModelConfig(kind="ae", architecture=arch, latent_dim=5))
    x = torch.rand(7, 1, 28, 28)
    logits, z = ae(x)
    assert isinstance(ae, Autoencoder)
    assert logits.shape == (7, 1, 28, 28) and z.shape == (7, 5)
    assert torch.equal(ae.encode(x), z)
    images = ae.decode(z)
    assert images.shape == (7, 1, 28, 28) and 0 <= images.min() and images.max() <= 1


@pytest.mark.parametrize("arch", ["mlp", "conv"])
def test_vae_shapes(arch):
    vae = build_model(ModelConfig(kind="vae", architecture=arch, latent_dim=5))
    x = torch.rand(7, 1, 28, 28)
    logits, mu, logvar = vae(x)
    assert isinstance(vae, VAE)
    assert logits.shape == (7, 1, 28, 28) and mu.shape == logvar.shape == (7, 5)
    torch.testing.assert_close(vae.encode(x), (mu, logvar))


def test_the_vae_differs_from_the_autoencoder_only_in_its_heads():
    """Same body and decoder; the autoencoder's one head (z) becomes two (mu, log sigma²)."""
    config = ModelConfig(latent_dim=5, hidden_dims=(256, 128))
    ae, vae = Autoencoder(config), VAE(config)
    shapes = lambda m: {k: tuple(v.shape) for k, v in m.state_dict().items()}  # noqa: E731
    ae_only, vae_only = shapes(ae).keys() - shapes(vae).keys(), shapes(vae).keys() - shapes(ae).keys()
    assert ae_only == {"fc_z.weight", "fc_z.bias"}
    assert vae_only == {"fc_mu.weight", "fc_mu.bias", "fc_logvar.weight", "fc_logvar.bias"}
    assert shapes(vae)["fc_mu.weight"] == shapes(vae)["fc_logvar.weight"] == shapes(ae)["fc_z.weight"] == (5, 128)
    assert {k: v for k, v in shapes(ae).items() if k not in ae_only} == \
        {k: v for k, v in shapes(vae).items() if k not in vae_only}


def test_the_bowtie_mirrors():
    vae = VAE(ModelConfig(latent_dim=5, hidden_dims=(256, 128)))
    widths = lambda seq: [m.out_features for m in seq if isinstance(m, torch.nn.Linear)]  # noqa: E731
    assert widths(vae.encoder) == [256, 128] and vae.fc_mu.out_features == 5
    assert widths(vae.decoder) == [128, 256, 784]
    assert vae.decoder[0].in_features == 5


def test_reparameterisation_gives_mu_and_sigma_gradients():
    """z = mu + sigma * eps: gradients reach both; torch.normal(mu, sigma) gives them zeros."""
    vae = VAE(ModelConfig(latent_dim=3, hidden_dims=(8,)))
    mu = torch.zeros(4, 3, requires_grad=True)
    logvar = torch.zeros(4, 3, requires_grad=True)
    vae.reparameterize(mu, logvar).pow(2).sum().backward()
    assert mu.grad.abs().sum() > 0 and logvar.grad.abs().sum() > 0
    mu.grad, logvar.grad = None, None
    torch.normal(mu, torch.exp(0.5 * logvar)).pow(2).sum().backward()
    assert torch.all(mu.grad == 0) and torch.all(logvar.grad == 0)


def test_reparameterisation_statistics():
    vae = VAE(ModelConfig(latent_dim=1, hidden_dims=(8,)))
    mu, logvar = torch.full((20000, 1), 2.0), torch.full((20000, 1), 2 * torch.log(torch.tensor(3.0)))
    torch.manual_seed(1)
    z = vae.reparameterize(mu, logvar)
    assert abs(z.mean().item() - 2.0) < 0.1 and abs(z.std().item() - 3.0) < 0.1


def test_vae_gradients_reach_the_encoder():
    model = VAE(ModelConfig(hidden_dims=(32,)))
    logits, mu, logvar = model(torch.rand(4, 1, 28, 28))
    logits.sum().backward()
    assert model.encoder[1].weight.grad.abs().sum() > 0


def test_the_judge_reads_ten_classes():
    judge = build_model(ModelConfig(kind="classifier", hidden_dims=(256,)))
    assert isinstance(judge, Classifier) and judge(torch.rand(3, 1, 28, 28)).shape == (3, 10)


def test_a_wrong_shape_gets_pytorchs_own_error():
    """The models check nothing themselves: inputs are checked where users hand them in."""
    vae = VAE(ModelConfig(latent_dim=5, hidden_dims=(16,)))
    with pytest.raises(RuntimeError, match="shapes cannot be multiplied"):
        vae.decode(torch.rand(4, 3))
