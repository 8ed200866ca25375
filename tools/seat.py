"""A JupyterHub seat on this machine: a cgroup with a CPU quota and a memory limit, for measuring what a notebook
needs (tools/run_notebook.py --seat-cpus 1 --seat-memory 1.5) and for the quota tests (tests/test_cpu_quota.py).

JupyterHub's spawners turn `cpu_limit` and `mem_limit` into exactly these cgroup settings. Creating a cgroup needs
root and a writable cgroup file system (cgroup v2 with the cpu and memory controllers, or v1's cpu and memory
hierarchies); `Seat(...)` raises OSError with the reason elsewhere.
"""
from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Optional

PERIOD = 100_000  # microseconds: the period of a CPU quota


def _v2_root(controllers: set[str]) -> Optional[Path]:
    for root in (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified")):
        try:
            if controllers <= set((root / "cgroup.controllers").read_text().split()):
                return root
        except OSError:
            continue
    return None


class Seat:
    """A fresh cgroup limited to `cpus` CPUs and/or `memory_gb` GB. `seat.join(pid)` moves a process into it (its
    children follow); `seat.remove()` deletes it once its processes have ended. Memory limits kill a process that
    needs more (the kernel's OOM killer), as on a JupyterHub server."""

    def __init__(self, cpus: Optional[float] = None, memory_gb: Optional[float] = None) -> None:
        name = f"cnnlib-seat-{secrets.token_hex(4)}"
        wanted = {c for c, limit in (("cpu", cpus), ("memory", memory_gb)) if limit is not None}
        root = _v2_root(wanted)
        self.folders: list[Path] = []
        if root is not None:  # one group in the unified hierarchy
            with open(root / "cgroup.subtree_control", "w") as f:
                f.write(" ".join(f"+{c}" for c in sorted(wanted)))
            self.folders.append(root / name)
            self.folders[0].mkdir()
            if cpus is not None:
                (self.folders[0] / "cpu.max").write_text(f"{int(cpus * PERIOD)} {PERIOD}\n")
            if memory_gb is not None:
                (self.folders[0] / "memory.max").write_text(f"{int(memory_gb * 2**30)}\n")
                (self.folders[0] / "memory.swap.max").write_text("0\n")
            return
        try:  # cgroup v1: one group per controller
            if cpus is not None:
                self.folders.append(Path("/sys/fs/cgroup/cpu") / name)
                self.folders[-1].mkdir()
                (self.folders[-1] / "cpu.cfs_period_us").write_text(f"{PERIOD}\n")
                (self.folders[-1] / "cpu.cfs_quota_us").write_text(f"{int(cpus * PERIOD)}\n")
            if memory_gb is not None:
                self.folders.append(Path("/sys/fs/cgroup/memory") / name)
                self.folders[-1].mkdir()
                (self.folders[-1] / "memory.limit_in_bytes").write_text(f"{int(memory_gb * 2**30)}\n")
        except OSError:
            self.remove()
            raise

    def join(self, pid: int = 0) -> None:
        """Move process `pid` (0: this one) into the seat."""
        for folder in self.folders:
            with open(folder / "cgroup.procs", "w") as f:
                f.write(str(pid or os.getpid()))

    def leave(self) -> None:
        """Move this process back to the root groups (so that the seat can be removed while it lives on)."""
        for folder in self.folders:
            with open(folder.parent / "cgroup.procs", "w") as f:
                f.write(str(os.getpid()))

    def peak_memory_mb(self) -> Optional[float]:
        """The most memory the seat's processes held together (page cache included), in MiB."""
        for folder in self.folders:
            for name in ("memory.peak", "memory.max_usage_in_bytes"):
                try:
                    return int((folder / name).read_text()) / 2**20
                except OSError:
                    continue
        return None

    def remove(self) -> None:
        for folder in self.folders:
            for _ in range(50):  # the kernel lets a group go a moment after its last process ended
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)
