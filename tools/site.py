"""A static website of the executed notebooks, for students who read the series without running it:

    python tools/site.py [--out build/site]        (or: bash series.sh site)

The home page is the README, with the results tables; then one page per notebook, in number order, each showing the
outputs committed with it (printed numbers and figures; nothing is run). Serve the folder (python -m http.server -d
build/site) or open index.html; the pages load nothing from any other host.

Built with Sphinx and myst-nb: pure Python, installed from PyPI with pip like the rest of the series (the `site`
extra), offline once MathJax is in build/vendor/ (tools/vendor.py), with a search page built in, and rendering the
stored outputs without executing anything (nb_execution_mode = "off"). Each notebook is copied into the site's source
folder (<out>-src, wiped each time) as the site shows it: widget views and progress bars are dropped (every widget
has a static figure beside it, which stays), so are the test suite's `# NBVAL_...` markers; the Colab install cell is
hidden and the Colab badges become plain links, so that no image comes from another host. The README's links to
notebooks lead to their pages, its links and `code` names of other files of the repository to GitHub. Sphinx's
warnings count as errors: a broken link or cross-reference stops the build. tests/test_site.py and
tests/browser/test_site_browser.py check the site.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import vendor  # noqa: E402  (tools/ is not a package)

REPO = Path(__file__).resolve().parents[1]
MATHJAX = "mathjax@3.2.2"
MATHJAX_UNUSED = shutil.ignore_patterns("*svg*", "mml-*", "tex-mml-*", "tex-chtml-full*", "node-main.js")  # 11 MB
WIDGET = "application/vnd.jupyter.widget-view+json"
PROGRESS = re.compile(r"\r|%\|")  # a carriage return, or tqdm's bar: " 40%|████"
BADGE = re.compile(r"\[!\[([^\]]*)\]\([^)]*\)\]\(([^)\s]+)\)")  # [![Open In Colab](badge.svg)](link)
LINK = re.compile(r"\]\((?!https?:|mailto:|#)([^)\s#]+)(#[^)\s]*)?\)")  # a relative link: ](path#anchor)
CODE_SPAN = re.compile(r"(?<![\[`])`([\w./-]+)`(?![`\]])")  # `tools/benchmark.py`, not inside a link's text
FENCE = re.compile(r"(^```.*?^```)", re.M | re.S)
NBVAL = re.compile(r"^# NBVAL_\w+\n", re.M)  # the test suite's markers: noise to a reader
NOTEBOOK = re.compile(r"notebooks/\d\d_[\w-]+\.ipynb")
URL_LINE = re.compile(r'^Repository = "(https://github\.com/[^"]+)"$', re.M)
HEADER = "# Written by tools/site.py, which writes it anew for every build.\n"
CONF = HEADER + """
project = {title!r}
language = "en"
extensions = ["myst_nb"]
exclude_patterns = [".doctrees"]
nb_execution_mode = "off"  # the committed outputs are the content; nothing runs
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3  # the README's [text](#memory) links resolve as on GitHub
html_theme = "sphinx_book_theme"
html_title = project
html_static_path = ["_static"]
html_css_files = ["site.css"]
html_theme_options = {{
    "repository_url": {repository!r},
    "use_repository_button": True,
    "navbar_persistent": [],  # the search field is in the left sidebar already
    "secondary_sidebar_items": [],  # the page's sections go below the navigation on the left: the code gets the width
}}
html_sidebars = {{"**": ["navbar-logo.html", "search-button-field.html", "sbt-sidebar-nav.html", "page-toc.html"]}}
mathjax_path = "mathjax/tex-chtml.js"  # in _static: served with the site, never from a CDN
"""
CSS = """/* Written by tools/site.py. The notebooks' code is up to 120 characters wide and the README's results table
   has 14 columns: with no right sidebar and a smaller type both fit a 1280-pixel screen without scrolling sideways.
   Printed output wraps, as in Jupyter. */
.bd-main .bd-content .bd-article-container { max-width: 100%; }
.bd-article pre { font-size: 0.8rem; }
.bd-article .cell_output pre { white-space: pre-wrap; }
.bd-article table.table { font-size: 0.68rem; }
.bd-article table.table th, .bd-article table.table td { padding: 0.25rem 0.3rem; }
"""
TOCTREE = """

```{{toctree}}
:hidden:
:caption: Notebooks

{pages}
```
"""


def repository_url() -> str:
    """The series' GitHub address, from [project.urls] Repository in pyproject.toml."""
    found = URL_LINE.search((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    if not found:
        raise SystemExit('pyproject.toml has no [project.urls] line Repository = "https://github.com/OWNER/NAME".')
    return found.group(1)


def notebooks() -> list[Path]:
    """The series' notebooks, in number order."""
    return sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def shown(output: nbformat.NotebookNode) -> bool:
    """Whether the site shows an output: not a widget view (its static figure is another output) nor a progress bar."""
    if output.output_type == "stream":
        return not PROGRESS.search(output.text)
    return WIDGET not in output.get("data", {})


def site_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of the notebook as the site shows it."""
    nb = nbformat.from_dict(nb)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = BADGE.sub(r"[\1](\2)", cell.source)
        elif cell.cell_type == "code":
            cell.source = NBVAL.sub("", cell.source)
            cell.outputs = [output for output in cell.outputs if shown(output)]
    install = next((cell for cell in nb.cells if cell.cell_type == "code"), None)
    if install is not None and "google.colab" in install.source:
        install.metadata.setdefault("tags", []).append("remove-cell")
    return nb


def repository_paths() -> set[str]:
    """The files of the repository (committed or not ignored) and their folders, as relative paths."""
    try:
        listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                                capture_output=True, text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: no code span becomes a link
        return set()
    return set(listed) | {str(parent) for path in listed for parent in Path(path).parents if str(parent) != "."}


def link_target(path: str, repository: str, paths: set[str]) -> str:
    """Where a README link to `path` points on the site: a notebook's page, else the file on GitHub."""
    if NOTEBOOK.fullmatch(path):
        return path
    kind = "blob" if Path(REPO, path).is_file() else "tree"
    return f"{repository}/{kind}/main/{path.rstrip('/')}" if path.rstrip("/") in paths else path


def home_page(readme: str, repository: str, paths: set[str]) -> str:
    """index.md: the README, its links pointed at the site's pages or GitHub, with the notebooks' toctree."""
    def outside_code(text: str) -> str:
        text = BADGE.sub(r"[\1](\2)", text)
        text = LINK.sub(lambda m: f"]({link_target(m[1], repository, paths)}{m[2] or ''})", text)
        return CODE_SPAN.sub(lambda m: f"[`{m[1]}`]({link_target(m[1], repository, paths)})"
                             if ("/" in m[1] or "." in m[1]) and m[1].rstrip("/") in paths else m[0], text)

    parts = FENCE.split(readme)
    body = "".join(part if index % 2 else outside_code(part) for index, part in enumerate(parts))
    pages = "\n".join(f"notebooks/{path.stem}" for path in notebooks())
    return body.rstrip("\n") + TOCTREE.format(pages=pages)


def ours(folder: Path) -> bool:
    """Whether `folder` is a site or a site source that this tool wrote (the only folders it ever removes)."""
    conf = folder / "conf.py"
    return (folder / ".buildinfo").is_file() or (conf.is_file() and conf.read_text().startswith(HEADER))


def fresh(folder: Path) -> None:
    """Make `folder` an empty folder, removing an earlier build of this tool, never anything else."""
    if folder.is_dir() and any(folder.iterdir()):
        if not ours(folder):
            raise SystemExit(f"{folder} is not empty and holds no site built by tools/site.py; choose an empty or "
                             "new folder with --out.")
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)


def write_source(source: Path) -> None:
    """The Sphinx project: conf.py, index.md, the notebooks as the site shows them, MathJax and CSS in _static."""
    fresh(source)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    title = readme.splitlines()[0].lstrip("# ").strip()
    repository = repository_url()
    (source / "conf.py").write_text(CONF.format(title=title, repository=repository), encoding="utf-8")
    (source / "_static").mkdir()
    (source / "_static" / "site.css").write_text(CSS, encoding="utf-8")
    (source / "index.md").write_text(home_page(readme, repository, repository_paths()), encoding="utf-8")
    (source / "notebooks").mkdir()
    for path in notebooks():
        nbformat.write(site_notebook(nbformat.read(path, as_version=4)), source / "notebooks" / path.name)
    shutil.copytree(vendor.package(MATHJAX) / "es5", source / "_static" / "mathjax", ignore=MATHJAX_UNUSED)


def sphinx_build() -> Callable[[list[str]], int]:
    """Sphinx's command line as a function, or one sentence that says how to install the site tools."""
    try:
        from sphinx.cmd.build import build_main
        import myst_nb  # noqa: F401  (imported here so that a missing one is named in one sentence)
        import sphinx_book_theme  # noqa: F401
    except ImportError as error:
        raise SystemExit(f"The site needs Sphinx, myst-nb and sphinx-book-theme ({error.name} is missing): install "
                         "the site tools: pip install -e .[site]") from None
    return build_main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "build" / "site",
                        help="the folder to write the site into (default: build/site; its source goes to <out>-src)")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    source = out.with_name(out.name + "-src")
    build_main = sphinx_build()
    try:
        fresh(out)
        write_source(source)
    except OSError as error:
        raise SystemExit(f"Could not write the site to {args.out}: {error.strerror or error}. Choose a writable "
                         "folder with free space with --out.") from None
    # every warning is an error (all are reported before it stops): a broken link never reaches the site
    if build_main(["-b", "html", "-q", "-E", "-W", "--keep-going", "-d", str(source / ".doctrees"),
                   str(source), str(out)]) != 0:
        raise SystemExit("The site was not built: Sphinx reported the problems above (its warnings count as errors).")
    index = out / "index.html"
    print(f"site: {os.path.relpath(index) if index.is_relative_to(Path.cwd()) else index} "
          f"({1 + len(notebooks())} pages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
