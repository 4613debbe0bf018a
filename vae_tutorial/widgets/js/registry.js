// registry.js: one registry per page, window.vaeTutorial (VT below).
//
// The modules. web.bundle() joins the files of this folder into one script that defines
// window.vaeTutorial once per page; each file runs in a scope of its own and shares nothing
// with the others but VT: it reads the modules it needs from VT when it runs, and puts what it
// offers on VT under one name (VT.weights, VT.mlp, VT.raster, VT.view, VT.pad, VT.source,
// VT.latentMap, and each widget kind in VT.kinds). VT.colors, the palette, comes from
// plots.py's colours (web.py writes it before the files).
//
// Every widget output pushes items onto VT.queue: ["net", key, layers], ["data", key, payload]
// and ["widget", kind, rootId, options]. An output carries a model's weights only the first time
// the kernel shows that model, so a widget may arrive before or after the weights it names (in
// JupyterLab outputs render as they scroll into view). This file drains the queue and starts
// each widget as soon as everything it names is on the page: VT.kinds[kind](root, options)
// builds it in the element root and returns its handle, kept in VT.widgets[rootId].
VT.nets = VT.nets || {};        // key -> layers as sent (decoded on first use)
VT.data = VT.data || {};        // key -> payload as sent (decoded on first use)
VT.widgets = VT.widgets || {};  // root id -> the widget's handle (its state, for the curious)
VT.waiting = VT.waiting || [];  // widgets still missing a net or data
VT.kinds = {};                  // kind -> the widget's constructor (the widget-*.js files)
VT.built = {};                  // key -> decoded net or data, for this version of the code

VT.net = function (key) {
  if (!VT.built[key]) VT.built[key] = VT.mlp.build(VT.nets[key].map(VT.weights.layer));
  return VT.built[key];
};

VT.datum = function (key) {
  if (!VT.built[key]) VT.built[key] = VT.weights.payload(VT.data[key]);
  return VT.built[key];
};

function has(key) {
  return key in VT.nets || key in VT.data;
}

function message(root, text) {
  let note = root.querySelector(":scope > .vae-w-note");
  if (!note) {
    note = document.createElement("div");
    note.className = "vae-w-note";
    root.replaceChildren(note);
  }
  note.textContent = text;
}

function start(item) {
  const [, kind, rootId, options] = item;
  const root = document.getElementById(rootId);
  if (!root) return true;                  // the output was removed (a cell re-run)
  const missing = (options.needs || []).filter((key) => !has(key));
  if (missing.length) {
    message(root, "Waiting for the model's weights. They travel with the first widget " +
      "this notebook showed for the same model; if that output is gone, run " +
      "vae_tutorial.support.web.forget() and then this cell again.");
    return false;
  }
  try {
    root.replaceChildren();
    VT.widgets[rootId] = VT.kinds[kind](root, options);
  } catch (err) {
    message(root, "This widget failed to start: " + err.message);
    console.error("vae-tutorial widget " + rootId, err);
  }
  return true;
}

function receive(item) {
  const [type, key, payload] = item;
  if (type === "net" || type === "data") {
    (type === "net" ? VT.nets : VT.data)[key] = payload;
    delete VT.built[key];
    VT.waiting = VT.waiting.filter((w) => !start(w));
  } else if (type === "widget") {
    if (!start(item)) VT.waiting.push(item);
  }
}

// Widgets redraw when the book's theme switches between light and dark (pydata-sphinx-theme
// sets data-theme on <html>), because their ink colour follows the text colour.
VT.themeListeners = [];
VT.onTheme = function (redraw) {
  VT.themeListeners.push(redraw);
};
if (!VT.themeObserver && typeof MutationObserver !== "undefined") {
  VT.themeObserver = new MutationObserver(() => {
    VT.themeListeners = VT.themeListeners.filter((f) => f() !== false);
  });
  VT.themeObserver.observe(document.documentElement,
    {attributes: true, attributeFilter: ["data-theme", "data-mode", "class"]});
}

// the widgets' stylesheet, once per page (a newer version of the code replaces it)
VT.style = function (css) {
  let tag = document.getElementById("vae-tutorial-css");
  if (!tag) {
    tag = document.createElement("style");
    tag.id = "vae-tutorial-css";
    document.head.appendChild(tag);
  }
  tag.textContent = css;
};

VT.start = function () {
  const pending = Array.isArray(VT.queue) ? VT.queue : [];
  VT.queue = {push: receive};
  pending.forEach(receive);
  const waiting = VT.waiting;
  VT.waiting = [];
  waiting.forEach(receive);
};
