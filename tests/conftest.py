"""Fixtures for the unit tests; the session environment (quick mode, CNNLIB_DATA) is set in ../conftest.py."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from tests.data_root import CACHED_ROOT, SHARED_DATA, prepare_test_root


@pytest.fixture(scope="session")
def real_data_root() -> Path:
    """A data root holding all three real datasets; skips (fails when $CI is set) if there is none."""
    from cnnlib.data import DATASETS, data_root, missing_files

    root = data_root()
    if any(missing_files(name, root) for name in DATASETS) and SHARED_DATA.is_dir():
        root = prepare_test_root(SHARED_DATA, CACHED_ROOT)  # CNNLIB_DATA was set to an incomplete folder
    missing = [str(p) for name in DATASETS for p in missing_files(name, root)]
    if missing:
        msg = (f"the real datasets are not in {root} (missing {missing[0]} and {len(missing) - 1} more) and "
               f"{SHARED_DATA} does not exist; set CNNLIB_DATA to a folder holding them")
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return root


@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """Tiny tensors: one thread is faster than two fighting over a busy CPU; restored afterwards.
    A module asks for it with `pytestmark = pytest.mark.usefixtures("one_torch_thread")`."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
