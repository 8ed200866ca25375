"""The browser suite's own setup: settings in force, isolation from the repo, and no widget notebook left untested."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from jupyter_ui import OVERRIDES, REPO

WIDGET_CALL = re.compile(r"\b(\w+_(?:widget|editor|explorer|browser))\(")  # how a notebook shows a cnnlib widget
NB_MARK = re.compile(r"""mark\.nb\(\s*["'](\d\d)["']\s*\)""")


@pytest.mark.parametrize("server", ["lab", "notebook"], indirect=True)
def test_settings_overrides_are_in_force(server, jupyter_home):
    assert REPO not in Path(jupyter_home["root"]).parents, "the servers must serve a temporary copy of notebooks/"
    for plugin, values in OVERRIDES.items():
        reply = server.api("GET", f"lab/api/settings/{plugin}")
        for key, value in values.items():
            assert reply["schema"]["properties"][key]["default"] == value, f"{plugin} {key}: overrides.json ignored"
            assert reply["settings"].get(key, value) == value, f"{plugin} {key}: a user setting overrides the test's"


def test_every_widget_notebook_has_a_browser_test():
    tested = {nb for module in Path(__file__).parent.glob("test_*.py") for nb in NB_MARK.findall(module.read_text())}
    shown = {}
    for path in sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        calls = {m for c in cells if c["cell_type"] == "code" for m in WIDGET_CALL.findall("".join(c["source"]))}
        if calls:
            shown[path.name[:2]] = f"{path.name} ({', '.join(sorted(calls))})"
    missing = [info for nb, info in shown.items() if nb not in tested]
    assert not missing, f"notebooks with a widget but no browser test in tests/browser: {missing}"
