"""A student edition and an instructor edition of the series, from one source:

    python tools/editions.py [--out build/editions]        (or: bash series.sh editions)

student/     every exercise starts from its placeholder and its cells have no outputs; no cell offers a worked
             solution, and the copy of cnnlib in it has none (show_solution says to ask the instructor). Publish it
             as the course's repository, then run `python tools/repoint.py OWNER/NAME` in it, so that its Colab
             badges and install cell install this copy.
instructor/  the same notebooks with each exercise's worked solution written into its answer cell, before the check,
             which prints ✓ when the cell runs; cnnlib is the series' own.

Each edition is a folder that installs and opens like the series (notebooks/, cnnlib/, pyproject.toml,
requirements.txt, environment.yml, series.sh, tools/repoint.py and a short README). The worked solutions are read
from where the series keeps them, the `@_exercise(key, solution)` lines of cnnlib/checks.py, and the exercise cells
are found as the tests find them: a code cell that calls a `check_...` function is an answer cell, and a cell of
comments calling `show_solution` offers a solution. tests/test_editions.py checks both editions.
"""
from __future__ import annotations

import argparse
import ast
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
COPIED = ["pyproject.toml", "requirements.txt", "environment.yml", "series.sh", ".ci/constraints.txt",
          "tools/repoint.py"]
OFFER = re.compile(r"\s*To see a worked solution, uncomment the `show_solution`\s+line and run it\.")
README = """# {title}

The notebooks of the CNN teaching series, {what}.

    bash series.sh lab        # creates .venv on first use, then prints the address of JupyterLab

or `pip install -r requirements.txt` and open `notebooks/` in JupyterLab, Notebook, VS Code or Colab.
"""
WHAT = {"student": "student edition: each exercise starts blank and checks your answer with ✓ or ✗",
        "instructor": "instructor edition: each exercise's answer cell holds its worked solution"}


@dataclass(frozen=True)
class Exercise:
    key: str       # "02.1"
    check: str     # the name of its check function, e.g. "check_horizontal_edge_kernel"
    solution: str  # its worked solution (source code)
    span: tuple[int, int]  # where the solution's string literal lies in checks.py (byte offsets)


def exercises(checks_source: str) -> dict[str, Exercise]:
    """The exercises registered in checks.py, by the name of their check function."""
    data = checks_source.encode("utf-8")
    starts = [0] + [i + 1 for i, byte in enumerate(data) if byte == ord("\n")]  # ast's columns count UTF-8 bytes
    found = {}
    for node in ast.parse(checks_source).body:
        for decorator in getattr(node, "decorator_list", []):
            if (isinstance(decorator, ast.Call) and getattr(decorator.func, "id", "") == "_exercise"
                    and len(decorator.args) == 2 and isinstance(decorator.args[1], ast.Constant)):
                key, literal = decorator.args[0].value, decorator.args[1]
                span = (starts[literal.lineno - 1] + literal.col_offset,
                        starts[literal.end_lineno - 1] + literal.end_col_offset)
                found[node.name] = Exercise(key, node.name, literal.value.strip("\n"), span)
    return found


def without_solutions(checks_source: str) -> str:
    """checks.py with each worked solution replaced by None."""
    data = checks_source.encode("utf-8")
    for exercise in sorted(exercises(checks_source).values(), key=lambda e: e.span, reverse=True):
        data = data[:exercise.span[0]] + b"None" + data[exercise.span[1]:]
    return data.decode("utf-8")


def check_statements(source: str, known: dict[str, Exercise]) -> tuple[list[ast.stmt], list[Exercise]]:
    """The top-level statements of a code cell from the first that calls a check, and the exercises it checks."""
    try:
        body = ast.parse(source).body
    except SyntaxError:  # a cell with IPython magics is never an answer cell
        return [], []
    for position, stmt in enumerate(body):
        called = [known[node.func.id] for node in ast.walk(stmt) if isinstance(node, ast.Call)
                  and isinstance(node.func, ast.Name) and node.func.id in known]
        if called:
            return body[position:], called
    return [], []


def offers_solution(cell: nbformat.NotebookNode) -> bool:
    lines = [line.strip() for line in cell.source.splitlines() if line.strip()]
    return (cell.cell_type == "code" and any("show_solution(" in line for line in lines)
            and all(line.startswith("#") for line in lines))


def edition(nb: nbformat.NotebookNode, known: dict[str, Exercise], solved: bool) -> nbformat.NotebookNode:
    """A copy of the notebook as the student (solved=False) or instructor (solved=True) edition has it."""
    nb = nbformat.from_dict(nb)
    cells = []
    for cell in nb.cells:
        if offers_solution(cell):
            continue
        if cell.cell_type == "markdown":
            cell.source = OFFER.sub("", cell.source)
        if cell.cell_type == "code":
            tail, checked = check_statements(cell.source, known)
            if checked:
                cell.outputs, cell.execution_count = [], None
                if solved:
                    call = "\n".join(ast.get_source_segment(cell.source, stmt) for stmt in tail)
                    cell.source = "\n\n".join([*(e.solution for e in checked), call])
        cells.append(cell)
    nb.cells = cells
    return nb


def write_edition(name: str, out: Path, known: dict[str, Exercise], checks_source: str) -> Path:
    root = out / name
    if root.exists():
        shutil.rmtree(root)
    (root / "notebooks").mkdir(parents=True)
    for path in sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nb = edition(nbformat.read(path, as_version=4), known, solved=name == "instructor")
        nbformat.write(nb, root / "notebooks" / path.name)
    shutil.copytree(REPO / "cnnlib", root / "cnnlib", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if name == "student":
        (root / "cnnlib" / "checks.py").write_text(without_solutions(checks_source), encoding="utf-8")
    for relative in COPIED:
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / relative, root / relative)
    title = f"Convolutional neural networks: the {name} edition"
    (root / "README.md").write_text(README.format(title=title, what=WHAT[name]), encoding="utf-8")
    return root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "build" / "editions",
                        help="the folder to write student/ and instructor/ into (default: build/editions)")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    if out == REPO or REPO.is_relative_to(out) or (out.is_relative_to(REPO) and out.parts[len(REPO.parts)] in
                                                     {"notebooks", "cnnlib", "tests", "tools"}):
        raise SystemExit(f"--out {args.out} would overwrite the series' own files; choose a folder such as "
                         "build/editions.")
    checks_source = (REPO / "cnnlib" / "checks.py").read_text(encoding="utf-8")
    known = exercises(checks_source)
    try:
        roots = [write_edition(name, out, known, checks_source) for name in ("student", "instructor")]
    except OSError as error:
        raise SystemExit(f"Could not write the editions to {out}: {error.strerror or error}. Choose a writable "
                         "folder with free space with --out.") from None
    for root in roots:
        print(f"{root.name} edition: {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
