"""What checking the declared arguments (``support/contracts.py``) costs, in one run.

Per call: for chapter-facing functions on the inputs a chapter gives them, the microseconds their
checks take (the boundary's, with the conversions a reader's uint8 images or lists need, and the
result's), beside the work itself (the function's body on the values the boundary passes on).
Also a checked call nested in another (not checked again), and, per chapter, every check a
chapter's cells make: each notebook runs in a kernel with the boundary timed from inside.

    python -m benchmarks.contract_overhead [--rounds 200] [--chapters 08_generation 12_is_this_a_digit]
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import torch

from vae_tutorial import fitting, latent, likelihood, losses, metrics, plots
from vae_tutorial.models import ModelConfig
from vae_tutorial.runs import build
from vae_tutorial.support import contracts

BOOK = Path(__file__).resolve().parents[1] / "book"

# Injected as a chapter's first cell: time every boundary's checks (arguments and result).
TIMER = """
import time as _time
from vae_tutorial.support import contracts as _c
_spent, _apply, _check = [0.0, 0], _c._Spec.apply, _c._checked
def _timed_apply(self, *a, **k):
    t = _time.perf_counter(); out = _apply(self, *a, **k); _spent[0] += _time.perf_counter() - t; _spent[1] += 1
    return out
def _timed_check(rule, value, args, name, where):
    t = _time.perf_counter(); out = _check(rule, value, args, name, where)
    _spent[0] += (_time.perf_counter() - t) if name == "the result" else 0.0
    return out
_c._Spec.apply, _c._checked, _started = _timed_apply, _timed_check, _time.perf_counter()
"""
REPORT = "import json; print('CONTRACTS', json.dumps([_spent[0], _spent[1], _time.perf_counter() - _started]))"


def per_call(fn, args, rounds: int) -> float:
    """Seconds per call: the fastest of 5 batches (the least disturbed on a shared machine)."""
    fn(*args)                                       # warm up
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(rounds):
            fn(*args)
        best = min(best, (time.perf_counter() - started) / rounds)
    return best


def inside(fn):
    """``fn`` run as a nested call runs: whatever checked functions its body calls, unchecked."""
    def run(*args):
        token = contracts._INSIDE.set(True)
        try:
            return fn(*args)
        finally:
            contracts._INSIDE.reset(token)
    return run


def passed_on(fn, args) -> tuple:
    """The arguments ``fn``'s boundary hands its body (converted, checked)."""
    bound, _ = fn.__contract__.apply(args, {}, False)
    return bound.args


def calls(rounds: int) -> None:
    torch.manual_seed(0)
    vae = build(ModelConfig(kind="vae", latent_dim=5), seed=0).eval()      # the book's 784-256-128-5 VAE
    pixels = torch.randint(0, 256, (1000, 28, 28), dtype=torch.uint8)
    x = pixels.unsqueeze(1).float() / 255
    batch, mu = x[:128], torch.zeros(128, 5)
    cases = [
        ("latent.encodings(vae, 1,000 float images)", latent.encodings, (vae, x)),
        ("latent.encodings(vae, 1,000 uint8 images)", latent.encodings, (vae, pixels)),
        ("latent.decode(vae, 1,000 latent points)", latent.decode, (vae, torch.randn(1000, 5))),
        ("latent.sample(vae, 100)", latent.sample, (vae, 100)),
        ("latent.prior_radius(5, 0.95)", latent.prior_radius, (5, 0.95)),
        ("fitting.evaluate_loss(vae, 1,000 uint8 images)", fitting.evaluate_loss, (vae, pixels)),
        ("losses.vae_loss(a batch of 128)", losses.vae_loss, (torch.zeros_like(batch), batch, mu, mu)),
        ("likelihood.importance_sampled_log_likelihood(20, k=100)", likelihood.importance_sampled_log_likelihood,
         (vae, x[:20], 100)),
        ("metrics.knn_accuracy(1,000 codes, k=5)", metrics.knn_accuracy,
         (mu.repeat(8, 1)[:1000], torch.arange(1000) % 10, mu.repeat(8, 1)[:1000], torch.arange(1000) % 10)),
        ("plots.image_grid(16 images)", plots.image_grid, (x[:16], 8)),
    ]
    print(f"{'call':58} {'work':>9} {'checks':>9} {'share':>7}")
    for label, fn, args in cases:
        n = max(3, rounds // 20) if "plots" in label or "likelihood" in label or "knn" in label else rounds
        spec = fn.__contract__
        bound, values = spec.apply(args, {}, False)
        work = per_call(inside(fn.__wrapped__), bound.args, n)
        result = inside(fn.__wrapped__)(*bound.args)
        checks = per_call(lambda: spec.apply(args, {}, False), (), rounds) + (per_call(
            lambda: spec.returns.check(result, values), (), rounds) if spec.returns else 0.0)
        plots.plt.close("all")
        print(f"{label:58} {work * 1e6:7.0f}us {checks * 1e6:7.1f}us {checks / work:7.2%}")
    outer = per_call(lambda: latent.sample(vae, 1), (), rounds)      # sample calls decode: nested
    alone = per_call(lambda: latent.decode(vae, torch.zeros(1, 5)), (), rounds)
    print(f"\nlatent.sample(vae, 1) (decode nested, not checked again): {outer * 1e6:.0f} us; "
          f"latent.decode(vae, one point) at the boundary: {alone * 1e6:.0f} us")


def chapter(name: str) -> tuple[float, int, float]:
    """(seconds spent checking, checked calls, seconds the chapter ran) for one notebook."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(BOOK / f"{name}.ipynb", as_version=4)
    nb.cells = [nbformat.v4.new_code_cell(TIMER), *nb.cells, nbformat.v4.new_code_cell(REPORT)]
    NotebookClient(nb, timeout=1800, resources={"metadata": {"path": str(BOOK)}}).execute()
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    return tuple(json.loads(text.split("CONTRACTS", 1)[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--chapters", nargs="*", default=["08_generation"])
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    calls(args.rounds)
    for name in args.chapters:
        spent, n, total = chapter(name)
        print(f"{name}: {n:,} checked calls, {spent * 1e3:.0f} ms checking in {total:.1f} s ({spent / total:.2%})")


if __name__ == "__main__":
    main()
