"""book/_ext/build_stamp.py: a build is reused only when it was made, without errors, from the
current sources; the downloadable notebooks install the commit the book was built from."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

import build_stamp
from conftest import ROOT

REPOSITORY, BRANCH = "https://github.com/vae-tutorial/vae-tutorial", "main"


@pytest.fixture
def sources(tmp_path) -> Path:
    """A small copy of the project's source layout."""
    root = tmp_path / "project"
    root.mkdir()
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(ROOT / name, root / name)
    (root / "book" / "_ext").mkdir(parents=True)
    shutil.copy(ROOT / "book" / "01_introduction.ipynb", root / "book")
    (root / "book" / "_ext" / "build_stamp.py").write_text("# extension\n")
    (root / "vae_tutorial" / "js").mkdir(parents=True)
    (root / "vae_tutorial" / "models.py").write_text("WIDTH = 400\n")
    (root / "vae_tutorial" / "js" / "decoder.js").write_text("// forward pass\n")
    return root


def fake_app(root: Path, out: Path, warnings: int = 0, execution: str = "cache") -> SimpleNamespace:
    """What the extension reads from Sphinx's application."""
    options = {"repository_url": REPOSITORY, "repository_branch": BRANCH}
    cache = out.parent / ".jupyter_cache"  # where myst-nb keeps it: next to the HTML folder
    return SimpleNamespace(srcdir=str(root), outdir=str(out), builder=SimpleNamespace(format="html"),
                           keep_going=True, _warncount=warnings,
                           config=SimpleNamespace(html_theme_options=options, nb_execution_mode=execution),
                           env=SimpleNamespace(mystnb_config=SimpleNamespace(execution_cache_path=str(cache)),
                                               found_docs={"index", "book/01_introduction"}))


def build(root: Path, out: Path, warnings: int = 0, exc: Exception | None = None,
          execution: str = "cache") -> list[str]:
    """What Sphinx does around a build: builder-inited ... build-finished. Returns the documents
    the extension makes Sphinx read again."""
    app = fake_app(root, out, warnings, execution)
    out.mkdir(parents=True, exist_ok=True)
    build_stamp._start(app)
    reread = build_stamp._outdated(app, app.env, set(), set(), set())
    executed = out.parent / ".jupyter_cache" / "executed"  # what jupyter-cache would store
    executed.mkdir(parents=True, exist_ok=True)
    (executed / "01_introduction.ipynb").write_text("{}")
    downloads = out / "_sources" / "book"
    downloads.mkdir(parents=True, exist_ok=True)
    shutil.copy(root / "book" / "01_introduction.ipynb", downloads)
    build_stamp._finish(app, exc)
    return reread


def setup_source(path: Path) -> str:
    cells = json.loads(path.read_text())["cells"]
    return "".join(next(c for c in cells if c["cell_type"] == "code")["source"])


@pytest.mark.parametrize("change", ["book/01_introduction.ipynb", "vae_tutorial/models.py",
                                    "vae_tutorial/support/js/decoder.js", "_config.yml", "_toc.yml",
                                    "book/_ext/build_stamp.py", "book/_static/new.png"])
def test_a_build_is_current_until_a_source_changes(sources, tmp_path, change):
    html = tmp_path / "html"
    assert not build_stamp.is_current(html, sources)  # never built
    build(sources, html)
    assert build_stamp.is_current(html, sources)
    (sources / change).parent.mkdir(parents=True, exist_ok=True)
    with open(sources / change, "a") as f:
        f.write("\n")
    assert not build_stamp.is_current(html, sources)
    build(sources, html)
    assert build_stamp.is_current(html, sources)


def test_caches_and_build_outputs_do_not_count_as_sources(sources, tmp_path):
    html = tmp_path / "html"
    build(sources, html)
    for junk in ("vae_tutorial/__pycache__/models.cpython-311.pyc", "book/.ipynb_checkpoints/x.ipynb",
                 "_build/html/index.html", "tests/test_new.py", "README.md"):
        (sources / junk).parent.mkdir(parents=True, exist_ok=True)
        (sources / junk).write_text("x")
    assert build_stamp.is_current(html, sources)


@pytest.mark.parametrize("warnings, exc", [(2, None), (0, RuntimeError("a chapter failed"))])
def test_a_failed_build_leaves_no_stamp(sources, tmp_path, warnings, exc):
    html = tmp_path / "html"
    build(sources, html)
    build(sources, html, warnings=warnings, exc=exc)  # the earlier stamp must not survive either
    assert build_stamp.read_stamp(html) is None
    assert not build_stamp.is_current(html, sources)


def test_a_build_without_executing_the_chapters_is_never_current(sources, tmp_path):
    build(sources, tmp_path / "html", execution="off")
    assert build_stamp.read_stamp(tmp_path / "html")["execution"] == "off"
    assert not build_stamp.is_current(tmp_path / "html", sources)


def cached_executions(html: Path) -> list[str]:
    return sorted(p.name for p in (html.parent / ".jupyter_cache").glob("executed/*"))


@pytest.mark.parametrize("change", ["vae_tutorial/models.py", "vae_tutorial/support/js/decoder.js", "_config.yml",
                                    "book/_ext/build_stamp.py", "book/_static/new.png"])
def test_a_change_outside_the_chapters_executes_every_chapter_again(sources, tmp_path, change):
    """jupyter-cache keys a chapter by its own code: a change in the package it runs must empty
    the cache and make Sphinx read every chapter again."""
    html = tmp_path / "_build" / "html"
    assert build(sources, html) == []  # first build: nothing cached, nothing to force
    assert cached_executions(html) == ["01_introduction.ipynb"]
    assert build(sources, html) == []  # nothing changed: the cache stays
    assert cached_executions(html) == ["01_introduction.ipynb"]

    (sources / change).parent.mkdir(parents=True, exist_ok=True)
    with open(sources / change, "a") as f:
        f.write("\n")
    app = fake_app(sources, html)
    build_stamp._start(app)
    assert cached_executions(html) == []
    assert build_stamp._outdated(app, app.env, {"index"}, set(), set()) == ["book/01_introduction"]


def test_a_chapter_change_or_a_cache_made_elsewhere_with_the_same_sources_keeps_the_cache(sources, tmp_path):
    html = tmp_path / "_build" / "html"
    build(sources, html)
    with open(sources / "book" / "01_introduction.ipynb", "a") as f:
        f.write("\n")  # jupyter-cache itself sees a chapter's change
    assert build(sources, html) == [] and cached_executions(html) == ["01_introduction.ipynb"]
    shutil.rmtree(html)  # e.g. the Pages workflow restores only the execution cache
    assert build(sources, html) == [] and cached_executions(html) == ["01_introduction.ipynb"]


def test_other_data_or_a_cache_from_before_the_marker_executes_again(sources, tmp_path, monkeypatch):
    html = tmp_path / "_build" / "html"
    build(sources, html)
    monkeypatch.setenv("VAE_TUTORIAL_DATA", str(tmp_path / "mnist"))
    assert build(sources, html) == ["book/01_introduction", "index"]
    (html.parent / ".jupyter_cache" / build_stamp.EXECUTED_WITH).unlink()
    assert build(sources, html) == ["book/01_introduction", "index"]


def test_the_stamp_records_the_data_settings(sources, tmp_path, monkeypatch):
    monkeypatch.setenv("VAE_TUTORIAL_DATA", str(tmp_path / "mnist"))
    build(sources, tmp_path / "html")
    stamp = build_stamp.read_stamp(tmp_path / "html")
    assert stamp["data"] == {"VAE_TUTORIAL_DATA": str(tmp_path / "mnist"), "VAE_TUTORIAL_OFFLINE": "1"}
    assert stamp["commit"] is None


def test_downloads_install_the_built_commit_on_github_actions(sources, tmp_path, monkeypatch):
    html = tmp_path / "html"
    build(sources, html)
    download = html / "_sources" / "book" / "01_introduction.ipynb"
    assert f'git+{REPOSITORY}@{BRANCH}"' in setup_source(download)  # not on GitHub Actions: unchanged

    monkeypatch.setenv("GITHUB_SHA", "0123abc")
    build(sources, html)
    notebook = json.loads(download.read_text())
    cell = next(c for c in notebook["cells"] if c["cell_type"] == "code")
    assert f'git+{REPOSITORY}@0123abc"' in "".join(cell["source"])
    assert f"@{BRANCH}" not in "".join(cell["source"])
    assert build_stamp.read_stamp(html)["commit"] == "0123abc"
    # the rest of the notebook is untouched
    original = json.loads((sources / "book" / "01_introduction.ipynb").read_text())
    assert notebook["cells"][0] == original["cells"][0] and len(notebook["cells"]) == len(original["cells"])
    assert cell["metadata"] == next(c for c in original["cells"] if c["cell_type"] == "code")["metadata"]

