import json
import subprocess
import sys

import pytest

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
