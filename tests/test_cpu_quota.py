"""Inside a cgroup CPU quota smaller than the machine (a JupyterHub seat, a container), cnnlib gives PyTorch as many
threads as the quota allows, says so, and trains at the rate of that many CPUs.

The tests create a real cgroup with a quota of one CPU (cgroup v2 `cpu.max` where the v2 hierarchy has the cpu
controller, else v1 `cpu.cfs_quota_us`), which needs root and a writable cgroup file system; elsewhere they are skipped
with the reason.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterator

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
from seat import Seat  # noqa: E402 (tools/ is not a package)


@pytest.fixture
def one_cpu() -> Iterator[Callable[..., subprocess.CompletedProcess]]:
    """run(cmd, **kw): subprocess.run of cmd inside a fresh cgroup whose CPU quota is one CPU."""
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("a quota smaller than the machine needs at least 2 CPUs")
    try:
        seat = Seat(cpus=1.0)
    except OSError as err:
        pytest.skip(f"cannot create a cgroup with a CPU quota here ({err.strerror}: needs root and cgroup v1's cpu "
                    f"or v2's cpu.max)")

    def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
        return subprocess.run(cmd, cwd=REPO, preexec_fn=seat.join, capture_output=True, text=True, **kw)

    yield run
    seat.remove()


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("CNNLIB_THREADS", "OMP_WAIT_POLICY")}
    return {**env, **extra}


def test_inside_a_one_cpu_quota_pytorch_gets_one_thread_and_the_banner_says_why(one_cpu):
    code = "import cnnlib, torch; print(torch.get_num_threads()); print(cnnlib.mode_banner())"
    out = one_cpu([sys.executable, "-c", code], env=_env(), check=True).stdout.splitlines()
    assert out[0] == "1"
    assert out[2].startswith("1 CPU thread for PyTorch (a cgroup CPU quota of 1 CPU;"), out[2]
    assert out[2].endswith("OpenMP wait policy: PASSIVE)"), out[2]


def _rate(run: Callable, env: dict) -> dict:
    cmd = [sys.executable, "tools/benchmark.py", "--worker", "lenet-modern", "--seconds", "4", "--start-at", "0"]
    return json.loads(run(cmd, env=env, check=True).stdout.strip().splitlines()[-1])


def test_inside_a_one_cpu_quota_training_runs_at_the_rate_of_one_cpu(one_cpu):
    """The same training steps, one thread without a quota and cnnlib's choice inside the quota: inside is not
    slower by more than a third (three runs on 2 cores: 0.90, 1.17 and 1.24 times the rate without the quota)."""
    inside = _rate(one_cpu, _env())
    free = _rate(lambda cmd, **kw: subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, **kw),
                 _env(CNNLIB_THREADS="1"))
    assert inside["threads"] == 1 and free["threads"] == 1
    assert inside["images_per_sec"] > 0.67 * free["images_per_sec"], (inside, free)


def test_a_training_notebook_runs_inside_the_quota_in_quick_mode(one_cpu, tmp_path):
    """Notebook 06 (LeNet), executed by a fresh kernel inside the quota: every cell runs, the banner names the quota."""
    script = ("import sys, nbformat; from nbclient import NotebookClient; "
              "nb = nbformat.read(sys.argv[1], as_version=4); "
              "NotebookClient(nb, timeout=600, kernel_name='python3', "
              "resources={'metadata': {'path': sys.argv[2]}}).execute(); nbformat.write(nb, sys.argv[3])")
    out = tmp_path / "06.ipynb"
    one_cpu([sys.executable, "-c", script, str(REPO / "notebooks" / "06_lenet.ipynb"), str(REPO / "notebooks"),
             str(out)], env=_env(CNNLIB_QUICK="1"), check=True, timeout=900)
    text = "\n".join(o.get("text", "") for c in nbformat.read(out, as_version=4).cells if c.cell_type == "code"
                     for o in c.get("outputs", []))
    assert "QUICK MODE" in text
    assert "1 CPU thread for PyTorch (a cgroup CPU quota of 1 CPU;" in text
