"""In a real browser (Debian's Chromium, driven by Selenium through chromedriver): the
kernel-free widgets run the book's models as PyTorch does (rounded weights, within 1e-4), a drawn
stroke becomes the image web.rasterize makes of it, the maps decode the point under the pointer
and pin it (mouse and keyboard), and no built page shows a widget placeholder or a JavaScript
error. In CI (CI=true) a missing browser is a failure, not a skip."""

from __future__ import annotations

import contextlib
import functools
import html.parser
import http.server
import json
import math
import os
import re
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import ROOT, use_book_cache
from headless import CHROMEDRIVER, CHROMIUM, SEVEN, open_chromium, stroke
from vae_tutorial import book, data, latent, losses, metrics
from vae_tutorial.models import ModelConfig
from vae_tutorial.widgets import static as web
from vae_tutorial.runs import build as build_model

PLACEHOLDERS = ("Loading widget", "HBox(children=", "VBox(children=", "interactive(children=",
                "FloatSlider(", "Error displaying widget")


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and CHROMEDRIVER):
        message = "needs Chromium and chromedriver: apt-get install -y chromium chromium-driver"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    driver = open_chromium(1300, 1000, console_log=True)
    yield driver
    driver.quit()


@contextlib.contextmanager
def serve(folder: Path):
    """A local http.server on a free port for ``folder``; yields the base URL."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def js_errors(driver) -> list[str]:
    """Console errors of the page. Every page loads everything from the book's own files
    (MathJax included), so a failed load counts too."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def move_slider(driver, slider, steps: int = 12) -> None:
    """Move a range input the way a keyboard user does: focus it, press the arrow key."""
    from selenium.webdriver.common.keys import Keys

    driver.execute_script("arguments[0].focus()", slider)
    for _ in range(steps):
        slider.send_keys(Keys.ARROW_RIGHT)


def canvas_png(driver, demo) -> str:
    return driver.execute_script("return arguments[0].querySelector('canvas').toDataURL()", demo)


def shown_image(driver, canvas) -> np.ndarray:
    """The 784 values in [0, 1] a 28 x 28 image canvas shows (its ink's opacity)."""
    alpha = driver.execute_script(
        "const d = arguments[0].getContext('2d').getImageData(0, 0, 28, 28).data;"
        "return Array.from(d.filter((_, i) => i % 4 === 3))", canvas)
    return np.array(alpha) / 255


def handle(driver, widget, expression: str):
    """Evaluate ``expression`` with ``h`` bound to the widget's handle in the page."""
    return driver.execute_script(
        f"const h = window.vaeTutorial.widgets[arguments[0]]; return {expression};", widget.root_id)


def open_page(driver, folder: Path, *widgets_) -> None:
    """One page holding ``widgets_`` the way a notebook shows them (each model's weights and the
    modules carried by the first output that needs them), opened from disk (file://)."""
    web.forget()
    body = "\n".join(w._repr_html_() for w in widgets_)
    path = folder / "widgets.html"
    path.write_text('<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">'
                    f'</head><body style="max-width: 900px">{body}</body></html>', encoding="utf-8")
    driver.get(path.as_uri())
    assert driver.execute_script("return window.vaeTutorial.waiting.length") == 0


def test_the_modules_define_one_global_and_no_test_hooks(browser, tmp_path):
    """The bundle adds window.vaeTutorial and nothing else to the page; the widgets' handles
    carry what the reader sees, not counters for tests."""
    (tmp_path / "blank.html").write_text("<!doctype html><html><body></body></html>", encoding="utf-8")
    browser.get((tmp_path / "blank.html").as_uri())
    browser.execute_script("return Object.keys(window)")      # chromedriver's own globals first
    before = set(browser.execute_script("return Object.keys(window)"))
    browser.execute_script(web.bundle()[1])
    assert set(browser.execute_script("return Object.keys(window)")) - before == {"vaeTutorial"}
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind="vae", latent_dim=2, hidden_dims=(16,))).eval()
    demos = [web.decoder_sliders(model, data.load_mnist(quiet=True)), web.kl_explorer()]
    open_page(browser, tmp_path, *demos)
    for demo in demos:
        keys = handle(browser, demo, "Object.keys(h)")
        assert not {"timings", "renders", "updates"} & set(keys), keys


@pytest.mark.parametrize("fmt", ["float32", "float16", "int8"])
def test_page_runs_the_rounded_model_like_pytorch(browser, tmp_path, fmt):
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind="vae", latent_dim=5, hidden_dims=(64, 32))).eval()
    twin = web.rounded(model, fmt)
    digits = data.load_mnist(quiet=True)
    demo = web.decoder_sliders(model, digits, fmt=fmt)
    open_page(browser, tmp_path, demo)
    for z in torch.randn(6, 5, generator=torch.Generator().manual_seed(1)) * 1.5:
        in_page = np.array(handle(browser, demo, f"Array.from(h.decode({z.tolist()}))"))
        assert np.abs(in_page - latent.decode(twin, z[None]).numpy().ravel()).max() < 1e-4
    for x in digits.images("test")[:4]:
        mu = handle(browser, demo, f"h.encode({x.ravel().tolist()}).mu")
        np.testing.assert_allclose(mu, latent.encodings(twin, x[None])[0].numpy(), atol=1e-4)
    root = browser.find_element("id", demo.root_id)
    before = canvas_png(browser, root)
    move_slider(browser, root.find_elements("css selector", "input[type=range]")[0])
    assert canvas_png(browser, root) != before
    assert js_errors(browser) == []


def test_a_widget_waits_for_weights_shown_after_it(browser, tmp_path):
    """JupyterLab renders outputs as they scroll into view: a widget may arrive before the
    output that carries its weights. It says so, then starts when they come."""
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind="vae", latent_dim=2, hidden_dims=(16,))).eval()
    web.forget()
    carrier, follower = web.decoder_sliders(model), web.decoder_sliders(model)
    carried, referring = carrier._repr_html_(), follower._repr_html_()
    version, js = web.bundle()
    (tmp_path / "late.html").write_text(f"<!doctype html><html><body>{referring}<script>{js}</script>"
                                        "</body></html>", encoding="utf-8")
    browser.get((tmp_path / "late.html").as_uri())
    note = browser.find_element("id", follower.root_id).text
    assert "Waiting for the model's weights" in note and "web.forget()" in note
    for script in re.findall(r"<script>(.*?)</script>", carried, re.S):
        if "VT.start()" not in script:             # the modules are on the page already
            browser.execute_script(script)
    assert browser.find_elements("css selector", f"#{follower.root_id} input[type=range]")
    # it shows what the model decodes at the sliders' start, the origin
    canvas = browser.find_element("css selector", f"#{follower.root_id} canvas.vae-w-digit")
    expected = latent.decode(web.rounded(model, "float16"), torch.zeros(1, 2)).numpy().ravel()
    assert np.abs(shown_image(browser, canvas) - expected).max() <= 0.5 / 255 + 1e-6
    assert js_errors(browser) == []


@pytest.fixture(scope="session")
def book_models():
    """The book's own models ("vae", "ae-2d", "vae-2d") on the offline digits, from the cache
    the book's build used ($VAE_TUTORIAL_CACHE as it was when pytest started, as for the claims
    tests); trained there first if the build has not run (about a minute each on 2 cores)."""
    with pytest.MonkeyPatch.context() as mp:
        use_book_cache(mp)
        digits = data.load_mnist(quiet=True)
        models = {name: book.trained(name, digits).model.cpu().eval()
                  for name in ("vae", "ae-2d", "vae-2d")}
    return digits, models


@pytest.fixture(scope="module")
def book_page(book_models):
    """The three widgets of chapters 3 and 8 on the book's models, as one page's widgets."""
    digits, m = book_models
    return {"draw": web.draw_digit(m["vae"], digits, m["vae-2d"]),
            "maps": web.latent_maps(m["ae-2d"], m["vae-2d"], digits),
            "sliders": web.decoder_sliders(m["vae"], digits)}


def test_rounded_book_models_draw_within_two_grey_levels(book_models):
    digits, models = book_models
    for name, model in models.items():
        fmt = web.pick_format(model, digits)
        error = web.rounding_error(model, digits, fmt)
        assert max(error["reconstruction"], error["decoded"]) <= 2 / 255, (name, fmt, error)


def test_book_models_in_the_page_match_pytorch(browser, tmp_path, book_models, book_page):
    digits, m = book_models
    draw, maps = book_page["draw"], book_page["maps"]
    open_page(browser, tmp_path, *book_page.values())
    html = (tmp_path / "widgets.html").read_text()
    for key in {k for w in book_page.values() for k in w.options["needs"]}:
        assert html.count(f'push(["net","{key}"') + html.count(f'push(["data","{key}"') == 1, key
    assert html.count("VT.start()") == 1
    fmt = {name: web.pick_format(model, digits) for name, model in m.items()}
    vae, vae2, ae2 = (web.rounded(m[name], fmt[name]) for name in ("vae", "vae-2d", "ae-2d"))
    worst = []
    for x in digits.images("test")[:10]:
        page = handle(browser, draw, f"[h.encode({x.ravel().tolist()}), h.encodeMap({x.ravel().tolist()})]")
        for model, got in ((vae, page[0]), (vae2, page[1])):
            mu, logvar = model.encode(x[None])
            worst.append(np.abs(np.array(got["mu"]) - mu.detach().numpy()).max())
            worst.append(np.abs(np.array(got["sigma"]) - torch.exp(0.5 * logvar).detach().numpy()).max())
    for z in torch.randn(10, 5, generator=torch.Generator().manual_seed(2)):
        got = handle(browser, draw, f"Array.from(h.decode({z.tolist()}))")
        worst.append(np.abs(np.array(got) - vae.decode(z[None]).detach().numpy().ravel()).max())
    for i, model in enumerate((ae2, vae2)):
        for z in torch.randn(10, 2, generator=torch.Generator().manual_seed(3)) * 3:
            got = handle(browser, maps, f"Array.from(h.maps[{i}].decode({z.tolist()}))")
            worst.append(np.abs(np.array(got) - model.decode(z[None]).detach().numpy().ravel()).max())
    assert max(worst) < 1e-4
    assert js_errors(browser) == []


@pytest.mark.parametrize("kind", ["mouse", "pen", "touch"])
def test_a_drawn_digit_is_rasterised_and_encoded_as_in_python(browser, tmp_path, book_models,
                                                               book_page, kind):
    digits, m = book_models
    draw = book_page["draw"]
    open_page(browser, tmp_path, draw)
    root = browser.find_element("id", draw.root_id)
    stroke(browser, root.find_element("css selector", ".vae-w-pad"), SEVEN, kind)
    got = handle(browser, draw, "({strokes: h.pad.strokes, image: Array.from(h.image), "
                                "mu: h.mu, sigma: h.sigma, map: h.map})")
    assert len(got["strokes"]) == 1 and len(got["strokes"][0]) >= len(SEVEN)
    image = np.array(got["image"]).reshape(28, 28)
    assert np.abs(image - web.rasterize(got["strokes"])).max() < 1e-9       # the page's raster
    x = torch.tensor(image, dtype=torch.float32)[None, None]
    for model, encoded in ((m["vae"], got), (m["vae-2d"], got["map"])):
        mu, logvar = web.rounded(model, web.pick_format(model, digits)).encode(x)
        assert np.abs(np.array(encoded["mu"]) - mu.detach().numpy()).max() < 1e-4
        assert np.abs(np.array(encoded["sigma"]) - torch.exp(0.5 * logvar).detach().numpy()).max() < 1e-4
    root.find_element("xpath", ".//button[text()='clear']").click()
    assert handle(browser, draw, "h.mu") is None and not any(handle(browser, draw, "Array.from(h.image)"))
    # the keyboard's way in: a held-out digit's button
    root.find_element("xpath", ".//button[text()='3']").click()
    shown = np.array(handle(browser, draw, "Array.from(h.image)"))
    three = digits.test_images[digits.test_labels == 3][0].numpy().ravel() / 255
    assert np.abs(shown - three).max() < 1e-12 and handle(browser, draw, "h.mu") is not None
    assert js_errors(browser) == []


def test_the_maps_decode_the_point_under_the_pointer_and_pin_it(browser, tmp_path, book_models, book_page):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    digits, m = book_models
    maps = book_page["maps"]
    open_page(browser, tmp_path, maps)
    canvases = browser.find_element("id", maps.root_id).find_elements("css selector", ".vae-w-map")
    limits = [spec["limit"] for spec in maps.options["maps"]]
    for i, (canvas, name) in enumerate(zip(canvases, ("ae-2d", "vae-2d"))):
        twin = web.rounded(m[name], web.pick_format(m[name], digits))
        ActionChains(browser).move_to_element_with_offset(canvas, 40, -30).perform()   # hover
        point = handle(browser, maps, f"h.maps[{i}].point")
        assert point[0] > 0 and point[1] > 0 and max(map(abs, point)) <= limits[i]
        shown = np.array(handle(browser, maps, f"Array.from(h.maps[{i}].image)"))
        assert np.abs(shown - twin.decode(torch.tensor([point])).detach().numpy().ravel()).max() < 1e-4
        assert handle(browser, maps, f"h.maps[{i}].map.state.pinned") == [0, 0]      # not pinned yet
        ActionChains(browser).click().perform()                                         # pin it
        pinned = handle(browser, maps, f"h.maps[{i}].map.state.pinned")
        assert pinned == pytest.approx(point, abs=limits[i] / 50)
        canvas.send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT, Keys.ARROW_UP)             # keyboard
        moved = handle(browser, maps, f"h.maps[{i}].point")
        assert moved == pytest.approx([pinned[0] + limits[i] / 20, pinned[1] + limits[i] / 40])
        outline = browser.execute_script("return getComputedStyle(arguments[0]).outlineStyle", canvas)
        assert outline == "solid"                                                     # visible focus
        canvas.send_keys(Keys.HOME)
        assert handle(browser, maps, f"h.maps[{i}].point") == [0, 0]
    browser.find_element("css selector", f"#{maps.root_id} input[type=checkbox]").click()
    assert handle(browser, maps, "h.maps.map((e) => e.map.state.limit)") == [max(limits)] * 2
    assert js_errors(browser) == []


@pytest.fixture(scope="module")
def learning_page(book_models):
    """Chapter 7's epoch slider on the book's recorded 2-d runs, and chapter 8's direction
    sliders on its VAE, with the directions found from the training digits."""
    digits, m = book_models
    with pytest.MonkeyPatch.context() as mp:
        use_book_cache(mp)
        runs = {name: book.trained(name, digits) for name in ("ae-2d", "vae-2d")}
    directions = {name: metrics.direction(m["vae"], digits, name) for name in ("thickness", "slant")}
    return {"runs": runs, "epochs": web.epoch_slider(runs["ae-2d"], runs["vae-2d"], digits),
            "steer": web.direction_sliders(m["vae"], digits, directions, start=6)}


def _alpha(driver, canvas) -> np.ndarray:
    """A canvas's ink (its alpha channel, 0-255), row by row of its backing store."""
    return np.array(driver.execute_script(
        "const c = arguments[0], d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        "return Array.from(d.filter((_, i) => i % 4 === 3))", canvas))


def test_the_epoch_slider_shows_what_each_run_recorded_after_that_epoch(browser, tmp_path, learning_page):
    """Dragging (here: the arrow keys) shows the epoch's recorded pictures, byte for byte, and
    every picture's text alternative says which epoch it shows and what changed; play steps on."""
    import time

    slider, runs = learning_page["epochs"], learning_page["runs"]
    open_page(browser, tmp_path, slider)
    root = browser.find_element("id", slider.root_id)
    epochs = slider.options["epochs"]
    assert handle(browser, slider, "h.epoch") == 1
    move_slider(browser, root.find_element("css selector", "input[type=range]"), steps=4)
    epoch = epochs[4]
    assert handle(browser, slider, "h.epoch") == epoch
    assert root.find_element("css selector", "input[type=range]").get_attribute("aria-valuetext") == \
        f"epoch {epoch} of {len(runs['ae-2d'].recording.epochs)}"
    for i, (run, model) in enumerate(zip(runs.values(), slider.options["models"])):
        recorded = run.recording
        for part, images in (("decoded", recorded.decoded), ("rebuilt", recorded.rebuilt)):
            canvas = handle(browser, slider, f"h.models[{i}].{part}")
            grid = images[epoch - 1].numpy().reshape(2, 5, 28, 28).transpose(0, 2, 1, 3).reshape(56, 140)
            assert (_alpha(browser, canvas) == grid.ravel()).all(), (i, part)
            assert f"after epoch {epoch}" in canvas.get_attribute("aria-label")
        codes = np.array(handle(browser, slider, f"Array.from(h.models[{i}].codes(4))"))
        assert np.abs(codes - recorded.codes[epoch - 1].numpy().ravel()).max() < 1e-3 * model["limit"]
        said = handle(browser, slider, f"h.models[{i}].map.canvas").get_attribute("aria-label")
        assert f"after epoch {epoch}" in said and f"spread {model['spread'][4]:.2f}" in said
    root.find_element("xpath", ".//button[text()='play']").click()
    time.sleep(1.5)
    assert handle(browser, slider, "h.epoch") > epoch
    root.find_element("xpath", ".//button[text()='pause']").click()
    assert js_errors(browser) == []


def test_direction_sliders_move_the_code_and_measure_as_the_package(browser, tmp_path, book_models,
                                                                    learning_page):
    """The page encodes the held-out digit, adds the sliders' multiples of each direction to its
    mu and decodes, as PyTorch does with the same rounded weights, and measures thickness and
    slant as metrics does; the moved picture's text alternative says what moved and by how much."""
    digits, m = book_models
    steer = learning_page["steer"]
    open_page(browser, tmp_path, steer)
    twin = web.rounded(m["vae"], web.pick_format(m["vae"], digits))
    six = digits.images("test")[digits.test_labels == 6][:1]
    mu = twin.encode(six)[0][0].detach()
    assert np.abs(np.array(handle(browser, steer, "h.mu")) - mu.numpy()).max() < 1e-4
    handle(browser, steer, "(h.set([0.5, -0.25]), 0)")
    along = [torch.tensor(d["v"]) for d in steer.options["directions"]]
    expected = twin.decode((mu + 0.5 * along[0] - 0.25 * along[1])[None]).detach()
    moved = np.array(handle(browser, steer, "Array.from(h.moved)"))
    assert np.abs(moved - expected.numpy().ravel()).max() < 1e-4
    page = handle(browser, steer, "[h.measure.thickness(h.moved), h.measure.slant(h.moved)]")
    x = torch.tensor(moved).reshape(1, 1, 28, 28)
    assert page == pytest.approx([float(metrics.ink(x)), float(metrics.slant(x))], rel=1e-6)
    said = browser.find_element("css selector", f"#{steer.root_id} canvas[aria-label*='moved']")
    assert "this 6 moved 0.50 along thickness and -0.25 along slant" in said.get_attribute("aria-label")
    slider = browser.find_elements("css selector", f"#{steer.root_id} input[type=range]")[0]
    move_slider(browser, slider, steps=2)                        # the keyboard: 0.05 a press
    assert handle(browser, steer, "h.amounts()") == pytest.approx([0.6, -0.25])
    assert js_errors(browser) == []


def test_sliders_start_at_the_encoding_of_a_drawing(browser, tmp_path, book_models, book_page):
    digits, m = book_models
    sliders = book_page["sliders"]
    open_page(browser, tmp_path, sliders)
    root = browser.find_element("id", sliders.root_id)
    stroke(browser, root.find_element("css selector", ".vae-w-pad"), SEVEN)
    mu, z = handle(browser, sliders, "h.mu"), handle(browser, sliders, "h.z()")
    x = torch.tensor(handle(browser, sliders, "Array.from(h.image)"), dtype=torch.float32).reshape(1, 1, 28, 28)
    expected = web.rounded(m["vae"], web.pick_format(m["vae"], digits)).encode(x)[0][0].detach().numpy()
    assert np.abs(np.array(mu) - expected).max() < 1e-4
    # the sliders hold mu, on their 0.05 grid and within ±3
    assert z == pytest.approx(np.clip(np.round(np.array(mu) / 0.05) * 0.05, -3, 3), abs=1e-9)
    assert js_errors(browser) == []


def test_every_widget_control_has_a_label_takes_the_keyboard_and_shows_focus(browser, tmp_path, book_page):
    """Tab reaches every control of the widgets (buttons, sliders, the maps, the checkbox), each
    has an accessible name, and each shows a visible focus ring when the keyboard reaches it."""
    from selenium.webdriver.common.keys import Keys

    open_page(browser, tmp_path, *book_page.values(), web.kl_explorer())
    controls = browser.execute_script(
        "return Array.from(document.querySelectorAll('.vae-w button, .vae-w input, .vae-w [tabindex]'))")
    assert len(controls) > 30
    browser.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
    body = browser.find_element("tag name", "body")
    body.send_keys(Keys.TAB)
    reached = []
    for _ in range(len(controls) + 5):
        focused = browser.switch_to.active_element
        state = browser.execute_script(
            "const e = arguments[0], s = getComputedStyle(e);"
            "const label = e.getAttribute('aria-label') || e.textContent.trim() ||"
            "  (e.closest('label') && e.closest('label').textContent.trim()) || e.title;"
            "return [e.closest('.vae-w') !== null, label, s.outlineStyle, parseFloat(s.outlineWidth)]", focused)
        if not state[0]:
            break
        inside, label, style, width = state
        assert label, focused.get_attribute("outerHTML")[:120]
        assert style != "none" and width >= 2, (label, style, width)
        reached.append(focused)
        focused.send_keys(Keys.TAB)
    assert len(reached) == len(controls)


def test_kl_explorer_in_the_page_matches_the_package(browser, tmp_path):
    demo = web.kl_explorer(mu=1.0, sigma=0.5)
    open_page(browser, tmp_path, demo)
    for mu, sigma in [(0.0, 1.0), (2.0, 1.0), (0.0, 0.1), (-1.5, 2.5)]:
        in_page = handle(browser, demo, f"h.kl({mu}, {sigma})")
        expected = losses.kl_divergence(torch.tensor([[mu]], dtype=torch.float64),
                                        torch.tensor([[2 * math.log(sigma)]], dtype=torch.float64))
        assert in_page == pytest.approx(expected.item(), abs=1e-12)
    root = browser.find_element("id", demo.root_id)
    assert root.find_element("css selector", ".vae-kl-value").text == "KL = 0.82 nats"  # (1 + 0.25 - ln 0.25 - 1) / 2
    before = canvas_png(browser, root)
    # from mu = 1, 20 steps of 0.05 make mu = 2
    move_slider(browser, root.find_elements("css selector", "input[type=range]")[0], steps=20)
    assert root.find_element("css selector", ".vae-kl-value").text == "KL = 2.32 nats"
    assert canvas_png(browser, root) != before
    assert js_errors(browser) == []


def test_widgets_follow_the_dark_mode(browser, tmp_path, book_page):
    sliders = book_page["sliders"]
    open_page(browser, tmp_path, sliders)
    ink = "const c = document.querySelector('.vae-w-digit').getContext('2d');" \
          "const d = c.getImageData(0, 0, 28, 28).data; let k = 0;" \
          "for (let i = 3; i < d.length; i += 4) if (d[i] > d[k + 3]) k = i - 3;" \
          "return [d[k], d[k + 1], d[k + 2]]"
    light = browser.execute_script(ink)
    browser.execute_script("document.body.style.color = 'rgb(230, 230, 230)';"
                           "document.body.style.background = 'rgb(20, 20, 20)';"
                           "document.documentElement.dataset.theme = 'dark'")
    dark = browser.execute_script(ink)
    assert sum(light) < 100 and sum(dark) > 600     # dark ink on light, light ink on dark


def test_generation_chapter_slider_decodes_without_a_kernel(browser, built_book):
    with serve(built_book) as url:
        browser.get(f"{url}/book/08_generation.html")
        demo = browser.find_element("css selector", ".vae-w-decoderSliders")
        image = demo.find_element("css selector", "canvas.vae-w-digit")
        h = "const h = window.vaeTutorial.widgets[arguments[0]];"
        root_id = demo.get_attribute("id")

        def decoded_here() -> np.ndarray:       # the page's decoder at the sliders' values
            return np.array(browser.execute_script(h + "return Array.from(h.decode(h.z()))", root_id))

        z = browser.execute_script(h + "return h.z()", root_id)
        assert np.abs(shown_image(browser, image) - decoded_here()).max() <= 0.5 / 255 + 1e-6
        move_slider(browser, demo.find_elements("css selector", "input[type=range]")[2])
        moved = browser.execute_script(h + "return h.z()", root_id)
        assert moved == pytest.approx([z[0], z[1], min(z[2] + 12 * 0.05, 3), *z[3:]], abs=1e-9)
        assert np.abs(shown_image(browser, image) - decoded_here()).max() <= 0.5 / 255 + 1e-6
        # a start button jumps to that digit's mean encoding (on the sliders' 0.05 grid)
        options = json.loads(re.search(r'push\(\["widget","decoderSliders","%s",(\{.*?\})\]\);' % root_id,
                                       browser.page_source).group(1))
        seven = next(s for s in options["starts"] if s["name"] == "7")
        before = shown_image(browser, image)
        demo.find_element("xpath", ".//button[@data-start and text()='7']").click()
        assert browser.execute_script(h + "return h.z()", root_id) == pytest.approx(seven["z"], abs=0.025 + 1e-9)
        after = shown_image(browser, image)
        assert np.abs(after - decoded_here()).max() <= 0.5 / 255 + 1e-6 and np.abs(after - before).max() > 0.1
        assert js_errors(browser) == []


def test_no_page_shows_widget_placeholders_js_errors_or_cut_off_lines(browser, built_book):
    pages = sorted((built_book / "book").glob("*.html"))
    assert len(pages) >= 7
    problems = []   # every page's, so one run names them all
    with serve(built_book) as url:
        for page in pages:
            browser.get(f"{url}/book/{page.name}")
            text = browser.find_element("tag name", "body").text
            shown = [p for p in PLACEHOLDERS if p in text]
            if shown:
                problems.append(f"{page.name} shows widget placeholders: {shown}")
            if js_errors(browser):
                problems.append(f"{page.name} has JavaScript errors")
            # the longest line of each block too wide for its column (solutions' are narrower)
            cut_off = browser.execute_script(
                "return Array.from(document.querySelectorAll('article pre'))"
                ".filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent.split('\\n')"
                ".reduce((a, b) => (b.length > a.length ? b : a)))")
            if cut_off:
                problems.append(f"{page.name}: lines wider than the column: {cut_off}")
    assert not problems, "\n".join(problems)


def test_prose_code_and_maths_fit_a_phone(browser, built_book):
    """At 375 px no inline code or inline maths runs past the text column (the clothes chapter's
    exercise once did), and display maths too wide for it scrolls in its own box."""
    try:
        browser.set_window_size(375, 900)
        for page in sorted((built_book / "book").glob("*.html")):
            browser.get(page.as_uri())
            wait_for_maths(browser)
            past = browser.execute_script(
                "const col = document.querySelector('article').getBoundingClientRect().right;"
                "return Array.from(document.querySelectorAll("
                "'article p code, article li code, article mjx-container'))"
                ".filter((e) => e.getBoundingClientRect().right > col + 1 ||"
                "  (e.getAttribute('display') === 'true' && e.scrollWidth > e.clientWidth + 1 &&"
                "   !['auto', 'scroll'].includes(getComputedStyle(e).overflowX)))"
                ".map((e) => e.textContent.slice(0, 40))")
            assert past == [], f"{page.name} at 375 px: {past}"
    finally:
        browser.set_window_size(1300, 1000)


def test_pages_and_small_tables_fit_a_phone(browser, built_book):
    """At 375 px no page scrolls sideways, and a table of at most five columns (chapter 3's
    cluster and prior reports) fits its output box; only wider tables scroll, in their box. The
    links to the previous and next chapter show their whole titles (a long word such as
    "Reconstruction" once ran past the screen's edge, where the page clipped it), and a side note
    spans the column instead of squeezing the prose beside it."""
    try:
        browser.set_window_size(375, 900)
        for page in sorted((built_book / "book").glob("*.html")):
            browser.get(page.as_uri())
            page_wide, tables, links, notes = browser.execute_script(
                "const e = document.scrollingElement;"
                "return [e.scrollWidth > e.clientWidth + 1, Array.from("
                "document.querySelectorAll('article .cell_output table')).filter((t) =>"
                "  t.rows[0].cells.length <= 5 && t.closest('.output').scrollWidth > "
                "  t.closest('.output').clientWidth + 1).map((t) => t.textContent.trim().slice(0, 40)),"
                " Array.from(document.querySelectorAll('.prev-next-area a')).filter((a) =>"
                "  a.scrollWidth > a.clientWidth + 1 || a.getBoundingClientRect().right > e.clientWidth + 1"
                "  || a.querySelector('.prev-next-title').getBoundingClientRect().right > e.clientWidth + 1)"
                "  .map((a) => a.innerText.replace(/\\s+/g, ' ')),"
                " Array.from(document.querySelectorAll('article aside.margin')).filter((m) =>"
                "  m.getBoundingClientRect().width < 0.9 * document.querySelector('article')"
                "  .getBoundingClientRect().width).map((m) => m.innerText.slice(0, 20))]")
            assert not page_wide and tables == [] and links == [] and notes == [], (page.name, tables, links, notes)
    finally:
        browser.set_window_size(1300, 1000)


def axe_violations(driver, impacts=("critical", "serious")) -> list[str]:
    """axe-core's violations of the page open in ``driver`` at these impacts, one line each
    (rule, impact, what it wants, the first few elements). axe-core comes bundled in
    selenium-axe-python (the test extra)."""
    try:
        from selenium_axe_python import Axe
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("needs selenium-axe-python (pip install -e '.[test]')")
    axe = Axe(driver)
    axe.inject()
    # preload: false keeps axe from fetching the stylesheets' @imports itself (it resolves them
    # against the page, not the stylesheet, and the 404s would read as the page's errors)
    found = axe.run(options="{preload: false}")["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']}: " +
            ", ".join(str(n["target"][0]) for n in v["nodes"][:4]) + (" ..." if len(v["nodes"]) > 4 else "")
            for v in found if v["impact"] in impacts]


def set_theme(driver, theme: str) -> None:
    """The book's light or dark mode, as its switch sets it (pydata-sphinx-theme)."""
    driver.execute_script("localStorage.setItem('mode', arguments[0]); localStorage.setItem('theme', arguments[0]);"
                          "document.documentElement.dataset.theme = arguments[0];"
                          "document.documentElement.dataset.mode = arguments[0];", theme)


def wait_for_maths(driver) -> None:
    driver.execute_async_script(
        "const done = arguments[0]; (window.MathJax && MathJax.startup ? "
        "MathJax.startup.promise : Promise.resolve()).then(() => done(true))")


def book_pages() -> list[str]:
    """Every page the build makes, relative to its html folder: the chapters (from _toc.yml),
    the start page, the index and the search page. Known before the build, so each page is a
    test of its own."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    chapters = [toc["root"]] + [entry["file"] for entry in toc["chapters"]]
    return [f"{c}.html" for c in chapters] + ["index.html", "genindex.html", "search.html"]


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("page", book_pages())
def test_page_has_no_serious_accessibility_violation(browser, built_book, page, theme):
    """axe-core finds no critical or serious violation on the built page, in the book's light
    mode and in its dark mode (colour contrast differs between them)."""
    assert (built_book / page).is_file(), f"the build has no {page}"
    with serve(built_book) as url:
        browser.get(f"{url}/{page}")
        set_theme(browser, theme)
        browser.refresh()   # the mode applied as the page loads, not mid-transition (contrast)
        wait_for_maths(browser)
        browser.execute_async_script("Promise.all(document.getAnimations().map((a) => a.finished))"
                                     ".then(() => arguments[0](true))")
        assert axe_violations(browser) == []


class _Images(html.parser.HTMLParser):
    """(src, alt) of every <img> in a page's notebook outputs."""
    def __init__(self):
        super().__init__()
        self.depth, self.found = 0, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "cell_output" in (attrs.get("class") or "").split():
            self.depth = 1
        elif self.depth and tag == "div":
            self.depth += 1
        if self.depth and tag == "img":
            self.found.append((attrs.get("src", ""), attrs.get("alt")))

    def handle_endtag(self, tag):
        if self.depth and tag == "div":
            self.depth -= 1


def test_dark_mode_inverts_figures_but_shows_a_colour_scale_as_drawn(browser, built_book):
    """In the dark mode the figures are inverted (dark ink on white becomes light on dark), except
    one whose colours carry meaning: chapter 5's error maps ("bright means wrong") keep their
    colours, or bright would mean right."""
    page = built_book / "book" / "05_reconstruction_loss.html"
    browser.get(page.as_uri())
    set_theme(browser, "dark")
    filters = browser.execute_script(
        "return Array.from(document.querySelectorAll('div.cell_output img')).map((i) =>"
        "  [i.classList.contains('as-drawn'), i.alt.includes('squared error'), getComputedStyle(i).filter])")
    as_drawn = [f for drawn, _, f in filters if drawn]
    error_maps = [drawn for drawn, errors, _ in filters if errors]
    assert error_maps and all(error_maps), filters        # every error map, and only those ...
    assert len(as_drawn) == len(error_maps) and set(as_drawn) == {"none"}, filters   # ... as drawn
    assert all("invert" in f for drawn, _, f in filters if not drawn), filters
    set_theme(browser, "light")


def test_every_figure_says_what_it_shows(built_book):
    """Each figure's alt text is its description (title and contents, written by the package
    that draws it), never empty and never its file name."""
    seen = 0
    for page in sorted((built_book / "book").glob("*.html")):
        parser = _Images()
        parser.feed(page.read_text(encoding="utf-8"))
        for src, alt in parser.found:
            seen += 1
            assert alt and not re.search(r"\.png|_images|[0-9a-f]{32}", alt), (page.name, src, alt)
            assert len(alt.split()) >= 6 and not alt[0].islower() and alt.endswith("."), (page.name, alt)
    assert seen >= 25


WIDGET_PAGES = {"03_mu_and_sigma": ["drawDigit", "latentMaps"], "07_training": ["epochSlider"],
                "08_generation": ["decoderSliders", "directionSliders"], "09_clothes": ["decoderSliders"]}
PAGE_LIMIT_MB = 2.5    # benchmarks/widget_latency.py prints each page's figure


def test_every_page_with_the_images_it_shows_stays_under_its_weight(built_book):
    """The widgets carry their weights and pictures inside the page: each page of the book, with
    the images it shows, stays under 2.5 MB."""
    for page in sorted(built_book.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        images = {src for src in re.findall(r'<img[^>]+src="([^"]+)"', text) if not src.startswith("data:")}
        size = page.stat().st_size + sum((page.parent / src).stat().st_size for src in images
                                         if (page.parent / src).is_file())
        assert size < PAGE_LIMIT_MB * 1e6, f"{page.name}: {size / 1e6:.2f} MB"


def test_widget_pages_work_from_disk_in_dark_mode_and_on_a_phone(browser, built_book):
    try:
        for name, kinds in WIDGET_PAGES.items():
            page = built_book / "book" / f"{name}.html"
            html = page.read_text(encoding="utf-8")
            pushed = re.findall(r'queue\.push\(\["(?:net|data)","([^"]+)"', html)
            assert pushed and len(pushed) == len(set(pushed)), f"{name}: weights carried twice"
            assert html.count("VT.start()") == 1, f"{name}: the modules more than once"
            for width in (1280, 375):
                browser.set_window_size(width, 900)
                browser.get(page.as_uri())                      # file://, no server
                shown = browser.execute_script(
                    "return Array.from(document.querySelectorAll('.vae-w')).map((e) => "
                    "[e.className, e.querySelector('.vae-w-note') === null, "
                    "e.scrollWidth <= e.clientWidth + 1, e.id in window.vaeTutorial.widgets])")
                assert [s[0].split("vae-w-")[1] for s in shown] == kinds, name
                assert all(built and fits and known for _, built, fits, known in shown), (name, width, shown)
                browser.execute_script("document.documentElement.dataset.theme = 'dark'")
                assert js_errors(browser) == [], f"{name} at {width} px"
    finally:
        browser.set_window_size(1300, 1000)
