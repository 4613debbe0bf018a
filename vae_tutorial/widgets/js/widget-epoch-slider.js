// widget-epoch-slider.js: two 2-d models learning, side by side (web.epoch_slider). One slider
// moves through the recorded epochs; for each model: where its training digits' codes lie
// after that epoch, the fixed random points decoded and the training digits rebuilt. Nothing is
// computed here but the drawing: every epoch's codes and pictures come in the page.
//
// The handle holds show(i) (the i-th recorded epoch), index, epoch and, per model, {label,
// map (VT.latentMap), decoded and rebuilt (canvases), said (its readout)}.
const V = VT.view;

VT.kinds.epochSlider = function (root, o) {
  const room = V.room(root), pair = (room - 40) / 2 >= 220;
  const width = Math.floor(Math.min(300, pair ? (room - 40) / 2 : room - 20));
  const cols = 5, tile = Math.floor((width - 2) / cols);
  const handle = {index: 0, epoch: o.epochs[0], models: []};
  const row = V.el("div", {class: "vae-w-row"});
  for (const m of o.models) {
    const data = VT.datum(m.data), n = o.codes;
    const entry = {label: m.label, said: V.el("output", {class: "vae-w-readout"})};
    entry.codes = (i) => data.codes.subarray(2 * n * i, 2 * n * (i + 1));
    entry.map = VT.latentMap({size: width, points: entry.codes(0), labels: data.labels,
                              names: o.names, limit: m.limit, ring: o.ring, label: m.label});
    entry.decoded = V.stripCanvas(o.points, cols, tile, "");
    entry.rebuilt = V.stripCanvas(o.digits, cols, tile, "");
    entry.paint = (i) => {
      V.showStrip(entry.decoded, data.decoded, 784 * o.points * i, o.points);
      V.showStrip(entry.rebuilt, data.rebuilt, 784 * o.digits * i, o.digits);
    };
    entry.show = (i) => {
      const epoch = o.epochs[i], spread = m.spread[i].toFixed(2);
      const inside = Math.round(100 * m.inside[i]) + "%";
      entry.map.setPoints(entry.codes(i));
      entry.paint(i);
      entry.said.textContent = `spread ${spread}, inside the circle ${inside}`;
      entry.map.canvas.setAttribute("aria-label", `${m.label} latent map after epoch ${epoch}: ` +
        `${n} training digits' codes, spread ${spread}, ${inside} inside the dashed circle`);
      entry.decoded.setAttribute("aria-label", `${o.points} random latent points decoded by the ` +
                                 `${m.label} after epoch ${epoch}`);
      entry.rebuilt.setAttribute("aria-label", `${o.digits} training digits rebuilt by the ` +
                                 `${m.label} after epoch ${epoch}`);
    };
    handle.models.push(entry);
    row.append(V.panel(m.label, [entry.map.canvas, entry.said,
      V.el("div", {class: "vae-w-caption", text: o.points + " random points, decoded"}), entry.decoded,
      V.el("div", {class: "vae-w-caption", text: o.digits + " training digits, rebuilt"}), entry.rebuilt]));
  }
  const last = o.epochs.length - 1;
  const slider = V.slider("epoch", 0, last, 1, 0, () => show(parseInt(slider.input.value, 10)));
  slider.input.setAttribute("aria-valuetext", "");
  function show(i) {
    handle.index = i; handle.epoch = o.epochs[i];
    slider.out.textContent = `${o.epochs[i]} of ${o.of}`;
    slider.input.setAttribute("aria-valuetext", `epoch ${o.epochs[i]} of ${o.of}`);
    handle.models.forEach((e) => e.show(i));
  }
  handle.show = (i) => { slider.set(i); show(i); };
  let timer = null;
  const play = V.button("play", () => {
    if (timer) { stop(); return; }
    if (handle.index === last) handle.show(0);
    play.textContent = "pause";
    timer = setInterval(() => {
      if (!root.isConnected || handle.index === last) { stop(); return; }
      handle.show(handle.index + 1);
    }, 600);
  }, {title: "step through the epochs"});
  function stop() { clearInterval(timer); timer = null; play.textContent = "play"; }
  slider.input.addEventListener("input", stop);
  const legend = V.el("div", {class: "vae-w-legend"}, o.names.map((name, k) =>
    V.el("span", {}, [V.el("i", {style: {background: VT.colors.classes[k]}}), name])));
  root.append(V.title(o.title), V.el("div", {class: "vae-w-row vae-w-tight"}, [slider.row, play]),
              row, legend, V.foot(o.note));
  slider.row.classList.add("vae-w-epoch");
  VT.onTheme(() => {
    if (!root.isConnected) return false;
    handle.models.forEach((e) => e.paint(handle.index));
  });
  handle.show(0);
  return handle;
};
