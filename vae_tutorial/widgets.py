"""Move through the latent space: sliders that decode, interpolation, the KL explorer.

Two kinds:

- ipywidgets (need a running kernel: Jupyter, Colab, Binder): :func:`latent_sliders`,
  :func:`interpolation`, :func:`kl_explorer`. They work with ipywidgets 7.7 (Colab) and 8.
- plain HTML + JavaScript that works in the static online book too: :func:`static_decoder_demo`
  (the decoder's weights travel inside the page) and :func:`static_kl_explorer`.
"""

from __future__ import annotations

import base64
import io
import json
import uuid

import numpy as np
import torch
from torch import nn

from .errors import ConfigError

SLIDER_RANGE = 3.0  # latent values beyond ±3 are rare under N(0, 1)


def _png(image: torch.Tensor, scale: int = 6) -> bytes:
    """(1, 28, 28) or (28, 28) in [0, 1] -> PNG bytes, dark ink on white, enlarged."""
    from PIL import Image

    arr = (255 * (1 - image.detach().cpu().reshape(28, 28).clamp(0, 1).numpy())).astype(np.uint8)
    img = Image.fromarray(arr, mode="L").resize((28 * scale, 28 * scale), Image.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


@torch.no_grad()
def class_means(model, data, split: str = "test") -> torch.Tensor:
    """(10, latent) the mean encoding of each class: where the sliders start for "a 3"."""
    from .metrics import encodings

    enc = encodings(model, data.test_images if split == "test" else data.train_images)
    labels = data.labels(split)
    return torch.stack([enc[labels == k].mean(0) for k in range(len(data.class_names))])


def latent_sliders(model, data=None, start: int | None = None):
    """One slider per latent dimension, decoded live into an image; with ``data``, a picker
    sets the sliders to a class's mean encoding. Returns an ipywidgets box."""
    import ipywidgets as w

    device = next(model.parameters()).device
    means = class_means(model, data) if data is not None else None
    sliders = [w.FloatSlider(value=0.0, min=-SLIDER_RANGE, max=SLIDER_RANGE, step=0.05,
                             description=f"z{i + 1}", continuous_update=True)
               for i in range(model.latent_dim)]
    image = w.Image(format="png", width=168, height=168)
    state = {"hold": False}

    def render(*_):
        if state["hold"]:
            return
        z = torch.tensor([[s.value for s in sliders]], dtype=torch.float32, device=device)
        with torch.no_grad():
            image.value = _png(model.decode(z)[0])

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


@torch.no_grad()
def interpolate(model, first: torch.Tensor, second: torch.Tensor, steps: int = 10) -> torch.Tensor:
    """Decode ``steps`` points on the straight line between the encodings of two images."""
    device = next(model.parameters()).device
    za, zb = model.embed(first.to(device)[None]), model.embed(second.to(device)[None])
    t = torch.linspace(0, 1, steps, device=device)[:, None]
    return model.decode((1 - t) * za + t * zb).cpu()


def interpolation(model, data, first: int = 0, second: int = 1):
    """A slider from one chosen held-out image to another (two pickers choose the classes)."""
    import ipywidgets as w

    images, labels = data.images("test"), data.test_labels
    pick = lambda k: int((labels == k).nonzero()[0])  # noqa: E731  first held-out image of class k
    options = [(n, k) for k, n in enumerate(data.class_names)]
    a = w.Dropdown(options=options, value=first, description="from")
    b = w.Dropdown(options=options, value=second, description="to")
    t = w.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.02, description="t")
    image = w.Image(format="png", width=168, height=168)
    device = next(model.parameters()).device

    def render(*_):
        with torch.no_grad():
            za = model.embed(images[pick(a.value)][None].to(device))
            zb = model.embed(images[pick(b.value)][None].to(device))
            image.value = _png(model.decode((1 - t.value) * za + t.value * zb)[0])

    for control in (a, b, t):
        control.observe(render, names="value")
    render()
    return w.HBox([w.VBox([a, b, t]), image])


def kl_explorer(mu: float = 1.0, sigma: float = 0.5):
    """Sliders for mu and sigma of one latent dimension; shows N(mu, sigma²) beside N(0, 1)
    and their KL divergence, drawn to a PNG (the same in every Jupyter front end)."""
    import ipywidgets as w
    import matplotlib.pyplot as plt

    from .plots import gaussian_vs_standard

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


# --------------------------------------------------------------------------- static page

def decoder_spec(model) -> dict:
    """The MLP decoder as plain data: a list of layers with float32 weights in base64."""
    if model.config.architecture != "mlp":
        raise ConfigError("the in-browser decoder supports MLP models only (architecture='mlp')")
    linears = [m for m in model.decoder.modules() if isinstance(m, nn.Linear)]
    layers = []
    for i, lin in enumerate(linears):
        w, b = (t.detach().cpu().numpy().astype("<f4") for t in (lin.weight, lin.bias))
        layers.append({"in": lin.in_features, "out": lin.out_features,
                       "act": "sigmoid" if i == len(linears) - 1 else "relu",
                       "w": base64.b64encode(w.tobytes()).decode(), "b": base64.b64encode(b.tobytes()).decode()})
    return {"latent": model.latent_dim, "layers": layers}


_JS = r"""
(function () {
  const spec = %(spec)s;
  const root = document.getElementById(%(id)s);
  const f32 = (b64) => { const s = atob(b64), u = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i); return new Float32Array(u.buffer); };
  const layers = spec.layers.map((L) => ({...L, W: f32(L.w), B: f32(L.b)}));
  function decode(z) {            // the same layers as the PyTorch decoder, row-major W (out x in)
    let h = Float64Array.from(z);
    for (const L of layers) {
      const o = new Float64Array(L.out);
      for (let j = 0; j < L.out; j++) {
        let s = L.B[j]; const row = j * L.in;
        for (let i = 0; i < L.in; i++) s += L.W[row + i] * h[i];
        o[j] = L.act === "relu" ? Math.max(0, s) : 1 / (1 + Math.exp(-s));
      }
      h = o;
    }
    return h;
  }
  const canvas = root.querySelector("canvas"), ctx = canvas.getContext("2d");
  const sliders = Array.from(root.querySelectorAll("input[type=range]"));
  const state = {decode, renders: 0, pixels: null};
  function draw() {
    const z = sliders.map((s) => parseFloat(s.value));
    sliders.forEach((s, i) => { s.nextElementSibling.textContent = z[i].toFixed(2); });
    const px = decode(z), img = ctx.createImageData(28, 28);
    for (let i = 0; i < 784; i++) {
      const v = Math.round(255 * (1 - px[i]));
      img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v; img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
    state.pixels = px; state.renders += 1;
  }
  sliders.forEach((s) => s.addEventListener("input", draw));
  root.querySelectorAll("button[data-start]").forEach((btn) => btn.addEventListener("click", () => {
    const start = JSON.parse(btn.dataset.start);
    sliders.forEach((s, i) => { s.value = start[i]; });
    draw();
  }));
  window.vaeDemos = window.vaeDemos || {};
  window.vaeDemos[%(id)s] = state;
  draw();
})();
"""


def _slider_row(label: str, low: float, high: float, step: float, value: float) -> str:
    return (f'<div class="vae-demo-row"><label>{label}</label><input type="range" min="{low}" '
            f'max="{high}" step="{step}" value="{value}"><output>{value:.2f}</output></div>')


def _demo_html(demo_id: str, title: str, controls: str, footnote: str, canvas: str, script: str) -> str:
    """The frame both kernel-free demos share: controls on the left, a canvas on the right."""
    return f"""
<div id="{demo_id}" class="vae-demo" style="display:flex;gap:1.5em;align-items:center;flex-wrap:wrap;
 border:1px solid #ddd;border-radius:6px;padding:0.8em;margin:0.5em 0;font-family:sans-serif;font-size:14px">
 <div>
  <div style="font-weight:bold;margin-bottom:0.4em">{title}</div>
  {controls}
  <div style="color:#666;font-size:12px;margin-top:0.4em">{footnote}</div>
 </div>
 {canvas}
</div>
<style>#{demo_id} .vae-demo-row{{display:flex;align-items:center;gap:0.5em}}
#{demo_id} input[type=range]{{width:220px}} #{demo_id} output{{width:3em;font-family:monospace}}
#{demo_id} button{{margin:1px;padding:1px 6px;font-size:12px}}</style>
<script>{script}</script>
"""


def static_decoder_demo(model, data=None, title: str = "Move the sliders: the decoder runs in your browser"):
    """Latent sliders that decode in the page itself (HTML + JavaScript, no kernel needed).

    The decoder's weights travel inside the page (float32, base64). Returns an
    ``IPython.display.HTML`` object; its ``.weight_kb`` says how much the weights add.
    """
    from IPython.display import HTML

    spec = decoder_spec(model)
    demo_id = f"vae-demo-{uuid.uuid4().hex[:8]}"
    starts = ""
    if data is not None:
        means = class_means(model, data).clamp(-SLIDER_RANGE, SLIDER_RANGE)
        starts = "".join(f'<button data-start="{json.dumps([round(v, 3) for v in m.tolist()])}" '
                         f'title="mean encoding of {n}">{n}</button>'
                         for n, m in zip(data.class_names, means))
        starts = f'<div class="vae-demo-starts">start at: {starts}</div>'
    rows = "".join(_slider_row(f"z{i + 1}", -SLIDER_RANGE, SLIDER_RANGE, 0.05, 0.0)
                   for i in range(model.latent_dim))
    spec_json = json.dumps(spec)
    weight_kb = len(spec_json) / 1024
    widths = " → ".join(str(layer["in"]) for layer in spec["layers"])
    html = _demo_html(
        demo_id, title, starts + rows,
        f"decoder {widths} → 784, weights in the page: {weight_kb:.0f} kB; no kernel needed",
        '<canvas width="28" height="28" style="width:168px;height:168px;image-rendering:pixelated;'
        'border:1px solid #ccc"></canvas>',
        _JS % {"spec": spec_json, "id": json.dumps(demo_id)})
    out = HTML(html)
    out.weight_kb = weight_kb
    out.demo_id = demo_id
    return out


_KL_JS = r"""
(function () {
  const root = document.getElementById(%(id)s);
  const canvas = root.querySelector("canvas"), ctx = canvas.getContext("2d");
  const [muSlider, sigmaSlider] = root.querySelectorAll("input[type=range]");
  const verdict = root.querySelector(".vae-kl-value");
  // the formula of losses.kl_divergence, for one latent dimension
  const kl = (mu, sigma) => 0.5 * (mu * mu + sigma * sigma - Math.log(sigma * sigma) - 1);
  const pdf = (x, m, s) => Math.exp(-0.5 * ((x - m) / s) ** 2) / (s * Math.sqrt(2 * Math.PI));
  const state = {kl, renders: 0, value: null};
  function curve(mu, sigma, top, style, fill) {
    const W = canvas.width, H = canvas.height - 20;
    ctx.beginPath(); ctx.moveTo(0, H);
    for (let px = 0; px <= W; px++) {
      const x = -5 + 10 * px / W;
      ctx.lineTo(px, H - (H - 8) * pdf(x, mu, sigma) / top);
    }
    ctx.lineTo(W, H);
    if (fill) { ctx.fillStyle = fill; ctx.fill(); }
    ctx.strokeStyle = style; ctx.lineWidth = 2; ctx.stroke();
  }
  function draw() {
    const mu = parseFloat(muSlider.value), sigma = parseFloat(sigmaSlider.value);
    muSlider.nextElementSibling.textContent = mu.toFixed(2);
    sigmaSlider.nextElementSibling.textContent = sigma.toFixed(2);
    const W = canvas.width, H = canvas.height - 20;
    ctx.clearRect(0, 0, W, canvas.height);
    const top = Math.max(pdf(0, 0, 1), pdf(mu, mu, sigma));
    ctx.setLineDash([5, 4]); curve(0, 1, top, "#888", null); ctx.setLineDash([]);
    curve(mu, sigma, top, "#9467bd", "rgba(148, 103, 189, 0.2)");
    ctx.fillStyle = "#444"; ctx.font = "11px sans-serif"; ctx.textAlign = "center";
    for (let x = -4; x <= 4; x += 2) ctx.fillText(String(x), W * (x + 5) / 10, H + 14);
    state.value = kl(mu, sigma); state.renders += 1;
    verdict.textContent = `KL = ${state.value.toFixed(2)} nats`;
  }
  [muSlider, sigmaSlider].forEach((s) => s.addEventListener("input", draw));
  window.vaeDemos = window.vaeDemos || {};
  window.vaeDemos[%(id)s] = state;
  draw();
})();
"""


def static_kl_explorer(mu: float = 1.0, sigma: float = 0.5,
                       title: str = "Move μ and σ: the KL divergence is computed in your browser"):
    """The KL explorer as HTML + JavaScript: sliders for mu and sigma, N(mu, sigma²) (purple)
    over N(0, 1) (dashed), and their KL divergence. Works in the static book (no kernel)."""
    from IPython.display import HTML

    demo_id = f"vae-kl-{uuid.uuid4().hex[:8]}"
    controls = (_slider_row("μ", -3, 3, 0.05, mu) + _slider_row("σ", 0.1, 3, 0.05, sigma) +
                '<div class="vae-kl-value" style="font-weight:bold;margin-top:0.4em"></div>')
    html = _demo_html(demo_id, title, controls, "purple: N(μ, σ²); dashed: N(0, 1); no kernel needed",
                      '<canvas width="320" height="170" style="border:1px solid #ccc;background:#fff"></canvas>',
                      _KL_JS % {"id": json.dumps(demo_id)})
    out = HTML(html)
    out.demo_id = demo_id
    return out
