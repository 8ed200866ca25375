"""Train every recipe with several seeds through the CLI, save the results, print the README's results table.

    .venv/bin/python tools/benchmark.py                  # all models x 3 seeds (about an hour on 2 cores)
    .venv/bin/python tools/benchmark.py --models lenet-modern --seeds 0 1
    .venv/bin/python tools/benchmark.py --table          # only print the table of tools/benchmark_results.json

Each run is `python -m cnnlib.train MODEL --dataset D --seed S --out TMP` in full mode, one at a time,
each holding the lock /tmp/cnn-heavy.lock (so no other heavy job shares the CPU). The JSON line of
every run, plus its wall time and the machine's load, goes into tools/benchmark_results.json.
"""
from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator, Optional

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "tools" / "benchmark_results.json"
LOCK = Path("/tmp/cnn-heavy.lock")

# (recipe name, dataset, notebook, a reference accuracy for the network and where it comes from)
MODELS = [
    ("lenet", "fashion-mnist", "06", "≈ 0.79 (d2l: sigmoid LeNet, 10 epochs, GPU)"),
    ("lenet-modern", "fashion-mnist", "06", "—"),
    ("vgg", "fashion-mnist", "07", "0.922 (d2l: VGG-11/4 at 224 px, GPU)"),
    ("resnet", "fashion-mnist", "08", "0.918 (d2l: ResNet-18 at 96 px, GPU)"),
    ("resnet-plain", "fashion-mnist", "08", "—"),
    ("mlp", "cifar10", "09", "0.503 (notes: 3072→100→10 MLP, 5 epochs)"),
    ("cnn", "cifar10", "09", "—"),
]


@contextlib.contextmanager
def heavy_lock(use: bool) -> Iterator[None]:
    """Hold /tmp/cnn-heavy.lock (shared with the other heavy jobs on this machine) while training."""
    if not use:
        yield
        return
    with open(LOCK, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _cpu_pressure() -> Optional[float]:
    """Linux's 'some avg60' CPU pressure in percent (time runnable tasks waited for a CPU), None elsewhere."""
    try:
        return float(Path("/proc/pressure/cpu").read_text().split()[2].split("=")[1])
    except (OSError, IndexError, ValueError):
        return None


def run_one(model: str, dataset: str, seed: int, data_root: Optional[str], lock: bool) -> dict:
    """One full-mode CLI run in a fresh checkpoint folder; its JSON line plus wall time and load."""
    env = {k: v for k, v in os.environ.items() if k != "CNNLIB_QUICK"}
    with tempfile.TemporaryDirectory() as out, heavy_lock(lock):
        cmd = [sys.executable, "-m", "cnnlib.train", model, "--dataset", dataset, "--seed", str(seed),
               "--out", out, "--no-progress"]
        if data_root:
            cmd += ["--data-root", data_root]
        t0 = time.perf_counter()
        run = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        pressure = _cpu_pressure()
    if run.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{run.stderr[-3000:]}")
    result = json.loads(run.stdout.strip().splitlines()[-1])
    result.pop("checkpoint", None)
    result.update(process_seconds=round(wall, 1), cpu_pressure_avg60=pressure)
    return result


def machine() -> dict:
    """What the numbers were measured on."""
    import torch
    cpu = platform.processor()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"cpu": cpu, "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__, "python": platform.python_version()}


def table(results: list[dict]) -> str:
    """The markdown results table: one row per (model, dataset), statistics over seeds."""
    rows = ["| notebook | model | dataset | test accuracy (mean ± std) | min–max | with its mirror (mean) | seeds "
            "| epochs | training s (median) | run s (median) | images/s (median) | reference (source) |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for model, dataset, notebook, lecture in MODELS:
        runs = [r for r in results if r["model"] == model and r["dataset"] == dataset]
        if not runs:
            continue
        acc = [r["test_accuracy"] for r in runs]
        std = statistics.stdev(acc) if len(acc) > 1 else 0.0
        mirrored = [r["test_accuracy_mirrored"] for r in runs if "test_accuracy_mirrored" in r]
        mirrored_mean = f"{statistics.mean(mirrored):.4f}" if len(mirrored) == len(runs) else "—"  # older runs: none
        rows.append(f"| {notebook} | `{model}` | {dataset} | {statistics.mean(acc):.4f} ± {std:.4f} "
                    f"| {min(acc):.4f}–{max(acc):.4f} | {mirrored_mean} | {len(runs)} | {runs[0]['epochs']} "
                    f"| {statistics.median(r['seconds'] for r in runs):.0f} "
                    f"| {statistics.median(r['process_seconds'] for r in runs):.0f} "
                    f"| {statistics.median(r['images_per_sec'] for r in runs):.0f} | {lecture} |")
    return "\n".join(rows)


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=[m for m, *_ in MODELS],
                        choices=[m for m, *_ in MODELS])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--data-root", help="dataset folder (default: $CNNLIB_DATA or ~/cnnlib-data)")
    parser.add_argument("--results", type=Path, default=RESULTS, help=f"JSON file (default: {RESULTS})")
    parser.add_argument("--table", action="store_true", help="only print the table of the saved results")
    parser.add_argument("--no-lock", action="store_true", help=f"do not take {LOCK}")
    args = parser.parse_args(argv)

    saved = json.loads(args.results.read_text()) if args.results.exists() else {"machine": {}, "runs": []}
    if not args.table:
        saved["machine"] = machine()
        started = time.perf_counter()
        for model, dataset, *_ in MODELS:
            if model not in args.models:
                continue
            for seed in args.seeds:
                result = run_one(model, dataset, seed, args.data_root, lock=not args.no_lock)
                saved["runs"] = [r for r in saved["runs"]
                                 if (r["model"], r["dataset"], r["seed"]) != (model, dataset, seed)] + [result]
                args.results.write_text(json.dumps(saved, indent=1) + "\n")  # after every run: nothing is lost
                print(json.dumps(result), flush=True)
        saved["machine"]["benchmark_seconds"] = round(time.perf_counter() - started, 1)
        args.results.write_text(json.dumps(saved, indent=1) + "\n")
    print(table(saved["runs"]))


if __name__ == "__main__":
    main()
