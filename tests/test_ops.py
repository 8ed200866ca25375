"""Claims about cnnlib.ops: it reproduces every printed value of the lecture notes (d2l ch. 7) and agrees
with torch.nn.functional (and numpy.convolve) on 100+ seeded random cases per op, in float64."""
from __future__ import annotations

import random
from typing import Iterator, NamedTuple, Tuple

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from cnnlib import set_seed
from cnnlib.ops import (
    Conv2D, comp_conv2d, conv_matrix, conv_output_shape, convolve1d, convolve2d, corr2d, corr2d_fast,
    corr2d_multi_in, corr2d_multi_in_out, corr2d_multi_in_out_1x1, corr2d_strided, pool2d,
)

N_CASES = 110  # random cases per op; the claim is "at least 100"
TOL = dict(rtol=1e-12, atol=1e-12)  # float64: only summation order may differ from PyTorch


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def close(ours: torch.Tensor, ref: torch.Tensor, case: object = "") -> None:
    """assert_close in float64 with a tight tolerance, naming the failing case."""
    assert ours.dtype == ref.dtype and ours.shape == ref.shape, f"{case}: {ours.shape} vs {ref.shape}"
    torch.testing.assert_close(ours, ref, **TOL, msg=lambda m: f"{case}\n{m}")


def pair(v: object) -> Tuple[int, int]:
    """int or pair -> pair."""
    return tuple(v) if isinstance(v, tuple) else (v, v)


class Case(NamedTuple):
    """One random convolution or pooling setting."""
    H: int
    W: int
    kernel: Tuple[int, int]
    padding: object  # int or pair, as a student would pass it
    stride: object


def random_cases(seed: int, n: int = N_CASES, max_hw: int = 12, max_k: int = 5, pool: bool = False) -> list:
    """n settings with random H, W, non-square kernels, paddings and strides (ints and pairs) that fit."""
    rng = random.Random(seed)
    cases = []
    while len(cases) < n:
        H, W = rng.randint(1, max_hw), rng.randint(1, max_hw)
        kernel = (rng.randint(1, max_k), rng.randint(1, max_k))
        if pool:  # PyTorch's rule: padding <= kernel // 2
            pads = (rng.randint(0, kernel[0] // 2), rng.randint(0, kernel[1] // 2))
        else:
            pads = (rng.randint(0, 2), rng.randint(0, 2))
        padding = pads if pads[0] != pads[1] or rng.random() < 0.3 else pads[0]
        strides = (rng.randint(1, 3), rng.randint(1, 3))
        stride = strides if strides[0] != strides[1] or rng.random() < 0.3 else strides[0]
        if kernel[0] <= H + 2 * pads[0] and kernel[1] <= W + 2 * pads[1]:
            cases.append(Case(H, W, kernel, padding, stride))
    return cases


def randn(g: torch.Generator, *shape: int) -> torch.Tensor:
    """Standard normal float64 tensor from a seeded generator."""
    return torch.randn(*shape, generator=g, dtype=torch.float64)


def with_tensors(seed: int, **kw) -> Iterator[Tuple[Case, torch.Tensor, torch.Tensor]]:
    """Random cases, each with an X (H, W) and a K (kh, kw)."""
    g = torch.Generator().manual_seed(seed)
    for case in random_cases(seed, **kw):
        yield case, randn(g, case.H, case.W), randn(g, *case.kernel)


def conv2d_ref(X: torch.Tensor, K: torch.Tensor, padding: object = 0, stride: object = 1) -> torch.Tensor:
    """PyTorch's answer for a 2-D X (H, W) and K (kh, kw)."""
    return F.conv2d(X[None, None], K[None, None], padding=pair(padding), stride=pair(stride))[0, 0]


# ----------------------------------------------------------------------------------------------
# Every printed value of the lecture notes


def test_corr2d_reproduces_notes():
    X = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
    K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    expected = torch.tensor([[19., 25.], [37., 43.]])
    assert torch.equal(corr2d(X, K), expected)
    assert torch.equal(corr2d_fast(X, K), expected)


def edge_image() -> torch.Tensor:
    """The notes' 6x8 image: ones with a black band in columns 2..5."""
    X = torch.ones((6, 8))
    X[:, 2:6] = 0
    return X


def test_edge_detection_reproduces_notes():
    X = edge_image()
    assert torch.equal(X[0], torch.tensor([1., 1., 0., 0., 0., 0., 1., 1.]))
    K = torch.tensor([[1.0, -1.0]])
    expected = torch.tensor([[0., 1., 0., 0., 0., -1., 0.]]).repeat(6, 1)  # (6, 7)
    assert torch.equal(corr2d(X, K), expected)
    assert torch.equal(corr2d_fast(X, K), expected)


def test_horizontal_edge_kernel_sees_nothing_in_transposed_image():
    K = torch.tensor([[1.0, -1.0]])
    Y = corr2d(edge_image().t(), K)
    assert Y.shape == (8, 5)
    assert torch.equal(Y, torch.zeros(8, 5))


def notes_multi_channel() -> Tuple[torch.Tensor, torch.Tensor]:
    """The notes' X (2, 3, 3) and K (2, 2, 2)."""
    X = torch.tensor([[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]],
                      [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]])
    K = torch.tensor([[[0.0, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]])
    return X, K


def test_corr2d_multi_in_reproduces_notes():
    X, K = notes_multi_channel()
    assert torch.equal(corr2d_multi_in(X, K), torch.tensor([[56., 72.], [104., 120.]]))


def test_corr2d_multi_in_out_reproduces_notes():
    X, K = notes_multi_channel()
    K = torch.stack((K, K + 1, K + 2), 0)
    assert K.shape == torch.Size([3, 2, 2, 2])
    expected = torch.tensor([[[56., 72.], [104., 120.]],
                             [[76., 100.], [148., 172.]],
                             [[96., 128.], [192., 224.]]])
    assert torch.equal(corr2d_multi_in_out(X, K), expected)


def test_1x1_conv_is_matmul_as_in_notes():
    set_seed(0)
    X = torch.normal(0, 1, (3, 3, 3))
    K = torch.normal(0, 1, (2, 3, 1, 1))
    Y1 = corr2d_multi_in_out_1x1(X, K)
    Y2 = corr2d_multi_in_out(X, K)
    assert float(torch.abs(Y1 - Y2).sum()) < 1e-6


def test_pool2d_reproduces_notes():
    X = torch.tensor([[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]]])  # (1, 3, 3)
    assert torch.equal(pool2d(X, (2, 2)), torch.tensor([[[4., 5.], [7., 8.]]]))
    assert torch.equal(pool2d(X, (2, 2), 'avg'), torch.tensor([[[2., 3.], [5., 6.]]]))


@pytest.mark.parametrize("module, kwargs, expected", [
    (nn.MaxPool2d(3), dict(pool_size=3, stride=3), [[10.]]),
    (nn.MaxPool2d(3, padding=1, stride=2), dict(pool_size=3, padding=1, stride=2), [[5., 7.], [13., 15.]]),
    (nn.MaxPool2d((2, 3), stride=(2, 3), padding=(0, 1)),
     dict(pool_size=(2, 3), padding=(0, 1), stride=(2, 3)), [[5., 7.], [13., 15.]]),
])
def test_pool2d_reproduces_d2l_padding_and_stride(module, kwargs, expected):
    X = torch.arange(16, dtype=torch.float32).reshape((1, 1, 4, 4))
    expected = torch.tensor([[expected]])  # (1, 1, out_h, out_w)
    assert torch.equal(module(X), expected)
    assert torch.equal(pool2d(X, **kwargs), expected)


def test_pool2d_pools_each_channel_as_in_d2l():
    X = torch.arange(16, dtype=torch.float32).reshape((1, 1, 4, 4))
    X = torch.cat((X, X + 1), 1)  # (1, 2, 4, 4)
    expected = torch.tensor([[[[5., 7.], [13., 15.]], [[6., 8.], [14., 16.]]]])
    assert torch.equal(nn.MaxPool2d(3, padding=1, stride=2)(X), expected)
    assert torch.equal(pool2d(X, 3, padding=1, stride=2), expected)


@pytest.mark.parametrize("kernel_size, padding, stride, expected", [
    (3, 1, 1, (8, 8)),
    ((5, 3), (2, 1), 1, (8, 8)),
    (3, 1, 2, (4, 4)),
    ((3, 5), (0, 1), (3, 4), (2, 2)),
])
def test_comp_conv2d_shapes_reproduce_notes(kernel_size, padding, stride, expected):
    X = torch.rand(size=(8, 8))
    conv2d = nn.Conv2d(1, 1, kernel_size=kernel_size, padding=padding, stride=stride)
    assert comp_conv2d(conv2d, X).shape == torch.Size(expected)
    assert conv_output_shape(X.shape, kernel_size, padding, stride) == expected
    K = torch.zeros(pair(kernel_size))
    assert corr2d_strided(X, K, padding, stride).shape == torch.Size(expected)


def test_conv2d_module_learns_the_edge_kernel():
    set_seed(0)
    X, K = edge_image(), torch.tensor([[1.0, -1.0]])
    Y = corr2d(X, K)
    conv2d, lr = Conv2D(kernel_size=(1, 2)), 1e-2
    for _ in range(60):
        loss = ((conv2d(X) - Y) ** 2).sum()
        conv2d.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in conv2d.parameters():
                p -= lr * p.grad
    torch.testing.assert_close(conv2d.weight.detach(), K, atol=1e-2, rtol=0)
    assert abs(conv2d.bias.item()) < 1e-2


# ----------------------------------------------------------------------------------------------
# Every op against PyTorch, 100+ random cases each


def with_tensors_unpadded(seed: int, **kw) -> Iterator[Tuple[Case, torch.Tensor, torch.Tensor]]:
    """Random cases without padding and with stride 1 (the lecture's corr2d), each with X (H, W) and K (kh, kw)."""
    g = torch.Generator().manual_seed(seed)
    rng = random.Random(seed)
    for _ in range(N_CASES):
        H, W = rng.randint(1, 12), rng.randint(1, 12)
        kernel = (rng.randint(1, H), rng.randint(1, W))
        yield Case(H, W, kernel, 0, 1), randn(g, H, W), randn(g, *kernel)


def test_corr2d_matches_conv2d():
    for case, X, K in with_tensors_unpadded(seed=1):
        close(corr2d(X, K), conv2d_ref(X, K), case)


def test_corr2d_strided_matches_conv2d_over_paddings_and_strides():
    for case, X, K in with_tensors(seed=11):
        close(corr2d_strided(X, K, case.padding, case.stride), conv2d_ref(X, K, case.padding, case.stride), case)


def test_corr2d_strided_without_padding_and_stride_is_corr2d():
    for case, X, K in with_tensors_unpadded(seed=12):
        close(corr2d_strided(X, K), corr2d(X, K), case)


def test_corr2d_fast_matches_conv2d_and_keeps_leading_dims():
    g = torch.Generator().manual_seed(2)
    for n, case in enumerate(random_cases(seed=2)):
        lead = [(), (2,), (2, 3)][n % 3]
        X, K = randn(g, *lead, case.H, case.W), randn(g, *case.kernel)
        ours = corr2d_fast(X, K, case.padding, case.stride)  # (*lead, out_h, out_w)
        ref = F.conv2d(X.reshape(-1, 1, case.H, case.W), K[None, None],
                       padding=pair(case.padding), stride=pair(case.stride))  # (prod(lead), 1, out_h, out_w)
        close(ours, ref.reshape(lead + ref.shape[-2:]), case)


def test_corr2d_fast_matches_corr2d():
    for case, X, K in with_tensors(seed=3):
        close(corr2d_fast(X, K, case.padding, case.stride), corr2d_strided(X, K, case.padding, case.stride), case)


def test_convolve2d_is_conv2d_with_flipped_kernel():
    for case, X, K in with_tensors_unpadded(seed=4):
        close(convolve2d(X, K), conv2d_ref(X, torch.flip(K, dims=(0, 1))), case)


def test_convolving_an_impulse_returns_the_kernel_and_correlating_returns_it_flipped():
    K = torch.arange(6, dtype=torch.float64).reshape(2, 3)
    impulse = torch.ones(1, 1, dtype=torch.float64)
    full = F.pad(impulse, (2, 2, 1, 1))  # zeros around it, so that the kernel slides fully over the impulse
    assert torch.equal(convolve2d(full, K), K)
    assert torch.equal(corr2d(full, K), torch.flip(K, dims=(0, 1)))
    assert torch.equal(corr2d_strided(impulse, K, padding=(1, 2)), torch.flip(K, dims=(0, 1)))


def random_1d(seed: int) -> Iterator[Tuple[torch.Tensor, torch.Tensor]]:
    """N_CASES pairs x (n,), w (m,) with 1 <= n, m <= 12."""
    rng, g = random.Random(seed), torch.Generator().manual_seed(seed)
    for _ in range(N_CASES):
        yield randn(g, rng.randint(1, 12)), randn(g, rng.randint(1, 12))


def test_convolve1d_matches_numpy_convolve():
    for x, w in random_1d(seed=5):
        close(convolve1d(x, w), torch.from_numpy(np.convolve(x.numpy(), w.numpy(), "full")), (x, w))


def test_convolve1d_is_conv1d_with_flipped_kernel():
    for x, w in random_1d(seed=6):
        m = w.shape[0]
        ref = F.conv1d(x[None, None], torch.flip(w, dims=(0,))[None, None], padding=m - 1)[0, 0]  # (n + m - 1,)
        close(convolve1d(x, w), ref, (x, w))


def test_convolve1d_is_commutative():
    for x, w in random_1d(seed=7):
        close(convolve1d(x, w), convolve1d(w, x), (x, w))


def test_corr2d_multi_in_matches_conv2d():
    rng, g = random.Random(8), torch.Generator().manual_seed(8)
    for case, _, _ in with_tensors_unpadded(seed=8):
        C = rng.randint(1, 3)
        X, K = randn(g, C, case.H, case.W), randn(g, C, *case.kernel)
        close(corr2d_multi_in(X, K), F.conv2d(X[None], K[None])[0, 0], case)


def test_corr2d_multi_in_out_matches_conv2d():
    rng, g = random.Random(9), torch.Generator().manual_seed(9)
    for case, _, _ in with_tensors_unpadded(seed=9):
        C, Co = rng.randint(1, 3), rng.randint(1, 3)
        X, K = randn(g, C, case.H, case.W), randn(g, Co, C, *case.kernel)
        close(corr2d_multi_in_out(X, K), F.conv2d(X[None], K)[0], case)  # (Co, out_h, out_w)


def test_1x1_conv_is_matmul():
    rng, g = random.Random(10), torch.Generator().manual_seed(10)
    for _ in range(N_CASES):
        C, Co, H, W = rng.randint(1, 4), rng.randint(1, 4), rng.randint(1, 8), rng.randint(1, 8)
        X, K = randn(g, C, H, W), randn(g, Co, C, 1, 1)
        Y = corr2d_multi_in_out_1x1(X, K)
        close(Y, F.conv2d(X[None], K)[0], (C, Co, H, W))
        close(Y, torch.einsum("oc,chw->ohw", K[:, :, 0, 0], X), (C, Co, H, W))


def test_1x1_conv_matches_the_loop_version():
    rng, g = random.Random(11), torch.Generator().manual_seed(11)
    for _ in range(N_CASES):
        C, Co, H, W = rng.randint(1, 3), rng.randint(1, 3), rng.randint(1, 5), rng.randint(1, 5)
        X, K = randn(g, C, H, W), randn(g, Co, C, 1, 1)
        close(corr2d_multi_in_out_1x1(X, K), corr2d_multi_in_out(X, K), (C, Co, H, W))


def pool_inputs(seed: int) -> Iterator[Tuple[Case, torch.Tensor]]:
    """Random pooling cases, each with an X of shape (H, W), (C, H, W) or (N, C, H, W)."""
    g = torch.Generator().manual_seed(seed)
    for n, case in enumerate(random_cases(seed, pool=True)):
        yield case, randn(g, *[(), (2,), (2, 3)][n % 3], case.H, case.W)


def torch_pool(fn, X: torch.Tensor, case: Case) -> torch.Tensor:
    """F.max_pool2d / F.avg_pool2d with the case's kernel, stride and padding on X (..., H, W)."""
    Y = fn(X.reshape(-1, 1, case.H, case.W), case.kernel, stride=pair(case.stride), padding=pair(case.padding))
    return Y.reshape(X.shape[:-2] + Y.shape[-2:])  # (..., out_h, out_w)


def test_pool2d_matches_max_pool2d():
    for case, X in pool_inputs(seed=12):
        ours = pool2d(X, case.kernel, "max", case.padding, case.stride)
        close(ours, torch_pool(F.max_pool2d, X, case), case)


def test_pool2d_matches_avg_pool2d():
    for case, X in pool_inputs(seed=13):
        ours = pool2d(X, case.kernel, "avg", case.padding, case.stride)
        close(ours, torch_pool(F.avg_pool2d, X, case), case)  # count_include_pad=True, PyTorch's default


def test_conv_output_shape_matches_nn_conv2d():
    cases = random_cases(seed=14, max_hw=16, max_k=7)
    assert len(cases) >= 100
    for case in cases:
        conv = nn.Conv2d(1, 1, kernel_size=case.kernel, padding=case.padding, stride=case.stride)
        with torch.no_grad():
            Y = conv(torch.zeros(1, 1, case.H, case.W))  # (1, 1, out_h, out_w)
        assert conv_output_shape((case.H, case.W), case.kernel, case.padding, case.stride) == Y.shape[2:], case


def test_conv_output_shape_rejects_what_nn_conv2d_rejects():
    rng, rejected = random.Random(15), 0
    for _ in range(200):
        H, W, kh, kw = (rng.randint(1, 6) for _ in range(4))
        padding, stride = rng.randint(0, 1), rng.randint(1, 2)
        conv = nn.Conv2d(1, 1, kernel_size=(kh, kw), padding=padding, stride=stride)
        fits = kh <= H + 2 * padding and kw <= W + 2 * padding
        if fits:
            with torch.no_grad():
                assert conv(torch.zeros(1, 1, H, W)).shape[2:] == conv_output_shape((H, W), (kh, kw), padding, stride)
            continue
        rejected += 1
        with pytest.raises(RuntimeError):
            conv(torch.zeros(1, 1, H, W))
        with pytest.raises(ValueError, match="larger than the padded input"):
            conv_output_shape((H, W), (kh, kw), padding, stride)
    assert rejected >= 20


def test_conv_matrix_matches_conv2d():
    for case, X, K in with_tensors(seed=16):
        W = conv_matrix(K, (case.H, case.W), case.padding, case.stride)  # (out_h*out_w, H*W)
        ref = conv2d_ref(X, K, case.padding, case.stride)  # (out_h, out_w)
        assert W.shape == (ref.numel(), X.numel()), case
        close(W @ X.flatten(), ref.flatten(), case)


def test_conv_matrix_transposed_is_conv_transpose2d():
    for case, X, K in with_tensors(seed=17):
        (ph, pw), (sh, sw), (kh, kw) = pair(case.padding), pair(case.stride), case.kernel
        W = conv_matrix(K, (case.H, case.W), case.padding, case.stride)  # (out_h*out_w, H*W)
        out_h, out_w = conv_output_shape((case.H, case.W), case.kernel, case.padding, case.stride)
        Y = X.new_tensor(np.arange(out_h * out_w, dtype=np.float64)).reshape(out_h, out_w)
        extra = ((case.H + 2 * ph - kh) % sh, (case.W + 2 * pw - kw) % sw)  # rows/cols the stride skipped
        ref = F.conv_transpose2d(Y[None, None], K[None, None], stride=(sh, sw), padding=(ph, pw),
                                 output_padding=extra)[0, 0]  # (H, W)
        close(W.T @ Y.flatten(), ref.flatten(), case)


def test_conv2d_module_matches_f_conv2d_with_gradients():
    set_seed(0)
    g = torch.Generator().manual_seed(18)
    for case in random_cases(seed=18, n=40)[:20]:
        if case.kernel[0] > case.H or case.kernel[1] > case.W:  # Conv2D has no padding
            continue
        conv = Conv2D(case.kernel).double()
        X = randn(g, case.H, case.W)
        Y = conv(X)
        ref = F.conv2d(X[None, None], conv.weight[None, None], conv.bias)[0, 0]
        close(Y, ref, case)
        grads = torch.autograd.grad((Y ** 2).sum(), (conv.weight, conv.bias))
        ref_grads = torch.autograd.grad((ref ** 2).sum(), (conv.weight, conv.bias))
        for ours, theirs in zip(grads, ref_grads):
            torch.testing.assert_close(ours, theirs, rtol=1e-10, atol=1e-10)


def test_conv2d_module_accepts_an_int_kernel_size():
    assert Conv2D(3).weight.shape == (3, 3)
    assert Conv2D((1, 2)).weight.shape == (1, 2)
    assert [name for name, _ in Conv2D(2).named_parameters()] == ["weight", "bias"]


# ----------------------------------------------------------------------------------------------
# Properties a convolution must have


def test_corr2d_is_linear():
    g = torch.Generator().manual_seed(19)
    for case, X1, K in with_tensors(seed=19, n=30):
        X2, a, b = randn(g, case.H, case.W), 2.5, -0.75
        lhs = corr2d_strided(a * X1 + b * X2, K, case.padding, case.stride)
        rhs = a * corr2d_strided(X1, K, case.padding, case.stride) + b * corr2d_strided(X2, K, case.padding, case.stride)
        torch.testing.assert_close(lhs, rhs, rtol=1e-10, atol=1e-10)
        K2 = randn(g, *case.kernel)  # ... and linear in the kernel too
        lhs = corr2d_strided(X1, a * K + b * K2, case.padding, case.stride)
        rhs = a * corr2d_strided(X1, K, case.padding, case.stride) + b * corr2d_strided(X1, K2, case.padding, case.stride)
        torch.testing.assert_close(lhs, rhs, rtol=1e-10, atol=1e-10)


def test_corr2d_is_shift_equivariant_in_the_interior():
    rng, g = random.Random(20), torch.Generator().manual_seed(20)
    for _ in range(30):
        H, W, kh, kw = rng.randint(4, 10), rng.randint(4, 10), rng.randint(1, 3), rng.randint(1, 3)
        dy, dx = rng.randint(0, H - kh), rng.randint(0, W - kw)
        X, K = randn(g, H, W), randn(g, kh, kw)
        X_shifted = torch.zeros_like(X)
        X_shifted[dy:, dx:] = X[:H - dy, :W - dx]  # move the image down by dy and right by dx
        Y, Y_shifted = corr2d(X, K), corr2d(X_shifted, K)  # (H - kh + 1, W - kw + 1)
        out_h, out_w = Y.shape
        close(Y_shifted[dy:, dx:], Y[:out_h - dy, :out_w - dx], (H, W, kh, kw, dy, dx))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_outputs_keep_dtype_and_device_of_X(dtype):
    X, K = torch.ones(5, 6, dtype=dtype), torch.ones(2, 3, dtype=dtype)
    outputs = [corr2d_strided(X, K, 1, 2), corr2d(X, K), corr2d_fast(X, K), convolve2d(X, K), pool2d(X, 2), pool2d(X, 2, "avg"),
               convolve1d(X[0], K[0]), conv_matrix(K, X.shape), corr2d_multi_in(X[None], K[None]),
               corr2d_multi_in_out(X[None], K[None, None]), corr2d_multi_in_out_1x1(X[None], K[None, None, :1, :1])]
    for Y in outputs:
        assert Y.dtype == dtype and Y.device == X.device


# ---------------------------------------------------------------- dilation (notebook 03)

def test_dilated_corr2d_strided_and_its_shape_equal_pytorch_over_random_settings():
    g = torch.Generator().manual_seed(3)
    checked = 0
    for _ in range(400):
        H, W, kh, kw = (int(v) for v in torch.randint(1, 9, (4,), generator=g))
        (ph, pw), (sh, sw), (dh, dw) = ((int(v) for v in torch.randint(lo, hi, (2,), generator=g))
                                        for lo, hi in ((0, 3), (1, 4), (1, 4)))
        conv = torch.nn.Conv2d(1, 1, (kh, kw), padding=(ph, pw), stride=(sh, sw), dilation=(dh, dw), bias=False)
        if dh * (kh - 1) + 1 > H + 2 * ph or dw * (kw - 1) + 1 > W + 2 * pw:
            with pytest.raises(ValueError, match=r"is larger than the padded input"):
                conv_output_shape((H, W), (kh, kw), (ph, pw), (sh, sw), (dh, dw))
            with pytest.raises(RuntimeError):
                conv(torch.zeros(1, 1, H, W))
            continue
        X, K = torch.randn(H, W, generator=g, dtype=torch.float64), torch.randn(kh, kw, generator=g, dtype=torch.float64)
        want = torch.nn.functional.conv2d(X[None, None], K[None, None], padding=(ph, pw), stride=(sh, sw),
                                          dilation=(dh, dw))[0, 0]
        got = corr2d_strided(X, K, (ph, pw), (sh, sw), (dh, dw))
        assert got.shape == want.shape == conv_output_shape((H, W), (kh, kw), (ph, pw), (sh, sw), (dh, dw))
        assert torch.allclose(got, want)
        checked += 1
    assert checked >= 100  # and about as many impossible settings, refused by both


def test_dilation_one_is_the_ordinary_kernel_and_zero_is_refused():
    X, K = torch.randn(7, 6), torch.randn(3, 2)
    assert torch.equal(corr2d_strided(X, K, 1, 2, dilation=1), corr2d_strided(X, K, 1, 2))
    with pytest.raises(ValueError, match="dilation must be at least 1"):
        corr2d_strided(X, K, dilation=0)
    with pytest.raises(ValueError, match=r"kernel 3x2 \(dilated to 7x3\) is larger than the padded input 5x6"):
        conv_output_shape((5, 6), (3, 2), 0, 1, (3, 2))
    assert conv_output_shape((5, 6), (3, 2), (1, 0), 1, (3, 2)) == (1, 4)  # 7 rows fit exactly once
