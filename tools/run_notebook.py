"""Execute notebooks in place (restart and run all), keep outputs and counts, drop saved widget state.

usage: python tools/run_notebook.py notebooks/02_corr2d.ipynb [...]      (full mode unless CNNLIB_QUICK=1)
This is how the committed notebooks are produced; see README "For authors".
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def run(path: Path, timeout: int = 1200) -> float:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    t0 = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - t0
    nb.metadata.pop("widgets", None)  # saved widget state breaks GitHub's renderer
    nbformat.write(nb, path)
    return seconds


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(f"{arg}: {run(Path(arg)):.1f} s", flush=True)
