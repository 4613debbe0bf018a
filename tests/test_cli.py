import io
import json
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import files_in, unprivileged
from vae_tutorial.support import cache, idx
from vae_tutorial.runs import load_checkpoint, save_checkpoint
from vae_tutorial import __main__ as cli
from vae_tutorial.__main__ import main


def test_train_then_evaluate(mnist_root, tmp_path, capsys):
    out = tmp_path / "run"
    rc = main(["train", "--epochs", "2", "--hidden-dims", "32,16", "--latent-dim", "2", "--batch-size", "32",
               "--data-dir", str(mnist_root), "--out", str(out), "--loss", "bce", "--beta", "0.5"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert printed.count("epoch ") == 2 and "held-out" in printed
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["model"]["hidden_dims"] == [32, 16] and metrics["config"]["beta"] == 0.5
    assert metrics["data_variant"] == "full" and str(mnist_root) in metrics["data_source"]
    assert [e["epoch"] for e in metrics["epochs"]] == [1, 2]
    assert set(metrics["epochs"][0]) >= {"train_loss", "reconstruction", "kl", "test_loss", "seconds"}

    assert main(["evaluate", "--checkpoint", str(out / "model.pt"), "--data-dir", str(mnist_root)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n_test_images"] == 32 and report["data_variant"] == "full"
    assert report["negative_elbo_nats"] == pytest.approx(report["reconstruction_bce_nats"] + report["kl_nats"])
    assert 0 < report["negative_elbo_nats"] < 784 * 5


@pytest.mark.parametrize("argv, message", [
    (["train", "--epochs", "x", "--out", "o"], "invalid int value"),
    (["train", "--hidden-dims", "256,a", "--out", "o"], "comma list"),
    (["train", "--epochs", "0", "--out", "o"], "epochs must be"),
    (["train", "--model", "gan", "--out", "o"], "invalid choice"),
    (["train", "--schedule", "cosine", "--out", "o"], "invalid choice"),
    (["train", "--data-dir", "/no/such/folder", "--out", "o"], "not a folder"),
    (["train", "--device", "cuda:7", "--out", "o"], "cuda"),
    (["evaluate", "--checkpoint", "/no/such/model.pt"], "does not exist"),
    (["train"], "--out"),
])
def test_errors_exit_2_with_one_line(argv, message, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    with pytest.raises(SystemExit) as exit_info:
        code = main(argv)
        raise SystemExit(code)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_train_never_overwrites_a_model_unasked(mnist_root, tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "--epochs", "1", "--hidden-dims", "16", "--latent-dim", "2",
            "--data-dir", str(mnist_root), "--out", str(out)]
    assert main(argv) == 0
    first = (out / "model.pt").read_bytes()
    capsys.readouterr()
    assert main(argv + ["--seed", "1"]) == 2
    err = capsys.readouterr().err
    assert "already holds" in err and "--overwrite" in err
    assert (out / "model.pt").read_bytes() == first
    assert main(argv + ["--seed", "1", "--overwrite"]) == 0
    assert (out / "model.pt").read_bytes() != first


def test_corrupt_checkpoint_file(tmp_path, capsys):
    bad = tmp_path / "model.pt"
    bad.write_text("garbage")
    assert main(["evaluate", "--checkpoint", str(bad)]) == 2
    assert "cannot be used" in capsys.readouterr().err


def test_module_entry_point_runs():
    result = subprocess.run([sys.executable, "-m", "vae_tutorial", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "train" in result.stdout


# ---------------------------------------------------------------- every fault: one line, exit 2

def _run(argv, capsys) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err.strip()
    return code, err


def _one_line(err: str) -> bool:
    return len(err.splitlines()) == 1 and "Traceback" not in err


TRAIN = ["train", "--epochs", "1", "--hidden-dims", "16", "--latent-dim", "2", "--batch-size", "32"]


@pytest.mark.parametrize("out, message", [
    ("{tmp}/a-file/run", "not a writable folder"),     # parent is a file
    ("/proc/vae-tutorial-run", "not a writable folder"),
    ("/sys/vae-tutorial-run", "not a writable folder"),
])
def test_out_folder_that_cannot_be_written_is_refused_before_training(out, message, mnist_root, tmp_path,
                                                                       capsys, monkeypatch):
    (tmp_path / "a-file").write_text("x")
    monkeypatch.setattr("vae_tutorial.__main__.fit", lambda *a, **k: pytest.fail("trained first"))
    code, err = _run(TRAIN + ["--data-dir", mnist_root, "--out", out.format(tmp=tmp_path)], capsys)
    assert code == 2 and message in err and _one_line(err)


def test_a_save_that_fails_after_training_keeps_the_model_somewhere(mnist_root, tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    out.mkdir()
    (out / "model.pt").write_bytes(b"the previous model")

    def disk_full(files):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cli, "atomic_write_together", disk_full)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    code, err = _run(TRAIN + ["--data-dir", mnist_root, "--out", out, "--overwrite"], capsys)
    assert code == 2 and _one_line(err) and "No space left on device" in err
    [rescued] = files_in(tmp_path / "tmp")
    assert str(rescued) in err and (out / "model.pt").read_bytes() == b"the previous model"
    assert load_checkpoint(rescued).config.epochs == 1


def test_evaluate_needs_no_cache_folder(mnist_root, tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    assert main(TRAIN + ["--data-dir", str(mnist_root), "--out", str(out)]) == 0
    capsys.readouterr()
    blocker = tmp_path / "cache-is-a-file"
    blocker.write_text("x")
    for cache in (blocker, "/proc/vae-tutorial-cache"):
        monkeypatch.setenv("VAE_TUTORIAL_CACHE", str(cache))
        assert main(["evaluate", "--checkpoint", str(out / "model.pt"), "--data-dir", str(mnist_root)]) == 0
        report = json.loads(capsys.readouterr().out)
        assert report["evaluated_on_its_training_data_set"] is True


@pytest.mark.parametrize("extra, message", [
    (["--device", "meta"], "unsupported device 'meta'"),
    (["--device", "xpu"], "unsupported device 'xpu'"),
    (["--seed", "1e23"], "invalid int value"),
    (["--seed", str(10**23)], "seed must be a whole number from 0"),
    (["--seed", "-1"], "seed must be a whole number from 0"),
])
def test_bad_device_or_seed(extra, message, mnist_root, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        raise SystemExit(main(TRAIN + ["--data-dir", str(mnist_root), "--out", str(tmp_path / "o")] + extra))
    err = capsys.readouterr().err.strip()
    assert exit_info.value.code == 2 and message in err and _one_line(err)
    assert not (tmp_path / "o" / "model.pt").exists()


def _raw(root):
    return root / "MNIST" / "raw"


def test_empty_idx_files_are_refused_and_nothing_is_written(mnist_root, tmp_path, capsys):
    idx.write_idx(_raw(mnist_root) / "train-images-idx3-ubyte", np.zeros((0, 28, 28), np.uint8))
    idx.write_idx(_raw(mnist_root) / "train-labels-idx1-ubyte", np.zeros((0,), np.uint8))
    code, err = _run(TRAIN + ["--data-dir", mnist_root, "--out", tmp_path / "o"], capsys)
    assert code == 2 and "holds no images" in err and _one_line(err)
    assert not (tmp_path / "o" / "model.pt").exists() and not (tmp_path / "o" / "metrics.json").exists()


def test_an_empty_data_dir_is_an_error_not_a_fallback(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code, err = _run(TRAIN + ["--data-dir", tmp_path / "empty", "--out", tmp_path / "o"], capsys)
    assert code == 2 and "holds no mnist files" in err and _one_line(err)


def test_overflowing_idx_header(mnist_root, tmp_path, capsys):
    path = _raw(mnist_root) / "train-images-idx3-ubyte"
    raw = bytearray(path.read_bytes())
    raw[4:16] = b"\xff" * 12  # three dimensions of 4,294,967,295
    path.write_bytes(bytes(raw))
    code, err = _run(TRAIN + ["--data-dir", mnist_root, "--out", tmp_path / "o"], capsys)
    assert code == 2 and "truncated" in err and str(path) in err and _one_line(err)


def test_a_checkpoint_with_nan_weights_or_missing_fields_is_refused(mnist_root, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(TRAIN + ["--data-dir", str(mnist_root), "--out", str(out)]) == 0
    capsys.readouterr()
    import torch
    payload = torch.load(out / "model.pt", weights_only=True)
    broken = {"nan": {**payload, "state_dict": {k: v.clone() for k, v in payload["state_dict"].items()}},
              "no-variant": {k: v for k, v in payload.items() if k != "data_variant"}}
    broken["nan"]["state_dict"]["encoder.1.weight"][0, 0] = float("nan")
    for name, bad in broken.items():
        cache.write(tmp_path / f"{name}.pt", bad)   # a valid checksum: the NaN check must speak
        code, err = _run(["evaluate", "--checkpoint", tmp_path / f"{name}.pt", "--data-dir", mnist_root], capsys)
        assert code == 2 and "cannot be used" in err and _one_line(err), name
    assert "non-finite" in _run(["evaluate", "--checkpoint", tmp_path / "nan.pt"], capsys)[1]


def test_metrics_json_is_valid_json(mnist_root, tmp_path):
    out = tmp_path / "run"
    assert main(TRAIN + ["--data-dir", str(mnist_root), "--out", str(out)]) == 0
    json.loads((out / "metrics.json").read_text(), parse_constant=lambda c: pytest.fail(f"{c} in JSON"))


def test_the_book_vaes_schedule_is_an_argument_and_recorded(mnist_root, tmp_path):
    """Chapter 7's command line: --lr 0.003 --schedule one-cycle, kept in metrics.json and in the
    checkpoint's configuration (a constant rate, the default, is left out of both, as before)."""
    out = tmp_path / "run"
    assert main(TRAIN + ["--lr", "0.003", "--schedule", "one-cycle", "--data-dir", str(mnist_root),
                         "--out", str(out)]) == 0
    config = json.loads((out / "metrics.json").read_text())["config"]
    assert config["schedule"] == "one-cycle" and config["lr"] == 0.003
    from vae_tutorial.runs import load_checkpoint
    assert load_checkpoint(out / "model.pt").config.schedule == "one-cycle"


# ---------------------------------------------------------------- issue 20: a full disk, two runs, hostile inputs

ROOT = Path(__file__).resolve().parents[1]


def test_a_full_disk_under_out_keeps_the_model_in_the_temporary_folder(full_disk, mnist_root, tmp_path,
                                                                       capsys, monkeypatch):
    disk = full_disk(tmp_path / "disk")
    out = disk / "run"
    elsewhere = tmp_path / "tmp"
    elsewhere.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(elsewhere))
    before = files_in(disk)
    code, err = _run(TRAIN + ["--data-dir", mnist_root, "--out", out], capsys)
    assert code == 2 and _one_line(err) and "No space left on device" in err
    rescued = sorted(files_in(elsewhere))
    assert len(rescued) == 1 and str(rescued[0]) in err
    assert load_checkpoint(rescued[0]).config.epochs == 1
    assert files_in(disk) == before   # no half file, no empty file, no metrics.json alone


def test_when_nowhere_can_be_written_one_line_says_so_and_nothing_is_left(full_disk, mnist_root, tmp_path,
                                                                          capsys, monkeypatch):
    disk = full_disk(tmp_path / "disk")
    monkeypatch.setattr(tempfile, "tempdir", str(disk))   # the temporary folder is full too
    before = files_in(disk)
    code, err = _run(TRAIN + ["--data-dir", mnist_root, "--out", disk / "run"], capsys)
    assert code == 2 and _one_line(err) and "lost" in err and "No space left on device" in err
    assert files_in(disk) == before   # not even an empty rescue file


def test_two_runs_into_one_out_folder_one_wins_and_the_other_is_refused(mnist_root, tmp_path, capsys,
                                                                        monkeypatch):
    """Run 1 (seed 1) trains in this process and is held inside training; meanwhile run 2
    (seed 2), a real second process, asks for the same --out."""
    out = tmp_path / "run"
    real_fit, training, go_on = cli.fit, threading.Event(), threading.Event()

    def held_fit(*args, **kwargs):
        training.set()
        assert go_on.wait(300)
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(cli, "fit", held_fit)
    codes = []
    first = threading.Thread(target=lambda: codes.append(
        main([*TRAIN, "--seed", "1", "--data-dir", str(mnist_root), "--out", str(out)])))
    first.start()
    try:
        assert training.wait(300)
        second = subprocess.run([sys.executable, "-m", "vae_tutorial", *TRAIN, "--seed", "2",
                                 "--data-dir", str(mnist_root), "--out", str(out)],
                                cwd=ROOT, capture_output=True, text=True, timeout=300)
    finally:
        go_on.set()
        first.join(300)
    err = second.stderr.strip()
    assert second.returncode == 2 and _one_line(err) and "in use by another" in err and str(out) in err
    assert codes == [0]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["seed"] == 1 and load_checkpoint(out / "model.pt").config.seed == 1
    assert sorted(p.name for p in out.iterdir()) == ["metrics.json", "model.pt"]
    # and the run after it, without --overwrite, is refused as before
    code, err = _run(TRAIN + ["--seed", "2", "--data-dir", mnist_root, "--out", out], capsys)
    assert code == 2 and "already holds" in err


@pytest.mark.parametrize("extra", [["--latent-dim", "1000000000"], ["--hidden-dims", "100000000"],
                                   ["--hidden-dims", "100000,100000"]])
def test_a_model_too_large_for_memory_is_refused_before_anything_starts(extra, mnist_root, tmp_path, capsys,
                                                                        monkeypatch):
    monkeypatch.setattr("vae_tutorial.__main__.fit", lambda *a, **k: pytest.fail("trained"))
    code, err = _run(TRAIN + extra + ["--data-dir", mnist_root, "--out", tmp_path / "o"], capsys)
    assert code == 2 and _one_line(err) and "memory" in err and "GB" in err
    assert not (tmp_path / "o").exists()     # refused before anything was made


def test_evaluate_on_a_diverged_checkpoint_says_so_in_one_line(mnist_root, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(TRAIN + ["--data-dir", str(mnist_root), "--out", str(out)]) == 0
    trained = load_checkpoint(out / "model.pt")
    with torch.no_grad():
        for p in trained.model.parameters():
            p.mul_(1e19)                         # finite, but the losses overflow
    save_checkpoint(tmp_path / "diverged.pt", trained)
    capsys.readouterr()
    code = main(["evaluate", "--checkpoint", str(tmp_path / "diverged.pt"), "--data-dir", str(mnist_root)])
    printed = capsys.readouterr()
    assert code == 2 and _one_line(printed.err.strip()) and "diverged" in printed.err
    assert printed.out == ""                     # no half JSON on stdout


def _strict_streams(monkeypatch) -> tuple[io.BytesIO, io.BytesIO]:
    out, err = io.BytesIO(), io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(out, encoding="utf-8", errors="strict"))
    monkeypatch.setattr(sys, "stderr", io.TextIOWrapper(err, encoding="utf-8", errors="strict"))
    return out, err


def test_paths_that_are_not_utf8_are_printed_under_a_strict_encoding(mnist_root, tmp_path, monkeypatch):
    out = tmp_path / os.fsdecode(b"run-\xff")
    stdout, stderr = _strict_streams(monkeypatch)
    assert main(TRAIN + ["--data-dir", str(mnist_root), "--out", str(out)]) == 0
    sys.stdout.flush()
    assert (out / "model.pt").is_file() and (out / "metrics.json").is_file()
    assert "run-\\xff" in stdout.getvalue().decode()
    missing = tmp_path / os.fsdecode(b"gone-\xff.pt")
    assert main(["evaluate", "--checkpoint", str(missing)]) == 2
    sys.stderr.flush()
    err = stderr.getvalue().decode().strip()
    assert _one_line(err) and "gone-\\xff.pt" in err


def test_a_strict_output_encoding_in_a_real_process(tmp_path):
    missing = os.path.join(os.fsencode(tmp_path), b"gone-\xff.pt")
    result = subprocess.run([sys.executable, "-m", "vae_tutorial", "evaluate", "--checkpoint", missing],
                            cwd=ROOT, capture_output=True, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    err = result.stderr.decode().strip()
    assert result.returncode == 2 and _one_line(err) and "gone-\\xff.pt" in err


INTERRUPT_WHILE_IMPORTING = """
import os, runpy, signal, sys
# Ctrl-C as a terminal delivers it, even when pytest itself runs with SIGINT ignored (started in
# the background by a script: `python -m pytest &`), which a child would otherwise inherit
signal.signal(signal.SIGINT, signal.default_int_handler)
class InterruptAtTorch:                      # Ctrl-C, at the moment torch starts loading
    def find_spec(self, name, path=None, target=None):
        if name == "torch":
            os.kill(os.getpid(), signal.SIGINT)
        return None
sys.meta_path.insert(0, InterruptAtTorch())
sys.argv = ["vae_tutorial", "evaluate", "--checkpoint", "model.pt"]
runpy.run_module("vae_tutorial", run_name="__main__", alter_sys=True)
"""


@pytest.mark.parametrize("parent", ["default", "ignores SIGINT"])
def test_ctrl_c_while_the_imports_load_is_one_line(parent):
    """Also when the tests run with SIGINT ignored (``nohup python -m pytest &``): the child
    starts with SIGINT ignored then, and must set it as a terminal has it."""
    ignore = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if parent != "default" else None
    result = subprocess.run([sys.executable, "-c", INTERRUPT_WHILE_IMPORTING], cwd=ROOT, capture_output=True,
                            text=True, timeout=300, preexec_fn=ignore)
    err = result.stderr.strip()
    assert result.returncode == 130 and _one_line(err) and "interrupted" in err


def test_a_malicious_pickle_is_refused_in_one_line_never_run_and_without_warnings(tmp_path, capsys):
    marker = tmp_path / "it-ran"

    class Payload:
        def __reduce__(self):
            return os.system, (f"touch {marker}",)

    evil = tmp_path / "model.pt"
    evil.write_bytes(pickle.dumps(Payload()))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, err = _run(["evaluate", "--checkpoint", evil], capsys)
    assert code == 2 and _one_line(err) and "cannot be used" in err
    assert not marker.exists() and [str(w.message) for w in caught] == []
    assert "weights_only" not in err             # no advice to load it the unsafe way


def test_a_damaged_checkpoint_is_refused_in_one_line(mnist_root, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(TRAIN + ["--data-dir", str(mnist_root), "--out", str(out)]) == 0
    capsys.readouterr()
    weights = load_checkpoint(out / "model.pt").model.state_dict()["encoder.1.weight"].numpy().tobytes()
    raw = bytearray((out / "model.pt").read_bytes())
    at = raw.find(weights[:64])
    raw[at:at + len(weights) // 2] = bytes(len(weights) // 2)    # zeros into the middle
    (out / "model.pt").write_bytes(raw)
    code, err = _run(["evaluate", "--checkpoint", out / "model.pt", "--data-dir", mnist_root], capsys)
    assert code == 2 and _one_line(err) and "damaged" in err


UNREADABLE_CACHE = """
import json, sys
from vae_tutorial import data, train
from vae_tutorial.__main__ import main
from vae_tutorial.models import ModelConfig
from vae_tutorial.runs import train_or_load
small = train.TrainConfig(model=ModelConfig(kind="vae", latent_dim=2, hidden_dims=(16,)), epochs=1)
api = train_or_load(small, data.load_mnist(sys.argv[1], quiet=True), progress=False)
offline = main(["train", "--epochs", "1", "--hidden-dims", "16", "--latent-dim", "2", "--out", sys.argv[2]])
with_data = main(["train", "--epochs", "1", "--hidden-dims", "16", "--latent-dim", "2",
                  "--data-dir", sys.argv[1], "--out", sys.argv[3]])
print(json.dumps({"api": api.origin, "offline": offline, "with_data": with_data}))
"""


def test_a_cache_folder_that_cannot_be_read_is_worked_around(mnist_root, tmp_path, isolated_cache):
    isolated_cache.chmod(0)
    try:
        result = subprocess.run(unprivileged([sys.executable, "-c", UNREADABLE_CACHE, str(mnist_root),
                                              str(tmp_path / "offline"), str(tmp_path / "with-data")]),
                                cwd=ROOT, capture_output=True, text=True, timeout=600)
    finally:
        isolated_cache.chmod(0o755)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"api": "trained", "offline": 0, "with_data": 0}
    assert "Traceback" not in result.stderr and "nothing is cached" in " ".join(result.stderr.split())


# ---------------------------------------------------------------- issue 28: train --overwrite killed between its renames

_KILLED_TRAIN = """
import os, signal, sys
calls, real = [0], os.replace
def replace(a, b):                  # the third rename of the save: metrics.json, after model.pt
    calls[0] += 1
    if calls[0] == 3 and str(b).endswith("metrics.json"):
        os.kill(os.getpid(), signal.SIGKILL)
    real(a, b)
os.replace = replace
from vae_tutorial.__main__ import main
sys.exit(main(sys.argv[1:]))
"""


def test_train_overwrite_killed_between_its_two_renames_loses_nothing(mnist_root, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(TRAIN + ["--seed", "1", "--data-dir", str(mnist_root), "--out", str(out)]) == 0
    killed = subprocess.run([sys.executable, "-c", _KILLED_TRAIN, *TRAIN, "--seed", "2", "--overwrite",
                             "--data-dir", str(mnist_root), "--out", str(out)], capture_output=True,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert killed.returncode == -signal.SIGKILL
    assert load_checkpoint(out / "model.pt").config.seed == 2          # the new model is in place
    capsys.readouterr()
    assert main(["evaluate", "--checkpoint", str(out / "model.pt"), "--data-dir", str(mnist_root)]) == 0
    assert json.loads((out / "metrics.json").read_text())["config"]["seed"] == 2   # and its metrics
    assert sorted(p.name for p in out.iterdir()) == ["metrics.json", "model.pt"]
