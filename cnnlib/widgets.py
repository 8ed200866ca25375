"""Interactive widgets (core ipywidgets only, so Colab's 7.7.1 works) and the plain functions behind them.

Convention: the logic of every widget is a plain function (tested on its own); the widget only wires controls to it,
shows its figure in one `ipywidgets.Image` (so changing a control replaces the picture, never stacks a new one) and
shows problems in a status label (never a traceback). Controls get stable CSS classes `cnn-...` for browser tests.
"""
from __future__ import annotations

import io

import matplotlib
import matplotlib.pyplot as plt


def figure_png(fig: "matplotlib.figure.Figure", dpi: int = 80) -> bytes:
    """Render a matplotlib figure to PNG bytes and close it (so notebooks do not pile up open figures)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


# ---- 01 convolution as a linear layer ----

# ---- 02 corr2d: kernel editor ----

# ---- 03 padding and stride: sliding-window explorer ----

# ---- 04 channels ----

# ---- 05 pooling ----

# ---- 06-09 feature-map browser ----
