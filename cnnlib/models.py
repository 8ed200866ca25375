"""The lecture's networks in the order of notebooks 06-09 (LeNet, VGG, ResNet, the CIFAR-10 models) and the tools to
build and inspect them (init_cnn, materialize, layer_summary, count_parameters).

Every network is a Classifier: its layers live in self.net, and its forward checks the batch it is given first, so a
missing batch dimension or a wrong channel count gets a sentence instead of a traceback from inside PyTorch.
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from cnnlib import _check
from cnnlib.utils import eval_no_grad, model_device

__all__ = [
    "Classifier", "init_cnn", "materialize", "layer_summary", "count_parameters",
    "LeNet", "LeNetModern", "vgg_block", "VGG", "vgg_small",
    "Residual", "PlainBlock", "ResNeXtBlock", "ResNet", "ResNet18", "resnet_small", "mlp_baseline", "cifar_cnn",
]

# torch < 2.1 warns once per lazy layer that lazy modules are new; the series relies on them (d2l does too).
warnings.filterwarnings("ignore", message="Lazy modules are a new feature", category=UserWarning)

_MAX_CLASSES = 100_000  # ImageNet-21k has 21,841; a larger num_classes is a typo that would allocate gigabytes
_MAX_WIDTH = 65_536     # channels or units of one layer


def _classes(num_classes: object) -> int:
    """num_classes is the width of the last Linear layer: a whole number from 2 to 100,000."""
    return _check.whole(num_classes, "num_classes", 2, _MAX_CLASSES,
                        hint="; it is the number of classes to choose between, e.g. num_classes=10 for Fashion-MNIST")


def _width(value: object, name: str) -> int:
    return _check.whole(value, name, 1, _MAX_WIDTH)


# ---------------------------------------------------------------- every network of the series

class Classifier(nn.Module):
    """A network whose layers are self.net: images (N, C, H, W) -> logits (N, num_classes), as in d2l.

    Its forward checks the batch (a tensor of floats, 4-D, the model's channels and, for a fixed-size head, its image
    size) before the layers run. Classifier(net) wraps a ready nn.Sequential.
    """

    def __init__(self, net: Optional[nn.Module] = None) -> None:
        super().__init__()
        if net is not None:
            self.net = _check.model(net, "net")

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) images -> (N, num_classes) logits."""
        _check.images(X, "X", self)
        return self.net(X)


def init_cnn(module: nn.Module) -> None:
    """Xavier-uniform init of the weights of a Linear or Conv2d layer (d2l's init_cnn); use as model.apply(init_cnn)."""
    _check.model(module, "module")
    if isinstance(module, (nn.Linear, nn.Conv2d)):
        _check.materialized(module, "init_cnn")
        nn.init.xavier_uniform_(module.weight)


def materialize(model: nn.Module, X_shape: Sequence[int]) -> nn.Module:
    """Give lazy layers their shapes with one pass of zeros of X_shape, then apply init_cnn; returns the model.

    Call it once before building the optimizer; it re-initialises all Linear/Conv2d weights.
    """
    _dry_run(model, X_shape)
    model.apply(init_cnn)
    return model


def layer_summary(model: nn.Module, X_shape: Sequence[int]) -> list[tuple[str, torch.Size]]:
    """Run a random X of X_shape through the top-level layers, print each output shape, return [(name, shape)]."""
    X_shape, layers = _check.x_shape(model, X_shape), _top_layers(model)
    rows = []
    with eval_no_grad(model):
        X = torch.randn(*X_shape, device=model_device(model))
        for layer in layers:
            X = _run(layer, X, model, X_shape)
            print(layer.__class__.__name__, 'output shape:\t', X.shape)
            rows.append((layer.__class__.__name__, X.shape))
    _remember_input(model, X_shape)
    return rows


def count_parameters(model: nn.Module) -> int:
    """The number of learnable numbers (all parameter elements) in a materialised model."""
    _check.materialized(_check.model(model), "count_parameters")
    return sum(p.numel() for p in model.parameters())


def _dry_run(model: nn.Module, X_shape: object) -> tuple[int, ...]:
    shape = _check.x_shape(model, X_shape)
    with eval_no_grad(model):
        _run(model, torch.zeros(*shape, device=model_device(model)), model, shape)
    _remember_input(model, shape)
    return shape


def _run(layer: nn.Module, X: torch.Tensor, model: nn.Module, X_shape: tuple) -> torch.Tensor:
    """layer(X), with PyTorch's complaint about impossible shapes turned into a sentence."""
    try:
        return layer(X)
    except RuntimeError as e:
        raise ValueError(f"{type(model).__name__} cannot take an input of shape {X_shape}: its layer "
                         f"{type(layer).__name__} got {tuple(X.shape)}; check the channels and image size. PyTorch "
                         f"says: {' '.join(str(e).split())[:300]}") from None


def _remember_input(model: nn.Module, X_shape: tuple) -> None:
    """Record what the model takes, so its forward can check batches: channels, and the size for a fixed-size head."""
    kinds = [type(m) for m in model.modules()]
    fixed = nn.Flatten in kinds and not {nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d} & set(kinds)
    model._cnnlib_input_shape = tuple(X_shape[1:]) if fixed else (X_shape[1],)


def _top_layers(model: nn.Module) -> list[nn.Module]:
    """model.net's children if the model has .net, else the layers of an nn.Sequential."""
    net = getattr(model, "net", model)
    if not isinstance(net, nn.Sequential):
        raise TypeError(f"layer_summary needs an nn.Sequential or a model that keeps its layers in self.net; "
                        f"{type(model).__name__} has neither")
    return list(net.children())


# ---------------------------------------------------------------- 06 LeNet (d2l 7.6)

class LeNet(Classifier):
    """LeNet-5 as in the notes: two conv + sigmoid + avg-pool stages, then three Linear layers.

    Input (N, 1, 28, 28) -> logits (N, num_classes). Layers are lazy: call materialize first.
    """

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        num_classes = _classes(num_classes)
        self.net = nn.Sequential(
            nn.LazyConv2d(6, kernel_size=5, padding=2), nn.Sigmoid(),  # (N, 6, 28, 28)
            nn.AvgPool2d(kernel_size=2, stride=2),                     # (N, 6, 14, 14)
            nn.LazyConv2d(16, kernel_size=5), nn.Sigmoid(),            # (N, 16, 10, 10)
            nn.AvgPool2d(kernel_size=2, stride=2),                     # (N, 16, 5, 5)
            nn.Flatten(),                                              # (N, 400)
            nn.LazyLinear(120), nn.Sigmoid(),                          # (N, 120)
            nn.LazyLinear(84), nn.Sigmoid(),                           # (N, 84)
            nn.LazyLinear(num_classes))                                # (N, num_classes)


class LeNetModern(Classifier):
    """LeNet with today's parts, same shapes: ReLU for Sigmoid, MaxPool for AvgPool, BatchNorm after each layer."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        num_classes = _classes(num_classes)
        self.net = nn.Sequential(
            nn.LazyConv2d(6, kernel_size=5, padding=2), nn.LazyBatchNorm2d(), nn.ReLU(),  # (N, 6, 28, 28)
            nn.MaxPool2d(kernel_size=2, stride=2),                                       # (N, 6, 14, 14)
            nn.LazyConv2d(16, kernel_size=5), nn.LazyBatchNorm2d(), nn.ReLU(),           # (N, 16, 10, 10)
            nn.MaxPool2d(kernel_size=2, stride=2),                                       # (N, 16, 5, 5)
            nn.Flatten(),                                                                # (N, 400)
            nn.LazyLinear(120), nn.LazyBatchNorm1d(), nn.ReLU(),                         # (N, 120)
            nn.LazyLinear(84), nn.LazyBatchNorm1d(), nn.ReLU(),                          # (N, 84)
            nn.LazyLinear(num_classes))                                                  # (N, num_classes)


# ---------------------------------------------------------------- 07 VGG (d2l 8.2)

def vgg_block(num_convs: int, out_channels: int, batch_norm: bool = False) -> nn.Sequential:
    """num_convs 3x3 convs (padding 1, ReLU), then a 2x2 max-pool: (N, C, H, W) -> (N, out_channels, H/2, W/2).

    batch_norm=True puts a BatchNorm2d between each conv and its ReLU (not in the notes; trains faster).
    """
    num_convs, out_channels, batch_norm = _vgg_block_args(num_convs, out_channels, batch_norm)
    layers = []
    for _ in range(num_convs):
        layers.append(nn.LazyConv2d(out_channels, kernel_size=3, padding=1))  # (N, out_channels, H, W)
        if batch_norm:
            layers.append(nn.LazyBatchNorm2d())
        layers.append(nn.ReLU())
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))  # (N, out_channels, H/2, W/2)
    return nn.Sequential(*layers)


def _vgg_block_args(num_convs: object, out_channels: object, batch_norm: object) -> tuple[int, int, bool]:
    return (_check.whole(num_convs, "num_convs", 1, 64, hint="; a VGG block needs at least one convolution"),
            _width(out_channels, "out_channels"), _check.flag(batch_norm, "batch_norm"))


class VGG(Classifier):
    """VGG built from config data: arch=((num_convs, out_channels), ...) gives one vgg_block per pair.

    Each block halves the image, so 5 blocks need at least 32 px; the dense head has num_hiddens units and dropout
    (defaults 4096 and 0.5, as in the notes).
    """

    def __init__(self, arch: Sequence[tuple[int, int]], num_classes: int = 10, *,
                 num_hiddens: int = 4096, dropout: float = 0.5, batch_norm: bool = False) -> None:
        super().__init__()
        arch, num_classes, num_hiddens, dropout = _vgg_args(arch, num_classes, num_hiddens, dropout)
        conv_blks = [vgg_block(num_convs, out_channels, batch_norm) for num_convs, out_channels in arch]
        self.net = nn.Sequential(
            *conv_blks, nn.Flatten(),                                    # (N, C * H/2^n * W/2^n)
            nn.LazyLinear(num_hiddens), nn.ReLU(), nn.Dropout(dropout),  # (N, num_hiddens)
            nn.LazyLinear(num_hiddens), nn.ReLU(), nn.Dropout(dropout),  # (N, num_hiddens)
            nn.LazyLinear(num_classes))                                  # (N, num_classes)


def _arch(arch: object, model: str, pair: tuple[str, str]) -> tuple[tuple[int, int], ...]:
    """arch as a tuple of (int, int) pairs, or a sentence about what a valid arch looks like."""
    example = "((1, 64), (1, 128), (2, 256))" if model == "VGG" else "((2, 64), (2, 128))"
    what = f"{model} arch must be a sequence of ({pair[0]}, {pair[1]}) pairs such as {example}"
    if isinstance(arch, (str, bytes)) or not isinstance(arch, Sequence):
        raise TypeError(f"{what}; got {_check.short(arch)}")
    if len(arch) == 0:
        raise ValueError(f"{what}; got an empty arch, so the network would have no blocks")
    for i, block in enumerate(arch):
        if isinstance(block, (str, bytes)) or not isinstance(block, Sequence) or len(block) != 2:
            raise TypeError(f"{what}; block {i} is {_check.short(block)}, not a pair")
    return tuple((_check.whole(a, f"{pair[0]} in block {i} of arch", 1, 64),
                  _width(b, f"{pair[1]} in block {i} of arch")) for i, (a, b) in enumerate(arch))


def _vgg_args(arch: object, num_classes: object, num_hiddens: object, dropout: object) -> tuple:
    return (_arch(arch, "VGG", ("num_convs", "out_channels")), _classes(num_classes),
            _width(num_hiddens, "num_hiddens"),
            _check.number(dropout, "dropout", minimum=0, below=1, example="0.5"))


def vgg_small(num_classes: int = 10) -> VGG:
    """The notes' VGG narrowed for 28x28 Fashion-MNIST: 4 BatchNorm convs (16-64 channels), a 256-unit head.

    Three blocks halve 28 -> 14 -> 7 -> 3 px. (N, 1, 28, 28) -> (N, num_classes); call materialize first.
    """
    return VGG(((1, 16), (1, 32), (2, 64)), num_classes, num_hiddens=256, dropout=0.5, batch_norm=True)


# ---------------------------------------------------------------- 08 ResNet (d2l 8.6)

class Residual(nn.Module):
    """The residual block of ResNet: Y = relu(bn2(conv2(relu(bn1(conv1(X))))) + X).

    use_1x1conv=True gives the shortcut a 1x1 conv, so that X matches Y when strides > 1 or the channels change.
    """

    def __init__(self, num_channels: int, use_1x1conv: bool = False, strides: int = 1) -> None:
        super().__init__()
        num_channels, use_1x1conv, strides = _residual_args(num_channels, use_1x1conv, strides, self)
        self.conv1 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1, stride=strides)
        self.conv2 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1)
        if use_1x1conv:
            self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1, stride=strides)
        else:
            self.conv3 = None
        self.bn1 = nn.LazyBatchNorm2d()
        self.bn2 = nn.LazyBatchNorm2d()

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) -> (N, num_channels, H/strides, W/strides)."""
        _shortcut_fits(self, X)
        Y = F.relu(self.bn1(self.conv1(X)))  # (N, num_channels, H/strides, W/strides)
        Y = self.bn2(self.conv2(Y))          # same shape
        if self.conv3:
            X = self.conv3(X)                # the shortcut, resized to Y's shape
        Y += X
        return F.relu(Y)


class PlainBlock(Residual):
    """Residual's two convolutions without the shortcut: Y = relu(bn2(conv2(relu(bn1(conv1(X)))))).

    The block of a plain network of the same depth, for racing it against the residual one.
    """

    def __init__(self, num_channels: int, use_1x1conv: bool = False, strides: int = 1) -> None:
        super().__init__(num_channels, use_1x1conv=False, strides=strides)  # no shortcut, so no 1x1 conv for it

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) -> (N, num_channels, H/strides, W/strides)."""
        Y = F.relu(self.bn1(self.conv1(X)))
        return F.relu(self.bn2(self.conv2(Y)))


class ResNeXtBlock(nn.Module):
    """The ResNeXt block (d2l 8.6.5): 1x1 conv to bot_channels = num_channels * bot_mul, a grouped 3x3 conv, 1x1 conv
    back, and the shortcut. As in d2l, `groups` is the number of channels per group of the 3x3 conv (it has
    bot_channels // groups groups; each output channel sees only its group's channels)."""

    def __init__(self, num_channels: int, groups: int, bot_mul: float, use_1x1conv: bool = False,
                 strides: int = 1) -> None:
        super().__init__()
        bot_channels = _resnext_args(num_channels, groups, bot_mul, use_1x1conv, strides)
        self.conv1 = nn.LazyConv2d(bot_channels, kernel_size=1, stride=1)
        self.conv2 = nn.LazyConv2d(bot_channels, kernel_size=3, stride=strides, padding=1,
                                   groups=bot_channels // groups)
        self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1, stride=1)
        self.bn1, self.bn2, self.bn3 = nn.LazyBatchNorm2d(), nn.LazyBatchNorm2d(), nn.LazyBatchNorm2d()
        if use_1x1conv:
            self.conv4 = nn.LazyConv2d(num_channels, kernel_size=1, stride=strides)
            self.bn4 = nn.LazyBatchNorm2d()
        else:
            self.conv4 = None

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) -> (N, num_channels, H/strides, W/strides)."""
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = F.relu(self.bn2(self.conv2(Y)))
        Y = self.bn3(self.conv3(Y))
        if self.conv4:
            X = self.bn4(self.conv4(X))
        return F.relu(Y + X)


def _resnext_args(num_channels: object, groups: object, bot_mul: object, use_1x1conv: object,
                  strides: object) -> int:
    """Checks of ResNeXtBlock's arguments; returns bot_channels."""
    num_channels, groups = _width(num_channels, "num_channels"), _width(groups, "groups")
    bot_channels = int(round(num_channels * _check.number(bot_mul, "bot_mul", positive=True, maximum=64,
                                                          example="1")))
    _check.flag(use_1x1conv, "use_1x1conv")
    if _check.whole(strides, "strides", 1, 64) > 1 and not use_1x1conv:
        raise ValueError(f"strides={strides} shrinks Y but not the shortcut X; pass use_1x1conv=True")
    if bot_channels < groups or bot_channels % groups:
        raise ValueError(f"groups={groups} channels per group must divide the {bot_channels} middle channels "
                         f"(num_channels * bot_mul); try groups=16 with num_channels=32, bot_mul=1")
    return bot_channels


def _residual_args(num_channels: object, use_1x1conv: object, strides: object,
                   block: nn.Module) -> tuple[int, bool, int]:
    num_channels = _width(num_channels, "num_channels")
    use_1x1conv, strides = _check.flag(use_1x1conv, "use_1x1conv"), _check.whole(strides, "strides", 1, 64)
    if strides > 1 and not use_1x1conv and not isinstance(block, PlainBlock):
        raise ValueError(f"strides={strides} shrinks Y but not the shortcut X, so Y + X cannot be added; "
                         "pass use_1x1conv=True to resize X as well")
    return num_channels, use_1x1conv, strides


def _shortcut_fits(block: Residual, X: object) -> None:
    """Without a 1x1 conv the shortcut adds X itself to Y, so X must already have Y's channels and size."""
    _check.tensor(X, "X", 4, "(N, C, H, W)")
    if block.conv3 is None and (X.shape[1] != block.conv2.out_channels or block.conv1.stride != (1, 1)):
        raise ValueError(f"Residual({block.conv2.out_channels}) adds its input X to its output Y, but X has "
                         f"{X.shape[1]} channels and Y {block.conv2.out_channels}"
                         f"{' and half its size' if block.conv1.stride != (1, 1) else ''}; pass use_1x1conv=True "
                         f"to resize X on the shortcut")


class ResNet(Classifier):
    """ResNet built from config data: the stem b1, then one stage per (num_residuals, num_channels) in arch.

    Every stage but the first starts with a stride-2 block (halving H and W); the head is global average pooling and
    one Linear. The b1_* keywords shrink the stem for small images; block=PlainBlock gives the plain network.
    """

    def __init__(self, arch: Sequence[tuple[int, int]], num_classes: int = 10, *, b1_channels: int = 64,
                 b1_kernel_size: int = 7, b1_stride: int = 2, b1_maxpool: bool = True,
                 block: type = Residual) -> None:
        super().__init__()
        arch, num_classes = _resnet_args(arch, num_classes, b1_channels, b1_kernel_size, b1_stride, b1_maxpool, block)
        self.residual = block
        self.net = nn.Sequential(self.b1(b1_channels, b1_kernel_size, b1_stride, b1_maxpool))
        for i, b in enumerate(arch):
            self.net.add_module(f"b{i+2}", self.block(*b, first_block=(i == 0)))
        self.net.add_module("last", nn.Sequential(
            nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),  # (N, C)
            nn.LazyLinear(num_classes)))                 # (N, num_classes)

    @staticmethod
    def b1(num_channels: int = 64, kernel_size: int = 7, stride: int = 2, maxpool: bool = True) -> nn.Sequential:
        """The stem: 7x7/2 conv, BatchNorm, ReLU, 3x3/2 max-pool: (N, C, H, W) -> (N, 64, H/4, W/4)."""
        layers = [nn.LazyConv2d(num_channels, kernel_size=kernel_size, stride=stride, padding=kernel_size // 2),
                  nn.LazyBatchNorm2d(), nn.ReLU()]                           # (N, 64, H/2, W/2)
        if maxpool:
            layers.append(nn.MaxPool2d(kernel_size=3, stride=2, padding=1))  # (N, 64, H/4, W/4)
        return nn.Sequential(*layers)

    def block(self, num_residuals: int, num_channels: int, first_block: bool = False) -> nn.Sequential:
        """A stage of num_residuals blocks; unless first_block, the first one halves H and W."""
        blk = []
        for i in range(num_residuals):
            if i == 0 and not first_block:
                blk.append(self.residual(num_channels, use_1x1conv=True, strides=2))  # (N, num_channels, H/2, W/2)
            else:
                blk.append(self.residual(num_channels))                              # shape unchanged
        return nn.Sequential(*blk)


def _resnet_args(arch: object, num_classes: object, b1_channels: object, b1_kernel_size: object,
                 b1_stride: object, b1_maxpool: object, block: object) -> tuple:
    arch = _arch(arch, "ResNet", ("num_residuals", "num_channels"))
    b1_channels, b1_kernel_size = _width(b1_channels, "b1_channels"), _check.whole(b1_kernel_size, "b1_kernel_size", 1, 15)
    _check.whole(b1_stride, "b1_stride", 1, 8)
    _check.flag(b1_maxpool, "b1_maxpool")
    if b1_kernel_size % 2 == 0:
        raise ValueError(f"b1_kernel_size must be odd (such as 7 or 3) so padding keeps the image centred, "
                         f"got {b1_kernel_size}")
    if arch[0][1] != b1_channels:
        raise ValueError(f"the first stage adds its input straight onto its output, so its num_channels "
                         f"({arch[0][1]}) must equal b1_channels ({b1_channels})")
    if not (isinstance(block, type) and issubclass(block, Residual)):
        raise TypeError(f"block must be Residual or PlainBlock (the class itself), got {_check.short(block)}")
    return arch, _classes(num_classes)


class ResNet18(ResNet):
    """ResNet-18 of the notes: ResNet(((2, 64), (2, 128), (2, 256), (2, 512)), num_classes)."""

    def __init__(self, num_classes: int = 10, **kwargs: object) -> None:
        super().__init__(((2, 64), (2, 128), (2, 256), (2, 512)), num_classes, **kwargs)


def resnet_small(num_classes: int = 10, block: type = Residual,
                 arch: Sequence[tuple[int, int]] = ((1, 24), (1, 48), (1, 96))) -> ResNet:
    """A ResNet for 28x28 images: a 3x3 stride-2 stem (no max-pool), then the stages of arch; by default one block
    each of 24, 48 and 96 channels at 14, 7 and 4 px (8 weight layers, a "ResNet-8").

    block=PlainBlock builds the same layers without the shortcuts. (N, 1, 28, 28) -> (N, num_classes).
    """
    arch = _arch(arch, "ResNet", ("num_residuals", "num_channels"))
    return ResNet(arch, num_classes, b1_channels=arch[0][1], b1_kernel_size=3, b1_stride=2, b1_maxpool=False,
                  block=block)


# ---------------------------------------------------------------- 09 CIFAR-10

def mlp_baseline(in_features: int = 3 * 32 * 32, hidden: int = 100, num_classes: int = 10) -> Classifier:
    """The CIFAR-10 MLP of the earlier lecture: Flatten, Linear(3072, 100), ReLU, Linear(100, 10)."""
    in_features, hidden, num_classes = _mlp_args(in_features, hidden, num_classes)
    return Classifier(nn.Sequential(
        nn.Flatten(),                         # (N, in_features)
        nn.Linear(in_features, hidden),       # (N, hidden)
        nn.ReLU(),
        nn.Linear(hidden, num_classes)))      # (N, num_classes)


def _mlp_args(in_features: object, hidden: object, num_classes: object) -> tuple[int, int, int]:
    in_features = _check.whole(in_features, "in_features", 1, 10 ** 6, hint="; for CIFAR-10 it is 3*32*32 = 3072")
    hidden = _width(hidden, "hidden")
    return in_features, hidden, _classes(num_classes)


def cifar_cnn(num_classes: int = 10, widths: Sequence[int] = (32, 64, 128, 256)) -> Classifier:
    """A small CNN for CIFAR-10: one BatchNorm vgg_block per width, global max-pool, one Linear.

    Four blocks halve 32 -> 16 -> 8 -> 4 -> 2 px. (N, 3, 32, 32) -> (N, num_classes); call materialize first.
    """
    num_classes, widths = _classes(num_classes), _widths(widths)
    return Classifier(nn.Sequential(
        *[vgg_block(1, w, batch_norm=True) for w in widths],  # (N, widths[-1], H/2^n, W/2^n)
        nn.AdaptiveMaxPool2d((1, 1)), nn.Flatten(),           # (N, widths[-1]): each channel's strongest response
        nn.LazyLinear(num_classes)))                          # (N, num_classes)


def _widths(widths: object) -> tuple[int, ...]:
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence) or len(widths) == 0:
        raise TypeError(f"widths must be a non-empty sequence of channel counts such as (32, 64, 128, 256), "
                        f"got {_check.short(widths)}")
    return tuple(_width(w, f"widths[{i}]") for i, w in enumerate(widths))
