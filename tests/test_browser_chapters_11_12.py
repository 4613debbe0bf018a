"""The widgets of chapters 11 and 12 in a real browser (as tests/test_browser.py): the conditional
VAE's sliders and pad, and the pad that scores a drawing's log p(x) under two VAEs, run the
rounded models as PyTorch does (within 1e-4), follow the reader's clicks and strokes, and log no
console error."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from headless import SEVEN, stroke
from test_browser import browser, handle, js_errors, move_slider, open_page, shown_image  # noqa: F401
from vae_tutorial import data, latent, likelihood, metrics
from vae_tutorial.models import ModelConfig
from vae_tutorial.widgets import static as web
from vae_tutorial.support.errors import ConfigError
from vae_tutorial.runs import build as build_model


@pytest.fixture(scope="module")
def digits():
    return data.load_mnist(quiet=True)


def _cvae(seed=0):
    return build_model(ModelConfig(kind="cvae", latent_dim=3, hidden_dims=(64, 32)), seed=seed).eval()


def _vae(seed):
    return build_model(ModelConfig(kind="vae", latent_dim=4, hidden_dims=(64, 32)), seed=seed).eval()


@pytest.mark.parametrize("fmt", ["float16", "int8"])
def test_the_conditional_vae_in_the_page_runs_like_pytorch(browser, tmp_path, digits, fmt):
    cvae = _cvae()
    twin = web.rounded(cvae, fmt)
    demo = web.conditional_sliders(cvae, digits, fmt=fmt)
    open_page(browser, tmp_path, demo)
    worst = []
    for z, label in zip(torch.randn(6, 3, generator=torch.Generator().manual_seed(1)) * 1.5, (0, 1, 4, 7, 8, 9)):
        got = handle(browser, demo, f"Array.from(h.decode({z.tolist()}, {label}))")
        worst.append(np.abs(np.array(got) - latent.decode(twin, z[None], label).numpy().ravel()).max())
    x, y = digits.images("test")[:4], digits.test_labels[:4]
    for image, label in zip(x, y.tolist()):
        got = handle(browser, demo, f"h.encode({image.ravel().tolist()}, {label}).mu")
        worst.append(np.abs(np.array(got) - latent.encodings(twin, image[None], label)[0].numpy()).max())
    assert max(worst) < 1e-4
    assert js_errors(browser) == []


def test_ask_for_a_digit_and_write_every_digit_in_the_drawings_hand(browser, tmp_path, digits):
    cvae = _cvae(1)
    twin = web.rounded(cvae, web._pick_format_conditional(cvae, digits))
    demo = web.conditional_sliders(cvae, digits, start=7)
    open_page(browser, tmp_path, demo)
    root = browser.find_element("id", demo.root_id)
    assert handle(browser, demo, "h.asked") == 7 and handle(browser, demo, "h.z()") == [0, 0, 0]
    # a drawing, encoded as the 7 the select says it is: the sliders hold its mu
    stroke(browser, root.find_element("css selector", ".vae-w-pad"), SEVEN)
    got = handle(browser, demo, "({image: Array.from(h.image), mu: h.mu, z: h.z(), strokes: h.pad.strokes})")
    image = np.array(got["image"]).reshape(28, 28)
    assert np.abs(image - web.rasterize(got["strokes"])).max() < 1e-9
    x = torch.tensor(image, dtype=torch.float32)[None, None]
    assert np.abs(np.array(got["mu"]) - latent.encodings(twin, x, 7)[0].numpy()).max() < 1e-4
    assert got["z"] == pytest.approx(np.clip(np.round(np.array(got["mu"]) / 0.05) * 0.05, -3, 3), abs=1e-9)
    # the row: that hand, as every digit, on the canvases the reader sees
    z = torch.tensor([got["z"]])
    row = root.find_elements("css selector", ".vae-w-tight canvas.vae-w-digit")
    assert len(row) == 10
    for k in (0, 3, 7):
        expected = latent.decode(twin, z, k).numpy().ravel()
        assert np.abs(shown_image(browser, row[k]) - expected).max() <= 0.5 / 255 + 1e-4
    # the drawing says it shows a 1: encoded again with that label
    browser.execute_script("const s = arguments[0]; s.value = '1'; s.dispatchEvent(new Event('change'))",
                           root.find_element("css selector", "select"))
    mu1 = handle(browser, demo, "h.mu")
    assert np.abs(np.array(mu1) - latent.encodings(twin, x, 1)[0].numpy()).max() < 1e-4
    # ask for a 3: the big image is the 3 in the sliders' hand; the button says it is pressed
    root.find_element("xpath", ".//button[text()='3' and @title='ask for a 3']").click()
    assert handle(browser, demo, "h.asked") == 3
    assert root.find_element("xpath", ".//button[@title='ask for a 3']").get_attribute("aria-pressed") == "true"
    big = root.find_element("css selector", "canvas[aria-label='the digit asked for, decoded']")
    expected = latent.decode(twin, torch.tensor([handle(browser, demo, "h.z()")]), 3).numpy().ravel()
    assert np.abs(shown_image(browser, big) - expected).max() <= 0.5 / 255 + 1e-4
    # a slider moves the hand
    before = handle(browser, demo, "h.z()")
    move_slider(browser, root.find_elements("css selector", "input[type=range]")[0], steps=4)
    assert handle(browser, demo, "h.z()")[0] == pytest.approx(min(3, before[0] + 0.2))
    # a held-out digit's button: encoded with its own label, which the select now shows
    root.find_element("xpath", ".//button[@title='encode this held-out 5']").click()
    assert root.find_element("css selector", "select").get_attribute("value") == "5"
    five = digits.images("test")[digits.test_labels == 5][0]
    assert np.abs(np.array(handle(browser, demo, "h.mu")) - latent.encodings(twin, five[None], 5)[0].numpy()).max() < 1e-4
    assert js_errors(browser) == []


def _likelihood_page(browser, tmp_path, digits, fmt="int8", k=8):
    clothes_like = data.ImageData("fashion-mnist", digits.train_images, digits.train_labels,
                                  255 - digits.test_images, digits.test_labels, "test", "inverted digits",
                                  data.FASHION_NAMES)
    models = {"digits model": _vae(0), "clothes model": _vae(1)}
    sets = {"digits": digits.images("test")[:50], "clothes": clothes_like.images("test")[:50]}
    log_px = metrics.log_likelihoods(models, sets, k=4)
    demo = web.likelihood_pad(models, log_px, [digits, clothes_like], fmt=fmt, k=k)
    open_page(browser, tmp_path, demo)
    return demo, models, log_px, clothes_like


def test_the_page_estimates_log_px_as_pytorch_does(browser, tmp_path, digits):
    """The same rounded weights and the same K noise draws (likelihood.py's, from the seed): the
    page's estimate is PyTorch's, computed in float64, within 1e-4 nats."""
    demo, models, _, clothes_like = _likelihood_page(browser, tmp_path, digits)
    twins = [web.rounded(m, "int8").double() for m in models.values()]
    images = torch.cat([digits.images("test")[:3], clothes_like.images("test")[:3],
                        torch.rand(1, 1, 28, 28, generator=torch.Generator().manual_seed(0))])
    worst = 0.0
    for image in images:
        for i, twin in enumerate(twins):
            got = handle(browser, demo, f"h.estimate({i}, {image.ravel().tolist()}).estimate")
            expected = likelihood.importance_sampled_log_likelihood(twin, image[None].double(), k=8,
                                                                    batch_size=1, seed=0)
            worst = max(worst, abs(got - expected.item()))
    assert worst < 1e-4
    assert js_errors(browser) == []


def test_a_drawing_is_scored_under_both_models_and_placed_among_held_out_images(browser, tmp_path, digits):
    demo, models, log_px, clothes_like = _likelihood_page(browser, tmp_path, digits)
    root = browser.find_element("id", demo.root_id)
    assert handle(browser, demo, "h.scores") is None
    stroke(browser, root.find_element("css selector", ".vae-w-pad"), SEVEN)
    got = handle(browser, demo, "({image: Array.from(h.image), scores: h.scores.map((s) => s.estimate)})")
    x = torch.tensor(got["image"], dtype=torch.float64).reshape(1, 1, 28, 28)
    for score, model in zip(got["scores"], models.values()):
        expected = likelihood.importance_sampled_log_likelihood(web.rounded(model, "int8").double(), x,
                                                                k=8, batch_size=1, seed=0)
        assert score == pytest.approx(expected.item(), abs=1e-4)
    # the readout places the score among the held-out images (of both sets) it came with
    readouts = [r.text for r in root.find_elements("css selector", ".vae-w-readout")]
    for text, score, name in zip(readouts, got["scores"], models):
        for set_name, values in log_px[name].items():
            share = round(100 * float((values < score).double().mean()))
            assert f"{share}% of held-out {set_name}" in text, text
    # the keyboard's way in: a held-out garment's button
    root.find_element("xpath", ".//button[@title='encode this held-out Sneaker']").click()
    shown = np.array(handle(browser, demo, "Array.from(h.image)"))
    sneaker = clothes_like.test_images[clothes_like.test_labels == 7][0].numpy().ravel() / 255
    assert np.abs(shown - sneaker).max() < 1e-12
    root.find_element("xpath", ".//button[text()='clear']").click()
    assert handle(browser, demo, "h.scores") is None
    assert js_errors(browser) == []


def test_likelihood_pad_refuses_what_it_cannot_score():
    vae, cvae = _vae(0), _cvae()
    scores = {"a": {"digits": torch.zeros(3)}}
    with pytest.raises(ConfigError, match=r"log_px must be a dict with the names of models \(.b.\), got the names .a."):
        web.likelihood_pad({"b": vae}, scores)
    with pytest.raises(ConfigError, match=r"models\['a'\] must be a VAE \(an MLP\), got a ConditionalVAE"):
        web.likelihood_pad({"a": cvae}, scores)
    with pytest.raises(ConfigError, match="k must be a whole number from 1 to 1,000, got 0"):
        web.likelihood_pad({"a": vae}, scores, k=0)
    with pytest.raises(ConfigError, match="cvae must be a conditional VAE, got a VAE"):
        web.conditional_sliders(vae, data.load_mnist(quiet=True))
