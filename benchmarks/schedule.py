"""The book's VAE before and after its learning-rate schedule (issue 31), in one run.

    python -m benchmarks.schedule [--seeds 0 1 2] [--chapter]

Two recipes of the book's VAE (784-256-128-5, MSE + KL, batch 128):

- ``constant``: the recipe before issue 31, 15 epochs over full-size data (60 over the offline
  digits) at a constant learning rate of 1e-3;
- ``one-cycle``: the book's recipe now, 10 epochs (50) with PyTorch's OneCycleLR peaking at 3e-3,
  stepped by ``fitting.fit`` after every batch.

For each seed, both recipes are trained as chapter 7 trains its VAE (``book.trained("vae",
pretrained=False)``, each into an empty cache folder) on mnist-dev's 50,000 training digits and
on the 4,000 offline digits, in alternating order so that a machine that slows down favours
neither; the table gives the seconds of training and the held-out -ELBO (BCE + KL, nats: the
book's yardstick) on mnist-dev's 10,000 held-out digits and on the 1,000 offline ones.

``--chapter`` also times chapter 7 alone, each run in a fresh kernel with an empty model cache, on
the readers' data (MNIST's 60,000 training digits rebuilt from mnist-dev, as
``benchmarks/chapter_times.py`` does): the chapter as it was before issue 31 (the merge base's
notebook, run with the ``constant`` recipe) and as it is now. The chapter now also loads the
recorded 2-d models that will ship with the package; until the shipped weights are retrained with
recordings, the run trains them once into a folder of its own first, and copies them into each
empty cache, as the package would find them shipped.

Set OMP_NUM_THREADS to the cores a reader has (2 here); on a shared machine compare figures
within one run only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV = Path(os.environ.get("VAE_TUTORIAL_FULL_DATA") or ROOT.parent / "shared" / "mnist-dev")
CONSTANT = {"lr": 1e-3, "schedule": "constant"}   # and book.EPOCHS: the recipe before


def train_one(recipe: str, data_kind: str, seed: int, scratch: Path) -> dict:
    """Train the book's VAE with ``recipe`` as chapter 7 does, into an empty cache; its seconds
    and held-out -ELBO."""
    os.environ["VAE_TUTORIAL_CACHE"] = str(scratch / f"cache-{recipe}-{data_kind}-{seed}")
    from vae_tutorial import book, data
    from vae_tutorial.fitting import evaluate_loss

    if data_kind == "dev":
        digits = data.load_mnist(DEV, quiet=True, download=False)
    else:
        digits = data.load_mnist(quiet=True, download=False)
    overrides = {} if recipe == "one-cycle" else \
        {**CONSTANT, "epochs": book.EPOCHS.get(digits.variant, book.EPOCHS["full"])}
    started = time.perf_counter()
    run = book.trained("vae", digits, pretrained=False, seed=seed, **overrides)
    wall = time.perf_counter() - started
    elbo = evaluate_loss(run.model, digits.test_images, elbo=True).total
    return {"recipe": recipe, "data": data_kind, "seed": seed, "epochs": run.config.epochs,
            "seconds": round(wall, 1), "elbo": round(elbo, 3)}


def run_chapter(notebook: Path, cache: Path, env: dict, first_cell: str | None) -> float:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    if first_cell:
        nb.cells.insert(0, nbformat.v4.new_code_cell(first_cell))
    old = dict(os.environ)
    os.environ.update({**env, "VAE_TUTORIAL_CACHE": str(cache)})
    try:
        started = time.perf_counter()
        NotebookClient(nb, timeout=1800, kernel_name="python3",
                       resources={"metadata": {"path": str(ROOT / "book")}}).execute()
        return time.perf_counter() - started
    finally:
        os.environ.clear()
        os.environ.update(old)


# The recipe before issue 31, set in the kernel before the old chapter runs
BEFORE = ("from vae_tutorial import book, models, train\n"
          "book.RECIPES['vae'] = train.TrainConfig(model=models.ModelConfig(kind='vae', latent_dim=5))\n"
          "book.ONE_CYCLE = ()")


def chapters(scratch: Path, runs: int) -> list[dict]:
    sys.path.insert(0, str(ROOT / "tools"))
    from mnist_standin import build_standin

    env = {"VAE_TUTORIAL_OFFLINE": "1", "PYTHONPATH": str(ROOT),
           "VAE_TUTORIAL_DATA": str(build_standin(DEV, scratch / "standin"))}
    base = subprocess.run(["git", "merge-base", "HEAD", "main"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout.strip()
    old = scratch / "07_training_before.ipynb"
    old.write_text(subprocess.run(["git", "show", f"{base}:book/07_training.ipynb"], cwd=ROOT,
                                  capture_output=True, text=True, check=True).stdout)
    # the recorded 2-d models, as the shipped weights will hold them
    shipped = scratch / "as-shipped"
    os.environ.update({**env, "VAE_TUTORIAL_CACHE": str(shipped)})
    from vae_tutorial import book, data
    digits = data.load_mnist(quiet=True, download=False)
    for name in ("ae-2d", "vae-2d"):
        book.trained(name, digits, pretrained=False)
    rows = []
    for i in range(runs):
        order = [("before", old, BEFORE), ("after", ROOT / "book" / "07_training.ipynb", None)]
        for label, notebook, first in (order if i % 2 == 0 else order[::-1]):
            cache = scratch / f"chapter-{label}-{i}"
            if label == "after":
                shutil.copytree(shipped, cache)
            seconds = run_chapter(notebook, cache, env, first)
            rows.append({"chapter": label, "run": i, "seconds": round(seconds, 1)})
            print(json.dumps(rows[-1]), flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--data", nargs="+", default=["dev", "offline"], choices=["dev", "offline"])
    parser.add_argument("--chapter", type=int, default=0, metavar="RUNS",
                        help="also time chapter 7 alone, before and after, RUNS times each")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vae-schedule-") as scratch:
        scratch = Path(scratch)
        rows = []
        for i, seed in enumerate(args.seeds):
            for kind in args.data:
                recipes = ["constant", "one-cycle"] if i % 2 == 0 else ["one-cycle", "constant"]
                for recipe in recipes:
                    rows.append(train_one(recipe, kind, seed, scratch))
                    print(json.dumps(rows[-1]), flush=True)
        print("\n| data | recipe | epochs | seconds of training (per seed) | held-out -ELBO (per seed) | mean -ELBO |")
        print("|---|---|---|---|---|---|")
        for kind in args.data:
            for recipe in ("constant", "one-cycle"):
                mine = [r for r in rows if r["data"] == kind and r["recipe"] == recipe]
                print(f"| {kind} | {recipe} | {mine[0]['epochs']} | "
                      f"{', '.join(str(r['seconds']) for r in mine)} | "
                      f"{', '.join(format(r['elbo'], '.2f') for r in mine)} | "
                      f"{statistics.mean(r['elbo'] for r in mine):.2f} |")
        if args.chapter:
            times = chapters(scratch, args.chapter)
            for label in ("before", "after"):
                mine = [r["seconds"] for r in times if r["chapter"] == label]
                print(f"chapter 7 alone, {label}: {', '.join(map(str, mine))} s")


if __name__ == "__main__":
    main()
