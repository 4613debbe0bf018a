"""The repository's own files agree with each other and with the paths readers take: one
repository address (``_config.yml``) behind the launch buttons, every chapter's Colab set-up cell
and the README; the README's two commands are what CI and the Pages workflow run; the workflow
is valid; Binder pins its Python and fetches the data once; JupyterLab opens the chapters after
the README's install; whatever the package imports is declared."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from IPython.core.inputtransformer2 import TransformerManager

import build_stamp
from conftest import ROOT, jupyter_book_command, project, write_idx_dataset

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
REPOSITORY, BRANCH = CONFIG["repository"]["url"], CONFIG["repository"]["branch"]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"
# The current major version of each action (their releases, 2026-09): checkout v7.0.1,
# setup-python v7.0.0, cache v6.1.0, configure-pages v6.0.0, upload-pages-artifact v5.0.0,
# deploy-pages v5.0.0. The ones before them run on the deprecated Node 20.
ACTION_MAJORS = {"actions/checkout": 7, "actions/setup-python": 7, "actions/cache": 6,
                 "actions/configure-pages": 6, "actions/upload-pages-artifact": 5, "actions/deploy-pages": 5}


def pages_url(repository: str) -> str:
    """https://github.com/OWNER/NAME -> https://owner.github.io/NAME/ (GitHub Pages' project site)."""
    owner, name = repository.removeprefix("https://github.com/").split("/")
    return f"https://{owner.lower()}.github.io/{name}/"


def readme_commands() -> list[str]:
    """The lines of the README's "Two commands" block, without their comments."""
    block = re.search(r"## Two commands.*?```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)[1]
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


def setup_cell(path: Path) -> dict:
    return next(c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")


def test_the_repository_address_is_a_github_repository():
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", REPOSITORY) and not REPOSITORY.endswith(".git")
    assert BRANCH


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_colab_set_up_cell_is_collapsed_and_installs_from_the_configured_repository(path):
    cell = setup_cell(path)
    source = "".join(cell["source"])
    assert source.startswith("#@title "), "Colab shows a form's title instead of the code"
    assert cell["metadata"].get("cellView") == "form"
    assert "remove-input" in cell["metadata"].get("tags", [])
    installs = re.findall(r"git\+(\S+?)\"", source)
    assert installs == [f"{REPOSITORY}@{BRANCH}"], (
        f"{path.name} installs from {installs}; _config.yml's repository is {REPOSITORY}@{BRANCH}")

    # Run the cell as IPython would: it installs only in Colab.
    calls = []
    ipython = type("Shell", (), {"run_line_magic": lambda self, *args: calls.append(args)})()
    code = TransformerManager().transform_cell(source)
    exec(code, {"get_ipython": lambda: ipython, "__name__": "chapter"}, {})
    assert calls == []
    try:
        sys.modules["google.colab"] = type(sys)("google.colab")
        exec(code, {"get_ipython": lambda: ipython, "__name__": "chapter"}, {})
    finally:
        sys.modules.pop("google.colab")
    assert calls == [("pip", f'install -q "vae-tutorial @ git+{REPOSITORY}@{BRANCH}"')]


def test_launch_buttons_are_configured():
    buttons = CONFIG["launch_buttons"]
    assert buttons["colab_url"] == "https://colab.research.google.com"
    assert buttons["binderhub_url"] == "https://mybinder.org"
    assert CONFIG["html"]["use_repository_button"]


def test_built_pages_launch_their_chapter_from_the_configured_repository(built_book):
    assert build_stamp.is_current(built_book, ROOT)  # the real build stamped itself
    for path in CHAPTERS:
        page = (built_book / "book" / f"{path.stem}.html").read_text()
        where = f"{REPOSITORY.removeprefix('https://github.com/')}/blob/{BRANCH}/book/{path.name}"
        assert f"https://colab.research.google.com/github/{where}" in page, path.name
        binder = f"https://mybinder.org/v2/gh/{REPOSITORY.removeprefix('https://github.com/')}/{BRANCH}"
        assert binder in page, path.name
        # the download button's notebook, and MathJax (on pages with math) from the book's files
        assert (built_book / "_sources" / "book" / path.name).exists()
        if 'class="math' in page:  # (Sphinx adds ?v=checksum once the file is in _static)
            assert re.search(r'src="\.\./_static/mathjax/tex-chtml\.js(\?v=\w+)?"', page), path.name
        assert "mathjax@" not in page  # no CDN copy
    assert (built_book / "_static" / "mathjax" / "tex-chtml.js").exists()


def test_the_repository_address_appears_nowhere_else():
    """Every GitHub repository or Pages address in the project's files is this repository's."""
    files = [ROOT / "README.md", ROOT / "pyproject.toml", *CHAPTERS, *(ROOT / "binder").iterdir(),
             *(ROOT / ".github").rglob("*.yml"), ROOT / ".ci" / "run"]
    for path in files:
        text = path.read_text()
        for found in re.findall(r"https://github\.com/[\w.-]+/[\w.-]+", text):
            assert found == REPOSITORY, f"{path.name} names {found}; _config.yml says {REPOSITORY}"
        for found in re.findall(r"https://[a-z0-9-]+\.github\.io/[\w.-]+/?", text):
            assert found == pages_url(REPOSITORY), f"{path.name} links {found}"


def test_readme_links_the_published_book():
    assert pages_url(REPOSITORY) == "https://vae-tutorial.github.io/vae-tutorial/"
    assert f"<{pages_url(REPOSITORY)}>" in (ROOT / "README.md").read_text()


def test_ci_runs_exactly_the_readme_commands():
    commands = readme_commands()
    assert commands == ["pip install -r requirements.txt && jupyter-book build . -W -n --keep-going",
                        "python -m pytest"]
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    for command in commands:
        assert any(line == command or line.endswith(f" {command}") for line in ci), command


def test_pages_workflow_builds_with_readme_command_1():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    runs = [step.get("run") for step in workflow["jobs"]["build"]["steps"]]
    assert readme_commands()[0] in runs


def test_pages_workflow_is_valid():
    result = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                             "vendor.github-workflows", *sorted((ROOT / ".github" / "workflows").glob("*.yml"))],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_pages_workflow_builds_pull_requests_deploys_main_and_caches_executions():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["main"]
    assert workflow["concurrency"]["cancel-in-progress"] == "${{ github.ref != 'refs/heads/main' }}"
    jobs = workflow["jobs"]
    assert all(isinstance(job.get("timeout-minutes"), int) for job in jobs.values())
    assert "github.event_name != 'pull_request'" in jobs["deploy"]["if"]
    assert "refs/heads/main" in jobs["deploy"]["if"]
    publishing = [s for s in jobs["build"]["steps"] if "pages" in s.get("uses", "")]
    assert publishing and all(s["if"] == "github.event_name != 'pull_request'" for s in publishing)
    caches = [s["with"] for s in jobs["build"]["steps"] if s.get("uses", "").startswith("actions/cache@")]
    assert {c["path"] for c in caches} == {"~/.cache/vae-tutorial", "_build/.jupyter_cache"}
    assert all("hashFiles('vae_tutorial/**'" in c["key"] for c in caches)
    for job in jobs.values():
        for step in job["steps"]:
            if "uses" in step:
                action, version = step["uses"].split("@")
                assert int(version.removeprefix("v")) >= ACTION_MAJORS[action], step["uses"]


def test_binder_pins_python_installs_cpu_torch_and_fetches_the_data_once(tmp_path, isolated_cache):
    assert re.fullmatch(r"python-3\.\d+\n", (ROOT / "binder" / "runtime.txt").read_text())
    requirements = (ROOT / "binder" / "requirements.txt").read_text().splitlines()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in requirements
    declared = project()["dependencies"]
    for name in ("torch", "torchvision"):  # the same lower bounds as the package's
        assert [r for r in requirements if r.startswith(f"{name}>=")] == [
            r for r in declared if r.startswith(f"{name}>=")]

    post_build = ROOT / "binder" / "postBuild"
    assert os.access(post_build, os.X_OK)
    for folder in ("MNIST", "FashionMNIST"):
        write_idx_dataset(tmp_path / "data" / folder / "raw")
    env = dict(os.environ, VAE_TUTORIAL_DATA=str(tmp_path / "data"), PYTHONPATH=str(ROOT))
    result = subprocess.run([post_build], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "MNIST" in result.stdout and "Fashion" in result.stdout


def test_the_readme_install_brings_jupyterlab_and_offline_mathjax():
    assert (ROOT / "requirements.txt").read_text().splitlines()[-1] == "-e .[book,test]"
    book = project()["optional-dependencies"]["book"]
    names = {re.match(r"[\w.-]+", r)[0] for r in book}
    assert {"jupyterlab", "sphinx-mathjax-offline", "jupyter-book"} <= names
    assert "sphinx-mathjax-offline" in CONFIG["sphinx"]["extra_extensions"]


def test_what_the_package_imports_is_declared():
    declared = {re.match(r"[\w.-]+", r)[0].lower().replace("_", "-") for r in project()["dependencies"]}
    imported = set()
    for path in (ROOT / "vae_tutorial").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"vae_tutorial"}
    distributions = importlib.metadata.packages_distributions()
    for module in sorted(third_party):
        names = {d.lower().replace("_", "-") for d in distributions[module]}
        assert names & declared, f"vae_tutorial imports {module} ({names}); declare it in pyproject.toml"


def test_jupyter_book_command_runs():
    pytest.importorskip("jupyter_book")
    result = subprocess.run(jupyter_book_command() + ["--version"], capture_output=True, text=True)
    assert result.returncode == 0 and "Jupyter Book" in result.stdout, result.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_jupyter_lab_opens_the_chapters(tmp_path):
    """The README's local route, `jupyter lab book/`, serves the chapters and a Python kernel."""
    pytest.importorskip("jupyterlab", reason="installed by the README's command 1 (the book extra)")
    port = free_port()
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path), JUPYTER_CONFIG_DIR=str(tmp_path / "config"))
    server = subprocess.Popen([sys.executable, "-m", "jupyter", "lab", "book/", "--no-browser",
                               f"--port={port}", "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=",
                               "--ServerApp.password=", *(["--allow-root"] if os.geteuid() == 0 else [])],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                lab = urllib.request.urlopen(f"{base}/lab", timeout=5).read().decode()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()[-3000:]
                time.sleep(0.5)
        else:
            pytest.fail("jupyter lab did not answer within a minute")
        assert "JupyterLab" in lab
        listing = json.load(urllib.request.urlopen(f"{base}/api/contents/", timeout=10))
        assert {c["name"] for c in listing["content"]} >= {p.name for p in CHAPTERS}
        kernels = json.load(urllib.request.urlopen(f"{base}/api/kernelspecs", timeout=10))
        assert "python3" in kernels["kernelspecs"]
    finally:
        server.terminate()
        server.wait(timeout=30)
