import math

import pytest
import torch

from vae_tutorial.errors import ConfigError
from vae_tutorial.models import VAE, Autoencoder, ModelConfig, build_model, layer_sizes, prior_radius


@pytest.mark.parametrize("arch", ["mlp", "conv"])
@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_shapes(kind, arch):
    model = build_model(ModelConfig(kind=kind, architecture=arch, latent_dim=5))
    x = torch.rand(7, 1, 28, 28)
    out = model(x)
    assert out.logits.shape == (7, 1, 28, 28) and out.z.shape == (7, 5)
    assert (out.mu is None) == (kind == "ae")
    if kind == "vae":
        mu, logvar = model.encode(x)
        assert mu.shape == logvar.shape == (7, 5)
    assert model.embed(x).shape == (7, 5)
    rec = model.reconstruct(x)
    assert rec.shape == x.shape and 0 <= rec.min() and rec.max() <= 1
    assert model.sample(3).shape == (3, 1, 28, 28)
    assert model.decode(torch.zeros(2, 5)).shape == (2, 1, 28, 28)


def test_bowtie_layer_sizes_mirror():
    model = build_model(ModelConfig(kind="vae", latent_dim=5, hidden_dims=(256, 128)))
    assert layer_sizes(model) == [784, 256, 128, 5, 128, 256, 784]
    assert model.encoder[-1].out_features == 10  # mu and log-variance for 5 dimensions


def test_gradients_flow_through_reparameterisation():
    mu = torch.zeros(4, 3, requires_grad=True)
    logvar = torch.zeros(4, 3, requires_grad=True)
    z = VAE.reparameterize(mu, logvar, torch.Generator().manual_seed(0))
    z.pow(2).sum().backward()
    assert mu.grad.abs().sum() > 0 and logvar.grad.abs().sum() > 0


def test_reparameterisation_statistics():
    mu, logvar = torch.full((20000, 1), 2.0), torch.full((20000, 1), 2 * torch.log(torch.tensor(3.0)))
    z = VAE.reparameterize(mu, logvar, torch.Generator().manual_seed(1))
    assert abs(z.mean().item() - 2.0) < 0.1 and abs(z.std().item() - 3.0) < 0.1


def test_vae_gradients_reach_encoder():
    model = VAE(ModelConfig(hidden_dims=(32,)))
    out = model(torch.rand(4, 1, 28, 28))
    out.logits.sum().backward()
    assert model.encoder[1].weight.grad.abs().sum() > 0


def test_sample_is_seeded():
    model = VAE(ModelConfig(hidden_dims=(16,)))
    a = model.sample(4, torch.Generator().manual_seed(3))
    b = model.sample(4, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


@pytest.mark.parametrize("kwargs, match", [
    ({"kind": "gan"}, "kind"), ({"latent_dim": 0}, "latent_dim"), ({"hidden_dims": ()}, "hidden_dims"),
    ({"hidden_dims": (0,)}, "hidden_dims"), ({"architecture": "rnn"}, "architecture"),
])
def test_bad_config(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        ModelConfig(**kwargs)


def test_vae_rejects_ae_config():
    with pytest.raises(ConfigError, match="Autoencoder"):
        VAE(ModelConfig(kind="ae"))
    assert isinstance(build_model(ModelConfig(kind="ae")), Autoencoder)


@pytest.mark.parametrize("x, hint", [
    (torch.rand(4, 28, 28), "unsqueeze(1)"),
    (torch.rand(4, 3, 32, 32), "(batch, 1, 28, 28)"),
])
@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_wrong_images_get_a_clear_error(kind, x, hint):
    model = build_model(ModelConfig(kind=kind, hidden_dims=(16,)))
    with pytest.raises(ConfigError, match=r"images must be .*\(batch, 1, 28, 28\)") as err:
        model.reconstruct(x)
    assert hint in str(err.value)


def test_wrong_latent_size_gets_a_clear_error():
    model = build_model(ModelConfig(latent_dim=5, hidden_dims=(16,)))
    with pytest.raises(ConfigError, match=r"shape \(batch, 5\).*got \(4, 3\)"):
        model.decode(torch.rand(4, 3))
    with pytest.raises(ConfigError, match=r"got \(5,\)"):
        model.decode(torch.rand(5))


@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_images_of_other_types_are_converted_or_refused_clearly(kind):
    model = build_model(ModelConfig(kind=kind, hidden_dims=(16,)), seed=0)
    pixels = torch.randint(0, 256, (3, 1, 28, 28), generator=torch.Generator().manual_seed(0))
    as_float = pixels.float() / 255
    expected = model.embed(as_float)
    torch.testing.assert_close(model.embed(pixels.to(torch.uint8)), expected)   # 0-255 bytes
    torch.testing.assert_close(model.embed(as_float.double()), expected)        # float64
    torch.testing.assert_close(model.embed(as_float.half()), expected, atol=2e-3, rtol=1e-2)
    assert model.embed(as_float.double()).dtype == torch.float32
    with pytest.raises(ConfigError, match=r"floats in \[0, 1\].*int64.*x.float\(\) / 255"):
        model.embed(pixels)  # int64: 0-1 or 0-255? cannot be told, so refused


def test_latent_points_of_other_types_are_converted():
    model = build_model(ModelConfig(latent_dim=2, hidden_dims=(16,)), seed=0)
    z = torch.tensor([[1.0, -2.0]])
    torch.testing.assert_close(model.decode(z.double()), model.decode(z))
    torch.testing.assert_close(model.decode(torch.tensor([[1, -2]])), model.decode(z))


@pytest.mark.parametrize("n", [-1, 2.5, "3", True])
def test_sample_refuses_a_bad_count(n):
    model = build_model(ModelConfig(latent_dim=2, hidden_dims=(16,)))
    with pytest.raises(ConfigError, match=r"n \(how many samples\) must be a whole number >= 0"):
        model.sample(n)
    assert model.sample(0).shape == (0, 1, 28, 28)


@pytest.mark.parametrize("dim", [2, 5])
def test_prior_radius_holds_that_share_of_random_points(dim):
    """The circle the figures and the maps draw: 95% of N(0, I) falls inside it."""
    z = torch.randn(200_000, dim, generator=torch.Generator().manual_seed(0))
    radius = prior_radius(dim, 0.95)
    assert (z.norm(dim=1) <= radius).double().mean().item() == pytest.approx(0.95, abs=0.003)
    if dim == 2:   # closed form in 2-D: P(|z| <= r) = 1 - exp(-r^2 / 2)
        assert radius == pytest.approx(math.sqrt(-2 * math.log(0.05)), rel=1e-12)
