"""`bash series.sh lab` starts JupyterLab on the notebooks, as root too (containers, JupyterHub images), and prints an
address that opens it."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_series_lab_prints_an_address_that_opens_jupyterlab():
    port = free_port()
    env = {**os.environ, "CNNLIB_LAB_PORT": str(port)}
    proc = subprocess.Popen(["bash", "series.sh", "lab", "--no-browser"], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        first = proc.stdout.readline()
        url = re.search(r"open (http://127\.0\.0\.1:\d+/lab\?token=[0-9a-f]+)", first)
        assert url, first
        assert f":{port}/" in url.group(1)
        deadline, page = time.monotonic() + 120, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(url.group(1), timeout=5) as response:
                    page = response.read().decode()
                break
            except OSError:
                time.sleep(0.5)
        assert proc.poll() is None, "JupyterLab exited: " + proc.stdout.read()[-2000:]
        assert page is not None and "JupyterLab" in page
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # what we started, by its process group
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_series_lab_in_the_colab_like_environment_says_what_to_open_instead():
    done = subprocess.run(["bash", "series.sh", "lab"], cwd=REPO, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "CNNLIB_ENV": "colab"})
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("The Colab-like environment has classic Notebook 6, not JupyterLab")
    assert "jupyter notebook notebooks/" in done.stderr and done.stderr.count("\n") == 1
