// widget-kl-explorer.js: N(mu, sigma^2) over N(0, 1) and their KL divergence (web.kl_explorer).
//
// The handle holds kl(mu, sigma), the formula the page uses, and value, the KL shown.
const V = VT.view;

VT.kinds.klExplorer = function (root, o) {
  // the formula of losses.kl_divergence, for one latent dimension
  const kl = (mu, sigma) => 0.5 * (mu * mu + sigma * sigma - Math.log(sigma * sigma) - 1);
  const pdf = (x, m, s) => Math.exp(-0.5 * ((x - m) / s) ** 2) / (s * Math.sqrt(2 * Math.PI));
  const W = Math.min(320, V.room(root) - 20), H = 170;
  const canvas = V.canvas(W, H, {role: "img", "aria-label": "the two densities"});
  const handle = {kl, value: null};
  const verdict = V.el("output", {class: "vae-kl-value", "aria-live": "polite"});
  const mu = V.slider("μ", -3, 3, 0.05, o.mu, () => draw());
  const sigma = V.slider("σ", 0.1, 3, 0.05, o.sigma, () => draw());
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
    curve(ctx, m, s, top, VT.colors.sigma, V.rgba(VT.colors.sigma, 0.25));
    ctx.fillStyle = V.rgba(ink, 0.85); ctx.font = "11px sans-serif"; ctx.textAlign = "center";
    for (let x = -4; x <= 4; x += 2) ctx.fillText(String(x), W * (x + 5) / 10, H - 6);
    handle.value = kl(m, s);
    verdict.textContent = `KL = ${handle.value.toFixed(2)} nats`;
    canvas.setAttribute("aria-label", `N(${m.toFixed(2)}, ${s.toFixed(2)}²) (solid) over N(0, 1) ` +
                        `(dashed): KL = ${handle.value.toFixed(2)} nats`);
  }
  root.append(V.el("div", {class: "vae-w-row"}, [
    V.el("div", {class: "vae-w-controls"}, [V.title(o.title), mu.row, sigma.row, verdict,
                                             V.foot("solid: N(μ, σ²); dashed: N(0, 1); no kernel needed")]),
    canvas]));
  VT.onTheme(() => { if (!root.isConnected) return false; draw(); });
  draw();
  return handle;
};
