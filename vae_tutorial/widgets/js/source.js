// source.js: an encoder's input, for every widget that encodes what the reader gives it.
//
// The reader draws on a pad (its strokes rasterised MNIST's way, VT.raster) or picks a held-out
// example (a button per class: the keyboard's way in); the page shows the 28 x 28 image the
// encoder sees and encodes it. A pick clears the pad; clearing the pad empties the image.
//
// VT.source(o) -> {pad, panels, picker, warmUp()}
//   o.encoder       the encoder (VT.net) that turns an image into mu and sigma
//   o.pad           the pad's size in px, or 0 for no pad; o.padCaption: the caption over it;
//                   o.padHint: what the empty pad says (default "draw a digit here")
//   o.seenSize      the size of "what the encoder sees"; o.seenCaption: its caption
//   o.examples      a data key of held-out examples ({images, labels}) or null; o.names: the
//                   class names; o.pickText: the words before the buttons; o.onPick(name), if
//                   given, runs before a picked example is encoded (a conditional encoder
//                   takes the example's label)
//   o.onEncode(e, what)  after every change: e = {image, mu, sigma} (mu and sigma null for an
//                   empty image); what = "your drawing" or "this <class name>"
// panels: the pad's panel (with its clear button) and the image's panel, for the widget's row;
// picker: the row of examples (null without examples).
const V = VT.view;
const WARM_UP = [[0.3, 0.3], [0.7, 0.5], [0.4, 0.8]];   // a stroke to run once at load

VT.source = function (o) {
  const seen = V.digitCanvas(o.seenSize, "the 28 by 28 image the encoder sees");
  let image = new Float64Array(784);

  function take(pixels, what) {
    image = pixels;
    V.showDigit(seen, pixels);
    const empty = !pixels.some((v) => v > 0);
    const g = empty ? {mu: null, sigma: null} : VT.mlp.gaussian(o.encoder, pixels);
    o.onEncode({image: pixels, mu: g.mu, sigma: g.sigma}, what);
  }

  const panels = [];
  let pad = null;
  if (o.pad) {
    pad = VT.pad(o.pad, () => take(VT.raster.rasterize(pad.strokes), "your drawing"), o.padHint);
    panels.push(V.panel(o.padCaption, [pad.canvas, V.el("div", {}, [V.button("clear", () => pad.clear())])]));
  }
  panels.push(V.panel(o.seenCaption, [seen]));
  const picker = o.examples ? V.el("div", {class: "vae-w-pick"}, [
    V.el("span", {text: o.pickText}),
    V.examples(o.examples, o.names, (pixels, name) => {
      if (pad) pad.reset();
      if (o.onPick) o.onPick(name);
      take(pixels, "this " + name);
    })]) : null;
  VT.onTheme(() => { if (!seen.isConnected) return false; V.showDigit(seen, image); });

  return {
    pad, panels, picker,
    // one pass through everything a stroke runs, while the page loads, then back to empty:
    // the reader's first stroke finds it compiled (it took ~20 ms cold)
    warmUp() {
      take(VT.raster.rasterize([WARM_UP]), "your drawing");
      take(new Float64Array(784), "your drawing");
    },
  };
};
