"""Seeds, devices and quick mode: the few settings every notebook shares, kept in one place."""
from __future__ import annotations

import os
import random

import numpy as np
import torch

QUICK_ENV = "CNNLIB_QUICK"


def set_seed(seed: int = 0) -> None:
    """Seed Python, NumPy and PyTorch (CPU and every GPU) so a run repeats exactly."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}; try set_seed(0)")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be between 0 and 2**32 - 1, got {seed}")
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
    for t in model.parameters():
        return t.device
    for t in model.buffers():
        return t.device
    return torch.device("cpu")


def quick_mode() -> bool:
    """True when the environment variable CNNLIB_QUICK is set to 1/true/yes (CI's fast path)."""
    return os.environ.get(QUICK_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def mode_banner() -> str:
    """One line saying whether this run is quick (a small subset, for CI) or full."""
    if quick_mode():
        return ("QUICK MODE (CNNLIB_QUICK=1): small data subsets and few epochs, "
                "so numbers below are smoke tests, not results.")
    return "Full mode: real datasets, full training runs."
