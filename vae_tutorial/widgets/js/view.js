// view.js: what every widget draws with (VT.view): elements, canvases that follow the page's
// colours, 28 x 28 images, panels, and the controls (title, note, buttons, sliders, the row of
// held-out examples).
//
// Colours follow the page: ink is the text colour of the widget (dark in the book's light
// mode, light in its dark mode), drawn on a transparent canvas over the page's background.
// Every other colour comes from VT.colors (web.py writes it from plots.py's palette).
const V = VT.view = {};

// el("div", {class: "x", text: "hi"}, [children]) -> an element
V.el = function (tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name === "text") node.textContent = value;
    else if (name === "style" && typeof value === "object") Object.assign(node.style, value);
    else node.setAttribute(name, value);
  }
  for (const child of children || []) if (child) node.append(child);
  return node;
};

// the widget's text colour as [r, g, b]
V.ink = function (node) {
  const m = getComputedStyle(node).color.match(/[\d.]+/g) || [0, 0, 0];
  return m.slice(0, 3).map(Number);
};

// a colour ([r, g, b] or "#rrggbb") with an opacity, as CSS wants it
V.rgba = function (color, alpha) {
  const rgb = typeof color === "string"
    ? [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16)) : color;
  return `rgba(${rgb[0]}, ${rgb[1]}, ${rgb[2]}, ${alpha})`;
};

// a halo for text drawn over points: the opposite of the ink, roughly the page's background
V.halo = function (ink, alpha) {
  return V.rgba(ink.map((v) => 255 - v), alpha);
};

// keep receiving a pointer's moves when it leaves the canvas mid-stroke (events made by
// scripts have no active pointer to capture: that is fine)
V.capture = function (canvas, event) {
  try { canvas.setPointerCapture(event.pointerId); } catch (err) { /* synthetic pointer */ }
};

// a canvas of css size w x h whose backing store matches the screen's pixels
V.canvas = function (w, h, attrs) {
  const canvas = V.el("canvas", attrs);
  const ratio = Math.min(3, window.devicePixelRatio || 1);
  canvas.width = Math.round(w * ratio);
  canvas.height = Math.round(h * ratio);
  canvas.style.width = w + "px";
  canvas.style.height = h + "px";
  canvas.getContext("2d").setTransform(ratio, 0, 0, ratio, 0, 0);
  return canvas;
};

// a 28 x 28 image (values in [0, 1]) shown as ink on the page's background
V.digitCanvas = function (size, label) {
  const canvas = V.el("canvas", {width: 28, height: 28, class: "vae-w-digit",
                                 role: "img", "aria-label": label});
  canvas.style.width = canvas.style.height = size + "px";
  return canvas;
};

V.showDigit = function (canvas, pixels) {
  const ctx = canvas.getContext("2d"), img = ctx.createImageData(28, 28);
  const [r, g, b] = V.ink(canvas);
  for (let i = 0; i < 784; i++) {
    img.data[4 * i] = r; img.data[4 * i + 1] = g; img.data[4 * i + 2] = b;
    img.data[4 * i + 3] = Math.round(255 * Math.min(1, Math.max(0, pixels[i])));
  }
  ctx.putImageData(img, 0, 0);
};

// n 28 x 28 images in rows of cols, each size px wide; showStrip paints bytes (0-255, n x 784
// from offset) in the ink colour
V.stripCanvas = function (n, cols, size, label) {
  const rows = Math.ceil(n / cols);
  const canvas = V.el("canvas", {width: 28 * cols, height: 28 * rows, class: "vae-w-digit",
                                 role: "img", "aria-label": label});
  canvas.style.width = size * cols + "px";
  canvas.style.height = size * rows + "px";
  return canvas;
};

V.showStrip = function (canvas, bytes, offset, n) {
  const cols = canvas.width / 28, ctx = canvas.getContext("2d");
  const img = ctx.createImageData(canvas.width, canvas.height);
  const [r, g, b] = V.ink(canvas);
  for (let k = 0; k < n; k++) {
    const x0 = 28 * (k % cols), y0 = 28 * Math.floor(k / cols);
    for (let i = 0; i < 784; i++) {
      const o = 4 * ((y0 + Math.floor(i / 28)) * canvas.width + x0 + (i % 28));
      img.data[o] = r; img.data[o + 1] = g; img.data[o + 2] = b;
      img.data[o + 3] = bytes[offset + 784 * k + i];
    }
  }
  ctx.putImageData(img, 0, 0);
};

// one labelled panel: a caption over some content
V.panel = function (caption, children) {
  return V.el("div", {class: "vae-w-panel"}, [V.el("div", {class: "vae-w-caption", text: caption}),
                                               ...children]);
};

// mu +- sigma per latent dimension, as horizontal bars on a shared axis from -lim to lim
V.gaussianBars = function (canvas, mu, sigma, lim) {
  const ctx = canvas.getContext("2d"), w = parseFloat(canvas.style.width);
  const h = parseFloat(canvas.style.height), ink = V.ink(canvas);
  ctx.clearRect(0, 0, w, h);
  if (!mu) return;
  const left = 26, right = w - 8, rowH = (h - 16) / mu.length;
  const X = (v) => left + (right - left) * (Math.min(lim, Math.max(-lim, v)) + lim) / (2 * lim);
  ctx.font = "11px sans-serif";
  ctx.fillStyle = V.rgba(ink, 0.8);
  ctx.textAlign = "center";
  for (let t = -lim; t <= lim; t += lim / 2) ctx.fillText(String(t), X(t), h - 3);
  ctx.strokeStyle = V.rgba(ink, 0.35);
  ctx.beginPath(); ctx.moveTo(X(0), 0); ctx.lineTo(X(0), h - 14); ctx.stroke();
  mu.forEach((m, k) => {
    const y = rowH * (k + 0.5);
    ctx.fillStyle = V.rgba(ink, 0.8);
    ctx.textAlign = "left";
    ctx.fillText("z" + (k + 1), 0, y + 4);
    ctx.fillStyle = V.rgba(VT.colors.sigma, 0.45);                   // sigma: as in the plots
    ctx.fillRect(X(m - sigma[k]), y - rowH * 0.3, X(m + sigma[k]) - X(m - sigma[k]), rowH * 0.6);
    ctx.fillStyle = V.rgba(ink, 1);
    ctx.fillRect(X(m) - 1.5, y - rowH * 0.4, 3, rowH * 0.8);   // mu: a tick in the ink colour
  });
};

V.fmt = function (values, digits) {
  return "(" + Array.from(values, (v) => v.toFixed(digits === undefined ? 2 : digits)).join(", ") + ")";
};

// ---------------------------------------------------------------------------- controls

V.title = function (text) {
  return V.el("div", {class: "vae-w-title", text});
};

V.foot = function (text) {
  return V.el("div", {class: "vae-w-foot", text});
};

// the width a widget may use (an output area, a book column or a phone screen)
V.room = function (root) {
  return Math.max(260, root.clientWidth || (root.parentNode && root.parentNode.clientWidth) || 600);
};

// a labelled range input with its value beside it; onInput() after each move
V.slider = function (label, low, high, step, value, onInput) {
  const input = V.el("input", {type: "range", min: low, max: high, step, value, "aria-label": label});
  const out = V.el("output", {text: Number(value).toFixed(2)});
  input.addEventListener("input", () => {
    out.textContent = Number(input.value).toFixed(2);
    onInput();
  });
  const row = V.el("label", {class: "vae-w-slider"}, [V.el("span", {text: label}), input, out]);
  return {row, input, out,
          set(v) { input.value = v; out.textContent = Number(input.value).toFixed(2); }};
};

V.button = function (text, onClick, attrs) {
  const button = V.el("button", Object.assign({type: "button", text}, attrs || {}));
  button.addEventListener("click", onClick);
  return button;
};

// held-out examples (data key: {images, labels}) as buttons, each with its picture and name:
// the keyboard's way to give an encoder an image, and the clothes chapter's garment picker.
// onPick(pixels in [0, 1], name)
V.examples = function (key, names, onPick) {
  const data = VT.datum(key), row = V.el("div", {class: "vae-w-buttons"}), shown = [];
  Array.from(data.labels).forEach((label, i) => {
    const pixels = Float64Array.from(data.images.subarray(784 * i, 784 * (i + 1)), (v) => v / 255);
    const thumb = V.digitCanvas(28, "");
    thumb.setAttribute("aria-hidden", "true");
    shown.push([thumb, pixels]);
    const button = V.button(names[label], () => onPick(pixels, names[label]),
                            {title: "encode this held-out " + names[label], class: "vae-w-example"});
    button.prepend(thumb);
    row.append(button);
  });
  const paint = () => shown.forEach(([thumb, pixels]) => V.showDigit(thumb, pixels));
  paint();
  VT.onTheme(() => { if (!row.isConnected) return false; paint(); });
  return row;
};
