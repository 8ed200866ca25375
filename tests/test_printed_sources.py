"""What a student reads is short: every cnnlib source a notebook prints with inspect.getsource is at most 30 lines,
and the networks notebooks 07-09 train are among them."""
from __future__ import annotations

import importlib
import inspect
import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MODULES = ["ops", "models", "data", "train", "features", "viz", "widgets", "checks", "utils", "backprop"]
MAX_LINES = 30


def _printed(path: Path) -> list[str]:
    """The dotted names a notebook prints with inspect.getsource(...)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    return re.findall(r"inspect\.getsource\(([\w.]+)\)", code)


def _resolve(dotted: str) -> object:
    """cnnlib's object for a name as a notebook writes it (corr2d, ResNet.block, ops.corr2d)."""
    head, *rest = dotted.split(".")
    if head in MODULES:
        head, *rest = rest
        candidates = [importlib.import_module(f"cnnlib.{dotted.split('.')[0]}")]
    else:
        candidates = [importlib.import_module(f"cnnlib.{m}") for m in MODULES]
    obj = next(getattr(m, head) for m in candidates if hasattr(m, head))
    for attr in rest:
        obj = getattr(obj, attr)
    return obj


PRINTED = [(path.name, name) for path in NOTEBOOKS for name in _printed(path)]


@pytest.mark.parametrize("notebook, name", PRINTED, ids=[f"{n[:2]}-{name}" for n, name in PRINTED])
def test_every_printed_source_is_at_most_30_lines_and_public(notebook, name):
    lines = inspect.getsource(_resolve(name)).rstrip().splitlines()
    assert len(lines) <= MAX_LINES, f"{notebook} prints {name}: {len(lines)} lines"
    assert not name.split(".")[-1].startswith("_") or name.endswith("__init__"), f"{notebook} prints a private {name}"


def test_the_trained_networks_are_shown_where_they_are_trained():
    printed = {(notebook[:2], name) for notebook, name in PRINTED}
    for expected in [("06", "fit"), ("06", "LeNet"), ("06", "LeNetModern"), ("07", "vgg_small"),
                     ("08", "Residual"), ("08", "PlainBlock"), ("08", "resnet_small"), ("09", "mlp_baseline"),
                     ("09", "cifar_cnn")]:
        assert expected in printed, f"notebook {expected[0]} should print the source of {expected[1]}"
