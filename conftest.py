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


MAIN_ENV_ONLY = {"test_site.py": "the website's tools (Sphinx, myst-nb) are not part of Colab's environment",
                 "test_series_lab.py": "JupyterLab is not part of Colab's environment (classic Notebook 6 is)"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In the Colab-like environment (CNNLIB_ENV=colab, series.sh), leave out the tests of tools it does not have."""
    if os.environ.get("CNNLIB_ENV") != "colab":
        return
    left = [item for item in items if item.path.name in MAIN_ENV_ONLY]
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = [item for item in items if item.path.name not in MAIN_ENV_ONLY]
        for name, why in MAIN_ENV_ONLY.items():
            print(f"\n[colab environment] {name} left out: {why}")
