"""The chapters as files: stored without outputs, listed in the table of contents, each set up
to run on its own (Colab cell first, data announced). nbval executes them separately."""

import json
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))


def test_every_chapter_is_in_the_table_of_contents():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    listed = [toc["root"]] + [c["file"] for c in toc["chapters"]]
    assert listed == [str(p.relative_to(ROOT).with_suffix("")) for p in CHAPTERS]
    assert len(CHAPTERS) == 13


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_is_stored_without_outputs_and_runs_on_its_own(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code), "strip the outputs"
    first = "".join(code[0]["source"])
    assert '"google.colab" in sys.modules' in first and "%pip install" in first
    assert "remove-input" in code[0]["metadata"].get("tags", [])
    source = "\n".join("".join(c["source"]) for c in code)
    assert "data.load_mnist()" in source or "data.load_fashion_mnist()" in source
    assert nb["cells"][0]["cell_type"] == "markdown" and "".join(nb["cells"][0]["source"]).startswith("# ")


def test_live_kernel_widgets_are_kept_out_of_the_static_pages():
    kernel_widgets = ("widgets.latent_sliders(", "widgets.interpolation(", "widgets.kl_explorer(")
    for path in CHAPTERS:
        for cell in json.loads(path.read_text())["cells"]:
            src = "".join(cell["source"])
            if cell["cell_type"] == "code" and any(w in src for w in kernel_widgets):
                assert "remove-output" in cell["metadata"].get("tags", []), f"{path.name}: {src[:40]}"


def test_shown_code_fits_the_column():
    """The book's column shows about 80 characters of code; longer lines scroll sideways and
    readers miss their ends. (test_browser checks the built pages, outputs included.)"""
    for path in CHAPTERS:
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] != "code" or "remove-input" in cell["metadata"].get("tags", []):
                continue
            long = [line for line in "".join(cell["source"]).splitlines() if len(line) > 76]
            assert not long, f"{path.name}: {long}"
