"""Seeds, devices, CPU threads and quick mode: the few settings every notebook shares, kept in one place."""
from __future__ import annotations

import contextlib
import os
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from cnnlib import _check

_QUICK_ENV = "CNNLIB_QUICK"
_THREADS_ENV = "CNNLIB_THREADS"
_CGROUP_V2 = ("/sys/fs/cgroup", "/sys/fs/cgroup/unified")  # the unified hierarchy, alone or beside v1's
_CGROUP_V1 = ("/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpuacct,cpu")


def set_seed(seed: int = 0) -> None:
    """Seed Python, NumPy and PyTorch (CPU and every GPU) so a run repeats exactly."""
    seed = _check.whole(seed, "seed", 0, 2**32 - 1, hint="; try set_seed(0)")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


def device() -> torch.device:
    """The best device available: CUDA, then Apple's MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def model_device(model: torch.nn.Module) -> torch.device:
    """The device of the model's first parameter or buffer (CPU when it has none)."""
    for t in _check.model(model).parameters():
        return t.device
    for t in model.buffers():
        return t.device
    return torch.device("cpu")


@contextlib.contextmanager
def eval_mode(model: torch.nn.Module) -> Iterator[None]:
    """Eval mode inside the `with` block; every layer's train/eval flag is restored afterwards."""
    flags = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for m, training in flags:
            m.training = training


@contextlib.contextmanager
def eval_no_grad(model: torch.nn.Module) -> Iterator[None]:
    """Eval mode and no autograd inside the `with` block; every layer's train/eval flag is restored afterwards."""
    with eval_mode(model), torch.no_grad():
        yield


def cpu_budget(proc_cgroup: str = "/proc/self/cgroup", v2_roots: tuple = _CGROUP_V2,
               v1_roots: tuple = _CGROUP_V1) -> tuple[int, str]:
    """(CPUs this process may really use, why): the fewer of the CPUs in its affinity mask and its cgroup's CPU quota
    (v2 cpu.max, v1 cpu.cfs_quota_us / cpu.cfs_period_us; the tightest of its own cgroup and its parents')."""
    try:
        cpus, where = len(os.sched_getaffinity(0)), "its CPU affinity"
    except AttributeError:  # macOS and Windows have no affinity masks
        cpus, where = os.cpu_count() or 1, "this machine"
    quota = _cgroup_quota(proc_cgroup, v2_roots, v1_roots)
    if quota is not None and quota < cpus:
        return max(1, int(quota)), f"a cgroup CPU quota of {quota:g} CPU{'s' * (quota != 1)}; {cpus} in {where}"
    return cpus, f"{cpus} CPUs in {where}" + ("" if quota is None else f", within a cgroup quota of {quota:g}")


def _cgroup_quota(proc_cgroup: str, v2_roots: tuple, v1_roots: tuple) -> Optional[float]:
    """The tightest CPU quota, in CPUs, on this process's cgroups and their parents; None when there is none."""
    try:
        lines = Path(proc_cgroup).read_text().splitlines()
    except OSError:
        return None
    quotas = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":  # cgroup v2: the line "0::/path"
            quotas += [_quota_along(Path(root), path, "cpu.max") for root in v2_roots]
        elif "cpu" in controllers.split(","):
            quotas += [_quota_along(Path(root), path, "cpu.cfs_quota_us") for root in v1_roots]
    quotas = [q for q in quotas if q is not None]
    return min(quotas) if quotas else None


def _quota_along(root: Path, path: str, name: str) -> Optional[float]:
    """The smallest quota in root/path and its parents up to root (a parent's quota limits its children too)."""
    found, folder = [], root / path.strip("/")
    for d in (folder, *[p for p in folder.parents if len(p.parts) >= len(root.parts)]):
        try:
            if name == "cpu.max":  # "max 100000" or "150000 100000"
                limit, period = (d / name).read_text().split()[:2]
                if limit != "max":
                    found.append(int(limit) / int(period))
            else:  # -1: no quota
                limit, period = int((d / name).read_text()), int((d / "cpu.cfs_period_us").read_text())
                if limit > 0:
                    found.append(limit / period)
        except (OSError, ValueError):
            continue
    return min(found) if found else None


def configure_threads() -> str:
    """Size PyTorch's thread pool to the CPUs this process may use ($CNNLIB_THREADS overrides); returns why.

    PyTorch counts the machine's cores, not the CPUs a container or a JupyterHub seat may use; more threads than
    CPUs make them wait for each other.
    """
    n, why = _threads_wanted()
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return _threads_line(n, why)


def _threads_wanted() -> tuple[int, str]:
    """(threads, why): $CNNLIB_THREADS when set, else the CPUs this process may use."""
    wanted = os.environ.get(_THREADS_ENV, "").strip()
    if not wanted:
        return cpu_budget()
    if not wanted.isdigit() or int(wanted) < 1:
        raise ValueError(f"${_THREADS_ENV} must be a whole number of threads such as 2, got "
                         f"{_check.short(wanted)}; unset it to let cnnlib choose")
    return int(wanted), f"${_THREADS_ENV}={wanted}"


def _threads_line(n: int, why: str) -> str:
    return f"{n} CPU thread{'s' * (n != 1)} for PyTorch ({why}; {_openmp_wait()})"


def _openmp_wait() -> str:
    """The wait policy OpenMP started with, as far as the environment tells."""
    if getattr(sys.modules.get("cnnlib"), "_OPENMP_STARTED_FIRST", False):
        return "OpenMP's default wait: PyTorch was imported before cnnlib"
    wait = f"OpenMP wait policy: {os.environ.get('OMP_WAIT_POLICY') or 'default'}"
    spin = os.environ.get("GOMP_SPINCOUNT")
    return wait + (f", GOMP_SPINCOUNT={spin}" if spin else "")


def quick_mode() -> bool:
    """True when the environment variable CNNLIB_QUICK is set to 1/true/yes (CI's fast path)."""
    return os.environ.get(_QUICK_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def mode_banner() -> str:
    """Two lines: whether this run is quick (a small subset, for CI) or full, and the CPU threads PyTorch uses."""
    if quick_mode():
        mode = ("QUICK MODE (CNNLIB_QUICK=1): small data subsets and few epochs, "
                "so numbers below are smoke tests, not results.")
    else:
        mode = "Full mode: real datasets, full training runs."
    n, why = _threads_wanted()  # the banner reports; cnnlib set the threads when it was imported
    if torch.get_num_threads() != n:
        n, why = torch.get_num_threads(), "set by torch.set_num_threads"
    return f"{mode}\n{_threads_line(n, why)}"
