"""Convolution and pooling from scratch (d2l ch. 7): the lecture's loop versions, a vectorised corr2d, and helpers.

Every function checks its arguments first and raises a TypeError or ValueError a student can act on,
before any loop runs. Shapes follow PyTorch: images are (H, W), channels come first (C, H, W).
"""
from __future__ import annotations

import numbers
from typing import Callable, Tuple, Union

import torch
from torch import Tensor, nn
from torch.nn import functional as F

__all__ = [
    "corr2d", "corr2d_fast", "convolve2d", "convolve1d",
    "corr2d_multi_in", "corr2d_multi_in_out", "corr2d_multi_in_out_1x1",
    "pool2d", "conv_output_shape", "conv_matrix", "Conv2D", "comp_conv2d",
]

IntOrPair = Union[int, Tuple[int, int]]

# ----------------------------------------------------------------------------------------------
# Argument checks (private): one place that turns bad input into a sentence a student understands.


def _pair(value: object, name: str, minimum: int = 1, hint: str = "") -> Tuple[int, int]:
    """Turn an int or an (h, w) pair into an (h, w) tuple of ints, each >= minimum."""
    if isinstance(value, (tuple, list, torch.Size)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair (h, w), got {len(value)} values "
                             f"{tuple(value)}{hint or '; pass one value per spatial dimension'}")
        items = tuple(value)
    else:
        items = (value, value)
    for v in items:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            kind = "bool" if isinstance(v, bool) else type(v).__name__
            raise TypeError(f"{name} must be an int or a pair of ints like (2, 3), got {kind} {v!r}; "
                            f"sizes count rows and columns, so use whole numbers")
    h, w = int(items[0]), int(items[1])
    if h < minimum or w < minimum:
        raise ValueError(f"{name} must be >= {minimum} in both dimensions, got {value!r}"
                         + ("; padding adds rows and columns of zeros, so use 0 for none"
                            if minimum == 0 else f"; use {minimum} or more"))
    return h, w


def _check_tensor(X: object, name: str, ndim: int, layout: str, at_least: bool = False) -> None:
    """Raise unless X is a non-empty floating-point tensor with ndim (or at least ndim) dimensions."""
    if not isinstance(X, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(X).__name__}; convert it with "
                        f"torch.tensor({name}) (or torch.from_numpy for a NumPy array)")
    if not X.is_floating_point():
        raise TypeError(f"{name} must hold floating-point numbers, got dtype {X.dtype}; "
                        f"convert it with {name}.float()")
    shape = tuple(X.shape)
    if (X.ndim < ndim) if at_least else (X.ndim != ndim):
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
        raise ValueError(f"{name} is empty (shape {shape}); every dimension needs at least one element")


def _check_same_kind(X: Tensor, K: Tensor, x_name: str = "X", k_name: str = "K") -> None:
    """Raise unless X and K share dtype and device (as F.conv2d requires)."""
    if X.dtype != K.dtype:
        raise ValueError(f"{x_name} is {X.dtype} but {k_name} is {K.dtype}; convert one so they match, "
                         f"e.g. {k_name} = {k_name}.to({x_name}.dtype)")
    if X.device != K.device:
        raise ValueError(f"{x_name} is on {X.device} but {k_name} is on {K.device}; move both to one "
                         f"device, e.g. {k_name} = {k_name}.to({x_name}.device)")


def _check_channels(X: Tensor, K: Tensor, k_dim: int) -> None:
    """Raise unless K has one kernel slice per input channel of X (C, H, W)."""
    if K.shape[k_dim] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} input channels but K has {K.shape[k_dim]} (K has shape "
                         f"{tuple(K.shape)}); K needs one kernel slice per input channel of X")


def _output_shape(input_size: object, kernel_size: object, padding: object, stride: object,
                  what: str = "kernel") -> Tuple[int, int]:
    """floor((n + 2p - k) / s) + 1 per dimension, with a clear error when the window does not fit."""
    H, W = _pair(input_size, "input_size", 1, hint="; for a tensor X pass X.shape[-2:]")
    kh, kw = _pair(kernel_size, "kernel_size", 1)
    ph, pw = _pair(padding, "padding", 0)
    sh, sw = _pair(stride, "stride", 1)
    too_big = [f"{dim} {k} > {n} + 2*{p}" for dim, k, n, p in (("height", kh, H, ph), ("width", kw, W, pw))
               if k > n + 2 * p]
    if too_big:
        raise ValueError(f"{what} {kh}x{kw} is larger than the padded input {H + 2 * ph}x{W + 2 * pw} "
                         f"({', '.join(too_big)}); add padding or use a smaller {what}")
    return (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1


def _check_conv_args(X: Tensor, K: Tensor, padding: object, stride: object,
                     x_layout: str = "(H, W)", batched: bool = False) -> Tuple[int, int]:
    """All checks for a 2-D X (or (..., H, W) when batched) and a 2-D K; returns the output (out_h, out_w)."""
    _check_tensor(X, "X", 2, x_layout, at_least=batched)
    _check_tensor(K, "K", 2, "(kh, kw)")
    _check_same_kind(X, K)
    return conv_output_shape(X.shape[-2:], K.shape, padding, stride)


# ----------------------------------------------------------------------------------------------
# Cross-correlation and convolution


def conv_output_shape(input_size: IntOrPair, kernel_size: IntOrPair, padding: IntOrPair = 0,
                      stride: IntOrPair = 1) -> Tuple[int, int]:
    """Output (h, w) of a convolution: floor((n + 2p - k) / s) + 1 in each dimension (ints or pairs)."""
    return _output_shape(input_size, kernel_size, padding, stride, what="kernel")


def corr2d(X: Tensor, K: Tensor, padding: IntOrPair = 0, stride: IntOrPair = 1) -> Tensor:
    """2-D cross-correlation of X (H, W) with kernel K (kh, kw) -> Y (out_h, out_w): the lecture's two loops."""
    out_h, out_w = _check_conv_args(X, K, padding, stride)
    (ph, pw), (sh, sw) = _pair(padding, "padding", 0), _pair(stride, "stride")
    X = F.pad(X, (pw, pw, ph, ph))  # (H + 2ph, W + 2pw): a border of zeros
    h, w = K.shape
    Y = torch.zeros((out_h, out_w), dtype=X.dtype, device=X.device)  # (out_h, out_w)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i*sh:i*sh + h, j*sw:j*sw + w] * K).sum()
    return Y


def corr2d_fast(X: Tensor, K: Tensor, padding: IntOrPair = 0, stride: IntOrPair = 1) -> Tensor:
    """Vectorised corr2d: X (..., H, W), K (kh, kw) -> Y (..., out_h, out_w); leading dims share one K."""
    _check_conv_args(X, K, padding, stride, x_layout="(..., H, W)", batched=True)
    (ph, pw), (sh, sw) = _pair(padding, "padding", 0), _pair(stride, "stride")
    h, w = K.shape
    X = F.pad(X, (pw, pw, ph, ph))  # (..., H + 2ph, W + 2pw)
    windows = X.unfold(-2, h, sh)  # (..., out_h, W + 2pw, kh): every row window
    windows = windows.unfold(-2, w, sw)  # (..., out_h, out_w, kh, kw): every window at once
    return torch.einsum("...ijab,ab->...ij", windows, K)  # (..., out_h, out_w)


def convolve2d(X: Tensor, K: Tensor, padding: IntOrPair = 0, stride: IntOrPair = 1) -> Tensor:
    """True 2-D convolution of X (H, W) with K (kh, kw): cross-correlation with K flipped in both axes."""
    _check_conv_args(X, K, padding, stride)
    return corr2d(X, torch.flip(K, dims=(0, 1)), padding, stride)  # flip rows and columns, then correlate


def convolve1d(x: Tensor, w: Tensor) -> Tensor:
    """Full 1-D convolution y[i] = sum_k w[k] x[i-k] of x (n,) with w (m,) -> y (n + m - 1,) (= numpy 'full')."""
    _check_tensor(x, "x", 1, "(n,)")
    _check_tensor(w, "w", 1, "(m,)")
    _check_same_kind(x, w, "x", "w")
    n, m = x.shape[0], w.shape[0]
    y = torch.zeros(n + m - 1, dtype=x.dtype, device=x.device)  # (n + m - 1,)
    for i in range(n + m - 1):
        for k in range(m):
            if 0 <= i - k < n:  # x is zero outside 0..n-1
                y[i] += w[k] * x[i - k]
    return y


# ----------------------------------------------------------------------------------------------
# Channels


def corr2d_multi_in(X: Tensor, K: Tensor, padding: IntOrPair = 0, stride: IntOrPair = 1) -> Tensor:
    """Multi-input-channel corr2d: X (C, H, W), K (C, kh, kw) -> (out_h, out_w), summed over channels."""
    _check_tensor(X, "X", 3, "(C, H, W)")
    _check_tensor(K, "K", 3, "(C, kh, kw)")
    _check_same_kind(X, K)
    _check_channels(X, K, 0)
    conv_output_shape(X.shape[-2:], K.shape[-2:], padding, stride)
    return sum(corr2d(x, k, padding, stride) for x, k in zip(X, K))  # (out_h, out_w)


def corr2d_multi_in_out(X: Tensor, K: Tensor, padding: IntOrPair = 0, stride: IntOrPair = 1) -> Tensor:
    """Multi-output-channel corr2d: X (C, H, W), K (Co, C, kh, kw) -> (Co, out_h, out_w)."""
    _check_tensor(X, "X", 3, "(C, H, W)")
    _check_tensor(K, "K", 4, "(Co, C, kh, kw)")
    _check_same_kind(X, K)
    _check_channels(X, K, 1)
    conv_output_shape(X.shape[-2:], K.shape[-2:], padding, stride)
    return torch.stack([corr2d_multi_in(X, k, padding, stride) for k in K], 0)  # (Co, out_h, out_w)


def corr2d_multi_in_out_1x1(X: Tensor, K: Tensor) -> Tensor:
    """A 1x1 convolution as a matrix product: X (C, H, W), K (Co, C, 1, 1) -> (Co, H, W)."""
    _check_tensor(X, "X", 3, "(C, H, W)")
    _check_tensor(K, "K", 4, "(Co, C, 1, 1)")
    _check_same_kind(X, K)
    _check_channels(X, K, 1)
    if tuple(K.shape[2:]) != (1, 1):
        raise ValueError(f"K must hold 1x1 kernels, got {K.shape[2]}x{K.shape[3]} (shape {tuple(K.shape)}); "
                         f"use corr2d_multi_in_out for larger kernels")
    c_i, h, w = X.shape
    c_o = K.shape[0]
    X = X.reshape((c_i, h * w))  # (C, H*W): one column per pixel
    K = K.reshape((c_o, c_i))  # (Co, C)
    Y = torch.matmul(K, X)  # (Co, H*W): a fully connected layer applied at every pixel
    return Y.reshape((c_o, h, w))  # (Co, H, W)


# ----------------------------------------------------------------------------------------------
# Pooling


def pool2d(X: Tensor, pool_size: IntOrPair, mode: str = "max", padding: IntOrPair = 0,
           stride: IntOrPair = 1) -> Tensor:
    """Max or average pooling of the last two dims of X (..., H, W) -> (..., out_h, out_w); stride 1 as in the notes."""
    _check_tensor(X, "X", 2, "(..., H, W)", at_least=True)
    if not isinstance(mode, str):
        raise TypeError(f"mode must be the string 'max' or 'avg', got {type(mode).__name__} {mode!r}")
    if mode not in ("max", "avg"):
        raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}")
    p_h, p_w = _pair(pool_size, "pool_size", 1)
    pad_h, pad_w = _pair(padding, "padding", 0)
    sh, sw = _pair(stride, "stride", 1)
    if 2 * pad_h > p_h or 2 * pad_w > p_w:
        raise ValueError(f"padding {pad_h}x{pad_w} is more than half the pooling window {p_h}x{p_w}; "
                         f"like PyTorch, use padding <= pool_size // 2, here at most {p_h // 2}x{p_w // 2}")
    out_h, out_w = _output_shape(X.shape[-2:], (p_h, p_w), padding, stride, what="pooling window")
    fill = float("-inf") if mode == "max" else 0.0  # max never picks the padding; avg counts it as zeros
    X = F.pad(X, (pad_w, pad_w, pad_h, pad_h), value=fill)  # (..., H + 2pad_h, W + 2pad_w)
    Y = torch.zeros(X.shape[:-2] + (out_h, out_w), dtype=X.dtype, device=X.device)  # (..., out_h, out_w)
    for i in range(Y.shape[-2]):
        for j in range(Y.shape[-1]):
            window = X[..., i*sh:i*sh + p_h, j*sw:j*sw + p_w]  # (..., p_h, p_w)
            if mode == "max":
                Y[..., i, j] = window.amax(dim=(-2, -1))
            elif mode == "avg":
                Y[..., i, j] = window.mean(dim=(-2, -1))
    return Y


# ----------------------------------------------------------------------------------------------
# Convolution as a matrix, as a module, and the lecture's shape helper


def conv_matrix(K: Tensor, input_shape: IntOrPair, padding: IntOrPair = 0, stride: IntOrPair = 1) -> Tensor:
    """Dense W (out_h*out_w, H*W) with W @ X.flatten() == corr2d(X, K, padding, stride).flatten()."""
    _check_tensor(K, "K", 2, "(kh, kw)")
    H, W_in = _pair(input_shape, "input_shape", 1, hint="; for a tensor X pass X.shape[-2:]")
    out_h, out_w = conv_output_shape((H, W_in), K.shape, padding, stride)
    (ph, pw), (sh, sw) = _pair(padding, "padding", 0), _pair(stride, "stride")
    h, w = K.shape
    W = torch.zeros((out_h * out_w, H + 2 * ph, W_in + 2 * pw), dtype=K.dtype, device=K.device)
    for i in range(out_h):
        for j in range(out_w):
            W[i * out_w + j, i*sh:i*sh + h, j*sw:j*sw + w] = K  # row (i, j) holds K where its window sits
    W = W[:, ph:ph + H, pw:pw + W_in]  # (out_h*out_w, H, W): drop the columns that would meet padding zeros
    return W.reshape(out_h * out_w, H * W_in)  # (out_h*out_w, H*W)


class Conv2D(nn.Module):
    """The lecture's learnable convolution: corr2d(x, weight) + bias, with weight (kh, kw) and bias (1,)."""

    def __init__(self, kernel_size: IntOrPair) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.rand(_pair(kernel_size, "kernel_size", 1)))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x: Tensor) -> Tensor:
        """x (H, W) -> (out_h, out_w)."""
        return corr2d(x, self.weight) + self.bias


def comp_conv2d(conv2d: Callable[[Tensor], Tensor], X: Tensor) -> Tensor:
    """Apply a one-channel conv layer to a single image X (H, W) and return the output (out_h, out_w)."""
    if not callable(conv2d):
        raise TypeError(f"conv2d must be a layer such as nn.LazyConv2d(1, kernel_size=3), "
                        f"got {type(conv2d).__name__}")
    _check_tensor(X, "X", 2, "(H, W)")
    X = X.reshape((1, 1) + X.shape)  # (1, 1, H, W): batch size and channels are both 1
    Y = conv2d(X)  # (1, 1, out_h, out_w)
    if not isinstance(Y, Tensor) or Y.ndim != 4 or tuple(Y.shape[:2]) != (1, 1):
        got = tuple(Y.shape) if isinstance(Y, Tensor) else type(Y).__name__
        raise ValueError(f"comp_conv2d expects a layer with one output channel that returns "
                         f"(1, 1, out_h, out_w), got {got}; use e.g. nn.LazyConv2d(1, kernel_size=3)")
    return Y.reshape(Y.shape[2:])  # (out_h, out_w): strip examples and channels
