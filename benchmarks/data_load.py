"""What loading full MNIST costs a chapter, and how much of it is the fingerprint.

Every load hashes the training images and labels (SHA-256, ``ImageData.identity()``): the
identity that keys the model cache is computed from the content, never remembered by file name,
size or date (issue 20: a copy that keeps those must not get another data set's models). This
prints, over ``--rounds`` loads, the median time of a chapter's ``data.load_mnist()`` followed by
``identity()``, and of the hash alone.

    VAE_TUTORIAL_DATA=../shared/mnist-dev python benchmarks/data_load.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import statistics
import time

from vae_tutorial import data
from vae_tutorial.data.images import fingerprint


def _median_seconds(run, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    digits = data.load_mnist(quiet=True)   # warms the file cache
    print(f"{digits.describe()}")
    load = _median_seconds(lambda: data.load_mnist(quiet=True).identity(), rounds)
    hashed = _median_seconds(lambda: fingerprint(digits.train_images, digits.train_labels), rounds)
    print(f"load + identity: {load:.3f} s; the fingerprint alone: {hashed:.3f} s "
          f"({hashed / load:.0%} of the load), median of {rounds}")


if __name__ == "__main__":
    main()
