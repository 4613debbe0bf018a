// likelihood.js: how likely a VAE finds an image, in the page (VT.likelihood): the
// importance-sampled estimate of log p(x) of likelihood.py, with the noise given.
//
// For K points z_k = mu + sigma * eps_k drawn from q(z|x), log w_k = log p(x|z_k) + log p(z_k)
// - log q(z_k|x), and the estimate is log (1/K) sum_k w_k. The eps come from the page's options
// (drawn once in Python), so the same image always gets the same number, the number PyTorch
// gives with the same draws. log p(x|z) is the Bernoulli decoder's, computed from the logits as
// binary_cross_entropy_with_logits does: x l - log(1 + e^l), stably.
const LOG_2PI = Math.log(2 * Math.PI);

function bernoulli(logits, x) {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const l = logits[i];
    s += x[i] * l - (Math.max(l, 0) + Math.log1p(Math.exp(-Math.abs(l))));
  }
  return s;
}

// model: {encoder (VT.net), logits (VT.mlp.logits of the decoder)}; eps: K arrays of latent_dim
// numbers. Returns {estimate, mu, sigma} in nats (estimate: (N,) of likelihood.py for N = 1).
VT.likelihood = {};
VT.likelihood.estimate = function (model, pixels, eps) {
  const out = model.encoder.forward(pixels), d = out.length / 2;
  const mu = out.slice(0, d), logvar = out.slice(d);
  const logW = eps.map((e) => {
    const z = new Float64Array(d);
    let logPz = 0, logQz = 0;
    for (let j = 0; j < d; j++) {
      z[j] = mu[j] + Math.exp(0.5 * logvar[j]) * e[j];
      logPz -= 0.5 * (LOG_2PI + z[j] * z[j]);
      logQz -= 0.5 * (LOG_2PI + logvar[j] + (z[j] - mu[j]) ** 2 / Math.exp(logvar[j]));
    }
    return bernoulli(model.logits.forward(z), pixels) + logPz - logQz;
  });
  const top = Math.max(...logW);
  const sum = logW.reduce((s, w) => s + Math.exp(w - top), 0);
  return {estimate: top + Math.log(sum / logW.length), mu: Array.from(mu),
          sigma: Array.from(logvar, (v) => Math.exp(0.5 * v))};
};
