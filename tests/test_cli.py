import json
import os
import subprocess
import sys

import numpy as np
import pytest

from vae_tutorial.support import idx
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
    real = __import__("vae_tutorial.__main__", fromlist=["save_checkpoint"]).save_checkpoint
    calls = []

    def disk_full_once(path, trained):
        calls.append(path)
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        return real(path, trained)

    monkeypatch.setattr("vae_tutorial.__main__.save_checkpoint", disk_full_once)
    code, err = _run(TRAIN + ["--data-dir", mnist_root, "--out", out, "--overwrite"], capsys)
    assert code == 2 and _one_line(err) and "No space left on device" in err
    rescued = calls[1]
    assert str(rescued) in err and (out / "model.pt").read_bytes() == b"the previous model"
    from vae_tutorial.support.runs import load_checkpoint
    assert load_checkpoint(rescued).config.epochs == 1
    os.unlink(rescued)


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
        torch.save(bad, tmp_path / f"{name}.pt")
        code, err = _run(["evaluate", "--checkpoint", tmp_path / f"{name}.pt", "--data-dir", mnist_root], capsys)
        assert code == 2 and "cannot be used" in err and _one_line(err), name
    assert "non-finite" in _run(["evaluate", "--checkpoint", tmp_path / "nan.pt"], capsys)[1]


def test_metrics_json_is_valid_json(mnist_root, tmp_path):
    out = tmp_path / "run"
    assert main(TRAIN + ["--data-dir", str(mnist_root), "--out", str(out)]) == 0
    json.loads((out / "metrics.json").read_text(), parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
