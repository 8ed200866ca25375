"""Drive JupyterLab, Notebook 7 and classic Notebook 6.5 in headless Chromium the way a student does: open a notebook,
run all cells from the menu, then click, type, slide and pick in the widgets. The tests call these helpers; conftest.py
starts the servers and the browser.

Widgets are found by their stable CSS classes (`.add_class('cnn-...')` in cnnlib/widgets.py), never by position.
ipywidgets 8 (and 7, in classic Notebook) puts such a class on the widget's outer element: `.cnn-k00 input` is a
kernel entry, `.cnn-stride` a slider, `img.cnn-output` the widget's one picture.

The notebook's own parts (cells, outputs, the kernel's state) differ between the UIs: `UI_PARTS` holds their selectors,
and `open_notebook` records on the page which UI it opened (`page.jupyter_ui`), so the other helpers pick the right
ones. Classic Notebook ('classic') is the Colab-like environment's UI (CNNLIB_ENV=colab: Notebook 6.5, ipywidgets 7).
"""
from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

try:
    from playwright.sync_api import Locator, Page, expect
except ImportError:  # a laptop without the test extras: say so; CI must fail instead
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        raise
    pytest.skip("playwright is not installed (pip install -e .[test]); browser tests skipped", allow_module_level=True)

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "browser"  # not committed (.gitignore has test-artifacts/)

KERNEL_READY = '.jp-DebuggerBugButton[aria-disabled="false"]'  # enabled only once a real kernel answered (Lab & NB7)
KERNEL_IDLE = '.jp-Notebook-ExecutionIndicator[data-status="idle"]'
# Classic Notebook has no such button: its page objects say when the kernel has answered (kernel_info_reply) and
# when the widgets nbextension has given that kernel its widget manager (before that, widgets show as plain text).
CLASSIC_STATE = """() => {
    const nb = window.Jupyter && Jupyter.notebook, k = nb && nb.kernel;
    if (!k) return 'no kernel yet';
    if (!k.is_connected() || !k.info_reply || !k.info_reply.protocol_version) return 'kernel connecting';
    if (!k.widget_manager) return 'kernel ready, but the widgets nbextension has not loaded';
    return 'ready';
}"""
# A notebook's parts in each UI: a cell, a code cell, a cell's whole output area, one output, a code cell's prompt
# (it shows '*' while queued or running), the kernel-idle indicator; classic Notebook's menu items are found by id.
UI_PARTS = {
    "lab": {"cell": ".jp-Cell", "code_cell": ".jp-CodeCell", "outputs": ".jp-Cell-outputArea",
            "output": ".jp-OutputArea-output", "prompt": ".jp-InputPrompt", "idle": KERNEL_IDLE},
    "classic": {"cell": ".cell", "code_cell": ".code_cell", "outputs": ".output_wrapper", "output": ".output_area",
                "prompt": ".input_prompt", "idle": "#kernel_indicator_icon.kernel_idle_icon",
                "menu": "Cell", "Run All Cells": "#run_all_cells",
                "Run Selected Cell and All Below": "#run_all_cells_below"},
}
UI_PARTS["notebook"] = UI_PARTS["lab"]  # Notebook 7 is built from JupyterLab's parts

TRACEBACK = re.compile(r"Traceback \(most recent call last\)")  # Python's and IPython's headers both say it

# Settings that keep the UI from doing anything behind the test's back: no autosave (the served copy stays as it
# was), no news/update check (no network, no toast over the widgets), no windowing (every cell stays in the DOM).
OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension:plugin": {"autosave": False},
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
}


# ---------------------------------------------------------------- pace: limits follow the machine

# Seconds a fresh Python took to import PyTorch and cnnlib on the machine the limits below were set on (2 cores, quiet).
# A kernel starting and a quick-mode cell running cost about the same kind of work, so a machine or moment that is
# k times slower gets k times the limits; waits end as soon as the page shows what they wait for.
REFERENCE_IMPORT_S = 1.7


@functools.lru_cache(maxsize=None)
def pace() -> float:
    """How many times slower than the reference this machine is now (at least 1, at most 10): measured once per run by
    importing cnnlib in a fresh Python; $CNNLIB_BROWSER_PACE sets it by hand."""
    forced = os.environ.get("CNNLIB_BROWSER_PACE", "").strip()
    if forced:
        factor = max(1.0, float(forced))
    else:
        seconds = []
        for _ in range(2):  # the first import may read from a cold disk
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", "import cnnlib, torch"], cwd=REPO, check=True, capture_output=True)
            seconds.append(time.perf_counter() - t0)
        factor = min(10.0, max(1.0, min(seconds) / REFERENCE_IMPORT_S))
    trace(f"pace {factor:.2f}: limits are {factor:.2f} times those set on the reference machine")
    return factor


def limit(ms: float) -> float:
    """A limit in milliseconds set on the reference machine, for this machine."""
    return ms * pace()


_T0 = [time.monotonic()]


def ui_of(page: Page) -> str:
    """The UI `open_notebook` opened on this page: 'lab', 'notebook' (Notebook 7) or 'classic' (Notebook 6.5)."""
    return getattr(page, "jupyter_ui", "lab")


def part(page: Page, name: str) -> str:
    """The selector of a notebook part (UI_PARTS) in the UI open on `page`."""
    return UI_PARTS[ui_of(page)][name]


def trace(message: str) -> None:
    """A timestamped line on stdout (pytest shows it for a failed test, or always with -s)."""
    print(f"[{time.monotonic() - _T0[0]:6.1f}s] {message}", flush=True)


def restart_clock() -> None:
    _T0[0] = time.monotonic()


# ---------------------------------------------------------------- servers

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class JupyterServer:
    """One JupyterLab (`ui='lab'`), Notebook 7 (`ui='notebook'`) or classic Notebook 6.5 (`ui='classic'`, the Colab-like
    environment's `jupyter notebook`) server on 127.0.0.1, started from this Python."""

    ui: str
    root: Path  # the folder it serves (a temporary copy of notebooks/)
    env: dict
    settings_dir: Path  # holds overrides.json
    log_path: Path
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    proc: subprocess.Popen | None = None
    port: int = 0
    _shutdowns: list = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self, timeout: float = 120) -> "JupyterServer":
        cmd = [sys.executable, "-m", "jupyterlab" if self.ui == "lab" else "notebook", "--no-browser",
               "--ip=127.0.0.1", f"--port={free_port()}"]
        if self.ui == "classic":  # Notebook 6.5's own server (NotebookApp), not jupyter_server: no Lab settings
            cmd += [f"--NotebookApp.token={self.token}", f"--NotebookApp.notebook_dir={self.root}",
                    "--NotebookApp.terminals_enabled=False"]
        else:  # each server also loads the other's extension, and both serve /lab/api/settings: both get overrides
            cmd += [f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
                    "--ServerApp.terminals_enabled=False", f"--LabApp.app_settings_dir={self.settings_dir}",
                    f"--JupyterNotebookApp.app_settings_dir={self.settings_dir}"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")  # only when running as root (CI containers)
        self.log = open(self.log_path, "w", encoding="utf-8")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(cmd, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                     cwd=self.root, start_new_session=True)
        # The server writes jpserver-<pid>.json (classic: nbserver-<pid>.json) into JUPYTER_RUNTIME_DIR: it has the
        # port it really bound.
        prefix = "nbserver" if self.ui == "classic" else "jpserver"
        info = Path(self.env["JUPYTER_RUNTIME_DIR"]) / f"{prefix}-{self.proc.pid}.json"
        timeout *= pace()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter {self.ui} exited with {self.proc.returncode}:\n{self.log_tail()}")
            if info.exists():
                try:
                    self.port = json.loads(info.read_text())["port"]
                    self.api("GET", "api/status")
                    return self
                except (ValueError, KeyError, OSError):
                    pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"jupyter {self.ui} did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def api(self, method: str, path: str, body: dict | None = None):
        req = urllib.request.Request(self.base + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=30) as r:
            data = r.read()
        return json.loads(data) if data else None

    def start_session(self, notebook: str) -> None:
        """Start `notebook`'s kernel (the one its metadata names) as opening it would; the UI then attaches to it."""
        meta = json.loads((self.root / notebook).read_text(encoding="utf-8")).get("metadata", {})
        kernel = meta.get("kernelspec", {}).get("name", "python3")
        self.api("POST", "api/sessions", {"path": notebook, "name": notebook, "type": "notebook",
                                          "kernel": {"name": kernel}})

    def url(self, notebook: str, ui: str | None = None) -> str:
        """The address that opens `notebook` (a path relative to the served folder) in this server's UI, or in `ui`
        ('lab' or 'notebook': each of those two servers also serves the other UI). Notebook 7 and classic Notebook
        share the address /notebooks/<path>."""
        path = urllib.parse.quote(notebook)
        if (ui or self.ui) == "lab":  # ?reset: a fresh workspace, so earlier tests' tabs do not reopen
            return f"{self.base}lab/tree/{path}?reset&token={self.token}"
        return f"{self.base}notebooks/{path}?token={self.token}"

    def shutdown_kernels(self, wait: bool = True) -> None:
        """Shut every kernel down (a test's torch kernel holds hundreds of MB). With wait=False it happens in a
        background thread while the next test starts; stop() waits for those threads."""
        kernels = [k["id"] for k in self.api("GET", "api/kernels")]

        def shutdown() -> None:
            for kernel in kernels:
                try:
                    self.api("DELETE", f"api/kernels/{kernel}")
                except OSError:
                    pass

        if wait:
            shutdown()
        else:
            self._shutdowns.append(threading.Thread(target=shutdown, daemon=True))
            self._shutdowns[-1].start()

    def kernel_states(self) -> list[str]:
        """The execution state the server reports for each of its kernels ('starting', 'idle', 'busy', 'dead')."""
        try:
            return [k.get("execution_state", "") for k in self.api("GET", "api/kernels")]
        except OSError:
            return []

    def log_size(self) -> int:
        self.log.flush()
        return self.log_path.stat().st_size

    def log_tail(self, since: int = 0, limit: int = 4000) -> str:
        """The server's log (its kernels' stderr included) from byte `since`, at most its last `limit` characters."""
        self.log.flush()
        with open(self.log_path, "rb") as f:
            f.seek(since)
            return f.read().decode("utf-8", errors="replace")[-limit:]

    def stop(self) -> None:
        """Stop the server by its PID (SIGTERM, then SIGKILL after 15 s); kernels are shut down first."""
        for thread in self._shutdowns:
            thread.join(30)
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.shutdown_kernels()
            except OSError:
                pass
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if hasattr(self, "log"):
            self.log.close()


def write_overrides(settings_dir: Path) -> Path:
    settings_dir.mkdir(parents=True, exist_ok=True)
    path = settings_dir / "overrides.json"
    path.write_text(json.dumps(OVERRIDES, indent=2), encoding="utf-8")
    return path


# ---------------------------------------------------------------- notebooks

def open_notebook(page: Page, server: JupyterServer, notebook: str, timeout: float = 90_000,
                  ui: str | None = None) -> None:
    """Open `notebook` and wait until its kernel is connected and idle (`timeout`: ms on the reference machine).

    The toolbar reads "idle" before any kernel exists (Run All would then do nothing): the debugger button turns
    enabled only once a real kernel has answered, in JupyterLab and Notebook 7 alike. Classic Notebook is asked
    through its page objects (CLASSIC_STATE), which also say when the widgets nbextension is ready. A kernel the
    server reports dead fails at once, with the server's log. Records the UI on the page (`page.jupyter_ui`).
    """
    ui = ui or server.ui
    page.jupyter_ui = ui
    log_from = server.log_size()
    try:
        server.start_session(notebook)  # the kernel starts while the page loads; the page then connects to it
    except OSError:
        pass  # e.g. a kernel name this machine lacks: the page's own "Select Kernel" dialog deals with it
    page.goto(server.url(notebook, ui))
    if ui == "classic":  # "Kernel not found" offers a kernel to pick; its primary button sets it
        dialog = page.locator(".modal.in .modal-footer .btn-primary")
        state = lambda: page.evaluate(CLASSIC_STATE)  # noqa: E731
    else:  # "Select Kernel" when the notebook names an unknown kernel
        dialog = page.locator(".jp-Dialog .jp-mod-accept")
        ready = page.locator(KERNEL_READY).first
        state = lambda: "ready" if ready.is_visible() else "no kernel answered yet"  # noqa: E731
    timeout = limit(timeout)
    started = time.monotonic()
    while (now := state()) != "ready":
        if dialog.count():
            dialog.first.click()
        if "dead" in server.kernel_states():
            raise AssertionError(f"{notebook}: its kernel died while starting:\n{server.log_tail(log_from)}")
        if time.monotonic() - started > timeout / 1000:
            raise AssertionError(f"{notebook}: no kernel became ready in {ui} within {timeout / 1000:.0f} s "
                                 f"(pace {pace():.2f}; {now}; kernels: {server.kernel_states() or 'none'})")
        page.wait_for_timeout(250)
    trace(f"{notebook}: kernel ready after {time.monotonic() - started:.1f} s")
    page.locator(part(page, "idle")).first.wait_for(timeout=timeout)
    if ui == "classic":  # it would save the served copy every two minutes (the Lab UIs: overrides.json)
        page.evaluate("() => Jupyter.notebook.set_autosave_interval(0)")


def run_all(page: Page, cells: int, timeout: float = 120_000) -> None:
    """Run > Run All Cells from the menu bar (classic Notebook: Cell > Run All), then wait until the kernel has
    answered all `cells` non-empty code cells (counted off the websocket: a committed notebook already shows numbered
    prompts before it runs).

    `timeout` bounds one cell, not the run (ms on the reference machine): a slow machine that keeps finishing
    cells is waited for. Fails at once when a cell raises (Run All then stops, leaving later cells unrun) with the
    exception's text.
    """
    _run_menu(page, "Run All Cells", cells, timeout)


def _run_menu(page: Page, item: str, cells: int, timeout: float) -> None:
    watch: KernelWatch = page.kernel_watch
    start = watch.replies
    if ui_of(page) == "classic":
        page.locator("#menus a.dropdown-toggle", has_text=re.compile(rf"^\s*{part(page, 'menu')}\s*$")).click()
        page.locator(f"{part(page, item)} > a").click()
    else:
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).first.click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(rf"^{re.escape(item)}$")).first.click()
    timeout = limit(timeout)
    done, last_change = 0, time.monotonic()
    while done < cells:
        if watch or watch.replies_not_ok:
            raise AssertionError(f"{item} stopped after {done} of {cells} code cells: "
                                 f"{watch.replies_not_ok[:1]}\n{watch[0] if watch else ''}")
        if watch.replies - start > done:
            done, last_change = watch.replies - start, time.monotonic()
        elif time.monotonic() - last_change > timeout / 1000:
            raise AssertionError(f"{item}: code cell {done + 1} of {cells} did not finish within "
                                 f"{timeout / 1000:.0f} s (pace {pace():.2f})")
        page.wait_for_timeout(250)
    busy = page.locator(f"{part(page, 'code_cell')} {part(page, 'prompt')}", has_text="*")
    expect(busy).to_have_count(0)  # the page caught up


def code_cells(path: Path, start: str | None = None) -> int:
    """How many code cells of the notebook at `path` Run All executes (the UI skips blank ones); with `start`, only
    those from the first cell whose source contains `start` to the end."""
    sources = ["".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
               if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    if start is not None:
        sources = sources[next(i for i, src in enumerate(sources) if start in src):]
    return len(sources)


def run_from_cell(page: Page, server: JupyterServer, notebook: str, start: str, timeout: float = 120_000) -> None:
    """Click the code cell whose source contains `start`, then Run > Run Selected Cell and All Below; wait for them."""
    cell = page.locator(part(page, "code_cell")).filter(has_text=start).first
    cell.locator(part(page, "prompt")).click()
    _run_menu(page, "Run Selected Cell and All Below", code_cells(server.root / notebook, start), timeout)


def open_and_run_all(page: Page, server: JupyterServer, notebook: str) -> None:
    """Open `notebook` in the server's UI, wait for its kernel, run all cells from the menu and wait for the last."""
    open_notebook(page, server, notebook)
    trace(f"{notebook} open in {server.ui}, kernel idle")
    run_all(page, code_cells(server.root / notebook))
    trace(f"{notebook}: all cells ran")


def widget_cell(page: Page, css_class: str) -> Locator:
    """The notebook cell whose output holds the widget with CSS class `css_class` (e.g. 'cnn-kernel-preset')."""
    cell = page.locator(part(page, "cell")).filter(has=page.locator(f".{css_class}"))
    expect(cell).to_have_count(1, timeout=limit(30_000))
    cell.scroll_into_view_if_needed()
    return cell


# ---------------------------------------------------------------- what is shown

def img_hash(img: Locator, timeout: float = 30_000) -> str:
    """A short SHA-256 of the PNG bytes an ipywidgets Image shows (its src is a blob: URL; we fetch the bytes)."""
    expect(img).to_have_attribute("src", re.compile(r"\S"), timeout=limit(timeout))
    return img.evaluate(
        """async el => {
            const buf = await (await fetch(el.src)).arrayBuffer();
            const digest = await crypto.subtle.digest('SHA-256', buf);
            return [...new Uint8Array(digest)].map(b => b.toString(16).padStart(2, '0')).join('').slice(0, 16);
        }""")


def wait_for_new_image(img: Locator, old: str | set, timeout: float = 60_000) -> str:
    """Wait until `img` shows a picture whose hash is not `old` (one hash or a set of them); return the new hash."""
    olds = {old} if isinstance(old, str) else set(old)
    timeout = limit(timeout)
    deadline = time.monotonic() + timeout / 1000
    while True:
        h = img_hash(img)
        if h not in olds:
            return h
        if time.monotonic() > deadline:
            raise AssertionError(f"the picture did not change within {timeout / 1000:.0f} s (still {h})")
        time.sleep(0.2)


def settle(page: Page, timeout: float = 60_000) -> None:
    """Wait until the kernel has handled every change sent so far: the toolbar reads idle twice, 300 ms apart (queued
    widget messages flip it to idle for an instant between two of them)."""
    idle = page.locator(part(page, "idle")).first
    timeout = limit(timeout)
    deadline = time.monotonic() + timeout / 1000
    calm = 0
    while calm < 2:
        page.wait_for_timeout(300)
        calm = calm + 1 if idle.count() else 0
        if time.monotonic() > deadline:
            raise AssertionError(f"the kernel stayed busy for {timeout / 1000:.0f} s")


class KernelWatch(list):
    """What the kernels tell a page, read off its kernel websockets: every traceback (the list's items) and how many
    code cells have finished (`replies`).

    An exception in a widget callback is sent as an iopub `error` (Button.on_click) or as stderr text (an observer),
    with a widget message as parent: no cell shows it (JupyterLab puts it in its hidden log console), so the DOM alone
    would miss it. Every wire format is decoded: JSON text frames, the binary v1 kernel websocket protocol
    (jupyter_server) and classic Notebook's binary frames (a message with buffers, e.g. a widget's picture).
    """

    def __init__(self, page: Page):
        super().__init__()
        self.replies = 0  # successful execute_replies: one per code cell run (run_all counts them)
        self.replies_not_ok: list[str] = []  # 'error' or 'aborted' replies (cells Run All did not get through)
        page.on("websocket", self._socket)

    def _socket(self, ws) -> None:
        if "/api/kernels/" in ws.url:
            ws.on("framereceived", self._frame)

    def _frame(self, payload) -> None:
        try:
            if isinstance(payload, (bytes, bytearray)):
                classic = _classic_binary_message(bytes(payload))
                if classic is not None:
                    msg_type, content = classic["header"]["msg_type"], classic["content"]
                else:
                    from jupyter_server.services.kernels.connection.base import deserialize_msg_from_ws_v1
                    _, parts = deserialize_msg_from_ws_v1(bytes(payload))
                    msg_type, content = json.loads(parts[0])["msg_type"], json.loads(parts[3])
            else:
                msg = json.loads(payload)
                msg_type, content = msg["header"]["msg_type"], msg["content"]
        except (ValueError, KeyError, IndexError, TypeError, ImportError):
            return
        if msg_type == "execute_reply":
            if content.get("status") == "ok":
                self.replies += 1
            else:
                self.replies_not_ok.append(f"{content.get('status')}: {content.get('ename', '')} "
                                           f"{content.get('evalue', '')}".strip())
        elif msg_type == "error":
            trace = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(content.get("traceback", [])))  # without colours
            self.append(f"{content.get('ename')}: {content.get('evalue')}\n{trace[-2500:]}")
        elif msg_type == "stream" and content.get("name") == "stderr" and TRACEBACK.search(content.get("text", "")):
            self.append(content["text"][-2000:])


def _classic_binary_message(data: bytes) -> dict | None:
    """The JSON message of a classic Notebook binary frame (notebook.base.zmqhandlers.serialize_binary_message:
    4 bytes big-endian count n, n offsets, then the message and its buffers), or None when `data` is not one (a v1
    frame starts with a little-endian 8-byte count, which read this way gives no valid layout)."""
    if len(data) < 8:
        return None
    n = int.from_bytes(data[:4], "big")
    if not 1 <= n <= 1000 or len(data) < 4 * (n + 1):
        return None
    offsets = [int.from_bytes(data[4 * i:4 * i + 4], "big") for i in range(1, n + 1)] + [len(data)]
    if offsets[0] != 4 * (n + 1) or any(a > b for a, b in zip(offsets, offsets[1:])):
        return None
    try:
        return json.loads(data[offsets[0]:offsets[1]])
    except ValueError:
        return None


def assert_no_traceback(page: Page, server: JupyterServer | None = None, log_from: int = 0) -> None:
    """No Python traceback anywhere: none sent by the kernel (see KernelWatch; the `page` fixture records them),
    no error output in any cell, no traceback text in any output or widget, and (when `server` is given) none in the
    server's log (the kernel's own stderr) since byte `log_from`."""
    sent = getattr(page, "kernel_watch", [])
    assert not sent, "the kernel sent a traceback:\n" + "\n".join(sent)[-3000:]
    for text in page.locator(part(page, "output")).all_inner_texts():
        assert not TRACEBACK.search(text), "traceback in an output:\n" + text[-3000:]
    if server is not None:
        log = server.log_tail(since=log_from, limit=20_000)
        assert not TRACEBACK.search(log), "traceback in the kernel's stderr (did a callback raise?):\n" + log[-3000:]


# ---------------------------------------------------------------- acting like a student

def type_into(entry: Locator, value: str) -> None:
    """Type `value` into a text/number entry (replacing what is there) and press Enter, as a student would."""
    box = entry.locator("input, textarea").first if entry.evaluate("e => !/^(INPUT|TEXTAREA)$/.test(e.tagName)") \
        else entry
    box.click()
    box.press("ControlOrMeta+a")
    box.press_sequentially(value, delay=10)
    box.press("Enter")


def click_option(toggle: Locator, label: str) -> None:
    """Click the button labelled `label` in ToggleButtons / a Button (exact text)."""
    buttons = toggle.locator("button").filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
    if not buttons.count() and toggle.evaluate("e => e.tagName === 'BUTTON'"):
        buttons = toggle
    buttons.first.click()


def pick(dropdown: Locator, label: str | None = None, index: int | None = None) -> str:
    """Pick the option `label` (or the option at `index`) in a Dropdown (a <select>); returns the label picked."""
    select = dropdown.locator("select")
    if label is None:
        label = select.locator("option").nth(index).inner_text().strip()
    select.select_option(label=label)
    return label


def slider_value(slider: Locator) -> str:
    """The value a slider shows in its readout, as text."""
    return slider.locator(".widget-readout").inner_text().strip()


def move_slider(slider: Locator, value: float) -> None:
    """Drag a slider's handle with the mouse to where `value` sits on its track (as a student would).

    The arrow keys are no alternative: Notebook 7 does not pass them to an ipywidgets slider's handle. ipywidgets 8's
    sliders only (noUiSlider): ipywidgets 7, in classic Notebook, draws jQuery UI sliders, which no test drags yet.
    """
    page = slider.page
    handle = slider.locator(".noUi-handle").first
    lo, hi = (float(handle.get_attribute(a)) for a in ("aria-valuemin", "aria-valuemax"))
    handle.scroll_into_view_if_needed()
    track = slider.locator(".noUi-base").first.bounding_box()
    box = handle.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(track["x"] + (value - lo) / (hi - lo) * track["width"], y, steps=6)
    page.mouse.up()
    expect(slider.locator(".widget-readout")).to_have_text(_readout(value), timeout=limit(5_000))


def _readout(value) -> re.Pattern:
    """What a readout shows for `value`: '3' for an IntSlider, '0.50' or '0.5' for a FloatSlider."""
    v = float(value)
    return re.compile(rf"^\s*{int(v)}\s*$" if v == int(v) and isinstance(value, int) else
                      rf"^\s*{re.escape(str(value))}0*\s*$")


def set_slider(slider: Locator, value) -> None:
    """Type `value` into the slider's readout (ipywidgets makes it editable) and press Enter."""
    readout = slider.locator(".widget-readout")
    readout.click()
    readout.press("ControlOrMeta+a")
    readout.press_sequentially(str(value), delay=10)
    readout.press("Enter")


# ---------------------------------------------------------------- screenshots

def _safe(name: str) -> str:
    return re.sub(r"[^\w.-]+", "-", name).strip("-")


class Shots:
    """Screenshots of one test, numbered in the order taken: test-artifacts/browser/<test>_<NN>-<step>.png."""

    def __init__(self, test_name: str):
        self.prefix = _safe(test_name)
        self.paths: list[Path] = []

    def __call__(self, target: Page | Locator, step: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.prefix}_{len(self.paths) + 1:02d}-{_safe(step)}.png"
        target.screenshot(path=str(path), animations="disabled")
        self.paths.append(path)
        return path


# ---------------------------------------------------------------- one widget under test

class WidgetView:
    """One widget in the open notebook, found by a CSS class only it has (`anchor`): its controls, picture, status.

    Keeps the hash of the picture last seen, so `picture_changed()` waits for the next one and `picture_kept()`
    proves a rejected setting left the old picture in place.
    """

    def __init__(self, page: Page, anchor: str, shots: Shots, output: str = "cnn-output",
                 status: str = "cnn-status"):
        self.page, self.shots = page, shots
        self.cell = widget_cell(page, anchor)
        self.outputs = self.cell.locator(part(page, "outputs"))
        self.img = self.cell.locator(f"img.{output}")
        self.status = self.cell.locator(f".{status}")
        expect(self.img).to_have_count(1)
        self.last = img_hash(self.img)
        self.n_outputs = self.cell.locator(part(page, "output")).count()

    def shot(self, step: str) -> Path:
        """Screenshot of the widget's output (taken after each interaction: the 'after' of one is the 'before' of
        the next)."""
        path = self.shots(self.outputs, step)
        trace(f"screenshot {path.name}")
        return path

    def __call__(self, css_class: str) -> Locator:
        """The control with CSS class `css_class` (exactly one) inside this widget's cell."""
        control = self.cell.locator(f".{css_class}")
        expect(control).to_have_count(1)
        return control

    def picture_changed(self, timeout: float = 60_000) -> str:
        """Wait for a picture unlike the last one seen (check the status first: it is set after the picture)."""
        self.last = wait_for_new_image(self.img, self.last, timeout)
        trace(f"new picture {self.last}")
        return self.last

    def picture_kept(self) -> None:
        settle(self.page)
        assert img_hash(self.img) == self.last, "the picture changed although the setting was rejected"

    def says(self, pattern: str | re.Pattern, timeout: float = 60_000) -> None:
        """The status line contains `pattern` (text or regex)."""
        expect(self.status).to_contain_text(pattern, timeout=limit(timeout))
        trace(f"status: {self.status.inner_text()[:100]}")

    def assert_one_figure(self) -> None:
        """Still exactly one picture and no new output in the cell (changes replace the figure, never add one)."""
        settle(self.page)
        expect(self.cell.locator("img")).to_have_count(1)
        assert self.cell.locator(part(self.page, "output")).count() == self.n_outputs, "the widget's cell grew outputs"


def ten_changes(view: WidgetView, change, final: str | re.Pattern | None = None) -> None:
    """Call change(i) for i in 0..9 (each a student's change of one control, made without waiting for the picture,
    as an impatient student does); then the status reads `final` (if given), the picture is new, and only one.
    Screenshot: 'after-ten-changes'."""
    for i in range(10):
        change(i)
    trace("ten changes made")
    if final is not None:
        view.says(final)
    view.picture_changed()
    view.assert_one_figure()
    view.shot("after-ten-changes")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve_folder(folder: Path):
    """Serve `folder` over HTTP on 127.0.0.1 (a built site or slides) and yield its address; stop it afterwards."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
