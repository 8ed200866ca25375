"""How tools/slides.py cuts a notebook into slides (the decks themselves are opened in tests/browser/test_slides.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import slides  # noqa: E402  (tools/ is not a package)

NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def planned(path: Path) -> list[tuple[str, nbformat.NotebookNode]]:
    nb = nbformat.read(path, as_version=4)
    slides.plan(nb)
    return [(cell.metadata.slideshow["slide_type"], cell) for cell in nb.cells]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_the_title_and_every_section_start_a_slide_and_setup_widgets_and_asserts_are_skipped(path):
    cells = planned(path)
    assert cells[0][0] == "slide" and "Open In Colab" not in cells[0][1].source
    for kind, cell in cells:
        if cell.cell_type == "markdown" and cell.source.startswith("## "):
            assert kind == "slide", cell.source[:40]
        code = cell.source if cell.cell_type == "code" else ""
        widget = any(slides.WIDGET in o.get("data", {}) for o in cell.get("outputs", []))
        setup = any(s in code for s in ("REPOSITORY =", "%matplotlib", "mode_banner("))
        if widget or setup or code.startswith("assert"):
            assert kind == "skip", code[:60]
    shown = [cell for kind, cell in cells if kind != "skip"]
    assert sum(c.cell_type == "code" for c in shown) >= 3  # the lesson's code stays


def test_a_section_too_long_for_one_slide_continues_below_it():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 99 · Title"),
                                         nbformat.v4.new_markdown_cell("## 1. A section"),
                                         *[nbformat.v4.new_code_cell("\n".join(["x = 1"] * 12)) for _ in range(4)]])
    slides.plan(nb)
    assert [c.metadata.slideshow["slide_type"] for c in nb.cells] == ["slide", "slide", "-", "-", "subslide", "-"]


def test_an_output_taller_than_a_slide_is_left_out_and_its_code_stays():
    cell = nbformat.v4.new_code_cell("print(text)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="line\n" * 60)]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 99 · Title"), cell])
    slides.plan(nb)
    assert cell.metadata.slideshow["slide_type"] == "-" and cell.metadata.tags == ["remove_output"]


def test_mistakes_get_a_sentence(tmp_path):
    with pytest.raises(SystemExit, match=r"^There is no notebook 42; the notebooks are 00, 01"):
        slides.main(["42", "--out", str(tmp_path)])
    blocked = tmp_path / "file"
    blocked.write_text("")
    with pytest.raises(SystemExit, match=r"^Could not write the slides to .*Choose a writable folder"):
        slides.main(["02", "--out", str(blocked / "slides")])
