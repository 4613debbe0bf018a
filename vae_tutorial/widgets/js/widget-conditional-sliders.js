// widget-conditional-sliders.js: the conditional VAE (web.conditional_sliders). Buttons ask for
// a digit, one slider per latent number sets the hand, and a row shows that hand writing every
// digit. A drawing or a held-out digit, encoded with the label the reader gives it, moves the
// sliders to its mu: the reader's own hand, every digit.
//
// The handle holds decode(z, label), encode(pixels, label), z(), set(z), asked (the digit asked
// for), drawn (the label drawings are encoded with), pixels (the asked digit's image), row (the
// ten images), image and mu (the last drawing or example encoded), pad and ask(label).
const V = VT.view;

VT.kinds.conditionalSliders = function (root, o) {
  const room = V.room(root), lim = o.range, classes = o.names.length;
  const encoder = VT.net(o.encoder), decoder = VT.net(o.decoder);
  const handle = {asked: o.start, drawn: o.start, image: null, mu: null,
                  decode: (z, label) => decoder.forward(VT.mlp.withLabel(z, label, classes)),
                  encode: (pixels, label) => VT.mlp.gaussian(
                    encoder, VT.mlp.withLabel(pixels, label, classes))};
  const big = V.digitCanvas(Math.min(140, room - 40), "the digit asked for, decoded");
  const small = Math.max(24, Math.min(48, Math.floor((room - 60) / classes) - 6));
  const row = o.names.map((name) => V.digitCanvas(small, "the same hand writing a " + name));
  const sliders = Array.from({length: o.latent}, (_, k) =>
    V.slider("z" + (k + 1), -lim, lim, 0.05, 0, () => draw()));
  const asks = o.names.map((name, k) => V.button(name, () => handle.ask(k),
                                                 {title: "ask for a " + name, "aria-pressed": "false"}));

  function draw() {
    const z = handle.z();
    asks.forEach((button, k) => button.setAttribute("aria-pressed", String(k === handle.asked)));
    handle.row = row.map((canvas, k) => {
      const pixels = handle.decode(z, k);
      V.showDigit(canvas, pixels);
      return pixels;
    });
    handle.pixels = handle.row[handle.asked];
    V.showDigit(big, handle.pixels);
  }
  handle.z = () => sliders.map((s) => parseFloat(s.input.value));
  handle.set = (z) => {
    sliders.forEach((s, k) => s.set(Math.min(lim, Math.max(-lim, z[k]))));
    draw();
  };
  handle.ask = (label) => { handle.asked = label; draw(); };

  // the encoder reads the pixels and the label the reader says the drawing shows
  const said = V.el("output", {class: "vae-w-readout", "aria-live": "polite"});
  const labelled = {forward: (pixels) => encoder.forward(VT.mlp.withLabel(pixels, handle.drawn, classes))};
  function took(e, what) {
    handle.image = e.image; handle.mu = e.mu;
    said.textContent = e.mu ? `the sliders hold the hand of ${what} (encoded as a ` +
      `${o.names[handle.drawn]}): mu = ${V.fmt(e.mu)}` : "";
    if (e.mu) handle.set(e.mu);
  }
  const source = VT.source({
    encoder: labelled, pad: Math.min(150, room - 20), padCaption: "draw a digit",
    seenSize: 84, seenCaption: "what the encoder sees",
    examples: o.examples, names: o.names, pickText: "or take a held-out digit: ",
    onPick(name) { choose.value = String(o.names.indexOf(name)); handle.drawn = o.names.indexOf(name); },
    onEncode: took});
  handle.pad = source.pad;
  const choose = V.el("select", {"aria-label": "the digit your drawing shows"},
                      o.names.map((name, k) => V.el("option", {value: String(k), text: name})));
  choose.value = String(handle.drawn);
  choose.addEventListener("change", () => {
    handle.drawn = parseInt(choose.value, 10);
    if (handle.mu) took(VT.mlp.gaussian(labelled, handle.image), "your drawing");
  });

  root.append(
    V.title(o.title),
    V.el("div", {class: "vae-w-buttons vae-w-pick"}, [V.el("span", {text: "ask for a: "}), ...asks]),
    V.el("div", {class: "vae-w-row"}, [V.el("div", {class: "vae-w-controls"}, sliders.map((s) => s.row)),
                                       big]),
    V.panel("the same hand, every digit (the same latent numbers, each label)",
            [V.el("div", {class: "vae-w-row vae-w-tight"}, row)]),
    V.el("div", {class: "vae-w-row"}, [...source.panels,
      V.panel("it shows a", [choose])]),
    source.picker || "", said, V.foot(o.note));
  VT.onTheme(() => { if (!root.isConnected) return false; draw(); });
  source.warmUp();
  handle.set(sliders.map(() => 0));
  return handle;
};
