// widget-likelihood-pad.js: draw anything and see how likely each model finds it
// (web.likelihood_pad). For every model: the importance-sampled estimate of log p(x) of the
// drawing (VT.likelihood, with the noise fixed in the options), what the model makes of it
// (decoded from mu), and where the drawing falls among the held-out images' log p(x), shown as
// one histogram per data set in the palette's colour of that data set.
//
// The handle holds image (what the encoders see), scores ([{estimate, mu, sigma}] per model,
// null for an empty pad), estimate(model index, pixels), pad.
const V = VT.view;
const BINS = 40;

// the share of values below v (held-out images less likely than the drawing)
function below(sorted, v) {
  let lo = 0, hi = sorted.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (sorted[mid] < v) lo = mid + 1; else hi = mid; }
  return lo / sorted.length;
}

VT.kinds.likelihoodPad = function (root, o) {
  const room = V.room(root);
  const W = Math.min(300, room - 20), H = 120;
  const models = o.models.map((m) => {
    const decoder = VT.net(m.decoder), data = VT.datum(m.scores);
    const sets = m.sets.map((name) => ({name, values: Float64Array.from(data[name]).sort()}));
    const all = sets.flatMap((s) => Array.from(s.values));
    // the range the chapter's histograms show: from the 0.5% quantile to the largest value
    const lo = all.slice().sort((a, b) => a - b)[Math.floor(0.005 * all.length)];
    const hi = Math.max(...all);
    const step = (hi - lo) / BINS;
    for (const set of sets) {      // each data set's histogram, as shares of its images
      set.shares = new Array(BINS).fill(0);
      for (const v of set.values) set.shares[Math.min(BINS - 1, Math.max(0, Math.floor((v - lo) / step)))] += 1;
      set.shares = set.shares.map((n) => n / set.values.length);
    }
    return {label: m.label, encoder: VT.net(m.encoder), decoder, logits: VT.mlp.logits(decoder),
            sets, lo, hi, step, top: Math.max(...sets.flatMap((set) => set.shares)),
            chart: V.canvas(W, H, {role: "img", "aria-label": `log p(x) of held-out images under the ${m.label}`}),
            rebuilt: V.digitCanvas(56, `what the ${m.label} makes of it`),
            value: V.el("output", {class: "vae-w-readout", "aria-live": "polite"})};
  });
  const handle = {image: null, scores: null,
                  estimate: (k, pixels) => VT.likelihood.estimate(models[k], pixels, o.eps)};

  function chart(m, score) {
    const ctx = m.chart.getContext("2d"), ink = V.ink(m.chart), bottom = H - 16;
    const X = (v) => 4 + (W - 8) * (v - m.lo) / (m.hi - m.lo);
    ctx.clearRect(0, 0, W, H);
    const step = m.step;
    m.sets.forEach((s, i) => {
      ctx.fillStyle = V.rgba(VT.colors.datasets[s.name] || VT.colors.classes[i], 0.55);
      s.shares.forEach((share, b) => {
        const h = (bottom - 14) * share / m.top, x0 = X(m.lo + b * step);
        ctx.fillRect(x0, bottom - h, Math.max(1, X(m.lo + (b + 1) * step) - x0 - 1), h);
      });
    });
    ctx.fillStyle = V.rgba(ink, 0.85); ctx.font = "11px sans-serif"; ctx.textAlign = "center";
    for (let t = 0; t <= 3; t++) {
      const v = m.lo + t * (m.hi - m.lo) / 3;
      ctx.textAlign = t === 0 ? "left" : t === 3 ? "right" : "center";
      ctx.fillText(String(Math.round(v)), X(v), H - 3);
    }
    if (score === null) return;
    // the drawing: a line in the ink colour (an arrow at the edge when it lies beyond the range)
    const x = X(Math.min(m.hi, Math.max(m.lo, score)));
    ctx.strokeStyle = V.rgba(ink, 1); ctx.lineWidth = 2;
    ctx.beginPath(); ctx.moveTo(x, 12); ctx.lineTo(x, bottom); ctx.stroke();
    ctx.textAlign = x < W / 2 ? "left" : "right";
    const beyond = score < m.lo ? "◀ " : score > m.hi ? " ▶" : "";
    ctx.fillText(score < m.lo ? beyond + "yours" : "yours" + beyond, x + (x < W / 2 ? 4 : -4), 10);
  }

  function show() {
    models.forEach((m, k) => {
      const s = handle.scores && handle.scores[k];
      chart(m, s ? s.estimate : null);
      V.showDigit(m.rebuilt, s ? m.decoder.forward(s.mu) : new Float64Array(784));
      m.value.textContent = s
        ? `log p(x) ≈ ${s.estimate.toFixed(1)} nats,\nmore likely than\n` +
          m.sets.map((set) => `${Math.round(100 * below(set.values, s.estimate))}% of held-out ${set.name}`)
            .join(",\n")
        : "Draw something in the box\n(or pick a held-out picture).";
    });
  }
  const source = VT.source({
    encoder: models[0].encoder, pad: Math.min(180, room - 20), padCaption: "draw anything",
    padHint: "draw anything here", seenSize: 84, seenCaption: "what the models see (28 × 28)",
    examples: o.examples, names: o.names, pickText: "or score a held-out picture: ",
    onEncode(e) {
      handle.image = e.image;
      handle.scores = e.mu ? models.map((m) => VT.likelihood.estimate(m, e.image, o.eps)) : null;
      show();
    }});
  handle.pad = source.pad;

  const legend = V.el("div", {class: "vae-w-legend"}, models[0].sets.map((s, i) =>
    V.el("span", {}, [V.el("i", {style: {background: VT.colors.datasets[s.name] || VT.colors.classes[i]}}),
                      "held-out " + s.name])));
  root.append(
    V.title(o.title),
    V.el("div", {class: "vae-w-row"}, source.panels),
    source.picker || "",
    V.el("div", {class: "vae-w-row"}, models.map((m) =>
      V.panel(m.label, [m.chart, V.el("div", {class: "vae-w-row vae-w-tight"}, [m.rebuilt, m.value])]))),
    legend, V.foot(o.note));
  VT.onTheme(() => { if (!root.isConnected) return false; show(); });
  source.warmUp();
  return handle;
};
