"""A chapter as a JupyterLab 4 reader sees it (a real JupyterLab server and headless Chromium):
its exercises read as text with their maths typeset, their solutions are collapsed, and no MyST
syntax shows anywhere. (tests/test_notebook_markdown.py checks every Markdown cell with a plain
CommonMark renderer; this checks the front end itself, on one chapter.)"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT
from headless import CHROMEDRIVER, CHROMIUM, open_chromium

CHAPTER = "06_kl_divergence.ipynb"   # exercises with maths, a solution that is a function
RAW_MYST = ("{exercise}", "{solution", ":label:", ":class:", "{doc}", "{note}", "{warning}",
            "{margin}", "{admonition}")
# JupyterLab's settings for the test: every cell rendered (no windowing), no news or update
# notifications over the page
SETTINGS = {"@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
            "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
                {"fetchNews": "false", "checkForUpdates": False}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyter_lab(notebooks: list[Path], folder: Path):
    """A JupyterLab server (no browser, a random token, a free port) serving copies of
    ``notebooks`` from ``folder``, with settings, workspaces and runtime files of its own there.
    Yields ``url(name)``, the address that opens one of them."""
    root, home = folder / "notebooks", folder / "jupyter"
    root.mkdir(parents=True)
    for path in notebooks:
        shutil.copy(path, root / path.name)
    for name, values in SETTINGS.items():
        target = home / "settings" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"))
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
               "--ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
               "--ServerApp.open_browser=False", "--LabApp.news_url=None"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")   # CI containers run as root
    with open(folder / "server.log", "wb") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(120):
                with contextlib.suppress(OSError):
                    urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=1)
                    break
                if server.poll() is not None:
                    raise RuntimeError((folder / "server.log").read_text())
                time.sleep(0.5)
            else:
                raise RuntimeError("JupyterLab did not start: " + (folder / "server.log").read_text())
            yield lambda name: f"{base}/lab/tree/{name}?token={token}&reset"
        finally:
            server.terminate()
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()


def wait_for(driver, script: str, timeout: float = 60, *args):
    """Run ``script`` (a function body returning a value) until it returns something truthy."""
    end = time.monotonic() + timeout
    while True:
        value = driver.execute_script(script, *args)
        if value or time.monotonic() > end:
            return value
        time.sleep(0.25)


def open_notebook(driver, url: str) -> None:
    """Open the notebook and wait until its Markdown is rendered and MathJax has typeset it."""
    driver.get(url)
    assert wait_for(driver, "return document.querySelectorAll('.jp-Notebook .jp-Cell').length > 10"), \
        "JupyterLab showed no notebook"
    assert wait_for(driver, "return document.querySelectorAll("
                            "'.jp-Notebook .jp-MarkdownCell .jp-RenderedMarkdown mjx-container').length > 0"), \
        "MathJax typeset nothing"
    time.sleep(1.0)   # the last cells' maths


# the exercise cell's rendered Markdown: (its text, what MathJax made of its maths, whether it
# holds a code block), and the text shown of each code cell after it up to the next heading
EXERCISE = """
const cells = Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell'));
const i = cells.findIndex((c) => c.classList.contains('jp-MarkdownCell') &&
                                 c.querySelector('h3') && c.querySelector('h3').textContent.includes(arguments[0]));
if (i < 0) return null;
const md = cells[i].querySelector('.jp-RenderedMarkdown');
const after = [];
for (const c of cells.slice(i + 1)) {
  if (!c.classList.contains('jp-CodeCell')) break;
  after.push({text: c.innerText, collapsed: c.querySelector('.jp-InputPlaceholder') !== null,
              editor: c.querySelector('.jp-InputArea') !== null &&
                      c.querySelector('.jp-InputArea').offsetParent !== null});
}
return {title: cells[i].querySelector('h3').textContent, text: md.innerText,
        maths: md.querySelectorAll('mjx-container').length, code: md.querySelectorAll('pre').length,
        after: after};
"""


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and CHROMEDRIVER):
        message = "needs Chromium and chromedriver: apt-get install -y chromium chromium-driver"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    driver = open_chromium(1300, 1000)
    yield driver
    driver.quit()


def test_a_chapter_reads_as_text_in_jupyterlab(browser, tmp_path):
    pytest.importorskip("jupyterlab", reason="installed by the README's command 1 (the book extra)")
    with jupyter_lab([ROOT / "book" / CHAPTER], tmp_path) as url:
        open_notebook(browser, url(CHAPTER))
        notebook = browser.execute_script("return document.querySelector('.jp-Notebook').innerText")
        raw = [s for s in RAW_MYST if s in notebook]
        assert raw == [], f"JupyterLab shows MyST as raw text: {raw}"
        # a link to another chapter is a link to its notebook (JupyterLab opens it in a tab)
        links = browser.execute_script(
            "return Array.from(document.querySelectorAll('.jp-RenderedMarkdown a'))"
            ".map((a) => [a.textContent, a.pathname])")
        assert ["Mu and sigma", "/files/03_mu_and_sigma.ipynb"] in links, links

        exercise = browser.execute_script(EXERCISE, "The KL formula")
        assert exercise, "no exercise headed 'Exercise: The KL formula'"
        assert exercise["title"].startswith("Exercise: The KL formula")
        assert "Write kl_divergence(mu, logvar)" in exercise["text"] and exercise["code"] == 0
        assert exercise["maths"] >= 3, "the exercise's maths is not typeset"
        # under it: the reader's cell, open, then the solution, collapsed (its code not shown)
        attempt, solution = exercise["after"][:2]
        assert "your code here" in attempt["text"] and attempt["editor"] and not attempt["collapsed"]
        # collapsed, JupyterLab shows the first line only: "#@title Solution"
        assert solution["collapsed"] and not solution["editor"]
        assert solution["text"].strip() == "#@title Solution" and "per_dim = 0.5" not in notebook
