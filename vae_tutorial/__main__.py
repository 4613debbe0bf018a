"""Command line: ``python -m vae_tutorial train ...`` and ``python -m vae_tutorial evaluate ...``.

Bad arguments and missing files end with exit code 2 and one line on stderr; Ctrl-C (even while
PyTorch is still loading) with exit code 130 and one line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import signal
import sys
import tempfile
import threading
from pathlib import Path


@contextlib.contextmanager
def _ctrl_c_waits():
    """Ctrl-C while PyTorch loads would strike inside its C++ start-up (a long traceback, or an
    abort): note it instead, and once the imports are done, stop with one line (code 130)."""
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is signal.SIG_IGN):
        yield
        return
    pressed = []
    previous = signal.signal(signal.SIGINT, lambda *_: pressed.append(True))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if pressed:
        sys.stderr.write("python -m vae_tutorial: interrupted while starting\n")
        raise SystemExit(130)


with _ctrl_c_waits():   # PyTorch takes seconds to load
    from contextlib import redirect_stdout

    from .data import load_dataset
    from .models import ModelConfig
    from .support.cache import serialize
    from .support.devices import pick_device
    from .support.errors import TrainingError, TutorialError
    from .support.messages import printable
    from .support.paths import (FolderInUse, atomic_write_together, finish_replacing, folder_lock,
                                unwritable_reason, write_new_file)
    from .fitting import SCHEDULES, TRAIN_CONFIG, evaluate_loss, fit
    from .runs import TrainedModel, build, load_checkpoint, memory_as_error, payload_of
    from .train import TrainConfig


def _print(text: str, file=None) -> None:
    """Print one line, whatever the terminal's encoding (paths need not be UTF-8)."""
    stream = file or sys.stdout
    print(printable(text, stream), file=stream, flush=True)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not a usage block
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _hidden_dims(text: str) -> tuple[int, ...]:
    try:
        dims = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--hidden-dims wants a comma list of sizes like 256,128, got {text!r}") from None
    if not dims or min(dims) < 1:
        raise argparse.ArgumentTypeError(f"--hidden-dims sizes must be >= 1, got {text!r}")
    return dims


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m vae_tutorial", description="Train and evaluate the tutorial's VAEs.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    d = TrainConfig()
    t = sub.add_parser("train", help="train a model, write model.pt and metrics.json")
    t.add_argument("--model", choices=("ae", "vae"), default="vae")
    t.add_argument("--architecture", choices=("mlp", "conv"), default="mlp")
    t.add_argument("--dataset", choices=("mnist", "fashion-mnist"), default=d.dataset)
    t.add_argument("--latent-dim", type=int, default=d.model.latent_dim)
    t.add_argument("--hidden-dims", type=_hidden_dims, default=d.model.hidden_dims, help="e.g. 256,128")
    t.add_argument("--epochs", type=int, default=d.epochs)
    t.add_argument("--batch-size", type=int, default=d.batch_size)
    t.add_argument("--lr", type=float, default=d.lr)
    t.add_argument("--schedule", choices=SCHEDULES, default=d.schedule,
                   help="the learning rate: constant, or one-cycle (warm up to --lr, then anneal)")
    t.add_argument("--loss", choices=("mse", "bce"), default=d.loss)
    t.add_argument("--beta", type=float, default=d.beta)
    t.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda, mps")
    t.add_argument("--seed", type=int, default=d.seed)
    t.add_argument("--data-dir", type=Path, default=None, help="folder with MNIST/raw or FashionMNIST/raw")
    t.add_argument("--out", type=Path, required=True, help="folder for model.pt and metrics.json")
    t.add_argument("--overwrite", action="store_true", help="replace a model.pt already in --out")
    e = sub.add_parser("evaluate", help="print the test split's negative ELBO as JSON")
    e.add_argument("--checkpoint", type=Path, required=True)
    e.add_argument("--data-dir", type=Path, default=None)
    e.add_argument("--device", default="auto")
    return parser


def _train(args: argparse.Namespace) -> None:
    config = TrainConfig(
        model=ModelConfig(kind=args.model, latent_dim=args.latent_dim, hidden_dims=args.hidden_dims,
                          architecture=args.architecture),
        dataset=args.dataset, loss=args.loss, beta=args.beta, epochs=args.epochs,
        batch_size=args.batch_size, lr=args.lr, seed=args.seed, schedule=args.schedule)
    TRAIN_CONFIG.validate(config, "config")
    device = pick_device(args.device)
    model = build(config.model, seed=config.seed)   # a model too large for memory: refused here
    _check_out_folder(args.out)              # before minutes of training, not after
    try:
        with folder_lock(args.out):          # one run writes into --out at a time
            _train_into(args, config, device, model)
    except FolderInUse:
        raise TutorialError(f"--out {args.out} is in use by another `train` run right now; wait for "
                            f"it to finish, or choose another folder") from None


def _train_into(args: argparse.Namespace, config: TrainConfig, device, model) -> None:
    finish_replacing(args.out)               # a run killed while it renamed its pair into place
    if (args.out / "model.pt").exists() and not args.overwrite:
        raise TutorialError(f"--out {args.out} already holds a trained model.pt; choose another "
                            f"folder, or pass --overwrite to replace it")
    data = load_dataset(args.dataset, args.data_dir)

    def report(epoch: int, h) -> None:
        _print(f"epoch {epoch:>3}/{config.epochs}  loss {h.train_loss[-1]:8.3f}  reconstruction "
               f"{h.reconstruction[-1]:8.3f}  KL {h.kl[-1]:7.3f}  held-out {h.test_loss[-1]:8.3f}  "
               f"({h.seconds[-1]:.2f} s)")

    _print(f"Training on {device}: {json.dumps(config.as_dict())}")
    with memory_as_error(f"training on {device}"):
        history = fit(model, data, config, device=device, progress=False, on_epoch=report)
    trained = TrainedModel(model.cpu(), config, history, data.identity(), data.variant, data.source)
    metrics = {"config": config.as_dict(), "data": data.identity(), "data_variant": data.variant,
               "data_source": data.source, "device": str(device),
               "epochs": [{"epoch": e, **{k: v[e - 1] for k, v in history.as_dict().items()}}
                          for e in history.epochs]}
    if not all(math.isfinite(v) for row in metrics["epochs"] for v in row.values()):
        raise TrainingError("training produced a non-finite figure (NaN or infinity); nothing was "
                            "written. Try a smaller learning rate or beta.")
    _save_or_rescue(args.out, serialize(payload_of(trained)), json.dumps(metrics, indent=2, allow_nan=False))
    _print(f"Wrote {args.out / 'model.pt'} and {args.out / 'metrics.json'}")


def _check_out_folder(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise TutorialError(f"--out {out} is a file; give a folder (it is created if missing)")
    reason = unwritable_reason(out)
    if reason:
        raise TutorialError(f"--out: {reason}; choose a folder you can write to")


def _save_or_rescue(out: Path, model: bytes, metrics: str) -> None:
    """Write model.pt and metrics.json together (both or neither). If that fails after training
    (a full disk, the folder gone), save the model in the temporary folder instead and say
    where, so the training is not lost; if that fails too, say so, leaving no file behind."""
    try:
        atomic_write_together({out / "model.pt": lambda f: f.write(model),
                               out / "metrics.json": lambda f: f.write(metrics.encode())})
        return
    except OSError as err:
        why = err.strerror or type(err).__name__
    path = out / "model.pt"
    try:
        rescue = write_new_file(tempfile.gettempdir(), "vae-tutorial-rescued-", ".pt",
                                lambda f: f.write(model))
    except OSError as err:
        raise TutorialError(f"could not write {path} ({why}), nor a copy in the temporary folder "
                            f"({err.strerror or type(err).__name__}); the trained model is lost. "
                            f"Free some space and train again.") from None
    raise TutorialError(f"could not write {path} ({why}); the trained model was saved to {rescue} "
                        f"instead (any older {path.name} is unchanged). Move it where you want it.")


def _evaluate(args: argparse.Namespace) -> None:
    finish_replacing(args.checkpoint.parent)
    trained = load_checkpoint(args.checkpoint, device=pick_device(args.device))
    with redirect_stdout(sys.stderr):  # keep stdout pure JSON (where the data came from is in it)
        data = load_dataset(trained.config.dataset, args.data_dir, quiet=True)
    terms = evaluate_loss(trained.model, data.test_images, trained.config.loss, elbo=True)
    if not all(math.isfinite(v) for v in terms):
        raise TrainingError(f"checkpoint {args.checkpoint} gives non-finite losses (NaN or infinity) "
                            f"on the test images: its weights have diverged. Train it again with a "
                            f"smaller learning rate (--lr) or beta.")
    _print(json.dumps({
        "negative_elbo_nats": terms.total, "reconstruction_bce_nats": terms.reconstruction,
        "kl_nats": terms.kl, "n_test_images": len(data.test_labels), "dataset": data.name,
        "data_variant": data.variant, "data_source": data.source,
        "trained_with": {"loss": trained.config.loss, "data_variant": trained.data_variant,
                         "data": trained.data},
        "evaluated_on_its_training_data_set": trained.data == data.identity(),
    }, indent=2, allow_nan=False))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        (_train if args.command == "train" else _evaluate)(args)
    except (TutorialError, OSError, MemoryError) as err:
        # OSError: a file-system fault nobody foresaw: still one line, not a traceback
        detail = str(err) or type(err).__name__
        _print(f"python -m vae_tutorial {args.command}: error: {detail}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        _print(f"python -m vae_tutorial {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
