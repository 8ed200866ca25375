"""Looking inside trained networks: activations (forward hooks), predictions (also averaged with the mirror image:
test-time augmentation), confusion matrices, mistakes, gradient norms per layer, receptive fields and costs per
block, and accuracy on shifted images.

Every function is plain (tensors in, tensors or lists out), so notebooks 06-09 and the feature-map browser in
cnnlib.widgets share one tested implementation.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Callable, Optional

import torch
import torch.nn.functional as F
from torch import nn

from cnnlib.models import _eval_no_grad  # shared with the models' own helpers
from cnnlib.utils import model_device

__all__ = [
    "FEATURE_TYPES", "feature_layers", "capture_activations", "feature_maps", "first_conv_weight",
    "predict", "predict_mirrored", "accuracy", "confusion_matrix", "most_confident_mistakes", "gradient_norms",
    "receptive_field", "conv_stack", "BlockCost", "block_costs", "cost_table", "shift_images", "shifted_accuracy",
]

ACTIVATIONS = (nn.ReLU, nn.Sigmoid, nn.Tanh, nn.LeakyReLU, nn.GELU, nn.ELU, nn.SiLU)
FEATURE_TYPES: tuple[type, ...] = (nn.Conv2d, *ACTIVATIONS)  # plus every residual-style block (see _is_block)


# ---------------------------------------------------------------- helpers

def _check_model(model: object, func: str) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"{func} expects a PyTorch model (an nn.Module such as LeNet()), got {type(model).__name__}")


def _check_images(X: object, func: str) -> None:
    if not isinstance(X, torch.Tensor):
        raise TypeError(f"{func} expects images as a tensor (N, C, H, W), got {type(X).__name__}")
    if X.dim() != 4:
        raise ValueError(f"{func} expects a batch of images (N, C, H, W), got shape {tuple(X.shape)}; "
                         "for one image use X.unsqueeze(0)")


def _is_block(module: nn.Module) -> bool:
    """A block with its own forward that holds convolutions directly (a Residual block or its plain twin).

    Its output is what the next layer sees; the layers inside are an implementation detail of the block.
    """
    if isinstance(module, (nn.Sequential, nn.ModuleList, nn.ModuleDict)):
        return False
    return any(isinstance(child, nn.Conv2d) for child in module.children())


def _batches(X: torch.Tensor, batch_size: int) -> Iterator[torch.Tensor]:
    for start in range(0, len(X), batch_size):
        yield X[start:start + batch_size]


# ---------------------------------------------------------------- activations (forward hooks)

def feature_layers(model: nn.Module, X_shape: Sequence[int]) -> list[str]:
    """Names of the layers whose output is a feature map (N, C, H, W): convolutions, activations, residual blocks.

    Found with forward hooks on one dummy pass of shape X_shape, in the order they run; layers inside a
    residual block are left out (the block's output is what the next layer sees).
    """
    _check_model(model, "feature_layers")
    X = torch.zeros(*X_shape, device=model_device(model))
    found = capture_activations(model, X, layers=None)
    return list(found)


def _candidates(model: nn.Module) -> dict[str, nn.Module]:
    """Conv/activation layers and residual blocks, not counting those inside a block."""
    out: dict[str, nn.Module] = {}
    blocks: list[str] = []
    for name, module in model.named_modules():
        if not name or any(name.startswith(b + ".") for b in blocks):
            continue
        if _is_block(module):
            blocks.append(name)
            out[name] = module
        elif isinstance(module, FEATURE_TYPES):
            out[name] = module
    return out


def capture_activations(model: nn.Module, X: torch.Tensor,
                        layers: Optional[Sequence[str]] = None) -> dict[str, torch.Tensor]:
    """Run X (N, C, H, W) through model (eval mode, no grad) and return {layer name: its output} via forward hooks.

    layers=None captures every feature layer (see feature_layers) whose output is 4-D, in the order they run.
    A layer that runs twice (a shared ReLU module) keeps its last output. The model's mode is restored.
    """
    _check_model(model, "capture_activations")
    _check_images(X, "capture_activations")
    named = dict(model.named_modules())
    if layers is None:
        wanted = _candidates(model)
    else:
        unknown = [n for n in layers if n not in named or n == ""]
        if unknown:
            raise ValueError(f"no layer called {unknown[0]!r} in {type(model).__name__}; "
                             f"try one of {feature_layers(model, (1, *X.shape[1:]))}")
        wanted = {n: named[n] for n in layers}
    found: dict[str, torch.Tensor] = {}

    def hook_for(name: str) -> Callable:
        def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
            if isinstance(output, torch.Tensor) and (layers is not None or output.dim() == 4):
                found.pop(name, None)  # keep the order of the last call
                found[name] = output.detach()
        return hook

    handles = [m.register_forward_hook(hook_for(n)) for n, m in wanted.items()]
    try:
        with _eval_no_grad(model):
            model(X.to(model_device(model)))
    finally:
        for h in handles:
            h.remove()
    return found


def feature_maps(activations: dict[str, torch.Tensor], index: int, layer: str) -> torch.Tensor:
    """The maps of one image at one layer: activations[layer][index], shape (C, H, W).

    This is the feature-map browser's logic; a bad index or layer raises ValueError with a message to show.
    """
    if layer not in activations:
        raise ValueError(f"unknown layer {layer!r}; choose one of: {', '.join(activations)}")
    maps = activations[layer]
    if isinstance(index, bool) or not isinstance(index, int):
        raise ValueError(f"image index must be a whole number, got {index!r}")
    if not 0 <= index < len(maps):
        raise ValueError(f"image index {index} is out of range: there are {len(maps)} images (0..{len(maps) - 1})")
    if maps.dim() != 4:
        raise ValueError(f"layer {layer!r} gives shape {tuple(maps.shape[1:])}, not feature maps (C, H, W)")
    return maps[index]  # (C, H, W)


def first_conv_weight(model: nn.Module) -> torch.Tensor:
    """The weights of the first Conv2d layer, (C_out, C_in, kh, kw): the filters the network learned first."""
    _check_model(model, "first_conv_weight")
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            if nn.parameter.is_lazy(module.weight):
                raise ValueError("the first convolution is still lazy (no weights yet); train or materialize the model")
            return module.weight.detach().cpu()
    raise ValueError(f"{type(model).__name__} has no Conv2d layer, so it has no filters to show")


# ---------------------------------------------------------------- predictions and mistakes

def predict(model: nn.Module, X: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Logits (N, num_classes) of images X (N, C, H, W), in eval mode, without grad, on the CPU."""
    _check_model(model, "predict")
    if not isinstance(X, torch.Tensor) or X.dim() < 2:
        raise TypeError("predict expects a tensor of examples X (N, ...)")
    dev = model_device(model)
    with _eval_no_grad(model):
        return torch.cat([model(Xb.to(dev)).cpu() for Xb in _batches(X, batch_size)])  # (N, num_classes)


def predict_mirrored(model: nn.Module, X: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Test-time augmentation: class probabilities (N, num_classes), the mean of the model's softmax for the
    images X (N, C, H, W) and for the same images mirrored left-right (for models trained with random_flip).
    """
    _check_images(X, "predict_mirrored")
    probs = predict(model, X, batch_size).softmax(dim=1)                      # (N, num_classes)
    return (probs + predict(model, X.flip(-1), batch_size).softmax(dim=1)) / 2  # mirrored: width reversed


def accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor, batch_size: int = 1000,
             mirrored: bool = False) -> float:
    """Fraction of examples whose largest logit is the true label y (N,); mirrored: use predict_mirrored."""
    if not isinstance(mirrored, bool):
        raise TypeError(f"mirrored must be True or False, got {mirrored!r}")
    scores = predict_mirrored(model, X, batch_size) if mirrored else predict(model, X, batch_size)
    return (scores.argmax(dim=1) == y.cpu()).float().mean().item()  # (N,) predicted labels against y


def confusion_matrix(y_true: torch.Tensor, y_pred: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Counts (num_classes, num_classes): row = true class, column = predicted class."""
    y_true, y_pred = torch.as_tensor(y_true).cpu().long(), torch.as_tensor(y_pred).cpu().long()
    if y_true.shape != y_pred.shape or y_true.dim() != 1:
        raise ValueError(f"y_true and y_pred must be label vectors of the same length, "
                         f"got shapes {tuple(y_true.shape)} and {tuple(y_pred.shape)}")
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if len(y) and (y.min() < 0 or y.max() >= num_classes):
            raise ValueError(f"{name} holds labels outside 0..{num_classes - 1}")
    flat = y_true * num_classes + y_pred  # (N,) one cell index per example
    return torch.bincount(flat, minlength=num_classes ** 2).reshape(num_classes, num_classes)


@dataclass
class Mistakes:
    """The most confident wrong predictions: dataset indices, true and predicted labels, and the confidence."""
    index: torch.Tensor       # (k,) positions in X
    true: torch.Tensor        # (k,)
    predicted: torch.Tensor   # (k,)
    confidence: torch.Tensor  # (k,) softmax probability of the predicted class


def most_confident_mistakes(logits: torch.Tensor, y: torch.Tensor, k: int = 8) -> Mistakes:
    """The k misclassified examples the model was surest about (highest softmax probability), surest first."""
    probs = F.softmax(logits.float(), dim=1)  # (N, num_classes)
    confidence, predicted = probs.max(dim=1)  # (N,), (N,)
    wrong = (predicted != y.cpu()).nonzero().flatten()  # (M,)
    order = confidence[wrong].argsort(descending=True)[:k]
    index = wrong[order]
    return Mistakes(index, y.cpu()[index], predicted[index], confidence[index])


# ---------------------------------------------------------------- gradients

def gradient_norms(model: nn.Module, X: torch.Tensor, y: torch.Tensor,
                   loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = F.cross_entropy,
                   skip_1x1: bool = False) -> list[tuple[str, float]]:
    """L2 norm of the loss gradient for each Conv2d/Linear weight, input side first: [(layer name, norm)].

    One forward and backward pass on (X, y) in training mode; the model is left as it was (mode, BatchNorm
    statistics and .grad untouched), so it is safe to call on a trained network. skip_1x1 leaves out 1x1
    convolutions (a ResNet's shortcut convs), so a residual and a plain net list the same layers.
    """
    _check_model(model, "gradient_norms")
    layers = [(n, m) for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))
              and not (skip_1x1 and isinstance(m, nn.Conv2d) and m.kernel_size == (1, 1))]
    if not layers:
        raise ValueError(f"{type(model).__name__} has no Conv2d or Linear layer")
    buffers = {n: b.clone() for n, b in model.named_buffers()}
    flags = [(m, m.training) for m in model.modules()]
    old_grads = {p: p.grad for p in model.parameters()}
    weights = [m.weight for _, m in layers]
    try:
        model.train()
        dev = model_device(model)
        loss = loss_fn(model(X.to(dev)), y.to(dev))
        grads = torch.autograd.grad(loss, weights)
    finally:
        for m, training in flags:
            m.training = training
        with torch.no_grad():
            for n, b in model.named_buffers():
                b.copy_(buffers[n])
        for p, g in old_grads.items():
            p.grad = g
    return [(n, g.norm().item()) for (n, _), g in zip(layers, grads)]


# ---------------------------------------------------------------- receptive field and costs

def receptive_field(layers: Iterable[tuple[int, int]]) -> int:
    """Receptive field (in input pixels) after a chain of (kernel_size, stride) layers: r = 1 + sum (k-1) * jump."""
    r, jump = 1, 1
    for k, s in layers:
        if k < 1 or s < 1:
            raise ValueError(f"kernel size and stride must be positive, got ({k}, {s})")
        r += (k - 1) * jump
        jump *= s
    return r


def conv_stack(num_convs: int, kernel_size: int, channels: int) -> tuple[int, int]:
    """(receptive field, weights) of num_convs stacked kernel_size convs with `channels` in and out, no bias.

    conv_stack(2, 3, c) == (5, 18 * c**2) while conv_stack(1, 5, c) == (5, 25 * c**2).
    """
    if num_convs < 1 or kernel_size < 1 or channels < 1:
        raise ValueError("num_convs, kernel_size and channels must be positive")
    field = receptive_field([(kernel_size, 1)] * num_convs)
    return field, num_convs * kernel_size ** 2 * channels ** 2


def _rf_layers(module: nn.Module) -> Iterator[tuple[int, int]]:
    """(kernel, stride) of the layers on the longest path through module.

    In a residual block the 1x1 shortcut convolution runs beside the main path (conv1, conv2), so it is skipped.
    """
    if _is_block(module):
        for child in module.children():
            if not (isinstance(child, nn.Conv2d) and child.kernel_size == (1, 1)):
                yield from _rf_layers(child)
        return
    if isinstance(module, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
        k, s, d = module.kernel_size, module.stride, getattr(module, "dilation", 1)
        k = k[0] if isinstance(k, tuple) else k
        s = s[0] if isinstance(s, tuple) else s
        d = d[0] if isinstance(d, tuple) else d
        yield d * (k - 1) + 1, s
        return
    for child in module.children():
        yield from _rf_layers(child)


@dataclass
class BlockCost:
    """One top-level block of a network: its output shape, parameters, multiply-adds per image, receptive field."""
    name: str
    layer: str
    shape: tuple[int, ...]   # output shape of one image
    params: int
    macs: int                # multiply-adds for one image
    field: Optional[int]     # receptive field in input pixels (None after global pooling or a Linear layer)


def _macs_hook(counter: list[int]) -> Callable:
    def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        n = output.shape[0]
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            counter[0] += output.numel() // n * (module.in_channels // module.groups) * kh * kw
        elif isinstance(module, nn.Linear):
            counter[0] += output.numel() // n * module.in_features
    return hook


def block_costs(model: nn.Module, X_shape: Sequence[int]) -> list[BlockCost]:
    """Per top-level block (model.net's children): output shape, parameters, multiply-adds (conv and Linear) for one
    image of X_shape (1, C, H, W), and receptive field. The params column sums to count_parameters(model).
    """
    _check_model(model, "block_costs")
    net = getattr(model, "net", model)
    blocks = list(net.named_children())
    if not blocks:
        raise ValueError(f"{type(model).__name__} has no blocks to count")
    rows: list[BlockCost] = []
    X = torch.zeros(*X_shape, device=model_device(model))
    r, jump, spatial = 1, 1, True
    with _eval_no_grad(model):
        for name, block in blocks:
            counter = [0]
            handles = [m.register_forward_hook(_macs_hook(counter)) for m in block.modules()
                       if isinstance(m, (nn.Conv2d, nn.Linear))]
            try:
                X = block(X)
            finally:
                for h in handles:
                    h.remove()
            for k, s in _rf_layers(block):
                r += (k - 1) * jump
                jump *= s
            spatial = spatial and X.dim() == 4 and not any(
                isinstance(m, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d, nn.Linear)) for m in block.modules())
            params = sum(p.numel() for p in block.parameters())
            rows.append(BlockCost(name, type(block).__name__, tuple(X.shape[1:]), params, counter[0],
                                  r if spatial else None))
    return rows


def cost_table(rows: Sequence[BlockCost]) -> str:
    """block_costs rows as a text table with a total line (numbers with thousands separators)."""
    head = f"{'block':<6} {'layer':<12} {'output shape':<16} {'parameters':>12} {'multiply-adds':>15} {'field':>6}"
    lines = [head, "-" * len(head)]
    for r in rows:
        shape = "x".join(str(s) for s in r.shape)
        field = "-" if r.field is None else str(r.field)
        lines.append(f"{r.name:<6} {r.layer:<12} {shape:<16} {r.params:>12,} {r.macs:>15,} {field:>6}")
    lines.append("-" * len(head))
    lines.append(f"{'total':<6} {'':<12} {'':<16} {sum(r.params for r in rows):>12,} "
                 f"{sum(r.macs for r in rows):>15,} {'':>6}")
    return "\n".join(lines)


# ---------------------------------------------------------------- translation

def shift_images(X: torch.Tensor, dx: int, dy: int = 0, mode: str = "pad") -> torch.Tensor:
    """Move images X (N, C, H, W) dx pixels right and dy down (negative: left/up).

    mode="pad": pixels pushed out are lost and zeros come in (zero = the dataset mean after normalisation);
    mode="roll": pixels wrap around to the other side (torch.roll).
    """
    _check_images(X, "shift_images")
    if mode == "roll":
        return torch.roll(X, shifts=(dy, dx), dims=(2, 3))
    if mode != "pad":
        raise ValueError(f"mode must be 'pad' or 'roll', got {mode!r}")
    H, W = X.shape[-2:]
    if abs(dx) >= W or abs(dy) >= H:
        raise ValueError(f"a shift of ({dx}, {dy}) moves a {H}x{W} image out of view")
    p = max(abs(dx), abs(dy))
    Xp = F.pad(X, (p, p, p, p))  # (N, C, H + 2p, W + 2p)
    return Xp[:, :, p - dy:p - dy + H, p - dx:p - dx + W]  # (N, C, H, W)


def shifted_accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor, shifts: Sequence[int] = (0, 1, 2, 3, 4),
                     mode: str = "pad", batch_size: int = 1000) -> list[float]:
    """Accuracy on X shifted by s pixels right and s down, for each s in shifts."""
    return [accuracy(model, shift_images(X, s, s, mode), y, batch_size) for s in shifts]
