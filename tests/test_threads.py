"""PyTorch's threads follow the CPUs this process may use: its affinity mask and its cgroup's CPU quota (v2 cpu.max,
v1 cpu.cfs_quota_us), never more; $CNNLIB_THREADS overrides; the banner says what was chosen and why."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from cnnlib import utils
from cnnlib.utils import configure_threads, cpu_budget, mode_banner

REPO = Path(__file__).resolve().parents[1]


def _fake_v2(tmp_path: Path, own: str, parent: str = "max 100000") -> tuple[str, tuple, tuple]:
    """A /proc/self/cgroup naming /seat/kernel and a cgroup v2 tree with cpu.max files."""
    (tmp_path / "v2" / "seat" / "kernel").mkdir(parents=True, exist_ok=True)
    (tmp_path / "v2" / "seat" / "cpu.max").write_text(parent + "\n")
    (tmp_path / "v2" / "seat" / "kernel" / "cpu.max").write_text(own + "\n")
    (tmp_path / "cgroup").write_text("0::/seat/kernel\n")
    return str(tmp_path / "cgroup"), (str(tmp_path / "v2"),), ()


def _fake_v1(tmp_path: Path, quota: int, period: int = 100000) -> tuple[str, tuple, tuple]:
    folder = tmp_path / "cpu" / "docker" / "abc"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cpu.cfs_quota_us").write_text(f"{quota}\n")
    (folder / "cpu.cfs_period_us").write_text(f"{period}\n")
    (tmp_path / "cgroup").write_text("4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n0::/\n")
    return str(tmp_path / "cgroup"), (), (str(tmp_path / "cpu"),)


@pytest.fixture
def eight_cpus(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)


def test_a_v2_quota_below_the_affinity_wins(tmp_path, eight_cpus):
    budget = cpu_budget(*_fake_v2(tmp_path, "200000 100000"))
    assert budget == (2, "a cgroup CPU quota of 2 CPUs; 8 in its CPU affinity")


def test_a_fractional_quota_rounds_down_but_never_to_zero(tmp_path, eight_cpus):
    assert cpu_budget(*_fake_v2(tmp_path, "150000 100000"))[0] == 1
    assert cpu_budget(*_fake_v2(tmp_path, "50000 100000"))[0] == 1


def test_a_parents_quota_limits_its_children(tmp_path, eight_cpus):
    n, why = cpu_budget(*_fake_v2(tmp_path, "max 100000", parent="300000 100000"))
    assert n == 3 and "quota of 3 CPUs" in why


def test_no_quota_means_the_affinity(tmp_path, eight_cpus):
    assert cpu_budget(*_fake_v2(tmp_path, "max 100000")) == (8, "8 CPUs in its CPU affinity")
    assert cpu_budget(str(tmp_path / "no-such-file")) == (8, "8 CPUs in its CPU affinity")


def test_a_quota_above_the_affinity_is_not_used(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    n, why = cpu_budget(*_fake_v2(tmp_path, "400000 100000"))
    assert n == 2 and why == "2 CPUs in its CPU affinity, within a cgroup quota of 4"


def test_a_v1_quota_and_its_period(tmp_path, eight_cpus):
    assert cpu_budget(*_fake_v1(tmp_path, 300000, 100000))[0] == 3
    assert cpu_budget(*_fake_v1(tmp_path, 50000, 25000))[0] == 2
    assert cpu_budget(*_fake_v1(tmp_path, -1))[0] == 8  # -1: no quota


def test_configure_threads_sets_torch_and_says_why(monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.setattr(utils, "cpu_budget", lambda: (1, "a cgroup CPU quota of 1 CPU; 2 in its CPU affinity"))
        monkeypatch.delenv("CNNLIB_THREADS", raising=False)
        assert configure_threads().startswith("1 CPU thread for PyTorch (a cgroup CPU quota of 1 CPU")
        assert torch.get_num_threads() == 1
        monkeypatch.setenv("CNNLIB_THREADS", "2")
        assert configure_threads().startswith("2 CPU threads for PyTorch ($CNNLIB_THREADS=2")
        assert torch.get_num_threads() == 2
        assert "CPU thread" in mode_banner().splitlines()[1]
        for bad in ("two", "0", "-1", "1.5"):
            monkeypatch.setenv("CNNLIB_THREADS", bad)
            with pytest.raises(ValueError, match=r"\$CNNLIB_THREADS must be a whole number of threads"):
                configure_threads()
    finally:
        torch.set_num_threads(before)


def test_importing_cnnlib_sets_the_passive_openmp_wait_before_torch_loads():
    code = ("import os; import cnnlib, torch; "
            "print(os.environ['OMP_WAIT_POLICY'], torch.get_num_threads(), len(os.sched_getaffinity(0)))")
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "CNNLIB_THREADS")}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[0] == "PASSIVE" and int(out[1]) <= int(out[2])
    env["OMP_WAIT_POLICY"] = "ACTIVE"  # a setting of the user's own is kept
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                          check=True).stdout.split()[0] == "ACTIVE"


def _spin_count(code: str, env: dict) -> str:
    """GOMP_SPINCOUNT as GNU OpenMP itself reports it when it starts (0: waiting threads sleep at once)."""
    err = subprocess.run([sys.executable, "-c", code], cwd=REPO, env={**env, "OMP_DISPLAY_ENV": "VERBOSE"},
                         capture_output=True, text=True, check=True).stderr
    found = [line.split("=")[1].strip(" '") for line in err.splitlines() if "GOMP_SPINCOUNT" in line]
    if not found:
        pytest.skip("PyTorch here does not use GNU OpenMP (no GOMP_SPINCOUNT reported)")
    return found[0]


def test_openmp_really_runs_with_the_passive_wait_when_cnnlib_comes_first():
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "CNNLIB_THREADS")}
    assert _spin_count("import cnnlib", env) == "0"
    assert _spin_count("import cnnlib.train", env) == "0"  # what `python -m cnnlib.train` imports first
    assert _spin_count("import torch, cnnlib", env) == "300000"  # too late: OpenMP started with its default


def test_a_notebook_kernel_gets_the_passive_wait_from_the_first_cell(tmp_path):
    """The notebooks' first cell sets it before PyTorch loads: run that cell and an import in a Jupyter kernel."""
    import nbformat
    from nbclient import NotebookClient

    first = nbformat.read(REPO / "notebooks" / "06_lenet.ipynb", as_version=4).cells[1]
    assert 'os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")' in first.source
    report = ("import os, tempfile\n"
              "f, saved = tempfile.TemporaryFile(), os.dup(2)\n"
              "os.dup2(f.fileno(), 2)  # OpenMP writes its report to the process's stderr when PyTorch loads it\n"
              "import torch, cnnlib\n"
              "os.dup2(saved, 2)\n"
              "f.seek(0)\n"
              "print(f.read().decode())")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(first.source), nbformat.v4.new_code_cell(report)])
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "CNNLIB_THREADS")}
    old = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env, OMP_DISPLAY_ENV="VERBOSE")  # the kernel inherits this process's environment
        NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
                       ).execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    if "GOMP_SPINCOUNT" not in text:
        pytest.skip("PyTorch here does not use GNU OpenMP (no GOMP_SPINCOUNT reported)")
    assert "GOMP_SPINCOUNT = '0'" in text


def test_the_banner_says_when_openmp_started_before_cnnlib_could_choose():
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "CNNLIB_THREADS", "GOMP_SPINCOUNT")}
    said = subprocess.run([sys.executable, "-c", "import torch, cnnlib; print(cnnlib.utils.configure_threads())"],
                          cwd=REPO, env=env, capture_output=True, text=True, check=True).stdout
    assert "OpenMP's default wait: PyTorch was imported before cnnlib" in said
    notebook_order = ("import os; os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE'); import torch, cnnlib; "
                      "print(cnnlib.utils.configure_threads())")  # the first cell, then the imports cell
    said = subprocess.run([sys.executable, "-c", notebook_order], cwd=REPO, env=env, capture_output=True, text=True,
                          check=True).stdout
    assert "OpenMP wait policy: PASSIVE" in said and "before cnnlib" not in said
