"""Kernel-free widgets: HTML + JavaScript that run the book's own models in the reader's browser.

The static online book has no kernel, so these widgets carry what they need inside the page:
the weights of the encoder and decoder (rounded to int8 or float16 to keep pages light), a few
thousand held-out encodings for the latent maps, and the JavaScript of ``vae_tutorial/widgets/js/``
(weights decoding, the MLP forward pass, the drawing pad and its rasteriser, the latent map,
the widgets). The same HTML works as a Jupyter or Colab output.

- :func:`draw_digit`: draw a digit; the page encodes it (mu, sigma), decodes it, and shows
  where a 2-d VAE puts it on its latent map;
- :func:`latent_maps`: a plain autoencoder's and a VAE's 2-d latent maps side by side, each
  decoding the point under the pointer;
- :func:`decoder_sliders`: one slider per latent number, decoded live, optionally started from
  the encoding of a drawing or of a held-out image;
- :func:`kl_explorer`: N(mu, sigma^2) beside N(0, 1) and their KL divergence;
- :func:`conditional_sliders`: the conditional VAE: pick a digit, move the latent sliders, and see
  the same hand write every digit; a drawing (with its label) sets the hand;
- :func:`likelihood_pad`: draw anything and see log p(x) of the drawing under several VAEs,
  marked among the held-out images' log p(x).

Weights travel once per page: every model part (an encoder, a decoder) and every data block
has a key made from its content, and the kernel remembers which keys it has already shown;
later widgets name the key and find the data in the page's registry (``window.vaeTutorial``).
In Colab each output is a separate frame, so there every widget carries everything.

:func:`rasterize` is the reference, in numpy, of the rule the page uses to turn strokes into
the 28 x 28 image the encoder sees.
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
import json
import math
import sys
import uuid
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch import nn

from matplotlib.colors import to_hex

from ..data import ImageData
from ..latent import class_means, decode, encodings, latent_points, prior_radius, reconstruct
from ..metrics.directions import ATTRIBUTES
from ..metrics.dynamics import inside_shares, is_recording, spreads
from ..models import VAE, ConditionalVAE
from ..plots import CLASS_COLORS, DATASET_COLORS, SIGMA_COLOR
from ..support.contracts import (ClassIndex, Choice, Count, EveryClass, Is, Model, Named, Numbers, Real,
                                 Satisfies, Scores, Seed, SequenceOf, checked)
from ..support.errors import ConfigError

JS_DIR = Path(__file__).with_name("js")
# One small module per concern, in the order they build on each other; each runs in a scope of
# its own and offers what it defines on window.vaeTutorial (registry.js says how). A widget is a
# file of its own, widget-<kind>.js, that adds VT.kinds.<kind>.
JS_FILES = ("registry.js", "weights.js", "mlp.js", "likelihood.js", "raster.js", "view.js", "pad.js",
            "source.js", "latentmap.js", "widget-draw-digit.js", "widget-latent-maps.js",
            "widget-decoder-sliders.js", "widget-kl-explorer.js", "widget-conditional-sliders.js",
            "widget-likelihood-pad.js", "widget-epoch-slider.js", "widget-directions.js")
CSS_FILE = "widgets.css"

FORMATS = ("float32", "float16", "int8")
FORMAT, PART = Choice(FORMATS), Choice("encoder", "decoder")
MLP = Model("ae", "vae", "cvae", mlp=True)      # what the page can run
WITH_EVERY_CLASS = Is(ImageData) & EveryClass("test")  # the pickers show a held-out image of each class
MAX_MAP_POINTS = 10_000       # held-out encodings on a latent map (int16 each, in the page)
MAX_PAD_SAMPLES = 1_000       # log p(x) samples the page draws for every pointer move
MAX_PIXEL_ERROR = 2 / 255      # how far a rounded model's images may stray from float32's
SLIDER_RANGE = 3.0             # latent values beyond ±3 are rare under N(0, 1)
PRIOR_RING_MASS = 0.95         # the maps' dashed circle holds this share of N(0, I), as the figures'
# The page's colours are the figures' (plots.py): the same colour for the same class, and
# sigma's colour, in figures and widgets. The page reads them as VT.colors and --vae-w-sigma.
PALETTE = {"classes": [to_hex(c) for c in CLASS_COLORS], "sigma": to_hex(SIGMA_COLOR),
           "datasets": {name: to_hex(c) for name, c in DATASET_COLORS.items()}}

# --------------------------------------------------------------------------- rasterising

# The rule of raster.js (a test checks that the page uses the same numbers).
SIZE, BOX, PEN, SUB, MIN_EXTENT = 28, 20, 3.0, 4, 0.1


def rasterize(strokes: Sequence[Sequence[Sequence[float]]]) -> np.ndarray:
    """Strokes drawn on a pad -> the (28, 28) float64 image in [0, 1] the encoder sees.

    ``strokes``: lists of (x, y) points in pad units (0..1, y pointing down). MNIST's digits
    were scaled into a 20 x 20 box, keeping their aspect ratio, and centred in 28 x 28 by their
    centre of mass. So here:

    1. the points are scaled so the drawing's longer side spans ``BOX - PEN`` pixels (the pen
       adds its width: the ink fills ``BOX`` pixels) and its bounding box is centred; a drawing
       smaller than ``MIN_EXTENT`` of the pad is scaled as if it were that large;
    2. a round pen ``PEN`` pixels wide is swept along the strokes; each pixel's ink is the
       average over ``SUB x SUB`` sample points, each inked by its distance to the strokes with
       a soft edge one sample wide;
    3. the image is shifted by whole pixels so its centre of mass lands in the middle.

    Because the strokes are scaled before they are inked, the pen is as wide as MNIST's
    whatever the size the reader draws at.
    """
    n, s = SIZE, SUB
    m = n * s
    strokes = [np.asarray(st, dtype=np.float64).reshape(-1, 2) for st in strokes if len(st)]
    image = np.zeros((n, n))
    if not strokes:
        return image
    points = np.concatenate(strokes)
    (x0, y0), (x1, y1) = points.min(0), points.max(0)
    scale = (BOX - PEN) / max(x1 - x0, y1 - y0, MIN_EXTENT)
    cx, cy, half = (x0 + x1) / 2, (y0 + y1) / 2, PEN / 2
    reach = half + 1 / s                     # samples farther from every stroke get no ink
    d2 = np.full((m, m), np.inf)             # squared distance of each sample to the strokes
    for st in strokes:
        p = np.stack([(st[:, 0] - cx) * scale + n / 2, (st[:, 1] - cy) * scale + n / 2], 1)
        for k in range(max(len(p) - 1, 1)):  # a single point is a segment of length 0
            (ax, ay), (bx, by) = p[k], p[min(k + 1, len(p) - 1)]
            dx, dy = bx - ax, by - ay
            len2 = dx * dx + dy * dy
            # the samples within reach (sample a sits at (a + 0.5) / s pixels)
            c0 = max(0, math.floor((min(ax, bx) - reach) * s - 0.5))
            c1 = min(m - 1, math.ceil((max(ax, bx) + reach) * s - 0.5))
            r0 = max(0, math.floor((min(ay, by) - reach) * s - 0.5))
            r1 = min(m - 1, math.ceil((max(ay, by) + reach) * s - 0.5))
            if c1 < c0 or r1 < r0:
                continue
            sy = ((np.arange(r0, r1 + 1) + 0.5) / s)[:, None]
            sx = ((np.arange(c0, c1 + 1) + 0.5) / s)[None, :]
            t = ((sx - ax) * dx + (sy - ay) * dy) / len2 if len2 > 0 else np.zeros((1, 1))
            t = np.minimum(1, np.maximum(0, t))
            ex, ey = ax + t * dx - sx, ay + t * dy - sy
            window = d2[r0:r1 + 1, c0:c1 + 1]
            np.minimum(window, ex * ex + ey * ey, out=window)
    ink = np.clip((half - np.sqrt(d2)) * s + 0.5, 0, 1)
    raw = ink.reshape(n, s, n, s).mean(axis=(1, 3))
    total = raw.sum()
    if total == 0:
        return image
    centres = np.arange(n) + 0.5
    my, mx = raw.sum(1) @ centres / total, raw.sum(0) @ centres / total
    sy, sx = math.floor(n / 2 - my + 0.5), math.floor(n / 2 - mx + 0.5)
    image[max(0, sy):n + min(0, sy), max(0, sx):n + min(0, sx)] = \
        raw[max(0, -sy):n - max(0, sy), max(0, -sx):n - max(0, sx)]
    return image


# --------------------------------------------------------------------------- weights

def _b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode()


def mlp_layers(model: MLP, part: PART) -> list[tuple[torch.Tensor, torch.Tensor, str]]:
    """The layers of an MLP model's ``part`` ("encoder" or "decoder") as the page runs them:
    (weight (out, in), bias (out,), activation) in order. The activation is "relu", "none" (the
    encoder's last layer: z, or mu and log-variance stacked as one layer of 2 x latent outputs)
    or "sigmoid" (the decoder's last: ``decode`` applies it)."""
    if part == "encoder":
        heads = [model.fc_mu, model.fc_logvar] if hasattr(model, "fc_mu") else [model.fc_z]
        modules = [m for m in model.encoder.modules() if not list(m.children())]
    else:
        heads, modules = [], [m for m in model.decode_logits.modules() if not list(m.children())]
    layers = []
    for module in modules:
        if isinstance(module, nn.Linear):
            layers.append([module.weight.detach(), module.bias.detach(), "none"])
        elif isinstance(module, nn.ReLU) and layers:
            layers[-1][2] = "relu"
        elif not isinstance(module, (nn.Flatten, nn.Unflatten)):
            raise ConfigError(f"the in-browser widgets cannot run a {type(module).__name__} layer")
    if heads:   # the VAE's two heads read the same hidden layer: one layer with both outputs
        layers.append([torch.cat([h.weight.detach() for h in heads]),
                       torch.cat([h.bias.detach() for h in heads]), "none"])
    if part == "decoder":
        layers[-1][2] = "sigmoid"
    return [tuple(layer) for layer in layers]


def round_weights(weight: Is(np.ndarray, lambda w: w.ndim == 2 and w.dtype.kind == "f", "a 2-d array of float weights"),
                  fmt: FORMAT) -> tuple[dict, np.ndarray]:
    """(out, in) float32 weights -> (what the page stores, the float32 weights it rebuilds).

    float16: every weight rounded to half precision. int8: each row scaled by its largest
    magnitude / 127 and rounded, w = q * scale with one float32 scale per row."""
    w = np.asarray(weight, dtype=np.float32)
    if fmt == "float32":
        return {"w": _b64(w.astype("<f4"))}, w
    if fmt == "float16":
        half = w.astype("<f2")
        return {"w": _b64(half)}, half.astype(np.float32)
    scale = (np.abs(w).max(axis=1) / 127).astype(np.float32)                # int8
    scale[scale == 0] = 1
    q = np.clip(np.round(w / scale[:, None]), -127, 127).astype(np.int8)
    # float32 * float32 rounds exactly as the page's Float32Array does
    return {"w": _b64(q), "scale": _b64(scale.astype("<f4"))}, q.astype(np.float32) * scale[:, None]


def net_spec(model: MLP, part: PART, fmt: FORMAT = "int8") -> list[dict]:
    """The encoder or decoder as the page receives it: one dict per Linear layer
    ({in, out, act, format, w, b[, scale]}, arrays little-endian in base64)."""
    spec = []
    for weight, bias, act in mlp_layers(model, part):
        stored, _ = round_weights(weight.cpu().numpy(), fmt)
        spec.append({"in": weight.shape[1], "out": weight.shape[0], "act": act,
                     "format": fmt, **stored, "b": _b64(bias.cpu().numpy().astype("<f4"))})
    return spec


def rounded(model: MLP, fmt: FORMAT):
    """A copy of ``model`` whose Linear weights are exactly those the page rebuilds from ``fmt``."""
    copy_ = copy.deepcopy(model).cpu().eval()
    for linear in (m for m in copy_.modules() if isinstance(m, nn.Linear)):
        _, w = round_weights(linear.weight.detach().numpy(), fmt)
        linear.weight.data = torch.from_numpy(w)
    return copy_


@torch.no_grad()
def rounding_error(model: Model("ae", "vae", mlp=True), data: ImageData, fmt: FORMAT,
                   n: Count(1, MAX_MAP_POINTS) = 1000, seed: Seed = 0) -> dict:
    """How far the images of the model rounded to ``fmt`` stray from the float32 model's, in
    [0, 1] pixel units: the largest difference over ``n`` held-out reconstructions
    ("reconstruction") and over the decodes of ``n`` points from N(0, I) ("decoded"); and the
    largest difference of the encodings ("encoding", mu for a VAE)."""
    model, twin = rounded(model, "float32"), rounded(model, fmt)   # CPU copies: the caller's stays
    x = data.images("test", n)
    z = latent_points(model.latent_dim, n, seed)
    return {"reconstruction": (reconstruct(model, x) - reconstruct(twin, x)).abs().max().item(),
            "decoded": (decode(model, z) - decode(twin, z)).abs().max().item(),
            "encoding": (encodings(model, x) - encodings(twin, x)).abs().max().item()}


def pick_format(model: Model("ae", "vae", mlp=True), data: ImageData | None = None) -> str:
    """The smallest format whose images stay within MAX_PIXEL_ERROR of the float32 model's:
    int8, else float16, else float32 (float16 without data to check against). The book's
    models need float16: int8 with per-row scales puts their images 5 to 20 grey levels off."""
    if data is None:
        return "float16"
    for fmt in ("int8", "float16"):
        error = rounding_error(model, data, fmt)
        if max(error["reconstruction"], error["decoded"]) <= MAX_PIXEL_ERROR:
            return fmt
    return "float32"


# --------------------------------------------------------------------------- page registry

_ON_PAGE: dict[str, tuple] = {}   # key -> (cell id, message id) of the output that carried it


def forget() -> None:
    """Forget which weights this kernel has shown: the next widget carries all it needs
    (call it if the output that carried a model's weights was cleared)."""
    _ON_PAGE.clear()


def _execution() -> tuple:
    """(cell id, message id) of the cell being run, where the front end says (JupyterLab and
    Notebook 7 send the cell id); (None, None) outside a kernel."""
    try:
        from IPython import get_ipython
        shell = get_ipython()
        parent = shell.get_parent() if hasattr(shell, "get_parent") else getattr(shell, "parent_header", {})
    except Exception:  # no IPython, or a shell without a parent message
        return None, None
    parent = parent or {}
    return (parent.get("metadata") or {}).get("cellId"), (parent.get("header") or {}).get("msg_id")


def _needs_carrying(key: str) -> bool:
    """True the first time this kernel shows ``key``, and again when the cell that carried it
    runs again (its old output, and the weights in it, are gone)."""
    if "google.colab" in sys.modules:         # Colab: every output is its own page
        return True
    here = _execution()
    seen = _ON_PAGE.get(key)
    if seen is None or (here[0] is not None and seen[0] == here[0] and seen[1] != here[1]):
        _ON_PAGE[key] = here
        return True
    return False


@functools.lru_cache(maxsize=1)
def bundle() -> tuple[str, str]:
    """(version, JavaScript): the modules of js/, the palette and the stylesheet as one script
    that defines ``window.vaeTutorial`` once per page (a page that has this version already
    skips it). Each module runs in a function scope of its own, so the files share nothing but
    ``window.vaeTutorial`` (``VT``)."""
    try:
        parts = [(name, (JS_DIR / name).read_text(encoding="utf-8")) for name in JS_FILES]
        css = (f".vae-w {{ --vae-w-sigma: {PALETTE['sigma']}; }}\n"
               + (JS_DIR / CSS_FILE).read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"the widgets' JavaScript cannot be read from the installed package "
                          f"({err.strerror or err}: {err.filename}); reinstall vae-tutorial") from None
    palette = _json(PALETTE)
    version = hashlib.sha1("".join(text for _, text in parts).encode()
                           + css.encode() + palette.encode()).hexdigest()[:12]
    body = "\n".join(f"// ---- {name}\n(function (VT) {{\n\"use strict\";\n{text}}})(VT);"
                     for name, text in parts)
    js = ("(function () {\n\"use strict\";\n"
          "var VT = window.vaeTutorial = window.vaeTutorial || {queue: []};\n"
          f"if (VT.version === \"{version}\") return;\nVT.colors = {palette};\n{body}\n"
          f"VT.version = \"{version}\";\nVT.style({_json(css)});\nVT.start();\n}})();")
    return version, js


def _json(value) -> str:
    """JSON that is safe inside <script> (no "</script>" can end it early)."""
    return json.dumps(value, separators=(",", ":")).replace("</", "<\\/")


def _key(name: str, payload) -> str:
    return f"{name}:{hashlib.sha1(_json(payload).encode()).hexdigest()[:10]}"


_PUSH = "(window.vaeTutorial=window.vaeTutorial||{queue:[]}).queue.push"
_NO_SCRIPT = ("An interactive widget: it runs in the online book, and in Jupyter or Colab once "
              "the notebook is trusted. No kernel is needed.")


class StaticWidget:
    """A kernel-free widget: shows itself as HTML in Jupyter, Colab and the built book.

    ``items``: (type, key, payload) entries the page registry receives ("net" or "data").
    ``html(standalone=True)`` gives HTML that carries everything (for a page of its own);
    showing the widget in a notebook carries only what this kernel has not shown yet."""

    def __init__(self, kind: str, options: dict, items: list[tuple[str, str, object]]) -> None:
        self.kind, self.options, self.items = kind, options, items
        self.root_id = f"vae-{kind}-{uuid.uuid4().hex[:8]}"
        self.options["needs"] = [key for _, key, _ in items]

    @property
    def weight_kb(self) -> float:
        """kB the weights and data add to a page that shows only this widget."""
        return sum(len(_json(payload)) for _, _, payload in self.items) / 1024

    def html(self, standalone: bool = False) -> str:
        carry = (lambda key: True) if standalone else _needs_carrying
        version, js = bundle()
        scripts = [f"<script>{_PUSH}({_json([t, key, payload])});</script>"
                   for t, key, payload in self.items if carry(key)]
        if carry(f"js:{version}"):
            scripts.append(f"<script>{js}</script>")
        scripts.append(f"<script>{_PUSH}({_json(['widget', self.kind, self.root_id, self.options])});</script>")
        return (f'<div id="{self.root_id}" class="vae-w vae-w-{self.kind}">'
                f'<div class="vae-w-note">{_NO_SCRIPT}</div></div>\n' + "\n".join(scripts))

    def _repr_html_(self) -> str:
        return self.html()

    def __repr__(self) -> str:
        return f"<{self.kind} widget: {self.weight_kb:.0f} kB of weights and data>"


# --------------------------------------------------------------------------- the widgets

def _kind(model) -> str:
    """"cvae", "vae" or "ae": what the page calls a model."""
    return "cvae" if isinstance(model, ConditionalVAE) else "vae" if isinstance(model, VAE) else "ae"


def _net_item(model, part: str, fmt: str) -> tuple[str, str, list]:
    spec = net_spec(model, part, fmt)
    name = f"{_kind(model)}{model.latent_dim}d-{part}"
    return ("net", _key(name, spec), spec)


def _data_item(name: str, payload: dict) -> tuple[str, str, dict]:
    return ("data", _key(name, payload), payload)


def _sizes(model, part: str) -> str:
    layers = mlp_layers(model, part)
    return " → ".join([str(layers[0][0].shape[1])] + [str(w.shape[0]) for w, _, _ in layers])


def _points(model, data, n: int, seed: int) -> tuple[tuple, float]:
    """Held-out encodings of a 2-d model (at most ``n``, int16 in the page) and the half-width
    of a square map around the origin that shows nearly all of them."""
    labels = data.test_labels.numpy()
    idx = np.arange(len(labels))
    if len(idx) > n:
        idx = np.sort(np.random.default_rng(seed).choice(idx, n, replace=False))
    pts = encodings(model, data.images("test")[idx]).numpy()
    scale = float(np.abs(pts).max()) / 32767 or 1.0
    item = _data_item(f"{_kind(model)}2d-points", {
        "points": {"dtype": "int16", "scale": scale, "b64": _b64(np.round(pts / scale).astype("<i2"))},
        "labels": {"dtype": "uint8", "b64": _b64(labels[idx].astype(np.uint8))}})
    limit = max(2.5, 1.1 * float(np.quantile(np.abs(pts), 0.995)))
    return item, float(f"{limit:.2g}")


def _format_note(formats: dict, items) -> str:
    kb = sum(len(_json(p)) for t, _, p in items if t == "net") / 1024
    kinds = sorted(set(formats.values()))
    return f"weights in the page: {kb:.0f} kB ({' and '.join(kinds)}); no kernel needed"


def draw_digit(vae: Model("vae", mlp=True), data: WITH_EVERY_CLASS,
               map_vae: Model("vae", latent_dim=2, mlp=True) = None, *, fmt: FORMAT = None, title: str = "Draw a digit: the encoder runs in your browser") -> StaticWidget:
    """A drawing pad whose strokes become a 28 x 28 image (:func:`rasterize`), encoded by
    ``vae`` in the page: its mu and sigma as bars, and the image decoded from mu. With
    ``map_vae`` (a VAE with a 2-d latent space), the encoded Gaussian of that model is drawn
    as a point and a one-sigma ellipse on its map of held-out encodings. Buttons encode a
    held-out image of each class instead (the keyboard's way in).

    ``fmt``: the weights' format in the page ("int8", "float16", "float32"); by default int8
    where it keeps the images within 2/255 of the float32 model's, else float16."""
    formats = {"vae": fmt or pick_format(vae, data)}
    items = [_net_item(vae, "encoder", formats["vae"]), _net_item(vae, "decoder", formats["vae"]),
             _examples([data])[0]]
    options = {"title": title, "encoder": items[0][1], "decoder": items[1][1],
               "latent": vae.latent_dim, "examples": items[2][1],
               "names": list(data.class_names)}
    if map_vae is not None:
        formats["map"] = fmt or pick_format(map_vae, data)
        points, limit = _points(map_vae, data, 2000, seed=0)
        encoder = _net_item(map_vae, "encoder", formats["map"])
        items += [encoder, points]
        options["map"] = {"encoder": encoder[1], "points": points[1], "limit": limit,
                          "ring": round(prior_radius(2, PRIOR_RING_MASS), 4),
                          "label": "2-d VAE", "caption": "where a 2-d VAE puts it: mu (dot) and "
                          "mu ± sigma (ellipse) over held-out digits"}
    options["note"] = (f"encoder {_sizes(vae, 'encoder')}, decoder {_sizes(vae, 'decoder')}; "
                       + _format_note(formats, items))
    return StaticWidget("drawDigit", options, items)


def latent_maps(ae: Model("ae", latent_dim=2, mlp=True), vae: Model("vae", latent_dim=2, mlp=True),
                data: ImageData, *, n_points: Count(1, MAX_MAP_POINTS) = 2000, fmt: FORMAT = None,
                titles: tuple[str, str] = ("plain autoencoder", "VAE (mu)"),
                title: str = "Point anywhere on the two maps: each decodes the point under the pointer"
                ) -> StaticWidget:
    """Two 2-d latent maps side by side (``ae`` and ``vae``, both with latent_dim=2): held-out
    encodings as coloured points, and under the pointer the image each decoder makes of exactly
    that point, computed in the page. Click to pin a point; arrow keys move it."""
    items, maps, formats = [], [], {}
    for model, label in ((ae, titles[0]), (vae, titles[1])):
        formats[label] = fmt or pick_format(model, data)
        points, limit = _points(model, data, n_points, seed=0)
        decoder = _net_item(model, "decoder", formats[label])
        items += [decoder, points]
        maps.append({"label": label, "decoder": decoder[1], "points": points[1], "limit": limit,
                     "ring": round(prior_radius(2, PRIOR_RING_MASS), 4)})
    note = (f"{n_points if len(data.test_labels) > n_points else len(data.test_labels):,} held-out "
            f"encodings; the maps' scales differ (±{maps[0]['limit']:g} and ±{maps[1]['limit']:g}); "
            f"dashed circle: radius {prior_radius(2, PRIOR_RING_MASS):.2f} around the origin, where "
            f"{PRIOR_RING_MASS:.0%} of N(0, I)'s points fall (as in the figures); "
            + _format_note(formats, items))
    options = {"title": title, "maps": maps, "names": list(data.class_names), "note": note}
    return StaticWidget("latentMaps", options, items)


def frames(epochs: Count(1), most: Count(10) = 20) -> list[int]:
    """The epochs (from 1) a page shows of a run of ``epochs``: every one when they are at most
    ``most``, else epochs 1 to 10 (where most happens) and then evenly spaced ones to the last."""
    if epochs <= most:
        return list(range(1, epochs + 1))
    return list(range(1, 11)) + sorted({round(e) for e in np.linspace(10, epochs, most - 9)[1:]})


# a trained run as book.trained gives it for a recipe of book.RECORDED with a 2-d latent space
RECORDED_2D = Satisfies(lambda t: is_recording(getattr(t, "recording", None)) and t.recording.codes.shape[-1] == 2,
                        "a trained 2-d model with its recording (book.trained('ae-2d') or "
                        "book.trained('vae-2d'))")


def epoch_slider(ae: RECORDED_2D, vae: RECORDED_2D, data: Is(ImageData), *, most: Count(10) = 20,
                 titles: tuple[str, str] = ("plain autoencoder", "VAE (mu)"),
                 title: str = "Drag through the epochs: the two maps as they form") -> StaticWidget:
    """Watch two 2-d models learn, side by side: ``ae`` and ``vae`` are trained runs with a
    recording (``book.trained("ae-2d")``, ``book.trained("vae-2d")``). One slider moves through
    the epochs (every epoch, or :func:`frames` of them); for each model the page shows where its
    recorded training digits' codes lie after that epoch (the map, with the circle where random
    points fall), the fixed random latent points decoded and the first training digit of each
    class rebuilt, and the codes' spread and share inside the circle. No model runs in the page:
    every epoch's pictures travel in it (uint8), so the weights of every epoch need not."""
    recordings = [ae.recording, vae.recording]
    epochs = {len(r.epochs) for r in recordings}
    if len(epochs) != 1:
        raise ConfigError(f"epoch_slider needs two runs of the same length, got "
                          f"{' and '.join(str(len(r.epochs)) for r in recordings)} epochs")
    shown = frames(epochs.pop(), most)
    idx = [e - 1 for e in shown]
    items, models = [], []
    for r, label in zip(recordings, titles):
        codes = r.codes[idx].numpy()
        scale = float(np.abs(codes).max()) / 32767 or 1.0
        item = _data_item(f"{label}-epochs", {
            "codes": {"dtype": "int16", "scale": scale, "b64": _b64(np.round(codes / scale).astype("<i2"))},
            "labels": {"dtype": "uint8", "b64": _b64(r.labels.numpy().astype(np.uint8))},
            "decoded": {"dtype": "uint8", "b64": _b64(r.decoded[idx].numpy())},
            "rebuilt": {"dtype": "uint8", "b64": _b64(r.rebuilt[idx].numpy())}})
        items.append(item)
        limit = max(2.5, 1.1 * float(np.quantile(np.abs(codes), 0.995)))
        models.append({"label": label, "data": item[1], "limit": float(f"{limit:.2g}"),
                       "spread": [round(v, 2) for v in spreads(r)[idx].tolist()],
                       "inside": [round(v, 3) for v in inside_shares(r)[idx].tolist()]})
    r = recordings[0]
    options = {"title": title, "epochs": shown, "of": len(r.epochs), "models": models,
               "ring": round(prior_radius(2, PRIOR_RING_MASS), 4), "names": list(data.class_names),
               "points": len(r.z), "digits": len(r.digits), "codes": len(r.labels)}
    kb = sum(len(_json(p)) for _, _, p in items) / 1024
    options["note"] = (f"{len(r.labels):,} training digits' codes, {len(r.z)} random latent points and "
                       f"{len(r.digits)} training digits, as recorded after "
                       + (f"each of the {len(shown)} epochs" if len(shown) == len(r.epochs)
                          else f"{len(shown)} of the {len(r.epochs)} epochs (1 to 10, then "
                               f"evenly spaced to the last)")
                       + f"; each map keeps its scale through the epochs (±{models[0]['limit']:g} and "
                       f"±{models[1]['limit']:g}); dashed circle: where {PRIOR_RING_MASS:.0%} of "
                       f"N(0, I)'s points fall; {kb:.0f} kB of pictures in the page; no kernel needed")
    return StaticWidget("epochSlider", options, items)


def decoder_sliders(model: Model("ae", "vae", mlp=True), data: WITH_EVERY_CLASS = None, *,
                    draw: bool | None = None, examples: bool | None = None, start: ClassIndex() = None,
                    fmt: FORMAT = None,
                    title: str = "Move the sliders: the decoder runs in your browser") -> StaticWidget:
    """One slider per latent number, decoded in the page. With ``data``: buttons jump to each
    class's mean encoding, and (``examples``, on by default) the page's encoder can start the
    sliders at the encoding of a held-out image; ``draw`` (on by default for digits) adds a
    pad whose drawing is encoded the same way. ``start``: the class the sliders start at."""
    fmt = fmt or pick_format(model, data)
    items = [_net_item(model, "decoder", fmt)]
    options = {"title": title, "decoder": items[0][1], "latent": model.latent_dim,
               "range": SLIDER_RANGE, "starts": [], "start": start, "draw": False}
    if data is not None:
        means = class_means(model, data).clamp(-SLIDER_RANGE, SLIDER_RANGE)
        options["starts"] = [{"name": name, "z": [round(v, 3) for v in m.tolist()]}
                             for name, m in zip(data.class_names, means)]
        options["names"] = list(data.class_names)
        draw = data.name == "mnist" if draw is None else draw
        examples = True if examples is None else examples
        if draw or examples:
            encoder = _net_item(model, "encoder", fmt)
            items.append(encoder)
            options["encoder"], options["draw"] = encoder[1], bool(draw)
        if examples:
            items.append(_examples([data])[0])
            options["examples"] = items[-1][1]
    elif draw or examples:
        raise ConfigError("decoder_sliders needs data (held-out images) to draw or pick examples")
    parts = ("encoder " + _sizes(model, "encoder") + ", ") if "encoder" in options else ""
    options["note"] = f"{parts}decoder {_sizes(model, 'decoder')}; " + _format_note({"m": fmt}, items)
    return StaticWidget("decoderSliders", options, items)


def direction_sliders(model: Model("ae", "vae", mlp=True), data: WITH_EVERY_CLASS,
                      directions: Named(Numbers("model.latent_dim"), what="name -> direction (latent,)"),
                      *, reach: Real(above=0) = 1.0, start: ClassIndex() = 3, draw: bool | None = None,
                      fmt: FORMAT = None,
                      title: str = "Steer a digit: add a direction to its code, in your browser"
                      ) -> StaticWidget:
    """Add directions found from data (``directions``: name -> (latent,) vector, e.g.
    ``metrics.direction(vae, digits, "thickness")``) to the code (mu) of a held-out digit, one
    slider per direction from -``reach`` to ``reach`` times it, and see the decoder's picture of
    the moved code beside the digit's reconstruction, with each attribute of ``metrics.ATTRIBUTES``
    measured on both (the page measures them as the package does). ``start``: the class of the
    held-out digit shown first; ``draw`` (on for digits): a pad to steer a drawing instead."""
    fmt = fmt or pick_format(model, data)
    items = [_net_item(model, "encoder", fmt), _net_item(model, "decoder", fmt), _examples([data])[0]]
    options = {"title": title, "encoder": items[0][1], "decoder": items[1][1], "examples": items[2][1],
               "names": list(data.class_names), "start": int(start), "reach": float(reach),
               "draw": data.name == "mnist" if draw is None else bool(draw),
               "directions": [{"name": name, "v": [round(x, 5) for x in v.tolist()]}
                              for name, v in directions.items()],
               "attributes": [name for name in ATTRIBUTES]}
    options["note"] = (f"encoder {_sizes(model, 'encoder')}, decoder {_sizes(model, 'decoder')}; "
                       "thickness: the ink, the sum of the pixels (0 to 1 each); slant: pixels right "
                       "per pixel up, from the ink's second moments; " + _format_note({"m": fmt}, items))
    return StaticWidget("directionSliders", options, items)


def kl_explorer(mu: float = 1.0, sigma: Real(above=0) = 0.5,
                title: str = "Move μ and σ: the KL divergence is computed in your browser") -> StaticWidget:
    """Sliders for mu and sigma of one latent dimension: N(mu, sigma²) (solid) over N(0, 1)
    (dashed) and their KL divergence, the formula of losses.kl_divergence, in the page."""
    return StaticWidget("klExplorer", {"title": title, "mu": mu, "sigma": sigma}, [])


def conditional_sliders(cvae: Model("cvae"), data: WITH_EVERY_CLASS, *, start: ClassIndex() = 7,
                        fmt: FORMAT = None,
                        title: str = "Ask for a digit: the conditional VAE runs in your browser"
                        ) -> StaticWidget:
    """The conditional VAE in the page: buttons choose the digit asked for, one slider per latent
    number sets the hand, and a row shows that hand writing every digit. A drawing (or a held-out
    digit), encoded with the label the reader gives it, moves the sliders to its mu: the reader's
    own hand, every digit. ``start``: the digit asked for at first."""
    fmt = fmt or _pick_format_conditional(cvae, data)
    items = [_net_item(cvae, "encoder", fmt), _net_item(cvae, "decoder", fmt), _examples([data])[0]]
    options = {"title": title, "encoder": items[0][1], "decoder": items[1][1],
               "examples": items[2][1], "latent": cvae.latent_dim, "range": SLIDER_RANGE,
               "names": list(data.class_names), "start": int(start)}
    options["note"] = (f"encoder {_sizes(cvae, 'encoder')} (pixels and label), decoder "
                       f"{_sizes(cvae, 'decoder')} (latent numbers and label); "
                       + _format_note({"m": fmt}, items))
    return StaticWidget("conditionalSliders", options, items)


@torch.no_grad()
def _pick_format_conditional(cvae, data, n: int = 1000, seed: int = 0) -> str:
    """:func:`pick_format` for the conditional VAE: its decoder's images of ``n`` random latent
    points, each under a label (``n`` cycles through them), within MAX_PIXEL_ERROR of float32's."""
    z = latent_points(cvae.latent_dim, n, seed)
    labels = torch.arange(n) % len(data.class_names)
    exact = decode(rounded(cvae, "float32"), z, labels)
    for fmt in ("int8", "float16"):
        if (decode(rounded(cvae, fmt), z, labels) - exact).abs().max() <= MAX_PIXEL_ERROR:
            return fmt
    return "float32"


def _examples(datasets: Sequence) -> tuple[tuple[str, str, dict], list[str]]:
    """The first held-out image of each class of each data set, as one picker (labels run on
    from one data set to the next), and the names of all those classes."""
    images, names = [], []
    for d in datasets:
        labels = d.test_labels.numpy()
        first = [int(np.flatnonzero(labels == k)[0]) for k in range(len(d.class_names))]
        images.append(d.test_images[first].numpy().astype(np.uint8))
        names += list(d.class_names)
    item = _data_item("+".join(d.name for d in datasets) + "-examples", {
        "images": {"dtype": "uint8", "b64": _b64(np.concatenate(images))},
        "labels": {"dtype": "uint8", "b64": _b64(np.arange(len(names), dtype=np.uint8))}})
    return item, names


def likelihood_pad(models: Named(Model("vae", mlp=True), what="name -> VAE") & Satisfies(
                       lambda models: len({m.latent_dim for m in models.values()}) == 1,
                       "VAEs of one latent size (they share the noise)"),
                   log_px: Named(Scores(), what="model name -> {set: log p(x)}", keys_of="models"),
                   datasets: SequenceOf(WITH_EVERY_CLASS, least=0, hint="a list, even of one: [data]") = (),
                   *, k: Count(1, MAX_PAD_SAMPLES) = 8, seed: Seed = 0, fmt: FORMAT = "int8",
                   title: str = "Draw anything: how likely does each model find it?") -> StaticWidget:
    """A drawing pad, and under it, for every VAE of ``models`` (name -> VAE), the importance-
    sampled estimate of log p(x) of the drawing (``likelihood.importance_sampled_log_likelihood``
    with ``k`` samples whose noise is drawn once from ``seed``, so a drawing always gets the same
    number; 8 by default, few enough that a pointer move is answered within a frame), its
    reconstruction, and where it falls among the held-out images' log p(x) (``log_px``: model ->
    {data set -> (N,)}, as ``metrics.log_likelihoods`` gives). Buttons score the first held-out
    picture of each class of ``datasets`` instead.

    ``fmt``: the weights' format in the page. int8 by default: two VAEs in float16 would fill a
    page's 2.5 MB on their own; int8 moves held-out log p(x) by a few nats at most, far less
    than the spread the histograms show."""
    dim = next(iter(models.values())).latent_dim
    eps = torch.randn((k, dim), generator=torch.Generator().manual_seed(seed))
    items, entries = [], []
    for name, model in models.items():
        encoder, decoder = _net_item(model, "encoder", fmt), _net_item(model, "decoder", fmt)
        values = {s: v.numpy().astype(np.float32) for s, v in log_px[name].items()}
        scores = _data_item(f"log-px-{name}", {s: {"dtype": "float32", "b64": _b64(v.astype("<f4"))}
                                                for s, v in values.items()})
        items += [encoder, decoder, scores]
        entries.append({"label": name, "encoder": encoder[1], "decoder": decoder[1],
                        "scores": scores[1], "sets": list(values)})
    options = {"title": title, "models": entries, "eps": eps.tolist(), "examples": None, "names": []}
    if datasets:
        examples, names = _examples(datasets)
        items.append(examples)
        options["examples"], options["names"] = examples[1], names
    first = next(iter(models.values()))
    options["note"] = (f"log p(x): the importance-sampled estimate with K = {k} fixed samples; "
                       f"each model: encoder {_sizes(first, 'encoder')}, decoder "
                       f"{_sizes(first, 'decoder')}; " + _format_note({"m": fmt}, items))
    return StaticWidget("likelihoodPad", options, items)


checked(globals())
