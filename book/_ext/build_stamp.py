"""What each HTML build was made from, written next to it.

1. A stamp, ``<outdir>/vae-tutorial-build.json``: a hash of the sources the pages depend on (the
   chapters, ``book/_static`` and ``book/_ext``, the ``vae_tutorial`` package, ``_config.yml``,
   ``_toc.yml``) and the data settings the build ran with. The browser tests reuse ``_build/html``
   only when its stamp matches the current sources (``tests/conftest.py``, ``built_book``). The
   stamp is removed when a build starts and written only when it ends without errors or (under
   ``-W --keep-going``) warnings, so a failed or interrupted build never looks current; a build
   that did not execute the chapters (``execute_notebooks: off``) never does either.
2. The execution cache follows the package and the data: jupyter-cache re-runs a chapter only
   when the chapter's own code changed, so when anything else the chapters run changed (the
   package, ``_config.yml``, ``_static``, these extensions, the data settings) the build empties
   the cache and re-reads every chapter. What the cache was made with is kept in it (so a cache
   restored elsewhere, such as the Pages workflow's, carries it along).
3. The downloadable notebooks (``_sources/book/*.ipynb``, the page's download button) install the
   package from the commit the book was built from, when that commit is known to be on GitHub:
   in the GitHub Actions build (``GITHUB_SHA``). The notebooks in the repository, which the Colab
   button opens at ``repository.branch``, install from that branch.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

try:
    from sphinx.util import logging
except ImportError:  # the tests import this module in environments without Sphinx (test_colab_stack)
    import logging

LOGGER = logging.getLogger(__name__)

STAMP = "vae-tutorial-build.json"
EXECUTED_WITH = "vae-tutorial-executed-with.json"  # in the execution cache folder
SOURCES = ("_config.yml", "_toc.yml", "book", "vae_tutorial")
IGNORED = {"__pycache__", ".ipynb_checkpoints"}
DATA_SETTINGS = ("VAE_TUTORIAL_DATA", "VAE_TUTORIAL_OFFLINE")


def source_files(root: Path) -> list[Path]:
    """Every file under ``SOURCES`` (sorted, caches left out)."""
    files = []
    for name in SOURCES:
        path = root / name
        candidates = [path] if path.is_file() else path.rglob("*")
        files += [p for p in candidates
                  if p.is_file() and not IGNORED & set(p.relative_to(root).parts) and p.suffix != ".pyc"]
    return sorted(files)


def is_chapter(path: Path, root: Path) -> bool:
    return path.parent == root / "book" and path.suffix == ".ipynb"


def _digest(root: Path, files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def sources_hash(root: str | Path) -> str:
    """sha256 over the relative paths and contents of ``source_files``."""
    root = Path(root).resolve()
    return _digest(root, source_files(root))


def data_settings() -> dict[str, str | None]:
    """The environment variables that choose the data the chapters train on (a data folder is
    recorded as an absolute path)."""
    settings = {name: os.environ.get(name) or None for name in DATA_SETTINGS}
    if settings["VAE_TUTORIAL_DATA"]:
        settings["VAE_TUTORIAL_DATA"] = str(Path(settings["VAE_TUTORIAL_DATA"]).expanduser().resolve())
    return settings


def make_stamp(root: str | Path) -> dict:
    """``sources``: every source; ``dependencies``: the sources other than the chapters (what the
    chapters run besides their own code); ``data``: the data settings."""
    root = Path(root).resolve()
    files = source_files(root)
    return {"sources": _digest(root, files),
            "dependencies": _digest(root, [p for p in files if not is_chapter(p, root)]),
            "data": data_settings()}


def read_stamp(html: str | Path) -> dict | None:
    """The stamp of a built ``html`` folder, or None when it has none (or an unreadable one)."""
    try:
        return json.loads((Path(html) / STAMP).read_text())
    except (OSError, ValueError):
        return None


def is_current(html: str | Path, root: str | Path) -> bool:
    """Was ``html`` built, without errors and with its chapters executed, from the sources now
    in ``root``?"""
    stamp = read_stamp(html)
    return (stamp is not None and stamp.get("execution", "off") != "off"
            and stamp.get("sources") == sources_hash(root))


def pin_install(notebook: dict, repository: str, branch: str, commit: str) -> bool:
    """Make the Colab set-up cell install ``repository@commit`` instead of ``@branch``.
    Returns whether the cell was changed."""
    old, new = f"git+{repository}@{branch}\"", f"git+{repository}@{commit}\""
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            source = "".join(cell["source"])
            if old not in source:
                return False
            cell["source"] = source.replace(old, new).splitlines(keepends=True)
            return True
    return False


def _execution_cache(app) -> Path:
    return Path(app.env.mystnb_config.execution_cache_path)  # resolved by myst-nb at builder-inited


def _executed_with(stamp: dict) -> str:
    return json.dumps({"dependencies": stamp["dependencies"], "data": stamp["data"]}, sort_keys=True)


def _start(app) -> None:
    app.vae_tutorial_stamp = make_stamp(app.srcdir)  # what this build is about to read
    (Path(app.outdir) / STAMP).unlink(missing_ok=True)
    cache = _execution_cache(app)
    marker = cache / EXECUTED_WITH
    app.vae_tutorial_rerun = cache.exists() and (
        not marker.exists() or marker.read_text() != _executed_with(app.vae_tutorial_stamp))
    if app.vae_tutorial_rerun:
        LOGGER.info(
            "build_stamp: the package, the book's configuration or the data changed since the "
            "chapters were executed: emptying %s and executing every chapter again", cache)
        shutil.rmtree(cache)


def _outdated(app, env, added, changed, removed) -> list[str]:
    """Chapters Sphinx would otherwise not read again (their own files did not change)."""
    return sorted(env.found_docs - added) if app.vae_tutorial_rerun else []


def _finish(app, exc) -> None:
    if exc is not None or app.builder.format != "html":
        return
    if app.keep_going and getattr(app, "_warncount", 0):
        return  # -W --keep-going: the build will exit with an error
    cache = _execution_cache(app)
    cache.mkdir(parents=True, exist_ok=True)
    (cache / EXECUTED_WITH).write_text(_executed_with(app.vae_tutorial_stamp))
    commit = os.environ.get("GITHUB_SHA")
    repository = app.config.html_theme_options.get("repository_url")
    branch = app.config.html_theme_options.get("repository_branch")
    if commit and repository and branch:
        for path in sorted((Path(app.outdir) / "_sources").rglob("*.ipynb")):
            notebook = json.loads(path.read_text())
            if pin_install(notebook, repository, branch, commit):
                path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
    stamp = dict(app.vae_tutorial_stamp, execution=app.config.nb_execution_mode, commit=commit)
    (Path(app.outdir) / STAMP).write_text(json.dumps(stamp, indent=1) + "\n")


def setup(app):
    app.connect("builder-inited", _start, priority=900)  # after myst-nb resolves its cache path
    app.connect("env-get-outdated", _outdated)
    app.connect("build-finished", _finish)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
