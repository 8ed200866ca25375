"""Point the series at another GitHub repository (a fork, a course's copy): python tools/repoint.py OWNER/NAME

The repository is set in one place, pyproject.toml's [project.urls] Repository; this command writes it there and
into everything that names it: the Colab badges (README and each notebook's first cell) and the install cell that
Colab runs (REPOSITORY = "OWNER/NAME" in each notebook's second cell). tests/test_repository.py checks that they
agree. Outputs and execution counts are left as they are.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
URL_LINE = re.compile(r'^(Repository = "https://github\.com/)([^"]+)(")$', re.M)


def current() -> str:
    """OWNER/NAME from pyproject.toml."""
    found = URL_LINE.search((REPO / "pyproject.toml").read_text())
    if not found:
        raise SystemExit("pyproject.toml has no [project.urls] line Repository = \"https://github.com/OWNER/NAME\"")
    return found.group(2)


def repoint(new: str) -> list[Path]:
    """Write `new` wherever the current repository is named; return the files changed."""
    old, changed = current(), []
    replace = {f"google.com/github/{old}/blob/": f"google.com/github/{new}/blob/",  # Colab badges
               f'REPOSITORY = "{old}"': f'REPOSITORY = "{new}"'}              # install cells
    for path in [REPO / "README.md", *sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))]:
        if path.suffix == ".ipynb":
            nb = nbformat.read(path, as_version=4)
            before = [c.source for c in nb.cells[:2]]
            for cell in nb.cells[:2]:
                for a, b in replace.items():
                    cell.source = cell.source.replace(a, b)
            if [c.source for c in nb.cells[:2]] != before:
                nbformat.write(nb, path)
                changed.append(path)
        else:
            text = path.read_text()
            new_text = text.replace(f"google.com/github/{old}/blob/", f"google.com/github/{new}/blob/")
            if new_text != text:
                path.write_text(new_text)
                changed.append(path)
    pyproject = REPO / "pyproject.toml"
    pyproject.write_text(URL_LINE.sub(lambda m: m.group(1) + new + m.group(3), pyproject.read_text()))
    return changed + [pyproject]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repository", help="OWNER/NAME on GitHub, e.g. my-school/cnn-course")
    args = parser.parse_args(argv)
    if not NAME.match(args.repository):
        print(f"error: {args.repository!r} is not OWNER/NAME (letters, digits, '-', and '.' or '_' in the name); "
              f"e.g. my-school/cnn-course", file=sys.stderr)
        return 2
    for path in repoint(args.repository):
        print(f"pointed at {args.repository}: {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
