"""Train every recipe with several seeds through the CLI, save the results, print the README's results table.

    .venv/bin/python tools/benchmark.py                  # all models x 3 seeds (about an hour on 2 cores)
    .venv/bin/python tools/benchmark.py --models lenet-modern --seeds 0 1
    .venv/bin/python tools/benchmark.py --table          # only print the table of tools/benchmark_results.json
    .venv/bin/python tools/benchmark.py --concurrent 2 4 --models lenet-modern vgg   # a class on one machine
    .venv/bin/python tools/benchmark.py --memory         # each recipe's peak resident memory
    .venv/bin/python tools/benchmark.py --roofline       # SGEMM GFLOP/s now; the table's GFLOP/s and % of SGEMM
    .venv/bin/python tools/benchmark.py --lecture-lenet  # d2l's LeNet recipe against the modern LeNet, to accuracy
    .venv/bin/python tools/benchmark.py --ablation --models lenet-modern --jobs 2  # each technique left out
    .venv/bin/python tools/benchmark.py --ablation --models cnn --techniques epochs --jobs 2  # twice the epochs
    .venv/bin/python tools/benchmark.py --profile --models vgg cnn   # where a training step spends its time

Each run is `python -m cnnlib.train MODEL --dataset D --seed S --out TMP` in full mode, one at a time,
each holding the lock /tmp/cnn-heavy.lock (so no other heavy job shares the CPU). The JSON line of
every run, plus its wall time and the machine's load, goes into tools/benchmark_results.json.

The roofline columns (--roofline, and at the end of every full run): each network's training FLOPs per image
(forward and backward of one batch, counted by torch.utils.flop_counter: convolutions and matrix products, 2 FLOPs
per multiply-add) times the images/s of its training step on random batches, against the GFLOP/s of a float32
matrix product (SGEMM, torch.mm of 1024 x 1024 matrices, median of 20), measured one after the other in the same run
on the same threads: how close training comes to what the machine's fastest kernel does. SGEMM is measured again at
the end, so that a machine that changed speed meanwhile shows.

--lecture-lenet trains d2l's LeNet recipe as the book gives it (sigmoid LeNet, SGD lr 0.1, batch 128, torchvision's
DataLoader with Resize and ToTensor and 4 workers, 10 epochs), then the series' modern LeNet recipe, each evaluated
on the test set after every epoch, and reports how many times less training time the modern LeNet needs to reach the
accuracy d2l's recipe ends with (training time only: the evaluations are not counted for either).

--ablation trains each recipe of --models once more per seed without each of its training techniques in turn
(ABLATIONS: the recipe with that one setting changed, everything else the same) and reports the test accuracy with
and without it; the recipe's own runs are those of the results table. A recipe's number of epochs is one such
setting: training twice as long shows what more time would buy, and the accuracy on the (unaugmented) training
images beside it shows whether the network still underfits or already overfits.

--concurrent N starts N processes that train the same recipe at the same moment (random batches of the dataset's
shape, so that the CPU and not the disk is measured) and reports each one's images/s and their sum, against one
process alone; with --settings it repeats that under other thread/OpenMP settings of the environment.
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterator, Optional

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

# Each technique of a recipe, and the command-line arguments that leave it out (--ablation)
ABLATIONS = {
    "lenet-modern": [("flips", ["--augment", "none"]), ("label smoothing", ["--label-smoothing", "0"]),
                     ("batches of 256, 15 epochs (not 128, 12: the same time)",
                      ["--batch-size", "128", "--epochs", "12", "--lr", "0.1"]),
                     ("15 epochs, not 30 (half the time)", ["--epochs", "30"])],
    "cnn": [("8 epochs, not 16 (half the time)", ["--epochs", "16"])],
}


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


def run_with_peak(cmd: list[str], env: dict) -> tuple[int, str, str, float]:
    """Run cmd; its exit code, stdout, stderr and peak resident memory in MiB (the kernel's ru_maxrss of the child)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return proc.returncode, out.read(), err.read(), usage.ru_maxrss / 1024  # Linux reports KiB


def _cli(model: str, dataset: str, out: str, data_root: Optional[str], *extra: str) -> list[str]:
    """The full-mode command line that trains one recipe into the folder `out`."""
    return [sys.executable, "-m", "cnnlib.train", model, "--dataset", dataset, *extra, "--out", out,
            "--no-progress"] + (["--data-root", data_root] if data_root else [])


def memory(models: list[str], data_root: Optional[str]) -> list[dict]:
    """Each recipe's peak resident memory through the CLI in full mode, one epoch (data loaded whole, every step
    and the evaluations run once: later epochs allocate nothing new)."""
    env = {k: v for k, v in os.environ.items() if k != "CNNLIB_QUICK"}
    rows = []
    for model, dataset, *_ in MODELS:
        if model not in models:
            continue
        with tempfile.TemporaryDirectory() as out:
            cmd = _cli(model, dataset, out, data_root, "--epochs", "1")
            returncode, _, stderr, peak_mb = run_with_peak(cmd, env)
        if returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{stderr[-3000:]}")
        rows.append({"model": model, "dataset": dataset, "peak_memory_mb": round(peak_mb)})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def run_one(model: str, dataset: str, seed: int, data_root: Optional[str], lock: bool, *extra: str,
            threads: Optional[int] = None) -> dict:
    """One full-mode CLI run in a fresh checkpoint folder (`extra`: more arguments, e.g. an ablation's; `threads`:
    PyTorch's threads, default the CPUs it may use); its JSON line plus wall time and load."""
    env = {k: v for k, v in os.environ.items() if k != "CNNLIB_QUICK"}
    if threads is not None:
        env["CNNLIB_THREADS"] = str(threads)
    with tempfile.TemporaryDirectory() as out, heavy_lock(lock):
        cmd = _cli(model, dataset, out, data_root, "--seed", str(seed), *extra)
        t0 = time.perf_counter()
        returncode, stdout, stderr, peak_mb = run_with_peak(cmd, env)
        wall = time.perf_counter() - t0
        pressure = _cpu_pressure()
    if returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{stderr[-3000:]}")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["peak_memory_mb"] = round(peak_mb)
    result.pop("checkpoint", None)
    result.update(process_seconds=round(wall, 1), cpu_pressure_avg60=pressure)
    return result


_TORCH_FIRST = "CNNLIB_BENCHMARK_TORCH_FIRST"  # a worker started with it imports torch before cnnlib
SETTINGS = {  # environment settings compared by --concurrent (what each process is started with)
    "cnnlib's: passive OpenMP wait": {},
    # PyTorch loads OpenMP before cnnlib can choose its wait policy: OpenMP's own default (spin, then sleep)
    "PyTorch's default OpenMP wait": {_TORCH_FIRST: "1"},
    "default wait, 1 thread each": {_TORCH_FIRST: "1", "CNNLIB_THREADS": "1"},
    "spin 10,000 then sleep": {_TORCH_FIRST: "1", "GOMP_SPINCOUNT": "10000"},
}


def _worker(model: str, seconds: float, start_at: float) -> None:
    """One process of --concurrent: train RECIPES[model] on random batches from start_at on for `seconds`, then
    print its images/s as one JSON line."""
    if os.environ.get(_TORCH_FIRST):
        import torch  # noqa: F401 (OpenMP starts here, with its default wait policy)
    import cnnlib  # noqa: F401 (otherwise first: cnnlib sets the OpenMP wait policy before PyTorch loads)
    import torch

    print(json.dumps({"images_per_sec": step_rate(model, seconds, start_at),
                      "threads": torch.get_num_threads()}), flush=True)


def training_step(model: str) -> Callable[[], None]:
    """One training step of RECIPES[model] (augmentation, forward, loss, backward, update) on a fixed random batch of
    its dataset's shape, as a function: the CPU's work, without the disk."""
    import torch

    from cnnlib import set_seed
    from cnnlib.data import dataset_info
    from cnnlib.train import RECIPES

    recipe = RECIPES[model]
    info = dataset_info(recipe.dataset)
    set_seed(0)
    net = recipe.model()
    optimizer, _ = recipe.optimizer(net, steps_per_epoch=1000)
    X, y = torch.randn(recipe.batch_size, *info.shape), torch.randint(0, len(info.classes), (recipe.batch_size,))
    loss_fn = recipe.loss_fn()

    def step() -> None:
        loss = loss_fn(net(recipe.augment(X) if recipe.augment else X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return step


def step_rate(model: str, seconds: float, start_at: float = 0.0) -> float:
    """Images/s of RECIPES[model]'s training step (augmentation, forward, backward, update) on random batches of its
    dataset's shape, timed from start_at (or at once) for `seconds`: the CPU's work, without the disk."""
    from cnnlib.train import RECIPES

    step = training_step(model)
    for _ in range(3):  # warm-up: the first steps allocate memory and pick kernels
        step()
    time.sleep(max(0.0, start_at - time.time()))  # every worker of --concurrent starts its clock at the same moment
    steps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        step()
        steps += 1
    return steps * RECIPES[model].batch_size / (time.perf_counter() - t0)


def concurrent(model: str, n: int, seconds: float, env: dict) -> dict:
    """n workers started together, each in its own process with env added: their images/s and the sum."""
    start_at = time.time() + 10 + 3 * n  # time to import and build; then all start together
    base = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "CNNLIB_THREADS")}
    procs = [subprocess.Popen([sys.executable, __file__, "--worker", model, "--seconds", str(seconds),
                               "--start-at", str(start_at)], cwd=REPO, env={**base, **env},
                              stdout=subprocess.PIPE, text=True) for _ in range(n)]
    lines = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
    rates = [line["images_per_sec"] for line in lines]
    return {"model": model, "processes": n, "env": env, "threads": lines[0]["threads"],
            "images_per_sec": [round(r) for r in rates], "aggregate": round(sum(rates))}


def load_table(runs: list[dict]) -> str:
    """--concurrent's results: per setting and model, each N against one process alone under that setting."""
    rows = ["| setting | model | processes | images/s of each | sum | sum / alone | slowest / fair share |",
            "|---|---|---|---|---|---|---|"]
    for run in runs:
        alone = next(r["aggregate"] for r in runs if r["processes"] == 1 and r["model"] == run["model"]
                     and r["setting"] == run["setting"])
        fair = alone / run["processes"]
        rows.append(f"| {run['setting']} | `{run['model']}` | {run['processes']} | "
                    f"{', '.join(f'{r:,}' for r in run['images_per_sec'])} | {run['aggregate']:,} | "
                    f"{run['aggregate'] / alone:.0%} | {min(run['images_per_sec']) / fair:.0%} |")
    return "\n".join(rows)


def memory_table(rows: list[dict]) -> str:
    """--memory's results, one row per recipe."""
    lines = ["| recipe | dataset | peak resident memory (MiB) |", "|---|---|---|"]
    lines += [f"| `{r['model']}` | {r['dataset']} | {r['peak_memory_mb']:,} |" for r in rows]
    return "\n".join(lines)


def train_flops_per_image(model: str, batch: int = 8) -> float:
    """FLOPs of one training step of RECIPES[model] per image: forward, loss and backward of a batch of random
    images, as torch.utils.flop_counter counts them (convolutions and matrix products; 2 per multiply-add)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from cnnlib.data import dataset_info
    from cnnlib.train import RECIPES

    recipe = RECIPES[model]
    net = recipe.model()
    info = dataset_info(recipe.dataset)
    X, y = torch.randn(batch, *info.shape), torch.randint(0, len(info.classes), (batch,))
    counter = FlopCounterMode(display=False)
    with counter:
        torch.nn.functional.cross_entropy(net(X), y).backward()
    return counter.get_total_flops() / batch


PROFILE_GROUPS = {  # torch.profiler's operator names -> what a student calls them (--profile)
    "convolution": ("convolution",), "matrix product": ("aten::mm", "aten::addmm"),
    "batch normalisation": ("batch_norm",), "ReLU or sigmoid": ("threshold_backward", "clamp_min", "relu", "sigmoid"),
    "pooling": ("max_pool", "avg_pool"), "optimiser": ("SGD.step", "_foreach"),
}


def profile_step(model: str, steps: int = 10) -> dict[str, float]:
    """Share of one training step's CPU time (self time of each operator, torch.profiler) per PROFILE_GROUPS group
    for RECIPES[model] on random batches; the rest is "other"."""
    from torch.profiler import ProfilerActivity, profile

    step = training_step(model)
    for _ in range(3):
        step()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            step()
    events = [e for e in prof.key_averages() if e.self_cpu_time_total > 0]
    total = sum(e.self_cpu_time_total for e in events)
    shares = dict.fromkeys([*PROFILE_GROUPS, "other"], 0.0)
    for e in events:
        group = next((g for g, keys in PROFILE_GROUPS.items() if any(k in e.key for k in keys)), "other")
        shares[group] += e.self_cpu_time_total / total
    return {g: round(v, 3) for g, v in shares.items()}


def sgemm_gflops(n: int = 1024, repeats: int = 20) -> float:
    """GFLOP/s of a float32 matrix product of two n x n matrices on PyTorch's threads (median of `repeats`)."""
    import torch

    A, B = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3):
        torch.mm(A, B)  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        torch.mm(A, B)
        times.append(time.perf_counter() - t0)
    return 2 * n ** 3 / statistics.median(times) / 1e9


def lecture_lenet(data_root: Optional[str], seed: int = 0) -> dict:
    """d2l's LeNet recipe as the book gives it, then the series' modern LeNet recipe: test accuracy after each epoch
    and training seconds; how many times less training time the modern LeNet needs to reach d2l's final accuracy."""
    import torch
    import torchvision
    from torchvision import transforms

    from cnnlib import LeNet, set_seed
    from cnnlib.data import data_root as default_root, load_data
    from cnnlib.models import materialize
    from cnnlib.train import RECIPES, evaluate, fit

    root = str(default_root(data_root))
    trans = transforms.Compose([transforms.Resize((28, 28)), transforms.ToTensor()])  # d2l.FashionMNIST's
    train, test = (torchvision.datasets.FashionMNIST(root, train=t, transform=trans, download=False)
                   for t in (True, False))
    loaders = [torch.utils.data.DataLoader(d, batch_size=128, shuffle=t, num_workers=4)
               for d, t in ((train, True), (test, False))]
    set_seed(seed)
    net = materialize(LeNet(), (1, 1, 28, 28))  # d2l's init_cnn (Xavier), as the book applies it
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    lecture = {"recipe": "d2l LeNet (sigmoid, SGD lr 0.1, batch 128, DataLoader + ToTensor, 10 epochs)",
               "seconds": [], "test_accuracy": []}
    for _ in range(10):
        net.train()
        t0 = time.perf_counter()
        for X, y in loaders[0]:
            loss = torch.nn.functional.cross_entropy(net(X), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        lecture["seconds"].append(time.perf_counter() - t0)
        lecture["test_accuracy"].append(evaluate(net, loaders[1])[1])
    recipe = RECIPES["lenet-modern"]
    set_seed(seed)
    data = load_data("fashion-mnist", batch_size=recipe.batch_size, val_size=5000, seed=seed, root=data_root,
                     augment=recipe.augment)
    net = recipe.model()
    optimizer, scheduler = recipe.optimizer(net, len(data.train))
    history = fit(net, data.train, data.test, epochs=recipe.epochs, optimizer=optimizer, scheduler=scheduler,
                  loss_fn=recipe.loss_fn(), progress=False)  # the test set as fit's validation set: its accuracy after every epoch
    modern = {"recipe": f"the series' lenet-modern ({recipe.epochs} epochs)", "test_accuracy": history.val_acc,
              "seconds": [data.train.dataset_size / rate for rate in history.images_per_sec]}
    target = lecture["test_accuracy"][-1]
    reached = next((i for i, acc in enumerate(modern["test_accuracy"]) if acc >= target), None)
    lecture_time, modern_time = sum(lecture["seconds"]), (None if reached is None else
                                                          sum(modern["seconds"][:reached + 1]))
    return {"seed": seed, "target": target, "lecture": lecture, "modern": modern,
            "lecture_seconds": round(lecture_time, 1),
            "modern_epochs_to_target": None if reached is None else reached + 1,
            "modern_seconds_to_target": None if modern_time is None else round(modern_time, 1),
            "times_faster": None if modern_time is None else round(lecture_time / modern_time, 1)}


def lecture_summary(run: dict) -> str:
    """--lecture-lenet's result in two lines."""
    lecture, modern = run["lecture"], run["modern"]
    first = (f"{lecture['recipe']}: test accuracy {run['target']:.4f} after {run['lecture_seconds']:.0f} s of "
             f"training ({statistics.median(lecture['seconds']):.1f} s per epoch)")
    if run["times_faster"] is None:
        return first + f"\n{modern['recipe']}: never reached it (best {max(modern['test_accuracy']):.4f})"
    return first + (f"\n{modern['recipe']}: reached it after epoch {run['modern_epochs_to_target']}, "
                    f"{run['modern_seconds_to_target']:.0f} s of training: {run['times_faster']}x faster")


def roofline(models: list[str], seconds: float) -> dict:
    """SGEMM GFLOP/s, then each model's training FLOPs per image and step rate, one after the other in one run."""
    found = {**machine(), "date": time.strftime("%Y-%m-%d"), "sgemm_gflops": round(sgemm_gflops(), 1), "models": {}}
    for model in models:
        rate = step_rate(model, seconds)
        flops = train_flops_per_image(model)
        found["models"][model] = {"mflop_per_image": round(flops / 1e6, 3), "step_images_per_sec": round(rate),
                                  "gflops": round(flops * rate / 1e9, 1)}
        print(json.dumps({"model": model, **found["models"][model]}), flush=True)
    found["sgemm_gflops_after"] = round(sgemm_gflops(), 1)  # did the machine change while it ran?
    return found


def roofline_cells(model: str, roof: Optional[dict]) -> str:
    """The results table's GFLOP/s and % of SGEMM cells for `model` (— where the roofline run did not measure it)."""
    found = (roof or {}).get("models", {}).get(model)
    if not found:
        return "— | —"
    return f"{found['gflops']:.0f} | {found['gflops'] / roof['sgemm_gflops']:.0%}"


def roofline_table(roof: dict) -> str:
    """--roofline's measurements, one row per model."""
    lines = [f"SGEMM (float32 1024 x 1024, {roof['torch_threads']} threads): {roof['sgemm_gflops']:.0f} GFLOP/s "
             f"before, {roof['sgemm_gflops_after']:.0f} after ({roof['date']})",
             "| recipe | training MFLOP per image | training step images/s | GFLOP/s | % of SGEMM |",
             "|---|---|---|---|---|"]
    lines += [f"| `{m}` | {r['mflop_per_image']:.2f} | {r['step_images_per_sec']:,} | {r['gflops']:.0f} | "
              f"{r['gflops'] / roof['sgemm_gflops']:.0%} |" for m, r in roof["models"].items()]
    return "\n".join(lines)


def ablation_table(runs: list[dict], ablations: list[dict]) -> str:
    """--ablation's results: per recipe and technique, the test accuracy over seeds with it and without it (and
    without it, the accuracy on the training images: how far the network fits them)."""
    rows = ["| recipe | technique | with it: test accuracy (mean ± std) | without it | gain (mean of the seeds' "
            "differences) | without it: training accuracy | seeds |", "|---|---|---|---|---|---|---|"]
    for model, technique in dict.fromkeys((a["model"], a["without"]) for a in ablations):
        variant = [a for a in ablations if (a["model"], a["without"]) == (model, technique)]  # one run per seed
        without = {a["seed"]: a["test_accuracy"] for a in variant}
        with_it = {r["seed"]: r["test_accuracy"] for r in runs if r["model"] == model and r["seed"] in without}
        seeds = sorted(set(with_it) & set(without))
        if not seeds:
            continue

        def cell(acc: dict) -> str:
            values = [acc[k] for k in seeds]
            return f"{statistics.mean(values):.4f} ± {statistics.stdev(values) if len(values) > 1 else 0:.4f}"

        gains = [with_it[k] - without[k] for k in seeds]
        fits = {a["seed"]: a["train_accuracy"] for a in variant if "train_accuracy" in a}
        fit = cell(fits) if set(seeds) <= set(fits) else "—"  # runs from before the CLI reported it
        rows.append(f"| `{model}` | {technique} | {cell(with_it)} | {cell(without)} | "
                    f"{statistics.mean(gains):+.4f} ({min(gains):+.4f} to {max(gains):+.4f}) | {fit} | {len(seeds)} |")
    return "\n".join(rows)


def _saved(path: Path) -> dict:
    """The results saved so far in `path` (none yet: an empty record)."""
    return json.loads(path.read_text()) if path.exists() else {"machine": {}, "runs": []}


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


def table(results: list[dict], roof: Optional[dict] = None) -> str:
    """The markdown results table: one row per (model, dataset), statistics over seeds; the roofline columns from
    `roof`, a roofline() measurement (the step rate and SGEMM measured in one run)."""
    rows = ["| notebook | model | dataset | test accuracy (mean ± std) | min–max | with its mirror (mean) | seeds "
            "| epochs | training s (median) | run s (median) | images/s (median) | GFLOP/s | % of SGEMM "
            "| reference (source) |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
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
                    f"| {statistics.median(r['images_per_sec'] for r in runs):.0f} "
                    f"| {roofline_cells(model, roof)} "
                    f"| {lecture} |")
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
    parser.add_argument("--concurrent", nargs="+", type=int, metavar="N",
                        help="start N processes that train the same recipe at once (random data), for each N")
    parser.add_argument("--settings", nargs="+", choices=list(SETTINGS), default=list(SETTINGS)[:1],
                        help="environment settings for --concurrent (default: the series' own)")
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="how long each --concurrent worker, or each model of the roofline, trains")
    parser.add_argument("--memory", action="store_true",
                        help="measure each recipe's peak resident memory (one epoch through the CLI)")
    parser.add_argument("--roofline", action="store_true",
                        help="measure SGEMM GFLOP/s and each model's training step rate now (the table's last columns)")
    parser.add_argument("--lecture-lenet", action="store_true",
                        help="d2l's LeNet recipe against the modern LeNet: time to d2l's final test accuracy")
    parser.add_argument("--ablation", action="store_true",
                        help="train each recipe without each of its techniques in turn (ABLATIONS), per seed")
    parser.add_argument("--profile", action="store_true",
                        help="where one training step of each of --models spends its time (torch.profiler)")
    parser.add_argument("--techniques", nargs="+", metavar="WORD",
                        help="--ablation: only the techniques whose names hold one of these words, e.g. epochs")
    parser.add_argument("--jobs", type=int, default=1,
                        help="--ablation: runs at once, one thread each (accuracy only: their times are not compared)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--start-at", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args.worker, args.seconds, args.start_at)
        return
    if args.roofline or args.lecture_lenet:
        saved = _saved(args.results)
        with heavy_lock(not args.no_lock):
            if args.roofline:
                saved["roofline"] = roofline([m for m, *_ in MODELS if m in args.models], args.seconds)
            if args.lecture_lenet:
                saved["lecture_lenet"] = lecture_lenet(args.data_root, args.seeds[0])
        args.results.write_text(json.dumps(saved, indent=1) + "\n")
        if args.lecture_lenet:
            print(lecture_summary(saved["lecture_lenet"]))
        if args.roofline:
            print(roofline_table(saved["roofline"]))
            print(table(saved["runs"], saved["roofline"]))
        return
    if args.profile:
        print("| recipe | " + " | ".join(PROFILE_GROUPS) + " | other |")
        print("|---|" + "---|" * (len(PROFILE_GROUPS) + 1))
        with heavy_lock(not args.no_lock):
            for model in args.models:
                shares = profile_step(model)
                print(f"| `{model}` | " + " | ".join(f"{v:.0%}" for v in shares.values()) + " |", flush=True)
        return
    if args.ablation:
        saved = _saved(args.results)
        saved.setdefault("ablations", [])
        todo = [(model, dataset, technique, extra, seed) for model, dataset, *_ in MODELS if model in args.models
                for technique, extra in ABLATIONS.get(model, []) for seed in args.seeds
                if not args.techniques or any(word in technique for word in args.techniques)]

        def ablate(job: tuple) -> dict:
            model, dataset, technique, extra, seed = job
            return {"without": technique, **run_one(model, dataset, seed, args.data_root, False, *extra,
                                                     threads=1 if args.jobs > 1 else None)}

        with heavy_lock(not args.no_lock), ThreadPoolExecutor(max(1, args.jobs)) as pool:
            for result in pool.map(ablate, todo):
                key = (result["model"], result["without"], result["seed"])
                saved["ablations"] = [a for a in saved["ablations"]
                                      if (a["model"], a["without"], a["seed"]) != key] + [result]
                args.results.write_text(json.dumps(saved, indent=1) + "\n")
                print(json.dumps(result), flush=True)
        print(ablation_table(saved["runs"], saved["ablations"]))
        return
    if args.memory:
        with heavy_lock(not args.no_lock):
            rows = memory(args.models, args.data_root)
        saved = _saved(args.results)
        saved["memory"] = rows
        args.results.write_text(json.dumps(saved, indent=1) + "\n")
        print(memory_table(rows))
        return
    if args.concurrent:
        runs = []
        with heavy_lock(not args.no_lock):
            for setting in args.settings:
                for model in args.models:
                    for n in sorted({1, *args.concurrent}):
                        run = {"setting": setting, **concurrent(model, n, args.seconds, SETTINGS[setting])}
                        runs.append(run)
                        print(json.dumps(run), flush=True)
        saved = _saved(args.results)
        saved["concurrent"] = {"machine": machine(), "seconds": args.seconds, "runs": runs}
        args.results.write_text(json.dumps(saved, indent=1) + "\n")
        print(load_table(runs))
        return

    saved = _saved(args.results)
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
        saved["roofline"] = roofline([m for m, *_ in MODELS], args.seconds)  # every model: one SGEMM for all
        saved["machine"]["benchmark_seconds"] = round(time.perf_counter() - started, 1)
        args.results.write_text(json.dumps(saved, indent=1) + "\n")
    print(table(saved["runs"], saved.get("roofline")))
    if saved.get("ablations"):
        print("\n" + ablation_table(saved["runs"], saved["ablations"]))


if __name__ == "__main__":
    main()
