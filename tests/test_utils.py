"""cnnlib.utils: seeds repeat runs, device falls back to the CPU, quick mode is an explicit switch."""
import random

import numpy as np
import pytest
import torch

from cnnlib.utils import device, mode_banner, model_device, quick_mode, set_seed


def test_set_seed_repeats_torch_numpy_and_python():
    set_seed(7)
    first = (torch.rand(3), np.random.rand(3), random.random())
    set_seed(7)
    again = (torch.rand(3), np.random.rand(3), random.random())
    assert torch.equal(first[0], again[0]) and np.array_equal(first[1], again[1]) and first[2] == again[2]


@pytest.mark.parametrize("seed, error, message", [
    (1.5, ValueError, "seed must be a whole number, got 1.5"),
    ("0", TypeError, "seed must be a number.*write 0 without quotes"),
    (True, TypeError, "seed must be a number such as 3, got True/False"),
    (-1, ValueError, "seed must be at least 0, got -1; try set_seed\\(0\\)"),
    (2**32, ValueError, "seed must be at most 4,294,967,295"),
])
def test_set_seed_rejects_bad_seeds(seed, error, message):
    with pytest.raises(error, match=message):
        set_seed(seed)


def test_device_is_cuda_then_mps_then_cpu():
    dev = device()
    assert isinstance(dev, torch.device)
    if torch.cuda.is_available():
        assert dev.type == "cuda"
    elif not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
        assert dev.type == "cpu"


@pytest.mark.parametrize("value, expected", [("1", True), ("true", True), (" Yes ", True), ("0", False),
                                             ("", False), ("no", False)])
def test_quick_mode_reads_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv("CNNLIB_QUICK", value)
    assert quick_mode() is expected
    assert mode_banner().startswith("QUICK MODE") is expected


def test_quick_mode_is_off_by_default(monkeypatch):
    monkeypatch.delenv("CNNLIB_QUICK", raising=False)
    assert quick_mode() is False and mode_banner().startswith("Full mode")


def test_model_device_reads_the_first_parameter_then_buffer_then_says_cpu():
    assert model_device(torch.nn.Linear(2, 2, device="meta")) == torch.device("meta")
    assert model_device(torch.nn.BatchNorm2d(3, affine=False, device="meta")) == torch.device("meta")  # buffers only
    assert model_device(torch.nn.ReLU()) == torch.device("cpu")  # nothing to move: the CPU
