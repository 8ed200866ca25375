"""Datasets as tensors: Fashion-MNIST, MNIST and CIFAR-10 held whole in memory, split, batched and augmented."""
from __future__ import annotations

import errno
import inspect
import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional, Sequence, Union

import torch
import torchvision

from cnnlib import _check
from cnnlib.utils import device as default_device
from cnnlib.utils import quick_mode

_DATA_ENV = "CNNLIB_DATA"
_DEFAULT_ROOT = "~/cnnlib-data"
_QUICK_SIZES = {"train": 2000, "val": 500, "test": 500}  # quick mode (CNNLIB_QUICK=1): small, class-balanced subsets

PathLike = Union[str, "os.PathLike[str]"]

_MNIST_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


@dataclass(frozen=True)
class DatasetInfo:
    """What we know about a dataset without loading it: classes, image shape, normalisation constants, files."""
    title: str                      # the name people write, e.g. "Fashion-MNIST"
    torchvision_class: str          # e.g. "FashionMNIST" (torchvision.datasets.<this>)
    classes: tuple[str, ...]
    shape: tuple[int, int, int]     # one image: (C, H, W)
    mean: tuple[float, ...]         # per channel, of the training split scaled to [0, 1]
    std: tuple[float, ...]
    folder: str                     # relative to the data root
    files: tuple[str, ...]          # what torchvision needs in `folder`
    sizes: tuple[int, int]          # (train, test)


# Constants from channel_stats(name) on the training split (tests/test_data.py checks them to 4 decimals).
DATASETS: dict[str, DatasetInfo] = {
    "fashion-mnist": DatasetInfo(
        "Fashion-MNIST", "FashionMNIST",
        ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
        (1, 28, 28), (0.2860,), (0.3530,), "FashionMNIST/raw", _MNIST_FILES, (60000, 10000)),
    "mnist": DatasetInfo(
        "MNIST", "MNIST",
        ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
        (1, 28, 28), (0.1307,), (0.3081,), "MNIST/raw", _MNIST_FILES, (60000, 10000)),
    "cifar10": DatasetInfo(
        "CIFAR-10", "CIFAR10",
        ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
        (3, 32, 32), (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616), "cifar-10-batches-py",
        ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5",
         "test_batch", "batches.meta"), (50000, 10000)),
}
_ALIASES = {"fashionmnist": "fashion-mnist", "cifar-10": "cifar10"}


class DataNotFoundError(RuntimeError):
    """The dataset is not on disk and could not be downloaded."""


def data_root(root: Optional[PathLike] = None) -> Path:
    """The folder datasets live in: `root` if given, else $CNNLIB_DATA, else ~/cnnlib-data."""
    if root is None:
        root = os.environ.get(_DATA_ENV) or _DEFAULT_ROOT
    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root must be a folder path such as '~/cnnlib-data', got {_check.short(root)}")
    root = Path(root).expanduser()
    if _check.path_kind(root, "the data root") == "file":
        raise ValueError(f"the data root {root} is a file; point root=... (or ${_DATA_ENV}) at a folder")
    return root


def dataset_info(name: str) -> DatasetInfo:
    """Look a dataset up in DATASETS by name ('fashion-mnist', 'mnist', 'cifar10'; case and '_' do not matter)."""
    if not isinstance(name, str):
        raise TypeError(f"dataset name must be a string such as 'cifar10', got {_check.short(name)}")
    key = name.strip().lower().replace("_", "-")
    key = _ALIASES.get(key, key)
    if key not in DATASETS:
        raise ValueError(f"unknown dataset {_check.short(name)}; known datasets: {', '.join(DATASETS)}")
    return DATASETS[key]


def missing_files(name: str, root: Optional[PathLike] = None) -> list[Path]:
    """The files of dataset `name` that are not (yet) under the data root; [] when it is complete."""
    info = dataset_info(name)
    folder = data_root(root) / info.folder
    def present(f: str) -> bool:  # a .gz download also counts when only its unpacked file is there
        return (folder / f).is_file() or (f.endswith(".gz") and (folder / f[:-3]).is_file())
    return [folder / f for f in info.files if not present(f)]


def _snapshot(paths: list[Path]) -> set[Path]:
    """Every file and folder that exists now at or under `paths`."""
    seen = set()
    for p in paths:
        if p.exists():
            seen.add(p)
            seen.update(p.rglob("*") if p.is_dir() else ())
    return seen


def _remove_new(paths: list[Path], before: set[Path]) -> None:
    """Delete what appeared at or under `paths` since `before` was taken (deepest first)."""
    for p in sorted(_snapshot(paths) - before, key=lambda q: len(q.parts), reverse=True):
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)


def _torchvision_dataset(name: str, train: bool, root: Optional[PathLike]):
    """torchvision's dataset object (downloading it once); on failure, clean up and raise DataNotFoundError."""
    info, root = dataset_info(name), data_root(root)
    top = info.folder.split("/")[0]
    new_dirs = [p for p in (root, *root.parents) if not p.exists()]  # folders a download would create
    ours = [root / top, root / "cifar-10-python.tar.gz"]  # what a download may create inside the root
    missing = missing_files(name, root)
    before = _snapshot(ours)
    dataset_class = getattr(torchvision.datasets, info.torchvision_class)
    if not missing:
        try:
            return dataset_class(root=str(root), train=train)  # files there: skip download()'s extra md5 pass
        except Exception:
            pass  # e.g. MNIST .gz files not unpacked yet: download=True unpacks them (or explains below)
    try:
        return dataset_class(root=str(root), train=train, download=True)  # no network when the files are there
    except BaseException as e:  # also Ctrl-C during a download: remove what this attempt wrote
        _remove_new(ours, before)
        for folder in new_dirs:  # deepest first: the folders this attempt created, if they are still empty
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        if not isinstance(e, Exception):  # Ctrl-C stays Ctrl-C
            raise
        raise _data_error(info, root, missing, e) from e


def _data_error(info: DatasetInfo, root: Path, missing: list[Path], e: Exception) -> DataNotFoundError:
    """The sentence for a dataset that could not be loaded: read-only folder, corrupted files, or no download."""
    reason = f"{type(e).__name__}: {(str(e).strip() or 'no details').splitlines()[0][:200]}"
    cause = e
    while cause is not None and not isinstance(cause, OSError):
        cause = cause.__cause__ or cause.__context__
    if isinstance(cause, OSError) and cause.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return DataNotFoundError(
            f"{info.title} in {root / info.folder} cannot be used because the folder is read-only "
            f"({reason}); torchvision writes there once, to unpack or download the files. Copy the folder {root} "
            f"to a place you can write to and point ${_DATA_ENV} (or root=...) there; your files are fine.")
    if isinstance(cause, OSError) and cause.errno == errno.ENOSPC:
        return DataNotFoundError(f"{info.title} could not be written to {root}: the disk is full ({reason}); free "
                                 f"some space or point ${_DATA_ENV} (or root=...) at another disk.")
    if not missing:
        return DataNotFoundError(
            f"{info.title} files in {root / info.folder} are there but could not be read or verified ({reason}); "
            f"they may be corrupted: delete {root / info.folder.split('/')[0]} and run again to download them afresh.")
    return DataNotFoundError(
        f"{info.title} is not in {root / info.folder} and could not be downloaded ({reason}).\n"
        f"Expected files in {root / info.folder}/: {', '.join(info.files)}.\n"
        f"Fix: connect to the internet and run again (it downloads once), or copy those files there, "
        f"or point ${_DATA_ENV} (or root=...) at a folder that already holds them. "
        f"Nothing was left half-written.")


def _raw_tensors(name: str, train: bool, root: Optional[PathLike]) -> tuple[torch.Tensor, torch.Tensor]:
    """The split as stored: uint8 images (N, C, H, W) and int64 labels (N,)."""
    ds = _torchvision_dataset(name, train, root)
    X = torch.as_tensor(ds.data)          # MNIST: (N, H, W); CIFAR-10: (N, H, W, C)
    X = X.unsqueeze(1) if X.ndim == 3 else X.permute(0, 3, 1, 2)  # (N, C, H, W)
    y = torch.as_tensor(ds.targets, dtype=torch.int64)  # (N,)
    return X, y


def channel_stats(name: str, root: Optional[PathLike] = None) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and std of the training split, pixels scaled to [0, 1] (the numbers in DATASETS)."""
    X, _ = _raw_tensors(name, True, root)  # (N, C, H, W) uint8
    levels = torch.arange(256, dtype=torch.float64) / 255                       # (256,) pixel values in [0, 1]
    counts = torch.stack([torch.bincount(X[:, c].flatten(), minlength=256)     # (C, 256) exact histogram
                          for c in range(X.shape[1])]).to(torch.float64)
    n = counts.sum(dim=1)                                                       # (C,)
    mean = (counts * levels).sum(dim=1) / n
    std = ((counts * (levels - mean[:, None]) ** 2).sum(dim=1) / n).sqrt()      # population std
    return tuple(mean.tolist()), tuple(std.tolist())


def load_tensors(name: str, train: bool = True, root: Optional[PathLike] = None, normalised: bool = True
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """A whole split as tensors: X (N, C, H, W) float32 normalised per channel (normalised=False: uint8 as stored,
    a quarter of the memory), y (N,) int64 labels."""
    normalised = _check.flag(normalised, "normalised")
    X, y = _raw_tensors(name, train, root)
    info = dataset_info(name)
    return (_normalise(X, info.mean, info.std) if normalised else X.contiguous()), y


def channel_moments(loader: Iterable) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and (sample) standard deviation of every image a loader gives, one batch at a time:
    two float32 tensors (C,), summed in float64, so no batch size changes a printed digit."""
    total = total_sq = None
    n = 0
    for X, _ in loader:
        _check.images(X, "a batch")
        s = X.sum(dim=(0, 2, 3), dtype=torch.float64)                 # (C,), summed in float64
        sq = X.square().sum(dim=(0, 2, 3), dtype=torch.float64)       # (C,)
        total, total_sq = (s, sq) if total is None else (total + s, total_sq + sq)
        n += X[:, 0].numel()
    if total is None:
        raise ValueError("the loader gave no batches; pass one with at least one example")
    mean = total / n
    std = ((total_sq - n * mean * mean) / (n - 1)).clamp(min=0).sqrt()  # n - 1, as torch.std
    return mean.to(torch.float32), std.to(torch.float32)


def _normalise(X: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """uint8 images (N, C, H, W) -> float32, pixels scaled to [0, 1], then each channel by its mean and std."""
    X = X.to(torch.float32, memory_format=torch.contiguous_format)  # (N, C, H, W)
    mean = torch.tensor(mean, device=X.device).view(1, -1, 1, 1)  # (1, C, 1, 1)
    std = torch.tensor(std, device=X.device).view(1, -1, 1, 1)
    return X.div_(255).sub_(mean).div_(std)  # in place on the new float32 copy


def _examples(X: object, y: object) -> torch.Tensor:
    """X (N, ...) and class labels y (N,), one per example; returns y as int64."""
    _check.tensor(X, "X", 1, "(N, ...)", at_least=True, floating=False)
    return _check.labels(y, len(X))


def split(X: torch.Tensor, y: torch.Tensor, val_size: int, seed: int = 0
          ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Seeded random split into (X_train, y_train, X_val, y_val) with `val_size` validation examples."""
    y, seed = _examples(X, y), _check.whole(seed, "seed", 0, 2**63 - 1)
    val_size = _check.whole(val_size, "val_size", 1, len(X) - 1, hint=f" (the data has {len(X)} examples)")
    perm = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed)).to(X.device)
    val, train = perm[:val_size], perm[val_size:]
    return X[train], y[train], X[val], y[val]


def _stratified_subset(X: torch.Tensor, y: torch.Tensor, n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A seeded subset of about `n` examples with (nearly) the same count of every class (quick mode's data)."""
    if n >= len(X):
        return X, y
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed)).to(y.device)
    classes = y.unique()
    per_class = -(-n // len(classes))  # ceil
    picks = torch.cat([perm[y[perm] == c][:per_class] for c in classes])
    picks = picks[torch.randperm(len(picks), generator=torch.Generator().manual_seed(seed)).to(y.device)]
    picks = picks[:n].sort().values
    return X[picks], y[picks]


def random_flip(X: torch.Tensor, generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Mirror each image left-right with probability 1/2: (N, C, H, W) -> (N, C, H, W).

    The augmentation of notebook 07 (clothes look the same mirrored; crops cost more epochs than they gain there).
    """
    _check.images(X, "X")
    flip = torch.rand(len(X), generator=generator) < 0.5                         # (N,)
    return torch.where(flip.to(X.device).view(-1, 1, 1, 1), X.flip(3), X)       # (N, C, H, W)


def random_flip_crop(X: torch.Tensor, pad: int = 4, generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Random horizontal flip, then a random crop of the zero-padded image: (N, C, H, W) -> (N, C, H, W)."""
    _check.images(X, "X")
    pad = _check.whole(pad, "pad", 0, min(X.shape[-2:]) - 1, hint="; a crop must keep part of the image")
    N, C, H, W = X.shape
    flip = torch.rand(N, generator=generator) < 0.5                      # (N,)
    X = torch.where(flip.to(X.device).view(N, 1, 1, 1), X.flip(3), X)    # (N, C, H, W)
    Xp = torch.nn.functional.pad(X, (pad, pad, pad, pad))               # (N, C, H+2p, W+2p)
    top = torch.randint(0, 2 * pad + 1, (N,), generator=generator).to(X.device)   # (N,)
    left = torch.randint(0, 2 * pad + 1, (N,), generator=generator).to(X.device)
    rows = (top.view(N, 1) + torch.arange(H, device=X.device)).view(N, 1, H, 1)  # (N, 1, H, 1)
    cols = (left.view(N, 1) + torch.arange(W, device=X.device)).view(N, 1, 1, W)
    n = torch.arange(N, device=X.device).view(N, 1, 1, 1)
    c = torch.arange(C, device=X.device).view(1, C, 1, 1)
    return Xp[n, c, rows, cols]                                          # (N, C, H, W)


def random_flip_erase(X: torch.Tensor, size: int = 10, p: float = 0.5,
                      generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Random horizontal flip, then, with probability p, a size x size square set to 0 (Cutout):
    (N, C, H, W) -> (N, C, H, W).

    The square's centre is uniform over the image, so it may hang over the edge. On normalised images 0 is the
    dataset's mean pixel: the network must recognise a coat with a sleeve or a collar missing. The augmentation of
    notebook 08: it keeps the small ResNet from memorising its training images in the last epochs (3-seed test
    mean 0.9298 -> 0.9304; the validation accuracy gains more).
    """
    _check.images(X, "X")
    size = _check.whole(size, "size", 0, hint="; it is the side of the square, in pixels")
    p = _check.number(p, "p", minimum=0, maximum=1, example="0.5")
    X = random_flip(X, generator)
    N, C, H, W = X.shape
    top = torch.randint(-(size // 2), H - size // 2, (N, 1, 1, 1), generator=generator).to(X.device)
    left = torch.randint(-(size // 2), W - size // 2, (N, 1, 1, 1), generator=generator).to(X.device)
    erase = (torch.rand(N, 1, 1, 1, generator=generator) < p).to(X.device)      # (N, 1, 1, 1) which images
    rows = torch.arange(H, device=X.device).view(1, 1, H, 1)
    cols = torch.arange(W, device=X.device).view(1, 1, 1, W)
    square = erase & (rows >= top) & (rows < top + size) & (cols >= left) & (cols < left + size)  # (N, 1, H, W)
    return X.masked_fill(square, 0.0)                                          # (N, C, H, W), every channel


class TensorLoader:
    """Mini-batches (X, y) cut from tensors already in memory; the shuffle of epoch e depends only on (seed, e).

    Images stored as uint8 (as load_data keeps them: a quarter of the memory of float32) are normalised one batch at
    a time with the per-channel `mean` and `std` of pixels scaled to [0, 1]; the numbers are those of normalising the
    whole set first. Float images are batched as they are.
    """

    def __init__(self, X: torch.Tensor, y: torch.Tensor, batch_size: int = 128, shuffle: bool = False,
                 seed: int = 0, augment: Optional[Callable[..., torch.Tensor]] = None,
                 mean: Optional[Sequence[float]] = None, std: Optional[Sequence[float]] = None) -> None:
        y, mean, std = _loader_args(X, y, batch_size, shuffle, seed, augment, mean, std)
        self.X, self.y = X, y
        self.batch_size, self.shuffle, self.seed, self.augment = int(batch_size), shuffle, int(seed), augment
        self.mean, self.std = mean, std
        self.epoch = 0
        self._augment_takes_generator = augment is not None and _accepts(augment, "generator")

    def set_epoch(self, epoch: int) -> None:
        """Make the next pass use epoch `epoch`'s shuffle and augmentation (fit calls this; a resumed run too)."""
        self.epoch = epoch

    @property
    def dataset_size(self) -> int:
        """Number of examples (len(loader) is the number of batches)."""
        return len(self.X)

    def __len__(self) -> int:
        return math.ceil(len(self.X) / self.batch_size)

    def normalised(self, X: torch.Tensor) -> torch.Tensor:
        """Stored images -> what the model sees: uint8 (B, C, H, W) become normalised float32; floats pass as they are."""
        if not (isinstance(X, torch.Tensor) and X.dtype == self.X.dtype and X.ndim == self.X.ndim):
            raise TypeError(f"X must be images as this loader stores them, a {self.X.dtype} tensor of "
                            f"{self.X.ndim} dimensions such as loader.X[:8], got {_check.short(X)}")
        return X if self.mean is None else _normalise(X, self.mean, self.std)  # load_tensors' numbers, per batch

    def tensors(self, n: Optional[int] = None) -> tuple[torch.Tensor, torch.Tensor]:
        """The first n examples (all with None) in stored order, as a batch: X (n, C, H, W) as the model sees it, y (n,).

        No shuffle and no augmentation: for predictions, plots and smaller experiments (data.test.tensors()).
        """
        n = len(self.X) if n is None else _check.whole(n, "n", 1, len(self.X),
                                                        hint=f" (the loader holds {len(self.X)} examples)")
        return self.normalised(self.X[:n]), self.y[:n]

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        generator = torch.Generator().manual_seed(self.seed * 1000 + self.epoch)
        self.epoch += 1  # a plain `for` loop reshuffles each pass, like torch's DataLoader
        n = len(self.X)
        order = torch.randperm(n, generator=generator) if self.shuffle else torch.arange(n)
        order = order.to(self.X.device)
        for start in range(0, n, self.batch_size):
            idx = order[start:start + self.batch_size]
            X, y = self.normalised(self.X[idx]), self.y[idx]  # (B, C, H, W), (B,)
            if self.augment is not None:
                X = self.augment(X, generator=generator) if self._augment_takes_generator else self.augment(X)
            yield X, y

    def __repr__(self) -> str:
        stored = ", uint8 normalised per batch" if self.mean is not None else ""
        return (f"TensorLoader({self.dataset_size} examples{stored}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, {len(self)} batches, device={self.X.device})")


def _loader_args(X: object, y: object, batch_size: object, shuffle: object, seed: object, augment: object,
                 mean: object, std: object) -> tuple[torch.Tensor, Optional[tuple], Optional[tuple]]:
    """Checks of TensorLoader's arguments; returns y as int64 labels and mean, std as tuples of floats."""
    y = _examples(X, y)
    _check.whole(batch_size, "batch_size", 1, hint="; it is the number of examples per step, e.g. 128")
    _check.flag(shuffle, "shuffle")
    _check.whole(seed, "seed", 0, 2**53)
    if augment is not None:
        _check.function(augment, "augment", "random_flip")
    if X.dtype != torch.uint8:
        if mean is not None or std is not None:
            raise ValueError(f"mean and std normalise uint8 images (0..255) batch by batch, but X is already "
                             f"{X.dtype}; leave them out, or pass the uint8 images (e.g. data.train.X)")
        return y, None, None
    if mean is None or std is None:
        raise ValueError("X holds uint8 images (0..255) as stored; pass mean= and std= so that each batch is "
                         "normalised as the model expects, e.g. TensorLoader(data.train.X, data.train.y, "
                         "mean=data.mean, std=data.std)")
    if X.ndim != 4:
        raise ValueError(f"uint8 images must have shape (N, C, H, W), got {tuple(X.shape)}")
    C = X.shape[1]
    stats = []
    for value, name in ((mean, "mean"), (std, "std")):
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != C:
            raise TypeError(f"{name} must be a list or tuple of {C} number{'s' * (C != 1)}, one per channel of X "
                            f"(shape {tuple(X.shape)}), e.g. data.{name}; got {_check.short(value)}")
        stats.append(tuple(_check.number(v, f"{name}[{i}]", positive=name == "std", example="0.5")
                           for i, v in enumerate(value)))
    return y, stats[0], stats[1]


def _accepts(fn: Callable, arg: str) -> bool:
    try:
        return arg in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


@dataclass
class Loaders:
    """The loaders of one dataset plus what a notebook needs to show its images."""
    train: TensorLoader
    val: Optional[TensorLoader]
    test: TensorLoader
    classes: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]


def load_data(name: str, batch_size: int = 128, val_size: Optional[int] = None, seed: int = 0,
              root: Optional[PathLike] = None, device: Optional[Union[str, torch.device]] = None,
              quick: Optional[bool] = None,
              augment: Optional[Callable[..., torch.Tensor]] = None) -> Loaders:
    """Train/val/test loaders of a dataset held on `device`; quick mode uses small class-balanced subsets.

    val_size examples of the training split become the validation set (None: no validation set),
    e.g. load_data("cifar10", val_size=5000) gives the lecture's 45k/5k split.
    """
    info, batch_size, val_size, seed, device = _load_args(name, batch_size, val_size, seed, device, augment)
    quick = quick_mode() if quick is None else _check.flag(quick, "quick")

    # The images stay uint8 as stored and each batch is normalised as it is cut (TensorLoader's mean and std): a
    # quarter of the memory of float32 (CIFAR-10's training split: 154 MB instead of 614 MB), the same numbers.
    X, y = _raw_tensors(name, True, root)
    X_test, y_test = _raw_tensors(name, False, root)
    if quick:
        n_val = min(val_size, _QUICK_SIZES["val"]) if val_size else 0
        X, y = _stratified_subset(X, y, _QUICK_SIZES["train"] + n_val, seed)
        X_test, y_test = _stratified_subset(X_test, y_test, _QUICK_SIZES["test"], seed)
        val_size = n_val or None
    X_val = y_val = None
    if val_size:
        X, y, X_val, y_val = split(X, y, val_size, seed)
    stats = {"mean": info.mean, "std": info.std}
    train = TensorLoader(X.contiguous().to(device), y.to(device), batch_size, shuffle=True, seed=seed, augment=augment,
                         **stats)
    val = None if X_val is None else TensorLoader(X_val.contiguous().to(device), y_val.to(device), batch_size, **stats)
    test = TensorLoader(X_test.contiguous().to(device), y_test.to(device), batch_size, **stats)
    return Loaders(train, val, test, info.classes, info.mean, info.std)


def _load_args(name: object, batch_size: object, val_size: object, seed: object, device: object,
               augment: object) -> tuple:
    """Checks of load_data's arguments, before anything is read from disk."""
    info = dataset_info(name)
    batch_size = _check.whole(batch_size, "batch_size", 1, hint="; it is the number of examples per step, e.g. 128")
    if val_size is not None:
        val_size = _check.whole(val_size, "val_size", 1, info.sizes[0] - 1,
                                hint=f" ({info.title} has {info.sizes[0]} training examples; None: no validation set)")
    if augment is not None:
        _check.function(augment, "augment", "random_flip")
    seed, device = _check.whole(seed, "seed", 0, 2**53), _check.device(device) or default_device()
    return info, batch_size, val_size, seed, device
