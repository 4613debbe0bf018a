"""One training epoch over 60,000 images: the package's loop vs. the usual example loop.

The reference is written the way most VAE examples are (pytorch/examples' vae/main.py):
torchvision ``datasets.MNIST`` with ``ToTensor`` through a ``DataLoader``, batch 128, a
784-400-20 MLP VAE, Adam 1e-3, BCE summed over pixels. The package trains the same model
(``ModelConfig(hidden_dims=(400,), latent_dim=20)``, loss "bce") with ``fitting.fit``.

Full MNIST is used when the package finds it; otherwise the offline digits' training part
is tiled to 60,000 images and written as IDX files so that torchvision reads them too.
Each loop runs in its own process so that peak memory (max RSS) is its own.

    python benchmarks/epoch_speed.py [--epochs 3] [--rounds 3] [--device cpu]

``--profile [RECIPE]`` says where one training step of a book recipe (default: the book's VAE)
spends its time on the CPU, part by part, against its floor: the matrix products of the forward
and backward pass timed alone, with the same shapes. ``--bce`` times the plain
``F.binary_cross_entropy_with_logits`` against the custom autograd BCE the package had before, in
one interleaved run. Both time each part many times over alternating rounds and keep the fastest
round: on a shared machine the fastest is the one least disturbed by the others.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

from vae_tutorial import data as vdata
from vae_tutorial.models import ModelConfig
from vae_tutorial.support import idx
from vae_tutorial.fitting import evaluate_loss, fit, step_for
from vae_tutorial.runs import build as build_model
from vae_tutorial.support.devices import pick_device
from vae_tutorial.train import TrainConfig

N_IMAGES = 60_000


def prepare(folder: Path) -> str:
    """Write a torchvision-layout MNIST folder with 60,000 training images; return its source."""
    d = vdata.load_mnist(quiet=True)
    reps = -(-N_IMAGES // len(d.train_labels))
    images = d.train_images.numpy()
    labels = d.train_labels.numpy()
    tiled_x, tiled_y = np.tile(images, (reps, 1, 1))[:N_IMAGES], np.tile(labels, reps)[:N_IMAGES]
    raw = folder / "MNIST" / "raw"
    idx.write_idx(raw / "train-images-idx3-ubyte", tiled_x)
    idx.write_idx(raw / "train-labels-idx1-ubyte", tiled_y.astype(np.uint8))
    idx.write_idx(raw / "t10k-images-idx3-ubyte", d.test_images.numpy())
    idx.write_idx(raw / "t10k-labels-idx1-ubyte", d.test_labels.numpy().astype(np.uint8))
    kind = "full MNIST" if d.is_full else f"{d.source}, training part tiled to {N_IMAGES:,}"
    return f"{kind}; held-out: {len(d.test_labels):,} images"


class ReferenceVAE(nn.Module):
    """pytorch/examples' VAE, as written there."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

    def forward(self, x):
        h1 = F.relu(self.fc1(x.view(-1, 784)))
        mu, logvar = self.fc21(h1), self.fc22(h1)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar


def reference_loss(recon_x, x, mu, logvar):
    bce = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    return bce + -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def run_reference(folder: Path, epochs: int, device: torch.device) -> dict:
    from torchvision import datasets, transforms

    torch.manual_seed(0)
    train_set = datasets.MNIST(str(folder), train=True, download=False, transform=transforms.ToTensor())
    test_set = datasets.MNIST(str(folder), train=False, download=False, transform=transforms.ToTensor())
    loader = torch.utils.data.DataLoader(train_set, batch_size=128, shuffle=True)
    test_loader = torch.utils.data.DataLoader(test_set, batch_size=128)
    model = ReferenceVAE().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        model.train()
        for x, _ in loader:
            x = x.to(device)
            opt.zero_grad()
            recon, mu, logvar = model(x)
            loss = reference_loss(recon, x, mu, logvar)
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - start)
    model.eval()
    total = 0.0
    with torch.no_grad():
        for x, _ in test_loader:
            x = x.to(device)
            recon, mu, logvar = model(x)
            total += reference_loss(recon, x, mu, logvar).item()
    return {"epoch_seconds": times, "held_out_nelbo": total / len(test_set)}


def run_package(folder: Path, epochs: int, device: torch.device) -> dict:
    d = vdata.load_mnist(folder, quiet=True)
    config = TrainConfig(model=ModelConfig(kind="vae", latent_dim=20, hidden_dims=(400,)),
                         loss="bce", epochs=1, batch_size=128, lr=1e-3, seed=0)
    model = build_model(config.model, seed=0)
    times = []
    for epoch in range(epochs):
        # One epoch per call so the timing covers training only, like the reference's.
        start = time.perf_counter()
        fit(model, _without_test(d), replace(config, seed=epoch), device=device, progress=False)
        times.append(time.perf_counter() - start)
    held_out = evaluate_loss(model, d.test_images, "bce", elbo=True).total
    return {"epoch_seconds": times, "held_out_nelbo": held_out}


def _without_test(d):
    """fit() evaluates the held-out split after every epoch; give it one image so the
    timed epoch is (almost) pure training, as in the reference loop."""
    return replace(d, test_images=d.test_images[:1], test_labels=d.test_labels[:1])


def child(which: str, folder: str, epochs: int, device: str) -> None:
    torch.set_num_threads(torch.get_num_threads())
    dev = pick_device(device)
    result = (run_package if which == "package" else run_reference)(Path(folder), epochs, dev)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


# ----------------------------------------------------------------------- --profile and --bce

def fastest(parts: dict, repeats: int, rounds: int) -> dict:
    """Milliseconds per call of each ``parts`` function: the fastest of ``rounds`` rounds of
    ``repeats`` calls, the parts interleaved within every round. On one thread the clock is the
    thread's CPU time, which other processes on a busy machine barely change; else wall time."""
    clock = time.thread_time if torch.get_num_threads() == 1 else time.perf_counter
    best = {name: float("inf") for name in parts}
    for _ in range(rounds):
        for name, f in parts.items():
            f()                                        # warm: first-call allocations
            start = clock()
            for _ in range(repeats):
                f()
            best[name] = min(best[name], (clock() - start) / repeats * 1e3)
    return best


def gemm_floor(model: nn.Module, batch: int) -> dict:
    """The matrix products of one training step of ``model``'s linear layers, alone: forward
    ``x W^T + b`` and backward ``dW = g^T x`` for every layer, ``dx = g W`` for all but the first
    (the images need no gradient). Convolutions are left out (the book's models are MLPs)."""
    layers = [m for m in model.modules() if isinstance(m, nn.Linear)]
    first = layers[0]
    products = []
    for layer in layers:
        x, g = torch.randn(batch, layer.in_features), torch.randn(batch, layer.out_features)
        w, b = layer.weight.detach().clone(), layer.bias.detach().clone()
        products.append(lambda x=x, w=w, b=b: torch.addmm(b, x, w.t()))
        products.append(lambda x=x, g=g: g.t().mm(x))
        if layer is not first:
            products.append(lambda g=g, w=w: g.mm(w))
    flops = sum(2 * batch * m.in_features * m.out_features * (2 if m is first else 3) for m in layers)
    return {"run": lambda: [p() for p in products], "flops": flops}


def profile(recipe: str, rounds: int, batch: int | None = None) -> None:
    from vae_tutorial import book

    def as_float(images):
        return images.unsqueeze(1).float() / 255   # train_epoch's first line

    images = torch.randint(0, 256, (N_IMAGES, 28, 28), dtype=torch.uint8)   # values do not matter
    labels = torch.randint(0, 10, (N_IMAGES,))
    config = book.RECIPES[recipe]
    config = replace(config, batch_size=batch or config.batch_size)
    model = build_model(config.model, seed=0).train()
    idx = torch.randperm(N_IMAGES)[:config.batch_size]
    x, y = as_float(images[idx]), labels[idx]
    step = step_for(model, config.loss, config.beta)
    optimizers = {name: torch.optim.Adam(model.parameters(), lr=1e-9, **kw) for name, kw in
                  (("for-loop", {"foreach": False}), ("foreach", {"foreach": True}),
                   ("fused", {"fused": True}))}

    def backward():
        step(model, x, y).total.backward()

    floor = gemm_floor(model, config.batch_size)
    parts = {
        "batch: index, to float": lambda: as_float(images[idx]),
        "forward": lambda: model(x),
        "forward + loss": lambda: step(model, x, y),
        "forward + loss + backward": backward,
        **{f"Adam step ({name})": opt.step for name, opt in optimizers.items()},
        "zero_grad": optimizers["fused"].zero_grad,
        "matrix products alone": floor["run"],
    }
    ms = fastest(parts, repeats=10, rounds=rounds)
    ms |= fastest({"held-out loss, 10,000 images":
                   lambda: evaluate_loss(model, images[:10_000], config.loss)}, repeats=1, rounds=rounds)
    steps = -(-N_IMAGES // config.batch_size)
    rows = [("batch: index, to float", ms["batch: index, to float"]),
            ("forward", ms["forward"]),
            ("loss", ms["forward + loss"] - ms["forward"]),
            ("backward", ms["forward + loss + backward"] - ms["forward + loss"]),
            ("zero_grad", ms["zero_grad"])]
    print(f"recipe {recipe!r}: {config.model.kind} {config.model.hidden_dims}, latent "
          f"{config.model.latent_dim}, loss {config.loss}, batch {config.batch_size}; "
          f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), "
          f"{'CPU' if torch.get_num_threads() == 1 else 'wall'} time; fastest of {rounds} rounds")
    print(f"{'part of one step':<34} {'ms':>7}")
    for name, value in rows:
        print(f"{name:<34} {value:>7.3f}")
    for name in optimizers:
        print(f"{'Adam step (' + name + ')':<34} {ms[f'Adam step ({name})']:>7.3f}")
    for name in optimizers:
        step = sum(v for _, v in rows) + ms[f"Adam step ({name})"]
        print(f"{'step with Adam ' + name:<34} {step:>7.3f}   "
              f"{step * steps / 1e3:5.1f} s per epoch of {N_IMAGES:,}")
    gflops = floor["flops"] / ms["matrix products alone"] / 1e6
    print(f"{'floor: matrix products alone':<34} {ms['matrix products alone']:>7.3f}   "
          f"{ms['matrix products alone'] * steps / 1e3:5.1f} s per epoch ({gflops:.0f} GFLOP/s)")
    print(f"{'held-out loss after each epoch':<34} {ms['held-out loss, 10,000 images']:>7.1f}   "
          f"(10,000 images, once per epoch)")


class CustomBCE(torch.autograd.Function):
    """The package's binary cross-entropy before issue 21 (summed over pixels, (B, ...) -> (B,)):
    log(1 + exp(-|l|)) through the vectorised ``log`` instead of the CPU's scalar ``log1p``."""

    @staticmethod
    def forward(ctx, logits, x):
        ctx.save_for_backward(logits, x)
        per_pixel = logits.abs().neg_().exp_().add_(1).log_()
        per_pixel += logits.clamp(min=0)
        per_pixel.addcmul_(x, logits, value=-1)
        return per_pixel.flatten(1).sum(1)

    @staticmethod
    def backward(ctx, grad):
        logits, x = ctx.saved_tensors
        shape = (-1,) + (1,) * (logits.dim() - 1)
        return torch.sigmoid(logits).sub_(x).mul_(grad.view(shape)), None


def bce(rounds: int) -> None:
    """The loss alone, forward and backward, on one batch of the benchmark (128 images), then a
    whole step of the benchmark's 784-400-20 VAE with each."""
    from vae_tutorial import losses
    from vae_tutorial.models import VAE

    logits = torch.randn(128, 1, 28, 28, requires_grad=True)
    x = torch.rand(128, 1, 28, 28)
    plain = losses.reconstruction_loss(logits, x, "bce", reduction="none")
    assert torch.allclose(plain, CustomBCE.apply(logits, x), rtol=1e-5), "the two BCEs disagree"
    model = VAE(latent_dim=20, hidden_dims=(400,))
    opt = torch.optim.Adam(model.parameters(), lr=1e-9)

    def loss_only(f):
        return lambda: f(logits, x).mean().backward()

    def step(f):
        def run():
            out, mu, logvar = model(x)
            loss = f(out, x).mean() + losses.kl_divergence(mu, logvar)
            opt.zero_grad()
            loss.backward()
            opt.step()
        return run

    plain_f = lambda l, t: losses.reconstruction_loss(l, t, "bce", reduction="none")  # noqa: E731
    ms = fastest({"loss, plain": loss_only(plain_f), "loss, custom": loss_only(CustomBCE.apply),
                  "step, plain": step(plain_f), "step, custom": step(CustomBCE.apply)},
                 repeats=20, rounds=rounds)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s); BCE of 128 images, forward "
          f"and backward; fastest of {rounds} interleaved rounds (ms)")
    for what in ("loss", "step"):
        p, c = ms[f"{what}, plain"], ms[f"{what}, custom"]
        print(f"{what + ':':<6} plain F.binary_cross_entropy_with_logits {p:6.3f}, custom {c:6.3f}, "
              f"plain / custom {p / c:4.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs per loop and round")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds; each runs both loops, alternating which goes first")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--profile", nargs="?", const="vae", metavar="RECIPE",
                        help="where one step of a book recipe spends its time (default: vae)")
    parser.add_argument("--batch", type=int, help="for --profile: another batch size")
    parser.add_argument("--bce", action="store_true", help="plain vs custom autograd BCE")
    parser.add_argument("--threads", type=int, help="for --profile and --bce: torch's threads "
                        "(1: timed in CPU time, robust on a busy machine)")
    parser.add_argument("--child", choices=("package", "reference"), help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.profile:
        return profile(args.profile, max(args.rounds, 5), args.batch)
    if args.bce:
        return bce(max(args.rounds, 5))
    if args.child:
        return child(args.child, args.folder, args.epochs, args.device)
    rounds = []
    with tempfile.TemporaryDirectory() as tmp:
        source = prepare(Path(tmp))
        for r in range(args.rounds):
            # A shared machine's speed drifts; alternating the order keeps drift from favouring one loop.
            order = ("reference", "package") if r % 2 == 0 else ("package", "reference")
            result = {}
            for which in order:
                out = subprocess.run([sys.executable, __file__, "--child", which, "--folder", tmp,
                                      "--epochs", str(args.epochs), "--device", args.device],
                                     capture_output=True, text=True, check=True)
                result[which] = json.loads(out.stdout.strip().splitlines()[-1])
            rounds.append(result)
    print(f"data: {source}; device: {args.device}; threads: {torch.get_num_threads()}; "
          f"torch {torch.__version__}; {args.epochs} epochs per loop and round")
    print(f"{'round':<6} {'reference s/epoch':>18} {'package s/epoch':>16} {'speed-up':>9}")
    ratios = []
    for r, result in enumerate(rounds, 1):
        ref, pkg = (min(result[w]["epoch_seconds"]) for w in ("reference", "package"))
        ratios.append(ref / pkg)
        print(f"{r:<6} {ref:>18.2f} {pkg:>16.2f} {ref / pkg:>8.1f}x")
    last = rounds[-1]
    peak = max(result["package"]["peak_rss_mb"] for result in rounds)
    print(f"held-out -ELBO after {args.epochs} epochs (nats): reference "
          f"{last['reference']['held_out_nelbo']:.2f}, package {last['package']['held_out_nelbo']:.2f}")
    print(f"speed-up, median of {len(ratios)} rounds: {statistics.median(ratios):.1f}x (target >= 3x); "
          f"package peak memory {peak:.0f} MB (target < 1500 MB)")


if __name__ == "__main__":
    main()
