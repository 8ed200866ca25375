"""Claims about cnnlib.ops on bad input: every public function answers with a TypeError or ValueError whose
message names the argument, says what was expected and what to try, before any loop runs."""
from __future__ import annotations

import random
from typing import Callable, Iterator, Tuple

import numpy as np
import pytest
import torch
from torch import nn

from cnnlib.ops import (
    Conv2D, comp_conv2d, conv_matrix, conv_output_shape, convolve1d, convolve2d, corr2d, corr2d_fast,
    corr2d_multi_in, corr2d_multi_in_out, corr2d_multi_in_out_1x1, corr2d_strided, pool2d,
)

X2, K2 = torch.ones(3, 3), torch.ones(2, 2)  # a valid image and kernel to break one argument at a time
X3, K3, K4 = torch.ones(2, 3, 3), torch.ones(2, 2, 2), torch.ones(4, 2, 2, 2)  # (C, H, W), (C, kh, kw), (Co, C, kh, kw)

BAD_INPUTS = {
    "corr2d": [
        (lambda: corr2d([[1.0, 2.0]], K2), TypeError, r"X must be a torch\.Tensor, got list.*torch\.tensor\(X\)"),
        (lambda: corr2d(np.ones((3, 3)), K2), TypeError, r"got ndarray.*torch\.from_numpy\(X\)\.float\(\)"),
        (lambda: corr2d(torch.ones(1, 6, 8), K2), ValueError,
         r"X must have 2 dimensions \(H, W\), got shape \(1, 6, 8\).*X\.reshape\(6, 8\)"),
        (lambda: corr2d(X2, torch.ones(5, 5)), ValueError,
         r"kernel 5x5 is larger than the padded input 3x3 .*add padding or use a smaller kernel"),
        (lambda: corr2d(torch.arange(9).reshape(3, 3), K2), TypeError,
         r"X must hold floating-point numbers, got dtype torch\.int64.*X\.float\(\)"),
        (lambda: corr2d(torch.zeros(3, 3, dtype=torch.uint8), K2), TypeError, r"X\.float\(\) / 255"),
        (lambda: corr2d(torch.ones(0, 3), K2), ValueError, r"X is empty \(shape \(0, 3\)\)"),
        (lambda: corr2d(X2, K2.double()), ValueError,
         r"X is torch\.float32 but K is torch\.float64.*K\.to\(X\.dtype\)"),
        (lambda: corr2d(X2, K2.to("meta")), ValueError, r"X is on cpu but K is on meta.*K\.to\(X\.device\)"),
        (lambda: corr2d(X2, K2, 1), TypeError, r"positional argument"),  # padding is corr2d_strided's (notebook 03)
    ],
    "corr2d_strided": [
        (lambda: corr2d_strided(X2, K2, padding=1.5), ValueError, r"padding must be a whole number, got 1\.5"),
        (lambda: corr2d_strided(X2, K2, padding=-1), ValueError, r"padding must be at least 0, got -1.*use 0 for none"),
        (lambda: corr2d_strided(X2, K2, stride=0), ValueError,
         r"stride must be at least 1, got 0; a stride of 0 would never move the window"),
        (lambda: corr2d_strided(X2, K2, stride=True), TypeError, r"stride must be a number such as 1, got True/False"),
        (lambda: corr2d_strided(X2, K2, padding=(1, 2, 3)), ValueError,
         r"padding must be one whole number or a pair \(height, width\), got 3 values"),
        (lambda: corr2d_strided(X2, K2, padding="same"), TypeError, r"padding must be a number.*the text 'same'"),
        (lambda: corr2d_strided(X2, K2, padding="1"), TypeError, r"write 1 without quotes"),
        (lambda: corr2d_strided(X2, K2, padding=float("nan")), ValueError, r"padding must be a whole number, got nan"),
        (lambda: corr2d_strided(X2, K2, padding=10**6), ValueError,
         r"padding 1000000x1000000 around a 3x3 input would need .* GB of memory.*use padding of at most a few"),
        (lambda: corr2d_strided(X2, torch.ones(4, 4)), ValueError, r"kernel 4x4 is larger than the padded input 3x3"),
    ],
    "corr2d_fast": [
        (lambda: corr2d_fast(X2, 2.0), TypeError, r"K must be a torch\.Tensor, got float"),
        (lambda: corr2d_fast(X2, torch.ones(1, 2, 2)), ValueError, r"K must have 2 dimensions \(kh, kw\), got shape"),
        (lambda: corr2d_fast(torch.ones(3), K2), ValueError,
         r"X must have at least 2 dimensions \(\.\.\., H, W\), got shape \(3,\)"),
        (lambda: corr2d_fast(X2, torch.ones(1, 4)), ValueError, r"kernel 1x4 .* \(width 4 > 3 \+ 2\*0\)"),
        (lambda: corr2d_fast(X2, K2, stride=(1, 0)), ValueError, r"stride \(width\) must be at least 1"),
    ],
    "convolve2d": [
        (lambda: convolve2d(X2, "K"), TypeError, r"K must be a torch\.Tensor, got str"),
        (lambda: convolve2d(X2, torch.ones(2)), ValueError,
         r"K must have 2 dimensions \(kh, kw\), got shape \(2,\).*K\.reshape\(1, 2\)"),
        (lambda: convolve2d(X2, torch.ones(4, 1)), ValueError, r"kernel 4x1 is larger than the padded input 3x3"),
    ],
    "convolve1d": [
        (lambda: convolve1d(torch.ones(2, 3), torch.ones(2)), ValueError,
         r"x must have 1 dimension \(n,\), got shape \(2, 3\).*x\[0\]"),
        (lambda: convolve1d(torch.ones(3), [1.0, 2.0]), TypeError, r"w must be a torch\.Tensor, got list"),
        (lambda: convolve1d(torch.ones(3), torch.ones(0)), ValueError, r"w is empty"),
        (lambda: convolve1d(torch.arange(3), torch.ones(2)), TypeError, r"x must hold floating-point numbers"),
        (lambda: convolve1d(torch.ones(3), torch.ones(2).double()), ValueError,
         r"x is torch\.float32 but w is torch\.float64"),
    ],
    "corr2d_multi_in": [
        (lambda: corr2d_multi_in(X3[None], K3), ValueError,  # the notes' extra pair of brackets
         r"X must have 3 dimensions \(C, H, W\), got shape \(1, 2, 3, 3\).*X\.reshape\(2, 3, 3\)"),
        (lambda: corr2d_multi_in(X3, torch.ones(3, 2, 2)), ValueError,
         r"X has 2 input channels but K has 3.*one kernel slice per input channel"),
        (lambda: corr2d_multi_in(X3, K2), ValueError, r"K must have 3 dimensions \(C, kh, kw\), got shape \(2, 2\)"),
        (lambda: corr2d_multi_in(X3, torch.ones(2, 4, 4)), ValueError,
         r"kernel 4x4 is larger than the padded input 3x3"),
        (lambda: corr2d_multi_in(X3, K3.double()), ValueError, r"X is torch\.float32 but K is torch\.float64"),
    ],
    "corr2d_multi_in_out": [
        (lambda: corr2d_multi_in_out(X3, K3), ValueError,
         r"K must have 4 dimensions \(Co, C, kh, kw\), got shape \(2, 2, 2\)"),
        (lambda: corr2d_multi_in_out(X3, torch.ones(4, 3, 2, 2)), ValueError, r"X has 2 input channels but K has 3"),
        (lambda: corr2d_multi_in_out(X2, K4), ValueError, r"X must have 3 dimensions \(C, H, W\), got shape \(3, 3\)"),
    ],
    "corr2d_multi_in_out_1x1": [
        (lambda: corr2d_multi_in_out_1x1(X3, K4), ValueError,
         r"K must hold 1x1 kernels, got 2x2.*use corr2d_multi_in_out for larger kernels"),
        (lambda: corr2d_multi_in_out_1x1(X3, torch.ones(4, 3, 1, 1)), ValueError,
         r"X has 2 input channels but K has 3"),
        (lambda: corr2d_multi_in_out_1x1(None, K4), TypeError, r"X must be a torch\.Tensor, got NoneType"),
        (lambda: corr2d_multi_in_out_1x1(X3, torch.ones(4, 2)), ValueError,
         r"K must have 4 dimensions \(Co, C, 1, 1\)"),
    ],
    "pool2d": [
        (lambda: pool2d(X2, 2, mode="min"), ValueError, r"mode must be one of 'max', 'avg', got 'min'"),
        (lambda: pool2d(X2, 2, mode=max), TypeError, r"mode must be one of 'max', 'avg', got builtin"),
        (lambda: pool2d(X2, 3, padding=2), ValueError,
         r"padding 2x2 is more than half the pooling window 3x3.*at most 1x1"),
        (lambda: pool2d(X2, (4, 2)), ValueError,
         r"pooling window 4x2 is larger than the padded input 3x3 \(height 4 > 3 \+ 2\*0\).*smaller pooling window"),
        (lambda: pool2d(X2, 0), ValueError, r"pool_size must be at least 1, got 0"),
        (lambda: pool2d(X2, 2.5), ValueError, r"pool_size must be a whole number, got 2\.5"),
        (lambda: pool2d(torch.ones(4), 2), ValueError,
         r"X must have at least 2 dimensions \(\.\.\., H, W\), got shape \(4,\)"),
        (lambda: pool2d(X2, 2, stride=0), ValueError, r"stride must be at least 1"),
    ],
    "conv_output_shape": [
        (lambda: conv_output_shape(3, 5), ValueError,
         r"kernel 5x5 is larger than the padded input 3x3 \(height 5 > 3 \+ 2\*0, width 5 > 3 \+ 2\*0\); "
         r"add padding or use a smaller kernel"),
        (lambda: conv_output_shape((8, 8), (3, 9), padding=(1, 0)), ValueError,
         r"kernel 3x9 is larger than the padded input 10x8 \(width 9 > 8 \+ 2\*0\)"),
        (lambda: conv_output_shape((1, 1, 8, 8), 3), ValueError,
         r"input_size must be one whole number or a pair \(height, width\), got 4 values.*X\.shape\[-2:\]"),
        (lambda: conv_output_shape(8, 3.5), ValueError, r"kernel_size must be a whole number, got 3\.5"),
        (lambda: conv_output_shape(8, 3, stride=0), ValueError, r"stride must be at least 1"),
        (lambda: conv_output_shape(8, 3, padding=(-1, 0)), ValueError, r"padding \(height\) must be at least 0"),
        (lambda: conv_output_shape(0, 1), ValueError, r"input_size must be at least 1"),
    ],
    "conv_matrix": [
        (lambda: conv_matrix([[1.0]], (3, 3)), TypeError, r"K must be a torch\.Tensor, got list"),
        (lambda: conv_matrix(K2, (3.5, 3)), ValueError, r"input_size \(height\) must be a whole number, got 3\.5"),
        (lambda: conv_matrix(torch.ones(4, 4), (3, 3)), ValueError, r"kernel 4x4 is larger than the padded input 3x3"),
        (lambda: conv_matrix(K2, (1, 3, 3)), ValueError,
         r"input_size must be one whole number or a pair \(height, width\), got 3 values"),
        (lambda: conv_matrix(torch.ones(1, 2, 2), (3, 3)), ValueError, r"K must have 2 dimensions \(kh, kw\)"),
        (lambda: conv_matrix(torch.ones(3, 3), (300, 300)), ValueError,
         r"the matrix W of a 300x300 input would need 32\.\d GB of memory.*fourth power"),
    ],
    "Conv2D": [
        (lambda: Conv2D(2.5), ValueError, r"kernel_size must be a whole number, got 2\.5"),
        (lambda: Conv2D(0), ValueError, r"kernel_size must be at least 1"),
        (lambda: Conv2D((1, 2, 3)), ValueError, r"kernel_size must be one whole number or a pair \(height, width\)"),
        (lambda: Conv2D(10**6), ValueError, r"kernel_size must be at most 1,000"),
        (lambda: Conv2D((1, 2))(torch.ones(1, 6, 8)), ValueError,
         r"X must have 2 dimensions \(H, W\), got shape \(1, 6, 8\)"),
        (lambda: Conv2D(3)(torch.ones(2, 8)), ValueError, r"kernel 3x3 is larger than the padded input 2x8"),
    ],
    "comp_conv2d": [
        (lambda: comp_conv2d(3, X2), TypeError, r"conv2d must be a function or a layer such as nn\.LazyConv2d"),
        (lambda: comp_conv2d(nn.Conv2d(1, 1, 3), torch.ones(1, 8, 8)), ValueError,
         r"X must have 2 dimensions \(H, W\), got shape \(1, 8, 8\)"),
        (lambda: comp_conv2d(nn.Conv2d(1, 2, 3), torch.ones(8, 8)), ValueError,
         r"comp_conv2d needs a layer with one input and one output channel, got Conv2d\(1, 2"),
        (lambda: comp_conv2d(nn.Conv2d(3, 1, 3), torch.ones(8, 8)), ValueError, r"one input and one output channel"),
        (lambda: comp_conv2d(nn.Conv2d(1, 1, 3), "image"), TypeError, r"X must be a torch\.Tensor, got str"),
    ],
}

# The one rule for whole numbers: a NumPy integer, a float holding a whole number and a 0-d tensor are accepted
# wherever an int is; the result is the same as with the int.
WHOLE_FORMS = [np.int64(1), 1.0, np.float32(1.0), torch.tensor(1)]


@pytest.mark.parametrize("one", WHOLE_FORMS, ids=lambda v: type(v).__name__)
def test_whole_numbers_in_any_numeric_form_are_accepted_everywhere(one):
    X = torch.arange(16.0).reshape(4, 4)
    assert torch.equal(corr2d_strided(X, K2, padding=one, stride=one), corr2d_strided(X, K2, 1, 1))
    assert torch.equal(pool2d(X, 2 * one, padding=one), pool2d(X, 2, padding=1))
    assert conv_output_shape(8 * one, 3 * one, one, 2 * one) == conv_output_shape(8, 3, 1, 2) == (4, 4)
    assert torch.equal(conv_matrix(K2, (3 * one, 3), one), conv_matrix(K2, (3, 3), 1))


CASES = [(name, i, *case) for name, cases in BAD_INPUTS.items() for i, case in enumerate(cases)]


def test_every_public_function_has_at_least_three_bad_input_cases():
    import cnnlib.ops
    assert set(BAD_INPUTS) == set(cnnlib.ops.__all__)
    assert all(len(cases) >= 3 for cases in BAD_INPUTS.values())


@pytest.mark.parametrize("name, i, call, error, match", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_bad_input_raises_a_clear_error(name: str, i: int, call: Callable, error: type, match: str):
    with pytest.raises(error, match=match):
        call()


def junk_calls(seed: int, n: int = 300) -> Iterator[Tuple[str, Callable]]:
    """Random, mostly wrong combinations of shapes, paddings and strides for every op, each with a description."""
    rng = random.Random(seed)
    paddings = [0, 1, 2, -1, (0, 1), (1,), 1.0, 1.5, None, "1", np.int64(1), 10**7]
    strides = [1, 2, (2, 1), 0, (1, -1), 1.5, True, float("inf")]
    for _ in range(n):
        sizes = [0] + [1, 2, 3, 4] * 5  # an empty dimension now and then
        X = torch.ones(tuple(rng.choice(sizes) for _ in range(rng.randint(0, 4))))
        K = torch.ones(tuple(rng.choice(sizes) for _ in range(rng.randint(0, 4))))
        p, s = rng.choice(paddings), rng.choice(strides)
        k, mode = rng.choice([1, 2, 3, (1, 3), 0]), rng.choice(["max", "avg"])
        where = f"X {tuple(X.shape)}, K {tuple(K.shape)}, padding {p!r}, stride {s!r}, pool_size {k!r}"
        yield from ((f"{name}: {where}", call) for name, call in [
            ("corr2d", lambda: corr2d(X, K)),
            ("corr2d_strided", lambda: corr2d_strided(X, K, p, s)),
            ("corr2d_fast", lambda: corr2d_fast(X, K, p, s)),
            ("convolve2d", lambda: convolve2d(X, K)),
            ("convolve1d", lambda: convolve1d(X, K)),
            ("corr2d_multi_in", lambda: corr2d_multi_in(X, K)),
            ("corr2d_multi_in_out", lambda: corr2d_multi_in_out(X, K)),
            ("corr2d_multi_in_out_1x1", lambda: corr2d_multi_in_out_1x1(X, K)),
            ("pool2d", lambda: pool2d(X, k, mode, p, s)),
            ("conv_output_shape", lambda: conv_output_shape(tuple(X.shape), tuple(K.shape), p, s)),
            ("conv_matrix", lambda: conv_matrix(K, tuple(X.shape), p, s)),
        ])


def test_bad_shapes_never_leak_an_index_or_runtime_error():
    outcomes = {"ok": 0, "TypeError": 0, "ValueError": 0}
    for where, call in junk_calls(seed=0):
        try:
            call()
            outcomes["ok"] += 1
        except (TypeError, ValueError) as e:  # the only errors a student should ever see from cnnlib.ops
            outcomes[type(e).__name__] += 1
        except Exception as e:  # IndexError, RuntimeError from inside a loop, ...
            pytest.fail(f"{where} raised {type(e).__name__}: {e}")
    assert sum(outcomes.values()) == 3300 and min(outcomes.values()) >= 20, outcomes
