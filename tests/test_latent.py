"""The calls chapters make with real data: inputs converted or refused in one line, at the
entry point (declared in their signatures: ``support/contracts.py``), results on the CPU."""

import math

import pytest
import torch

from vae_tutorial import latent
from vae_tutorial.models import ModelConfig
from vae_tutorial.support.errors import ConfigError
from vae_tutorial.runs import build


def _model(kind="vae", latent_dim=5):
    return build(ModelConfig(kind=kind, latent_dim=latent_dim, hidden_dims=(16,)), seed=0)


@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_encodings_reconstructions_and_samples(kind):
    model = _model(kind)
    x = torch.rand(7, 1, 28, 28)
    codes = latent.encodings(model, x)
    with torch.no_grad():
        expected = model.encode(x)
    torch.testing.assert_close(codes, expected[0] if kind == "vae" else expected)   # mu for a VAE
    rebuilt = latent.reconstruct(model, x)
    assert rebuilt.shape == x.shape and 0 <= rebuilt.min() and rebuilt.max() <= 1
    assert latent.sample(model, 3).shape == (3, 1, 28, 28)
    assert torch.equal(latent.sample(model, 4, seed=3), latent.sample(model, 4, seed=3))
    assert not torch.equal(latent.sample(model, 4, seed=3), latent.sample(model, 4, seed=4))
    assert latent.interpolate(model, x[0], x[1], steps=5).shape == (5, 1, 28, 28)


@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_images_of_other_types_are_converted_or_refused_clearly(kind):
    model = _model(kind)
    pixels = torch.randint(0, 256, (3, 1, 28, 28), generator=torch.Generator().manual_seed(0))
    as_float = pixels.float() / 255
    expected = latent.encodings(model, as_float)
    torch.testing.assert_close(latent.encodings(model, pixels.to(torch.uint8)), expected)   # 0-255
    torch.testing.assert_close(latent.encodings(model, pixels.to(torch.uint8).squeeze(1)), expected)
    torch.testing.assert_close(latent.encodings(model, as_float.double()), expected)        # float64
    torch.testing.assert_close(latent.encodings(model, as_float.half()), expected, atol=2e-3, rtol=1e-2)
    assert latent.encodings(model, as_float.double()).dtype == torch.float32
    with pytest.raises(ConfigError, match=r"floats in \[0, 1\].*int64.*x.float\(\) / 255"):
        latent.encodings(model, pixels)  # int64: 0-1 or 0-255? cannot be told, so refused


@pytest.mark.parametrize("x, match", [
    (torch.rand(4, 3, 32, 32), r"\(N, 1, 28, 28\).*got a float32 tensor of shape \(4, 3, 32, 32\)"),
    (torch.linspace(-1, 1, 4 * 784).reshape(4, 1, 28, 28),     # exactly -1 to 1, any random stream
     r"floats in \[0, 1\].*got values from -1 to 1.*\(x \+ 1\) / 2"),
    (torch.full((2, 1, 28, 28), math.nan), "NaN or infinite"),
    ([[0.0] * 784], "got a list of 1.*pass a torch tensor"),
])
def test_wrong_images_get_one_clear_line(x, match):
    with pytest.raises(ConfigError, match=match):
        latent.reconstruct(_model(), x)


def test_wrong_latent_points_get_one_clear_line():
    model = _model(latent_dim=5)
    with pytest.raises(ConfigError, match=r"\(N, 5\).*got a float32 tensor of shape \(4, 3\)"):
        latent.decode(model, torch.rand(4, 3))
    with pytest.raises(ConfigError, match=r"shape \(5,\).*z\[None\]"):
        latent.decode(model, torch.rand(5))
    with pytest.raises(ConfigError, match="NaN or infinite"):
        latent.decode(model, torch.tensor([[math.inf, 0, 0, 0, 0]]))


def test_latent_points_of_other_types_are_converted():
    model = _model(latent_dim=2)
    z = torch.tensor([[1.0, -2.0]])
    torch.testing.assert_close(latent.decode(model, z.double()), latent.decode(model, z))
    torch.testing.assert_close(latent.decode(model, torch.tensor([[1, -2]])), latent.decode(model, z))


@pytest.mark.parametrize("n", [-1, 2.5, "3", True])
def test_sample_refuses_a_bad_count(n):
    model = _model(latent_dim=2)
    with pytest.raises(ConfigError, match=r"latent.sample: n must be a whole number >= 0"):
        latent.sample(model, n)
    assert latent.sample(model, 0).shape == (0, 1, 28, 28)


def test_the_judge_is_no_latent_model():
    judge = build(ModelConfig(kind="classifier", hidden_dims=(256,)))
    with pytest.raises(ConfigError, match="model must be a plain autoencoder or a VAE, got a Classifier"):
        latent.sample(judge, 3)


@pytest.mark.parametrize("dim", [2, 5])
def test_prior_radius_holds_that_share_of_random_points(dim):
    """The circle the figures and the maps draw: 95% of N(0, I) falls inside it."""
    z = torch.randn(200_000, dim, generator=torch.Generator().manual_seed(0))
    radius = latent.prior_radius(dim, 0.95)
    assert (z.norm(dim=1) <= radius).double().mean().item() == pytest.approx(0.95, abs=0.003)
    if dim == 2:   # closed form in 2-D: P(|z| <= r) = 1 - exp(-r^2 / 2)
        assert radius == pytest.approx(math.sqrt(-2 * math.log(0.05)), rel=1e-12)
