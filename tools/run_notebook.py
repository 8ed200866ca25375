"""Execute notebooks in place (restart and run all), keep outputs and counts, drop saved widget state.

A widget's output is replaced by one line saying that the cell is interactive: without a kernel (GitHub, a website)
a widget can only show as "VBox(...)" text; every widget has a static figure of its first state just above it.

usage: python tools/run_notebook.py notebooks/02_corr2d.ipynb [...]      (full mode unless CNNLIB_QUICK=1)
This is how the committed notebooks are produced; see README "For authors".
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

WIDGET = "application/vnd.jupyter.widget-view+json"
INTERACTIVE = "[An interactive widget: run this cell in Jupyter or Colab to use it. The figure above shows its first state.]"


def run(path: Path, timeout: int = 1200) -> float:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    t0 = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - t0
    nb.metadata.pop("widgets", None)  # saved widget state breaks GitHub's renderer
    for cell in nb.cells:
        for i, output in enumerate(cell.get("outputs", [])):
            if WIDGET in output.get("data", {}):
                cell.outputs[i] = nbformat.v4.new_output("display_data", data={"text/plain": INTERACTIVE})
    nbformat.write(nb, path)
    return seconds


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(f"{arg}: {run(Path(arg)):.1f} s", flush=True)
