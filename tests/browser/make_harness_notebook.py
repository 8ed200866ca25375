"""A throwaway notebook that proves the harness: a slider, a text entry and a button drive one ipywidgets.Image.

It follows the series' widget convention (figure via cnnlib.widgets.figure_png into one Image, a status label for bad
input, `cnn-...` classes) and adds a button and a checkbox whose callbacks raise on purpose, so the tests can show that
assert_no_traceback really catches a widget callback's exception.
"""
from __future__ import annotations

from pathlib import Path

import nbformat

HARNESS_NOTEBOOK = "_browser_harness.ipynb"  # written into the served temporary folder, never into notebooks/

SETUP = """\
import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np
from cnnlib.widgets import figure_png"""

WIDGET = """\
def wave_png(freq: int) -> bytes:
    x = np.linspace(0, 1, 200)
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot(x, np.sin(2 * np.pi * freq * x))
    ax.set_title(f"freq = {freq}")
    return figure_png(fig)

freq = W.IntSlider(value=1, min=1, max=30, description="freq").add_class("cnn-demo-slider")
entry = W.Text(value="1", description="type", continuous_update=False).add_class("cnn-demo-entry")
boom = W.Button(description="raise").add_class("cnn-demo-boom")
crash = W.Checkbox(description="observer raises").add_class("cnn-demo-crash")
status = W.Label().add_class("cnn-status")
image = W.Image(format="png").add_class("cnn-output")

def show(*_):
    image.value = wave_png(freq.value)
    status.value = f"freq = {freq.value}"

def typed(change):
    try:
        freq.value = int(change["new"])
    except ValueError:
        status.value = f"'{change['new']}' is not a whole number"

def explode(_):
    raise RuntimeError("deliberate failure for the harness test")

freq.observe(show, "value")
entry.observe(typed, "value")
boom.on_click(explode)
crash.observe(lambda change: 1 / 0, "value")
show()
W.VBox([freq, entry, boom, crash, status, image], layout=W.Layout(align_items="flex-start"))"""


def write_harness_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Browser-test harness (generated, never committed)"),
        nbformat.v4.new_code_cell(SETUP),
        nbformat.v4.new_code_cell(WIDGET),
        nbformat.v4.new_code_cell("assert wave_png(3) != wave_png(4)"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path
