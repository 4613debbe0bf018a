"""How far inside its rule each claim of the book stays, over the variation readers' data brings.

Readers check the book on data nobody here has seen: MNIST's real test split, with weights
trained on all 60,000 training digits. A sentence that compares two things holds there only if
its margin keeps its sign when the data moves. So every claim of ``claims/chapters.py`` (the
same functions ``tests/test_claims.py`` asserts) is measured in many *worlds*:

- models trained on the 4,000 offline digits, and on mnist-dev's 50,000 training digits
  (``--data offline`` / ``--data dev``); the clothes-only claims on Fashion-MNIST
  (``--data fashion``);
- training seeds (``--seeds``, default 0 1 2): every model and the judge retrained;
- held-out sets: the data's own held-out images; for the offline models also mnist-dev's 10,000
  held-out digits (none of which they saw); and ``--resamples`` bootstrap resamples of the
  held-out images (drawn with replacement, each image kept once: a repeated image would sit at
  distance 0 from itself), with the clear shares' random latent points redrawn for each.

Each check's margin (the measured value's distance inside the rule the sentence states, >= 0:
it holds) goes into a results file, one JSON line per world and claim; a rerun skips what is
there, so the heavy part resumes where it stopped. ``--report`` prints each check's worst margin
as the markdown table BENCHMARKS.md keeps.

    nice -n 10 python -m benchmarks.claims_robustness --data offline   # trains 3 x 11 models
    nice -n 10 python -m benchmarks.claims_robustness --data dev       # the same on 50,000 digits
    nice -n 10 python -m benchmarks.claims_robustness --data fashion
    nice -n 10 python -m benchmarks.claims_robustness --data dev --only 10 13   # some chapters
    python -m benchmarks.claims_robustness --report

(from the repository's root: ``-m`` puts it on the path, so ``claims`` imports as a package).

``--data dev`` reads full-size MNIST from $VAE_TUTORIAL_FULL_DATA (default ../shared/mnist-dev).
After a claim's checks change, ``--redo NAME`` drops its rows so the next run measures it again;
rows of claims that no longer exist are dropped too. The results file is
claims_robustness.jsonl in the model cache unless ``--results`` names another.
Models come from (and go to) $VAE_TUTORIAL_CACHE, so the book's builds and the tests reuse them.
On a CPU shared with other jobs, OMP_NUM_THREADS=1 trains several times faster than two threads
that fight for the cores.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import torch

import claims
from claims.harness import CLAIMS, World
from vae_tutorial import data
from vae_tutorial.support.paths import cache_dir

claims.modules()   # registers every claim in CLAIMS

ROOT = Path(__file__).resolve().parents[1]

DEV_DATA = os.environ.get("VAE_TUTORIAL_FULL_DATA") or str(ROOT.parent / "shared" / "mnist-dev")


def resample(images: torch.Tensor, labels: torch.Tensor, seed: int):
    """A bootstrap resample of a held-out set, each drawn image kept once, in drawn order."""
    drawn = torch.randint(len(labels), (len(labels),), generator=torch.Generator().manual_seed(seed))
    first = torch.zeros(len(labels), dtype=torch.bool)
    keep = []
    for i in drawn.tolist():
        if not first[i]:
            first[i] = True
            keep.append(i)
    keep = torch.tensor(keep)
    return images[keep], labels[keep]


def load(which: str):
    """(digits or None, clothes): the data of one ``--data`` choice, offline."""
    os.environ["VAE_TUTORIAL_OFFLINE"] = "1"
    clothes = data.load_fashion_mnist(quiet=True, download=False)
    if which == "fashion":
        return None, clothes
    if which == "dev":
        os.environ["VAE_TUTORIAL_DATA"] = DEV_DATA
    else:
        os.environ.pop("VAE_TUTORIAL_DATA", None)
    digits = data.load_mnist(quiet=True, download=False)
    if digits.is_full != (which == "dev"):
        sys.exit(f"--data {which}: found {digits.source}, which is not what --data {which} means")
    return digits, clothes


def worlds(which: str, seeds, resamples: int):
    """(seed, tag, World) for every world of one ``--data`` choice."""

    digits, clothes = load(which)
    own_clothes = (clothes.test_images, clothes.test_labels)
    extra = []
    if which == "offline":
        os.environ["VAE_TUTORIAL_DATA"] = DEV_DATA
        dev = data.load_mnist(quiet=True, download=False)
        os.environ.pop("VAE_TUTORIAL_DATA")
        extra = [("dev-10k", (dev.test_images, dev.test_labels))]
    for seed in seeds:
        if digits is None:
            sets = [("own", None, own_clothes, 0)]
            sets += [(f"resample-{b}", None, resample(*own_clothes, seed=b), b) for b in range(1, resamples + 1)]
        else:
            own = (digits.test_images, digits.test_labels)
            sets = [("own", own, own_clothes, 0)] + [(tag, h, own_clothes, 0) for tag, h in extra]
            sets += [(f"resample-{b}", resample(*own, seed=b), resample(*own_clothes, seed=b), b)
                     for b in range(1, resamples + 1)]
        for tag, held, held_clothes, points_seed in sets:
            yield seed, tag, World(digits, seed, held, clothes, held_clothes, points_seed, tag)


def claims_for(which: str, only=()):
    """The claims a ``--data`` choice measures (``only``: those whose chapter number, the two
    digits after ``test_``, is one of these, e.g. ("10", "13"))."""
    wanted = (lambda needs: needs == ("clothes",)) if which == "fashion" else \
        (lambda needs: "digits" in needs)
    return {name: c for name, c in CLAIMS.items()
            if wanted(c.needs) and (not only or name.removeprefix("test_")[:2] in only)}


def forget(results: Path, names) -> None:
    """Drop the rows of claims ``names`` (and of claims no longer in claims/chapters.py) from
    ``results``, so that the next run measures them again."""

    if not results.exists():
        return
    keep = [line for line in results.read_text().splitlines()
            if json.loads(line)["claim"] in CLAIMS and json.loads(line)["claim"] not in names]
    results.write_text("".join(line + "\n" for line in keep))


def measure(which: str, seeds, resamples: int, results: Path, only=()) -> None:
    done = set()
    if results.exists():
        for line in results.read_text().splitlines():
            row = json.loads(line)
            done.add((row["data"], row["seed"], row["held_out"], row["claim"]))
    claims = claims_for(which, only)
    for seed, tag, world in worlds(which, seeds, resamples):
        todo = [name for name in claims if (which, seed, tag, name) not in done]
        if not todo:
            continue
        started = time.perf_counter()
        with results.open("a") as out:
            for name in todo:
                try:
                    checks = [list(c) for c in claims[name].measure(world)]
                    error = None
                except Exception as err:  # recorded, so one broken claim does not stop the rest
                    checks, error = [], f"{type(err).__name__}: {err}"
                row = {"data": which, "seed": seed, "held_out": tag, "claim": name, "checks": checks}
                if error:
                    row["error"] = error
                out.write(json.dumps(row) + "\n")
        print(f"{which} seed {seed} {tag}: {len(todo)} claims in {time.perf_counter() - started:.0f} s",
              flush=True)


def report(results: Path, markdown: bool = True) -> None:
    """Each check's worst margin over every world in ``results``."""

    rows = [row for row in map(json.loads, results.read_text().splitlines()) if row["claim"] in CLAIMS]
    by_check: dict = defaultdict(list)
    errors = defaultdict(int)
    for row in rows:
        if row.get("error"):
            errors[row["claim"]] += 1
        for what, value, rule, margin in row["checks"]:
            where = f"{row['data']} s{row['seed']} {row['held_out']}"
            by_check[(row["claim"], what, rule)].append((margin if margin is not None else -math.inf, value, where))
    print("| claim | check | rule | worst margin | its value (where) | worlds | below 0 |")
    print("|---|---|---|---|---|---|---|")
    for (name, what, rule), seen in by_check.items():
        margin, value, where = min(seen)
        below = sum(m < 0 for m, _, _ in seen)
        data_sets = sorted({w.split()[0] for _, _, w in seen})
        if rule.startswith("observed"):   # a mixed comparison: the range of the difference
            margin = f"{margin:.3g} to {max(seen)[0]:.3g}"
        else:
            margin = f"**{margin:.3g}**" if margin < 0 else f"{margin:.3g}"
        print(f"| {name.removeprefix('test_')} | {what} | {rule} | {margin} | {value:.4g} ({where}) | "
              f"{len(seen)} ({', '.join(data_sets)}) | {below} |")
    for name, n in errors.items():
        print(f"\n{name}: raised in {n} worlds (see the results file)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", choices=["offline", "dev", "fashion"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--resamples", type=int, default=5)
    parser.add_argument("--results", type=Path, default=None,
                        help="JSON lines file (default: claims_robustness.jsonl in the model cache)")
    parser.add_argument("--report", action="store_true", help="print the table of worst margins")
    parser.add_argument("--only", nargs="+", default=[], metavar="CHAPTER",
                        help="measure only the claims of these chapters (two digits: 10 13)")
    parser.add_argument("--redo", nargs="+", default=[], metavar="CLAIM",
                        help="measure these claims again (after their checks changed)")
    args = parser.parse_args()
    results = args.results or cache_dir() / "claims_robustness.jsonl"
    forget(results, {name if name.startswith("test_") else f"test_{name}" for name in args.redo})
    if args.data:
        measure(args.data, args.seeds, args.resamples, results, args.only)
    if args.report or not args.data:
        report(results)


if __name__ == "__main__":
    main()
