"""The training loop of the series: fit (with checkpoint/resume), evaluate, History, and a command line.

    python -m cnnlib.train lenet --dataset fashion-mnist --epochs 10
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Callable, Iterable, Optional, Union

import torch
from torch import nn
from tqdm.auto import tqdm

from cnnlib.data import (DATASETS, DataNotFoundError, DatasetInfo, dataset_info, load_data, random_flip,
                         random_flip_crop, random_flip_erase)
from cnnlib.utils import device as default_device
from cnnlib.utils import mode_banner, model_device, quick_mode, set_seed

PathLike = Union[str, "os.PathLike[str]"]


class CheckpointError(ValueError):
    """A checkpoint file that cannot be resumed from: unreadable, from another model, or already finished."""


@dataclass
class History:
    """One entry per completed epoch; plain ints and floats, so it saves inside a weights_only checkpoint."""
    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)      # nan when there is no validation set
    val_acc: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)       # wall time of the epoch (training + validation)
    images_per_sec: list[float] = field(default_factory=list)  # training throughput

    def append(self, **row: float) -> None:
        """Add one epoch: history.append(epoch=0, train_loss=..., ...) with every field given."""
        names = [f.name for f in fields(self)]
        if sorted(row) != sorted(names):
            raise ValueError(f"History.append needs exactly the fields {names}, got {sorted(row)}")
        for name in names:
            getattr(self, name).append(int(row[name]) if name == "epoch" else float(row[name]))

    def to_dict(self) -> dict[str, list]:
        """{field: list of numbers}, a copy."""
        return {f.name: list(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, d: dict) -> "History":
        """The inverse of to_dict."""
        names = {f.name for f in fields(cls)}
        if not isinstance(d, dict) or set(d) != names:
            got = sorted(d) if isinstance(d, dict) else type(d).__name__
            raise ValueError(f"a History dict needs exactly the keys {sorted(names)}, got {got}")
        if len({len(v) for v in d.values()}) > 1:
            raise ValueError("a History dict needs lists of equal length (one entry per epoch)")
        return cls(**{k: list(v) for k, v in d.items()})

    def __len__(self) -> int:
        return len(self.epoch)


def _check_model_and_loader(model: object, loader: object, what: str) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch nn.Module (e.g. nn.Sequential(...)), got {type(model).__name__}")
    if loader is None or not isinstance(loader, Iterable):
        raise TypeError(f"{what} must be an iterable of (X, y) batches such as a TensorLoader or DataLoader, "
                        f"got {type(loader).__name__}")
    if hasattr(loader, "__len__") and len(loader) == 0:
        raise ValueError(f"{what} is empty (0 batches); check the dataset or subset you built it from")


def evaluate(model: nn.Module, loader: Iterable, loss_fn: Optional[Callable] = None,
             device: Optional[Union[str, torch.device]] = None) -> tuple[float, float]:
    """(mean loss, accuracy) of `model` over all examples of `loader`, in eval mode without gradients."""
    _check_model_and_loader(model, loader, "loader")
    loss_fn = nn.CrossEntropyLoss() if loss_fn is None else loss_fn
    device = model_device(model) if device is None else torch.device(device)
    was_training = model.training
    model.eval()  # dropout off, BatchNorm uses its running statistics
    total_loss, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for X, y in loader:
            X, y = X.to(device), y.to(device)
            y_hat = model(X)                                    # (B, num_classes)
            total_loss += loss_fn(y_hat, y).item() * len(y)     # loss_fn averages over the batch
            correct += (y_hat.argmax(dim=1) == y).sum().item()
            n += len(y)
    model.train(was_training)
    if n == 0:
        raise ValueError("loader gave no examples to evaluate")
    return total_loss / n, correct / n


def fit(model: nn.Module, train_loader: Iterable, val_loader: Optional[Iterable] = None, *, epochs: int,
        optimizer: torch.optim.Optimizer, scheduler=None, loss_fn: Optional[Callable] = None,
        device: Optional[Union[str, torch.device]] = None, checkpoint: Optional[PathLike] = None,
        progress: bool = True, writer=None) -> History:
    """Train for `epochs` epochs (stepping `scheduler` after every batch); returns the History of all epochs.

    With `checkpoint`, saves after every epoch and, if the file exists, resumes after its last epoch.
    Lazy layers must have their shapes first: call cnnlib.models.materialize(model, X_shape) before
    building the optimizer (fit raises a ValueError otherwise).
    """
    _check_fit_args(model, train_loader, val_loader, epochs, optimizer, scheduler, checkpoint)
    loss_fn = nn.CrossEntropyLoss() if loss_fn is None else loss_fn
    device = default_device() if device is None else torch.device(device)
    model.to(device)
    start, history = 0, History()
    if checkpoint is not None and Path(checkpoint).exists():
        start, history = _resume(Path(checkpoint), model, optimizer, scheduler, epochs)
        if progress:
            print(f"resumed from {checkpoint}: {start} of {epochs} epochs already done")

    for epoch in range(start, epochs):
        if hasattr(train_loader, "set_epoch"):
            train_loader.set_epoch(epoch)  # the shuffle of epoch e depends only on (seed, e): resumable
        model.train()
        t0 = time.perf_counter()
        total_loss, correct, n = torch.zeros((), device=device), torch.zeros((), device=device), 0
        for X, y in tqdm(train_loader, desc=f"epoch {epoch + 1}/{epochs}", disable=not progress, leave=False):
            X, y = X.to(device), y.to(device)      # (B, C, H, W), (B,)
            y_hat = model(X)                        # (B, num_classes)
            loss = loss_fn(y_hat, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            total_loss += loss.detach() * len(y)    # summed on the device: no sync per batch
            correct += (y_hat.argmax(dim=1) == y).sum()
            n += len(y)
        if n == 0:
            raise ValueError(f"train_loader gave no batches in epoch {epoch + 1}; a generator runs only once: "
                             "pass a TensorLoader or DataLoader")
        train_loss, train_acc = total_loss.item() / n, correct.item() / n
        train_seconds = time.perf_counter() - t0
        val_loss, val_acc = (math.nan, math.nan) if val_loader is None else evaluate(model, val_loader, loss_fn, device)
        history.append(epoch=epoch, train_loss=train_loss, train_acc=train_acc, val_loss=val_loss, val_acc=val_acc,
                       seconds=time.perf_counter() - t0, images_per_sec=n / train_seconds)
        if writer is not None:  # TensorBoard, as in the lecture's loop
            writer.add_scalar("Train/loss", train_loss, epoch)
            writer.add_scalar("Train/accuracy", train_acc, epoch)
            if val_loader is not None:
                writer.add_scalar("Valid/loss", val_loss, epoch)
                writer.add_scalar("Valid/accuracy", val_acc, epoch)
        if checkpoint is not None:
            _save_checkpoint(Path(checkpoint), epoch, model, optimizer, scheduler, history)
        if progress:
            print(f"epoch {epoch + 1}/{epochs}: train loss {train_loss:.4f} acc {train_acc:.3f} | "
                  f"val loss {val_loss:.4f} acc {val_acc:.3f} | {history.seconds[-1]:.1f} s, "
                  f"{history.images_per_sec[-1]:.0f} img/s")
    return history


def _check_fit_args(model, train_loader, val_loader, epochs, optimizer, scheduler, checkpoint) -> None:
    """Every check of fit's arguments, before any training starts."""
    _check_model_and_loader(model, train_loader, "train_loader")
    if val_loader is not None:
        _check_model_and_loader(model, val_loader, "val_loader")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int (the total number of epochs), got {epochs!r}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim optimizer, e.g. torch.optim.SGD(model.parameters(), "
                        f"lr=0.1), got {type(optimizer).__name__}")
    if scheduler is not None and not callable(getattr(scheduler, "step", None)):
        raise TypeError(f"scheduler must have a step() method (e.g. OneCycleLR), got {type(scheduler).__name__}")
    if any(nn.parameter.is_lazy(p) for p in model.parameters()):
        raise ValueError(f"{type(model).__name__} has lazy layers whose shapes are not known yet; call "
                         "cnnlib.models.materialize(model, X_shape) (or run one batch through it) "
                         "before building the optimizer and calling fit")
    if checkpoint is not None and Path(checkpoint).is_dir():
        raise ValueError(f"checkpoint must be a file path such as 'runs/model.pt', got the folder {checkpoint}")


def _rng_state() -> dict[str, object]:
    return {"cpu": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []}


def _save_checkpoint(path: Path, epoch: int, model: nn.Module, optimizer: torch.optim.Optimizer,
                     scheduler, history: History) -> None:
    """Write the state after `epoch` atomically: a temporary file in the same folder, then os.replace."""
    state = {"epoch": epoch, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
             "scheduler": None if scheduler is None else scheduler.state_dict(),
             "history": history.to_dict(), "rng": _rng_state()}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    os.close(fd)
    try:
        torch.save(state, tmp)
        os.replace(tmp, path)  # atomic: an interrupted save never leaves a half-written checkpoint
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_checkpoint(path: Path, keys: set[str], fix: str, map_location="cpu") -> dict:
    """torch.load(path, weights_only=True), checked to be a fit checkpoint with `keys`; `fix` ends every error."""
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # truncated, garbage, or holds more than tensors and numbers
        raise CheckpointError(f"cannot read the checkpoint {path} ({type(e).__name__}: "
                              f"{(str(e).strip() or 'no details').splitlines()[0][:200]}); {fix}") from e
    if not isinstance(state, dict) or not keys <= set(state):
        raise CheckpointError(f"{path} is not a checkpoint written by cnnlib.train.fit; {fix}")
    return state


def _resume(path: Path, model: nn.Module, optimizer: torch.optim.Optimizer, scheduler,
            epochs: int) -> tuple[int, History]:
    """Restore model, optimizer, scheduler and RNG from `path`; returns (first epoch to run, History so far)."""
    fix = f"delete {path} to start over, or pass another checkpoint path"
    state = _read_checkpoint(path, {"epoch", "model", "optimizer", "scheduler", "history", "rng"}, fix)
    done = state["epoch"] + 1
    if done > epochs:
        raise CheckpointError(f"the checkpoint {path} already holds {done} completed epochs but you asked for "
                              f"epochs={epochs}; ask for at least {done} epochs, or {fix}")
    if (state["scheduler"] is None) != (scheduler is None):
        raise CheckpointError(f"the checkpoint {path} was saved {'without' if state['scheduler'] is None else 'with'}"
                              f" a scheduler, but this run has {'one' if scheduler is not None else 'none'}; "
                              f"use the same settings, or {fix}")
    try:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(state["scheduler"])
        history = History.from_dict(state["history"])
    except (RuntimeError, ValueError, KeyError, TypeError) as e:
        detail = " ".join(str(e).split())[:300]
        raise CheckpointError(f"the checkpoint {path} does not fit this {type(model).__name__} and its optimizer "
                              f"(another architecture or settings?): {detail}; {fix}") from e
    torch.set_rng_state(state["rng"]["cpu"])  # dropout masks etc. continue exactly where they stopped
    if state["rng"]["cuda"] and torch.cuda.is_available() and len(state["rng"]["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["rng"]["cuda"])
    # The lecture's loop restarted at checkpoint['epoch'] and so trained that epoch twice;
    # here 'epoch' is the last COMPLETED epoch and we go on with the next one.
    return done, history


def load_pretrained(path: PathLike, model: nn.Module) -> History:
    """Load the weights of a checkpoint written by fit (or the command line) into `model`; returns its History.

    This is what the PRETRAINED flag of notebooks 06-09 does instead of training.
    """
    path = Path(path)
    fix = "train one with: python -m cnnlib.train MODEL --out checkpoints/ and pass its .pt file"
    if not path.is_file():
        raise FileNotFoundError(f"PRETRAINED checkpoint {path} does not exist; {fix}")
    state = _read_checkpoint(path, {"model", "history"}, fix, map_location=model_device(model))
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as e:
        detail = " ".join(str(e).split())[:300]
        raise CheckpointError(f"the checkpoint {path} holds another network than this {type(model).__name__} "
                              f"(was it trained with the recipe this notebook uses?): {detail}") from e
    return History.from_dict(state["history"])


# ---------------------------------------------------------------- recipes and the command line

@dataclass
class Recipe:
    """How to train one model on one dataset: the model and its optimiser settings."""
    model: nn.Module
    lr: float
    batch_size: int = 128
    epochs: int = 10
    momentum: float = 0.0
    weight_decay: float = 0.0
    one_cycle: bool = False   # OneCycleLR rising to lr then annealing, stepped per batch
    augment: Optional[Callable[..., torch.Tensor]] = None  # applied to each training batch, e.g. random_flip

    def build_optimizer(self, steps_per_epoch: int, epochs: int, lr: Optional[float] = None):
        """(SGD optimizer, scheduler or None) for this recipe; `lr` overrides the recipe's."""
        lr = self.lr if lr is None else lr
        opt = torch.optim.SGD(self.model.parameters(), lr=lr, momentum=self.momentum,
                              weight_decay=self.weight_decay)
        sched = (torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, epochs=epochs, steps_per_epoch=steps_per_epoch)
                 if self.one_cycle else None)
        return opt, sched


def _materialized(model: nn.Module, info: DatasetInfo) -> nn.Module:
    from cnnlib.models import materialize  # imported here: cnnlib.models is a separate, growing module
    return materialize(model, (1, *info.shape))


def _channels_last(model: nn.Module) -> nn.Module:
    """Store conv weights as (N, H, W, C): about 1.6x faster 3x3 convs on CPU (slower for LeNet's 5x5 on 1 channel)."""
    return model.to(memory_format=torch.channels_last)


# The full-mode settings of notebooks 06-09 (quick mode: the same recipes, 1-3 epochs on small subsets).
# Test accuracy, seconds and images/s on 2 CPU cores: tools/benchmark.py and the README's results table.

def _mlp(info: DatasetInfo) -> Recipe:
    """09: the lecture's MLP: Flatten, Linear(C*H*W, 100), ReLU, Linear(100, 10); SGD lr 1e-3, momentum 0.9, batch 64."""
    from cnnlib.models import mlp_baseline
    C, H, W = info.shape
    return Recipe(mlp_baseline(C * H * W, 100, len(info.classes)), lr=1e-3, batch_size=64, epochs=5, momentum=0.9)


LENET_SETTINGS = dict(lr=0.1, batch_size=128, epochs=12, momentum=0.9, weight_decay=5e-4, one_cycle=True)


def _lenet(info: DatasetInfo) -> Recipe:
    """06: the notes' sigmoid LeNet, trained exactly like lenet-modern (one-cycle SGD with momentum)."""
    from cnnlib.models import LeNet
    return Recipe(_materialized(LeNet(len(info.classes)), info), **LENET_SETTINGS)


def _lenet_modern(info: DatasetInfo) -> Recipe:
    """06: LeNet with ReLU, max-pool and BatchNorm, trained exactly like the sigmoid LeNet."""
    from cnnlib.models import LeNetModern
    return Recipe(_materialized(LeNetModern(len(info.classes)), info), **LENET_SETTINGS)


def _vgg(info: DatasetInfo) -> Recipe:
    """07: vgg_small, the notes' VGG narrowed for 28x28 images (16-64 channels, BatchNorm), one-cycle SGD, flips."""
    from cnnlib.models import vgg_small
    model = _channels_last(_materialized(vgg_small(len(info.classes)), info))
    return Recipe(model, lr=0.1, batch_size=128, epochs=25, momentum=0.9, weight_decay=5e-4, one_cycle=True,
                  augment=random_flip)


RESNET_SETTINGS = dict(lr=0.1, batch_size=128, epochs=20, momentum=0.9, weight_decay=5e-4, one_cycle=True,
                       augment=random_flip_erase)


def _resnet(info: DatasetInfo) -> Recipe:
    """08: resnet_small, a ResNet-8 with a stride-2 stem and 24-96 channels, one-cycle SGD, flips and Cutout."""
    from cnnlib.models import resnet_small
    model = _channels_last(_materialized(resnet_small(len(info.classes)), info))
    return Recipe(model, **RESNET_SETTINGS)


def _resnet_plain(info: DatasetInfo) -> Recipe:
    """08: resnet_small(plain=True), the same layers without shortcuts, trained exactly like resnet."""
    from cnnlib.models import resnet_small
    model = _channels_last(_materialized(resnet_small(len(info.classes), plain=True), info))
    return Recipe(model, **RESNET_SETTINGS)


def _cnn(info: DatasetInfo) -> Recipe:
    """09: cifar_cnn, four BatchNorm conv blocks (32-256 channels), one-cycle SGD, random flips and crops."""
    from cnnlib.models import cifar_cnn
    model = _channels_last(_materialized(cifar_cnn(len(info.classes)), info))
    return Recipe(model, lr=0.2, batch_size=256, epochs=8, momentum=0.9, weight_decay=5e-4, one_cycle=True,
                  augment=random_flip_crop)


# name -> function(dataset info) -> Recipe; a new model is one more entry.
RECIPES: dict[str, Callable[[DatasetInfo], Recipe]] = {
    "lenet": _lenet, "lenet-modern": _lenet_modern, "vgg": _vgg, "resnet": _resnet, "resnet-plain": _resnet_plain,
    "mlp": _mlp, "cnn": _cnn}
# The dataset each recipe's notebook uses (the command line's default); the others use Fashion-MNIST.
DEFAULT_DATASETS: dict[str, str] = {"mlp": "cifar10", "cnn": "cifar10"}


def train_recipe(model: str, dataset: Optional[str] = None, *, epochs: Optional[int] = None, seed: int = 0,
                 data_root: Optional[PathLike] = None, out: PathLike = "checkpoints", batch_size: Optional[int] = None,
                 lr: Optional[float] = None, progress: bool = True) -> dict:
    """Train RECIPES[model] on `dataset` (checkpoint in `out`, resumed if there); returns a dict of results.

    None means the recipe's value (dataset: DEFAULT_DATASETS, else Fashion-MNIST); in quick mode
    (CNNLIB_QUICK=1) the default is 1 epoch on small subsets.
    """
    if model not in RECIPES:
        raise ValueError(f"unknown model {model!r}; known recipes: {', '.join(RECIPES)}")
    dataset = DEFAULT_DATASETS.get(model, "fashion-mnist") if dataset is None else dataset
    if lr is not None and not lr > 0:
        raise ValueError(f"lr must be positive, got {lr}")
    info = dataset_info(dataset)
    set_seed(seed)
    recipe = RECIPES[model](info)
    epochs = (1 if quick_mode() else recipe.epochs) if epochs is None else epochs
    batch_size = recipe.batch_size if batch_size is None else batch_size
    data = load_data(dataset, batch_size=batch_size, val_size=5000, seed=seed, root=data_root,
                     augment=recipe.augment)
    optimizer, scheduler = recipe.build_optimizer(len(data.train), epochs, lr)
    checkpoint = Path(out) / f"{model}-{dataset}-seed{seed}.pt"
    history = fit(recipe.model, data.train, data.val, epochs=epochs, optimizer=optimizer, scheduler=scheduler,
                  checkpoint=checkpoint, progress=progress)
    _, test_acc = evaluate(recipe.model, data.test)
    from cnnlib.features import accuracy  # imported here like the models: train is the lower layer
    mirrored_acc = accuracy(recipe.model, data.test.X, data.test.y, mirrored=True)  # test-time augmentation
    return {"model": model, "dataset": dataset, "epochs": epochs, "seed": seed,
            "test_accuracy": round(test_acc, 4), "test_accuracy_mirrored": round(mirrored_acc, 4),
            "val_accuracy": round(history.val_acc[-1], 4),
            "seconds": round(sum(history.seconds), 2),
            "images_per_sec": round(sum(history.images_per_sec) / len(history), 1),
            "quick": quick_mode(), "checkpoint": str(checkpoint)}


def main(argv: Optional[list[str]] = None) -> None:
    """Command line: train a RECIPES model on a dataset, then print one JSON line of results."""
    parser = argparse.ArgumentParser(prog="python -m cnnlib.train", description=main.__doc__)
    parser.add_argument("model", choices=list(RECIPES))
    parser.add_argument("--dataset", choices=list(DATASETS),
                        help="default: the recipe's notebook dataset (cifar10 for mlp and cnn, else fashion-mnist)")
    parser.add_argument("--epochs", type=int, help="default: the recipe's (1 in quick mode)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-root", help="dataset folder (default: $CNNLIB_DATA or ~/cnnlib-data)")
    parser.add_argument("--out", default="checkpoints", help="folder for the checkpoint (default: checkpoints)")
    parser.add_argument("--batch-size", type=int, help="default: the recipe's")
    parser.add_argument("--lr", type=float, help="default: the recipe's")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars or epoch lines")
    args = parser.parse_args(argv)
    for name in ("epochs", "batch_size"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    if args.lr is not None and not args.lr > 0:
        parser.error(f"--lr must be positive, got {args.lr}")
    print(mode_banner(), file=sys.stderr)
    try:
        result = train_recipe(args.model, args.dataset, epochs=args.epochs, seed=args.seed, data_root=args.data_root,
                              out=args.out, batch_size=args.batch_size, lr=args.lr, progress=not args.no_progress)
    except (CheckpointError, DataNotFoundError) as e:  # a message for the user, not a traceback
        parser.exit(2, f"error: {e}\n")
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
