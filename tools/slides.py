"""reveal.js slides of the executed notebooks, for teaching from them in class:

    python tools/slides.py [NN ...] [--out build/slides]        (or: bash series.sh slides [NN ...])

writes build/slides/NN_name.slides.html for every notebook (or the numbered ones), with nbconvert's slides exporter
and reveal.js, RequireJS and MathJax from build/vendor/ (tools/vendor.py fetches them once), so a deck works
offline: serve the folder (python -m http.server -d build/slides) and open a deck; press S for the speaker view.

The slide of each cell is chosen from the notebook itself:
- the title is the first slide; every section (a `## ` heading) starts a new slide;
- a section too long for one 1280x720 slide continues on slides below it (reveal's vertical slides), cut
  between cells by an estimate of each cell's height;
- setup cells (install, imports, the mode banner), assert cells and widget cells are skipped: the static figure
  beside every widget stays; an output too long for a slide is left out, its code stays.
tests/browser/test_slides_browser.py opens every deck in Chromium and checks that no slide is cut off.
"""
from __future__ import annotations

import argparse
import base64
import re
import shutil
import struct
import sys
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter
from traitlets.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent))
import vendor  # noqa: E402  (tools/ is not a package)

REPO = Path(__file__).resolve().parents[1]
WIDTH, HEIGHT = 1280, 720          # reveal's slide size; a 16:9 projector shows it unscaled at 1280x720
BUDGET = 560                       # pixels of content a slide holds below its top margin (estimated heights)
LINE, CODE_LINE, HEADING = 29, 17, 60  # estimated heights: a line of prose, of code or printed text, a heading
PROSE_CHARS, CODE_CHARS = 105, 118     # characters per line before the browser wraps
IMAGE_MAX = 460                    # CSS caps a figure's height at this (see CSS below)
WIDGET = "application/vnd.jupyter.widget-view+json"
BADGE = re.compile(r"^\[!\[Open In Colab\]\(.*\n+", re.M)  # a link for readers, not for the class
MERMAID = re.compile(r'<script type="module">\s*import mermaid.*?</script>', re.S)
CSS = f"""
.reveal {{ font-size: 22px; }}
.reveal h1, .reveal h2, .reveal h3 {{ text-transform: none; }}
.reveal h1 {{ font-size: 2.0em; }} .reveal h2 {{ font-size: 1.5em; }} .reveal h3 {{ font-size: 1.2em; }}
.reveal p, .reveal li {{ line-height: 1.3; }}
.reveal pre, .reveal pre code, .reveal div.highlight > pre, .reveal div.jp-OutputArea-output > pre {{
  font-size: 13px !important; line-height: 1.25 !important; }}
.reveal section img {{ max-height: {IMAGE_MAX}px; max-width: 100%; width: auto; }}
.reveal table {{ font-size: 16px; }}
"""


def png_height(output: dict, width: int = WIDTH - 160) -> int:
    """The height a PNG output takes on the slide: its own height, scaled to fit the width and capped by the CSS."""
    data = base64.b64decode(output["data"]["image/png"][:64])
    w, h = struct.unpack(">II", data[16:24])
    return min(IMAGE_MAX, int(h * min(1.0, width / max(w, 1)))) + 10


def text_lines(text: str, chars: int) -> int:
    return sum(1 + len(line) // chars for line in text.splitlines()) if text else 0


def output_height(output: dict) -> int:
    data = output.get("data", {})
    if "image/png" in data:
        return png_height(output)
    if "text/html" in data:
        html = "".join(data["text/html"])
        return 30 * max(html.count("<tr"), 1) + 20
    text = output.get("text") or "".join(data.get("text/plain", "")) or "\n".join(output.get("traceback", []))
    return CODE_LINE * text_lines("".join(text), CODE_CHARS) + 12


def markdown_height(source: str) -> int:
    height = 0
    for block in re.split(r"\n\s*\n", source.strip()):
        lines = block.splitlines()
        while lines and lines[0].startswith("#"):
            height, lines = height + HEADING, lines[1:]
        block = "\n".join(lines)
        if block.startswith("$$"):
            height += 40 * (block.count("\\\\") + 1) + 20
        elif block.startswith("|"):
            height += 34 * block.count("\n") + 40
        elif block:  # a paragraph, or a list whose items each start a line
            items = re.split(r"\n(?=\s*(?:[-*]|\d+\.) )", block)
            height += LINE * sum(text_lines(" ".join(item.split()), PROSE_CHARS) for item in items) + 22
    return height


def is_setup(cell: nbformat.NotebookNode) -> bool:
    """The install cell, the imports, the mode banner, and the cells that open with an assert (they guard the
    lesson's numbers; the slides show the numbers)."""
    code = [line for line in cell.source.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return (not code or "REPOSITORY =" in cell.source or code[0].startswith(("%matplotlib", "PRETRAINED", "assert"))
            or "mode_banner()" in cell.source)


def plan(nb: nbformat.NotebookNode) -> None:
    """Set each cell's slideshow metadata (and a remove_output tag on outputs too long for a slide)."""
    used = BUDGET  # the first cell starts a slide
    for index, cell in enumerate(nb.cells):
        kind = "-"
        if cell.cell_type == "markdown":
            cell.source = BADGE.sub("", cell.source)
        if cell.cell_type == "code" and (is_setup(cell) or any(WIDGET in o.get("data", {}) for o in cell.outputs)):
            kind, height = "skip", 0
        elif cell.cell_type == "code":
            source = CODE_LINE * text_lines(cell.source, CODE_CHARS) + 20
            outputs = sum(output_height(o) for o in cell.outputs)
            if source + outputs > BUDGET:
                cell.metadata.setdefault("tags", []).append("remove_output")
                outputs = 0
            height = source + outputs
        else:
            height = markdown_height(cell.source)
        if kind != "skip":
            if cell.cell_type == "markdown" and (cell.source.startswith("## ") or index == 0):
                kind, used = "slide", 0
            elif used + height > BUDGET:
                kind, used = "subslide", 0
            used += height
        cell.metadata["slideshow"] = {"slide_type": kind}


def exporter(vendored: dict[str, str]) -> SlidesExporter:
    config = Config()
    config.SlidesExporter.reveal_url_prefix = vendored["reveal.js"]
    config.SlidesExporter.reveal_width = str(WIDTH)
    config.SlidesExporter.reveal_height = str(HEIGHT)
    config.SlidesExporter.reveal_transition = "none"
    config.SlidesExporter.reveal_theme = "white"  # its fonts come with reveal.js
    config.SlidesExporter.reveal_number = "c/t"
    config.SlidesExporter.require_js_url = vendored["requirejs"] + "/require.js"
    config.SlidesExporter.jquery_url = vendored["jquery"] + "/dist/jquery.min.js"
    config.SlidesExporter.mathjax_url = vendored["mathjax"] + "/MathJax.js?config=TeX-AMS_CHTML-full,Safe"
    config.SlidesExporter.exclude_input_prompt = True
    config.SlidesExporter.exclude_output_prompt = True
    config.TagRemovePreprocessor.remove_all_outputs_tags = {"remove_output"}
    config.TagRemovePreprocessor.enabled = True
    return SlidesExporter(config=config)


def write_slides(numbers: list[str], out: Path) -> list[Path]:
    """Write the decks of the notebooks whose names start with `numbers` (all when empty); return their paths."""
    notebooks = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    chosen = [p for p in notebooks if not numbers or p.name[:2] in numbers]
    unknown = sorted(set(numbers) - {p.name[:2] for p in notebooks})
    if unknown:
        raise SystemExit(f"There is no notebook {', '.join(unknown)}; the notebooks are "
                         f"{', '.join(p.name[:2] for p in notebooks)}.")
    out.mkdir(parents=True, exist_ok=True)
    vendored = {}
    for spec, name in [("reveal.js@4.6.1", "reveal.js"), ("requirejs@2.3.7", "requirejs"),
                       ("jquery@3.7.1", "jquery"), ("mathjax@2.7.9", "mathjax")]:
        target = out / "vendor" / spec
        if not target.exists():
            shutil.copytree(vendor.package(spec), target)
        vendored[name] = f"vendor/{spec}"
    slides = exporter(vendored)
    written = []
    for path in chosen:
        nb = nbformat.read(path, as_version=4)
        plan(nb)
        html, _ = slides.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
        html = html.replace("</head>", f'<link rel="icon" href="data:,">\n<style>{CSS}</style>\n</head>', 1)
        html = MERMAID.sub("", html, count=1)  # no diagrams here, and its script would come from a CDN
        html = html.replace("function(Reveal, RevealNotes){",  # the browser test reads the deck through Reveal
                            "function(Reveal, RevealNotes){\n        window.Reveal = Reveal;", 1)
        target = out / f"{path.stem}.slides.html"
        target.write_text(html, encoding="utf-8")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("numbers", nargs="*", help="two-digit notebook numbers, e.g. 02 06 (default: all)")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "slides", help="default: build/slides")
    args = parser.parse_args(argv)
    numbers = [n.zfill(2) for n in args.numbers]
    try:
        written = write_slides(numbers, args.out.resolve())
    except OSError as error:
        raise SystemExit(f"Could not write the slides to {args.out}: {error.strerror or error}. Choose a writable "
                         "folder with free space with --out.") from None
    for path in written:
        print(f"slides: {path}")
    print(f"open them through a local server: python -m http.server -d {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
