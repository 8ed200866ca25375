"""Training: the lecture's loop (fit), evaluation, checkpoints, the series' recipes and a command line.

    python -m cnnlib.train lenet-modern --epochs 12 --out checkpoints/

fit is the plain epoch/batch loop of the lecture, short enough to print in notebook 06. Everything a library adds
around it (argument checks, resuming from a checkpoint, progress lines, stopping a diverging run, saving) lives in
the private class _Run, which fit calls at the four places where a student can follow what happens.
"""
from __future__ import annotations

import argparse
import errno
import functools
import inspect
import json
import math
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional, Union

import torch
from torch import nn
from tqdm.auto import tqdm

from cnnlib import _check
from cnnlib.data import (DATASETS, DataNotFoundError, TensorLoader, dataset_info, load_data, random_flip,
                         random_flip_crop, random_flip_erase)
from cnnlib.features import accuracy
from cnnlib.models import (LeNet, LeNetModern, PlainBlock, cifar_cnn, materialize, mlp_baseline, resnet_small,
                           vgg_small)
from cnnlib.utils import device as default_device
from cnnlib.utils import eval_no_grad, mode_banner, model_device, quick_mode, set_seed

PathLike = Union[str, "os.PathLike[str]"]


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used: unreadable, from another model or optimizer, or already finished."""


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite: the learning rate is too high, or the data holds NaN."""


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


# ---------------------------------------------------------------- 06 the training loop

def fit(model: nn.Module, train_loader: Iterable, val_loader: Optional[Iterable] = None, *, epochs: int,
        optimizer: torch.optim.Optimizer, scheduler=None, loss_fn: Optional[Callable] = None,
        device: Optional[Union[str, torch.device]] = None, checkpoint: Optional[PathLike] = None,
        progress: bool = True, writer=None, log_every: Optional[int] = None) -> History:
    """Train `model` for `epochs` epochs and return its History (loss and accuracy of every epoch).

    With `checkpoint`, it saves after every epoch and resumes after the last saved one; `writer` logs to TensorBoard;
    `log_every=100` prints the batch loss every 100 batches, as the lecture's loop does.
    """
    run = _Run(model, train_loader, val_loader, epochs, optimizer, scheduler, loss_fn, device, checkpoint,
               progress, writer, log_every)        # checks everything first, resumes from the checkpoint
    for epoch in run.epochs():
        model.train()
        for X, y in run.batches(train_loader):     # X (B, C, H, W) and y (B,), on the model's device
            y_hat = model(X)                       # (B, num_classes)
            loss = run.loss_fn(y_hat, y)
            run.record(loss, y_hat, y)             # running loss and accuracy; stops if the loss is not finite
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
        run.end_epoch(val_loader)                  # validation, History, a progress line, the checkpoint
    return run.history


def evaluate(model: nn.Module, loader: Iterable, loss_fn: Optional[Callable] = None,
             device: Optional[Union[str, torch.device]] = None) -> tuple[float, float]:
    """(mean loss, accuracy) of `model` over all examples of `loader`, in eval mode without gradients."""
    _check.materialized(_check.model(model), "evaluate")
    _loader(loader, "loader")
    num_classes = _check.num_classes_of(model)
    loss_fn = nn.CrossEntropyLoss() if loss_fn is None else loss_fn
    device = model_device(model) if device is None else _check.device(device)
    total_loss, correct, n = 0.0, 0, 0
    with eval_no_grad(model):  # dropout off, BatchNorm uses its running statistics
        for X, y in loader:
            X, y = _batch(X, y, device, num_classes)
            y_hat = model(X)                                    # (B, num_classes)
            total_loss += loss_fn(y_hat, y).item() * len(y)     # loss_fn averages over the batch
            correct += (y_hat.argmax(dim=1) == y).sum().item()
            n += len(y)
    if n == 0:
        raise ValueError("loader gave no examples to evaluate; a generator runs only once: pass a TensorLoader")
    return total_loss / n, correct / n


def _loader(loader: object, name: str) -> None:
    if isinstance(loader, (torch.Tensor, str, bytes)) or not isinstance(loader, Iterable):
        raise TypeError(f"{name} must give (X, y) batches, such as TensorLoader(X, y, batch_size=128) or a "
                        f"DataLoader, got {_check.short(loader)}")
    if iter(loader) is loader:
        raise TypeError(f"{name} is a generator (or iterator), which runs only once, but training and evaluation "
                        f"pass over the data again and again; pass a TensorLoader or DataLoader")
    if hasattr(loader, "__len__") and len(loader) == 0:
        raise ValueError(f"{name} is empty (0 batches); check the dataset or subset you built it from")


def _batch(X: object, y: object, device: torch.device,
           num_classes: Optional[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """One (X, y) batch from a loader, checked (images, one label in 0..num_classes-1 each) and moved to `device`."""
    X = _check.images(X, "X (a batch from the loader)")
    y = _check.labels(y, len(X), "y (the labels of a batch)", num_classes)
    return X.to(device), y.to(device)


class _Run:
    """What fit does around the loop: checks, resume, progress, divergence, history, logging and checkpoints."""

    def __init__(self, model, train_loader, val_loader, epochs, optimizer, scheduler, loss_fn, device, checkpoint,
                 progress, writer, log_every) -> None:
        _fit_args(model, train_loader, val_loader, epochs, optimizer, scheduler, loss_fn, checkpoint, progress, writer)
        self.log_every = None if log_every is None else _check.whole(log_every, "log_every", 1)
        self.size = getattr(train_loader, "dataset_size", None) or len(getattr(train_loader, "dataset", ()))
        self.model, self.optimizer, self.scheduler, self.writer = model, optimizer, scheduler, writer
        self.total, self.progress = int(epochs), progress
        self.device = _check.device(device) or default_device()
        self.loss_fn = nn.CrossEntropyLoss() if loss_fn is None else loss_fn
        self.checkpoint = None if checkpoint is None else _check.writable_file(checkpoint, "checkpoint")
        self.num_classes = _dry_run(model, train_loader)  # the first batch through the model, before any change
        model.to(self.device)
        self.start, self.history = 0, History()
        if self.checkpoint is not None and self.checkpoint.exists():
            self.start, self.history = _resume(self.checkpoint, model, optimizer, scheduler, self.total)
            if progress:
                print(f"resumed from {self.checkpoint}: {self.start} of {self.total} epochs already done")

    def epochs(self) -> Iterator[int]:
        for self.epoch in range(self.start, self.total):
            yield self.epoch

    def batches(self, loader: Iterable) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """The epoch's batches, checked and on the device; a progress bar in a terminal."""
        if hasattr(loader, "set_epoch"):
            loader.set_epoch(self.epoch)  # the shuffle of epoch e depends only on (seed, e): resumable
        self.t0, self.loss_sum, self.correct, self.n = time.perf_counter(), 0.0, 0, 0
        bar = self.progress and sys.stderr.isatty()  # a bar helps in a terminal; in a notebook it freezes as text
        for self.batch, (X, y) in enumerate(tqdm(loader, desc=f"epoch {self.epoch + 1}/{self.total}",
                                                 disable=not bar, leave=False), start=1):
            self.X, self.y = _batch(X, y, self.device, self.num_classes)
            yield self.X, self.y
        if self.n == 0:
            raise ValueError(f"train_loader gave no batches in epoch {self.epoch + 1}; a generator runs only once: "
                             "pass a TensorLoader or DataLoader")
        self.train_seconds = time.perf_counter() - self.t0

    def record(self, loss: torch.Tensor, y_hat: torch.Tensor, y: torch.Tensor) -> None:
        """Add the batch to the epoch's loss and accuracy; raise TrainingDiverged if the loss is not finite."""
        value = loss.item()
        if not math.isfinite(value):
            raise TrainingDiverged(self._diverged(value))
        self.loss_sum += value * len(y)
        self.correct += (y_hat.argmax(dim=1) == y).sum().item()
        self.n += len(y)
        if self.log_every and (self.batch - 1) % self.log_every == 0:  # the lecture's line: batches 0, 100, 200, ...
            print(f"loss: {value:>7f}  [{self.n:>5d}/{self.size or '?':>5}]")

    def _diverged(self, value: float) -> str:
        where = f"the loss became {value} in epoch {self.epoch + 1}, batch {self.batch}"
        kept = (f"; the checkpoint {self.checkpoint} still holds the last good epoch" if self.checkpoint and
                self.checkpoint.exists() else "")
        if not torch.isfinite(self.X).all():
            return (f"{where}: that batch holds NaN or infinite pixels (X); clean the data first, e.g. find them "
                    f"with torch.isnan(X).any(dim=(1, 2, 3)){kept}")
        lr = self.optimizer.param_groups[0]["lr"]
        return (f"training diverged: {where} (learning rate {lr:g}); lower the learning rate, e.g. to {lr / 10:g}, "
                f"and train a new model{kept}")

    def end_epoch(self, val_loader: Optional[Iterable]) -> None:
        """Validate, append to the History, log, save the checkpoint and print one line."""
        train_loss, train_acc = self.loss_sum / self.n, self.correct / self.n
        val_loss, val_acc = ((math.nan, math.nan) if val_loader is None else
                             evaluate(self.model, val_loader, self.loss_fn, self.device))
        h = self.history
        h.append(epoch=self.epoch, train_loss=train_loss, train_acc=train_acc, val_loss=val_loss, val_acc=val_acc,
                 seconds=time.perf_counter() - self.t0, images_per_sec=self.n / self.train_seconds)
        if self.writer is not None:  # TensorBoard, as in the lecture's loop
            for tag, value in (("Train/loss", train_loss), ("Train/accuracy", train_acc),
                               ("Valid/loss", val_loss), ("Valid/accuracy", val_acc)):
                if not math.isnan(value):
                    self.writer.add_scalar(tag, value, self.epoch)
        if self.checkpoint is not None:
            _save_checkpoint(self.checkpoint, self.epoch, self.model, self.optimizer, self.scheduler, h)
        if self.progress:
            print(f"epoch {self.epoch + 1}/{self.total}: train loss {train_loss:.4f} acc {train_acc:.3f} | "
                  f"val loss {val_loss:.4f} acc {val_acc:.3f} | {h.seconds[-1]:.1f} s, "
                  f"{h.images_per_sec[-1]:.0f} img/s", flush=True)


def _fit_args(model, train_loader, val_loader, epochs, optimizer, scheduler, loss_fn, checkpoint, progress,
              writer) -> None:
    """Every check of fit's arguments that needs no data, before any training starts."""
    _check.model(model)
    _loader(train_loader, "train_loader")
    if val_loader is not None:
        _loader(val_loader, "val_loader")
    _check.whole(epochs, "epochs", 1, 10_000, hint=" (the total number of epochs, e.g. epochs=10)")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim optimizer, e.g. torch.optim.SGD(model.parameters(), "
                        f"lr=0.1), got {_check.short(optimizer)}")
    for group in optimizer.param_groups:
        _check.number(group["lr"], "the optimizer's learning rate", minimum=0)
    ours = {id(p) for p in model.parameters()}
    if not any(id(p) in ours for group in optimizer.param_groups for p in group["params"]):
        raise ValueError("the optimizer holds none of this model's parameters (was it built for another model?); "
                         "build it with torch.optim.SGD(model.parameters(), lr=...) for this model")
    if scheduler is not None and not callable(getattr(scheduler, "step", None)):
        raise TypeError(f"scheduler must have a step() method (e.g. OneCycleLR), got {_check.short(scheduler)}")
    if loss_fn is not None:
        _check.function(loss_fn, "loss_fn", "nn.CrossEntropyLoss()")
    _check.flag(progress, "progress")
    if writer is not None and not callable(getattr(writer, "add_scalar", None)):
        raise TypeError(f"writer must be a TensorBoard SummaryWriter (with add_scalar), got {_check.short(writer)}")
    _check.materialized(model, "fit")


def _dry_run(model: nn.Module, loader: Iterable) -> int:
    """Run the loader's first batch through the model in eval mode, so that a wrong shape fails now with a sentence;
    returns the number of classes (the width of the model's output)."""
    batch = next(iter(loader), None)
    if hasattr(loader, "set_epoch"):
        loader.set_epoch(0)
    if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
        raise TypeError(f"train_loader must give (X, y) pairs, got {_check.short(batch)}")
    X, y = _batch(*batch, model_device(model), None)
    _check.images(X, "X (a batch from the loader)", model)  # dtype, channels and size the model expects
    with eval_no_grad(model):
        try:
            y_hat = model(X)
        except RuntimeError as e:
            raise ValueError(f"{type(model).__name__} cannot take a batch of shape {tuple(X.shape)} from "
                             f"train_loader. PyTorch says: {' '.join(str(e).split())[:300]}") from None
    if not (isinstance(y_hat, torch.Tensor) and y_hat.ndim == 2 and len(y_hat) == len(X)):
        got = tuple(y_hat.shape) if isinstance(y_hat, torch.Tensor) else type(y_hat).__name__
        raise ValueError(f"{type(model).__name__} must return scores (B, num_classes) for a batch of {len(X)}, "
                         f"got {got}")
    _check.labels(y, len(X), "y (the labels of a batch)", y_hat.shape[1])
    return y_hat.shape[1]


# ---------------------------------------------------------------- 09 checkpoints

def _rng_state() -> dict[str, object]:
    return {"cpu": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []}


def _save_checkpoint(path: Path, epoch: int, model: nn.Module, optimizer: torch.optim.Optimizer,
                     scheduler, history: History) -> None:
    """Write the state after `epoch` atomically: a temporary file in the same folder, then os.replace."""
    state = {"epoch": epoch, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
             "optimizer_class": type(optimizer).__name__,
             "scheduler": None if scheduler is None else scheduler.state_dict(),
             "history": history.to_dict(), "rng": _rng_state()}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    os.close(fd)
    try:
        torch.save(state, tmp)
        os.replace(tmp, path)  # atomic: an interrupted save never leaves a half-written checkpoint
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, (OSError, RuntimeError)) and _disk_full(e, path):
            free = shutil.disk_usage(path.parent).free / 1e6
            raise OSError(errno.ENOSPC, f"could not save the checkpoint {path}: the disk is full ({free:.0f} MB "
                                        f"free); free some space or pass checkpoint=None. "
                                        f"{'The previous checkpoint is unchanged.' if path.exists() else ''}") from None
        raise


def _disk_full(e: BaseException, path: Path) -> bool:
    """True for 'no space left' from the OS, or from PyTorch's writer ('enforce fail ... file write failed')."""
    if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(e).lower()
    return "write failed" in text or "enforce fail" in text or shutil.disk_usage(path.parent).free < 1e6


def _read_checkpoint(path: Path, keys: set[str], fix: str, map_location="cpu") -> dict:
    """torch.load(path, weights_only=True), checked to be a fit checkpoint with `keys`; `fix` ends every error."""
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # truncated, garbage, or holds more than tensors and numbers
        raise CheckpointError(f"cannot read the checkpoint {path} ({type(e).__name__}: "
                              f"{(str(e).strip() or 'no details').splitlines()[0][:200]}); {fix}") from None
    if not isinstance(state, dict) or not keys <= set(state):
        raise CheckpointError(f"{path} is not a checkpoint written by cnnlib.train.fit; {fix}")
    return state


def _weights_fit(path: Path, model: nn.Module, weights: object, fix: str) -> None:
    """Refuse, before anything is copied, weights whose names or shapes differ from the model's."""
    ours = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    theirs = {k: tuple(v.shape) for k, v in weights.items()} if isinstance(weights, dict) else {}
    if ours != theirs:
        diff = sorted(set(ours) ^ set(theirs)) or [k for k in ours if ours[k] != theirs[k]]
        k = diff[0]
        detail = (f"'{k}' has shape {theirs[k]} there and {ours[k]} here" if k in ours and k in theirs else
                  f"'{k}' is only {'here' if k in ours else 'there'}")
        raise CheckpointError(f"the checkpoint {path} holds another network than this {type(model).__name__} "
                              f"({len(diff)} difference{'s' * (len(diff) > 1)}, e.g. {detail}); {fix}. "
                              f"The model was not changed.")


def _resume(path: Path, model: nn.Module, optimizer: torch.optim.Optimizer, scheduler,
            epochs: int) -> tuple[int, History]:
    """Restore model, optimizer, scheduler and RNG from `path`; returns (first epoch to run, History so far)."""
    fix = f"delete {path} to start over, or pass another checkpoint path"
    state = _read_checkpoint(path, {"epoch", "model", "optimizer", "scheduler", "history", "rng"}, fix)
    done = state["epoch"] + 1
    if done > epochs:
        raise CheckpointError(f"the checkpoint {path} already holds {done} completed epochs but you asked for "
                              f"epochs={epochs}; ask for at least {done} epochs, or {fix}")
    _weights_fit(path, model, state["model"], fix)
    _optimizer_fits(path, optimizer, scheduler, state, fix)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["rng"]["cpu"])  # dropout masks etc. continue exactly where they stopped
    if state["rng"]["cuda"] and torch.cuda.is_available() and len(state["rng"]["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["rng"]["cuda"])
    # The lecture's loop restarted at checkpoint['epoch'] and so trained that epoch twice;
    # here 'epoch' is the last COMPLETED epoch and we go on with the next one.
    return done, History.from_dict(state["history"])


def _optimizer_fits(path: Path, optimizer: torch.optim.Optimizer, scheduler, state: dict, fix: str) -> None:
    """The checkpoint's optimizer and scheduler must be of this run's kinds and shapes."""
    saved = state.get("optimizer_class", type(optimizer).__name__)
    groups = state["optimizer"].get("param_groups", []) if isinstance(state["optimizer"], dict) else []
    if saved != type(optimizer).__name__ or [len(g["params"]) for g in groups] != \
            [len(g["params"]) for g in optimizer.param_groups]:
        raise CheckpointError(f"the checkpoint {path} was saved with the optimizer {saved}, this run uses "
                              f"{type(optimizer).__name__} (or other parameter groups); resume with the same "
                              f"optimizer, or {fix}")
    if (state["scheduler"] is None) != (scheduler is None):
        raise CheckpointError(f"the checkpoint {path} was saved {'without' if state['scheduler'] is None else 'with'}"
                              f" a scheduler, but this run has {'one' if scheduler is not None else 'none'}; "
                              f"use the same settings, or {fix}")


def load_pretrained(path: PathLike, model: nn.Module) -> History:
    """Load the weights of a checkpoint written by fit (or the command line) into `model`; returns its History.

    This is what the PRETRAINED flag of notebooks 06-09 does instead of training.
    """
    _check.model(model)
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be the path of a .pt file, got {_check.short(path)}")
    path, fix = Path(path).expanduser(), "train one with: python -m cnnlib.train MODEL --out checkpoints/"
    if _check.path_kind(path, "path") != "file":
        raise FileNotFoundError(f"PRETRAINED checkpoint {path} does not exist; {fix} and pass its .pt file")
    state = _read_checkpoint(path, {"model", "history"}, fix, map_location=model_device(model))
    _weights_fit(path, model, state["model"], fix + " with the recipe this notebook uses")
    model.load_state_dict(state["model"])
    return History.from_dict(state["history"])


# ---------------------------------------------------------------- recipes and the command line

@dataclass(frozen=True)
class Recipe:
    """How the series trains one network: a model builder, the notebook's dataset and the optimiser's settings."""
    build: Callable[..., nn.Module]  # num_classes -> a new (lazy) model, e.g. LeNet
    dataset: str                     # the notebook's dataset (the command line's default)
    lr: float
    batch_size: int = 128
    epochs: int = 10
    momentum: float = 0.0
    weight_decay: float = 0.0
    one_cycle: bool = False          # OneCycleLR rising to lr then annealing, stepped per batch
    augment: Optional[Callable[..., torch.Tensor]] = None  # applied to each training batch, e.g. random_flip
    channels_last: bool = False      # (N, H, W, C) memory: about 1.6x faster 3x3 convolutions on a CPU
    label_smoothing: float = 0.0     # training targets 1 - s + s/K for the label and s/K for the others

    def model(self, dataset: Optional[str] = None) -> nn.Module:
        """A new model for `dataset` (default: the recipe's), materialised and initialised (init_cnn)."""
        info = dataset_info(self.dataset if dataset is None else dataset)
        C, H, W = info.shape
        wants_size = "in_features" in inspect.signature(self.build).parameters  # an MLP: Linear(C*H*W, ...)
        model = self.build(num_classes=len(info.classes), **({"in_features": C * H * W} if wants_size else {}))
        model = materialize(model, (1, C, H, W))
        return model.to(memory_format=torch.channels_last) if self.channels_last else model

    def optimizer(self, model: nn.Module, steps_per_epoch: int, epochs: Optional[int] = None,
                  lr: Optional[float] = None) -> tuple[torch.optim.Optimizer, Optional[object]]:
        """(SGD optimizer, OneCycleLR scheduler or None) for `model`; epochs and lr default to the recipe's."""
        _check.model(model)
        _check.whole(steps_per_epoch, "steps_per_epoch", 1, hint="; pass len(train_loader)")
        epochs = self.epochs if epochs is None else _check.whole(epochs, "epochs", 1)
        lr = self.lr if lr is None else _check.number(lr, "lr", positive=True)
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=self.momentum, weight_decay=self.weight_decay)
        sched = (torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, epochs=epochs, steps_per_epoch=steps_per_epoch)
                 if self.one_cycle else None)
        return opt, sched

    def loss_fn(self) -> nn.CrossEntropyLoss:
        """The training loss: cross-entropy with the recipe's label smoothing (fit's validation loss uses it too, so
        that the two curves compare; evaluate's default, the test loss, is plain cross-entropy)."""
        return nn.CrossEntropyLoss(label_smoothing=self.label_smoothing)


# The full-mode settings of notebooks 06-09 (quick mode: the same recipes, 1-3 epochs on small subsets).
# Test accuracy, seconds and images/s on 2 CPU cores: tools/benchmark.py and the README's results table.
_LENET = dict(lr=0.2, batch_size=256, epochs=15, momentum=0.9, weight_decay=5e-4, one_cycle=True,
              augment=random_flip, label_smoothing=0.1)
_RESNET = dict(lr=0.1, batch_size=128, epochs=20, momentum=0.9, weight_decay=5e-4, one_cycle=True,
               augment=random_flip_erase, channels_last=True)
RECIPES: dict[str, Recipe] = {
    "lenet": Recipe(LeNet, "fashion-mnist", **_LENET),                # 06: the notes' sigmoid LeNet
    "lenet-modern": Recipe(LeNetModern, "fashion-mnist", **_LENET),   # 06: trained exactly like it
    "vgg": Recipe(vgg_small, "fashion-mnist", lr=0.1, batch_size=128, epochs=25, momentum=0.9, weight_decay=5e-4,
                  one_cycle=True, augment=random_flip, channels_last=True),  # 07
    "resnet": Recipe(resnet_small, "fashion-mnist", **_RESNET),       # 08: flips and Cutout
    "resnet-plain": Recipe(functools.partial(resnet_small, block=PlainBlock), "fashion-mnist", **_RESNET),
    "mlp": Recipe(mlp_baseline, "cifar10", lr=1e-3, batch_size=64, epochs=5, momentum=0.9),  # 09: the lecture's
    "cnn": Recipe(cifar_cnn, "cifar10", lr=0.2, batch_size=256, epochs=8, momentum=0.9, weight_decay=5e-4,
                  one_cycle=True, augment=random_flip_crop, channels_last=True),  # 09: flips and crops
}


def train_recipe(model: str, dataset: Optional[str] = None, *, epochs: Optional[int] = None, seed: int = 0,
                 data_root: Optional[PathLike] = None, out: PathLike = "checkpoints", batch_size: Optional[int] = None,
                 lr: Optional[float] = None, augment: Optional[str] = None, label_smoothing: Optional[float] = None,
                 progress: bool = True) -> dict:
    """Train RECIPES[model] on `dataset` (checkpoint in `out`, resumed if there); returns a dict of results.

    None means the recipe's value; in quick mode (CNNLIB_QUICK=1) the default is 1 epoch on small subsets.
    `augment` names one of AUGMENTATIONS ("none" for none); with it or `label_smoothing` the recipe changes in that
    one setting (tools/benchmark.py --ablation measures what each of a recipe's techniques adds).
    """
    recipe, dataset, epochs, batch_size, out = _recipe_args(model, dataset, epochs, seed, out, batch_size, lr)
    recipe, variant = _variant(recipe, augment, label_smoothing)
    set_seed(seed)
    net = recipe.model(dataset)
    data = load_data(dataset, batch_size=batch_size, val_size=5000, seed=seed, root=data_root,
                     augment=recipe.augment)
    optimizer, scheduler = recipe.optimizer(net, len(data.train), epochs, lr)
    checkpoint = out / f"{model}{variant}-{dataset}-seed{seed}.pt"
    history = fit(net, data.train, data.val, epochs=epochs, optimizer=optimizer, scheduler=scheduler,
                  loss_fn=recipe.loss_fn(), checkpoint=checkpoint, progress=progress)
    _, test_acc = evaluate(net, data.test)
    mirrored_acc = accuracy(net, *data.test.tensors(), mirrored=True)  # test-time augmentation
    clean = TensorLoader(data.train.X, data.train.y, 1000, mean=data.train.mean, std=data.train.std)
    _, train_acc = evaluate(net, clean)  # the training images as they are, without augmentation: vs test, overfitting
    return {"model": model, "dataset": dataset, "epochs": epochs, "seed": seed,
            "augment": _augment_name(recipe.augment), "label_smoothing": recipe.label_smoothing,
            "test_accuracy": round(test_acc, 4), "test_accuracy_mirrored": round(mirrored_acc, 4),
            "val_accuracy": round(history.val_acc[-1], 4), "train_accuracy": round(train_acc, 4),
            "seconds": round(sum(history.seconds), 2),
            "images_per_sec": round(sum(history.images_per_sec) / len(history), 1),
            "quick": quick_mode(), "checkpoint": str(checkpoint)}


def _recipe_args(model, dataset, epochs, seed, out, batch_size, lr, cli: bool = False) -> tuple:
    """Every check of train_recipe's arguments, before any data is read (cli: name them as the command line does)."""
    name = {k: ("--" + k.replace("_", "-") if cli else k) for k in ("epochs", "seed", "out", "batch_size", "lr")}
    if not isinstance(model, str) or model not in RECIPES:
        raise ValueError(f"unknown model {_check.short(model)}; known recipes: {', '.join(RECIPES)}")
    recipe = RECIPES[model]
    dataset = recipe.dataset if dataset is None else dataset
    dataset = next(k for k, v in DATASETS.items() if v is dataset_info(dataset))
    epochs = ((1 if quick_mode() else recipe.epochs) if epochs is None else
              _check.whole(epochs, name["epochs"], 1, 10_000))
    _check.whole(seed, name["seed"], 0, 2**32 - 1)
    batch_size = (recipe.batch_size if batch_size is None else
                  _check.whole(batch_size, name["batch_size"], 1, 65_536))
    if lr is not None:
        _check.number(lr, name["lr"], positive=True, maximum=100)
    return recipe, dataset, epochs, batch_size, _check.writable_folder(out, name["out"])


AUGMENTATIONS: dict[str, Optional[Callable[..., torch.Tensor]]] = {
    "none": None, "flip": random_flip, "flip-crop": random_flip_crop, "flip-erase": random_flip_erase}


def _augment_name(augment: Optional[Callable[..., torch.Tensor]]) -> str:
    return next(k for k, v in AUGMENTATIONS.items() if v is augment)


def _variant(recipe: Recipe, augment: object, label_smoothing: object,
             name: str = "label_smoothing") -> tuple[Recipe, str]:
    """The recipe with `augment` (a name of AUGMENTATIONS) and `label_smoothing` in place of its own where given,
    and a suffix for the checkpoint's name that tells the variant apart ("" for the recipe itself)."""
    changes = {}
    if augment is not None:
        if not isinstance(augment, str) or augment not in AUGMENTATIONS:
            raise ValueError(f"augment must be one of {', '.join(AUGMENTATIONS)}, got {_check.short(augment)}")
        changes["augment"] = AUGMENTATIONS[augment]
    if label_smoothing is not None:
        changes["label_smoothing"] = _check.number(label_smoothing, name, minimum=0, maximum=0.99, example="0.1")
    changes = {k: v for k, v in changes.items() if v != getattr(recipe, k)}
    suffix = "".join(f"-{k.replace('_', '-')}-{_augment_name(v) if k == 'augment' else v}"
                     for k, v in changes.items())
    return replace(recipe, **changes), suffix


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        """One line, `error: ...`, and exit status 2 (argparse's own also prints the whole usage)."""
        self.exit(2, f"error: {message} (see python -m cnnlib.train --help)\n")


def main(argv: Optional[list[str]] = None) -> None:
    """Command line: train a RECIPES model on a dataset, then print one JSON line of results."""
    parser = _Parser(prog="python -m cnnlib.train", description=main.__doc__)
    parser.add_argument("model", choices=list(RECIPES))
    parser.add_argument("--dataset", choices=list(DATASETS),
                        help="default: the recipe's notebook dataset (cifar10 for mlp and cnn, else fashion-mnist)")
    parser.add_argument("--epochs", type=int, help="default: the recipe's (1 in quick mode)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-root", help="dataset folder (default: $CNNLIB_DATA or ~/cnnlib-data)")
    parser.add_argument("--out", default="checkpoints", help="folder for the checkpoint (default: checkpoints)")
    parser.add_argument("--batch-size", type=int, help="default: the recipe's")
    parser.add_argument("--lr", type=float, help="default: the recipe's")
    parser.add_argument("--augment", choices=list(AUGMENTATIONS), help="default: the recipe's")
    parser.add_argument("--label-smoothing", type=float, help="default: the recipe's (0 for none)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars or epoch lines")
    args = parser.parse_args(argv)
    try:
        recipe = _recipe_args(args.model, args.dataset, args.epochs, args.seed, args.out, args.batch_size, args.lr,
                              cli=True)[0]
        _variant(recipe, args.augment, args.label_smoothing, name="--label-smoothing")
    except (TypeError, ValueError) as e:
        parser.error(str(e))
    print(mode_banner(), file=sys.stderr)
    try:
        result = train_recipe(args.model, args.dataset, epochs=args.epochs, seed=args.seed, data_root=args.data_root,
                              out=args.out, batch_size=args.batch_size, lr=args.lr, augment=args.augment,
                              label_smoothing=args.label_smoothing, progress=not args.no_progress)
    except (CheckpointError, DataNotFoundError, TrainingDiverged, OSError) as e:  # a sentence, not a traceback
        parser.exit(2, f"error: {e}\n")
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
