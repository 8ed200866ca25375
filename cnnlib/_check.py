"""Argument checks for every public function of cnnlib: one rule per kind of value, one sentence per mistake.

Each check raises TypeError (wrong kind of value) or ValueError (right kind, impossible value) naming the argument,
what was expected and what to try, before any work is done. Public functions call them in one line at the top.

One rule for whole numbers everywhere: an int, a NumPy integer, a float or a one-element tensor holding a whole number
(3, np.int64(3), 3.0, torch.tensor(3)) is accepted; True/False, text, fractions, NaN and infinity are refused.
"""
from __future__ import annotations

import math
import numbers
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

import torch
from torch import Tensor, nn

MAX_BYTES = 2 * 1024 ** 3  # one tensor above 2 GB is a mistake in this series (a class seat often has 1-2 GB)


def short(value: object, limit: int = 24) -> str:
    """repr(value) cut to `limit` characters: what a message may quote of something a student typed or pasted."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "True/False"
    if isinstance(value, str):
        return f"the text {short(value)}"
    if isinstance(value, Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    return f"{type(value).__name__} {short(value)}"


def _as_number(value: object, name: str, example: str) -> float:
    """A real number from an int/float/NumPy scalar/one-element tensor; TypeError for anything else."""
    if isinstance(value, Tensor):
        if value.numel() != 1 or value.is_complex():
            raise TypeError(f"{name} must be a single number such as {example}, got {_kind(value)}")
        value = value.item()
    elif hasattr(value, "item") and hasattr(value, "dtype") and getattr(value, "size", 1) == 1:
        value = value.item()  # a NumPy scalar or one-element array
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        hint = f"; write {value.strip()} without quotes" if isinstance(value, str) and _is_number_text(value) else ""
        raise TypeError(f"{name} must be a number such as {example}, got {_kind(value)}{hint}")
    return float(value) if not isinstance(value, numbers.Integral) else value


def _is_number_text(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return len(text) < 30


def whole(value: object, name: str, minimum: Optional[int] = None, maximum: Optional[int] = None,
          hint: str = "") -> int:
    """value as an int (the one rule for whole numbers), within [minimum, maximum] when given."""
    number = _as_number(value, name, str(minimum if minimum is not None and minimum > 0 else 3))
    if isinstance(number, float):
        if not math.isfinite(number):
            raise ValueError(f"{name} must be a whole number, got {number}{hint}")
        if not number.is_integer():
            raise ValueError(f"{name} must be a whole number, got {number}; sizes and counts have no fractions, "
                             f"so use {math.floor(number)} or {math.ceil(number)}{hint}")
    number = int(number)
    if minimum is not None and number < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {number}{hint}")
    if maximum is not None and number > maximum:
        raise ValueError(f"{name} must be at most {maximum:,}, got {number:,}{hint}")
    return number


def pair(value: object, name: str, minimum: Optional[int] = None, maximum: Optional[int] = None,
         hint: str = "") -> tuple[int, int]:
    """An int or an (h, w) pair of whole numbers as a tuple of two ints."""
    if isinstance(value, (tuple, list, torch.Size)):
        if len(value) != 2:
            raise ValueError(f"{name} must be one whole number or a pair (height, width), got {len(value)} values "
                             f"{short(tuple(value), 40)}{hint}")
        return (whole(value[0], f"{name} (height)", minimum, maximum, hint),
                whole(value[1], f"{name} (width)", minimum, maximum, hint))
    v = whole(value, name, minimum, maximum, hint)
    return v, v


def number(value: object, name: str, *, minimum: Optional[float] = None, maximum: Optional[float] = None,
           positive: bool = False, below: Optional[float] = None, example: str = "0.1") -> float:
    """A finite real number as a float: positive (> 0), within [minimum, maximum], or below `below` when asked."""
    x = float(_as_number(value, name, example))
    if not math.isfinite(x):
        raise ValueError(f"{name} must be a finite number such as {example}, got {x}")
    if positive and not x > 0:
        raise ValueError(f"{name} must be positive, such as {example}, got {x:g}")
    if minimum is not None and x < minimum:
        raise ValueError(f"{name} must be at least {minimum:g}, got {x:g}")
    if maximum is not None and x > maximum:
        raise ValueError(f"{name} must be at most {maximum:g}, got {x:g}")
    if below is not None and not x < below:
        raise ValueError(f"{name} must be less than {below:g}, got {x:g}")
    return x


def flag(value: object, name: str) -> bool:
    """True or False (not 0/1, not the text 'True')."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {_kind(value)}")
    return value


def choice(value: object, name: str, options: Sequence[str]) -> str:
    """One of the strings in `options`."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {', '.join(map(repr, options))}, got {_kind(value)}")
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}, got {short(value)}")
    return value


def function(value: object, name: str, example: str) -> None:
    """Something callable, such as a function or a layer."""
    if not callable(value):
        raise TypeError(f"{name} must be a function or a layer such as {example}, got {_kind(value)}")


def tensor(X: object, name: str, ndim: Optional[int] = None, layout: str = "", *, at_least: bool = False,
           floating: bool = True) -> Tensor:
    """X must be a non-empty tensor (of floating-point numbers unless floating=False) with ndim dimensions."""
    if not isinstance(X, Tensor):
        convert = "torch.from_numpy(X).float()" if type(X).__module__ == "numpy" else "torch.tensor(X)"
        raise TypeError(f"{name} must be a torch.Tensor, got {type(X).__name__}; convert it with "
                        f"{convert.replace('X', name)}")
    if floating and not X.is_floating_point():
        raise TypeError(f"{name} must hold floating-point numbers, got dtype {X.dtype}; convert it with {name}.float()"
                        + (" / 255 (pixels from 0..255 become 0..1; a loader's stored images come normalised from "
                           "loader.tensors(), e.g. data.test.tensors())" if X.dtype == torch.uint8 else ""))
    if ndim is not None and ((X.ndim < ndim) if at_least else (X.ndim != ndim)):
        shape = tuple(X.shape)
        need = ("at least " if at_least else "") + f"{ndim} dimension" + ("s" if ndim > 1 else "")
        msg = f"{name} must have {need} {layout}, got shape {shape} ({X.ndim}-D)"
        if X.ndim < ndim:
            msg += f"; add the missing ones, e.g. {name}.reshape{(1,) * (ndim - X.ndim) + shape}"
        elif all(s == 1 for s in shape[:X.ndim - ndim]):
            msg += f"; drop the leading size-1 dimensions with {name}.reshape{shape[X.ndim - ndim:]}"
        else:
            msg += f"; pass one slice at a time, e.g. {name}[0]"
        raise ValueError(msg)
    if X.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(X.shape)}); every dimension needs at least one element")
    return X


def same_kind(X: Tensor, K: Tensor, x_name: str = "X", k_name: str = "K") -> None:
    """X and K share dtype and device, as one computation with both requires."""
    if X.dtype != K.dtype:
        raise ValueError(f"{x_name} is {X.dtype} but {k_name} is {K.dtype}; convert one so they match, "
                         f"e.g. {k_name} = {k_name}.to({x_name}.dtype)")
    if X.device != K.device:
        raise ValueError(f"{x_name} is on {X.device} but {k_name} is on {K.device}; move both to one device, "
                         f"e.g. {k_name} = {k_name}.to({x_name}.device)")


def nbytes(count: int, what: str, fix: str, itemsize: int = 4) -> None:
    """Refuse, with the size named, an allocation of `count` numbers above MAX_BYTES."""
    size = count * itemsize
    if size > MAX_BYTES:
        raise ValueError(f"{what} would need {_gb(size)} of memory ({count:,} numbers), more than the "
                         f"{_gb(MAX_BYTES)} cnnlib allows for one tensor; {fix}")


def _gb(size: float) -> str:
    return f"{size / 1e9:,.1f} GB" if size >= 1e8 else f"{size / 1e6:,.0f} MB"


def model(m: object, name: str = "model") -> nn.Module:
    """m must be a PyTorch model (an nn.Module)."""
    if not isinstance(m, nn.Module):
        hint = ("; pass the model object (e.g. LeNet()), not the class" if isinstance(m, type) and issubclass(m, nn.Module)
                else "")
        raise TypeError(f"{name} must be a PyTorch model (an nn.Module such as LeNet()), got {_kind(m)}{hint}")
    return m


def materialized(m: nn.Module, what: str = "this") -> None:
    """Every parameter of m has its shape (no lazy layer still waiting for its first batch)."""
    if any(nn.parameter.is_lazy(p) for p in m.parameters()):
        raise ValueError(f"{type(m).__name__} has lazy layers whose shapes are not known yet, so {what} cannot run; "
                         f"call materialize(model, X_shape) first, e.g. materialize(model, (1, 1, 28, 28))")


def device(value: object) -> Optional[torch.device]:
    """A device this machine has, as a torch.device; None stays None (the caller's default)."""
    if value is None:
        return None
    if not isinstance(value, (str, torch.device)):
        raise TypeError(f"device must be a string such as 'cpu' or 'cuda', or a torch.device, got {_kind(value)}")
    try:
        dev = torch.device(value)
    except (RuntimeError, ValueError):
        raise ValueError(f"device must name a device such as 'cpu', 'cuda' or 'mps', got {short(value)}; "
                         f"cnnlib.device() picks the best one this machine has") from None
    available = {"cpu": True, "cuda": torch.cuda.is_available(),
                 "mps": bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())}
    if not available.get(dev.type, False):
        raise ValueError(f"device {short(str(value))} is not available on this machine; use cnnlib.device(), "
                         f"which picks the best one there is")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise ValueError(f"device {value} does not exist: this machine has {torch.cuda.device_count()} GPU(s)")
    return dev


def model_dtype(m: nn.Module) -> Optional[torch.dtype]:
    for p in m.parameters():
        if not nn.parameter.is_lazy(p):
            return p.dtype
    return None


def _first_conv(m: nn.Module) -> Optional[nn.Conv2d]:
    for layer in m.modules():
        if isinstance(layer, nn.Conv2d):
            return layer
    return None


def images(X: object, name: str = "X", model: Optional[nn.Module] = None) -> Tensor:
    """A batch of images (N, C, H, W) of floats; with a model, also its dtype, channels and (if fixed) image size."""
    if not isinstance(X, Tensor) or not X.is_floating_point():
        tensor(X, name)  # the sentence about the type or the dtype
    who = "this" if model is None else "the model" if type(model).__name__ == "Classifier" else type(model).__name__
    C, size, flat = expected_input(model) if model is not None else (None, None, None)
    want = f"(B, {C if C else 'C'}, {', '.join(map(str, size)) if size else 'H, W'})"
    if X.ndim != 4:
        shape = tuple(X.shape)
        fix = (f"add a batch dimension with {name}.unsqueeze(0)" if X.ndim == 3 and (C is None or shape[0] == C)
               and shape[0] <= 4 else
               f"these look like {shape[0]} images without a channel dimension: add it with {name}.unsqueeze(1)"
               if X.ndim == 3 else
               f"reshape it, e.g. {name}.reshape(1, 1, {shape[-2]}, {shape[-1]}) for one grey image" if X.ndim == 2
               else "pass a batch of images")
        raise ValueError(f"{who} expects a batch of images of shape {want}, got {shape}: {fix}")
    if X.numel() == 0:
        raise ValueError(f"{name} is an empty batch (shape {tuple(X.shape)}); pass at least one image")
    if model is None:
        return X
    dtype = model_dtype(model)
    if dtype is not None and X.dtype != dtype:
        raise TypeError(f"{who} holds {dtype} weights but {name} is {X.dtype}; convert the images with "
                        f"{name}.to({dtype}) (or the model with model.to({X.dtype}))")
    if C is not None and X.shape[1] != C:
        raise ValueError(f"{who} expects images with {C} channel{'s' * (C != 1)}, a batch of shape {want}, got "
                         f"{tuple(X.shape)}" + (f"; for grey images take one channel, e.g. {name}.mean(1, keepdim=True)"
                                                if C == 1 else "; build the model for your images instead"))
    if size is not None and tuple(X.shape[2:]) != size:
        raise ValueError(f"{who} was built for {size[0]}x{size[1]} images (its dense layers fix the size), got "
                         f"{X.shape[2]}x{X.shape[3]} in a batch of shape {tuple(X.shape)}; resize the images or "
                         f"build the model for this size")
    if flat is not None and X[0].numel() != flat:
        raise ValueError(f"{who} takes images of {flat:,} numbers each (its first Linear layer has "
                         f"in_features={flat}), got {X.shape[1]}x{X.shape[2]}x{X.shape[3]} = {X[0].numel():,}; "
                         f"use the images it was built for")
    return X


def expected_input(m: nn.Module) -> tuple[Optional[int], Optional[tuple], Optional[int]]:
    """(channels, (H, W), flat size) a model expects, each None when not known or not fixed.

    Channels come from the first convolution once it has weights; the image size from materialize for a model with a
    fixed-size dense head; the flat size from a model that starts with Flatten and a Linear layer (an MLP).
    """
    recorded = getattr(m, "_cnnlib_input_shape", None)
    if recorded is not None:
        return recorded[0], (tuple(recorded[1:]) or None), None
    leaves = [layer for layer in m.modules() if not list(layer.children())][:2]  # the first two layers that compute
    if len(leaves) == 2 and isinstance(leaves[0], nn.Flatten) and isinstance(leaves[1], nn.Linear):
        return None, None, None if nn.parameter.is_lazy(leaves[1].weight) else leaves[1].in_features
    conv = _first_conv(m)
    if conv is not None and not nn.parameter.is_lazy(conv.weight):
        return conv.in_channels, None, None
    return None, None, None


def labels(y: object, n: int, name: str = "y", num_classes: Optional[int] = None, from_model: bool = True) -> Tensor:
    """Class labels (n,) as an int64 tensor: whole numbers in 0..num_classes-1, one per example."""
    if not isinstance(y, Tensor):
        tensor(y, name, floating=False)
    if y.ndim != 1:
        raise ValueError(f"{name} must be a vector of class labels (N,), got shape {tuple(y.shape)}"
                         + (f"; flatten it with {name}.flatten()" if y.numel() == n else ""))
    if len(y) != n:
        raise ValueError(f"{name} holds {len(y)} labels but there are {n} examples; give one label per example")
    if y.is_floating_point():
        if not torch.isfinite(y).all() or (y != y.round()).any():
            bad = y[~torch.isfinite(y) | (y != y.round())][0].item()
            raise ValueError(f"{name} must hold whole class numbers, got {bad}; labels are classes 0, 1, 2, ...")
        y = y.long()
    elif y.dtype == torch.bool or y.is_complex():
        raise TypeError(f"{name} must hold class numbers 0, 1, 2, ... (int64), got dtype {y.dtype}")
    if len(y) and y.min() < 0:
        raise ValueError(f"{name} holds the label {int(y.min())}; class labels start at 0")
    if num_classes is not None and len(y) and y.max() >= num_classes:
        raise ValueError(f"{name} holds the label {int(y.max())}, but " + (
            f"the model has {num_classes} classes (labels 0..{num_classes - 1}); build the model with "
            f"num_classes={int(y.max()) + 1} or check the labels" if from_model else
            f"num_classes={num_classes} allows the labels 0..{num_classes - 1} only"))
    return y.long()


def num_classes_of(m: nn.Module) -> Optional[int]:
    """out_features of the model's last Linear layer (its number of classes), when known."""
    last = None
    for layer in m.modules():
        if isinstance(layer, nn.Linear) and not nn.parameter.is_lazy(layer.weight):
            last = layer
    return None if last is None else last.out_features


def writable_file(path: object, name: str) -> Path:
    """A file path whose folder exists (or can be created) and can be written to; checked by writing a probe."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a file path such as 'checkpoints/model.pt', got {_kind(path)}")
    path = Path(path).expanduser()
    if path_kind(path, name) == "dir":
        raise ValueError(f"{name} must be a file path such as 'checkpoints/model.pt', got the folder {path}")
    writable_folder(path.parent, f"the folder of {name}")
    return path


def path_kind(path: Path, name: str) -> Optional[str]:
    """'dir', 'file' or None (nothing there yet); a sentence for a path the system refuses (too long, no access)."""
    try:
        return "dir" if path.is_dir() else "file" if path.exists() else None
    except OSError as e:
        raise ValueError(f"cannot use {name} {short(str(path), 60)}: {e.strerror or type(e).__name__}; "
                         f"choose a shorter path in a folder you can write to") from None


def writable_folder(folder: object, name: str) -> Path:
    """A folder that exists (or can be created, with its parents) and can be written to."""
    if not isinstance(folder, (str, os.PathLike)):
        raise TypeError(f"{name} must be a folder path such as 'checkpoints', got {_kind(folder)}")
    folder = Path(folder).expanduser()
    existing = next((p for p in (folder, *folder.parents) if path_kind(p, name)), None)
    if existing is not None and not existing.is_dir():
        raise ValueError(f"{name} {folder} cannot be a folder: {existing} is a file; choose another path")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        reason = "permission denied" if isinstance(e, PermissionError) else (e.strerror or type(e).__name__)
        raise ValueError(f"cannot write to {name} {short(str(folder), 60)} ({reason}); choose a folder you can "
                         f"write to, such as one in your home folder") from None
    return folder


def x_shape(m: object, X_shape: object) -> tuple[int, int, int, int]:
    """X_shape, the shape of a batch for model m (materialize, layer_summary, block_costs), as 4 ints."""
    model(m)
    what = "X_shape must be 4 whole numbers (batch_size, channels, height, width), e.g. (1, 1, 28, 28)"
    if not isinstance(X_shape, (tuple, list, torch.Size)):
        raise TypeError(f"{what}; got {short(X_shape)}")
    if len(X_shape) != 4:
        raise ValueError(f"{what}; got {len(X_shape)} numbers {short(tuple(X_shape), 40)}")
    shape = tuple(whole(s, f"X_shape[{i}]", 1, hint=f"; {what}") for i, s in enumerate(X_shape))
    nbytes(shape[0] * shape[1] * shape[2] * shape[3], f"a batch of shape {shape}",
                  "use batch size 1, e.g. (1, 1, 28, 28)")
    halvings = sum(isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)) and layer.stride in (2, (2, 2)) for layer in m.modules())
    if min(shape[2:]) < 2 ** halvings:
        raise ValueError(f"{type(m).__name__} halves the image {halvings} times, so it needs at least "
                         f"{2 ** halvings}x{2 ** halvings} pixels; got {shape[2]}x{shape[3]} in X_shape={shape}")
    return shape
