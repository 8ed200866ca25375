"""Seeds, devices and quick mode: the few settings every notebook shares, kept in one place."""
from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Iterator

import numpy as np
import torch

from cnnlib import _check

_QUICK_ENV = "CNNLIB_QUICK"


def set_seed(seed: int = 0) -> None:
    """Seed Python, NumPy and PyTorch (CPU and every GPU) so a run repeats exactly."""
    seed = _check.whole(seed, "seed", 0, 2**32 - 1, hint="; try set_seed(0)")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


def device() -> torch.device:
    """The best device available: CUDA, then Apple's MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def model_device(model: torch.nn.Module) -> torch.device:
    """The device of the model's first parameter or buffer (CPU when it has none)."""
    for t in _check.model(model).parameters():
        return t.device
    for t in model.buffers():
        return t.device
    return torch.device("cpu")


@contextlib.contextmanager
def eval_no_grad(model: torch.nn.Module) -> Iterator[None]:
    """Eval mode and no autograd inside the `with` block; every layer's train/eval flag is restored afterwards."""
    flags = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        for m, training in flags:
            m.training = training


def quick_mode() -> bool:
    """True when the environment variable CNNLIB_QUICK is set to 1/true/yes (CI's fast path)."""
    return os.environ.get(_QUICK_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def mode_banner() -> str:
    """One line saying whether this run is quick (a small subset, for CI) or full."""
    if quick_mode():
        return ("QUICK MODE (CNNLIB_QUICK=1): small data subsets and few epochs, "
                "so numbers below are smoke tests, not results.")
    return "Full mode: real datasets, full training runs."
