"""Claims about cnnlib.backprop: the from-scratch backward passes of convolution and pooling, the transposed
convolution and batch normalisation agree with PyTorch (autograd, F.conv_transpose2d, nn.BatchNorm) on 100+ seeded
random cases each in float64, pass torch.autograd.gradcheck, and refuse bad input with a sentence."""
from __future__ import annotations

import inspect
import random
from typing import Iterator, NamedTuple, Tuple

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

import cnnlib.backprop
from cnnlib.backprop import (
    BatchNorm, Corr2dFunction, Pool2dFunction, batch_norm, corr2d_backward, corr2d_transpose, pool2d_backward,
)
from cnnlib.ops import conv_matrix, corr2d_strided

N_CASES = 110  # random cases per claim; the claim is "at least 100"
N_GRADCHECK = 20  # gradcheck evaluates the function twice per input number: fewer, smaller cases
TOL = dict(rtol=1e-12, atol=1e-12)  # float64: only summation order may differ from PyTorch


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def close(ours: torch.Tensor, ref: torch.Tensor, case: object = "", **tol) -> None:
    """assert_close in float64 with a tight tolerance, naming the failing case."""
    assert ours.dtype == ref.dtype and ours.shape == ref.shape, f"{case}: {ours.shape} vs {ref.shape}"
    torch.testing.assert_close(ours, ref, **(tol or TOL), msg=lambda m: f"{case}\n{m}")


def pair(v: object) -> Tuple[int, int]:
    """int or pair -> pair."""
    return tuple(v) if isinstance(v, tuple) else (v, v)


def maybe_pair(rng: random.Random, a: int, b: int) -> object:
    """An int, or now and then an (h, w) pair as a student would pass it."""
    return (a, b) if a != b or rng.random() < 0.3 else a


def randn(g: torch.Generator, *shape: int) -> torch.Tensor:
    """Standard normal float64 tensor from a seeded generator."""
    return torch.randn(*shape, generator=g, dtype=torch.float64)


# ----------------------------------------------------------------------------------------------
# Backpropagation through a convolution

class Case(NamedTuple):
    """One random convolution (or pooling) setting that fits."""
    H: int
    W: int
    kernel: Tuple[int, int]
    padding: object
    stride: object


def conv_cases(seed: int, n: int = N_CASES, max_hw: int = 9, max_p: int = 2, max_s: int = 3) -> list:
    """n settings: H, W in 1..9, padding 0..2, stride 1..3, kernel sides 1..side + 2p (so the kernel fits)."""
    rng = random.Random(seed)
    cases = []
    for _ in range(n):
        H, W = rng.randint(1, max_hw), rng.randint(1, max_hw)
        ph, pw = rng.randint(0, max_p), rng.randint(0, max_p)
        kernel = (rng.randint(1, H + 2 * ph), rng.randint(1, W + 2 * pw))
        cases.append(Case(H, W, kernel, maybe_pair(rng, ph, pw), maybe_pair(rng, rng.randint(1, max_s),
                                                                            rng.randint(1, max_s))))
    return cases


def autograd_conv(X: torch.Tensor, K: torch.Tensor, case: Case, g: torch.Generator):
    """(grad_Y, grad_X, grad_K) of F.conv2d for a random upstream gradient grad_Y: PyTorch's answer."""
    X, K = X.clone().requires_grad_(), K.clone().requires_grad_()
    Y = F.conv2d(X[None, None], K[None, None], padding=pair(case.padding), stride=pair(case.stride))[0, 0]
    grad_Y = randn(g, *Y.shape)
    Y.backward(grad_Y)
    return grad_Y, X.grad, K.grad


def with_grads(seed: int, **kw) -> Iterator[tuple]:
    """Random cases, each with X, K and PyTorch's grad_Y, grad_X, grad_K."""
    g = torch.Generator().manual_seed(seed)
    for case in conv_cases(seed, **kw):
        X, K = randn(g, case.H, case.W), randn(g, *case.kernel)
        yield (case, X, K) + autograd_conv(X, K, case, g)


def test_corr2d_backward_matches_autograd_of_conv2d():
    for case, X, K, grad_Y, grad_X, grad_K in with_grads(seed=0):
        ours_X, ours_K = corr2d_backward(X, K, grad_Y, case.padding, case.stride)
        close(ours_X, grad_X, case)
        close(ours_K, grad_K, case)


def test_corr2d_backward_is_the_conv_matrix_transposed():
    """Notebook 01: Y = W @ x, so grad_x = W.T @ grad_Y, the same matrix read the other way."""
    for case, X, K, grad_Y, _, _ in with_grads(seed=1):
        W = conv_matrix(K, X.shape, case.padding, case.stride)  # (out_h*out_w, H*W)
        grad_X = (W.T @ grad_Y.flatten()).reshape(X.shape)  # (H, W)
        close(corr2d_backward(X, K, grad_Y, case.padding, case.stride)[0], grad_X, case)


def test_corr2d_backward_is_a_full_correlation_with_the_flipped_kernel():
    """With stride 1 and no padding, grad_X is grad_Y padded by k - 1 and correlated with K flipped."""
    for case, X, K, grad_Y, grad_X, _ in with_grads(seed=2, max_p=0, max_s=1):
        kh, kw = K.shape
        full = corr2d_strided(grad_Y, K.flip(0, 1), padding=(kh - 1, kw - 1))  # (H, W)
        close(full, grad_X, case)
        close(corr2d_backward(X, K, grad_Y)[0], full, case)


def test_gradcheck_corr2d_function():
    g = torch.Generator().manual_seed(3)
    for case in conv_cases(seed=3, n=N_GRADCHECK, max_hw=5):
        X, K = randn(g, case.H, case.W).requires_grad_(), randn(g, *case.kernel).requires_grad_()
        assert torch.autograd.gradcheck(Corr2dFunction.apply, (X, K, case.padding, case.stride)), case


def test_corr2d_function_trains_like_conv2d():
    """Our backward inside autograd: one loss, the same gradients as F.conv2d."""
    g = torch.Generator().manual_seed(4)
    X, K = randn(g, 6, 7).requires_grad_(), randn(g, 3, 2).requires_grad_()
    (Corr2dFunction.apply(X, K, 1, 2) ** 2).sum().backward()
    X2, K2 = X.detach().clone().requires_grad_(), K.detach().clone().requires_grad_()
    (F.conv2d(X2[None, None], K2[None, None], padding=1, stride=2) ** 2).sum().backward()
    close(X.grad, X2.grad)
    close(K.grad, K2.grad)


# ----------------------------------------------------------------------------------------------
# Transposed convolution

def test_corr2d_transpose_matches_conv_transpose2d():
    rng, g = random.Random(5), torch.Generator().manual_seed(5)
    cases = 0
    while cases < N_CASES:
        n_h, n_w, kh, kw = rng.randint(1, 6), rng.randint(1, 6), rng.randint(1, 5), rng.randint(1, 5)
        (sh, sw), (ph, pw) = (rng.randint(1, 3), rng.randint(1, 3)), (rng.randint(0, 2), rng.randint(0, 2))
        oh, ow = rng.randint(0, sh - 1), rng.randint(0, sw - 1)
        if (n_h - 1) * sh - 2 * ph + kh + oh < 1 or (n_w - 1) * sw - 2 * pw + kw + ow < 1:
            continue  # PyTorch refuses an empty output too
        padding, stride, output_padding = maybe_pair(rng, ph, pw), maybe_pair(rng, sh, sw), maybe_pair(rng, oh, ow)
        Y, K = randn(g, n_h, n_w), randn(g, kh, kw)
        ref = F.conv_transpose2d(Y[None, None], K[None, None], stride=(sh, sw), padding=(ph, pw),
                                 output_padding=(oh, ow))[0, 0]
        close(corr2d_transpose(Y, K, padding, stride, output_padding), ref, (n_h, n_w, kh, kw, padding, stride,
                                                                             output_padding))
        cases += 1


def test_transposed_convolution_is_the_backward_pass_of_convolution():
    """The output_padding r = (H + 2p - kh) % s gives back the rows and columns the stride skipped."""
    for case, X, K, grad_Y, _, _ in with_grads(seed=6):
        (H, W), (kh, kw), (ph, pw), (sh, sw) = X.shape, K.shape, pair(case.padding), pair(case.stride)
        r = ((H + 2 * ph - kh) % sh, (W + 2 * pw - kw) % sw)
        Z = corr2d_transpose(grad_Y, K, case.padding, case.stride, output_padding=r)
        close(Z, corr2d_backward(X, K, grad_Y, case.padding, case.stride)[0], case)


def test_transposed_convolution_output_size():
    Y, K = torch.ones(3, 4), torch.ones(3, 3)
    assert corr2d_transpose(Y, K).shape == (5, 6)  # n + k - 1
    assert corr2d_transpose(Y, K, padding=1, stride=2, output_padding=1).shape == (2 * 2 - 2 + 3 + 1, 3 * 2 + 2)


# ----------------------------------------------------------------------------------------------
# Backpropagation through pooling

LEADING = [(), (3,), (2, 3)]  # an image, channels, a batch of channels


def pool_cases(seed: int, n: int = N_CASES, max_hw: int = 7, max_pool: int = 4) -> list:
    """n pooling settings with padding <= pool // 2 (PyTorch's rule), each with leading dims for X."""
    rng = random.Random(seed)
    cases = []
    while len(cases) < n:
        H, W = rng.randint(1, max_hw), rng.randint(1, max_hw)
        pool = (rng.randint(1, max_pool), rng.randint(1, max_pool))
        ph, pw = rng.randint(0, pool[0] // 2), rng.randint(0, pool[1] // 2)
        if pool[0] <= H + 2 * ph and pool[1] <= W + 2 * pw:
            cases.append((rng.choice(LEADING), Case(H, W, maybe_pair(rng, *pool), maybe_pair(rng, ph, pw),
                                                    maybe_pair(rng, rng.randint(1, 3), rng.randint(1, 3)))))
    return cases


def autograd_pool(X: torch.Tensor, case: Case, mode: str, g: torch.Generator):
    """(grad_Y, grad_X) of F.max_pool2d / F.avg_pool2d(count_include_pad=True) for a random grad_Y."""
    X = X.clone().requires_grad_()
    X4 = X.reshape((-1, 1) + X.shape[-2:])  # (B, 1, H, W): any leading dims as a batch
    kw = dict(kernel_size=pair(case.kernel), stride=pair(case.stride), padding=pair(case.padding))
    Y = F.max_pool2d(X4, **kw) if mode == "max" else F.avg_pool2d(X4, count_include_pad=True, **kw)
    Y = Y.reshape(X.shape[:-2] + Y.shape[-2:])  # (..., out_h, out_w)
    grad_Y = randn(g, *Y.shape)
    Y.backward(grad_Y)
    return grad_Y, X.grad


def check_pool_backward(seed: int, mode: str, make_X) -> None:
    """pool2d_backward against autograd on random cases, X from make_X(generator, shape)."""
    g = torch.Generator().manual_seed(seed)
    for leading, case in pool_cases(seed):
        X = make_X(g, leading + (case.H, case.W))
        grad_Y, grad_X = autograd_pool(X, case, mode, g)
        close(pool2d_backward(X, grad_Y, case.kernel, mode, case.padding, case.stride), grad_X, (leading, case))


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_pool2d_backward_matches_autograd(mode):
    check_pool_backward(7, mode, lambda g, shape: randn(g, *shape))


def test_max_pool_backward_breaks_ties_like_pytorch():
    """Many equal values (0, 1, 2): the gradient goes to the first maximum of each window, row by row, as in PyTorch."""
    check_pool_backward(8, "max", lambda g, shape: torch.randint(0, 3, shape, generator=g).double())


def test_max_pool_tie_goes_to_the_first_maximum_in_row_major_order():
    X = torch.ones(3, 3, dtype=torch.float64)  # every pixel is a maximum
    grad_X = pool2d_backward(X, torch.ones(2, 2, dtype=torch.float64), 2)  # 2x2 windows, stride 1
    assert torch.equal(grad_X, torch.tensor([[1., 1., 0.], [1., 1., 0.], [0., 0., 0.]], dtype=torch.float64))
    X = torch.tensor([[0., 5.], [5., 5.]], requires_grad=True)  # three tied maxima: the top right one wins
    F.max_pool2d(X[None, None], 2).sum().backward()
    assert torch.equal(X.grad, torch.tensor([[0., 1.], [0., 0.]]))
    assert torch.equal(pool2d_backward(X.detach(), torch.ones(1, 1), 2), X.grad)


def distinct(g: torch.Generator, shape: tuple) -> torch.Tensor:
    """Values at least ~0.8 apart, so gradcheck's small steps never change which pixel is a window's maximum."""
    n = int(np.prod(shape))
    return (torch.randperm(n, generator=g).double() + 0.2 * torch.rand(n, generator=g, dtype=torch.float64)
            ).reshape(shape)


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_gradcheck_pool2d_function(mode):
    g = torch.Generator().manual_seed(9)
    for leading, case in pool_cases(seed=9, n=N_GRADCHECK, max_hw=5, max_pool=3):
        X = distinct(g, leading + (case.H, case.W)).requires_grad_()
        args = (X, case.kernel, mode, case.padding, case.stride)
        assert torch.autograd.gradcheck(Pool2dFunction.apply, args), (leading, case)


# ----------------------------------------------------------------------------------------------
# Batch normalisation

@pytest.mark.parametrize("shape", [(8, 5), (4, 3, 5, 6), (2, 3, 1, 1)], ids=["fc", "conv", "conv-1x1"])
def test_batchnorm_matches_pytorch_in_training_and_eval(shape):
    torch.manual_seed(10)
    ours, ref = BatchNorm(shape[1], len(shape)).double(), (nn.BatchNorm1d if len(shape) == 2 else nn.BatchNorm2d)(
        shape[1]).double()
    with torch.no_grad():
        ref.weight.copy_(torch.randn(shape[1]))
        ref.bias.copy_(torch.randn(shape[1]))
        ours.gamma.copy_(ref.weight.reshape(ours.gamma.shape))
        ours.beta.copy_(ref.bias.reshape(ours.beta.shape))
    for step in range(4):  # training: batch statistics, moving statistics updated
        X = 3 * torch.randn(shape, dtype=torch.float64) + step
        X_ref = X.clone().requires_grad_()
        X = X.requires_grad_()
        y_ours, y_ref = ours(X), ref(X_ref)
        close(y_ours, y_ref, step, rtol=1e-10, atol=1e-10)
        g = torch.randn(shape, dtype=torch.float64)
        y_ours.backward(g)
        y_ref.backward(g)  # the gradients flow through the batch's mean and variance alike
        close(X.grad, X_ref.grad, step, rtol=1e-10, atol=1e-10)
        close(ours.gamma.grad.flatten(), ref.weight.grad, step, rtol=1e-10, atol=1e-10)
        close(ours.moving_mean.flatten(), ref.running_mean, step)
        close(ours.moving_var.flatten(), ref.running_var, step)
    ours.eval(), ref.eval()
    X = torch.randn(shape, dtype=torch.float64)
    close(ours(X), ref(X), "eval", rtol=1e-10, atol=1e-10)
    close(ours.moving_var.flatten(), ref.running_var, "eval: statistics unchanged")


def test_moving_var_keeps_the_unbiased_variance():
    X = torch.tensor([[0.0], [2.0]])  # biased variance 1, unbiased 2
    _, moving_mean, moving_var = batch_norm(X, torch.ones(1, 1), torch.zeros(1, 1), torch.zeros(1, 1),
                                            torch.zeros(1, 1), momentum=1.0)
    assert moving_mean.item() == 1.0 and moving_var.item() == 2.0


def test_batch_norm_returns_detached_moving_statistics():
    X = torch.randn(4, 3, requires_grad=True)
    _, moving_mean, moving_var = batch_norm(X, torch.ones(1, 3), torch.zeros(1, 3), torch.zeros(1, 3),
                                            torch.ones(1, 3))
    assert not moving_mean.requires_grad and not moving_var.requires_grad


def test_eval_uses_the_moving_statistics():
    X = torch.randn(5, 2)
    mean, var = torch.full((1, 2), 1.5), torch.full((1, 2), 4.0)
    Y, m, v = batch_norm(X, torch.ones(1, 2), torch.zeros(1, 2), mean, var, training=False)
    close(Y, (X - 1.5) / torch.sqrt(torch.tensor(4.0 + 1e-5)), rtol=1e-6, atol=1e-6)
    assert m is mean and v is var


@pytest.mark.parametrize("shape", [(1, 3), (1, 3, 1, 1)])
def test_batch_of_one_value_per_channel_is_refused_in_training(shape):
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):  # PyTorch refuses it too
        (nn.BatchNorm1d if len(shape) == 2 else nn.BatchNorm2d)(3)(torch.ones(shape))
    layer = BatchNorm(3, len(shape))
    with pytest.raises(ValueError, match=r"needs more than one value per .* one value has no variance; use a batch "
                                         r"of at least 2 examples, or eval mode"):
        layer(torch.ones(shape))
    assert layer.eval()(torch.ones(shape)).shape == shape  # eval mode normalises with the moving statistics


def test_batchnorm_buffers_move_and_save_with_the_model():
    layer = BatchNorm(3, 4)
    assert set(layer.state_dict()) == {"gamma", "beta", "moving_mean", "moving_var"}
    assert [name for name, _ in layer.named_parameters()] == ["gamma", "beta"]
    assert layer.double().moving_var.dtype == torch.float64


# ----------------------------------------------------------------------------------------------
# Bad input: a sentence naming the argument, what was expected and what to try

X2, K2, G2 = torch.ones(3, 3), torch.ones(2, 2), torch.ones(2, 2)
ONES = (torch.ones(1, 3), torch.zeros(1, 3), torch.zeros(1, 3), torch.ones(1, 3))  # gamma, beta, mean, var

BAD_INPUTS = [
    (lambda: corr2d_backward(X2, K2, torch.ones(3, 3)), ValueError,
     r"grad_Y must have shape \(2, 2\), the shape of the forward output .*, got \(3, 3\)"),
    (lambda: corr2d_backward(X2, K2, torch.ones(2, 2), padding=1), ValueError,
     r"grad_Y must have shape \(4, 4\).*got \(2, 2\)"),
    (lambda: corr2d_backward(X2, K2, torch.ones(1, 2, 2)), ValueError, r"grad_Y must have 2 dimensions"),
    (lambda: corr2d_backward(X2, K2, G2.double()), ValueError, r"X is torch\.float32 but grad_Y is torch\.float64"),
    (lambda: corr2d_backward([[1.0]], K2, G2), TypeError, r"X must be a torch\.Tensor, got list.*torch\.tensor\(X\)"),
    (lambda: corr2d_backward(X2, torch.ones(1, 2, 2), G2), ValueError,
     r"K must have 2 dimensions \(kh, kw\), got shape \(1, 2, 2\)"),
    (lambda: corr2d_backward(X2, torch.ones(4, 4), G2), ValueError, r"kernel 4x4 is larger than the padded input 3x3"),
    (lambda: corr2d_backward(X2, K2, G2, stride=0), ValueError, r"stride must be at least 1"),
    (lambda: corr2d_backward(X2, K2, G2, padding=1.5), ValueError, r"padding must be a whole number, got 1\.5"),
    (lambda: corr2d_transpose(X2, K2, stride=2, output_padding=2), ValueError,
     r"output_padding 2 must be smaller than the stride 2 \(height\), as in PyTorch.*between 0 and 1"),
    (lambda: corr2d_transpose(X2, K2, output_padding=1), ValueError, r"output_padding 1 must be smaller than the"),
    (lambda: corr2d_transpose(X2, K2, output_padding=-1), ValueError, r"output_padding must be at least 0"),
    (lambda: corr2d_transpose(torch.ones(1, 1), K2, padding=1), ValueError,
     r"padding 1x1 crops away the whole 2x2 output .*at most 0x0"),
    (lambda: corr2d_transpose(X2, torch.ones(2, 2, 2)), ValueError, r"K must have 2 dimensions \(kh, kw\)"),
    (lambda: corr2d_transpose(X2, K2, stride=10**5), ValueError, r"would need .* GB of memory"),
    (lambda: corr2d_transpose(np.ones((3, 3)), K2), TypeError, r"Y must be a torch\.Tensor, got ndarray"),
    (lambda: pool2d_backward(X2, G2, 2, mode="mean"), ValueError, r"mode must be one of 'max', 'avg', got 'mean'"),
    (lambda: pool2d_backward(X2, G2, 2, mode=None), TypeError, r"mode must be one of 'max', 'avg'"),
    (lambda: pool2d_backward(X2, torch.ones(3, 3), 2), ValueError, r"grad_Y must have shape \(2, 2\).*got \(3, 3\)"),
    (lambda: pool2d_backward(torch.ones(2, 3, 3), G2, 2), ValueError, r"grad_Y must have 3 dimensions"),
    (lambda: pool2d_backward(X2, G2, 4), ValueError, r"pooling window 4x4 is larger than the padded input 3x3"),
    (lambda: pool2d_backward(X2, torch.ones(4, 4), 2, padding=2), ValueError,
     r"padding 2x2 is more than half the pooling window 2x2.*at most 1x1"),
    (lambda: pool2d_backward(X2, G2, 0), ValueError, r"pool_size must be at least 1"),
    (lambda: pool2d_backward("X", G2, 2), TypeError, r"X must be a torch\.Tensor, got str"),
    (lambda: batch_norm(torch.ones(4, 3, 2), *ONES), ValueError, r"X must have shape \(N, D\) .* or \(N, C, H, W\)"),
    (lambda: batch_norm(torch.ones(4, 5), *ONES), ValueError,
     r"gamma must have shape \(1, 5\) for X of shape \(4, 5\) .*got \(1, 3\).*num_features=5"),
    (lambda: batch_norm(torch.ones(4, 3), torch.ones(3), *ONES[1:]), ValueError, r"gamma must have 2 dimensions"),
    (lambda: batch_norm(torch.ones(4, 3), *ONES, momentum=1.5), ValueError, r"momentum must be at most 1"),
    (lambda: batch_norm(torch.ones(4, 3), *ONES, eps=0), ValueError, r"eps must be positive"),
    (lambda: batch_norm(torch.ones(4, 3), *ONES, training=1), TypeError, r"training must be True or False"),
    (lambda: BatchNorm(3, 3), ValueError, r"num_dims must be 2 .* or 4 .*got 3"),
    (lambda: BatchNorm(0, 2), ValueError, r"num_features must be at least 1"),
    (lambda: BatchNorm(3, 2)(torch.ones(4, 3, 5, 5)), ValueError,
     r"num_dims=2, so X must have shape \(N, D\), got \(4, 3, 5, 5\); use num_dims=4 after a convolution"),
]


@pytest.mark.parametrize("call, error, match", BAD_INPUTS, ids=[str(i) for i in range(len(BAD_INPUTS))])
def test_bad_input_raises_a_clear_error(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_public_names_are_documented_and_fit_on_a_slide():
    for name in cnnlib.backprop.__all__:
        obj = getattr(cnnlib.backprop, name)
        assert obj.__doc__, name
        if inspect.isfunction(obj):
            assert len(inspect.getsource(obj).splitlines()) <= 30, name
