"""How fast the widgets answer, and how heavy the built pages are.

    python benchmarks/widget_latency.py              (targets: kernel sliders < 100 ms per update;
                                                       in-page widgets < 16 ms per pointer move;
                                                       every built page < 2.5 MB)
    python benchmarks/widget_latency.py --new        (only the widgets of chapters 11 and 12)

1. ipywidgets (a live kernel): one slider update = decode + PNG; the KL explorer's redraw.
2. The static widgets in headless Chromium, on the book's models for the data found: each
   pointer event's work (drawing: rasterise, encode with the 5-d and the 2-d VAE, decode,
   redraw; maps: decode and redraw; sliders' pad: rasterise, encode, decode, redraw), measured
   from outside the widgets with performance marks: a listener on the window marks the event
   before the widget's own listeners run (capture phase) and measures it after them (bubble
   phase). Pointer moves are real (Selenium's pointer actions). Chapters 11 and 12: the
   conditional VAE's pad (rasterise, encode with the label, decode the asked digit and the row
   of ten, redraw) and its sliders (arrow keys: decode eleven images), and the likelihood pad
   (rasterise, then for both VAEs encode, decode K = 8 points, score, redraw the histograms).
3. The weight of each built page (HTML + the images it shows), if the book has been built.
"""

import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from vae_tutorial import book, data, widgets
from vae_tutorial.widgets import static as web

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from headless import open_chromium, stroke  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PAGE_LIMIT_MB = 2.5


def kernel_widgets(vae, digits) -> None:
    box = widgets.latent_sliders(vae, digits)
    sliders = box.children[0].children[1:]
    times = []
    for i in range(200):
        start = time.perf_counter()
        sliders[i % len(sliders)].value = ((i * 0.37) % 6) - 3  # fires the observer: decode + PNG
        times.append((time.perf_counter() - start) * 1000)
    kl = widgets.kl_explorer()
    mu = kl.children[0].children[0]
    kl_times = []
    for i in range(20):
        start = time.perf_counter()
        mu.value = ((i * 0.3) % 6) - 3
        kl_times.append((time.perf_counter() - start) * 1000)
    print(f"kernel slider update:  median {statistics.median(times):.1f} ms, max {max(times):.1f} ms "
          f"({len(times)} updates; target < 100 ms)")
    print(f"kernel KL redraw:      median {statistics.median(kl_times):.1f} ms, max {max(kl_times):.1f} ms")


def pointer_path(driver, element, points) -> None:
    """Scroll ``element`` into view, then press, move through ``points``, release."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    stroke(driver, element, points)


def hover_path(driver, element, points) -> None:
    """Move the pointer through ``points`` (fractions of the element) without pressing."""
    from selenium.webdriver.common.action_chains import ActionChains

    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    w, h = driver.execute_script("const r = arguments[0].getBoundingClientRect(); return [r.width, r.height]",
                                 element)
    actions = ActionChains(driver, duration=0)
    for x, y in points:
        actions.move_to_element_with_offset(element, round((x - 0.5) * w), round((y - 0.5) * h))
    actions.perform()


def spiral(n: int, turns: float = 3.0):
    """``n`` points on a spiral inside the unit square: a long, curving stroke."""
    import math
    return [(0.5 + 0.4 * (i / n) * math.cos(2 * math.pi * turns * i / n),
             0.5 + 0.4 * (i / n) * math.sin(2 * math.pi * turns * i / n)) for i in range(n)]


# Around every pointer event: a mark before the page's listeners (capture on the window, the
# first to run) and a measure after them (bubble on the window, the last).
MEASURE = """
for (const type of ["pointerdown", "pointermove", "pointerup", "input"]) {
  window.addEventListener(type, () => performance.mark("vt-event"), {capture: true});
  window.addEventListener(type, () => performance.measure("vt-work", "vt-event"));
}"""


def event_times(driver, act) -> list:
    """Run ``act()`` and return the ms each pointer event it made kept the page's listeners busy."""
    driver.execute_script("performance.clearMarks(); performance.clearMeasures()")
    act()
    return driver.execute_script("return performance.getEntriesByName('vt-work').map((e) => e.duration)")


def report(name: str, times: list) -> None:
    worst = max(range(len(times)), key=times.__getitem__)
    print(f"{name:22} median {statistics.median(times):5.2f} ms, worst {times[worst]:6.2f} ms "
          f"(event {worst + 1} of {len(times)}; target < 16 ms)")


@contextlib.contextmanager
def widget_page(parts: dict):
    """Headless Chromium on a page holding the static widgets ``parts`` (name -> widget), with
    the MEASURE listener installed; closed on the way out."""
    web.forget()
    body = "\n".join(w._repr_html_() for w in parts.values())
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "widgets.html"
        page.write_text(f'<!doctype html><html><head><meta charset="utf-8"></head><body>{body}</body></html>',
                        encoding="utf-8")
        driver = open_chromium(1280, 1000)
        try:
            driver.get(page.as_uri())
            driver.execute_script(MEASURE)
            yield driver
        finally:
            driver.quit()


def page_widgets(digits, models) -> None:
    parts = {"draw": web.draw_digit(models["vae"], digits, models["vae-2d"]),
             "maps": web.latent_maps(models["ae-2d"], models["vae-2d"], digits),
             "sliders": web.decoder_sliders(models["vae"], digits)}
    with widget_page(parts) as driver:
        draw = driver.find_element("id", parts["draw"].root_id)
        pad = draw.find_element("css selector", ".vae-w-pad")
        report("draw a digit", event_times(driver, lambda: pointer_path(driver, pad, spiral(200))))
        maps = driver.find_element("id", parts["maps"].root_id).find_elements("css selector", ".vae-w-map")
        report("latent maps (hover)", event_times(
            driver, lambda: [hover_path(driver, canvas, spiral(100, turns=2)) for canvas in maps]))
        sliders = driver.find_element("id", parts["sliders"].root_id)
        pad = sliders.find_element("css selector", ".vae-w-pad")
        report("sliders' drawing pad", event_times(driver, lambda: pointer_path(driver, pad, spiral(200))))
        fidelity(driver, parts, digits, models)
    kb = {name: w.weight_kb for name, w in parts.items()}
    print("weights and data per widget shown alone: " + ", ".join(f"{k} {v:.0f} kB" for k, v in kb.items()))


@torch.no_grad()
def fidelity(driver, parts, digits, models, n: int = 50) -> None:
    """The page against PyTorch running the same rounded weights, and the rounded models'
    images against the float32 models'."""
    fmt = {name: web.pick_format(model, digits) for name, model in models.items()}
    twins = {name: web.rounded(model, fmt[name]) for name, model in models.items()}
    h = "window.vaeTutorial.widgets[arguments[0]]"
    x = digits.images("test")[:n]
    worst = {"encoder (mu, sigma)": 0.0, "decoder": 0.0}
    for image in x:
        got = driver.execute_script(f"return {h}.encode(arguments[1])", parts["draw"].root_id, image.ravel().tolist())
        mu, logvar = twins["vae"].encode(image[None])
        expected = torch.cat([mu, torch.exp(0.5 * logvar)], 1).numpy().ravel()
        worst["encoder (mu, sigma)"] = max(worst["encoder (mu, sigma)"],
                                           abs(torch.tensor(got["mu"] + got["sigma"]).numpy() - expected).max())
    for z in torch.randn(n, 5, generator=torch.Generator().manual_seed(0)) * 1.5:
        got = driver.execute_script(f"return Array.from({h}.decode(arguments[1]))",
                                    parts["draw"].root_id, z.tolist())
        expected = twins["vae"].decode(z[None]).numpy().ravel()
        worst["decoder"] = max(worst["decoder"], abs(torch.tensor(got).numpy() - expected).max())
    for i, name in enumerate(("ae-2d", "vae-2d")):
        key = f"{name} decoder"
        worst[key] = 0.0
        for z in torch.randn(n, 2, generator=torch.Generator().manual_seed(1)) * 3:
            got = driver.execute_script(f"return Array.from({h}.maps[{i}].decode(arguments[1]))",
                                        parts["maps"].root_id, z.tolist())
            worst[key] = max(worst[key], abs(torch.tensor(got).numpy() - twins[name].decode(z[None]).numpy().ravel()).max())
    print("page vs PyTorch on the same rounded weights, max abs difference (target < 1e-4): " +
          ", ".join(f"{k} {v:.1e}" for k, v in worst.items()))
    for name, model in models.items():
        error = web.rounding_error(model, digits, fmt[name])
        print(f"{name:7} {fmt[name]} vs float32: images within {255 * max(error['reconstruction'], error['decoded']):.2f}/255 "
              f"(reconstructions {255 * error['reconstruction']:.2f}, decoded N(0, I) points {255 * error['decoded']:.2f}; "
              f"target 2/255)")
        if fmt[name] != "int8":
            error = web.rounding_error(model, digits, "int8")
            print(f"{'':7} int8 (per-row scales) would be {255 * max(error['reconstruction'], error['decoded']):.1f}/255")


def new_chapter_widgets(digits) -> None:
    """Chapters 11 and 12: the conditional VAE's widget and the likelihood pad, their latency and
    their fidelity to PyTorch on the same rounded weights."""
    from selenium.webdriver.common.keys import Keys

    from vae_tutorial import latent, likelihood, metrics

    clothes = data.load_fashion_mnist(quiet=True)
    cvae = book.trained("cvae", digits).model.cpu().eval()
    models = {"digits model": book.trained("vae-bce", digits).model.cpu().eval(),
              "clothes model": book.trained("clothes-vae", clothes).model.cpu().eval()}
    sets = {"digits": digits.images("test")[:200], "clothes": clothes.images("test")[:200]}
    parts = {"conditional": web.conditional_sliders(cvae, digits),
             "likelihood": web.likelihood_pad(models, metrics.log_likelihoods(models, sets, k=10),
                                               [digits, clothes])}
    with widget_page(parts) as driver:
        root = driver.find_element("id", parts["conditional"].root_id)
        pad = root.find_element("css selector", ".vae-w-pad")
        report("conditional: pad", event_times(driver, lambda: pointer_path(driver, pad, spiral(200))))
        slider = root.find_elements("css selector", "input[type=range]")[0]
        driver.execute_script("arguments[0].focus()", slider)
        report("conditional: slider", event_times(
            driver, lambda: [slider.send_keys(Keys.ARROW_LEFT if i % 2 else Keys.ARROW_RIGHT) for i in range(60)]))
        pad = driver.find_element("id", parts["likelihood"].root_id).find_element("css selector", ".vae-w-pad")
        report("likelihood pad", event_times(driver, lambda: pointer_path(driver, pad, spiral(200))))
        h = "window.vaeTutorial.widgets[arguments[0]]"
        twin = web.rounded(cvae, web._pick_format_conditional(cvae, digits))
        worst = {"conditional decoder": 0.0, "conditional encoder (mu)": 0.0, "log p(x) estimate": 0.0}
        for i, z in enumerate(torch.randn(50, cvae.latent_dim, generator=torch.Generator().manual_seed(0)) * 1.5):
            got = driver.execute_script(f"return Array.from({h}.decode(arguments[1], arguments[2]))",
                                        parts["conditional"].root_id, z.tolist(), i % 10)
            worst["conditional decoder"] = max(worst["conditional decoder"], abs(
                torch.tensor(got).numpy() - latent.decode(twin, z[None], i % 10).numpy().ravel()).max())
        twins = [web.rounded(m, "int8").double() for m in models.values()]
        for x, y in zip(digits.images("test")[:20], digits.test_labels[:20].tolist()):
            got = driver.execute_script(f"return {h}.encode(arguments[1], arguments[2]).mu",
                                        parts["conditional"].root_id, x.ravel().tolist(), y)
            worst["conditional encoder (mu)"] = max(worst["conditional encoder (mu)"], abs(
                torch.tensor(got).numpy() - latent.encodings(twin, x[None], y)[0].numpy()).max())
        for x in torch.cat([sets["digits"][:10], sets["clothes"][:10]]):
            for i, model in enumerate(twins):
                got = driver.execute_script(f"return {h}.estimate(arguments[1], arguments[2]).estimate",
                                            parts["likelihood"].root_id, i, x.ravel().tolist())
                expected = likelihood.importance_sampled_log_likelihood(model, x[None].double(), k=8,
                                                                        batch_size=1, seed=0).item()
                worst["log p(x) estimate"] = max(worst["log p(x) estimate"], abs(got - expected))
        print("chapters 11-12, page vs PyTorch (same rounded weights), max abs difference (target < 1e-4): "
              + ", ".join(f"{k} {v:.1e}" for k, v in worst.items()))
    print("weights and data per widget shown alone: " +
          ", ".join(f"{k} {w.weight_kb:.0f} kB" for k, w in parts.items()))


def page_weights(html_dir: Path) -> None:
    """Each built chapter: its HTML and the images it shows (the theme's shared files aside)."""
    import re

    pages = sorted((html_dir / "book").glob("*.html"))
    if not pages:
        print(f"no built book in {html_dir} (jupyter-book build . -W -n --keep-going): page weights skipped")
        return
    for page in pages:
        html = page.read_text(encoding="utf-8")
        images = {src for src in re.findall(r'<img[^>]+src="([^"]+)"', html) if not src.startswith("data:")}
        image_bytes = sum((page.parent / src).stat().st_size for src in images if (page.parent / src).exists())
        total = (page.stat().st_size + image_bytes) / 1e6
        flag = "" if total < PAGE_LIMIT_MB else f"   OVER {PAGE_LIMIT_MB} MB"
        print(f"{page.name:28} {total:5.2f} MB (HTML {page.stat().st_size / 1e6:.2f} MB + "
              f"{len(images)} images {image_bytes / 1e6:.2f} MB){flag}")


def main() -> None:
    # --new: only the widgets of chapters 11 and 12; a remaining argument: the built book's folder
    args = sys.argv[1:]
    only_new = "--new" in args
    args = [a for a in args if a != "--new"]
    digits = data.load_mnist(quiet=True)
    print(f"data: {digits.describe()}")
    if not only_new:
        models = {name: book.trained(name, digits).model.cpu().eval() for name in ("vae", "ae-2d", "vae-2d")}
        kernel_widgets(models["vae"], digits)
        page_widgets(digits, models)
    new_chapter_widgets(digits)
    page_weights(Path(args[0]) if args else ROOT / "_build" / "html")


if __name__ == "__main__":
    torch.set_num_threads(2)
    main()
