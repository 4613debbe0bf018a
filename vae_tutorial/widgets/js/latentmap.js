// latentmap.js: a 2-d latent space as a scatter of held-out encodings, with a point the reader
// moves: hover to look, click (or tap, or drag) to pin, arrow keys to move the pinned point
// (Shift: bigger steps, Home: the origin). Every change of the point calls onPoint(z).
//
// VT.latentMap({size, points, labels, names, limit, ring, label, onPoint}) -> {canvas, state,
// paint, moveTo(z, pin), setLimit(limit), setGaussian(mu, sigma), setPoints(points)}: points (x0, y0, x1, y1, ...)
// and labels (a class per point) come from a data item; names: the classes' names, written at
// each class's centre (the median of its points) so the classes can be told apart without their
// colours; limit: the half-width of the square shown; ring: the radius of the dashed circle;
// without onPoint the map only shows (and a Gaussian).
//
// The scatter is drawn once into an off-screen layer (again when the theme or the scale
// changes); a pointer move only copies that layer and draws the markers on top.
const V = VT.view;

VT.latentMap = function (opts) {
  const size = opts.size, width = size, height = size - 10;
  const ml = 30, mr = 6, mt = 6, mb = 18, plot = width - ml - mr;   // a square plot area
  // a map the reader moves on takes the keyboard's focus; a map that only shows is a picture
  const canvas = V.canvas(width, height, opts.onPoint
    ? {class: "vae-w-map", tabindex: "0", role: "application",
       "aria-label": opts.label + ": arrow keys move the point, Shift for bigger steps, " +
                     "Home goes to the origin"}
    : {class: "vae-w-map", role: "img", "aria-label": opts.label});
  const ratio = canvas.width / width, layer = document.createElement("canvas");
  layer.width = canvas.width; layer.height = canvas.height;
  const state = {limit: opts.limit, pinned: [0, 0], point: [0, 0], gaussian: null,
                 hovering: false, dragging: false};
  let centres = classCentres(opts.points, opts.labels, (opts.names || []).length);
  const X = (v) => ml + plot * (v + state.limit) / (2 * state.limit);
  const Y = (v) => mt + plot * (state.limit - v) / (2 * state.limit);
  const toLatent = (px, py) => [(px - ml) / plot * 2 * state.limit - state.limit,
                                state.limit - (py - mt) / plot * 2 * state.limit];

  function tickStep(limit) {
    const raw = limit / 2, p = Math.pow(10, Math.floor(Math.log10(raw))), m = raw / p;
    return p * (m >= 5 ? 5 : m >= 2 ? 2 : 1);
  }
  function paintLayer() {
    const ctx = layer.getContext("2d"), ink = V.ink(canvas), L = state.limit;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.strokeStyle = V.rgba(ink, 0.45); ctx.lineWidth = 1;
    ctx.strokeRect(ml, mt, plot, plot);
    ctx.fillStyle = V.rgba(ink, 0.85); ctx.font = "10px sans-serif";
    const step = tickStep(L);
    for (let t = -Math.floor(L / step) * step; t <= L + 1e-9; t += step) {
      const label = String(Math.round(t * 100) / 100);
      ctx.textAlign = "center"; ctx.fillText(label, X(t), height - 5);
      ctx.textAlign = "right"; ctx.fillText(label, ml - 3, Y(t) + 3);
    }
    ctx.save();
    ctx.beginPath(); ctx.rect(ml, mt, plot, plot); ctx.clip();
    ctx.strokeStyle = V.rgba(ink, 0.2);
    ctx.beginPath(); ctx.moveTo(X(0), mt); ctx.lineTo(X(0), mt + plot);
    ctx.moveTo(ml, Y(0)); ctx.lineTo(ml + plot, Y(0)); ctx.stroke();
    const xs = opts.points, labels = opts.labels, r = Math.max(1.2, size / 160);
    for (let i = 0; i < labels.length; i++) {
      ctx.fillStyle = VT.colors.classes[labels[i]];
      ctx.globalAlpha = 0.7;
      ctx.beginPath(); ctx.arc(X(xs[2 * i]), Y(xs[2 * i + 1]), r, 0, 2 * Math.PI); ctx.fill();
    }
    ctx.globalAlpha = 1;
    ctx.font = "bold 12px sans-serif"; ctx.textAlign = "center"; ctx.textBaseline = "middle";
    ctx.lineWidth = 3; ctx.lineJoin = "round";
    ctx.strokeStyle = V.halo(ink, 0.85); ctx.fillStyle = V.rgba(ink, 1);
    centres.forEach((c, k) => {
      if (!c) return;
      ctx.strokeText(opts.names[k], X(c[0]), Y(c[1])); ctx.fillText(opts.names[k], X(c[0]), Y(c[1]));
    });
    ctx.textBaseline = "alphabetic"; ctx.lineWidth = 1;
    // where random latent points fall: the circle holding 95% of N(0, I), as in the figures
    if (opts.ring) {
      ctx.setLineDash([4, 3]); ctx.strokeStyle = V.rgba(ink, 0.8);
      ctx.beginPath(); ctx.arc(X(0), Y(0), opts.ring * plot / (2 * L), 0, 2 * Math.PI); ctx.stroke();
    }
    ctx.restore();
  }
  function marker(ctx, z, filled) {
    const x = X(z[0]), y = Y(z[1]);
    ctx.beginPath();
    ctx.moveTo(x - 7, y); ctx.lineTo(x + 7, y); ctx.moveTo(x, y - 7); ctx.lineTo(x, y + 7);
    ctx.stroke();
    ctx.beginPath(); ctx.arc(x, y, 3.5, 0, 2 * Math.PI);
    if (filled) ctx.fill(); else ctx.stroke();
  }
  function paint() {
    const ctx = canvas.getContext("2d"), ink = V.ink(canvas);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(layer, 0, 0);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.save();
    ctx.beginPath(); ctx.rect(ml, mt, plot, plot); ctx.clip();
    ctx.strokeStyle = ctx.fillStyle = V.rgba(ink, 1); ctx.lineWidth = 1.5;
    if (state.gaussian) {            // the encoded Gaussian: mu and a one-sigma ellipse
      const [mu, sigma] = state.gaussian, k = plot / (2 * state.limit);
      ctx.fillStyle = V.rgba(VT.colors.sigma, 0.35); ctx.strokeStyle = VT.colors.sigma;
      ctx.beginPath();
      ctx.ellipse(X(mu[0]), Y(mu[1]), Math.max(2, sigma[0] * k), Math.max(2, sigma[1] * k),
                  0, 0, 2 * Math.PI);
      ctx.fill(); ctx.lineWidth = 2; ctx.stroke();
      ctx.fillStyle = ctx.strokeStyle = V.rgba(ink, 1); ctx.lineWidth = 1.5;
      ctx.beginPath(); ctx.arc(X(mu[0]), Y(mu[1]), 3, 0, 2 * Math.PI); ctx.fill();
      if (Math.max(sigma[0], sigma[1]) * k < 6) {   // a ring the eye finds when sigma is tiny
        ctx.lineWidth = 1;
        ctx.beginPath(); ctx.arc(X(mu[0]), Y(mu[1]), 10, 0, 2 * Math.PI); ctx.stroke();
      }
    }
    if (opts.onPoint) {
      marker(ctx, state.pinned, true);
      if (state.hovering) { ctx.globalAlpha = 0.7; marker(ctx, state.point, false); }
    }
    ctx.restore();
  }
  function moveTo(z, pin) {
    const L = state.limit;
    z = [Math.min(L, Math.max(-L, z[0])), Math.min(L, Math.max(-L, z[1]))];
    state.point = z;
    if (pin) state.pinned = z;
    if (opts.onPoint) opts.onPoint(z, pin);
    paint();
  }
  function fromEvent(event) {
    const box = canvas.getBoundingClientRect();
    return toLatent((event.clientX - box.left) * width / box.width,
                    (event.clientY - box.top) * height / box.height);
  }
  if (opts.onPoint) {
    canvas.addEventListener("pointerdown", (event) => {
      if (event.pointerType === "mouse" && event.button !== 0) return;
      event.preventDefault();
      canvas.focus({preventScroll: true});
      V.capture(canvas, event);
      state.dragging = true; state.hovering = false;
      moveTo(fromEvent(event), true);
    });
    canvas.addEventListener("pointermove", (event) => {
      state.hovering = !state.dragging;
      moveTo(fromEvent(event), state.dragging);
    });
    const up = () => { state.dragging = false; };
    canvas.addEventListener("pointerup", up);
    canvas.addEventListener("pointercancel", up);
    canvas.addEventListener("pointerleave", () => {
      if (state.dragging) return;
      state.hovering = false;
      moveTo(state.pinned, true);
    });
    canvas.addEventListener("keydown", (event) => {
      const step = state.limit / 40 * (event.shiftKey ? 5 : 1), [a, b] = state.pinned;
      const moves = {ArrowLeft: [a - step, b], ArrowRight: [a + step, b], ArrowUp: [a, b + step],
                     ArrowDown: [a, b - step], Home: [0, 0]};
      if (!(event.key in moves)) return;
      event.preventDefault();
      state.hovering = false;
      moveTo(moves[event.key], true);
    });
  }
  VT.onTheme(() => {
    if (!canvas.isConnected) return false;
    paintLayer(); paint();
  });
  paintLayer();
  return {
    canvas, state, paint, moveTo,
    setLimit(limit) { state.limit = limit; paintLayer(); moveTo(state.pinned, true); },
    setGaussian(mu, sigma) { state.gaussian = mu ? [mu, sigma] : null; paint(); },
    // the same digits' codes elsewhere (chapter 7's epochs): redraw the scatter
    setPoints(points) {
      opts.points = points;
      centres = classCentres(points, opts.labels, (opts.names || []).length);
      paintLayer(); paint();
    },
  };
};

// the median of each class's points (null for a class with none)
function classCentres(points, labels, classes) {
  const median = (v) => { v.sort((a, b) => a - b); return v[Math.floor(v.length / 2)]; };
  return Array.from({length: classes}, (_, k) => {
    const xs = [], ys = [];
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] === k) { xs.push(points[2 * i]); ys.push(points[2 * i + 1]); }
    }
    return xs.length ? [median(xs), median(ys)] : null;
  });
}
