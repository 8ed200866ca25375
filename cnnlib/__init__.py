"""cnnlib: the helper package of the CNN teaching series.

From-scratch operations and the lecture's models are importable from the top level (`from cnnlib import corr2d`);
the other modules load on first use: cnnlib.data, cnnlib.train, cnnlib.viz, cnnlib.widgets, cnnlib.checks,
cnnlib.features.
"""
import importlib
import os
import sys

# OpenMP threads that finish first spin, waiting for the others: on a shared CPU (a JupyterHub seat, two notebooks
# training at once) the spinning takes the cores the others need, and training gets several times slower. OpenMP
# reads this when PyTorch loads, so it is set here, before `import torch` (README: "On a shared CPU").
# PyTorch imported before cnnlib with no policy in the environment (the notebooks' first cell sets one before their
# `import torch`): OpenMP already runs with its default policy, and setting the variable now changes nothing.
_OPENMP_STARTED_FIRST = "torch" in sys.modules and "OMP_WAIT_POLICY" not in os.environ
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from cnnlib.models import (
    VGG,
    Classifier,
    LeNet,
    LeNetModern,
    ResNet,
    PlainBlock,
    ResNet18,
    Residual,
    count_parameters,
    init_cnn,
    layer_summary,
    materialize,
    mlp_baseline,
    vgg_block,
)
from cnnlib.ops import (
    Conv2D,
    comp_conv2d,
    conv_matrix,
    conv_output_shape,
    convolve1d,
    convolve2d,
    corr2d,
    corr2d_fast,
    corr2d_multi_in,
    corr2d_multi_in_out,
    corr2d_multi_in_out_1x1,
    corr2d_strided,
    pool2d,
)
from cnnlib.utils import configure_threads, device, mode_banner, quick_mode, set_seed

configure_threads()  # PyTorch's threads: the CPUs this process may use, not the machine's cores

__version__ = "0.1.0"
_SUBMODULES = {"ops", "models", "utils", "data", "train", "viz", "widgets", "checks", "features", "backprop"}


def __getattr__(name: str):
    """Import a submodule on first use, so `import cnnlib` stays fast (no torchvision, no ipywidgets)."""
    if name in _SUBMODULES:
        return importlib.import_module(f"cnnlib.{name}")
    raise AttributeError(f"module 'cnnlib' has no attribute {name!r}")
