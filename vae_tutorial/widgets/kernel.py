"""Widgets for a live kernel (Jupyter, Colab, Binder): sliders that decode, interpolation, the KL
explorer. They work with ipywidgets 7.7 (Colab) and 8; their callbacks need a running kernel, so
the static book shows the kernel-free ones of ``static.py`` instead."""

from __future__ import annotations

import io

import numpy as np
import torch

from ..data import ImageData
from ..latent import class_means, decode, encodings
from ..plots import gaussian_vs_standard
from ..support.contracts import ClassIndex, ImagesAlone, Real, checked
from ..support.errors import ConfigError
from .static import SLIDER_RANGE


def _png(image: torch.Tensor, scale: int = 6) -> bytes:
    """(1, 28, 28) or (28, 28) in [0, 1] -> PNG bytes, dark ink on white, enlarged."""
    from PIL import Image

    arr = (255 * (1 - image.detach().cpu().reshape(28, 28).clamp(0, 1).numpy())).astype(np.uint8)
    img = Image.fromarray(arr, mode="L").resize((28 * scale, 28 * scale), Image.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def latent_sliders(model: ImagesAlone, data: ImageData | None = None, start: ClassIndex() = None):
    """One slider per latent dimension, decoded live into an image; with ``data``, a picker
    sets the sliders to a class's mean encoding. Returns an ipywidgets box."""
    import ipywidgets as w

    means = class_means(model, data) if data is not None else None
    sliders = [w.FloatSlider(value=0.0, min=-SLIDER_RANGE, max=SLIDER_RANGE, step=0.05,
                             description=f"z{i + 1}", continuous_update=True)
               for i in range(model.latent_dim)]
    image = w.Image(format="png", width=168, height=168)
    state = {"hold": False}

    def render(*_):
        if state["hold"]:
            return
        z = torch.tensor([[s.value for s in sliders]], dtype=torch.float32)
        image.value = _png(decode(model, z)[0])

    for s in sliders:
        s.observe(render, names="value")
    controls = list(sliders)
    if means is not None:
        picker = w.Dropdown(options=[(n, k) for k, n in enumerate(data.class_names)],
                            description="start at", value=start if start is not None else 0)

        def jump(change):
            state["hold"] = True
            for s, v in zip(sliders, means[change["new"]].tolist()):
                s.value = float(np.clip(v, -SLIDER_RANGE, SLIDER_RANGE))
            state["hold"] = False
            render()

        picker.observe(jump, names="value")
        controls.insert(0, picker)
        jump({"new": picker.value})
    else:
        render()
    return w.HBox([w.VBox(controls), image])


def interpolation(model: ImagesAlone, data: ImageData, first: ClassIndex() = 0, second: ClassIndex() = 1):
    """A slider from one chosen held-out image to another (two pickers choose the classes)."""
    import ipywidgets as w

    images, labels = data.images("test"), data.test_labels
    for k, what in ((first, "first"), (second, "second")):
        if not bool((labels == k).any()):
            raise ConfigError(f"the held-out images hold no {data.class_names[k]} ({what}={k}) to start from")
    pick = lambda k: int((labels == k).nonzero()[0])  # noqa: E731  first held-out image of class k
    options = [(n, k) for k, n in enumerate(data.class_names)]
    a = w.Dropdown(options=options, value=first, description="from")
    b = w.Dropdown(options=options, value=second, description="to")
    t = w.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.02, description="t")
    image = w.Image(format="png", width=168, height=168)

    def render(*_):
        za, zb = encodings(model, images[[pick(a.value), pick(b.value)]])
        image.value = _png(decode(model, ((1 - t.value) * za + t.value * zb)[None])[0])

    for control in (a, b, t):
        control.observe(render, names="value")
    render()
    return w.HBox([w.VBox([a, b, t]), image])


def kl_explorer(mu: Real(at_least=-3, at_most=3) = 1.0, sigma: Real(at_least=0.1, at_most=3) = 0.5):
    """Sliders for mu and sigma of one latent dimension; shows N(mu, sigma²) beside N(0, 1)
    and their KL divergence, drawn to a PNG (the same in every Jupyter front end)."""
    import ipywidgets as w
    import matplotlib.pyplot as plt

    mu_s = w.FloatSlider(value=mu, min=-3, max=3, step=0.1, description="μ")
    sigma_s = w.FloatSlider(value=sigma, min=0.1, max=3, step=0.05, description="σ")
    image = w.Image(format="png")
    # One figure, redrawn in place with fixed margins: a new figure and a "tight" bounding box
    # per move cost ~100 ms on a slow CPU, this ~60 ms.
    fig, ax = plt.subplots(figsize=(5, 3), dpi=90)
    fig.subplots_adjust(left=0.13, right=0.97, bottom=0.17, top=0.88)
    plt.close(fig)                    # shown in the widget, not again below the cell

    def render(*_):
        ax.clear()
        gaussian_vs_standard(mu_s.value, sigma_s.value, ax=ax)
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        image.value = buf.getvalue()

    mu_s.observe(render, names="value")
    sigma_s.observe(render, names="value")
    render()
    return w.VBox([w.HBox([mu_s, sigma_s]), image])


checked(globals())
