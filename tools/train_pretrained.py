"""Train the weights that ship with the package, with the book's own code path.

Readers of the published book and Colab users train on torchvision's MNIST and Fashion-MNIST.
For exactly that data (same fingerprint), the package ships the book's models so no chapter
waits for training (the training chapter still trains live). This script makes those files:

    python tools/train_pretrained.py ../shared/mnist-dev [SCRATCH]

(SCRATCH: the folder of an earlier run that stopped, printed at the start; its cache holds the
models trained so far, keyed by their configuration and data like any cache, so they are reused.)

1. rebuilds MNIST's 60,000 training digits from the development copy (tools/mnist_standin.py,
   MD5-checked) and takes Fashion-MNIST from Debian's package (the same files torchvision
   downloads);
2. asks ``book.trained`` / ``book.judge`` for every entry of ``book.SHIPPED`` and the judges,
   with ``pretrained=False`` and an empty cache, so the cache keys are the ones readers compute;
3. copies each cache entry into ``vae_tutorial/support/pretrained/`` with float16 weights (half the
   size; the rounding changes the held-out -ELBO by a few hundredths of a nat, printed below) and
   without per-epoch held-out losses (the stand-in's held-out split lies inside the training set),
   through ``cache.write``: each file in the cache's current format, with the checksum of its new
   content (and checked on the way back: every copy must load as "shipped");
4. writes ``vae_tutorial/support/pretrained/MANIFEST.json``: one line per file.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tools")]


def main(dev_root: str, scratch: str | None = None) -> None:
    scratch = Path(scratch) if scratch else Path(tempfile.mkdtemp(prefix="vae-pretrained-"))
    print(f"scratch folder (pass it again to resume): {scratch}", flush=True)
    os.environ["VAE_TUTORIAL_CACHE"] = str(scratch / "cache")
    os.environ["VAE_TUTORIAL_OFFLINE"] = "1"
    os.environ.pop("VAE_TUTORIAL_DATA", None)
    import torch

    from mnist_standin import build_standin
    from vae_tutorial import book, data
    from vae_tutorial.fitting import evaluate_loss
    from vae_tutorial.runs import step_name, train_or_load
    from vae_tutorial.support import cache

    torch.set_num_threads(os.cpu_count() or 1)
    datasets = {"mnist": data.load_mnist(build_standin(dev_root, scratch / "standin")),
                "fashion-mnist": data.load_fashion_mnist()}
    out = cache.PRETRAINED_DIR
    out.mkdir(exist_ok=True)
    for old in out.glob("*.pt"):
        old.unlink()
    manifest = []
    for name, overrides, dataset, first in book.SHIPPED:
        base, _, how = dataset.partition(":")
        d = datasets[base].binarized() if how == "binarised" else datasets[base]
        d = d if first is None else d.first(first)
        trained = book.trained(name, d, pretrained=False, **overrides)
        payload = cache.read(trained.path)
        payload["history"]["test_loss"] = []  # measured on a split inside the training set
        payload["data_source"] = f"{d.name}'s {len(d.train_labels):,} training images"
        payload["state_dict"] = {k: v.half() for k, v in payload["state_dict"].items()}
        cache.write(out / trained.path.name, payload)
        rounded = book.trained(name, d, **overrides)
        assert rounded.origin == "shipped", rounded
        # the labels matter to the conditional VAE only
        before = evaluate_loss(trained.model, d.test_images, "bce", labels=d.test_labels, elbo=True).total
        after = evaluate_loss(rounded.model, d.test_images, "bce", labels=d.test_labels, elbo=True).total
        settings = {k: step_name(v) if k == "step" else v for k, v in overrides.items()}
        manifest.append({"file": trained.path.name, "recipe": name, "overrides": settings,
                         "first": first, "data": d.identity(), "train_seconds": round(sum(trained.history.seconds), 1),
                         "elbo_change_from_float16": round(after - before, 4)})
        print(f"{name} {settings}: -ELBO on its test split (for MNIST inside the training set) {before:.2f} -> "
              f"{after:.2f} after rounding to float16", flush=True)
    for d in datasets.values():
        trained = train_or_load(book.judge_config(d), d, pretrained=False)
        payload = cache.read(trained.path)
        payload["history"]["test_loss"] = []
        payload["state_dict"] = {k: v.half() for k, v in payload["state_dict"].items()}
        cache.write(out / trained.path.name, payload)
        assert train_or_load(book.judge_config(d), d, verbose=False).origin == "shipped"
        judge = book.judge(d)
        manifest.append({"file": trained.path.name, "recipe": f"judge-{d.name}", "overrides": {},
                         "first": None, "data": d.identity(),
                         "train_seconds": round(sum(trained.history.seconds), 1)})
        print(f"judge for {d.name}: accuracy {judge.accuracy:.4f}", flush=True)
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=1) + "\n")
    total = sum(p.stat().st_size for p in out.glob("*.pt"))
    print(f"{len(manifest)} files, {total / 1e6:.1f} MB in {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(ROOT.parent / "shared" / "mnist-dev"),
         sys.argv[2] if len(sys.argv) > 2 else None)
