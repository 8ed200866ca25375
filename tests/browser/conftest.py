"""Fixtures for the browser tests: a private Jupyter setup, JupyterLab, Notebook 7 and classic Notebook 6.5 servers,
one headless Chromium.

Everything lives in a temporary folder: Jupyter's config/data/runtime dirs, the settings overrides.json (no autosave,
no news, no windowing) and a copy of notebooks/ that the servers serve, so the UI can never save over the repo's
notebooks or touch a user's Jupyter setup. Servers listen on 127.0.0.1 with a random token and are stopped by PID.

Chromium: Debian's `chromium` (apt-get install chromium), driven by PyPI playwright with executable_path (never
`playwright install`). Set CNNLIB_CHROMIUM to use another binary. Without one the tests are skipped with a one-line
reason, except under CI (env CI set), where they fail.

Two environments (series.sh): the main one (CNNLIB_ENV unset or 'main': JupyterLab 4, Notebook 7, ipywidgets 8) runs
every test but the classic ones; the Colab-like one (CNNLIB_ENV=colab: classic Notebook 6.5, ipywidgets 7, no
JupyterLab) runs only the tests parametrized with server 'classic'. The others are deselected, with one line saying so.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(reason: str):
    """Skip with `reason`, or fail under CI: CI must never pass without running the browser tests."""
    if in_ci():
        pytest.fail(f"{reason}; CI is set, so the browser tests must run", pytrace=False)
    pytest.skip(f"{reason}; browser test skipped")


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: end-to-end widget tests in headless Chromium (tests/browser)")
    config.addinivalue_line("markers", "nb(prefix): the notebook a browser test opens, e.g. nb('02')")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.browser_failed = report.failed  # the page fixture saves a screenshot of a failed test
    return report


# ---------------------------------------------------------------- session: Chromium, Jupyter home, servers

@pytest.fixture(scope="session")
def chromium_path() -> str:
    candidates = [os.environ.get("CNNLIB_CHROMIUM", "")] + [
        shutil.which(n) or "" for n in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")]
    for path in candidates:
        if path and os.access(path, os.X_OK):
            return path
    unavailable("Chromium not found (Debian: apt-get install chromium; or set CNNLIB_CHROMIUM)")


@pytest.fixture(scope="session")
def jupyter_home(tmp_path_factory, chromium_path) -> dict:
    """A private Jupyter setup: config/data/runtime/IPython dirs, overrides.json and a copy of notebooks/ to serve."""
    from jupyter_ui import ARTIFACTS, write_overrides
    from make_harness_notebook import HARNESS_NOTEBOOK, write_harness_notebook

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in [*ARTIFACTS.glob("*.png"), *ARTIFACTS.glob("*.log")]:
        old.unlink()  # screenshots of an earlier run would mislead
    home = tmp_path_factory.mktemp("jupyter")
    root = home / "notebooks"
    shutil.copytree(REPO / "notebooks", root,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "runs", "checkpoints"))
    write_harness_notebook(root / HARNESS_NOTEBOOK)
    settings = home / "app-settings"
    write_overrides(settings)
    env = dict(os.environ)  # keeps CNNLIB_DATA, which the root conftest.py sets for every kernel
    for var in ("JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR", "JUPYTERLAB_DIR", "JUPYTER_PATH"):
        env.pop(var, None)
    dirs = {"JUPYTER_CONFIG_DIR": home / "config", "JUPYTER_DATA_DIR": home / "data",
            "JUPYTER_RUNTIME_DIR": home / "runtime", "IPYTHONDIR": home / "ipython"}
    for var, path in dirs.items():
        path.mkdir()
        env[var] = str(path)
    env.update(CNNLIB_QUICK="1", PYTHONUNBUFFERED="1", JUPYTER_PLATFORM_DIRS="0")  # widgets only need quick mode
    return {"root": root, "env": env, "settings": settings}


def _server(ui: str, jupyter_home: dict):
    from jupyter_ui import ARTIFACTS, JupyterServer

    server = JupyterServer(ui=ui, root=jupyter_home["root"], env=jupyter_home["env"],
                           settings_dir=jupyter_home["settings"], log_path=ARTIFACTS / f"jupyter-{ui}.log")
    try:
        server.start()
    except RuntimeError as err:
        pytest.fail(str(err), pytrace=False)
    return server


@pytest.fixture(scope="session")
def lab_server(jupyter_home):
    server = _server("lab", jupyter_home)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def notebook7_server(jupyter_home):
    server = _server("notebook", jupyter_home)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def classic_server(jupyter_home):
    """Classic Notebook 6.5 (`jupyter notebook` in the Colab-like environment), with the widgets nbextension."""
    import notebook

    if int(notebook.__version__.split(".")[0]) >= 7:
        pytest.fail(f"classic Notebook needs notebook<7 (here {notebook.__version__}): run the classic tests in the "
                    "Colab-like environment, CNNLIB_ENV=colab", pytrace=False)
    server = _server("classic", jupyter_home)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        chromium = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
    except Exception as err:  # noqa: BLE001 (any launch failure means: no usable Chromium here)
        pw.stop()
        unavailable(f"Chromium at {chromium_path} does not start: {str(err).splitlines()[0]}")
    yield chromium
    chromium.close()
    pw.stop()


# ---------------------------------------------------------------- per test: the UI, a page, screenshots

@pytest.fixture(params=["lab"])
def server(request):
    """The server of the UI a test runs in: 'lab' by default; parametrize indirectly with 'notebook' for NB7, or with
    'classic' for classic Notebook 6.5 (the Colab-like environment's UI)."""
    return request.getfixturevalue({"lab": "lab_server", "notebook": "notebook7_server",
                                    "classic": "classic_server"}[request.param])


@pytest.fixture(scope="session")
def contexts(browser):
    """One browser context per UI for the whole session, so Lab's scripts are fetched and compiled once (cache)."""
    from jupyter_ui import limit

    made = {}

    def get(ui: str):
        if ui not in made:
            made[ui] = browser.new_context(viewport={"width": 1400, "height": 1200})
            made[ui].set_default_timeout(limit(30_000))  # slower machines get longer (jupyter_ui.pace)
        return made[ui]

    yield get
    for context in made.values():
        context.close()


@pytest.fixture
def page(contexts, server, shots, request):
    """A fresh tab on `server`. On failure: a screenshot of the whole page and the page's JavaScript errors.
    Afterwards the tab is closed and the kernels are shut down."""
    from jupyter_ui import KernelWatch, restart_clock

    restart_clock()
    pg = contexts(server.ui).new_page()
    pg.page_errors = []  # Notebook 7 logs a harmless one on load, so they are reported, not failed on
    pg.on("pageerror", lambda e: pg.page_errors.append(str(e)))
    pg.kernel_watch = KernelWatch(pg)  # read by assert_no_traceback and run_all
    yield pg
    if getattr(request.node, "browser_failed", False):
        print("JavaScript errors on the page:", pg.page_errors or "none")
        try:
            shots(pg, "FAILED")
        except Exception:  # noqa: BLE001 (the page may be gone; the failure itself is what matters)
            pass
    pg.close()  # no beforeunload prompt: the tab just goes (the served copy is never saved)
    server.shutdown_kernels(wait=False)


@pytest.fixture
def shots(request):
    """`shots(page_or_locator, 'step')` saves test-artifacts/browser/<test>_<NN>-<step>.png."""
    from jupyter_ui import Shots

    return Shots(request.node.name)


@pytest.fixture
def notebook(request, jupyter_home) -> str:
    """The served notebook whose name starts with the test's `nb` mark, e.g. @pytest.mark.nb('02')."""
    prefix = request.node.get_closest_marker("nb").args[0]
    found = sorted(p.name for p in jupyter_home["root"].glob(f"{prefix}_*.ipynb"))
    if not found:
        unavailable(f"notebooks/{prefix}_*.ipynb does not exist (yet)")
    return found[0]


def colab_env() -> bool:
    """The Colab-like environment (series.sh: CNNLIB_ENV=colab): classic Notebook 6.5, ipywidgets 7, no JupyterLab."""
    return os.environ.get("CNNLIB_ENV", "main") == "colab"


def _classic(item) -> bool:
    callspec = getattr(item, "callspec", None)
    return callspec is not None and callspec.params.get("server") == "classic"


_DESELECTED = pytest.StashKey[str]()


@pytest.hookimpl(tryfirst=True)  # before -m filters on the mark
def pytest_collection_modifyitems(config, items):
    """Mark every browser test `browser`; keep only the classic Notebook ones in the Colab-like environment, and
    all but those in the main one (whose Notebook 7 is not classic)."""
    ours = [item for item in items if HERE in item.path.parents]
    for item in ours:
        item.add_marker(pytest.mark.browser)
    colab = colab_env()
    drop = [item for item in ours if _classic(item) != colab]
    if not drop:
        return
    dropped = set(drop)
    items[:] = [item for item in items if item not in dropped]
    config.hook.pytest_deselected(items=drop)
    config.stash[_DESELECTED] = (
        f"browser tests: {len(drop)} deselected, CNNLIB_ENV=colab runs only those in classic Notebook 6.5 "
        "(no JupyterLab or Notebook 7 there)" if colab else
        f"browser tests: {len(drop)} in classic Notebook 6.5 deselected; they run with CNNLIB_ENV=colab "
        "(this environment's Notebook 7 is not classic)")


def pytest_report_collectionfinish(config):
    return config.stash.get(_DESELECTED, None)
