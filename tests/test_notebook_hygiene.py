"""Every committed notebook is clean: executed in order, no saved widget state, no errors, small, and well-formed."""
from __future__ import annotations

import json
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
            rest = [_src(c) for c in code[i + 1:i + 2]]
            assert any("assert" in s or "check" in s for s in rest), (
                f"{path.name}: cell {i + 1} ignores its output but no assert/check follows it")
