"""Test session setup for the unit tests and for nbval's notebook kernels (which inherit this environment):
quick mode on, and a writable data root (CNNLIB_DATA) built from ../shared/data when it exists."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1] / "shared" / "data"  # read-only copies of the downloads
CACHED_ROOT = Path(tempfile.gettempdir()) / "cnnlib-test-data"       # unpacked once, reused by later runs


def pytest_configure(config: pytest.Config) -> None:
    """Set the environment before any kernel starts."""
    os.environ.setdefault("CNNLIB_QUICK", "1")
    if "CNNLIB_DATA" not in os.environ and SHARED_DATA.is_dir():
        from cnnlib.data import prepare_test_root
        os.environ["CNNLIB_DATA"] = str(prepare_test_root(SHARED_DATA, CACHED_ROOT))
