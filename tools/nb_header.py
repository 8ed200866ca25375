"""The opening cells every notebook of the series shares: Colab badge, guarded install cell, goals, time.

Authors build a notebook with nbformat and start it with `header_cells(...)`; see README "For authors".
"""
from __future__ import annotations

import nbformat.v4 as nbf

REPO = "cnn-series/cnn-series"  # GitHub owner/name that the Colab badges and the install cell point at
COLAB = "https://colab.research.google.com/github/{repo}/blob/main/notebooks/{name}"
BADGE = "https://colab.research.google.com/assets/colab-badge.svg"

INSTALL = '''\
# Setup. On Colab this installs cnnlib from GitHub and keeps Colab's own torch; elsewhere it does nothing.
import importlib.util, subprocess, sys
if "google.colab" in sys.modules and importlib.util.find_spec("cnnlib") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "cnnlib @ git+https://github.com/{repo}"], check=True)'''


def header_cells(name: str, title: str, goals: list[str], minutes: int) -> list:
    """Badge + title + goals + time (markdown) and the guarded install cell (code)."""
    badge = f"[![Open In Colab]({BADGE})]({COLAB.format(repo=REPO, name=name)})"
    goal_lines = "\n".join(f"- {g}" for g in goals)
    md = (f"{badge}\n\n# {title}\n\n**You will learn to**\n{goal_lines}\n\n"
          f"**Time:** about {minutes} minutes.")
    return [nbf.new_markdown_cell(md), nbf.new_code_cell(INSTALL.format(repo=REPO))]
