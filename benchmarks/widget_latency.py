"""How long one slider update takes: decode a latent point and encode the PNG the widget shows.

    python benchmarks/widget_latency.py        (target: under 100 ms per update on a CPU)
"""

import statistics
import time

import torch

from vae_tutorial import book, data, widgets


def main() -> None:
    digits = data.load_mnist(quiet=True)
    vae = book.trained("vae", digits).model.cpu()
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
    spec_kb = widgets.static_decoder_demo(vae).weight_kb
    print(f"latent slider update: median {statistics.median(times):.1f} ms, max {max(times):.1f} ms "
          f"({len(times)} updates; target < 100 ms)")
    print(f"KL explorer redraw:   median {statistics.median(kl_times):.1f} ms, max {max(kl_times):.1f} ms")
    print(f"in-browser decoder weights: {spec_kb:.0f} kB in the page")


if __name__ == "__main__":
    torch.set_num_threads(2)
    main()
