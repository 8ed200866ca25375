"""Every committed notebook is clean: executed in order, no saved widget state, no errors, small, and well-formed."""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
IGNORE = "# NBVAL_IGNORE_OUTPUT"


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _code(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def _src(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def test_there_are_notebooks():
    assert NOTEBOOKS, "no numbered notebooks found in notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_a_clean_restart_and_run_all(path):
    nb = _load(path)
    counts = [c["execution_count"] for c in _code(nb)]
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: execution counts {counts} are not 1..N"
    assert "widgets" not in nb["metadata"], f"{path.name}: saved widget state (GitHub cannot render it)"
    errors = [o for c in _code(nb) for o in c["outputs"] if o["output_type"] == "error"]
    assert not errors, f"{path.name}: saved error output {errors[0].get('ename')}"
    assert path.stat().st_size < 2_000_000, f"{path.name} is {path.stat().st_size / 1e6:.1f} MB (limit 2 MB)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_opens_with_badge_goals_and_guarded_install(path):
    cells = _load(path)["cells"]
    first = _src(cells[0])
    assert "colab.research.google.com" in first and path.name in first, "first cell needs an Open in Colab badge"
    assert "You will learn" in first and "Time:" in first, "first cell needs learning goals and a time estimate"
    install = _src(cells[1])
    assert '"google.colab" in sys.modules' in install, "second cell must be the guarded Colab install cell"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_ignored_output_is_followed_by_an_assert(path):
    code = _code(_load(path))
    for i, cell in enumerate(code):
        if _src(cell).lstrip().startswith(IGNORE):
            following = _src(code[i + 1]) if i + 1 < len(code) else ""
            asserts = [node for node in ast.walk(ast.parse(following)) if isinstance(node, ast.Assert)]
            assert asserts, f"{path.name}: code cell {i + 1} ignores its output but the next cell asserts nothing"


def test_the_hygiene_check_itself_rejects_a_comment_that_only_mentions_assert():
    cell = "# we could assert something here, or check it"
    assert not [node for node in ast.walk(ast.parse(cell)) if isinstance(node, ast.Assert)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_outputs_read_well_without_a_kernel(path):
    """No widget state or widget repr ("VBox(...)"), no frozen progress bar ("0%| | 0/430")."""
    for i, cell in enumerate(_code(_load(path))):
        for output in cell["outputs"]:
            data = output.get("data", {})
            text = "".join(output.get("text", "")) + "".join(data.get("text/plain", ""))
            assert "application/vnd.jupyter.widget-view+json" not in data, f"{path.name} code cell {i + 1}: widget"
            assert not re.match(r"(HBox|VBox|interactive|Output)\(", text), f"{path.name} code cell {i + 1}: repr"
            assert not re.search(r"\d+%\|.*\|\s*\d+/\d+", text), f"{path.name} code cell {i + 1}: progress bar"


def test_the_repository_holds_only_the_series_files_at_its_top():
    """Nothing a run leaves behind (a checkpoint saved under a name like "3", a stray log) is committed."""
    import shutil
    import subprocess

    repo = Path(__file__).resolve().parents[1]
    if shutil.which("git") is None or not (repo / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(["git", "ls-files"], cwd=repo, capture_output=True, text=True, check=True).stdout
    top = {line.split("/")[0] for line in tracked.splitlines()}
    expected = {".ci", ".gitignore", "README.md", "cnnlib", "conftest.py", "environment.yml", "notebooks",
                "pyproject.toml", "requirements.txt", "series.sh", "tests", "tools"}
    assert top <= expected, f"unexpected files at the top of the repository: {sorted(top - expected)}"
