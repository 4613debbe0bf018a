"""The exercises of chapters 7 to 10: one training step, a walk between two digits, the BCE
floor, the whole loss, and a reconstruction. The whole loss's mistakes are the reconstruction
loss's and the KL's (chapters 5 and 6), each put into the loss; a training step's mistakes are
those, put into a step, and the step's own."""

from __future__ import annotations

import math

import torch

from .. import latent, losses, metrics
from ..models import VAE
from ..train import vae_step
from .checking import Exercise, Found, call_scalar, describe, digits, gen, pictures
from .chapters_01_06 import KL, LOSS_GRADIENT, MSE, kl_cases, kl_terms, loss_cases, squared_error
from .running import as_tensor, call

# --------------------------------------------------------------------------- 10: the whole loss
# (first, because a training step can make every one of its mistakes)


def _rec(logits, x):
    return squared_error(logits, x).sum((1, 2, 3))        # (B,)


def _kl(mu, lv):
    return kl_terms(mu, lv.exp(), lv).sum(1)    # (B,)


def _with_rec(version):
    return lambda logits, x, mu, lv: version(logits, x) + _kl(mu, lv).mean()


def _with_kl(version):
    return lambda logits, x, mu, lv: _rec(logits, x).mean() + version(mu, lv)


BETA = ("the KL is weighted by {beta} (beta = {beta}): the book's loss adds it once, beta = 1 "
        "(losses.vae_loss's default)")
LOSS_MISTAKES = {
    "mean-over-pixels": ("the reconstruction loss is averaged over the 784 pixels while the KL "
                         "is summed: the KL weighs 784 times too much (posterior collapse). Sum "
                         "over pixels", _with_rec(MSE.mistakes["mean-over-pixels"][1])),
    "kl-sign-flipped": ("the KL is subtracted: the loss is reconstruction + KL, and a KL is "
                        "never negative", _with_kl(KL.mistakes["sign-flipped"][1])),
    **{f"rec-{key}": (f"in the reconstruction term, {MSE.mistakes[key][0]}",
                      _with_rec(MSE.mistakes[key][1]))
       for key in ("logits", "not-squared", "sum-over-batch")},
    **{f"kl-{key}": (f"in the KL term, {KL.mistakes[key][0]}", _with_kl(KL.mistakes[key][1]))
       for key in ("missing-half", "logvar-as-sigma", "logvar-as-log-sigma", "no-minus-one",
                   "mean-over-latent", "sum-over-batch")},
    "no-kl": ("there is no KL term: that is the plain autoencoder's loss",
              lambda logits, x, mu, lv: _rec(logits, x).mean()),
    "bce": ("that is binary cross-entropy: this loss is the summed squared error of "
            "torch.sigmoid(logits) against x",
            lambda logits, x, mu, lv: losses.reconstruction_loss(logits, x, "bce")
            + _kl(mu, lv).mean()),
    "sum-over-batch": ("it sums over the batch instead of averaging: divide by the number of "
                       "images", lambda logits, x, mu, lv: (_rec(logits, x) + _kl(mu, lv)).sum()),
    "batch-averaged-twice": ("the batch is averaged twice (divided by the batch size once too "
                             "often)",
                             lambda logits, x, mu, lv: (_rec(logits, x) + _kl(mu, lv)).mean()
                             / len(x)),
    "beta": (BETA, None),
}


def implied_beta(total: float, rec: float, kl: float) -> float:
    """The weight of the KL that makes ``rec + beta * kl`` the ``total`` a function gave."""
    return (total - rec) / kl if kl else math.nan


def _spot_beta(got, expected, args) -> None:
    """A loss whose KL carries another weight, when that weight is a round number (0.5, 2, 10):
    what a beta left in from chapter 6 gives."""
    if got.numel() != 1:
        return
    logits, x, mu, lv = (a.double() for a in args)
    beta = implied_beta(got.item(), _rec(logits, x).mean().item(), _kl(mu, lv).mean().item())
    rounded = float(f"{beta:.2g}") if math.isfinite(beta) else math.nan
    if abs(beta - rounded) <= 1e-4 * abs(beta) and abs(beta - 1) > 1e-3 and abs(beta) > 1e-3:
        raise Found("beta", beta=f"{rounded:g}")


def _vae_loss_cases(case: int) -> tuple:
    logits, x = loss_cases(case)
    mu, logvar = kl_cases(case)
    return logits, x, mu, logvar


VAE_LOSS = Exercise(
    "vae_loss", "10", "summed squared error + KL, each summed per image, averaged over the batch",
    lambda logits, x, mu, logvar: losses.vae_loss(logits, x, mu, logvar, "mse").total,
    _vae_loss_cases, call_scalar,
    {
        **LOSS_MISTAKES,
        "per-image": ("it returns one number per image: average them over the batch (.mean())",
                      lambda logits, x, mu, lv: _rec(logits, x) + _kl(mu, lv)),
        "no-gradient": (LOSS_GRADIENT, None),
    },
    "Reconstruction + KL, both per image: the negative ELBO's shape.",
    spot=_spot_beta, gradient=(0, 2, 3))


# --------------------------------------------------------------------------- 07: one training step
# Two steps of the reader's train_step(model, optimizer, x) from the same start, compared with
# two of the book's: the losses returned and every weight afterwards. The update depends on the
# noise eps that draws z, and a right answer may draw it any way it likes (torch.randn(d, B).T,
# float64, after an extra model(x)...). So the check reads the noise the reader's step used
# from the z its decoder got, eps = (z - mu) / sigma, judges it (it must look like N(0, 1),
# change between steps, not be 0), and gives exactly that noise to the book's step.

_STEP_MODEL = {"latent_dim": 3, "hidden_dims": (32, 16)}
_STEP_BATCH = 64
# The log-variances start apart, as a trained model's do, so a sigma computed wrong shows.
_START_LOGVAR = (-1.5, 0.0, 1.5)


class _Noise(list):
    """The noise of each step, read from the reader's step; one list for every run of a case
    (a deep copy of the case keeps it)."""

    def __deepcopy__(self, memo):
        return self


class _ReplayVAE(VAE):
    """The VAE, whose ``reparameterize`` uses ``noise`` as eps when it is given."""

    noise = None

    def reparameterize(self, mu, logvar):
        if self.noise is None:
            return super().reparameterize(mu, logvar)
        return mu + torch.exp(0.5 * logvar) * self.noise


def _step_cases(case: int) -> tuple:
    return case, pictures(_STEP_BATCH, gen(case)), _Noise()


def _start(case: int):
    torch.manual_seed(case)
    model = _ReplayVAE(**_STEP_MODEL)
    with torch.no_grad():
        model.fc_logvar.bias.copy_(torch.tensor(_START_LOGVAR))
    return model, torch.optim.Adam(model.parameters(), lr=1e-3)


def _watch(model, seen: list) -> list:
    """Hooks that record mu, logvar and the decoder's input z, whenever gradients are on."""
    def record(kind):
        def hook(module, inputs, output=None):
            if torch.is_grad_enabled():
                seen.append((kind, inputs[0] if output is None else output))
        return hook
    return [model.fc_mu.register_forward_hook(record("mu")),
            model.fc_logvar.register_forward_hook(record("logvar")),
            model.decode_logits.register_forward_pre_hook(record("z"))]


def _noise_of(seen: list) -> torch.Tensor | None:
    """eps = (z - mu) / sigma of the last z decoded, from the mu and logvar made before it."""
    last, eps = {}, None
    for kind, t in seen:
        last[kind] = t
        if kind == "z" and "mu" in last and "logvar" in last and t.shape == last["mu"].shape:
            eps = ((t - last["mu"]) / torch.exp(0.5 * last["logvar"])).detach()
    return eps


def _judge_noise(noise: list) -> None:
    drawn = [e for e in noise if e is not None]
    for eps in drawn:
        if float(eps.abs().max()) < 1e-4:
            raise Found("decoded-mu")
    if len(drawn) == 2 and torch.allclose(*drawn):
        raise Found("fixed-noise")
    for eps in drawn:
        if float(eps.min()) >= 0 and float(eps.max()) < 1:
            raise Found("uniform-noise")
        mean, spread = eps.mean(0), eps.std(0)    # per latent number, over the batch
        if bool((mean.abs() > 0.6).any() | (spread < 0.6).any() | (spread > 1.5).any()):
            worst = int((spread.log().abs() + mean.abs()).argmax())
            raise Found("not-normal", mean=f"{mean[worst]:.2f}", spread=f"{spread[worst]:.2f}",
                        logvar=f"{_START_LOGVAR[worst]:g}")


def _run_step(step, args):
    case, x, noise = args
    replay = len(noise) == 2
    with torch.random.fork_rng():
        model, optimizer = _start(case)
        seen: list = []
        hooks = _watch(model, seen)
        returned = []
        try:
            for k in range(2):
                model.noise = noise[k] if replay else None
                seen.clear()
                returned.append(as_tensor(call(step, model, optimizer, x)).reshape(-1)[:1])
                if not replay:
                    noise.append(_noise_of(seen))
        finally:
            for hook in hooks:
                hook.remove()
    if not replay:
        _judge_noise(noise)
    weights = torch.cat([p.detach().double().flatten() for p in model.parameters()])
    return torch.cat([*returned, weights])


def _describe_step(got, expected, args) -> str:
    if got.shape != expected.shape:
        return describe(got, expected)
    mine = [digits(a, b) for a, b in zip(got[:2].tolist(), expected[:2].tolist())]
    if all(a == b for a, b in mine):
        gap = (got[2:] - expected[2:]).abs().max().item()
        return ("the losses are the book's, but after two steps the weights differ by up to "
                f"{gap:.3g}")
    return (f"the two losses yours returns are {mine[0][0]} and {mine[1][0]}, the book's "
            f"{mine[0][1]} and {mine[1][1]}")


def _book_step(model, optimizer, x):
    """The book's step (train.train_epoch's loop body): steps 1-4 in vae_step, then step 5."""
    terms = vae_step(model, x, None)
    optimizer.zero_grad()
    terms.total.backward()
    optimizer.step()
    return terms.total.item()


def _step_with(loss, zero_grad=True, update=True):
    def step(model, optimizer, x):
        logits, mu, logvar = model(x)
        total = loss(logits, x, mu, logvar)
        if zero_grad:
            optimizer.zero_grad()
        if update:
            total.backward()
            optimizer.step()
        return total.item()
    return step


def _new_optimizer(model, optimizer, x):
    return _book_step(model, torch.optim.Adam(model.parameters(), lr=1e-3), x)


def _book_loss(logits, x, mu, logvar):
    return losses.vae_loss(logits, x, mu, logvar).total


def _spot_step_beta(got, expected, args) -> None:
    """A step whose loss weighs the KL by another beta: read beta from the first loss it
    returned, then replay the whole step with that beta to confirm it."""
    case, x, noise = args
    with torch.random.fork_rng():
        model, _ = _start(case)
        model.noise = noise[0]
        with torch.no_grad():
            logits, mu, logvar = model(x)
            terms = losses.vae_loss(logits, x, mu, logvar)
    beta = implied_beta(got[0].item(), terms.reconstruction.item(), terms.kl.item())
    if not math.isfinite(beta) or abs(beta - 1) < 1e-3:
        return
    version = _step_with(lambda l, x_, m, v: losses.vae_loss(l, x_, m, v, beta=beta).total)
    theirs = _run_step(version, (case, x.clone(), noise))
    if torch.allclose(got, theirs, rtol=1e-3, atol=1e-5):
        raise Found("beta", beta=f"{beta:.3g}")


TRAIN_STEP = Exercise(
    "train_step", "7", "one training step: encode, sample, decode, both losses, update",
    _book_step, _step_cases, _run_step,
    {
        "no-zero-grad": ("the gradients are never reset, so each step adds to the last one's: "
                         "call optimizer.zero_grad() before loss.backward()",
                         _step_with(_book_loss, zero_grad=False)),
        "weights-unchanged": ("the weights never change: call loss.backward(), then "
                              "optimizer.step() (after zero_grad, not between the two)",
                              _step_with(_book_loss, update=False)),
        "new-optimizer": ("a new optimizer at every step forgets what Adam has learnt of the "
                          "gradients (its running averages): update with the optimizer given",
                          _new_optimizer),
        **{key: (hint, _step_with(version)) for key, (hint, version) in LOSS_MISTAKES.items()
           if version is not None},
        "beta": (BETA, None),
        "decoded-mu": ("the decoder gets mu, not a sampled z: step 2 draws z = mu + sigma * eps "
                       "(model(x) does all three steps)", None),
        "fixed-noise": ("both steps use the same noise eps (a seed or a generator inside "
                        "train_step?): every step needs new noise, which model(x) draws", None),
        "uniform-noise": ("the noise is uniform on [0, 1) (torch.rand): eps comes from "
                          "N(0, 1), torch.randn_like(mu), as in model(x)", None),
        "not-normal": ("the z your step decodes is not mu + sigma * eps with eps ~ N(0, 1): "
                       "read with sigma = exp(logvar / 2), its noise has mean {mean} and "
                       "spread {spread} where logvar starts at {logvar}. Draw z as model(x) "
                       "does (model.reparameterize)", None),
    },
    "Same loss and same weights as train.train_epoch's step, twice in a row, with the noise "
    "your step drew.",
    rtol=1e-3, atol=1e-5, describe=_describe_step, spot=_spot_step_beta)


# --------------------------------------------------------------------------- 08: interpolation

def _interp_cases(case: int) -> tuple:
    g = gen(case)
    with torch.random.fork_rng():
        torch.manual_seed(case)
        model = VAE(latent_dim=4, hidden_dims=(32, 16)).eval()
    a, b = pictures(2, g)
    return model, a, b, 5 + case


def _twice(fn, *args) -> torch.Tensor:
    """``fn(*args)`` under two seeds: a result meant to be the same every time must be."""
    outs = []
    for seed in (0, 1):
        with torch.random.fork_rng(), torch.no_grad():
            torch.manual_seed(seed)
            outs.append(as_tensor(call(fn, *args)))
    if outs[0].shape == outs[1].shape and not torch.allclose(*outs):
        raise Found("sampled-z")
    return outs[0]


def _mu(model, image):
    return model.encode(image[None])[0]


def _interp_with(decode=None, t=None):
    def interpolate(model, a, b, steps):
        ts = (torch.linspace(0, 1, steps) if t is None else t(steps))[:, None]
        z = (1 - ts) * _mu(model, a) + ts * _mu(model, b)
        return (decode or model.decode)(z)
    return interpolate


INTERPOLATE = Exercise(
    "interpolate", "8", "decode evenly spaced points on the line from a's encoding to b's",
    latent.interpolate, _interp_cases, lambda fn, args: _twice(fn, *args),
    {
        "pixels": ("that is a cross-fade of the two pictures: interpolate between their "
                   "encodings (mu) and decode those points",
                   lambda model, a, b, steps: torch.stack([(1 - t) * a + t * b
                                                           for t in torch.linspace(0, 1, steps)])),
        "sampled-z": ("the path changes from one run to the next: it starts from sampled "
                      "latent points. Use the encodings mu (model.encode(x)[0])", None),
        "endpoints": ("the path should start exactly at a's encoding and end at b's: "
                      "torch.linspace(0, 1, steps)",
                      _interp_with(t=lambda steps: torch.linspace(0, 1, steps + 2)[1:-1])),
        "logits": ("these are logits, not images: decode with model.decode (which applies "
                   "the sigmoid), not model.decode_logits",
                   lambda model, a, b, steps: _interp_with(decode=model.decode_logits)(
                       model, a, b, steps)),
        "reversed": ("the path runs from b to a: start at the first image",
                     lambda model, a, b, steps: _interp_with()(model, b, a, steps)),
    },
    "A smooth path of images from a's encoding to b's.")


# --------------------------------------------------------------------------- 09: the BCE floor

def _floor_cases(case: int) -> tuple:
    return (pictures(5, gen(case)),)


def _xlogx(x):
    return torch.special.xlogy(x, x) + torch.special.xlogy(1 - x, 1 - x)   # -entropy per pixel


BCE_FLOOR = Exercise(
    "bce_floor", "9", "the binary entropy of every pixel, summed over pixels, averaged over "
    "the images: nats per image",
    metrics.bce_floor, _floor_cases, call_scalar,
    {
        "nan": ("pure black and white pixels give 0 * log 0, which is NaN in PyTorch but 0 in "
                "the formula: use torch.special.xlogy(x, x), or clamp x away from 0 and 1",
                lambda x: -(x * x.log() + (1 - x) * (1 - x).log()).sum((1, 2, 3)).mean()),
        "bits": ("that is in bits (log base 2): the book counts nats (the natural log)",
                 lambda x: -_xlogx(x).sum((1, 2, 3)).mean() / math.log(2)),
        "one-term": ("only -x * log(x) is there: the entropy also has -(1 - x) * log(1 - x)",
                     lambda x: -torch.special.xlogy(x, x).sum((1, 2, 3)).mean()),
        "mean-over-pixels": ("it averages over the 784 pixels instead of summing them",
                             lambda x: -_xlogx(x).mean()),
        "sum-over-images": ("it sums over the images instead of averaging: divide by their number",
                            lambda x: -_xlogx(x).sum()),
    },
    "Nats per image: 0 for pure black and white, more for every grey pixel.")


# --------------------------------------------------------------------------- 10: reconstruct

def _recon_cases(case: int) -> tuple:
    model, a, b, _ = _interp_cases(case)
    return model, torch.stack([a, b])


RECONSTRUCT = Exercise(
    "reconstruct", "10", "decode each image's mu: the reconstruction to show and measure",
    latent.reconstruct, _recon_cases, lambda fn, args: _twice(fn, *args),
    {
        "sampled-z": ("the reconstruction changes from one run to the next: it decodes a sampled "
                      "z. At test time decode mu (model.encode(x)[0])", None),
        "logits": ("these are logits, not images: decode with model.decode (which applies the "
                   "sigmoid), not model.decode_logits",
                   lambda model, x: model.decode_logits(model.encode(x)[0])),
    },
    "The same reconstruction every time, from mu.")
