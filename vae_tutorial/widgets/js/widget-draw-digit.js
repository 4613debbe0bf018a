// widget-draw-digit.js: draw a digit (web.draw_digit). The encoder runs on the drawing (or on a
// held-out digit); the page shows mu and sigma, the image decoded from mu and, with a 2-d VAE,
// the encoded Gaussian on that model's latent map.
//
// The handle (VT.widgets[root id]) holds what the reader sees, for the tests and the curious:
// image, mu, sigma, map ({mu, sigma} of the 2-d VAE), pad, and encode / encodeMap / decode.
const V = VT.view;

VT.kinds.drawDigit = function (root, o) {
  const room = V.room(root), encoder = VT.net(o.encoder), decoder = VT.net(o.decoder);
  const big = Math.min(112, Math.floor((room - 40) / 4));
  const mapEncoder = o.map ? VT.net(o.map.encoder) : null;
  const handle = {image: new Float64Array(784), mu: null, sigma: null, map: null,
                  encode: (pixels) => VT.mlp.gaussian(encoder, pixels),
                  encodeMap: (pixels) => VT.mlp.gaussian(mapEncoder, pixels),
                  decode: (z) => decoder.forward(z)};
  const rebuilt = V.digitCanvas(big, "the decoder's reconstruction");
  const bars = V.canvas(Math.min(280, room - 20), 26 * o.latent + 18,
                        {class: "vae-w-bars", role: "img", "aria-label": "mu and sigma as bars"});
  const readout = V.el("output", {class: "vae-w-readout"});
  let map = null;
  if (o.map) {
    const points = VT.datum(o.map.points);
    map = VT.latentMap({size: Math.min(240, room - 20), points: points.points,
                        labels: points.labels, names: o.names, limit: o.map.limit,
                        ring: o.map.ring, label: o.map.label});
  }

  function show() {
    V.showDigit(rebuilt, handle.mu ? decoder.forward(handle.mu) : handle.image);
    V.gaussianBars(bars, handle.mu, handle.sigma, 3);
    readout.textContent = handle.mu
      ? "mu = " + V.fmt(handle.mu) + "\nsigma = " + V.fmt(handle.sigma)
      : "Draw a digit in the box (or pick a held-out one below).";
    if (map) map.setGaussian(handle.map && handle.map.mu, handle.map && handle.map.sigma);
  }
  const source = VT.source({
    encoder, pad: Math.min(200, room - 20), padCaption: "draw a digit",
    seenSize: big, seenCaption: "what the encoder sees (28 × 28)",
    examples: o.examples, names: o.names, pickText: "or encode a held-out digit: ",
    onEncode(e) {
      handle.image = e.image; handle.mu = e.mu; handle.sigma = e.sigma;
      handle.map = map && e.mu ? VT.mlp.gaussian(mapEncoder, e.image) : null;
      show();
    }});
  handle.pad = source.pad;

  root.append(
    V.title(o.title),
    V.el("div", {class: "vae-w-row"}, [...source.panels, V.panel("decoded from mu", [rebuilt])]),
    V.el("div", {class: "vae-w-row"}, [
      V.panel(`mu (tick) and mu ± sigma (bar) of the ${o.latent} latent numbers`, [bars, readout]),
      map && V.panel(o.map.caption, [map.canvas])]),
    source.picker || "",
    V.foot(o.note));
  VT.onTheme(() => { if (!root.isConnected) return false; show(); });
  source.warmUp();
  return handle;
};
