"""Looking inside trained networks: activations (forward hooks), predictions (also averaged with the mirror image:
test-time augmentation), confusion matrices, mistakes, gradient norms per layer, receptive fields and costs per
block, accuracy on shifted images, and what a prediction looks at (occlusion and saliency maps).

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

from cnnlib import _check
from cnnlib.utils import eval_mode, eval_no_grad, model_device

__all__ = [
    "capture_activations", "layer_titles", "feature_maps", "first_conv_weight",
    "predict", "predict_mirrored", "accuracy", "confusion_matrix", "most_confident_mistakes", "Mistakes",
    "receptive_field", "conv_stack", "BlockCost", "block_costs", "cost_table", "gradient_norms",
    "shift_images", "shifted_accuracy", "occlusion_map", "saliency_map",
]

_ACTIVATIONS = (nn.ReLU, nn.Sigmoid, nn.Tanh, nn.LeakyReLU, nn.GELU, nn.ELU, nn.SiLU)
_FEATURE_TYPES: tuple[type, ...] = (nn.Conv2d, *_ACTIVATIONS)  # plus every residual-style block (see _is_block)


# ---------------------------------------------------------------- helpers

def _model_and_images(model: object, X: object) -> None:
    """A materialised model and a batch of images (N, C, H, W) it can take (one image is tried in eval mode)."""
    _check.materialized(_check.model(model), "this")
    _check.images(X, "X", model)
    with eval_no_grad(model):
        try:
            model(X[:1].to(model_device(model)))
        except RuntimeError as e:  # a model of the student's own that does not fit these images
            raise ValueError(f"{type(model).__name__} cannot take images of shape {tuple(X.shape[1:])}; check the "
                             f"channels and size it was built for. PyTorch says: {' '.join(str(e).split())[:200]}"
                             ) from None


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

def _feature_layers(model: nn.Module, X_shape: Sequence[int]) -> list[str]:
    """Names of the layers whose output is a feature map (N, C, H, W): convolutions, activations, residual blocks.

    Found with forward hooks on one dummy pass of shape X_shape, in the order they run; layers inside a
    residual block are left out (the block's output is what the next layer sees).
    """
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
        elif isinstance(module, _FEATURE_TYPES):
            out[name] = module
    return out


def capture_activations(model: nn.Module, X: torch.Tensor,
                        layers: Optional[Sequence[str]] = None) -> dict[str, torch.Tensor]:
    """Run X (N, C, H, W) through model (eval mode, no grad) and return {layer name: its output} via forward hooks.

    layers=None captures every convolution, activation and residual block whose output is 4-D, in the order they
    run. A layer that runs twice (a shared ReLU module) keeps its last output. The model's mode is restored.
    """
    wanted = _layers_arg(model, X, layers)
    found: dict[str, torch.Tensor] = {}

    def hook_for(name: str) -> Callable:
        def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
            if isinstance(output, torch.Tensor) and (layers is not None or output.dim() == 4):
                found.pop(name, None)  # keep the order of the last call
                found[name] = output.detach()
        return hook

    handles = [m.register_forward_hook(hook_for(n)) for n, m in wanted.items()]
    try:
        with eval_no_grad(model):
            model(X.to(model_device(model)))
    finally:
        for h in handles:
            h.remove()
    return found


def _layers_arg(model: object, X: object, layers: object) -> dict[str, nn.Module]:
    """Checks of capture_activations' arguments; returns {name: layer} of the layers to capture."""
    _model_and_images(model, X)
    if layers is None:
        return _candidates(model)
    if isinstance(layers, str) or not isinstance(layers, Sequence):
        raise TypeError(f"layers must be a list of layer names such as ['net.0'], or None, got {_check.short(layers)}")
    named = dict(model.named_modules())
    unknown = [n for n in layers if not isinstance(n, str) or n not in named or n == ""]
    if unknown:
        raise ValueError(f"no layer called {_check.short(unknown[0])} in {type(model).__name__}; "
                         f"try one of {_feature_layers(model, (1, *X.shape[1:]))}")
    return {n: named[n] for n in layers}


def layer_titles(model: nn.Module, names: Iterable[str]) -> dict[str, str]:
    """Names a person reads for the layers capture_activations returns, numbered per kind in the order they run:
    {'net.0': 'conv 1', 'net.2': 'ReLU 1', 'net.b2.0': 'residual block 1', ...}."""
    modules, counts, titles = dict(_check.model(model).named_modules()), {}, {}
    for name in names:
        if name not in modules:
            raise ValueError(f"no layer called {_check.short(name)} in {type(model).__name__}")
        layer = modules[name]
        kind = ("conv" if isinstance(layer, nn.Conv2d) else "residual block" if _is_block(layer)
                else type(layer).__name__)
        counts[kind] = counts.get(kind, 0) + 1
        titles[name] = f"{kind} {counts[kind]}"
    return titles


def feature_maps(activations: dict[str, torch.Tensor], index: int, layer: str) -> torch.Tensor:
    """The maps of one image at one layer: activations[layer][index], shape (C, H, W).

    This is the feature-map browser's logic; a bad index or layer raises ValueError with a message to show.
    """
    if not isinstance(activations, dict):
        raise TypeError(f"activations must be the dict that capture_activations returns, got {_check.short(activations)}")
    if not isinstance(layer, str) or layer not in activations:
        raise ValueError(f"unknown layer {_check.short(layer)}; choose one of: {', '.join(activations)}")
    maps = activations[layer]
    index = _check.whole(index, "image index", 0, len(maps) - 1,
                         hint=f"; there are {len(maps)} images (0..{len(maps) - 1})")
    if maps.dim() != 4:
        raise ValueError(f"layer {layer!r} gives shape {tuple(maps.shape[1:])}, not feature maps (C, H, W)")
    return maps[index]  # (C, H, W)


def first_conv_weight(model: nn.Module) -> torch.Tensor:
    """The weights of the first Conv2d layer, (C_out, C_in, kh, kw): the filters the network learned first."""
    for module in _check.model(model).modules():
        if isinstance(module, nn.Conv2d):
            if nn.parameter.is_lazy(module.weight):
                raise ValueError("the first convolution is still lazy (no weights yet); train or materialize the model")
            return module.weight.detach().cpu()
    raise ValueError(f"{type(model).__name__} has no Conv2d layer, so it has no filters to show")


# ---------------------------------------------------------------- predictions and mistakes

def predict(model: nn.Module, X: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Logits (N, num_classes) of images X (N, C, H, W), in eval mode, without grad, on the CPU."""
    _model_and_images(model, X)
    batch_size, dev = _check.whole(batch_size, "batch_size", 1), model_device(model)
    with eval_no_grad(model):
        return torch.cat([model(Xb.to(dev)).cpu() for Xb in _batches(X, batch_size)])  # (N, num_classes)


def predict_mirrored(model: nn.Module, X: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Test-time augmentation: class probabilities (N, num_classes), the mean of the model's softmax for the
    images X (N, C, H, W) and for the same images mirrored left-right (for models trained with random_flip).
    """
    _model_and_images(model, X)
    batch_size = _check.whole(batch_size, "batch_size", 1)
    probs = predict(model, X, batch_size).softmax(dim=1)                      # (N, num_classes)
    mirrored = torch.cat([predict(model, Xb.flip(-1), batch_size) for Xb in _batches(X, batch_size)])
    return (probs + mirrored.softmax(dim=1)) / 2  # mirrored: width reversed, one batch at a time


def accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor, batch_size: int = 1000,
             mirrored: bool = False) -> float:
    """Fraction of examples whose largest logit is the true label y (N,); mirrored: use predict_mirrored."""
    _model_and_images(model, X)
    y, mirrored = _check.labels(y, len(X), "y", _check.num_classes_of(model)), _check.flag(mirrored, "mirrored")
    scores = predict_mirrored(model, X, batch_size) if mirrored else predict(model, X, batch_size)
    return (scores.argmax(dim=1) == y.cpu()).float().mean().item()  # (N,) predicted labels against y


def confusion_matrix(y_true: torch.Tensor, y_pred: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Counts (num_classes, num_classes): row = true class, column = predicted class."""
    y_true, y_pred, num_classes = _confusion_args(y_true, y_pred, num_classes)
    flat = y_true * num_classes + y_pred  # (N,) one cell index per example
    return torch.bincount(flat, minlength=num_classes ** 2).reshape(num_classes, num_classes)


def _confusion_args(y_true: object, y_pred: object, num_classes: object) -> tuple[torch.Tensor, torch.Tensor, int]:
    num_classes = _check.whole(num_classes, "num_classes", 1, 100_000)
    if not isinstance(y_true, torch.Tensor):
        _check.tensor(y_true, "y_true", floating=False)
    y_true = _check.labels(y_true.cpu(), len(y_true) if y_true.ndim else 0, "y_true", num_classes, False)
    y_pred = _check.labels(y_pred.cpu() if isinstance(y_pred, torch.Tensor) else y_pred, len(y_true), "y_pred",
                           num_classes, False)
    return y_true.cpu(), y_pred.cpu(), num_classes


@dataclass
class Mistakes:
    """The most confident wrong predictions: dataset indices, true and predicted labels, and the confidence."""
    index: torch.Tensor       # (k,) positions in X
    true: torch.Tensor        # (k,)
    predicted: torch.Tensor   # (k,)
    confidence: torch.Tensor  # (k,) softmax probability of the predicted class


def most_confident_mistakes(logits: torch.Tensor, y: torch.Tensor, k: int = 8) -> Mistakes:
    """The k misclassified examples the model was surest about (highest softmax probability), surest first."""
    y, k = _mistakes_args(logits, y, k)
    probs = F.softmax(logits.float(), dim=1)  # (N, num_classes)
    confidence, predicted = probs.max(dim=1)  # (N,), (N,)
    wrong = (predicted != y.cpu()).nonzero().flatten()  # (M,)
    order = confidence[wrong].argsort(descending=True)[:k]
    index = wrong[order]
    return Mistakes(index, y.cpu()[index], predicted[index], confidence[index])


def _mistakes_args(logits: object, y: object, k: object) -> tuple[torch.Tensor, int]:
    _check.tensor(logits, "logits", 2, "(N, num_classes)")
    y = _check.labels(y if not isinstance(y, torch.Tensor) else y.cpu(), len(logits), "y", logits.shape[1])
    return y, _check.whole(k, "k", 0, hint="; it is how many mistakes to return")


# ---------------------------------------------------------------- gradients

def gradient_norms(model: nn.Module, X: torch.Tensor, y: torch.Tensor,
                   loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = F.cross_entropy,
                   skip_1x1: bool = False) -> list[tuple[str, float]]:
    """L2 norm of the loss gradient for each Conv2d/Linear weight, input side first: [(layer name, norm)].

    One forward and backward pass on (X, y) in training mode; the model is left as it was (mode, BatchNorm
    statistics and .grad untouched), so it is safe to call on a trained network. skip_1x1 leaves out 1x1
    convolutions (a ResNet's shortcut convs), so a residual and a plain net list the same layers.
    """
    _model_and_images(model, X)
    y, skip_1x1 = _check.labels(y, len(X), "y", _check.num_classes_of(model)), _check.flag(skip_1x1, "skip_1x1")
    _check.function(loss_fn, "loss_fn", "F.cross_entropy")
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
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Iterable):
        raise TypeError(f"layers must be a list of (kernel_size, stride) pairs such as [(3, 1), (2, 2)], "
                        f"got {_check.short(layers)}")
    for i, layer in enumerate(layers):
        k, s = _check.pair(layer, f"layers[{i}] (kernel_size, stride)", 1, 10_000)
        r += (k - 1) * jump
        jump *= s
    return r


def conv_stack(num_convs: int, kernel_size: int, channels: int) -> tuple[int, int]:
    """(receptive field, weights) of num_convs stacked kernel_size convs with `channels` in and out, no bias.

    conv_stack(2, 3, c) == (5, 18 * c**2) while conv_stack(1, 5, c) == (5, 25 * c**2).
    """
    num_convs = _check.whole(num_convs, "num_convs", 1, 1000)
    kernel_size = _check.whole(kernel_size, "kernel_size", 1, 1000)
    channels = _check.whole(channels, "channels", 1, 65_536)
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
    X_shape = _check.x_shape(model, X_shape)
    net = getattr(model, "net", model)
    blocks = list(net.named_children())
    if not blocks:
        raise ValueError(f"{type(model).__name__} has no blocks to count")
    rows: list[BlockCost] = []
    X = torch.zeros(*X_shape, device=model_device(model))
    r, jump, spatial = 1, 1, True
    with eval_no_grad(model):
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
    if isinstance(rows, (str, bytes)) or not isinstance(rows, Sequence) or not all(isinstance(r, BlockCost)
                                                                                for r in rows):
        raise TypeError(f"rows must be the list block_costs(model, X_shape) returns, got {_check.short(rows)}")
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
    _check.images(X, "X")
    _check.choice(mode, "mode", ("pad", "roll"))
    H, W = X.shape[-2:]
    out_of_view = f"; a larger shift moves a {H}x{W} image out of view"
    dx, dy = _check.whole(dx, "dx", 1 - W, W - 1, out_of_view), _check.whole(dy, "dy", 1 - H, H - 1, out_of_view)
    if mode == "roll":
        return torch.roll(X, shifts=(dy, dx), dims=(2, 3))
    p = max(abs(dx), abs(dy))
    Xp = F.pad(X, (p, p, p, p))  # (N, C, H + 2p, W + 2p)
    return Xp[:, :, p - dy:p - dy + H, p - dx:p - dx + W]  # (N, C, H, W)


def shifted_accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor, shifts: Sequence[int] = (0, 1, 2, 3, 4),
                     mode: str = "pad", batch_size: int = 250) -> list[float]:
    """Accuracy on X shifted by s pixels right and s down, for each s in shifts (one batch shifted at a time)."""
    if isinstance(shifts, (str, bytes)) or not isinstance(shifts, Iterable):
        raise TypeError(f"shifts must be a list of whole numbers such as [0, 1, 2], got {_check.short(shifts)}")
    _model_and_images(model, X)
    y = _check.labels(y, len(X), "y", _check.num_classes_of(model))
    batch_size = _check.whole(batch_size, "batch_size", 1)
    shifts = [_check.whole(s, f"shifts[{i}]") for i, s in enumerate(shifts)]
    for s in shifts:  # every shift checked before any work is done
        shift_images(X[:1], s, s, mode)
    predicted = [torch.cat([predict(model, shift_images(Xb, s, s, mode), batch_size).argmax(dim=1)
                            for Xb in _batches(X, batch_size)]) for s in shifts]     # per shift: (N,) labels
    return [(labels == y.cpu()).float().mean().item() for labels in predicted]


# ---------------------------------------------------------------- what the network looks at

def occlusion_map(model: nn.Module, image: torch.Tensor, label: int, patch: int = 6, stride: int = 2,
                  fill: float = 0.0) -> torch.Tensor:
    """How much the probability of class `label` drops when a patch x patch square of `image` (C, H, W) covers
    each pixel: (H, W), the mean drop over the squares (every `stride` pixels) that cover it.

    On normalised images the default fill 0 is the dataset's mean colour: a grey square (Zeiler and Fergus, 2014).
    """
    patch, stride, dev = _occlusion_args(model, image, label, patch, stride, fill)
    _, H, W = image.shape
    corners = [(r, c) for r in range(0, H - patch + 1, stride) for c in range(0, W - patch + 1, stride)]
    covered = image.repeat(len(corners), 1, 1, 1)  # (squares, C, H, W): one copy per square
    for k, (r, c) in enumerate(corners):
        covered[k, :, r:r + patch, c:c + patch] = fill
    with eval_no_grad(model):
        p = model(image[None].to(dev)).softmax(dim=1)[0, label].cpu()          # the uncovered image
        drops = p - model(covered.to(dev)).softmax(dim=1)[:, label].cpu()       # (squares,)
    total, count = torch.zeros(H, W), torch.zeros(H, W)
    for (r, c), drop in zip(corners, drops):
        total[r:r + patch, c:c + patch] += drop
        count[r:r + patch, c:c + patch] += 1
    return total / count.clamp(min=1)  # (H, W): > 0 where covering hurts; 0 where no square reached


def _occlusion_args(model: object, image: object, label: object, patch: object, stride: object,
                    fill: object) -> tuple[int, int, torch.device]:
    _check.tensor(image, "image", 3, "(C, H, W), one image")
    _model_and_images(model, image[None])
    _check.whole(label, "label", 0, (_check.num_classes_of(model) or 10**6) - 1)
    patch = _check.whole(patch, "patch", 1, min(image.shape[1:]), hint="; the square must fit in the image")
    stride = _check.whole(stride, "stride", 1, hint="; the square moves this many pixels at a time")
    _check.number(fill, "fill", example="0.0")
    return patch, stride, model_device(model)


def saliency_map(model: nn.Module, image: torch.Tensor, label: int) -> torch.Tensor:
    """|d score[label] / d image|, the largest over the colour channels: (H, W). Where a small change of a pixel
    would move the class's score most (Simonyan, Vedaldi and Zisserman, 2014); computed in eval mode."""
    _occlusion_args(model, image, label, 1, 1, 0.0)
    X = image[None].detach().to(model_device(model)).requires_grad_()  # (1, C, H, W)
    with eval_mode(model), torch.enable_grad():  # batch norm's running statistics, no dropout
        grad, = torch.autograd.grad(model(X)[0, label], X)  # (1, C, H, W): the class's score, weights' .grad untouched
    return grad[0].abs().amax(dim=0).cpu()  # (H, W)
