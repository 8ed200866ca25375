"""The repository the Colab badges and install cells point at is set in one place (pyproject.toml) and re-pointed by
one command (tools/repoint.py); the install cell says in one sentence what went wrong when pip fails."""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import repoint  # noqa: E402  (tools/ is not a package)

NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def pointed_at(root: Path, repository: str) -> list[str]:
    """What in root does not point at repository: badges (README, notebooks) and install cells."""
    wrong = []
    readme = (root / "README.md").read_text()
    for path in sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        badge = f"colab.research.google.com/github/{repository}/blob/main/notebooks/{path.name}"
        cells = nbformat.read(path, as_version=4).cells
        if badge not in cells[0].source:
            wrong.append(f"{path.name}: badge")
        if f'REPOSITORY = "{repository}"' not in cells[1].source:
            wrong.append(f"{path.name}: install cell")
        if path.name != "00_setup_check.ipynb" and badge not in readme:
            wrong.append(f"README: badge of {path.name}")
    return wrong


def test_every_badge_and_install_cell_points_at_pyprojects_repository():
    assert repoint.current() == "cnn-series/cnn-series"
    assert pointed_at(REPO, repoint.current()) == []


def test_repoint_changes_every_place_and_nothing_else(tmp_path, monkeypatch):
    shutil.copytree(REPO / "notebooks", tmp_path / "notebooks", ignore=shutil.ignore_patterns("runs", ".*"))
    for name in ("README.md", "pyproject.toml"):
        shutil.copy(REPO / name, tmp_path / name)
    monkeypatch.setattr(repoint, "REPO", tmp_path)
    before = {p.name: nbformat.read(p, as_version=4) for p in NOTEBOOKS}
    assert repoint.main(["my-school/cnn-course"]) == 0
    assert repoint.current() == "my-school/cnn-course" and pointed_at(tmp_path, "my-school/cnn-course") == []
    for path in sorted((tmp_path / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        after, old = nbformat.read(path, as_version=4), before[path.name]
        assert [c.get("outputs") for c in after.cells] == [c.get("outputs") for c in old.cells]  # outputs kept
        assert [c.source for c in after.cells[2:]] == [c.source for c in old.cells[2:]]  # only the first two cells


@pytest.mark.parametrize("name", ["cnn-course", "a/b/c", "owner/", "x_/y", "x/y z", "x" * 40 + "/y"])
def test_repoint_refuses_what_is_not_owner_slash_name(name, capsys):
    assert repoint.main([name]) == 2
    assert "is not OWNER/NAME" in capsys.readouterr().err


def run_install_cell(monkeypatch, returncode: int, stderr: str) -> list:
    """The install cell as Colab runs it (google.colab imported, no cnnlib), with pip answering as given."""
    source = nbformat.read(NOTEBOOKS[0], as_version=4).cells[1].source
    calls = []
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "cnnlib" else real_find_spec(name, *a))
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: calls.append(cmd) or subprocess.CompletedProcess(
        cmd, returncode, stdout="", stderr=stderr))
    exec(compile(source, "install cell", "exec"), {})
    return calls


def test_the_install_cell_installs_from_the_repository_on_colab(monkeypatch):
    calls = run_install_cell(monkeypatch, 0, "")
    assert calls and calls[0][-1] == "cnnlib @ git+https://github.com/cnn-series/cnn-series"


@pytest.mark.parametrize("stderr, said", [
    ("  error: subprocess-exited-with-error\nfatal: repository 'https://github.com/x/y/' not found\n",
     "(fatal: repository 'https://github.com/x/y/' not found)"),
    ("", "(pip gave no reason)"),
])
def test_a_failed_install_ends_in_one_sentence_saying_what_to_do(monkeypatch, stderr, said):
    with pytest.raises(SystemExit) as stop:
        run_install_cell(monkeypatch, 128, stderr)
    message = str(stop.value)
    assert message.startswith("Could not install cnnlib from https://github.com/cnn-series/cnn-series " + said)
    assert message.endswith("Check that this runtime is online and that the repository exists and is public, then "
                            "run this cell again.")
