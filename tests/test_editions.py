"""The student and instructor editions (tools/editions.py, `bash series.sh editions`).

The student edition must hold no worked solution, in its notebooks or in the package a student installs from it,
and start every exercise from the series' own placeholder; every answer cell of the instructor edition, run in its
notebook's namespace, must print ✓.
"""
from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import torch

from cnnlib.checks import _SOLUTIONS
from test_exercises import ANSWER_CELLS, code_cells, notebook_namespace, run

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
sys.path.insert(0, str(REPO / "tools"))
import editions  # noqa: E402  (tools/ is not a package)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("editions")
    done = subprocess.run([sys.executable, str(REPO / "tools" / "editions.py"), "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"student edition: {out / 'student'}",
                                        f"instructor edition: {out / 'instructor'}"]
    return out


def solution_lines() -> dict[str, set[str]]:
    """For each exercise, the lines of its worked solution found nowhere else in the series: not in the notebooks
    and not in cnnlib once the solutions are taken out (an import, `set_seed(0)` or a loop header is not solution
    text)."""
    checks = (REPO / "cnnlib" / "checks.py").read_text(encoding="utf-8")
    library = [p.read_text(encoding="utf-8") for p in (REPO / "cnnlib").glob("*.py") if p.name != "checks.py"]
    notebooks = [json.dumps(nbformat.read(p, as_version=4)) + "\n".join(code_cells(p)) for p in NOTEBOOKS]
    elsewhere = "\n".join([*notebooks, *library, editions.without_solutions(checks)])
    return {key: {line.strip() for line in source.splitlines()
                  if len(line.strip()) >= 12 and line.strip() not in elsewhere}
            for key, source in _SOLUTIONS.items()}


def test_every_exercise_has_distinctive_solution_text_to_look_for():
    assert sorted(_SOLUTIONS) == sorted(e.key for e in editions.exercises(
        (REPO / "cnnlib" / "checks.py").read_text(encoding="utf-8")).values())
    assert [key for key, lines in solution_lines().items() if not lines] == []


def test_the_student_edition_holds_no_solution_text(built):
    student = built / "student"
    files = [p for p in student.rglob("*") if p.is_file()]
    assert {p.relative_to(student).parts[0] for p in files} >= {"notebooks", "cnnlib", "pyproject.toml", "README.md"}
    text = {p: p.read_text(encoding="utf-8") for p in files}
    leaks = [(key, line, str(p.relative_to(student))) for key, lines in solution_lines().items()
             for line in lines for p, t in text.items() if line in t]
    assert leaks == []
    assert not any("show_solution(" in cell.source for p in (student / "notebooks").glob("*.ipynb")
                   for cell in nbformat.read(p, as_version=4).cells if cell.cell_type == "markdown")


def test_the_student_package_has_no_solution_and_says_so(built):
    code = ("from cnnlib.checks import _SOLUTIONS, show_solution\n"
            "assert _SOLUTIONS and set(_SOLUTIONS.values()) == {None}, _SOLUTIONS\n"
            "show_solution('02.1')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=built / "student", env={**os.environ, "PYTHONPATH": str(built / "student")})
    assert done.returncode == 0, done.stderr
    assert done.stdout == "This edition has no worked solutions: ask your instructor about exercise 02.1.\n"


def test_the_student_exercises_are_the_series_placeholders_without_outputs(built):
    answer_sources = {(c.notebook.name, code_cells(c.notebook)[c.index]) for c in ANSWER_CELLS}
    seen = set()
    for path in NOTEBOOKS:
        original = nbformat.read(path, as_version=4)
        student = nbformat.read(built / "student" / "notebooks" / path.name, as_version=4)
        kept = [c for c in original.cells if not editions.offers_solution(c)]
        assert len(student.cells) == len(kept)
        for before, after in zip(kept, student.cells):
            if (path.name, after.source) in answer_sources:
                assert after.source == before.source and after.outputs == [] and after.execution_count is None
                seen.add((path.name, after.source))
            elif after.cell_type == "code":
                assert (after.source, after.outputs) == (before.source, before.outputs)
    assert seen == answer_sources


def test_every_answer_cell_of_the_instructor_edition_prints_a_tick(built):
    instructor = built / "instructor" / "notebooks"
    ran = []
    for path in sorted(instructor.glob("*.ipynb")):
        if "from cnnlib.checks import" not in path.read_text(encoding="utf-8"):
            continue  # 00 has no exercises
        ns = notebook_namespace(path)
        for index, source in enumerate(code_cells(path)):
            checked = [n.func.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call)
                       and isinstance(n.func, ast.Name) and n.func.id.startswith("check_")]
            if not checked or "from cnnlib.checks import" in source:
                continue
            out, threads = io.StringIO(), torch.get_num_threads()
            torch.set_num_threads(1)  # two exercises train small networks: one thread, as the checks use
            try:
                with contextlib.redirect_stdout(out):
                    run(path, ast.parse(source).body, ns, (index, 0))
            finally:
                torch.set_num_threads(threads)
            printed = out.getvalue()  # a training solution prints its epochs first
            assert printed.splitlines()[-1].startswith("✓ ") and "✗" not in printed, (path.name, source, printed)
            ran += checked
    assert sorted(ran) == sorted(c.check for c in ANSWER_CELLS)


def test_editions_refuse_to_overwrite_the_series_and_explain_an_unwritable_folder(tmp_path):
    for out in [REPO, REPO / "notebooks"]:
        with pytest.raises(SystemExit, match="would overwrite the series' own files"):
            editions.main(["--out", str(out)])
    blocked = tmp_path / "file"
    blocked.write_text("")
    with pytest.raises(SystemExit, match=r"^Could not write the editions to .*Choose a writable folder"):
        editions.main(["--out", str(blocked / "editions")])
