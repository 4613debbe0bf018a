// widget-latent-maps.js: two 2-d latent maps side by side (web.latent_maps), each decoding the
// point under the pointer with its own decoder.
//
// The handle holds maps: per map {label, decode(z), point, image, map (VT.latentMap)}, and same
// (the "same scale" checkbox).
const V = VT.view;

VT.kinds.latentMaps = function (root, o) {
  // side by side when the two fit (the book's column), one above the other on a phone
  const room = V.room(root), pair = (room - 40) / 2 >= 220;
  const size = Math.floor(Math.min(300, pair ? (room - 40) / 2 : room - 20)), digit = 84;
  const handle = {maps: []};
  const row = V.el("div", {class: "vae-w-row"});
  for (const m of o.maps) {
    const decoder = VT.net(m.decoder), points = VT.datum(m.points);
    const image = V.digitCanvas(digit, "decoded image of the point on the " + m.label + " map");
    const where = V.el("output", {class: "vae-w-readout"});
    const entry = {label: m.label, decode: (z) => decoder.forward(z), image: null, point: null};
    entry.map = VT.latentMap({size, points: points.points, labels: points.labels, names: o.names,
      limit: m.limit, ring: m.ring, label: m.label + " latent map",
      onPoint(z) {
        entry.point = z;
        entry.image = decoder.forward(z);
        V.showDigit(image, entry.image);
        where.textContent = "decoded from\nz = " + V.fmt(z);
      }});
    handle.maps.push(entry);
    row.append(V.panel(m.label, [entry.map.canvas,
                                 V.el("div", {class: "vae-w-row vae-w-tight"}, [image, where])]));
  }
  const limits = o.maps.map((m) => m.limit), widest = Math.max(...limits);
  const same = V.el("input", {type: "checkbox"});
  same.addEventListener("change", () => handle.maps.forEach((e, i) =>
    e.map.setLimit(same.checked ? widest : limits[i])));
  const legend = V.el("div", {class: "vae-w-legend"}, o.names.map((name, k) =>
    V.el("span", {}, [V.el("i", {style: {background: VT.colors.classes[k]}}), name])));
  root.append(V.title(o.title), row, legend,
              V.el("label", {class: "vae-w-check"}, [same, " same scale on both maps"]),
              V.foot(o.note));
  handle.maps.forEach((e) => e.map.moveTo([0, 0], true));
  handle.same = same;
  return handle;
};
