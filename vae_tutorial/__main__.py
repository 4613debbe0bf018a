"""Command line: ``python -m vae_tutorial train ...`` and ``python -m vae_tutorial evaluate ...``.

Bad arguments and missing files end with exit code 2 and one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from contextlib import redirect_stdout
from pathlib import Path

from .data import load_dataset
from .models import ModelConfig
from .support import inputs
from .support.devices import pick_device
from .support.errors import TrainingError, TutorialError
from .support.paths import atomic_write, unwritable_reason
from .support.runs import TrainedModel, build, load_checkpoint, save_checkpoint
from .train import TrainConfig, evaluate_loss, fit


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
        batch_size=args.batch_size, lr=args.lr, seed=args.seed)
    inputs.check_train_config(config)
    device = pick_device(args.device)
    _check_out_folder(args.out, args.overwrite)   # before minutes of training, not after
    data = load_dataset(args.dataset, args.data_dir)
    model = build(config.model, seed=config.seed)

    def report(epoch: int, h) -> None:
        print(f"epoch {epoch:>3}/{config.epochs}  loss {h.train_loss[-1]:8.3f}  reconstruction "
              f"{h.reconstruction[-1]:8.3f}  KL {h.kl[-1]:7.3f}  held-out {h.test_loss[-1]:8.3f}  "
              f"({h.seconds[-1]:.2f} s)", flush=True)

    print(f"Training on {device}: {json.dumps(config.as_dict())}")
    history = fit(model, data, config, device=device, progress=False, on_epoch=report)
    trained = TrainedModel(model.cpu(), config, history, data.identity(), data.variant, data.source)
    metrics = {"config": config.as_dict(), "data": data.identity(), "data_variant": data.variant,
               "data_source": data.source, "device": str(device),
               "epochs": [{"epoch": e, **{k: v[e - 1] for k, v in history.as_dict().items()}}
                          for e in history.epochs]}
    if not all(math.isfinite(v) for row in metrics["epochs"] for v in row.values()):
        raise TrainingError("training produced a non-finite figure (NaN or infinity); nothing was "
                            "written. Try a smaller learning rate or beta.")
    path = _save_or_rescue(args.out / "model.pt", trained)
    text = json.dumps(metrics, indent=2, allow_nan=False)
    atomic_write(args.out / "metrics.json", lambda f: f.write(text.encode()))
    print(f"Wrote {path} and {args.out / 'metrics.json'}")


def _check_out_folder(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise TutorialError(f"--out {out} is a file; give a folder (it is created if missing)")
    if (out / "model.pt").exists() and not overwrite:
        raise TutorialError(f"--out {out} already holds a trained model.pt; choose another folder, "
                            f"or pass --overwrite to replace it")
    reason = unwritable_reason(out)
    if reason:
        raise TutorialError(f"--out: {reason}; choose a folder you can write to")


def _save_or_rescue(path: Path, trained: TrainedModel) -> Path:
    """Save the model; if that fails after training (disk full, folder gone), save it in the
    temporary folder instead and say where, so the training is not lost."""
    try:
        return save_checkpoint(path, trained)
    except OSError as err:
        why = err.strerror or type(err).__name__
    try:
        fd, rescue = tempfile.mkstemp(prefix="vae-tutorial-rescued-", suffix=".pt")
        os.close(fd)
        save_checkpoint(rescue, trained)
    except OSError as err:
        raise TutorialError(f"could not write {path} ({why}), nor a copy in the temporary folder "
                            f"({err.strerror or type(err).__name__}); the trained model is lost. "
                            f"Free some space and train again.") from None
    raise TutorialError(f"could not write {path} ({why}); the trained model was saved to {rescue} "
                        f"instead (any older {path.name} is unchanged). Move it where you want it.")


def _evaluate(args: argparse.Namespace) -> None:
    trained = load_checkpoint(args.checkpoint, device=pick_device(args.device))
    with redirect_stdout(sys.stderr):  # keep stdout pure JSON
        data = load_dataset(trained.config.dataset, args.data_dir)
    terms = evaluate_loss(trained.model, data.test_images, trained.config.loss, elbo=True)
    print(json.dumps({
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
    except TutorialError as err:
        print(f"python -m vae_tutorial {args.command}: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # a file-system fault nobody foresaw: still one line, not a traceback
        print(f"python -m vae_tutorial {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
