// widgets.js: the kernel-free widgets, each a function (root, options) -> a handle.
//
// options name the nets and data they use by registry key (see registry.js); web.py builds
// them. Handles expose the pieces the tests check (encode, decode, the last image, timings).
const V = VT.view;
VT.WARM_UP = [[0.3, 0.3], [0.7, 0.5], [0.4, 0.8]];   // a stroke to run once at load

function vtTitle(text) {
  return V.el("div", {class: "vae-w-title", text});
}

function vtFoot(text) {
  return V.el("div", {class: "vae-w-foot", text});
}

// the width the widget may use (an output area, a book column or a phone screen)
function vtRoom(root) {
  return Math.max(260, root.clientWidth || (root.parentNode && root.parentNode.clientWidth) || 600);
}

function vtSlider(label, low, high, step, value, onInput) {
  const input = V.el("input", {type: "range", min: low, max: high, step, value,
                               "aria-label": label});
  const out = V.el("output", {text: Number(value).toFixed(2)});
  input.addEventListener("input", () => {
    out.textContent = Number(input.value).toFixed(2);
    onInput();
  });
  return {row: V.el("label", {class: "vae-w-slider"},
                    [V.el("span", {text: label}), input, out]), input, out};
}

function vtButton(text, onClick, attrs) {
  const button = V.el("button", Object.assign({type: "button", text}, attrs || {}));
  button.addEventListener("click", onClick);
  return button;
}

// held-out examples as buttons, each with its picture (keyboard users' way in, and the
// clothes chapter's garment picker)
function vtExamples(key, names, onPick) {
  const data = VT.datum(key), row = V.el("div", {class: "vae-w-buttons"}), shown = [];
  Array.from(data.labels).forEach((label, i) => {
    const pixels = Float64Array.from(data.images.subarray(784 * i, 784 * (i + 1)), (v) => v / 255);
    const thumb = V.digitCanvas(28, "");
    thumb.setAttribute("aria-hidden", "true");
    shown.push([thumb, pixels]);
    const button = vtButton(names[label], () => onPick(pixels, names[label]),
                            {title: "encode this held-out " + names[label], class: "vae-w-example"});
    button.prepend(thumb);
    row.append(button);
  });
  const paint = () => shown.forEach(([thumb, pixels]) => V.showDigit(thumb, pixels));
  paint();
  VT.onTheme(() => { if (!row.isConnected) return false; paint(); });
  return row;
}

function vtTimed(timings, work) {
  const start = performance.now();
  const result = work();
  timings.push(performance.now() - start);
  if (timings.length > 1000) timings.shift();
  return result;
}

// 1. Draw a digit: the encoder runs on the drawing; mu and sigma, the reconstruction and,
//    with a 2-d VAE, the encoded Gaussian on its latent map.
VT.kinds.drawDigit = function (root, o) {
  const room = vtRoom(root), encoder = VT.net(o.encoder), decoder = VT.net(o.decoder);
  const big = Math.min(112, Math.floor((room - 40) / 4));
  const handle = {timings: [], image: new Float64Array(784), mu: null, sigma: null,
                  map: null, source: "drawing", updates: 0};
  const seen = V.digitCanvas(big, "the 28 by 28 image the encoder sees");
  const rebuilt = V.digitCanvas(big, "the decoder's reconstruction");
  const bars = V.canvas(Math.min(280, room - 20), 26 * o.latent + 18,
                        {class: "vae-w-bars", role: "img"});
  const readout = V.el("output", {class: "vae-w-readout"});
  let map = null, mapEncoder = null;
  if (o.map) {
    const points = VT.datum(o.map.points);
    mapEncoder = VT.net(o.map.encoder);
    map = VT.latentMap({size: Math.min(240, room - 20), points: points.points,
                        labels: points.labels, colors: o.colors, limit: o.map.limit,
                        ring: o.map.ring, label: o.map.label});
  }

  function update() {
    vtTimed(handle.timings, () => {
      const x = handle.source === "drawing" ? VT.raster.rasterize(pad.strokes) : handle.image;
      handle.image = x;
      V.showDigit(seen, x);
      if (!x.some((v) => v > 0)) {
        handle.mu = handle.sigma = handle.map = null;
        V.showDigit(rebuilt, x);
        bars.getContext("2d").clearRect(0, 0, bars.width, bars.height);
        readout.textContent = "Draw a digit in the box (or pick a held-out one below).";
        if (map) map.setGaussian(null);
        return;
      }
      const g = VT.mlp.gaussian(encoder, x);
      handle.mu = g.mu; handle.sigma = g.sigma;
      V.showDigit(rebuilt, decoder.forward(g.mu));
      V.gaussianBars(bars, g.mu, g.sigma, 3);
      readout.textContent = "mu = " + V.fmt(g.mu) + "\nsigma = " + V.fmt(g.sigma);
      if (map) {
        handle.map = VT.mlp.gaussian(mapEncoder, x);
        map.setGaussian(handle.map.mu, handle.map.sigma);
      }
    });
    handle.updates += 1;
  }
  const pad = VT.draw.pad(Math.min(200, room - 20), () => {
    handle.source = "drawing";
    update();
  });
  handle.pad = pad;
  handle.update = update;
  handle.encode = (pixels) => VT.mlp.gaussian(encoder, pixels);
  handle.encodeMap = (pixels) => VT.mlp.gaussian(mapEncoder, pixels);
  handle.decode = (z) => decoder.forward(z);

  const clear = vtButton("clear", () => pad.clear());
  const top = V.el("div", {class: "vae-w-row"}, [
    V.panel("draw a digit", [pad.canvas, V.el("div", {}, [clear])]),
    V.panel("what the encoder sees (28 × 28)", [seen]),
    V.panel("decoded from mu", [rebuilt]),
  ]);
  const bottom = V.el("div", {class: "vae-w-row"}, [
    V.panel(`mu (tick) and mu ± sigma (bar) of the ${o.latent} latent numbers`, [bars, readout]),
    map && V.panel(o.map.caption, [map.canvas]),
  ]);
  root.append(vtTitle(o.title), top, bottom);
  if (o.examples) {
    root.append(V.el("div", {class: "vae-w-pick"}, [
      V.el("span", {text: "or encode a held-out digit: "}),
      vtExamples(o.examples, o.names, (pixels) => {
        pad.reset();
        handle.source = "example"; handle.image = pixels;
        update();
      })]));
  }
  root.append(vtFoot(o.note));
  VT.onTheme(() => { if (!root.isConnected) return false; update(); });
  // a first pass through everything a stroke runs, while the page loads: the reader's first
  // stroke then finds it compiled (it took ~20 ms cold)
  pad.strokes.push(VT.WARM_UP);
  update();
  pad.strokes.length = 0;
  update();
  handle.timings.length = 0;
  return handle;
};

// 2. Latent maps side by side: the decoded image of the point under the pointer, per model.
VT.kinds.latentMaps = function (root, o) {
  // side by side when the two fit (the book's column), one above the other on a phone
  const room = vtRoom(root), pair = (room - 40) / 2 >= 220;
  const size = Math.floor(Math.min(300, pair ? (room - 40) / 2 : room - 20)), digit = 84;
  const handle = {timings: [], maps: []};
  const row = V.el("div", {class: "vae-w-row"});
  for (const m of o.maps) {
    const decoder = VT.net(m.decoder), points = VT.datum(m.points);
    const image = V.digitCanvas(digit, "decoded image of the point on the " + m.label + " map");
    const where = V.el("output", {class: "vae-w-readout"});
    const entry = {label: m.label, decode: (z) => decoder.forward(z), image: null, point: null};
    entry.map = VT.latentMap({size, points: points.points, labels: points.labels,
      colors: o.colors, limit: m.limit, ring: m.ring, label: m.label + " latent map",
      onPoint(z) {
        vtTimed(handle.timings, () => {
          entry.point = z;
          entry.image = decoder.forward(z);
          V.showDigit(image, entry.image);
          where.textContent = "decoded from\nz = " + V.fmt(z);
        });
      }});
    handle.maps.push(entry);
    row.append(V.panel(m.label, [entry.map.canvas,
                                 V.el("div", {class: "vae-w-row vae-w-tight"}, [image, where])]));
  }
  const limits = o.maps.map((m) => m.limit), widest = Math.max(...limits);
  const same = V.el("input", {type: "checkbox"});
  same.addEventListener("change", () => handle.maps.forEach((e, i) =>
    e.map.setLimit(same.checked ? widest : limits[i])));
  const legend = V.el("div", {class: "vae-w-legend"}, o.names.map((name, k) =>
    V.el("span", {}, [V.el("i", {style: {background: o.colors[k]}}), name])));
  root.append(vtTitle(o.title), row, legend,
              V.el("label", {class: "vae-w-check"}, [same, " same scale on both maps"]),
              vtFoot(o.note));
  handle.maps.forEach((e) => e.map.moveTo([0, 0], true));
  handle.same = same;
  return handle;
};

// 3. Sliders that decode, optionally started from the encoding of a drawing or a held-out image.
VT.kinds.decoderSliders = function (root, o) {
  const room = vtRoom(root), decoder = VT.net(o.decoder), lim = o.range;
  const encoder = o.encoder ? VT.net(o.encoder) : null;
  const handle = {renders: 0, timings: [], decode: (z) => decoder.forward(z)};
  const out = V.digitCanvas(Math.min(168, room - 40), "the decoded image");
  const sliders = Array.from({length: o.latent}, (_, k) =>
    vtSlider("z" + (k + 1), -lim, lim, 0.05, 0, () => draw()));
  function set(z) {
    sliders.forEach((s, k) => {
      s.input.value = Math.min(lim, Math.max(-lim, z[k]));
      s.out.textContent = Number(s.input.value).toFixed(2);
    });
  }
  function draw() {
    const z = sliders.map((s) => parseFloat(s.input.value));
    handle.pixels = decoder.forward(z);
    V.showDigit(out, handle.pixels);
    handle.renders += 1;
  }
  handle.z = () => sliders.map((s) => parseFloat(s.input.value));
  handle.set = (z) => { set(z); draw(); };
  const starts = o.starts.length ? V.el("div", {class: "vae-w-buttons vae-w-pick"}, [
    V.el("span", {text: "start at the mean encoding of: "}),
    ...o.starts.map((s) => vtButton(s.name, () => handle.set(s.z),
                                    {title: "the mean encoding of " + s.name, "data-start": ""}))]) : null;
  const controls = V.el("div", {class: "vae-w-controls"}, sliders.map((s) => s.row));
  root.append(vtTitle(o.title), starts || "", V.el("div", {class: "vae-w-row"}, [controls, out]));
  if (encoder) {
    const seen = V.digitCanvas(84, "the 28 by 28 image the encoder sees");
    const said = V.el("output", {class: "vae-w-readout", "aria-live": "polite"});
    handle.encode = (pixels) => VT.mlp.gaussian(encoder, pixels);
    const start = (pixels, what) => vtTimed(handle.timings, () => {
      handle.image = pixels;
      V.showDigit(seen, pixels);
      if (!pixels.some((v) => v > 0)) { said.textContent = ""; return; }
      const g = handle.encode(pixels);
      handle.mu = g.mu;
      said.textContent = `the sliders start at the mu of ${what}: ${V.fmt(g.mu)}`;
      handle.set(g.mu);
    });
    VT.mlp.gaussian(encoder, VT.raster.rasterize([VT.WARM_UP]));   // compile before use
    const parts = [];
    if (o.draw) {
      const pad = VT.draw.pad(Math.min(150, room - 20),
                              () => start(VT.raster.rasterize(pad.strokes), "your drawing"));
      handle.pad = pad;
      parts.push(V.panel("encode my drawing", [pad.canvas,
        V.el("div", {}, [vtButton("clear", () => pad.clear())])]));
    }
    parts.push(V.panel("what the encoder sees", [seen]));
    const row = V.el("div", {class: "vae-w-row"}, parts);
    root.append(row);
    if (o.examples) {
      root.append(V.el("div", {class: "vae-w-pick"}, [
        V.el("span", {text: o.draw ? "or encode a held-out image: " : "encode a held-out picture: "}),
        vtExamples(o.examples, o.names, (pixels, name) => {
          if (handle.pad) handle.pad.reset();
          start(pixels, "this " + name);
        })]));
    }
    root.append(said);
  }
  root.append(vtFoot(o.note));
  VT.onTheme(() => { if (!root.isConnected) return false; draw(); });
  if (o.starts.length && o.start !== null) handle.set(o.starts[o.start || 0].z);
  else draw();
  return handle;
};

// 4. The KL explorer: N(mu, sigma^2) over N(0, 1) and their KL divergence.
VT.kinds.klExplorer = function (root, o) {
  // the formula of losses.kl_divergence, for one latent dimension
  const kl = (mu, sigma) => 0.5 * (mu * mu + sigma * sigma - Math.log(sigma * sigma) - 1);
  const pdf = (x, m, s) => Math.exp(-0.5 * ((x - m) / s) ** 2) / (s * Math.sqrt(2 * Math.PI));
  const W = Math.min(320, vtRoom(root) - 20), H = 170;
  const canvas = V.canvas(W, H, {role: "img", "aria-label": "the two densities"});
  const handle = {kl, renders: 0, value: null};
  const verdict = V.el("output", {class: "vae-kl-value"});
  const mu = vtSlider("μ", -3, 3, 0.05, o.mu, () => draw());
  const sigma = vtSlider("σ", 0.1, 3, 0.05, o.sigma, () => draw());
  function curve(ctx, m, s, top, style, fill) {
    const h = H - 20;
    ctx.beginPath(); ctx.moveTo(0, h);
    for (let px = 0; px <= W; px++) ctx.lineTo(px, h - (h - 8) * pdf(-5 + 10 * px / W, m, s) / top);
    ctx.lineTo(W, h);
    if (fill) { ctx.fillStyle = fill; ctx.fill(); }
    ctx.strokeStyle = style; ctx.lineWidth = 2; ctx.stroke();
  }
  function draw() {
    const m = parseFloat(mu.input.value), s = parseFloat(sigma.input.value);
    const ctx = canvas.getContext("2d"), ink = V.ink(canvas);
    ctx.clearRect(0, 0, W, H);
    const top = Math.max(pdf(0, 0, 1), pdf(m, m, s));
    ctx.setLineDash([5, 4]); curve(ctx, 0, 1, top, V.rgba(ink, 0.6), null); ctx.setLineDash([]);
    curve(ctx, m, s, top, "#9467bd", "rgba(148, 103, 189, 0.25)");
    ctx.fillStyle = V.rgba(ink, 0.85); ctx.font = "11px sans-serif"; ctx.textAlign = "center";
    for (let x = -4; x <= 4; x += 2) ctx.fillText(String(x), W * (x + 5) / 10, H - 6);
    handle.value = kl(m, s); handle.renders += 1;
    verdict.textContent = `KL = ${handle.value.toFixed(2)} nats`;
  }
  root.append(V.el("div", {class: "vae-w-row"}, [
    V.el("div", {class: "vae-w-controls"}, [vtTitle(o.title), mu.row, sigma.row, verdict,
                                             vtFoot("purple: N(μ, σ²); dashed: N(0, 1); no kernel needed")]),
    canvas]));
  VT.onTheme(() => { if (!root.isConnected) return false; draw(); });
  draw();
  return handle;
};
