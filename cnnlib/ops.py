"""Convolution and pooling from scratch (d2l ch. 7), in the order of notebooks 01-05.

Shapes follow PyTorch: an image is (H, W), channels come first (C, H, W). Every function checks its arguments in one
line at the top (cnnlib._check) and raises a TypeError or ValueError a student can act on before any loop runs.
"""
from __future__ import annotations

from typing import Callable, Tuple, Union

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from cnnlib import _check

__all__ = [
    "convolve1d", "convolve2d", "conv_matrix",
    "corr2d", "Conv2D", "corr2d_fast",
    "conv_output_shape", "corr2d_strided", "comp_conv2d",
    "corr2d_multi_in", "corr2d_multi_in_out", "corr2d_multi_in_out_1x1",
    "pool2d",
]

IntOrPair = Union[int, Tuple[int, int]]


# ---------------------------------------------------------------- argument checks shared by this module

def _kernel_fits(input_size: object, kernel_size: object, padding: object, stride: object,
                 what: str = "kernel", name: str = "kernel_size", dilation: object = 1) -> tuple[tuple[int, int], ...]:
    """((H, W), (kh, kw), (ph, pw), (sh, sw), (dh, dw)) as ints, or a sentence saying which one is impossible."""
    H, W = _check.pair(input_size, "input_size", 1, hint="; for a tensor X pass X.shape[-2:]")
    kh, kw = _check.pair(kernel_size, name, 1)
    ph, pw = _check.pair(padding, "padding", 0, hint="; padding adds rows and columns of zeros, so use 0 for none")
    sh, sw = _check.pair(stride, "stride", 1, hint="; a stride of 0 would never move the window to its next position")
    dh, dw = _check.pair(dilation, "dilation", 1, hint="; dilation 1 is an ordinary kernel, 2 skips every other pixel")
    eh, ew = dh * (kh - 1) + 1, dw * (kw - 1) + 1  # the window's extent once dilated
    too_big = [f"{dim} {e} > {n} + 2*{p}" for dim, e, n, p in (("height", eh, H, ph), ("width", ew, W, pw))
               if e > n + 2 * p]
    if too_big:
        spread = f" (dilated to {eh}x{ew})" if (dh, dw) != (1, 1) else ""
        raise ValueError(f"{what} {kh}x{kw}{spread} is larger than the padded input {H + 2 * ph}x{W + 2 * pw} "
                         f"({', '.join(too_big)}); add padding or use a smaller {what}")
    return (H, W), (kh, kw), (ph, pw), (sh, sw), (dh, dw)


def _conv_args(X: object, K: object, x_layout: str = "(H, W)", batched: bool = False,
               padding: object = 0, stride: object = 1, dilation: object = 1) -> tuple[tuple[int, int], ...]:
    """Checks for an image X (H, W) (or (..., H, W) when batched) and a kernel K (kh, kw); returns _kernel_fits."""
    _check.tensor(X, "X", 2, x_layout, at_least=batched)
    _check.tensor(K, "K", 2, "(kh, kw)")
    _check.same_kind(X, K)
    sizes = _kernel_fits(X.shape[-2:], K.shape, padding, stride, dilation=dilation)
    (H, W), _, (ph, pw), _, _ = sizes
    padded = X.numel() // (H * W) * (H + 2 * ph) * (W + 2 * pw)
    _check.nbytes(padded, f"padding {ph}x{pw} around a {H}x{W} input", "use padding of at most a few pixels",
                  X.element_size())
    return sizes


def _vectors(x: object, w: object) -> None:
    """x (n,) and w (m,): two 1-D float tensors of one dtype and device."""
    _check.tensor(x, "x", 1, "(n,)")
    _check.tensor(w, "w", 1, "(m,)")
    _check.same_kind(x, w, "x", "w")


def _multi_args(X: object, K: object, k_layout: str, one_by_one: bool = False) -> None:
    """X (C, H, W) and K with one kernel slice per input channel of X (K[c] or K[:, c])."""
    _check.tensor(X, "X", 3, "(C, H, W)")
    _check.tensor(K, "K", len(k_layout.split(",")), k_layout)
    _check.same_kind(X, K)
    k_dim = K.ndim - 3
    if one_by_one and tuple(K.shape[2:]) != (1, 1):
        raise ValueError(f"K must hold 1x1 kernels, got {K.shape[2]}x{K.shape[3]} (shape {tuple(K.shape)}); "
                         f"use corr2d_multi_in_out for larger kernels")
    if K.shape[k_dim] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} input channels but K has {K.shape[k_dim]} (K has shape "
                         f"{tuple(K.shape)}); K needs one kernel slice per input channel of X")


# ---------------------------------------------------------------- 01 convolution as a linear layer

def convolve1d(x: Tensor, w: Tensor) -> Tensor:
    """Full 1-D convolution y[i] = sum_k w[k] x[i-k] of x (n,) with w (m,) -> y (n + m - 1,) (= numpy 'full')."""
    _vectors(x, w)
    n, m = x.shape[0], w.shape[0]
    y = torch.zeros(n + m - 1, dtype=x.dtype, device=x.device)  # (n + m - 1,)
    for i in range(n + m - 1):
        for k in range(m):
            if 0 <= i - k < n:  # x is zero outside 0..n-1
                y[i] += w[k] * x[i - k]
    return y


def convolve2d(X: Tensor, K: Tensor) -> Tensor:
    """True 2-D convolution of X (H, W) with K (kh, kw): cross-correlation with K flipped in both axes."""
    _conv_args(X, K)
    return corr2d(X, torch.flip(K, dims=(0, 1)))  # flip rows and columns, then correlate


def conv_matrix(K: Tensor, input_shape: IntOrPair, padding: IntOrPair = 0, stride: IntOrPair = 1) -> Tensor:
    """Dense W (out_h*out_w, H*W): W @ X.flatten() is X cross-correlated with K (padding, stride), flattened."""
    _check.tensor(K, "K", 2, "(kh, kw)")
    (H, W_in), (h, w), (ph, pw), (sh, sw), _ = _kernel_fits(input_shape, K.shape, padding, stride)
    out_h, out_w = (H + 2 * ph - h) // sh + 1, (W_in + 2 * pw - w) // sw + 1
    _check.nbytes(out_h * out_w * (H + 2 * ph) * (W_in + 2 * pw), f"the matrix W of a {H}x{W_in} input",
                  "W grows with the fourth power of the image side: try an input of at most 64x64", K.element_size())
    W = torch.zeros((out_h * out_w, H + 2 * ph, W_in + 2 * pw), dtype=K.dtype, device=K.device)
    for i in range(out_h):
        for j in range(out_w):
            W[i * out_w + j, i*sh:i*sh + h, j*sw:j*sw + w] = K  # row (i, j) holds K where its window sits
    W = W[:, ph:ph + H, pw:pw + W_in]  # (out_h*out_w, H, W): drop the columns that would meet padding zeros
    return W.reshape(out_h * out_w, H * W_in)  # (out_h*out_w, H*W)


# ---------------------------------------------------------------- 02 corr2d

def corr2d(X: Tensor, K: Tensor) -> Tensor:
    """2-D cross-correlation of X (H, W) with kernel K (kh, kw) -> Y (H - kh + 1, W - kw + 1): the lecture's loops."""
    _conv_args(X, K)
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=X.dtype, device=X.device)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


class Conv2D(nn.Module):
    """The lecture's learnable convolution: corr2d(x, weight) + bias, with weight (kh, kw) and bias (1,)."""

    def __init__(self, kernel_size: IntOrPair) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.rand(_check.pair(kernel_size, "kernel_size", 1, 1000)))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x: Tensor) -> Tensor:
        """x (H, W) -> (out_h, out_w)."""
        return corr2d(x, self.weight) + self.bias


def corr2d_fast(X: Tensor, K: Tensor, padding: IntOrPair = 0, stride: IntOrPair = 1) -> Tensor:
    """corr2d with every window at once (unfold): X (..., H, W), K (kh, kw) -> Y (..., out_h, out_w).

    Leading dimensions share one K; padding and stride (notebook 03) work as in nn.Conv2d.
    """
    _, (h, w), (ph, pw), (sh, sw), _ = _conv_args(X, K, "(..., H, W)", True, padding, stride)
    X = F.pad(X, (pw, pw, ph, ph))  # (..., H + 2ph, W + 2pw)
    windows = X.unfold(-2, h, sh)  # (..., out_h, W + 2pw, kh): every row window
    windows = windows.unfold(-2, w, sw)  # (..., out_h, out_w, kh, kw): every window at once
    return torch.einsum("...ijab,ab->...ij", windows, K)  # (..., out_h, out_w)


# ---------------------------------------------------------------- 03 padding and stride

def conv_output_shape(input_size: IntOrPair, kernel_size: IntOrPair, padding: IntOrPair = 0,
                      stride: IntOrPair = 1, dilation: IntOrPair = 1) -> Tuple[int, int]:
    """Output (h, w) of a convolution: floor((n + 2p - d(k - 1) - 1) / s) + 1 in each direction (ints or (h, w)
    pairs); with dilation d = 1 that is floor((n + 2p - k) / s) + 1."""
    (H, W), (kh, kw), (ph, pw), (sh, sw), (dh, dw) = _kernel_fits(input_size, kernel_size, padding, stride,
                                                                  dilation=dilation)
    return (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (W + 2 * pw - dw * (kw - 1) - 1) // sw + 1


def corr2d_strided(X: Tensor, K: Tensor, padding: IntOrPair = 0, stride: IntOrPair = 1,
                   dilation: IntOrPair = 1) -> Tensor:
    """corr2d with zero padding, a stride and a dilation: X (H, W), K (kh, kw) -> Y (out_h, out_w), as nn.Conv2d."""
    _, (h, w), (ph, pw), (sh, sw), (dh, dw) = _conv_args(X, K, padding=padding, stride=stride, dilation=dilation)
    X = F.pad(X, (pw, pw, ph, ph))  # (H + 2ph, W + 2pw): a border of zeros
    eh, ew = dh * (h - 1) + 1, dw * (w - 1) + 1  # the window's extent: d - 1 pixels skipped between weights
    Y = torch.zeros(((X.shape[0] - eh) // sh + 1, (X.shape[1] - ew) // sw + 1), dtype=X.dtype, device=X.device)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i*sh:i*sh + eh:dh, j*sw:j*sw + ew:dw] * K).sum()  # every d-th pixel, s pixels on
    return Y


def comp_conv2d(conv2d: Callable[[Tensor], Tensor], X: Tensor) -> Tensor:
    """Apply a one-channel conv layer to a single image X (H, W) and return the output (out_h, out_w)."""
    _comp_args(conv2d, X)
    X = X.reshape((1, 1) + X.shape)  # (1, 1, H, W): batch size and channels are both 1
    Y = conv2d(X)  # (1, 1, out_h, out_w)
    return Y.reshape(Y.shape[2:])  # (out_h, out_w): strip examples and channels


def _comp_args(conv2d: object, X: object) -> None:
    """A layer with one input and one output channel, and one image X (H, W)."""
    _check.function(conv2d, "conv2d", "nn.LazyConv2d(1, kernel_size=3)")
    _check.tensor(X, "X", 2, "(H, W)")
    if isinstance(conv2d, nn.Conv2d) and (conv2d.out_channels != 1 or conv2d.in_channels not in (0, 1)):
        raise ValueError(f"comp_conv2d needs a layer with one input and one output channel, got "
                         f"{conv2d}; use e.g. nn.Conv2d(1, 1, kernel_size=3)")


# ---------------------------------------------------------------- 04 channels

def corr2d_multi_in(X: Tensor, K: Tensor) -> Tensor:
    """Multi-input-channel corr2d: X (C, H, W), K (C, kh, kw) -> (out_h, out_w), summed over the channels."""
    _multi_args(X, K, "(C, kh, kw)")
    return sum(corr2d(x, k) for x, k in zip(X, K))  # one corr2d per channel, then add them up


def corr2d_multi_in_out(X: Tensor, K: Tensor) -> Tensor:
    """Multi-output-channel corr2d: X (C, H, W), K (Co, C, kh, kw) -> (Co, out_h, out_w)."""
    _multi_args(X, K, "(Co, C, kh, kw)")
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)  # one corr2d_multi_in per output channel


def corr2d_multi_in_out_1x1(X: Tensor, K: Tensor) -> Tensor:
    """A 1x1 convolution as a matrix product: X (C, H, W), K (Co, C, 1, 1) -> (Co, H, W)."""
    _multi_args(X, K, "(Co, C, 1, 1)", one_by_one=True)
    c_i, h, w = X.shape
    c_o = K.shape[0]
    X = X.reshape((c_i, h * w))  # (C, H*W): one column per pixel
    K = K.reshape((c_o, c_i))  # (Co, C)
    Y = torch.matmul(K, X)  # (Co, H*W): a fully connected layer applied at every pixel
    return Y.reshape((c_o, h, w))  # (Co, H, W)


# ---------------------------------------------------------------- 05 pooling

def pool2d(X: Tensor, pool_size: IntOrPair, mode: str = "max", padding: IntOrPair = 0,
           stride: IntOrPair = 1) -> Tensor:
    """Max or average pooling of the last two dims of X (..., H, W) -> (..., out_h, out_w); stride 1 as in the notes."""
    (p_h, p_w), (pad_h, pad_w), (sh, sw) = _pool_args(X, pool_size, mode, padding, stride)
    fill = float("-inf") if mode == "max" else 0.0  # max never picks the padding; avg counts it as zeros
    X = F.pad(X, (pad_w, pad_w, pad_h, pad_h), value=fill)  # (..., H + 2pad_h, W + 2pad_w)
    out_h, out_w = (X.shape[-2] - p_h) // sh + 1, (X.shape[-1] - p_w) // sw + 1
    Y = torch.zeros(X.shape[:-2] + (out_h, out_w), dtype=X.dtype, device=X.device)  # (..., out_h, out_w)
    for i in range(out_h):
        for j in range(out_w):
            window = X[..., i*sh:i*sh + p_h, j*sw:j*sw + p_w]  # (..., p_h, p_w)
            if mode == "max":
                Y[..., i, j] = window.amax(dim=(-2, -1))
            elif mode == "avg":
                Y[..., i, j] = window.mean(dim=(-2, -1))
    return Y


def _pool_args(X: object, pool_size: object, mode: object, padding: object,
               stride: object) -> tuple[tuple[int, int], ...]:
    """Checks of pool2d's arguments; returns (pool (h, w), padding (h, w), stride (h, w))."""
    _check.tensor(X, "X", 2, "(..., H, W)", at_least=True)
    _check.choice(mode, "mode", ("max", "avg"))
    _, (p_h, p_w), (pad_h, pad_w), (sh, sw), _ = _kernel_fits(X.shape[-2:], pool_size, padding, stride,
                                                              "pooling window", "pool_size")
    if 2 * pad_h > p_h or 2 * pad_w > p_w:
        raise ValueError(f"padding {pad_h}x{pad_w} is more than half the pooling window {p_h}x{p_w}; "
                         f"like PyTorch, use padding <= pool_size // 2, here at most {p_h // 2}x{p_w // 2}")
    return (p_h, p_w), (pad_h, pad_w), (sh, sw)
