import base64

import numpy as np
import pytest
import torch

from vae_tutorial import data, widgets
from vae_tutorial.errors import ConfigError
from vae_tutorial.models import ModelConfig, build_model


@pytest.fixture
def vae():
    torch.manual_seed(0)
    return build_model(ModelConfig(kind="vae", latent_dim=3, hidden_dims=(32, 16))).eval()


@pytest.fixture
def small(mnist_root):
    return data.load_mnist(mnist_root, quiet=True)


def _numpy_decode(spec, z):
    """What the page's JavaScript does, in numpy: the spec alone must rebuild the decoder."""
    h = np.asarray(z, dtype=np.float64)
    for layer in spec["layers"]:
        w = np.frombuffer(base64.b64decode(layer["w"]), "<f4").reshape(layer["out"], layer["in"])
        b = np.frombuffer(base64.b64decode(layer["b"]), "<f4")
        h = w @ h + b
        h = np.maximum(h, 0) if layer["act"] == "relu" else 1 / (1 + np.exp(-h))
    return h


def test_decoder_spec_rebuilds_the_decoder(vae):
    spec = widgets.decoder_spec(vae)
    assert [(l["in"], l["out"]) for l in spec["layers"]] == [(3, 16), (16, 32), (32, 784)]
    z = torch.randn(3)
    expected = vae.decode(z[None]).detach().numpy().ravel()
    np.testing.assert_allclose(_numpy_decode(spec, z.numpy()), expected, atol=1e-5)


def test_static_demo_has_a_slider_per_dimension_and_start_buttons(vae, small):
    html = widgets.static_decoder_demo(vae, small)
    assert html.data.count('type="range"') == 3 and html.data.count("data-start=") == 10
    assert "<canvas" in html.data and html.demo_id in html.data
    assert 0 < html.weight_kb < 200


def test_static_demo_refuses_conv_models():
    with pytest.raises(ConfigError, match="MLP"):
        widgets.static_decoder_demo(build_model(ModelConfig(architecture="conv", hidden_dims=(32,))))


def test_sliders_decode_the_point_they_show(vae, small):
    box = widgets.latent_sliders(vae, small)
    picker, *sliders = box.children[0].children
    image = box.children[1]
    means = widgets.class_means(vae, small)
    picker.value = 4
    assert [s.value for s in sliders] == pytest.approx(means[4].clamp(-3, 3).tolist(), abs=1e-6)
    before = image.value
    sliders[0].value = 2.5
    assert image.value != before
    z = torch.tensor([[s.value for s in sliders]])
    assert image.value == widgets._png(vae.decode(z)[0])


def test_interpolation_runs_from_first_to_second(vae, small):
    box = widgets.interpolation(vae, small, first=1, second=2)
    a, b, t = box.children[0].children
    image = box.children[1]
    start = image.value
    t.value = 1.0
    assert image.value != start
    path = widgets.interpolate(vae, small.images("test")[0], small.images("test")[1], steps=5)
    assert path.shape == (5, 1, 28, 28)


def test_kl_explorer_redraws_for_each_slider():
    box = widgets.kl_explorer(mu=0.0, sigma=1.0)
    (mu, sigma), image = box.children[0].children, box.children[1]
    pictures = [bytes(image.value)]
    mu.value = 2.0
    pictures.append(bytes(image.value))
    sigma.value = 0.5
    pictures.append(bytes(image.value))
    assert all(p.startswith(b"\x89PNG") for p in pictures)
    assert len(set(pictures)) == 3  # each move drew a new picture


def test_static_kl_explorer_starts_at_the_given_point():
    html = widgets.static_kl_explorer(mu=1.5, sigma=0.4)
    assert html.data.count('type="range"') == 2 and "<canvas" in html.data and html.demo_id in html.data
    assert 'value="1.5"' in html.data and 'value="0.4"' in html.data
    assert "Math.log(sigma * sigma)" in html.data  # the formula of losses.kl_divergence
