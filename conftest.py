"""Test session setup for the unit tests and for nbval's notebook kernels (which inherit this environment):
quick mode on, and a writable data root (CNNLIB_DATA) built from ../shared/data when it exists."""
from __future__ import annotations

import os

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Set the environment before any kernel starts."""
    from tests.data_root import CACHED_ROOT, SHARED_DATA, prepare_test_root

    os.environ.setdefault("CNNLIB_QUICK", "1")
    if "CNNLIB_DATA" not in os.environ and SHARED_DATA.is_dir():
        os.environ["CNNLIB_DATA"] = str(prepare_test_root(SHARED_DATA, CACHED_ROOT))
