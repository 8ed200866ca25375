"""Backpropagation through convolution and pooling, and batch normalisation, from scratch (notebook 10 and 07).

The backward passes are written as the lecture's loops over output pixels: each output pixel Y[i, j] was made from one
window of the input, so its gradient grad_Y[i, j] flows back into that window only. Shapes follow cnnlib.ops: an image
is (H, W), a kernel (kh, kw). Every public function checks its arguments in one line at the top (cnnlib._check) and
raises a TypeError or ValueError a student can act on before any loop runs.
"""
from __future__ import annotations

from typing import Tuple

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from cnnlib import _check
from cnnlib.ops import IntOrPair, conv_output_shape, corr2d_strided, pool2d

__all__ = [
    "corr2d_backward", "corr2d_transpose", "pool2d_backward", "Corr2dFunction", "Pool2dFunction",
    "batch_norm", "BatchNorm",
]

_PADDING_HINT = "; padding adds rows and columns of zeros, so use 0 for none"
_STRIDE_HINT = "; a stride of 0 would never move the window to its next position"


# ---------------------------------------------------------------- argument checks shared by this module

def _grad_Y_args(grad_Y: object, X: Tensor, shape: tuple, layout: str, forward: str) -> None:
    """grad_Y must be a tensor like X with exactly the shape of the forward pass's output."""
    _check.tensor(grad_Y, "grad_Y", len(shape), layout)
    _check.same_kind(X, grad_Y, "X", "grad_Y")
    if tuple(grad_Y.shape) != shape:
        raise ValueError(f"grad_Y must have shape {shape}, the shape of the forward output {forward}, got "
                         f"{tuple(grad_Y.shape)}; pass the gradient of the loss with respect to that output, "
                         f"computed with the same padding and stride")


def _corr2d_backward_args(X: object, K: object, grad_Y: object, padding: object,
                          stride: object) -> tuple[tuple[int, int], tuple[int, int]]:
    """X (H, W), K (kh, kw) that fits the padded X, grad_Y (out_h, out_w); returns (padding, stride) as pairs."""
    _check.tensor(X, "X", 2, "(H, W)")
    _check.tensor(K, "K", 2, "(kh, kw)")
    _check.same_kind(X, K)
    out = conv_output_shape(X.shape, K.shape, padding, stride)  # checks padding, stride and that K fits
    (ph, pw), (sh, sw) = _check.pair(padding, "padding"), _check.pair(stride, "stride")
    _check.nbytes((X.shape[0] + 2 * ph) * (X.shape[1] + 2 * pw), f"padding {ph}x{pw} around a "
                  f"{X.shape[0]}x{X.shape[1]} input", "use padding of at most a few pixels", X.element_size())
    _grad_Y_args(grad_Y, X, out, "(out_h, out_w)", "Y = corr2d_strided(X, K, padding, stride)")
    return (ph, pw), (sh, sw)


def _transpose_args(Y: object, K: object, padding: object, stride: object,
                    output_padding: object) -> tuple[tuple[int, int], ...]:
    """Y (n_h, n_w), K (kh, kw), output_padding < stride, a non-empty output; returns the three pairs."""
    _check.tensor(Y, "Y", 2, "(n_h, n_w)")
    _check.tensor(K, "K", 2, "(kh, kw)")
    _check.same_kind(Y, K, "Y", "K")
    ph, pw = _check.pair(padding, "padding", 0, hint=_PADDING_HINT)
    sh, sw = _check.pair(stride, "stride", 1, hint=_STRIDE_HINT)
    oh, ow = _check.pair(output_padding, "output_padding", 0, hint="; use 0 unless you need one more row or column")
    for dim, o, s in (("height", oh, sh), ("width", ow, sw)):
        if o >= s:
            raise ValueError(f"output_padding {o} must be smaller than the stride {s} ({dim}), as in PyTorch: it "
                             f"only picks one of the {s} input sizes that a stride-{s} convolution maps to the same "
                             f"output size; use output_padding between 0 and {s - 1}")
    full = [(n - 1) * s + k + o for n, s, k, o in zip(Y.shape, (sh, sw), K.shape, (oh, ow))]
    _check.nbytes(full[0] * full[1], f"the {full[0]}x{full[1]} output of a stride-{sh}x{sw} transposed convolution",
                  "use a stride of at most a few pixels", Y.element_size())
    if full[0] - 2 * ph < 1 or full[1] - 2 * pw < 1:
        raise ValueError(f"padding {ph}x{pw} crops away the whole {full[0]}x{full[1]} output of the transposed "
                         f"convolution; use padding of at most {(full[0] - 1) // 2}x{(full[1] - 1) // 2}")
    return (ph, pw), (sh, sw), (oh, ow)


def _pool_backward_args(X: object, grad_Y: object, pool_size: object, mode: object, padding: object,
                        stride: object) -> tuple[tuple[int, int], ...]:
    """The checks of ops.pool2d, then grad_Y (..., out_h, out_w); returns pool size, padding and stride as pairs."""
    _check.tensor(X, "X", 2, "(..., H, W)", at_least=True)
    _check.choice(mode, "mode", ("max", "avg"))
    (H, W), (p_h, p_w) = X.shape[-2:], _check.pair(pool_size, "pool_size", 1)
    pad_h, pad_w = _check.pair(padding, "padding", 0, hint=_PADDING_HINT)
    sh, sw = _check.pair(stride, "stride", 1, hint=_STRIDE_HINT)
    if p_h > H + 2 * pad_h or p_w > W + 2 * pad_w:
        raise ValueError(f"pooling window {p_h}x{p_w} is larger than the padded input {H + 2 * pad_h}x"
                         f"{W + 2 * pad_w}; add padding or use a smaller pooling window")
    if 2 * pad_h > p_h or 2 * pad_w > p_w:
        raise ValueError(f"padding {pad_h}x{pad_w} is more than half the pooling window {p_h}x{p_w}; "
                         f"like PyTorch, use padding <= pool_size // 2, here at most {p_h // 2}x{p_w // 2}")
    out = tuple(X.shape[:-2]) + ((H + 2 * pad_h - p_h) // sh + 1, (W + 2 * pad_w - p_w) // sw + 1)
    _grad_Y_args(grad_Y, X, out, "(..., out_h, out_w)", "Y = pool2d(X, pool_size, mode, padding, stride)")
    return (p_h, p_w), (pad_h, pad_w), (sh, sw)


def _batch_norm_args(X: object, gamma: object, beta: object, moving_mean: object, moving_var: object, eps: object,
                     momentum: object, training: object) -> tuple[float, float]:
    """X (N, D) or (N, C, H, W), four statistics of d2l's shape (1, D) or (1, C, 1, 1); returns eps, momentum."""
    _check.tensor(X, "X", None)
    if X.ndim not in (2, 4):
        raise ValueError(f"X must have shape (N, D) after a fully connected layer or (N, C, H, W) after a "
                         f"convolution, got shape {tuple(X.shape)} ({X.ndim}-D)")
    shape = (1, X.shape[1]) + (1, 1) * (X.ndim == 4)
    for name, t in (("gamma", gamma), ("beta", beta), ("moving_mean", moving_mean), ("moving_var", moving_var)):
        _check.tensor(t, name, X.ndim)
        _check.same_kind(X, t, "X", name)
        if tuple(t.shape) != shape:
            raise ValueError(f"{name} must have shape {shape} for X of shape {tuple(X.shape)} (one value per "
                             f"{'feature' if X.ndim == 2 else 'channel'}), got {tuple(t.shape)}; use "
                             f"{name}.reshape{shape}, or a BatchNorm layer with num_features={X.shape[1]}")
    if _check.flag(training, "training") and X.numel() == X.shape[1]:
        raise ValueError(f"batch normalisation in training mode needs more than one value per "
                         f"{'feature' if X.ndim == 2 else 'channel'}, got X of shape {tuple(X.shape)}: one value "
                         f"has no variance; use a batch of at least 2 examples, or eval mode (training=False, "
                         f"model.eval()) to normalise with the moving statistics")
    return (_check.number(eps, "eps", positive=True, example="1e-5"),
            _check.number(momentum, "momentum", minimum=0, maximum=1, example="0.1"))


def _layer_args(X: object, num_dims: int) -> None:
    """X of a BatchNorm layer: num_dims dimensions."""
    _check.tensor(X, "X", None)
    if X.ndim != num_dims:
        other = "use num_dims=4 after a convolution" if X.ndim == 4 else "use num_dims=2 after a fully connected layer"
        raise ValueError(f"this BatchNorm layer has num_dims={num_dims}, so X must have shape "
                         f"{'(N, D)' if num_dims == 2 else '(N, C, H, W)'}, got {tuple(X.shape)}"
                         + (f"; {other}" if X.ndim in (2, 4) else ""))


# ---------------------------------------------------------------- 10 backpropagation through a convolution

def corr2d_backward(X: Tensor, K: Tensor, grad_Y: Tensor, padding: IntOrPair = 0,
                    stride: IntOrPair = 1) -> Tuple[Tensor, Tensor]:
    """Backward pass of corr2d_strided: X (H, W), K (kh, kw), grad_Y (out_h, out_w) -> grad_X (H, W), grad_K (kh, kw).

    Y[i, j] = (window * K).sum(), so grad_Y[i, j] * K flows back into the window and grad_Y[i, j] * window into K.
    """
    (ph, pw), (sh, sw) = _corr2d_backward_args(X, K, grad_Y, padding, stride)
    (H, W), (h, w) = X.shape, K.shape
    X = F.pad(X, (pw, pw, ph, ph))  # (H + 2ph, W + 2pw): the input the forward pass saw
    grad_X, grad_K = torch.zeros_like(X), torch.zeros_like(K)  # (H + 2ph, W + 2pw), (kh, kw)
    for i in range(grad_Y.shape[0]):
        for j in range(grad_Y.shape[1]):
            grad_X[i*sh:i*sh + h, j*sw:j*sw + w] += grad_Y[i, j] * K  # overlapping windows add up
            grad_K += grad_Y[i, j] * X[i*sh:i*sh + h, j*sw:j*sw + w]  # K met every window
    return grad_X[ph:ph + H, pw:pw + W], grad_K  # (H, W): the padding's gradient is thrown away


def corr2d_transpose(Y: Tensor, K: Tensor, padding: IntOrPair = 0, stride: IntOrPair = 1,
                     output_padding: IntOrPair = 0) -> Tensor:
    """Transposed convolution of Y (n_h, n_w) with K (kh, kw) -> Z ((n_h - 1)*s - 2p + kh + output_padding, ...).

    Each input pixel Y[i, j] paints Y[i, j] * K onto the output at (i*s, j*s); `padding` rows and columns are then
    cropped from each side, and output_padding adds rows/columns at the bottom/right (F.conv_transpose2d, one channel).
    """
    (ph, pw), (sh, sw), (oh, ow) = _transpose_args(Y, K, padding, stride, output_padding)
    h, w = K.shape
    Z = torch.zeros(((Y.shape[0] - 1) * sh + h + oh, (Y.shape[1] - 1) * sw + w + ow),
                    dtype=Y.dtype, device=Y.device)  # the whole output before cropping
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Z[i*sh:i*sh + h, j*sw:j*sw + w] += Y[i, j] * K  # overlapping copies of K add up
    return Z[ph:Z.shape[0] - ph, pw:Z.shape[1] - pw]  # (out_h, out_w): the padding is cropped off


# ---------------------------------------------------------------- 10 backpropagation through pooling

def pool2d_backward(X: Tensor, grad_Y: Tensor, pool_size: IntOrPair, mode: str = "max", padding: IntOrPair = 0,
                    stride: IntOrPair = 1) -> Tensor:
    """Backward pass of pool2d: X (..., H, W), grad_Y (..., out_h, out_w) -> grad_X (..., H, W).

    max: grad_Y[..., i, j] goes to the largest pixel of its window only; on ties to the first maximum in row-major
    order (torch.argmax), which is what F.max_pool2d's backward does too. avg: it is shared equally by the p_h * p_w
    pixels of the window, padding counted as zeros (F.avg_pool2d with count_include_pad=True).
    """
    (p_h, p_w), (pad_h, pad_w), (sh, sw) = _pool_backward_args(X, grad_Y, pool_size, mode, padding, stride)
    H, W = X.shape[-2:]
    fill = float("-inf") if mode == "max" else 0.0  # as in pool2d: max never picks the padding
    X = F.pad(X, (pad_w, pad_w, pad_h, pad_h), value=fill)  # (..., H + 2pad_h, W + 2pad_w)
    grad_X = torch.zeros_like(X)  # (..., H + 2pad_h, W + 2pad_w)
    for i in range(grad_Y.shape[-2]):
        for j in range(grad_Y.shape[-1]):
            window = X[..., i*sh:i*sh + p_h, j*sw:j*sw + p_w]  # (..., p_h, p_w)
            g = grad_Y[..., i, j, None, None]  # (..., 1, 1)
            if mode == "max":  # only the arg-max changed Y[..., i, j]
                first_max = window.flatten(-2).argmax(dim=-1)  # (...,): index of the first maximum
                g = g * F.one_hot(first_max, p_h * p_w).reshape(window.shape)  # (..., p_h, p_w)
            elif mode == "avg":  # every pixel counted 1 / (p_h * p_w)
                g = g / (p_h * p_w)
            grad_X[..., i*sh:i*sh + p_h, j*sw:j*sw + p_w] += g  # overlapping windows add up
    return grad_X[..., pad_h:pad_h + H, pad_w:pad_w + W]  # (..., H, W)


# ---------------------------------------------------------------- autograd: our backward passes, checked by gradcheck

class Corr2dFunction(torch.autograd.Function):
    """corr2d_strided with corr2d_backward as its gradient: Corr2dFunction.apply(X, K, padding, stride)."""

    @staticmethod
    def forward(ctx, X: Tensor, K: Tensor, padding: IntOrPair = 0, stride: IntOrPair = 1) -> Tensor:
        ctx.save_for_backward(X, K)
        ctx.padding, ctx.stride = padding, stride
        return corr2d_strided(X, K, padding, stride)  # (out_h, out_w)

    @staticmethod
    def backward(ctx, grad_Y: Tensor):
        X, K = ctx.saved_tensors
        grad_X, grad_K = corr2d_backward(X, K, grad_Y, ctx.padding, ctx.stride)
        return grad_X, grad_K, None, None  # padding and stride have no gradient


class Pool2dFunction(torch.autograd.Function):
    """pool2d with pool2d_backward as its gradient: Pool2dFunction.apply(X, pool_size, mode, padding, stride)."""

    @staticmethod
    def forward(ctx, X: Tensor, pool_size: IntOrPair, mode: str = "max", padding: IntOrPair = 0,
                stride: IntOrPair = 1) -> Tensor:
        ctx.save_for_backward(X)
        ctx.args = pool_size, mode, padding, stride
        return pool2d(X, pool_size, mode, padding, stride)  # (..., out_h, out_w)

    @staticmethod
    def backward(ctx, grad_Y: Tensor):
        X, = ctx.saved_tensors
        return (pool2d_backward(X, grad_Y, *ctx.args),) + (None,) * 4


# ---------------------------------------------------------------- 07 batch normalisation

def batch_norm(X: Tensor, gamma: Tensor, beta: Tensor, moving_mean: Tensor, moving_var: Tensor, eps: float = 1e-5,
               momentum: float = 0.1, training: bool = True) -> Tuple[Tensor, Tensor, Tensor]:
    """d2l's batch_norm: X (N, D) or (N, C, H, W) -> (Y like X, new moving_mean, new moving_var).

    gamma, beta and the moving statistics have shape (1, D) or (1, C, 1, 1). Training normalises with the batch's
    mean and variance and updates the moving statistics as nn.BatchNorm2d does; eval uses the moving statistics.
    """
    eps, momentum = _batch_norm_args(X, gamma, beta, moving_mean, moving_var, eps, momentum, training)
    if not training:  # prediction: the statistics collected during training
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        dims = (0,) if X.ndim == 2 else (0, 2, 3)  # per feature, or per channel over all pixels of the batch
        mean = X.mean(dim=dims, keepdim=True)  # (1, D) or (1, C, 1, 1)
        var = ((X - mean) ** 2).mean(dim=dims, keepdim=True)  # biased: divided by m, the values per channel
        X_hat = (X - mean) / torch.sqrt(var + eps)
        m = X.numel() // X.shape[1]  # N, or N*H*W
        moving_mean = ((1.0 - momentum) * moving_mean + momentum * mean).detach()
        # Here PyTorch differs from d2l's code: it keeps the unbiased variance var * m / (m - 1) in moving_var
        moving_var = ((1.0 - momentum) * moving_var + momentum * var * m / (m - 1)).detach()
    Y = gamma * X_hat + beta  # scale and shift
    return Y, moving_mean, moving_var


class BatchNorm(nn.Module):
    """d2l's BatchNorm layer: num_features, and num_dims 2 for X (N, D) or 4 for X (N, C, H, W)."""

    def __init__(self, num_features: int, num_dims: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        num_features = _check.whole(num_features, "num_features", 1)
        if _check.whole(num_dims, "num_dims") not in (2, 4):
            raise ValueError(f"num_dims must be 2 (after a fully connected layer, X of shape (N, D)) or 4 (after "
                             f"a convolution, X of shape (N, C, H, W)), got {num_dims}")
        shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
        self.num_dims = int(num_dims)
        self.eps = _check.number(eps, "eps", positive=True, example="1e-5")
        self.momentum = _check.number(momentum, "momentum", minimum=0, maximum=1, example="0.1")
        self.gamma = nn.Parameter(torch.ones(shape))  # scale, learned
        self.beta = nn.Parameter(torch.zeros(shape))  # shift, learned
        self.register_buffer("moving_mean", torch.zeros(shape))  # buffers: saved and moved with .to(), not learned
        self.register_buffer("moving_var", torch.ones(shape))

    def forward(self, X: Tensor) -> Tensor:
        """X (N, D) or (N, C, H, W) -> Y of the same shape."""
        _layer_args(X, self.num_dims)
        Y, self.moving_mean, self.moving_var = batch_norm(X, self.gamma, self.beta, self.moving_mean,
                                                          self.moving_var, self.eps, self.momentum, self.training)
        return Y
