"""Execute notebooks in place (restart and run all), keep outputs and counts, drop saved widget state.

A widget's output is replaced by one line saying that the cell is interactive: without a kernel (GitHub, a website)
a widget can only show as "VBox(...)" text; every widget has a static figure of its first state just above it.

usage: python tools/run_notebook.py notebooks/02_corr2d.ipynb [...]      (full mode unless CNNLIB_QUICK=1)
This is how the committed notebooks are produced; see README "For authors". It prints each notebook's time and its
kernel's peak memory; `--seat-cpus 1 --seat-memory 1.5 --no-write` runs it as a JupyterHub seat of that size would.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Optional

import nbformat
from nbclient import NotebookClient

WIDGET = "application/vnd.jupyter.widget-view+json"
INTERACTIVE = "[An interactive widget: run this cell in Jupyter or Colab to use it. The figure above shows its first state.]"


def run(path: Path, timeout: int = 1200, show_cells: int = 0) -> tuple[float, Optional[float], Optional[float]]:
    """Execute the notebook in place; returns (seconds, the kernel's peak resident memory and its peak private
    memory in MiB, when known)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    t0 = time.perf_counter()
    with client.setup_kernel():
        sampler = _PrivatePeak(getattr(getattr(client.km, "provisioner", None), "process", None))
        client.on_cell_executed = lambda cell, cell_index, **_: sampler.cells.append((sampler.take(), cell_index))
        client.execute(cleanup_kc=False)
        seconds = time.perf_counter() - t0
        peak = _status_mb(sampler.process, "VmHWM")
        sampler.stop()
    nb.metadata.pop("widgets", None)  # saved widget state breaks GitHub's renderer
    for cell in nb.cells:
        for i, output in enumerate(cell.get("outputs", [])):
            if WIDGET in output.get("data", {}):
                cell.outputs[i] = nbformat.v4.new_output("display_data", data={"text/plain": INTERACTIVE})
    nbformat.write(nb, path)
    if show_cells:
        for mb, i in sorted(sampler.cells, key=lambda c: -(c[0] or 0))[:show_cells]:
            print(f"  cell {i:3d}: {mb or 0:,.0f} MiB private at its peak | {nb.cells[i].source.splitlines()[0][:70]}")
    return seconds, peak, sampler.peak


def _status_mb(process: object, field: str) -> Optional[float]:
    """A memory figure of Linux's /proc/PID/status in MiB: VmHWM (peak resident), RssAnon (private, now)..."""
    try:
        status = Path(f"/proc/{process.pid}/status").read_text()
    except (AttributeError, OSError):
        return None
    line = next((line for line in status.splitlines() if line.startswith(f"{field}:")), None)
    return None if line is None else int(line.split()[1]) / 1024


class _PrivatePeak(threading.Thread):
    """Samples the kernel's private (anonymous) memory every 20 ms; `peak` is the largest sample. Unlike VmHWM it
    leaves out the library files PyTorch maps (shared between processes; a memory limit can drop them)."""

    def __init__(self, process: object) -> None:
        super().__init__(daemon=True)
        self.process, self.peak, self._done = process, None, threading.Event()
        self.cells: list[tuple[Optional[float], int]] = []  # (peak since the cell before, cell index)
        self._since: Optional[float] = None
        self.start()

    def take(self) -> Optional[float]:
        """The peak since the last call."""
        peak, self._since = self._since, None
        return peak

    def run(self) -> None:
        while not self._done.wait(0.02):
            now = _status_mb(self.process, "RssAnon")
            if now is not None:
                self.peak, self._since = max(self.peak or 0.0, now), max(self._since or 0.0, now)

    def stop(self) -> None:
        self._done.set()
        self.join()


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--seat-cpus", type=float, help="run inside a cgroup with this CPU quota (tools/seat.py)")
    parser.add_argument("--seat-memory", type=float, metavar="GB", help="... and this memory limit")
    parser.add_argument("--no-write", action="store_true", help="execute a copy; leave the notebook as it is")
    parser.add_argument("--cells", type=int, default=0, metavar="K", help="list the K cells with the most memory")
    args = parser.parse_args(argv)
    seat = None
    if args.seat_cpus is not None or args.seat_memory is not None:
        sys.path.insert(0, str(Path(__file__).parent))
        from seat import Seat
        seat = Seat(args.seat_cpus, args.seat_memory)
        seat.join()  # the kernels this process starts are in the seat too
    try:
        for path in args.notebooks:
            target = path
            if args.no_write:  # a copy beside it: the kernel starts in the notebook's folder either way
                target = path.with_name(f".run-{path.name}")
                shutil.copyfile(path, target)
            try:
                seconds, peak, private = run(target, show_cells=args.cells)
            except Exception as err:  # noqa: BLE001 (a kernel killed for memory ends here: report and go on)
                print(f"{path}: failed: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}",
                      flush=True)
                continue
            finally:
                if args.no_write:
                    target.unlink(missing_ok=True)
            memory = "" if peak is None else f", peak memory {peak:,.0f} MiB resident, {private:,.0f} MiB private"
            print(f"{path}: {seconds:.1f} s{memory}", flush=True)
    finally:
        if seat is not None:
            print(f"seat ({args.seat_cpus} CPUs, {args.seat_memory} GB): peak {seat.peak_memory_mb():,.0f} MiB "
                  f"charged (page cache included)", flush=True)
            seat.leave()
            seat.remove()


if __name__ == "__main__":
    main()
