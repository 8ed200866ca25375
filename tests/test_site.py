"""The website of the executed notebooks (tools/site.py, `bash series.sh site`), read as HTML files.

One page per notebook in number order, the README's results table on the home page, the static figures on the
notebook pages, no widget repr or frozen progress bar, and nothing that a page loads from another host.
tests/browser/test_site_browser.py opens the same site in Chromium.
"""
from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SITE_TOOL = REPO / "tools" / "site.py"
WIDGET_REPR = re.compile(r"\b(VBox|HBox|GridBox)\(")
PROGRESS_BAR = re.compile(r"0%\||it/s\]")
RESOURCE = re.compile(r"""<link\b[^>]*\bhref=["']([^"']*)|\bsrc=["']([^"']*)""")
WIDGET = "application/vnd.jupyter.widget-view+json"


def site_tool():
    """tools/site.py as a module (`import site` would be Python's own module of that name)."""
    spec = importlib.util.spec_from_file_location("site_tool", SITE_TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_site(out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SITE_TOOL), "--out", str(out)], capture_output=True, text=True,
                          timeout=600, cwd=REPO)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    done = build_site(out)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == f"site: {out / 'index.html'} ({1 + len(NOTEBOOKS)} pages)"
    assert done.stderr == ""  # no warning either
    return out


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def results_header() -> list[str]:
    """The header cells of the README's results table (the one with the test accuracies)."""
    line = next(line for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines()
                if line.startswith("|") and "test accuracy" in line)
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_one_page_per_notebook_in_number_order_in_the_navigation(site):
    assert sorted(p.name for p in (site / "notebooks").glob("*.html")) == [p.stem + ".html" for p in NOTEBOOKS]
    home = (site / "index.html").read_text(encoding="utf-8")
    nav = home[home.index("bd-docs-nav"):]
    nav = nav[:nav.index("</nav>")]
    linked = re.findall(r'href="notebooks/(\d\d_[\w-]+)\.html"', nav)
    assert linked == [p.stem for p in NOTEBOOKS]


def test_no_widget_repr_and_no_frozen_progress_bar(site):
    for page in pages(site):
        html = page.read_text(encoding="utf-8")
        assert not WIDGET_REPR.search(html), page
        assert not PROGRESS_BAR.search(html), page


def test_every_figure_of_a_notebook_is_on_its_page(site):
    for path in NOTEBOOKS:
        figures = sum("image/png" in output.get("data", {})
                      for cell in nbformat.read(path, as_version=4).cells for output in cell.get("outputs", []))
        html = (site / "notebooks" / f"{path.stem}.html").read_text(encoding="utf-8")
        assert html.count("<img") >= figures, path.name
    assert sum((site / "notebooks" / f"{p.stem}.html").read_text(encoding="utf-8").count("<img")
               for p in NOTEBOOKS) >= 40  # the series' figures, not an empty site


def test_the_colab_install_cell_is_hidden_and_its_markdown_kept(site):
    html = (site / "notebooks" / "06_lenet.html").read_text(encoding="utf-8")
    assert "google.colab" not in html
    assert 'href="https://colab.research.google.com/github/' in html
    assert "You will learn to" in html


def test_the_home_page_holds_the_readme_and_its_results_table(site):
    html = (site / "index.html").read_text(encoding="utf-8")
    headers = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<th\b[^>]*>(.*?)</th>", html, re.S)]
    for cell in results_header():
        assert cell in headers
    row = next(line for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines()
               if line.startswith("| 06 | `lenet-modern` |"))
    assert row.split("|")[4].strip() in html  # the modern LeNet's accuracy, as the README's table gives it
    assert 'href="notebooks/06_lenet.html"' in html
    assert 'href="https://github.com/cnn-series/cnn-series/blob/main/tools/benchmark.py"' in html


def test_no_page_loads_anything_from_another_host(site):
    for page in pages(site):
        for link, src in RESOURCE.findall(page.read_text(encoding="utf-8")):
            assert not re.match(r"(https?:)?//", link or src), (page, link or src)


def test_mathjax_is_served_with_the_site(site):
    html = (site / "notebooks" / "01_conv_as_linear_layer.html").read_text(encoding="utf-8")
    assert re.search(r'<script[^>]*src="\.\./_static/mathjax/tex-chtml\.js', html)
    assert (site / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()


def test_an_unwritable_out_is_one_sentence(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    done = build_site(blocker / "site")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().startswith(f"Could not write the site to {blocker / 'site'}: ")
    assert "--out" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_folder_it_did_not_write_is_never_removed(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "notes.txt").write_text("mine")
    done = build_site(tmp_path / "site")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert (tmp_path / "site" / "notes.txt").read_text() == "mine"


def test_widget_views_progress_bars_and_test_markers_are_dropped_and_the_install_cell_hidden():
    nb = nbformat.v4.new_notebook(metadata={"widgets": {"state": {}}})
    install = nbformat.v4.new_code_cell('if "google.colab" in sys.modules:\n    pass')
    widget = nbformat.v4.new_code_cell("# NBVAL_IGNORE_OUTPUT\nkernel_editor()", outputs=[
        nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo="}),
        nbformat.v4.new_output("display_data", data={"text/plain": "VBox(children=(...))", WIDGET: {}}),
        nbformat.v4.new_output("stream", name="stderr", text=" 40%|████      | 86/215 [00:02<00:03, 41it/s]"),
        nbformat.v4.new_output("stream", name="stdout", text="\rbatch 3/10"),
        nbformat.v4.new_output("stream", name="stdout", text="accuracy 0.91\n")])
    nb.cells = [nbformat.v4.new_markdown_cell("[![Open In Colab](https://x.org/badge.svg)](https://colab.x/nb)"),
                install, widget]
    shown = site_tool().site_notebook(nb)
    assert "widgets" not in shown.metadata and "widgets" in nb.metadata  # a copy: the original is untouched
    assert shown.cells[0].source == "[Open In Colab](https://colab.x/nb)"
    assert shown.cells[1].metadata.tags == ["remove-cell"]
    assert shown.cells[2].source == "kernel_editor()"
    assert [list(o.get("data", {})) or o.text for o in shown.cells[2].outputs] == [["image/png"], "accuracy 0.91\n"]


def test_readme_links_lead_to_the_site_or_to_github():
    tool = site_tool()
    readme = ("# Title\n\n[LeNet](notebooks/06_lenet.ipynb), [its summary](notebooks/06_lenet.ipynb#summary), "
              "[the runner](tools/benchmark.py), [memory](#memory), `tools/benchmark.py`, `cnnlib/`, `lenet`, "
              "`notebooks/00_setup_check.ipynb`\n\n```bash\n`tools/benchmark.py`\n```\n\n## Memory\n")
    page = tool.home_page(readme, "https://github.com/o/n", {"tools", "tools/benchmark.py", "cnnlib",
                                                            "notebooks/00_setup_check.ipynb"})
    blob = "https://github.com/o/n/blob/main/tools/benchmark.py"
    assert page.startswith("# Title\n\n[LeNet](notebooks/06_lenet.ipynb), "
                           "[its summary](notebooks/06_lenet.ipynb#summary), "
                           f"[the runner]({blob}), [memory](#memory), [`tools/benchmark.py`]({blob}), "
                           "[`cnnlib/`](https://github.com/o/n/tree/main/cnnlib), `lenet`, "
                           "[`notebooks/00_setup_check.ipynb`](notebooks/00_setup_check.ipynb)\n\n"
                           "```bash\n`tools/benchmark.py`\n```\n\n## Memory\n")
    assert "\n".join(f"notebooks/{p.stem}" for p in NOTEBOOKS) in page  # the toctree, in number order
