"""The stacks readers really run, each in a virtual environment of its own (slow, so opt in):

- ``VAE_TUTORIAL_COLAB_STACK=1``: Colab's stack (Python 3.13, ipywidgets 7.7.1 and Colab's
  torch, torchvision, NumPy and tqdm) runs the unit tests (browser tests aside) and the
  introduction, KL divergence and generation chapters under nbval.
- ``VAE_TUTORIAL_LOWER_BOUNDS=1``: the oldest version of every dependency pyproject.toml declares,
  on the oldest Python it declares, runs the unit tests, with NumPy at its lower bound and at 2.0.

``.ci/run`` sets both. PyPI's PyTorch for Linux is the CUDA build (about 3 GB with its libraries),
and pip's cache does not keep it on these machines, so each environment is kept between runs in
``~/.cache/vae-tutorial-stacks/NAME-KEY``; the key hashes the Python, the declared dependencies and
the pins, so a change to any of them builds a new one. The project itself is reinstalled
(editable, without dependencies) from this checkout on every run.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, project

# Colab's package list, 2026-08 (shared/ECOSYSTEM.md). Installing ipywidgets 8 there breaks widgets.
COLAB_PYTHON = "3.13"
COLAB_PINS = ["ipywidgets==7.7.1", "torch==2.11.*", "torchvision==0.26.*", "numpy==2.1.*", "tqdm==4.67.*"]
COLAB_CHAPTERS = ["book/01_introduction.ipynb", "book/06_kl_divergence.ipynb", "book/08_generation.ipynb"]
STACKS = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "vae-tutorial-stacks"


def lower_bound_pins(dependencies: list[str]) -> list[str]:
    """``name>=X`` -> ``name==X`` for every declared dependency (each must have a lower bound)."""
    pins = []
    for requirement in dependencies:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*>=\s*([0-9][0-9.]*)(,.*)?", requirement.strip())
        assert match, f"pyproject.toml: give {requirement!r} a lower bound (name>=version)"
        pins.append(f"{match[1]}=={match[2]}")
    return pins


def pyenv_python(version: str) -> Path:
    """The newest ``version``.x Python that pyenv has."""
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    found = sorted(root.glob(f"versions/{version}.*/bin/python"),
                   key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.parent.name)])
    if not found:
        pytest.fail(f"needs Python {version} for this check: pyenv install {version}")
    return found[-1]


def stack(name: str, python: Path, pins: list[str]) -> Path:
    """A virtual environment with the project and its test extras installed under ``pins``;
    returns its Python. Built once per key (see the module's docstring)."""
    version = subprocess.run([python, "--version"], capture_output=True, text=True, check=True).stdout
    meta = project()
    key = hashlib.sha256(repr((version, meta["dependencies"], meta["optional-dependencies"]["test"],
                               pins)).encode()).hexdigest()[:12]
    venv = STACKS / f"{name}-{key}"
    venv_python = venv / "bin" / "python"
    if not (venv / "ready").exists():
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([python, "-m", "venv", venv], check=True)
        (venv / "pins.txt").write_text("\n".join(pins) + "\n")
        subprocess.run([venv_python, "-m", "pip", "install", "-q", "-c", venv / "pins.txt",
                        "-e", f"{ROOT}[test]"], check=True)
        (venv / "ready").touch()
    subprocess.run([venv_python, "-m", "pip", "install", "-q", "--no-deps", "-e", ROOT], check=True)
    return venv_python


def run_tests(python: Path, cache: Path, *extra: str) -> None:
    """The unit tests and ``extra`` under ``python``, on the offline digits. Left out: the
    browser tests (they need a built book), the book's claims (tests/test_claims.py trains every
    model of the book: minutes, and the claims are about the book, not the stack) and this file."""
    env = {k: v for k, v in os.environ.items() if k not in (
        "VAE_TUTORIAL_DATA", "VAE_TUTORIAL_FULL_DATA", "VAE_TUTORIAL_COLAB_STACK", "VAE_TUTORIAL_LOWER_BOUNDS")}
    env.update(VAE_TUTORIAL_CACHE=str(cache), VAE_TUTORIAL_OFFLINE="1", PYTHONPATH=str(ROOT))
    result = subprocess.run([python, "-m", "pytest", "-q", "tests", *extra,
                             "--ignore=tests/test_browser.py", "--ignore=tests/test_offline_book.py",
                             "--ignore=tests/test_claims.py", "--ignore=tests/test_colab_stack.py"],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_lower_bound_pins_come_from_pyproject():
    assert lower_bound_pins(["torch>=2.4", "ipywidgets >= 7.6", "numpy>=1.24,<3"]) == [
        "torch==2.4", "ipywidgets==7.6", "numpy==1.24"]
    with pytest.raises(AssertionError, match="give 'torch' a lower bound"):
        lower_bound_pins(["torch"])
    assert len(lower_bound_pins(project()["dependencies"])) == len(project()["dependencies"])


@pytest.mark.skipif(os.environ.get("VAE_TUTORIAL_COLAB_STACK") != "1",
                    reason="builds Colab's stack (Python 3.13, ~3 GB of PyTorch): set VAE_TUTORIAL_COLAB_STACK=1")
def test_colab_stack_passes_the_tests_and_three_chapters(isolated_cache):
    python = stack("colab", pyenv_python(COLAB_PYTHON), COLAB_PINS)
    run_tests(python, isolated_cache, *COLAB_CHAPTERS)


@pytest.mark.skipif(os.environ.get("VAE_TUTORIAL_LOWER_BOUNDS") != "1",
                    reason="builds the oldest declared stack (~3 GB of PyTorch): set VAE_TUTORIAL_LOWER_BOUNDS=1")
@pytest.mark.parametrize("numpy", ["lower bound", "2.0"])
def test_declared_lower_bounds_pass_the_tests(isolated_cache, numpy):
    """The oldest of everything, with NumPy at its own lower bound and at 2.0 (the first NumPy 2,
    which packages built for NumPy 1 cannot import): one environment, NumPy swapped in place."""
    oldest_python = re.fullmatch(r">=\s*(3\.\d+)", project()["requires-python"])[1]
    pins = lower_bound_pins(project()["dependencies"])
    python = stack("lower-bounds", pyenv_python(oldest_python), pins)
    wanted = next(p for p in pins if p.startswith("numpy==")) if numpy == "lower bound" else f"numpy=={numpy}"
    subprocess.run([python, "-m", "pip", "install", "-q", wanted], check=True)
    run_tests(python, isolated_cache)
