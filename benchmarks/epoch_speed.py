"""One training epoch over 60,000 images: the package's loop vs. the usual example loop.

The reference is written the way most VAE examples are (pytorch/examples' vae/main.py):
torchvision ``datasets.MNIST`` with ``ToTensor`` through a ``DataLoader``, batch 128, a
784-400-20 MLP VAE, Adam 1e-3, BCE summed over pixels. The package trains the same model
(``ModelConfig(hidden_dims=(400,), latent_dim=20)``, loss "bce") with ``train.fit``.

Full MNIST is used when the package finds it; otherwise the offline digits' training part
is tiled to 60,000 images and written as IDX files so that torchvision reads them too.
Each loop runs in its own process so that peak memory (max RSS) is its own.

    python benchmarks/epoch_speed.py [--epochs 3] [--rounds 3] [--device cpu]
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
from vae_tutorial.support.devices import pick_device
from vae_tutorial.support.runs import build as build_model
from vae_tutorial.train import TrainConfig, evaluate_loss, fit

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs per loop and round")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds; each runs both loops, alternating which goes first")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--child", choices=("package", "reference"), help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
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
