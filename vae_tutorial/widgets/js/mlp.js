// mlp.js: the forward pass of the package's MLP encoder and decoder.
//
// The same arithmetic as PyTorch's nn.Linear (y = W x + b) followed by the layer's activation;
// sums run in float64, so the page agrees with PyTorch's float32 to about 1e-6.
VT.mlp = {};

VT.mlp.build = function (layers) {
  function forward(x) {
    let h = Float64Array.from(x);
    for (const L of layers) {
      const o = new Float64Array(L.out), W = L.W, n = L.in;
      for (let j = 0; j < L.out; j++) {
        let s = L.B[j];
        for (let i = 0, row = j * n; i < n; i++) s += W[row + i] * h[i];
        if (L.act === "relu") s = s > 0 ? s : 0;
        else if (L.act === "sigmoid") s = 1 / (1 + Math.exp(-s));
        o[j] = s;
      }
      h = o;
    }
    return h;
  }
  return {forward, layers, inputs: layers[0].in, outputs: layers[layers.length - 1].out};
};

// A VAE encoder's outputs are mu and log-variance side by side; sigma = exp(logvar / 2).
VT.mlp.gaussian = function (net, pixels) {
  const out = net.forward(pixels), k = out.length / 2;
  const mu = Array.from(out.slice(0, k));
  const sigma = Array.from(out.slice(k), (logvar) => Math.exp(0.5 * logvar));
  return {mu, sigma};
};

// The conditional VAE's input: x followed by the label one-hot (models.one_hot), ten numbers.
VT.mlp.withLabel = function (x, label, classes) {
  const out = new Float64Array(x.length + classes);
  out.set(x);
  out[x.length + label] = 1;
  return out;
};

// The same net without the sigmoid on its last layer: a decoder's logits (the weights are shared).
VT.mlp.logits = function (net) {
  const last = net.layers.length - 1;
  return VT.mlp.build(net.layers.map((L, i) => (i === last ? Object.assign({}, L, {act: "none"}) : L)));
};
