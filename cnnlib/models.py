"""The lecture's networks (LeNet, VGG, ResNet, an MLP baseline) and tools to look inside them."""
from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from cnnlib.utils import model_device

__all__ = [
    "LeNet", "LeNetModern", "vgg_block", "VGG", "Residual", "ResNet", "ResNet18",
    "init_cnn", "layer_summary", "materialize", "mlp_baseline", "count_parameters",
]

_NUMBER_WORDS = {1: "once", 2: "twice", 3: "three times", 4: "four times", 5: "five times",
                 6: "six times", 7: "seven times", 8: "eight times"}


# ---------------------------------------------------------------- argument checks

def _check_int(value: object, name: str, minimum: int = 1, hint: str = "") -> None:
    """Raise a student-friendly TypeError/ValueError unless value is an int >= minimum."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {value!r} ({type(value).__name__}){hint}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}{hint}")


def _check_num_classes(num_classes: object) -> None:
    """num_classes is the width of the last Linear layer: an int of at least 2."""
    _check_int(num_classes, "num_classes", 2,
               "; it is the number of classes to choose between, e.g. num_classes=10 for Fashion-MNIST")


def _check_arch(arch: object, model: str, pair: tuple[str, str]) -> tuple[tuple[int, int], ...]:
    """Return arch as a tuple of (int, int) pairs, or explain what a valid arch looks like."""
    example = "((1, 64), (1, 128), (2, 256))" if model == "VGG" else "((2, 64), (2, 128))"
    what = f"{model} arch must be a sequence of ({pair[0]}, {pair[1]}) pairs such as {example}"
    if isinstance(arch, (str, bytes)) or not isinstance(arch, Sequence):
        raise TypeError(f"{what}; got {type(arch).__name__}")
    if len(arch) == 0:
        raise ValueError(f"{what}; got an empty arch, so the network would have no blocks")
    for i, block in enumerate(arch):
        if isinstance(block, (str, bytes)) or not isinstance(block, Sequence) or len(block) != 2:
            raise TypeError(f"{what}; block {i} is {block!r}, not a pair")
        _check_int(block[0], f"{pair[0]} in block {i} of arch", 1)
        _check_int(block[1], f"{pair[1]} in block {i} of arch", 1)
    return tuple((int(a), int(b)) for a, b in arch)


def _check_model(model: object, func: str) -> None:
    """Raise TypeError unless model is an nn.Module."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"{func} expects a PyTorch model (an nn.Module such as LeNet()), "
                        f"got {type(model).__name__}")


def _check_X_shape(X_shape: object) -> tuple[int, int, int, int]:
    """X_shape must be (batch_size, channels, height, width), four positive ints."""
    what = "X_shape must be a tuple of 4 positive ints (batch_size, channels, height, width), e.g. (1, 1, 28, 28)"
    if not isinstance(X_shape, (tuple, list, torch.Size)):
        raise TypeError(f"{what}; got {type(X_shape).__name__}")
    if len(X_shape) != 4:
        raise ValueError(f"{what}; got {len(X_shape)} numbers {tuple(X_shape)}")
    for size in X_shape:
        if isinstance(size, bool) or not isinstance(size, int):
            raise TypeError(f"{what}; got {tuple(X_shape)}, where {size!r} is not an int")
        if size < 1:
            raise ValueError(f"{what}; got {tuple(X_shape)}, where {size} is not positive")
    return tuple(int(s) for s in X_shape)  # type: ignore[return-value]


def _check_fits(model: nn.Module, X_shape: tuple[int, ...]) -> None:
    """Explain, before any layer runs, when an image is too small for VGG's halvings."""
    if isinstance(model, VGG):
        n = model.num_blocks
        size = min(X_shape[-2:])
        if size // 2**n < 1:
            times = _NUMBER_WORDS.get(n, f"{n} times")
            raise ValueError(f"VGG with {n} blocks halves {size} px {times} -> {size // 2**n} px; "
                             f"use fewer blocks or a larger image (at least {2**n} px)")


@contextlib.contextmanager
def _no_lazy_warning() -> Iterator[None]:
    """Hide the 'Lazy modules are a new feature' UserWarning that torch < 2.1 prints on creation."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Lazy modules are a new feature", category=UserWarning)
        yield


@contextlib.contextmanager
def _eval_no_grad(model: nn.Module) -> Iterator[None]:
    """Eval mode and no autograd inside; every submodule's train/eval flag is restored afterwards."""
    flags = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        for m, training in flags:
            m.training = training


# ---------------------------------------------------------------- LeNet (d2l 7.6)

class LeNet(nn.Module):
    """LeNet-5 as in the notes: two conv+sigmoid+avg-pool stages, then three Linear layers.

    Input (N, 1, 28, 28) -> logits (N, num_classes). Layers are lazy: call materialize first.
    """

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        _check_num_classes(num_classes)
        with _no_lazy_warning():
            self.net = nn.Sequential(
                nn.LazyConv2d(6, kernel_size=5, padding=2), nn.Sigmoid(),  # (N, 6, 28, 28)
                nn.AvgPool2d(kernel_size=2, stride=2),                     # (N, 6, 14, 14)
                nn.LazyConv2d(16, kernel_size=5), nn.Sigmoid(),            # (N, 16, 10, 10)
                nn.AvgPool2d(kernel_size=2, stride=2),                     # (N, 16, 5, 5)
                nn.Flatten(),                                              # (N, 400)
                nn.LazyLinear(120), nn.Sigmoid(),                          # (N, 120)
                nn.LazyLinear(84), nn.Sigmoid(),                           # (N, 84)
                nn.LazyLinear(num_classes))                                # (N, num_classes)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) images -> (N, num_classes) logits."""
        return self.net(X)


class LeNetModern(nn.Module):
    """LeNet with today's parts, same shapes: ReLU for Sigmoid, MaxPool for AvgPool, BatchNorm after each layer.

    ReLU does not saturate, so gradients stay large; max-pooling keeps the strongest response;
    BatchNorm re-centres each layer's outputs, so a larger lr trains stably in fewer epochs.
    """

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        _check_num_classes(num_classes)
        with _no_lazy_warning():
            self.net = nn.Sequential(
                nn.LazyConv2d(6, kernel_size=5, padding=2), nn.LazyBatchNorm2d(), nn.ReLU(),  # (N, 6, 28, 28)
                nn.MaxPool2d(kernel_size=2, stride=2),                                       # (N, 6, 14, 14)
                nn.LazyConv2d(16, kernel_size=5), nn.LazyBatchNorm2d(), nn.ReLU(),           # (N, 16, 10, 10)
                nn.MaxPool2d(kernel_size=2, stride=2),                                       # (N, 16, 5, 5)
                nn.Flatten(),                                                                # (N, 400)
                nn.LazyLinear(120), nn.LazyBatchNorm1d(), nn.ReLU(),                         # (N, 120)
                nn.LazyLinear(84), nn.LazyBatchNorm1d(), nn.ReLU(),                          # (N, 84)
                nn.LazyLinear(num_classes))                                                  # (N, num_classes)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) images -> (N, num_classes) logits."""
        return self.net(X)


# ---------------------------------------------------------------- VGG (d2l 8.2)

def vgg_block(num_convs: int, out_channels: int, batch_norm: bool = False) -> nn.Sequential:
    """num_convs 3x3 convs (padding 1, ReLU) then a 2x2 max-pool: (N, C, H, W) -> (N, out_channels, H/2, W/2).

    batch_norm=True puts a BatchNorm2d between each conv and its ReLU (not in the notes; trains faster).
    """
    _check_int(num_convs, "num_convs", 1, "; a VGG block needs at least one convolution")
    _check_int(out_channels, "out_channels", 1)
    if not isinstance(batch_norm, bool):
        raise TypeError(f"batch_norm must be True or False, got {batch_norm!r}")
    layers: list[nn.Module] = []
    with _no_lazy_warning():
        for _ in range(num_convs):
            layers.append(nn.LazyConv2d(out_channels, kernel_size=3, padding=1))  # (N, out_channels, H, W)
            if batch_norm:
                layers.append(nn.LazyBatchNorm2d())
            layers.append(nn.ReLU())
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))  # (N, out_channels, H/2, W/2)
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """VGG built from config data: arch=((num_convs, out_channels), ...) gives one vgg_block per pair.

    Each block halves the image, so 5 blocks need at least 32 px; the dense head has
    num_hiddens units and dropout (defaults 4096 and 0.5, as in the notes).
    """

    def __init__(self, arch: Sequence[tuple[int, int]], num_classes: int = 10, *,
                 num_hiddens: int = 4096, dropout: float = 0.5, batch_norm: bool = False) -> None:
        super().__init__()
        arch = _check_arch(arch, "VGG", ("num_convs", "out_channels"))
        _check_num_classes(num_classes)
        _check_int(num_hiddens, "num_hiddens", 1, "; it is the width of the two dense layers (4096 in the notes)")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)):
            raise TypeError(f"dropout must be a probability such as 0.5, got {type(dropout).__name__}")
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout is the probability of zeroing a unit and must be in [0, 1), got {dropout}")
        self.num_blocks = len(arch)
        conv_blks = [vgg_block(num_convs, out_channels, batch_norm) for num_convs, out_channels in arch]
        with _no_lazy_warning():
            self.net = nn.Sequential(
                *conv_blks, nn.Flatten(),                                # (N, C * H/2^n * W/2^n)
                nn.LazyLinear(num_hiddens), nn.ReLU(), nn.Dropout(dropout),  # (N, num_hiddens)
                nn.LazyLinear(num_hiddens), nn.ReLU(), nn.Dropout(dropout),  # (N, num_hiddens)
                nn.LazyLinear(num_classes))                              # (N, num_classes)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) images -> (N, num_classes) logits."""
        if X.dim() == 4:
            _check_fits(self, tuple(X.shape))
        return self.net(X)


def init_cnn(module: nn.Module) -> None:
    """Xavier-uniform init of the weights of a Linear or Conv2d layer (d2l's init_cnn); use via model.apply."""
    if not isinstance(module, nn.Module):
        raise TypeError(f"init_cnn expects a layer (an nn.Module), got {type(module).__name__}; "
                        "use it as model.apply(init_cnn)")
    if isinstance(module, (nn.Linear, nn.Conv2d)):
        if nn.parameter.is_lazy(module.weight):
            raise ValueError(f"init_cnn got a {type(module).__name__} whose weights do not exist yet; "
                             "call materialize(model, X_shape), which runs one forward pass and then applies init_cnn")
        nn.init.xavier_uniform_(module.weight)


# ---------------------------------------------------------------- ResNet (d2l 8.6)

class Residual(nn.Module):
    """The residual block of ResNet: Y = relu(bn2(conv2(relu(bn1(conv1(X))))) + X).

    With use_1x1conv=True a 1x1 conv reshapes the shortcut X so it matches Y (needed when
    strides > 1 or the channel count changes). skip=False drops the shortcut (and its 1x1 conv):
    Y = relu(bn2(conv2(...))), the same two conv layers as a plain network.
    """

    def __init__(self, num_channels: int, use_1x1conv: bool = False, strides: int = 1, *,
                 skip: bool = True) -> None:
        super().__init__()
        _check_int(num_channels, "num_channels", 1)
        if not isinstance(use_1x1conv, bool):
            raise TypeError(f"use_1x1conv must be True or False, got {use_1x1conv!r}")
        if not isinstance(skip, bool):
            raise TypeError(f"skip must be True or False, got {skip!r}")
        _check_int(strides, "strides", 1)
        if skip and strides > 1 and not use_1x1conv:
            raise ValueError(f"strides={strides} shrinks Y but not the shortcut X, so Y + X cannot be added; "
                             "pass use_1x1conv=True to resize X as well")
        self.num_channels, self.skip = num_channels, skip
        with _no_lazy_warning():
            self.conv1 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1, stride=strides)
            self.conv2 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1)
            if use_1x1conv and skip:
                self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1, stride=strides)
            else:
                self.conv3 = None
            self.bn1 = nn.LazyBatchNorm2d()
            self.bn2 = nn.LazyBatchNorm2d()

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) -> (N, num_channels, H/strides, W/strides)."""
        if self.skip and self.conv3 is None and X.dim() == 4 and X.shape[1] != self.num_channels:
            raise ValueError(f"Residual({self.num_channels}) got X with {X.shape[1]} channels, but the shortcut "
                             f"adds X to a {self.num_channels}-channel Y; pass use_1x1conv=True to match them")
        Y = F.relu(self.bn1(self.conv1(X)))  # (N, num_channels, H/strides, W/strides)
        Y = self.bn2(self.conv2(Y))          # same shape
        if not self.skip:
            return F.relu(Y)
        if self.conv3 is not None:
            X = self.conv3(X)                # (N, num_channels, H/strides, W/strides)
        Y += X
        return F.relu(Y)


class ResNet(nn.Module):
    """ResNet built from config data: stem b1, then one stage per (num_residuals, num_channels) in arch.

    Every stage but the first starts with a stride-2 Residual (halving H and W); the head is
    global average pooling and one Linear. The b1_* keywords shrink the stem for small images;
    skip=False removes every shortcut, giving the plain network of the same depth.
    """

    def __init__(self, arch: Sequence[tuple[int, int]], num_classes: int = 10, *,
                 b1_channels: int = 64, b1_kernel_size: int = 7, b1_stride: int = 2,
                 b1_maxpool: bool = True, skip: bool = True) -> None:
        super().__init__()
        arch = _check_arch(arch, "ResNet", ("num_residuals", "num_channels"))
        _check_num_classes(num_classes)
        _check_int(b1_channels, "b1_channels", 1)
        _check_int(b1_kernel_size, "b1_kernel_size", 1)
        if b1_kernel_size % 2 == 0:
            raise ValueError(f"b1_kernel_size must be odd (such as 7 or 3) so padding keeps the image centred, "
                             f"got {b1_kernel_size}")
        _check_int(b1_stride, "b1_stride", 1)
        if not isinstance(b1_maxpool, bool):
            raise TypeError(f"b1_maxpool must be True or False, got {b1_maxpool!r}")
        if arch[0][1] != b1_channels:
            raise ValueError(f"the first stage adds its input straight onto its output, so its num_channels "
                             f"({arch[0][1]}) must equal b1_channels ({b1_channels})")
        with _no_lazy_warning():
            self.net = nn.Sequential(self.b1(b1_channels, b1_kernel_size, b1_stride, b1_maxpool))
            for i, b in enumerate(arch):
                self.net.add_module(f"b{i+2}", self.block(*b, first_block=(i == 0), skip=skip))
            self.net.add_module("last", nn.Sequential(
                nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),  # (N, C)
                nn.LazyLinear(num_classes)))                 # (N, num_classes)

    @staticmethod
    def b1(num_channels: int = 64, kernel_size: int = 7, stride: int = 2, maxpool: bool = True) -> nn.Sequential:
        """The stem: 7x7/2 conv, BatchNorm, ReLU, 3x3/2 max-pool: (N, C, H, W) -> (N, 64, H/4, W/4)."""
        layers: list[nn.Module] = [
            nn.LazyConv2d(num_channels, kernel_size=kernel_size, stride=stride, padding=kernel_size // 2),
            nn.LazyBatchNorm2d(), nn.ReLU()]                        # (N, 64, H/2, W/2)
        if maxpool:
            layers.append(nn.MaxPool2d(kernel_size=3, stride=2, padding=1))  # (N, 64, H/4, W/4)
        return nn.Sequential(*layers)

    @staticmethod
    def block(num_residuals: int, num_channels: int, first_block: bool = False, skip: bool = True) -> nn.Sequential:
        """num_residuals Residual blocks; unless first_block, the first one halves H and W (skip: see Residual)."""
        blk: list[nn.Module] = []
        for i in range(num_residuals):
            if i == 0 and not first_block:
                blk.append(Residual(num_channels, use_1x1conv=True, strides=2, skip=skip))  # (N, num_channels, H/2, W/2)
            else:
                blk.append(Residual(num_channels, skip=skip))                              # shape unchanged
        return nn.Sequential(*blk)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) images -> (N, num_classes) logits."""
        return self.net(X)


class ResNet18(ResNet):
    """ResNet-18 of the notes: ResNet(((2, 64), (2, 128), (2, 256), (2, 512)), num_classes)."""

    def __init__(self, num_classes: int = 10, **kwargs: Any) -> None:
        super().__init__(((2, 64), (2, 128), (2, 256), (2, 512)), num_classes, **kwargs)


# ---------------------------------------------------------------- MLP baseline

def mlp_baseline(in_features: int = 3 * 32 * 32, hidden: int = 100, num_classes: int = 10) -> nn.Sequential:
    """The CIFAR-10 MLP of the earlier lecture: Flatten, Linear(3072, 100), ReLU, Linear(100, 10)."""
    _check_int(in_features, "in_features", 1, "; for CIFAR-10 images it is 3*32*32 = 3072")
    _check_int(hidden, "hidden", 1, "; it is the number of hidden units, e.g. 100")
    _check_num_classes(num_classes)
    return nn.Sequential(
        nn.Flatten(),                         # (N, in_features)
        nn.Linear(in_features, hidden),       # (N, hidden)
        nn.ReLU(),
        nn.Linear(hidden, num_classes))       # (N, num_classes)


# ---------------------------------------------------------------- looking inside a model

def _top_layers(model: nn.Module) -> list[nn.Module]:
    """model.net's children if the model has .net, else the layers of an nn.Sequential."""
    net = getattr(model, "net", None)
    if isinstance(net, nn.Module):
        return list(net.children())
    if isinstance(model, nn.Sequential):
        return list(model.children())
    raise TypeError(f"layer_summary needs an nn.Sequential or a model that keeps its layers in self.net; "
                    f"{type(model).__name__} has neither")


def layer_summary(model: nn.Module, X_shape: Sequence[int]) -> list[tuple[str, torch.Size]]:
    """Run a random X of X_shape through the top-level layers, print each output shape, return [(name, shape)].

    Runs in eval mode without gradients; the model's train/eval mode is restored afterwards.
    Lazy layers get their shapes on this pass (their weights are not yet init_cnn'd: see materialize).
    """
    _check_model(model, "layer_summary")
    X_shape = _check_X_shape(X_shape)
    layers = _top_layers(model)
    _check_fits(model, X_shape)
    rows: list[tuple[str, torch.Size]] = []
    with _eval_no_grad(model):
        X = torch.randn(*X_shape, device=model_device(model))
        for i, layer in enumerate(layers):
            try:
                X = layer(X)
            except RuntimeError as e:
                raise ValueError(f"layer {i} ({layer.__class__.__name__}) cannot take an input of shape "
                                 f"{tuple(X.shape)}; check the channels and image size in X_shape={X_shape}. "
                                 f"PyTorch says: {e}") from e
            print(layer.__class__.__name__, 'output shape:\t', X.shape)
            rows.append((layer.__class__.__name__, X.shape))
    return rows


def materialize(model: nn.Module, X_shape: Sequence[int]) -> nn.Module:
    """Give lazy layers their shapes with one dummy forward pass of X_shape, then apply init_cnn; returns model.

    Call it once before building the optimizer; it re-initialises all Linear/Conv2d weights.
    """
    _check_model(model, "materialize")
    X_shape = _check_X_shape(X_shape)
    _check_fits(model, X_shape)
    with _eval_no_grad(model):
        X = torch.zeros(*X_shape, device=model_device(model))
        try:
            model(X)
        except RuntimeError as e:
            raise ValueError(f"{type(model).__name__} cannot run on an input of shape {X_shape}; check the "
                             f"channels and image size. PyTorch says: {e}") from e
    model.apply(init_cnn)
    return model


def count_parameters(model: nn.Module) -> int:
    """The number of learnable numbers (all parameter elements) in a materialised model."""
    _check_model(model, "count_parameters")
    params = list(model.parameters())
    if any(nn.parameter.is_lazy(p) for p in params):
        raise ValueError(f"{type(model).__name__} has lazy layers whose sizes are not known yet; "
                         "call materialize(model, X_shape) first, e.g. materialize(model, (1, 1, 28, 28))")
    return sum(p.numel() for p in params)


# ---- CPU-budget variants for notebooks 06-09 ----
# Narrow versions of the lecture's networks that reach the series' accuracy targets in a few minutes
# on 2 CPU cores (recipes: cnnlib.train.RECIPES; measured numbers: the README's results table).

VGG_SMALL_ARCH = ((1, 16), (1, 32), (2, 64))            # 28 -> 14 -> 7 -> 3 px
RESNET_SMALL_ARCH = ((1, 24), (1, 48), (1, 96))         # 14 -> 14 -> 7 -> 4 px after the stride-2 stem
CIFAR_CNN_WIDTHS = (32, 64, 128, 256)                   # 32 -> 16 -> 8 -> 4 -> 2 px


def vgg_small(num_classes: int = 10) -> VGG:
    """The notes' VGG narrowed for 28x28 Fashion-MNIST: 4 BatchNorm convs (16-64 channels), a 256-unit head.

    (N, 1, 28, 28) -> (N, num_classes); call materialize(model, (1, 1, 28, 28)) first.
    """
    return VGG(VGG_SMALL_ARCH, num_classes, num_hiddens=256, dropout=0.5, batch_norm=True)


def resnet_small(num_classes: int = 10, plain: bool = False) -> ResNet:
    """A ResNet-8 for 28x28 images: 3x3 stride-2 stem (no max-pool), one Residual per stage (24, 48, 96 channels).

    plain=True builds the same layers without the shortcuts (the plain network of the same depth).
    (N, 1, 28, 28) -> (N, num_classes); call materialize(model, (1, 1, 28, 28)) first.
    """
    if not isinstance(plain, bool):
        raise TypeError(f"plain must be True or False, got {plain!r}")
    return ResNet(RESNET_SMALL_ARCH, num_classes, b1_channels=RESNET_SMALL_ARCH[0][1], b1_kernel_size=3,
                  b1_stride=2, b1_maxpool=False, skip=not plain)


def cifar_cnn(num_classes: int = 10, widths: Sequence[int] = CIFAR_CNN_WIDTHS) -> nn.Sequential:
    """A small CNN for CIFAR-10: one BatchNorm vgg_block per width, global max-pool, one Linear.

    (N, 3, 32, 32) -> (N, num_classes); call materialize(model, (1, 3, 32, 32)) first.
    """
    _check_num_classes(num_classes)
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence) or len(widths) == 0:
        raise TypeError(f"widths must be a non-empty sequence of channel counts such as (32, 64, 128, 256), "
                        f"got {widths!r}")
    blocks = [vgg_block(1, w, batch_norm=True) for w in widths]  # each halves H and W
    with _no_lazy_warning():
        return nn.Sequential(
            *blocks,                                   # (N, widths[-1], H/2^n, W/2^n)
            nn.AdaptiveMaxPool2d((1, 1)), nn.Flatten(),  # (N, widths[-1])
            nn.LazyLinear(num_classes))                # (N, num_classes)


__all__ += ["vgg_small", "resnet_small", "cifar_cnn"]
