// view.js: small drawing helpers shared by the widgets.
//
// Colours follow the page: ink is the text colour of the widget (dark in the book's light
// mode, light in its dark mode), drawn on a transparent canvas over the page's background.
VT.view = {};

// el("div", {class: "x", text: "hi"}, [children]) -> an element
VT.view.el = function (tag, attrs, children) {
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
VT.view.ink = function (node) {
  const m = getComputedStyle(node).color.match(/[\d.]+/g) || [0, 0, 0];
  return m.slice(0, 3).map(Number);
};

VT.view.rgba = function (rgb, alpha) {
  return `rgba(${rgb[0]}, ${rgb[1]}, ${rgb[2]}, ${alpha})`;
};

// a canvas of css size w x h whose backing store matches the screen's pixels
VT.view.canvas = function (w, h, attrs) {
  const canvas = VT.view.el("canvas", attrs);
  const ratio = Math.min(3, window.devicePixelRatio || 1);
  canvas.width = Math.round(w * ratio);
  canvas.height = Math.round(h * ratio);
  canvas.style.width = w + "px";
  canvas.style.height = h + "px";
  canvas.getContext("2d").setTransform(ratio, 0, 0, ratio, 0, 0);
  return canvas;
};

// a 28 x 28 image (values in [0, 1]) shown as ink on the page's background
VT.view.digitCanvas = function (size, label) {
  const canvas = VT.view.el("canvas", {width: 28, height: 28, class: "vae-w-digit",
                                       role: "img", "aria-label": label});
  canvas.style.width = canvas.style.height = size + "px";
  return canvas;
};

VT.view.showDigit = function (canvas, pixels) {
  const ctx = canvas.getContext("2d"), img = ctx.createImageData(28, 28);
  const [r, g, b] = VT.view.ink(canvas);
  for (let i = 0; i < 784; i++) {
    img.data[4 * i] = r; img.data[4 * i + 1] = g; img.data[4 * i + 2] = b;
    img.data[4 * i + 3] = Math.round(255 * Math.min(1, Math.max(0, pixels[i])));
  }
  ctx.putImageData(img, 0, 0);
};

// one labelled panel: a caption over some content
VT.view.panel = function (caption, children) {
  return VT.view.el("div", {class: "vae-w-panel"},
                    [VT.view.el("div", {class: "vae-w-caption", text: caption}), ...children]);
};

// mu +- sigma per latent dimension, as horizontal bars on a shared axis from -lim to lim
VT.view.gaussianBars = function (canvas, mu, sigma, lim) {
  const ctx = canvas.getContext("2d"), w = parseFloat(canvas.style.width);
  const h = parseFloat(canvas.style.height), ink = VT.view.ink(canvas);
  const left = 26, right = w - 8, rowH = (h - 16) / mu.length;
  const X = (v) => left + (right - left) * (Math.min(lim, Math.max(-lim, v)) + lim) / (2 * lim);
  ctx.clearRect(0, 0, w, h);
  ctx.font = "11px sans-serif";
  ctx.fillStyle = VT.view.rgba(ink, 0.8);
  ctx.textAlign = "center";
  for (let t = -lim; t <= lim; t += lim / 2) ctx.fillText(String(t), X(t), h - 3);
  ctx.strokeStyle = VT.view.rgba(ink, 0.35);
  ctx.beginPath(); ctx.moveTo(X(0), 0); ctx.lineTo(X(0), h - 14); ctx.stroke();
  mu.forEach((m, k) => {
    const y = rowH * (k + 0.5);
    ctx.fillStyle = VT.view.rgba(ink, 0.8);
    ctx.textAlign = "left";
    ctx.fillText("z" + (k + 1), 0, y + 4);
    ctx.fillStyle = "rgba(148, 103, 189, 0.45)";             // sigma: purple, as in the plots
    ctx.fillRect(X(m - sigma[k]), y - rowH * 0.3, X(m + sigma[k]) - X(m - sigma[k]), rowH * 0.6);
    ctx.fillStyle = VT.view.rgba(ink, 1);
    ctx.fillRect(X(m) - 1.5, y - rowH * 0.4, 3, rowH * 0.8);   // mu: a tick in the ink colour
  });
};

VT.view.fmt = function (values, digits) {
  return "(" + Array.from(values, (v) => v.toFixed(digits === undefined ? 2 : digits)).join(", ") + ")";
};

// keep receiving a pointer's moves when it leaves the canvas mid-stroke (events made by
// scripts have no active pointer to capture: that is fine)
function vtCapture(canvas, event) {
  try { canvas.setPointerCapture(event.pointerId); } catch (err) { /* synthetic pointer */ }
}
