// widget-decoder-sliders.js: one slider per latent number, decoded live (web.decoder_sliders);
// buttons jump to each class's mean encoding; with an encoder, the sliders can start at the
// encoding (mu) of a drawing or of a held-out image.
//
// The handle holds decode(z), z() (the sliders' values), set(z), pixels (the image shown) and,
// with an encoder, encode(pixels), image (what the encoder saw), mu and pad.
const V = VT.view;

VT.kinds.decoderSliders = function (root, o) {
  const room = V.room(root), decoder = VT.net(o.decoder), lim = o.range;
  const handle = {decode: (z) => decoder.forward(z)};
  const out = V.digitCanvas(Math.min(168, room - 40), "the decoded image");
  const sliders = Array.from({length: o.latent}, (_, k) =>
    V.slider("z" + (k + 1), -lim, lim, 0.05, 0, () => draw()));
  function draw() {
    handle.pixels = decoder.forward(handle.z());
    V.showDigit(out, handle.pixels);
  }
  handle.z = () => sliders.map((s) => parseFloat(s.input.value));
  handle.set = (z) => {
    sliders.forEach((s, k) => s.set(Math.min(lim, Math.max(-lim, z[k]))));
    draw();
  };
  const starts = o.starts.length ? V.el("div", {class: "vae-w-buttons vae-w-pick"}, [
    V.el("span", {text: "start at the mean encoding of: "}),
    ...o.starts.map((s) => V.button(s.name, () => handle.set(s.z),
                                    {title: "the mean encoding of " + s.name, "data-start": ""}))]) : null;
  const controls = V.el("div", {class: "vae-w-controls"}, sliders.map((s) => s.row));
  root.append(V.title(o.title), starts || "", V.el("div", {class: "vae-w-row"}, [controls, out]));

  let source = null;
  if (o.encoder) {
    const encoder = VT.net(o.encoder);
    const said = V.el("output", {class: "vae-w-readout", "aria-live": "polite"});
    handle.encode = (pixels) => VT.mlp.gaussian(encoder, pixels);
    source = VT.source({
      encoder, pad: o.draw ? Math.min(150, room - 20) : 0, padCaption: "encode my drawing",
      seenSize: 84, seenCaption: "what the encoder sees",
      examples: o.examples, names: o.names,
      pickText: o.draw ? "or encode a held-out image: " : "encode a held-out picture: ",
      onEncode(e, what) {
        handle.image = e.image; handle.mu = e.mu;
        said.textContent = e.mu ? `the sliders start at the mu of ${what}: ${V.fmt(e.mu)}` : "";
        if (e.mu) handle.set(e.mu);
      }});
    handle.pad = source.pad;
    root.append(V.el("div", {class: "vae-w-row"}, source.panels), source.picker || "", said);
  }
  root.append(V.foot(o.note));
  VT.onTheme(() => { if (!root.isConnected) return false; draw(); });
  if (source) source.warmUp();
  handle.set(o.starts.length && o.start !== null ? o.starts[o.start || 0].z : sliders.map(() => 0));
  return handle;
};
