// widget-directions.js: steer a digit by meaning (web.direction_sliders). The encoder gives a
// held-out digit's (or a drawing's) mu; one slider per direction found from data adds a
// multiple of it; the decoder draws the moved code beside the digit's reconstruction, and the
// page measures each attribute on both, as metrics.ATTRIBUTES does.
//
// The handle holds z() (the moved code), mu, amounts(), moved and rebuilt (the two pictures),
// measure (the attributes, by name), set(amounts) and encode / decode.
const V = VT.view;

// metrics.directions in the page: ink (metrics.ink) and slant (metrics.slant), same formulas
const MEASURE = {
  thickness: (p) => p.reduce((a, v) => a + v, 0),
  slant(p) {
    let m = 0, mx = 0, my = 0, xy = 0, yy = 0;
    for (let i = 0; i < 784; i++) {
      const x = i % 28, y = 27 - Math.floor(i / 28), w = p[i];
      m += w; mx += w * x; my += w * y; xy += w * x * y; yy += w * y * y;
    }
    m = Math.max(m, 1e-12); mx /= m; my /= m;
    return (xy / m - mx * my) / Math.max(yy / m - my * my, 1e-12);
  },
};
const SHOWN = {thickness: (v) => v.toFixed(0), slant: (v) => v.toFixed(2)};

VT.kinds.directionSliders = function (root, o) {
  const room = V.room(root), encoder = VT.net(o.encoder), decoder = VT.net(o.decoder);
  const size = Math.min(112, Math.floor((room - 60) / 3));
  const handle = {mu: null, measure: MEASURE, encode: (p) => VT.mlp.gaussian(encoder, p),
                  decode: (z) => decoder.forward(z)};
  const rebuilt = V.digitCanvas(size, "the reconstruction (decoded mu)");
  const moved = V.digitCanvas(size, "the moved code, decoded");
  const said = V.el("output", {class: "vae-w-readout", "aria-live": "polite"});
  let what = "";
  const sliders = o.directions.map((d) =>
    V.slider(d.name, -o.reach, o.reach, 0.05, 0, () => draw()));
  sliders.forEach((s) => s.row.classList.add("vae-w-named"));
  handle.amounts = () => sliders.map((s) => parseFloat(s.input.value));
  handle.z = () => handle.mu.map((m, k) =>
    m + o.directions.reduce((a, d, j) => a + handle.amounts()[j] * d.v[k], 0));
  const facts = (p) => o.attributes.filter((a) => MEASURE[a]).map((a) => [a, MEASURE[a](p)]);
  function draw() {
    if (!handle.mu) return;
    handle.rebuilt = decoder.forward(handle.mu);
    handle.moved = decoder.forward(handle.z());
    V.showDigit(rebuilt, handle.rebuilt);
    V.showDigit(moved, handle.moved);
    const before = facts(handle.rebuilt), after = facts(handle.moved);
    const steps = o.directions.map((d, j) => `${handle.amounts()[j].toFixed(2)} along ${d.name}`);
    said.textContent = after.map(([a, v], i) =>
      `${a}: ${SHOWN[a](before[i][1])} → ${SHOWN[a](v)}`).join("\n");
    moved.setAttribute("aria-label", `${what} moved ${steps.join(" and ")}, decoded: ` +
      after.map(([a, v], i) => `${a} ${SHOWN[a](v)} (rebuilt: ${SHOWN[a](before[i][1])})`).join(", "));
  }
  handle.set = (amounts) => { sliders.forEach((s, j) => s.set(amounts[j])); draw(); };
  const source = VT.source({
    encoder, pad: o.draw ? Math.min(150, room - 20) : 0, padCaption: "steer my drawing",
    seenSize: size, seenCaption: "what the encoder sees", examples: o.examples, names: o.names,
    pickText: "steer a held-out digit: ",
    onEncode(e, w) {
      handle.mu = e.mu ? Array.from(e.mu) : null;
      what = w;
      if (!e.mu) { said.textContent = ""; return; }
      draw();
    }});
  root.append(V.title(o.title),
              V.el("div", {class: "vae-w-row"}, [...source.panels,
                V.panel("rebuilt from its mu", [rebuilt]), V.panel("moved, decoded", [moved])]),
              V.el("div", {class: "vae-w-controls"}, sliders.map((s) => s.row)),
              said, source.picker || "", V.foot(o.note));
  handle.pad = source.pad;
  VT.onTheme(() => { if (!root.isConnected) return false; draw(); });
  source.warmUp();
  root.querySelectorAll("[data-start], .vae-w-example")[o.start].click();
  return handle;
};
