"""The widgets: ipywidgets for a live kernel, and the static page's pieces in Python (the
rasteriser's reference, the weights' rounding, what each output carries). test_browser runs the
page's JavaScript."""

import base64
import json
import re
import sys
from pathlib import Path

import matplotlib.colors
import numpy as np
import pytest
import torch

from vae_tutorial import data, latent, plots, widgets
from vae_tutorial.widgets import kernel, static as web
from vae_tutorial.support.errors import ConfigError
from vae_tutorial.models import ModelConfig
from vae_tutorial.runs import build as build_model


@pytest.fixture
def vae():
    torch.manual_seed(0)
    return build_model(ModelConfig(kind="vae", latent_dim=3, hidden_dims=(32, 16))).eval()


@pytest.fixture
def small(mnist_root):
    return data.load_mnist(mnist_root, quiet=True)


def _numpy_forward(spec, x):
    """What the page's JavaScript does, in numpy: the spec alone must rebuild the network."""
    h = np.asarray(x, dtype=np.float64)
    for layer in spec:
        raw = base64.b64decode(layer["w"])
        if layer["format"] == "int8":
            scale = np.frombuffer(base64.b64decode(layer["scale"]), "<f4")
            w = np.frombuffer(raw, np.int8).reshape(layer["out"], -1).astype(np.float32) * scale[:, None]
        else:
            w = np.frombuffer(raw, {"float32": "<f4", "float16": "<f2"}[layer["format"]]).astype(np.float32)
        h = w.reshape(layer["out"], layer["in"]) @ h + np.frombuffer(base64.b64decode(layer["b"]), "<f4")
        h = {"relu": lambda v: np.maximum(v, 0), "sigmoid": lambda v: 1 / (1 + np.exp(-v)),
             "none": lambda v: v}[layer["act"]](h)
    return h


@pytest.mark.parametrize("fmt", web.FORMATS)
def test_net_spec_rebuilds_the_rounded_model(vae, fmt):
    encoder, decoder = web.net_spec(vae, "encoder", fmt), web.net_spec(vae, "decoder", fmt)
    assert [(l["in"], l["out"], l["act"]) for l in encoder] == [(784, 32, "relu"), (32, 16, "relu"), (16, 6, "none")]
    assert [(l["in"], l["out"], l["act"]) for l in decoder] == [(3, 16, "relu"), (16, 32, "relu"), (32, 784, "sigmoid")]
    twin = web.rounded(vae, fmt)
    x = torch.rand(1, 1, 28, 28)
    mu, logvar = twin.encode(x)
    np.testing.assert_allclose(_numpy_forward(encoder, x.numpy().ravel()),
                               torch.cat([mu, logvar], 1).detach().numpy().ravel(), atol=1e-5)
    z = torch.randn(3)
    np.testing.assert_allclose(_numpy_forward(decoder, z.numpy()),
                               twin.decode(z[None]).detach().numpy().ravel(), atol=1e-5)
    if fmt == "float32":   # rounding to float32 changes nothing
        assert torch.equal(twin.decode(z[None]), vae.decode(z[None]))


def test_int8_rows_keep_their_scale_and_float16_rounds_each_weight():
    w = np.array([[0.5, -1.0, 0.25, 0.0], [0.0, 0.0, 0.0, 0.0], [1e-3, 2e-3, -3e-3, 0.0]], np.float32)
    stored, back = web.round_weights(w, "int8")
    scale = np.frombuffer(base64.b64decode(stored["scale"]), "<f4")
    np.testing.assert_allclose(scale, [1 / 127, 1.0, 3e-3 / 127], rtol=1e-6)  # all-zero rows: 1
    np.testing.assert_allclose(np.abs(back).max(axis=1), np.abs(w).max(axis=1), rtol=1e-6)  # largest: exact
    assert np.all(np.abs(back - w) <= scale[:, None] / 2 + 1e-9)
    _, half = web.round_weights(np.array([[0.1]], np.float32), "float16")
    assert half[0, 0] == np.float32(np.float16(0.1)) != np.float32(0.1)
    with pytest.raises(ConfigError, match="float16"):
        web.round_weights(w, "bfloat16")


def test_picked_format_keeps_images_within_two_grey_levels(vae, small):
    fmt = web.pick_format(vae, small)
    error = web.rounding_error(vae, small, fmt)
    assert max(error["reconstruction"], error["decoded"]) <= web.MAX_PIXEL_ERROR
    assert web.pick_format(vae) == "float16"   # nothing to check int8 against


def test_rasterize_fits_the_drawing_in_the_20_pixel_box_whatever_its_size():
    big = [[(0.5, 0.05), (0.5, 0.95)]]          # a vertical stroke: a 1
    small = [[(0.2, 0.3), (0.2, 0.4)]]          # the same, drawn small and elsewhere
    image = web.rasterize(big)
    np.testing.assert_allclose(web.rasterize(small), image, atol=1e-12)
    rows, cols = np.flatnonzero(image.sum(1) > 0), np.flatnonzero(image.sum(0) > 0)
    assert rows[-1] - rows[0] + 1 == 20 and cols[-1] - cols[0] + 1 <= 4   # 20 tall, pen-wide
    centre = (image.sum(1) @ (np.arange(28) + 0.5)) / image.sum()
    assert abs(centre - 14) <= 0.5                                         # centred by mass
    assert image.max() == 1.0 and 50 < image.sum() < 65                    # MNIST's 1s: ~58


def test_rasterize_centres_by_mass_and_handles_dots_and_nothing():
    seven = [[(0.2, 0.2), (0.8, 0.2), (0.45, 0.9)]]
    image = web.rasterize(seven)
    centres = np.arange(28) + 0.5
    assert abs(image.sum(1) @ centres / image.sum() - 14) <= 0.5
    assert abs(image.sum(0) @ centres / image.sum() - 14) <= 0.5
    assert not web.rasterize([]).any() and not web.rasterize([[]]).any()
    dot = web.rasterize([[(0.3, 0.6)]])       # a tap is a small dot, not a blown-up disc
    assert 0 < dot.sum() < 10


def _pushed_keys(html: str) -> list[str]:
    return re.findall(r'queue\.push\(\["(?:net|data)","([^"]+)"', html)


def test_each_model_travels_once_per_kernel(vae, small):
    web.forget()
    first, second = web.decoder_sliders(vae, small), web.decoder_sliders(vae, small)
    one, two = first._repr_html_(), second._repr_html_()
    assert sorted(_pushed_keys(one)) == sorted(first.options["needs"]) and len(first.options["needs"]) == 3
    assert _pushed_keys(two) == [] and second.options["needs"] == first.options["needs"]
    assert one.count("VT.start()") == 1 and "VT.start()" not in two      # the modules, once too
    assert second.root_id in two and '"widget","decoderSliders"' in two
    web.forget()                                                        # e.g. a cleared output
    assert sorted(_pushed_keys(second._repr_html_())) == sorted(first.options["needs"])
    assert "VT.start()" in second.html(standalone=True)


def test_rerunning_the_carrying_cell_carries_again(vae, monkeypatch):
    runs = iter([("cell-a", "run-1"), ("cell-b", "run-2"), ("cell-a", "run-3"), ("cell-a", "run-3")])
    monkeypatch.setattr(web, "_execution", lambda: current)
    web.forget()
    outputs = []
    for current in runs:
        outputs.append(web.decoder_sliders(vae)._repr_html_())
    assert [len(_pushed_keys(h)) for h in outputs] == [1, 0, 1, 0]   # a 2nd widget in run 3: no


def test_in_colab_every_output_carries_everything(vae, monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", object())
    web.forget()
    assert all(len(_pushed_keys(web.decoder_sliders(vae)._repr_html_())) == 1 for _ in range(2))


def test_widget_options_name_what_the_page_needs(vae, small):
    torch.manual_seed(1)
    vae2 = build_model(ModelConfig(kind="vae", latent_dim=2, hidden_dims=(16,))).eval()
    ae2 = build_model(ModelConfig(kind="ae", latent_dim=2, hidden_dims=(16,))).eval()
    sliders = web.decoder_sliders(vae, small)
    assert sliders.options["latent"] == 3 and len(sliders.options["starts"]) == 10
    assert sliders.options["draw"] is True and "encoder" in sliders.options   # digits: a pad
    draw = web.draw_digit(vae, small, vae2)
    assert set(draw.options["needs"]) == {draw.options[k] for k in ("encoder", "decoder", "examples")} | \
        {draw.options["map"]["encoder"], draw.options["map"]["points"]}
    maps = web.latent_maps(ae2, vae2, small, n_points=20)
    assert [m["label"] for m in maps.options["maps"]] == ["plain autoencoder", "VAE (mu)"]
    assert all(m["limit"] >= 2.5 for m in maps.options["maps"])
    # the maps' dashed circle is the figures' (plots.scatter_pair): 95% of N(0, I), radius 2.45
    rings = [m["ring"] for m in maps.options["maps"]] + [draw.options["map"]["ring"]]
    assert rings == pytest.approx([2.4477] * 3, abs=1e-3)
    assert "radius 2.45" in maps.options["note"] and "95% of N(0, I)" in maps.options["note"]
    assert 0 < maps.weight_kb < draw.weight_kb


def test_static_widgets_refuse_models_they_cannot_show(vae, small):
    with pytest.raises(ConfigError, match="MLP"):
        web.decoder_sliders(build_model(ModelConfig(architecture="conv", hidden_dims=(32,))))
    with pytest.raises(ConfigError, match="latent_dim=2"):
        web.latent_maps(vae, vae, small)
    with pytest.raises(ConfigError, match="plain autoencoder"):
        web.draw_digit(build_model(ModelConfig(kind="ae", latent_dim=3, hidden_dims=(8,))), small)
    with pytest.raises(ConfigError, match="needs data"):
        web.decoder_sliders(vae, draw=True)


def test_javascript_ships_as_package_data():
    version, js = web.bundle()
    assert sorted(web.JS_FILES) == sorted(p.name for p in web.JS_DIR.glob("*.js"))  # none forgotten
    for name in web.JS_FILES:
        assert (web.JS_DIR / name).read_text() in js
    from setuptools.config.pyprojecttoml import read_configuration
    config = read_configuration(Path(__file__).resolve().parents[1] / "pyproject.toml")
    data_files = config["tool"]["setuptools"]["package-data"]["vae_tutorial"]
    assert "widgets/js/*.js" in data_files and "widgets/js/*.css" in data_files


def _code(text: str) -> str:
    """JavaScript without its comments and with every string emptied (names in prose or in
    messages are not uses)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            i = text.find("\n", i) if "\n" in text[i:] else n
        elif text.startswith("/*", i):
            i = text.index("*/", i) + 2
        elif c in "\"'`":
            j = i + 1
            while text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _top_level_names(text: str) -> set[str]:
    """Names a JavaScript file declares outside any function (lines that start a declaration)."""
    return set(re.findall(r"^(?:async\s+)?(?:function\s*\*?|const|let|var|class)\s+([A-Za-z_$][\w$]*)",
                          text, re.M))


def test_each_javascript_file_is_a_module_that_shares_only_the_namespace():
    """Each file runs in its own scope (so a name one file declares is unknown to the others),
    offers what it defines as VT.<name>, and reads the rest from VT. No name declared at the top
    of one file appears in the code of another, so no file can lean on another's."""
    version, js = web.bundle()
    texts = {name: (web.JS_DIR / name).read_text() for name in web.JS_FILES}
    for name, text in texts.items():
        assert f'// ---- {name}\n(function (VT) {{\n"use strict";\n{text}}})(VT);' in js
    texts = {name: _code(text) for name, text in texts.items()}
    for name, text in texts.items():
        for other, other_text in texts.items():
            if other != name:
                shared = {n for n in _top_level_names(text) - {"V"}
                          if re.search(rf"(?<![\w$.]){re.escape(n)}\b", other_text)}
                assert not shared, f"{other} uses {shared}, declared at the top of {name}"
    # V is each file's own short name for VT.view, never a name one file leaves to another
    assert all(re.search(r"^const V = VT\.view\b", t, re.M) for n, t in texts.items()
               if re.search(r"(?<![\w$.])V\.", t))
    assert not re.search(r"\b(timings|renders|performance\.now|performance\.mark)\b", js)  # no test hooks


def test_each_colour_is_defined_once_in_plots():
    """The widgets' colours are the figures': js/ and the stylesheet name no colour of their own;
    the page's palette is plots.py's, sent with the modules."""
    literal = re.compile(r"#[0-9a-fA-F]{3,8}\b|\brgba?\(\s*\d|\bhsla?\(")
    for path in [*web.JS_DIR.glob("*.js"), web.JS_DIR / web.CSS_FILE]:
        found = [line for line in path.read_text().splitlines()
                 if literal.search(line.split("//")[0]) and "rgba(128, 128, 128" not in line]
        assert not found, f"{path.name} defines colours of its own: {found}"
    version, js = web.bundle()
    sent = json.loads(re.search(r"VT\.colors = (\{.*?\});", js).group(1))
    assert sent["classes"] == [matplotlib.colors.to_hex(c) for c in plots.CLASS_COLORS]
    assert sent["sigma"] == matplotlib.colors.to_hex(plots.SIGMA_COLOR)
    assert sent["datasets"] == {name: matplotlib.colors.to_hex(c) for name, c in plots.DATASET_COLORS.items()}
    assert f"--vae-w-sigma: {sent['sigma']}" in js


def test_the_drawing_pad_flow_is_written_once():
    """A pad, its raster and the encoder's input live in source.js; widgets build on VT.source."""
    texts = {p.name: _code(p.read_text()) for p in web.JS_DIR.glob("*.js")}
    for call in ("VT.pad(", "VT.raster.rasterize(", "V.examples("):
        assert [n for n, t in texts.items() if call in t] == ["source.js"], call
    assert sorted(n for n, t in texts.items() if "VT.source(" in t) == [
        "widget-conditional-sliders.js", "widget-decoder-sliders.js", "widget-directions.js",
        "widget-draw-digit.js", "widget-likelihood-pad.js"]


def test_sliders_decode_the_point_they_show(vae, small):
    box = widgets.latent_sliders(vae, small)
    picker, *sliders = box.children[0].children
    image = box.children[1]
    means = latent.class_means(vae, small)
    picker.value = 4
    assert [s.value for s in sliders] == pytest.approx(means[4].clamp(-3, 3).tolist(), abs=1e-6)
    before = image.value
    sliders[0].value = 2.5
    assert image.value != before
    z = torch.tensor([[s.value for s in sliders]])
    assert image.value == kernel._png(latent.decode(vae, z)[0])


def test_interpolation_runs_from_first_to_second(vae, small):
    box = widgets.interpolation(vae, small, first=1, second=2)
    a, b, t = box.children[0].children
    image = box.children[1]
    start = image.value
    first_of = lambda k: small.images("test")[small.test_labels == k][:1]  # noqa: E731
    assert start == kernel._png(latent.reconstruct(vae, first_of(1))[0])   # t = 0: the first image
    t.value = 1.0
    assert image.value == kernel._png(latent.reconstruct(vae, first_of(2))[0])   # t = 1: the second


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


def test_frames_show_every_epoch_of_a_short_run_and_the_start_of_a_long_one():
    assert web.frames(15) == list(range(1, 16))
    long = web.frames(60)
    assert long[:10] == list(range(1, 11)) and long[-1] == 60 and len(long) == 20
    assert long == sorted(set(long))


def _recorded_run(kind, data, epochs=3):
    from vae_tutorial import fitting, train
    from vae_tutorial.recording import Recorder
    from vae_tutorial.runs import TrainedModel

    config = train.TrainConfig(model=ModelConfig(kind=kind, latent_dim=2, hidden_dims=(16,)),
                               epochs=epochs, batch_size=32)
    model = build_model(config.model, seed=0)
    recorder = Recorder(model, data, codes=40)
    history = fitting.fit(model, data, config, progress=False, on_epoch=recorder)
    return TrainedModel(model.eval(), config, history, data.identity(), data.variant, data.source,
                        recording=recorder.recording())


def test_epoch_slider_carries_every_shown_epoch_of_both_runs(vae, small):
    ae_run, vae_run = _recorded_run("ae", small), _recorded_run("vae", small)
    slider = web.epoch_slider(ae_run, vae_run, small)
    o = slider.options
    assert o["epochs"] == [1, 2, 3] and o["of"] == 3 and (o["points"], o["digits"], o["codes"]) == (10, 10, 40)
    assert set(o["needs"]) == {m["data"] for m in o["models"]}
    for m, run in zip(o["models"], (ae_run, vae_run)):
        payload = next(p for _, key, p in slider.items if key == m["data"])
        rebuilt = np.frombuffer(base64.b64decode(payload["rebuilt"]["b64"]), np.uint8)
        assert rebuilt.tolist() == run.recording.rebuilt.flatten().tolist()
        codes = np.frombuffer(base64.b64decode(payload["codes"]["b64"]), "<i2") * payload["codes"]["scale"]
        assert np.abs(codes - run.recording.codes.numpy().ravel()).max() <= payload["codes"]["scale"]
        assert len(m["spread"]) == len(m["inside"]) == 3
    with pytest.raises(ConfigError, match="recording"):
        web.epoch_slider(vae, vae_run, small)
    with pytest.raises(ConfigError, match="same length"):
        web.epoch_slider(_recorded_run("ae", small, epochs=2), vae_run, small)


def test_direction_sliders_share_the_decoder_sliders_weights(vae, small):
    """Chapter 8 shows both: the model's weights and the held-out examples travel once."""
    directions = {"thickness": torch.ones(3), "slant": torch.tensor([0.0, 1.0, 0.0])}
    steer = web.direction_sliders(vae, small, directions, start=6)
    sliders = web.decoder_sliders(vae, small)
    assert set(steer.options["needs"]) == set(sliders.options["needs"])
    assert [d["name"] for d in steer.options["directions"]] == ["thickness", "slant"]
    assert steer.options["attributes"] == ["thickness", "slant"] and steer.options["start"] == 6
    with pytest.raises(ConfigError, match=r"directions\['slant'\] must be 3 finite numbers, one per item of "
                                          r"model.latent_dim, got a float32 tensor of shape \(5,\)"):
        web.direction_sliders(vae, small, {"slant": torch.ones(5)})
