"""Self-checks for the exercises: `check_...(answer)` prints ✓ or ✗ with a hint; `show_solution(key)` reveals one.

Each exercise has a key like "02.1" (notebook 02, exercise 1), a check function and a worked solution kept as
source code in SOLUTIONS, so the tests can run the solution through its own check.
"""
from __future__ import annotations

from typing import Callable

SOLUTIONS: dict[str, str] = {}
CHECKS: dict[str, Callable[..., bool]] = {}


def report(ok: bool, hint: str, praise: str = "Correct!") -> bool:
    """Print ✓ with praise when ok, else ✗ with a hint; return ok (so tests can use it)."""
    print(f"✓ {praise}" if ok else f"✗ Not yet. {hint}")
    return ok


def exercise(key: str, solution: str) -> Callable[[Callable[..., bool]], Callable[..., bool]]:
    """Register a check function under `key` together with its worked solution (source code)."""
    def register(check: Callable[..., bool]) -> Callable[..., bool]:
        CHECKS[key] = check
        SOLUTIONS[key] = solution.strip("\n")
        return check
    return register


def show_solution(key: str) -> None:
    """Print the worked solution of exercise `key` (e.g. "02.1")."""
    if key not in SOLUTIONS:
        raise ValueError(f"no exercise called {key!r}; known exercises: {', '.join(sorted(SOLUTIONS))}")
    print(SOLUTIONS[key])


# ---- 01 convolution as a linear layer ----
# (Imports of sections 01-03 kept here because several authors edit this file at once.)
import numbers  # noqa: E402
from typing import Optional  # noqa: E402

import torch  # noqa: E402
from torch import nn  # noqa: E402


def _is_whole(answer: object) -> bool:
    """True for an int (or a float/tensor holding a whole number), False for None, text, bools, fractions."""
    if isinstance(answer, torch.Tensor):
        if answer.numel() != 1:
            return False
        answer = answer.item()
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return False
    return float(answer).is_integer()


def _whole_hint(answer: object) -> str:
    return f"Your answer must be a whole number (an int), got {answer!r}."


@exercise("01.1", '''
# nn.Linear(n_in, n_out) holds a weight matrix (n_out, n_in) and one bias per output.
n_in, n_out = 3 * 32 * 32, 100  # a flattened CIFAR-10 image -> 100 hidden units (the notes' MLP)
answer = n_in * n_out + n_out   # 307,200 weights + 100 biases = 307,300
''')
def check_linear_parameters(answer: object) -> bool:
    """01.1: the number of learnable parameters of nn.Linear(3*32*32, 100) (weights and biases)."""
    if not _is_whole(answer):
        return report(False, _whole_hint(answer))
    answer = int(answer)
    hints = {3 * 32 * 32 * 100: "That counts the weights. nn.Linear also learns one bias per output unit.",
             3 * 32 * 32: "That is the number of inputs; every one of the 100 outputs has its own weight for each.",
             3 * 32 * 32 + 100: "Weights multiply, they do not add: each (input, output) pair has one weight."}
    return report(answer == 307_300, hints.get(answer, "Count the weight matrix (n_out × n_in) and the biases "
                                                       "(n_out); check with sum(p.numel() for p in layer.parameters())."),
                  "Correct: 307,300 parameters, for one layer that sees each pixel on its own.")


@exercise("01.2", '''
# In each direction, count how many of the 3 kernel taps land on real pixels (not padding) for each of the
# 6 output positions: 2, 3, 3, 3, 3, 2 -> 16. A 2-D window is a row window times a column window.
per_direction = 2 + 3 + 3 + 3 + 3 + 2
answer = per_direction ** 2  # 256
# or directly: answer = int((conv_matrix(torch.ones(3, 3), (6, 6), padding=1) != 0).sum())
''')
def check_conv_matrix_nonzeros(answer: object) -> bool:
    """01.2: the number of nonzero entries of conv_matrix(K, (6, 6), padding=1) for a 3×3 K without zeros."""
    if not _is_whole(answer):
        return report(False, _whole_hint(answer))
    answer = int(answer)
    hints = {36 * 9: "Not every row holds all 9 kernel entries: near the border some taps land on padding, and "
                     "W has no column for padding (padding is zero, so those taps contribute nothing).",
             16 * 9: "That is W without padding (4×4 outputs). With padding=1 the output is 6×6.",
             36 * 36: "That is the size of W (36×36), zeros included; count only the nonzero entries."}
    return report(answer == 256, hints.get(answer, "Count per direction (how many of the 3 taps hit real pixels at "
                                                   "each of the 6 positions), then multiply; or try the widget."),
                  "Correct: 256 of the 1,296 entries are nonzero (80% zeros).")


@exercise("01.3", '''
import torch

def conv1d_matrix(w, n):
    """The (n + m - 1, n) matrix M with M @ x == convolve1d(x, w) for x of length n and w of length m."""
    m = w.shape[0]
    M = torch.zeros(n + m - 1, n, dtype=w.dtype)
    for j in range(n):
        M[j:j + m, j] = w  # x[j] adds w[k] * x[j] to y[j + k]: column j is w, shifted down by j
    return M
''')
def check_conv1d_matrix(conv1d_matrix: Callable) -> bool:
    """01.3: conv1d_matrix(w, n) returns M (n + m - 1, n) with M @ x == convolve1d(x, w)."""
    from cnnlib.ops import convolve1d

    if not callable(conv1d_matrix):
        return report(False, f"Pass your function itself (conv1d_matrix, no brackets), got {type(conv1d_matrix).__name__}.")
    g = torch.Generator().manual_seed(0)
    for n, m in ((5, 3), (4, 1), (6, 2), (3, 3)):
        x, w = torch.randn(n, generator=g), torch.randn(m, generator=g)
        try:
            M = conv1d_matrix(w, n)
        except Exception as e:  # the student's code: show the error instead of a traceback
            return report(False, f"conv1d_matrix(w, {n}) with len(w) = {m} raised {type(e).__name__}: {e}")
        if not isinstance(M, torch.Tensor) or tuple(M.shape) != (n + m - 1, n):
            got = tuple(M.shape) if isinstance(M, torch.Tensor) else type(M).__name__
            return report(False, f"for n = {n}, len(w) = {m}, M must be a tensor of shape {(n + m - 1, n)}, "
                                 f"got {got}.")
        if not torch.allclose(M.to(x.dtype) @ x, convolve1d(x, w), atol=1e-5):
            return report(False, f"M @ x differs from convolve1d(x, w) for n = {n}, len(w) = {m}. Column j of M "
                                 f"says where x[j] goes: y[i] = sum_k w[k] x[i - k], so x[j] reaches y[j + k] "
                                 f"with weight w[k].")
    return report(True, "", "Correct: a 1-D convolution is a banded (Toeplitz) matrix; every column is w, shifted.")


# ---- 02 corr2d ----


def _edge_images() -> tuple[torch.Tensor, torch.Tensor]:
    """The notes' 6×8 image X (a dark band in the middle) and its edge map Y = corr2d(X, [[1, -1]])."""
    from cnnlib.ops import corr2d

    X = torch.ones((6, 8))
    X[:, 2:6] = 0
    return X, corr2d(X, torch.tensor([[1.0, -1.0]]))


def _as_kernel(K: object) -> Optional[torch.Tensor]:
    """K as a 2-D float tensor, or None when it cannot be one."""
    try:
        K = torch.as_tensor(K, dtype=torch.float32)
    except (TypeError, ValueError, RuntimeError):
        return None
    return K if K.ndim == 2 and K.numel() > 0 else None


@exercise("02.1", '''
import torch

# In X.t() the edges run horizontally: compare each pixel with the one BELOW it, i.e. a 2×1 kernel.
K_h = torch.tensor([[1.0], [-1.0]])  # corr2d(X.t(), K_h) == Y.t(): +1 where bright turns dark, -1 back
''')
def check_horizontal_edge_kernel(K_h: object) -> bool:
    """02.1: a kernel K_h with corr2d(X.t(), K_h) == Y.t() for the notes' X and Y = corr2d(X, [[1, -1]])."""
    from cnnlib.ops import corr2d

    K = _as_kernel(K_h)
    if K is None:
        return report(False, f"K_h must be a 2-D tensor such as torch.tensor([[1.0, 2.0]]), got {K_h!r}.")
    X, Y = _edge_images()
    Xt = X.t()  # (8, 6)
    if K.shape[0] > Xt.shape[0] or K.shape[1] > Xt.shape[1]:
        return report(False, f"K_h is {K.shape[0]}×{K.shape[1]}, larger than X.t() (8×6).")
    out = corr2d(Xt, K)
    if out.shape == Y.t().shape and torch.allclose(out, Y.t()):
        return report(True, "", "Correct: a 2×1 kernel finds the horizontal edges, exactly Y transposed.")
    if out.shape == Y.t().shape and torch.allclose(out, -Y.t()):
        return report(False, "Right shape, opposite signs: Y is +1 where bright (1) turns dark (0) going down.")
    if tuple(K.shape) == (1, 2):
        return report(False, "A 1×2 kernel compares left and right neighbours, and along each row of X.t() "
                             "nothing changes. The edges of X.t() lie between rows: use a 2×1 kernel.")
    return report(False, f"corr2d(X.t(), K_h) has shape {tuple(out.shape)} and should equal Y.t() "
                         f"(shape {tuple(Y.t().shape)}). Compare each pixel with the one below it.")


@exercise("02.2", '''
import torch
from torch import nn

from cnnlib import set_seed
from cnnlib.ops import corr2d

set_seed(0)
X = torch.ones((6, 8))
X[:, 2:6] = 0
Y = corr2d(X, torch.tensor([[1.0, -1.0]]))
Xt, Yt = X.t().reshape((1, 1, 8, 6)), Y.t().reshape((1, 1, 7, 6))
conv2d_t = nn.Conv2d(1, 1, kernel_size=(2, 1), bias=False)  # a 2×1 kernel for horizontal edges
lr = 3e-2
for i in range(20):
    Y_hat = conv2d_t(Xt)
    l = (Y_hat - Yt) ** 2
    conv2d_t.zero_grad()
    l.sum().backward()
    conv2d_t.weight.data[:] -= lr * conv2d_t.weight.grad
''')
def check_learned_horizontal_kernel(conv2d_t: object) -> bool:
    """02.2: an nn.Conv2d(1, 1, kernel_size=(2, 1)) trained on X.t() -> Y.t() whose kernel is within 0.1 of [[1], [-1]]."""
    if not isinstance(conv2d_t, nn.Conv2d):
        return report(False, f"Pass the trained layer, an nn.Conv2d, got {type(conv2d_t).__name__}.")
    weight = conv2d_t.weight.detach().cpu()
    if tuple(weight.shape) != (1, 1, 2, 1):
        return report(False, f"The layer's weight has shape {tuple(weight.shape)}; for horizontal edges use "
                             f"nn.Conv2d(1, 1, kernel_size=(2, 1), bias=False), weight shape (1, 1, 2, 1).")
    K = weight.reshape(2, 1)
    error = (K - torch.tensor([[1.0], [-1.0]])).abs().max().item()
    return report(error < 0.1, f"The kernel is {[round(v, 3) for v in K.flatten().tolist()]}, still "
                               f"{error:.2f} away from [[1], [-1]]. Train on X.t() and Y.t() (reshaped to "
                               f"(1, 1, 8, 6) and (1, 1, 7, 6)), for more iterations if needed.",
                  f"Correct: the learned kernel {[round(v, 3) for v in K.flatten().tolist()]} is close to [[1], [-1]].")


@exercise("02.3", '''
import torch

K = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
K2 = torch.flip(K, dims=(0, 1))  # [[4, 3], [2, 1]]: convolve2d flips it back, so it correlates with K
''')
def check_flipped_kernel(K2: object) -> bool:
    """02.3: the kernel K2 with convolve2d(X, K2) == corr2d(X, K) for K = [[1, 2], [3, 4]] and every X."""
    K = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    K2 = _as_kernel(K2)
    if K2 is None or tuple(K2.shape) != (2, 2):
        return report(False, "K2 must be a 2×2 tensor such as torch.tensor([[1.0, 2.0], [3.0, 4.0]]).")
    if torch.equal(K2, torch.flip(K, dims=(0, 1))):
        return report(True, "", "Correct: convolution flips the kernel, so a flipped K undoes it.")
    if torch.equal(K2, K):
        return report(False, "convolve2d flips its kernel in both directions before it correlates; with K2 = K "
                             "it correlates with the flipped K instead.")
    if torch.equal(K2, torch.flip(K, dims=(0,))) or torch.equal(K2, torch.flip(K, dims=(1,))):
        return report(False, "You flipped one direction only; convolution flips rows and columns.")
    return report(False, "Try convolve2d(X, K2) on the notes' 3×3 X and compare with corr2d(X, K).")


# ---- 03 padding and stride ----


@exercise("03.1", '''
# Output = n + 2p - k + 1 with stride 1; keeping n needs 2p = k - 1, so p = (5 - 1) / 2 = 2.
padding = 2
''')
def check_same_padding(padding: object) -> bool:
    """03.1: the padding that keeps a 28×28 image 28×28 under a 5×5 kernel with stride 1."""
    from cnnlib.ops import conv_output_shape

    pair = isinstance(padding, (tuple, list)) and len(padding) == 2 and padding[0] == padding[1]
    p = padding[0] if pair else padding
    if not _is_whole(p) or int(p) < 0:
        return report(False, f"padding must be a whole number >= 0 (or a pair of equal ones), got {padding!r}.")
    p = int(p)
    out = conv_output_shape(28, 5, p, 1) if 28 + 2 * p >= 5 else None
    hint = (f"With padding {p} the output is {out[0]}×{out[1]}. " if out else "") + (
        "The output size is n + 2p − k + 1 with stride 1; solve 28 + 2p − 5 + 1 = 28.")
    return report(out == (28, 28), hint, "Correct: padding (k − 1) / 2 = 2 keeps the size, for any odd k.")


@exercise("03.2", '''
# floor((32 + 2p - 3) / s) + 1 = 16: halving needs s = 2, then floor((29 + 2p) / 2) = 15 gives p = 1.
padding, stride = 1, 2
''')
def check_halving(answer: object) -> bool:
    """03.2: (padding, stride) that turn a 32×32 input into 16×16 under a 3×3 kernel (checked with nn.Conv2d)."""
    if not isinstance(answer, (tuple, list)) or len(answer) != 2 or not all(_is_whole(v) for v in answer):
        return report(False, f"Answer with two whole numbers (padding, stride), e.g. (0, 1); got {answer!r}.")
    p, s = int(answer[0]), int(answer[1])
    if p < 0 or s < 1:
        return report(False, f"padding must be >= 0 and stride >= 1, got padding {p}, stride {s}.")
    X = torch.zeros((1, 1, 32, 32))
    out = tuple(nn.Conv2d(1, 1, kernel_size=3, padding=p, stride=s)(X).shape[2:])
    return report(out == (16, 16), f"nn.Conv2d(1, 1, kernel_size=3, padding={p}, stride={s}) turns 32×32 into "
                                   f"{out[0]}×{out[1]}. Use ⌊(n + 2p − k) / s⌋ + 1 = 16.",
                  f"Correct: padding {p} and stride {s} halve 32×32 to 16×16.")


@exercise("03.3", '''
from cnnlib.ops import corr2d

def strided(X, K, s):
    """corr2d with stride s = corr2d with stride 1, keeping every s-th row and column."""
    return corr2d(X, K)[::s, ::s]
''')
def check_strided(strided: Callable) -> bool:
    """03.3: strided(X, K, s) built from corr2d (stride 1) and slicing equals corr2d(X, K, stride=s)."""
    from cnnlib.ops import corr2d

    if not callable(strided):
        return report(False, f"Pass your function itself (strided, no brackets), got {type(strided).__name__}.")
    g = torch.Generator().manual_seed(0)
    for (h, w), (kh, kw), s in (((8, 8), (3, 3), 2), ((7, 9), (2, 3), 3), ((6, 6), (3, 3), 1), ((9, 5), (1, 2), 4)):
        X, K = torch.randn((h, w), generator=g), torch.randn((kh, kw), generator=g)
        want = corr2d(X, K, stride=s)
        try:
            got = strided(X, K, s)
        except Exception as e:  # the student's code: show the error instead of a traceback
            return report(False, f"strided(X, K, {s}) for X {h}×{w}, K {kh}×{kw} raised {type(e).__name__}: {e}")
        if not isinstance(got, torch.Tensor) or got.shape != want.shape:
            shape = tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
            return report(False, f"For X {h}×{w}, K {kh}×{kw}, stride {s} the output should have shape "
                                 f"{tuple(want.shape)}, got {shape}. Keep every s-th row and column, from 0.")
        if not torch.allclose(got, want, atol=1e-5):
            return report(False, f"Right shape, wrong values for X {h}×{w}, K {kh}×{kw}, stride {s}: "
                                 f"Y[i, j] with stride s is the stride-1 output at (i·s, j·s).")
    return report(True, "", "Correct: stride s computes every s-th output of stride 1, and skips the rest.")


# ---- 04 channels ----

@exercise("04.1", """
# Each of the c_o = 16 output channels has one k_h x k_w = 5 x 5 kernel slice per input channel (c_i = 3),
# plus one bias: c_o*c_i*k_h*k_w + c_o.
answer = 16 * 3 * 5 * 5 + 16  # 1216
""")
def check_conv_params(answer: object) -> bool:
    """04.1: the number of parameters of nn.Conv2d(3, 16, kernel_size=5)."""
    if isinstance(answer, bool) or not isinstance(answer, int):
        return report(False, f"Answer should be a whole number (an int), got {type(answer).__name__} {answer!r}.")
    hints = {16 * 3 * 5 * 5: "That counts the weights; each output channel also has one bias.",
             16 * 5 * 5 + 16: "Each output channel has a 5x5 kernel slice for EVERY input channel (c_i = 3).",
             3 * 5 * 5 + 1: "That is one output channel; nn.Conv2d(3, 16, ...) has c_o = 16 of them."}
    return report(answer == 16 * 3 * 5 * 5 + 16,
                  hints.get(answer, "Use c_o·c_i·k_h·k_w + c_o with c_i = 3, c_o = 16, k_h = k_w = 5."),
                  "Correct: 16·3·5·5 weights + 16 biases = 1216.")


@exercise("04.2", """
import torch

K = torch.tensor([[1 / 3, 1 / 3, 1 / 3],  # output channel 0: the mean of red, green and blue
                  [1.0, 0.0, -1.0]])      # output channel 1: red minus blue
K = K.reshape(2, 3, 1, 1)                 # (c_o, c_i, k_h, k_w)
""")
def check_channel_mixer(K: object) -> bool:
    """04.2: a 1x1 kernel K (2, 3, 1, 1): output 0 = mean of the RGB channels, output 1 = red - blue."""
    import torch

    if not isinstance(K, torch.Tensor):
        return report(False, f"K should be a torch.Tensor, got {type(K).__name__}.")
    if tuple(K.shape) != (2, 3, 1, 1):
        return report(False, f"K has shape {tuple(K.shape)}; a 1x1 convolution from 3 to 2 channels needs "
                             f"(c_o, c_i, k_h, k_w) = (2, 3, 1, 1), e.g. K.reshape(2, 3, 1, 1).")
    W = K.detach().float().reshape(2, 3)  # (c_o, c_i): the matrix of the 1x1 convolution
    if not torch.allclose(W[0], torch.full((3,), 1 / 3), atol=1e-4):
        return report(False, f"Output channel 0 gets the weights K[0, :, 0, 0] = {W[0].tolist()}; "
                             f"the mean of three channels weighs each by 1/3.")
    if not torch.allclose(W[1], torch.tensor([1.0, 0.0, -1.0]), atol=1e-4):
        return report(False, f"Output channel 1 gets the weights K[1, :, 0, 0] = {W[1].tolist()}; "
                             f"red minus blue is +1 for channel 0 (red), 0 for green, -1 for channel 2 (blue).")
    return report(True, "", "Correct: a 1x1 convolution mixes the channels of each pixel with one small matrix.")


@exercise("04.3", """
def conv_mults(c_i, c_o, h, w, k_h, k_w):
    # Each of the c_o * (h - k_h + 1) * (w - k_w + 1) outputs is a sum of c_i * k_h * k_w products.
    return c_o * (h - k_h + 1) * (w - k_w + 1) * c_i * k_h * k_w
""")
def check_conv_mults(conv_mults: object) -> bool:
    """04.3: conv_mults(c_i, c_o, h, w, k_h, k_w), the multiplications of corr2d_multi_in_out (no padding, stride 1)."""
    if not callable(conv_mults):
        return report(False, f"Conv_mults should be a function, got {type(conv_mults).__name__}.")
    cases = [(2, 3, 3, 3, 2, 2), (3, 64, 32, 32, 3, 3), (1, 1, 5, 7, 1, 3), (16, 8, 10, 12, 5, 4)]
    for c_i, c_o, h, w, k_h, k_w in cases:
        want = c_o * (h - k_h + 1) * (w - k_w + 1) * c_i * k_h * k_w
        try:
            got = conv_mults(c_i, c_o, h, w, k_h, k_w)
        except Exception as err:  # a student's function may fail in any way: say how, never raise
            return report(False, f"Conv_mults{(c_i, c_o, h, w, k_h, k_w)} raised {type(err).__name__}: {err}")
        if got != want:
            hint = f"conv_mults{(c_i, c_o, h, w, k_h, k_w)} returned {got!r}, expected {want}. "
            if got == c_o * h * w * c_i * k_h * k_w:
                hint += "The kernel fits at only (h - k_h + 1) x (w - k_w + 1) positions, not h x w."
            else:
                hint += "Count outputs (c_o maps of (h - k_h + 1) x (w - k_w + 1)) times products per output."
            return report(False, hint)
    return report(True, "", "Correct: the cost grows with c_i·c_o, so channels, not pixels, dominate deep layers.")


# ---- 05 pooling ----

@exercise("05.1", """
# Pooling keeps the batch and the channels; each spatial side becomes floor((n + 2p - k) / s) + 1.
answer = (1, 3, (32 + 2 * 1 - 3) // 2 + 1, (32 + 2 * 1 - 3) // 2 + 1)  # (1, 3, 16, 16)
""")
def check_pool_output_shape(answer: object) -> bool:
    """05.1: the shape of nn.MaxPool2d(3, stride=2, padding=1)(X) for X of shape (1, 3, 32, 32)."""
    try:
        shape = tuple(int(v) for v in answer)
    except (TypeError, ValueError):
        return report(False, f"Answer should be a shape such as (1, 1, 4, 4), got {answer!r}.")
    if len(shape) != 4:
        return report(False, f"{shape} has {len(shape)} numbers; X has 4 dimensions (batch, channels, height, "
                             f"width) and pooling keeps all four.")
    if shape[:2] != (1, 3):
        return report(False, f"Pooling works on each channel separately: batch and channels stay (1, 3), "
                             f"you have {shape[:2]}.")
    if shape[2:] == (30, 30) or shape[2:] == (32, 32):
        return report(False, "The stride is 2, so each side roughly halves: floor((n + 2p - k) / s) + 1.")
    return report(shape == (1, 3, 16, 16), "Use floor((n + 2p - k) / s) + 1 with n = 32, p = 1, k = 3, s = 2.",
                  "Correct: floor((32 + 2 - 3) / 2) + 1 = 16, channels unchanged.")


@exercise("05.2", """
import torch

K = torch.full((2, 2), 1 / 4)  # every value of the 2x2 window gets weight 1/4: their sum is their mean
""")
def check_avg_pool_kernel(K: object) -> bool:
    """05.2: a kernel K with corr2d(X, K) == pool2d(X, (2, 2), 'avg') for every X."""
    import torch

    from cnnlib.ops import corr2d, pool2d

    if not isinstance(K, torch.Tensor):
        return report(False, f"K should be a torch.Tensor, got {type(K).__name__}.")
    if tuple(K.shape) != (2, 2):
        return report(False, f"K has shape {tuple(K.shape)}; it must cover the same 2x2 window as the pooling.")
    X = torch.arange(20, dtype=torch.float32).reshape(4, 5) ** 1.5  # any X will do; this one is not symmetric
    ok = torch.allclose(corr2d(X, K.float()), pool2d(X, (2, 2), "avg"), atol=1e-4)
    hint = (f"The weights of K add up to {K.sum().item():g}; a mean of 4 values is their sum divided by 4."
            if abs(K.sum().item() - 1) > 1e-4 else "Every value in the window should count equally.")
    return report(ok, hint, "Correct: average pooling is a convolution with a fixed kernel (max pooling is not).")


@exercise("05.3", """
from cnnlib.ops import pool2d

def global_avg_pool(X):
    # One window as large as the whole image: each channel becomes the mean of its values.
    Y = pool2d(X, X.shape[-2:], 'avg')  # (N, C, 1, 1)
    return Y.reshape(X.shape[:2])       # (N, C)
""")
def check_global_avg_pool(global_avg_pool: object) -> bool:
    """05.3: global_avg_pool(X) with X (N, C, H, W) -> (N, C): the mean of every channel of every example."""
    import torch

    if not callable(global_avg_pool):
        return report(False, f"Global_avg_pool should be a function, got {type(global_avg_pool).__name__}.")
    gen = torch.Generator().manual_seed(0)
    for shape in [(1, 1, 4, 4), (2, 3, 5, 7), (4, 8, 3, 2)]:
        X = torch.randn(shape, generator=gen)
        want = torch.nn.AdaptiveAvgPool2d(1)(X).reshape(shape[:2])  # (N, C)
        try:
            got = global_avg_pool(X)
        except Exception as err:  # a student's function may fail in any way: say how, never raise
            return report(False, f"Global_avg_pool on X of shape {shape} raised {type(err).__name__}: {err}")
        if not isinstance(got, torch.Tensor) or tuple(got.shape) != shape[:2]:
            got_shape = tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
            return report(False, f"For X of shape {shape} the result should have shape (N, C) = {shape[:2]}, "
                                 f"got {got_shape}; reshape the (N, C, 1, 1) output.")
        if not torch.allclose(got, want, atol=1e-5):
            return report(False, f"For X of shape {shape} the values differ from the mean of each channel; "
                                 f"use a pooling window as large as the image, X.shape[-2:].")
    return report(True, "", "Correct: one window over the whole image, as in ResNet's last layers.")


# ---- 06 LeNet ----

def _call(fn: Callable, *args: object) -> tuple[bool, object]:
    """Run the student's function; (True, result) or (False, a message naming the error)."""
    try:
        return True, fn(*args)
    except Exception as e:  # the student's code: report the error instead of a traceback
        return False, f"{type(e).__name__}: {e}"


def _test_confusions() -> list[torch.Tensor]:
    """Small confusion matrices (row = true, column = predicted) for the 06 checks."""
    g = torch.Generator().manual_seed(6)
    cms = [torch.tensor([[5, 1, 0], [2, 7, 0], [0, 4, 9]]), torch.tensor([[3, 0], [0, 1]])]
    cms += [torch.randint(0, 20, (4, 4), generator=g) + 30 * torch.eye(4, dtype=torch.int64) for _ in range(3)]
    return cms


@exercise("06.1", """
# nn.Conv2d(1, 6, kernel_size=5): each of the 6 output channels has one 5x5 kernel per input channel and one bias.
answer = 6 * 1 * 5 * 5 + 6  # 150 weights + 6 biases = 156
# check: count_parameters(model.net[0]) for a materialized LeNet
""")
def check_lenet_conv1_parameters(answer: object) -> bool:
    """06.1: the number of learnable numbers in LeNet's first layer, Conv2d(1 -> 6, 5x5)."""
    if not _is_whole(answer):
        return report(False, _whole_hint(answer))
    hints = {150: "That counts the weights. Each of the 6 output channels also learns one bias.",
             25: "That is one 5×5 kernel; there are 6 output channels, each with its own kernel and bias.",
             31: "That is one kernel and one bias; there are 6 output channels."}
    answer = int(answer)
    return report(answer == 156, hints.get(answer, "Count C_out × C_in × 5 × 5 weights plus C_out biases."),
                  "Correct: 156 numbers, shared across all 28×28 positions of the image.")


@exercise("06.2", """
def accuracy_from_confusion(cm):
    \"\"\"Accuracy from a confusion matrix (row = true class, column = predicted): correct / all.\"\"\"
    return (cm.diagonal().sum() / cm.sum()).item()  # the diagonal holds the correct predictions
""")
def check_accuracy_from_confusion(accuracy_from_confusion: Callable) -> bool:
    """06.2: accuracy_from_confusion(cm) returns the fraction of correct predictions as a float."""
    if not callable(accuracy_from_confusion):
        return report(False, f"Pass your function itself (no brackets), got {type(accuracy_from_confusion).__name__}.")
    for cm in _test_confusions():
        want = cm.diagonal().sum().item() / cm.sum().item()
        ok, got = _call(accuracy_from_confusion, cm.clone())
        if not ok:
            return report(False, f"accuracy_from_confusion raised {got}")
        try:
            got = float(got)
        except (TypeError, ValueError):
            return report(False, f"Return one number (a float between 0 and 1), got {type(got).__name__}.")
        if abs(got - want) > 1e-6:
            return report(False, f"For cm = {cm.tolist()} the accuracy is {want:.4f}, you returned {got:.4f}. "
                                 "Correct predictions sit on the diagonal (true class = predicted class).")
    return report(True, "", "Correct: the trace over the total. The off-diagonal cells say which mistakes are made.")


@exercise("06.3", """
def most_confused(cm, classes):
    \"\"\"The (true class, predicted class) names of the largest off-diagonal cell of cm.\"\"\"
    off = cm.clone()
    off.fill_diagonal_(-1)                      # ignore the correct predictions
    i, j = divmod(int(off.argmax()), cm.shape[1])  # argmax of the flattened matrix -> (row, column)
    return classes[i], classes[j]
""")
def check_most_confused(most_confused: Callable) -> bool:
    """06.3: most_confused(cm, classes) names the (true, predicted) pair the model mixes up most often."""
    if not callable(most_confused):
        return report(False, f"Pass your function itself (no brackets), got {type(most_confused).__name__}.")
    for cm in _test_confusions():
        classes = [f"class {k}" for k in range(len(cm))]
        off = cm.clone()
        off.fill_diagonal_(-1)
        i, j = divmod(int(off.argmax()), cm.shape[1])
        ok, got = _call(most_confused, cm.clone(), classes)
        if not ok:
            return report(False, f"most_confused raised {got}")
        if got == (classes[j], classes[i]) and i != j:
            return report(False, "You have the pair the wrong way round: rows are the TRUE class, columns the "
                                 "PREDICTED class; return (true, predicted).")
        if not isinstance(got, (tuple, list)) or tuple(got) != (classes[i], classes[j]):
            hint = (" The largest cell overall is on the diagonal (the correct predictions): leave it out."
                    if isinstance(got, (tuple, list)) and len(got) == 2 and got[0] == got[1] else "")
            return report(False, f"For cm = {cm.tolist()} the answer is {(classes[i], classes[j])}, you returned "
                                 f"{got!r}.{hint}")
    return report(True, "", "Correct: on Fashion-MNIST it is usually Shirt, mixed up with T-shirt/top, Pullover or Coat.")


# ---- 07 VGG ----

@exercise("07.1", """
# A stack of n 3x3 convolutions (stride 1) sees 1 + 2n pixels; with c channels in and out each has 9 c^2 weights.
field = 1 + 3 * (3 - 1)  # 7: the field grows by k - 1 = 2 per layer
answer = (field, 3 * 9, 7 * 7)  # (7, 27, 49) weights per c^2: three 3x3 convs need 45% fewer than one 7x7
# check: cnnlib.features.conv_stack(3, 3, 1) == (7, 27) and conv_stack(1, 7, 1) == (7, 49)
""")
def check_three_3x3_vs_7x7(answer: object) -> bool:
    """07.1: (receptive field of three stacked 3x3 convs, their weights per c^2, the weights per c^2 of one 7x7)."""
    try:
        got = tuple(int(v) for v in answer)
    except (TypeError, ValueError):
        return report(False, f"Answer with a tuple of three whole numbers (field, weights_3x3_stack, "
                             f"weights_7x7), got {answer!r}.")
    if len(got) != 3:
        return report(False, f"Give three numbers (field, weights_3x3_stack, weights_7x7), got {len(got)}.")
    field, stack, big = got
    if field != 7:
        hint = (" Each 3×3 layer adds k - 1 = 2 pixels to the field, not 3: the field of one 3×3 is 3, of two is 5."
                if field == 9 else " Start from 1 pixel and add k - 1 = 2 for each of the three layers.")
        return report(False, f"The receptive field is not {field}.{hint}")
    if stack != 27:
        return report(False, f"Three 3×3 convs with c channels in and out hold 3 × 9 c² weights; you have {stack} c².")
    if big != 49:
        return report(False, f"One 7×7 conv with c channels in and out holds 49 c² weights; you have {big} c².")
    return report(True, "", "Correct: the same 7×7 view for 27 c² instead of 49 c² weights, with two extra "
                            "non-linearities in between.")


@exercise("07.2", """
# Every output number (64 channels x 56 x 56 positions) is a sum over 64 input channels x 3 x 3 taps.
answer = (64 * 56 * 56) * (64 * 3 * 3)  # 115,605,504 multiply-adds for one image
""")
def check_conv_macs(answer: object) -> bool:
    """07.2: multiply-adds of nn.Conv2d(64, 64, kernel_size=3, padding=1) on one 64x56x56 input."""
    if not _is_whole(answer):
        return report(False, _whole_hint(answer))
    answer = int(answer)
    want = 64 * 56 * 56 * 64 * 9
    hints = {64 * 64 * 9: "That is the number of weights. Each weight is used once per output position (56 × 56).",
             64 * 56 * 56 * 9: "Each output number sums over ALL 64 input channels, each with a 3×3 kernel.",
             54 * 54 * 64 * 64 * 9: "padding=1 keeps the map at 56×56."}
    return report(answer == want, hints.get(answer, "Count output numbers (C_out × H × W) times the work for "
                                                    "each (C_in × 3 × 3)."),
                  "Correct: 115.6 million multiply-adds from only 36,928 parameters; early VGG layers are costly.")


@exercise("07.3", """
# Each VGG block halves the side (floor): 28 -> 14 -> 7 -> 3 -> 1 -> 0. Four blocks leave 1x1; a fifth leaves nothing.
side, answer = 28, 0
while side // 2 >= 1:
    side, answer = side // 2, answer + 1
# answer == 4
""")
def check_max_vgg_blocks(answer: object) -> bool:
    """07.3: the most VGG blocks a 28x28 image can pass through (each halves the side, rounding down)."""
    if not _is_whole(answer):
        return report(False, _whole_hint(answer))
    answer = int(answer)
    if answer == 5:
        return report(False, "28 → 14 → 7 → 3 → 1 → 0: the fifth max-pool has no 2×2 window left (VGG raises an "
                             "error for it). Try VGG(((1, 8),) * 5) on a (1, 1, 28, 28) input.")
    return report(answer == 4, "Halve 28 and round down until the side would become 0; count the halvings.",
                  "Correct: 28 → 14 → 7 → 3 → 1. That is why the notes resize Fashion-MNIST to 224×224 for VGG-11.")


# ---- 08 ResNet ----

@exercise("08.1", """
# strides=2 halves H and W (32 -> 16); the block outputs num_channels = 16 channels; the batch stays 2.
answer = (2, 16, 16, 16)
# check: Residual(16, use_1x1conv=True, strides=2)(torch.randn(2, 8, 32, 32)).shape
""")
def check_residual_shape(answer: object) -> bool:
    """08.1: the output shape of Residual(16, use_1x1conv=True, strides=2) on X of shape (2, 8, 32, 32)."""
    try:
        shape = tuple(int(v) for v in answer)
    except (TypeError, ValueError):
        return report(False, f"Answer with a shape such as (2, 8, 32, 32), got {answer!r}.")
    if len(shape) != 4:
        return report(False, f"{shape} has {len(shape)} numbers; the output is (batch, channels, height, width).")
    if shape[1] == 8:
        return report(False, "The block outputs num_channels = 16 channels; the 1×1 conv turns X's 8 into 16 too.")
    if shape[2:] == (32, 32):
        return report(False, "strides=2 is applied by conv1 (and by the 1×1 conv on the shortcut): H and W halve.")
    return report(shape == (2, 16, 16, 16), "Batch stays, channels become num_channels, H and W are divided by strides.",
                  "Correct: (2, 16, 16, 16), like the notes' torch.Size([4, 6, 3, 3]) example.")


@exercise("08.2", """
from cnnlib.models import Residual

def make_residual(in_channels, out_channels, strides=1):
    \"\"\"A Residual block from in_channels to out_channels; a 1x1 conv on the shortcut only where shapes differ.\"\"\"
    needs_1x1 = in_channels != out_channels or strides != 1
    return Residual(out_channels, use_1x1conv=needs_1x1, strides=strides)
""")
def check_make_residual(make_residual: Callable) -> bool:
    """08.2: make_residual(in_channels, out_channels, strides) uses the 1x1 shortcut conv exactly when needed."""
    if not callable(make_residual):
        return report(False, f"Pass your function itself (no brackets), got {type(make_residual).__name__}.")
    for c_in, c_out, s in ((8, 8, 1), (8, 16, 1), (8, 8, 2), (4, 12, 2)):
        ok, blk = _call(make_residual, c_in, c_out, s)
        if not ok:
            return report(False, f"make_residual({c_in}, {c_out}, {s}) raised {blk}")
        if not isinstance(blk, nn.Module):
            return report(False, f"make_residual must return a block (an nn.Module), got {type(blk).__name__}.")
        ok, Y = _call(blk, torch.randn(2, c_in, 8, 8))
        if not ok:
            return report(False, f"The block for ({c_in} -> {c_out}, strides={s}) fails on a (2, {c_in}, 8, 8) "
                                 f"input: {Y}")
        if tuple(Y.shape) != (2, c_out, 8 // s, 8 // s):
            return report(False, f"for ({c_in} -> {c_out}, strides={s}) the output should be "
                                 f"{(2, c_out, 8 // s, 8 // s)}, got {tuple(Y.shape)}.")
        has_1x1 = getattr(blk, "conv3", None) is not None
        if c_in == c_out and s == 1 and has_1x1:
            return report(False, f"({c_in} -> {c_out}, strides=1) keeps the shape, so the shortcut should be X "
                                 "itself (use_1x1conv=False): the identity is what lets gradients flow freely.")
    return report(True, "", "Correct: identity shortcuts where shapes match, a 1×1 conv only where they change.")


@exercise("08.3", """
from torch import nn
from cnnlib.models import ResNet18, materialize

model = materialize(ResNet18(), (1, 1, 96, 96))
convs = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.kernel_size != (1, 1)]
linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
answer = len(convs) + len(linears)  # 1 stem conv + 16 convs in 8 blocks + 1 Linear = 18
""")
def check_resnet18_depth(answer: object) -> bool:
    """08.3: the number of weight layers on ResNet-18's main path (3x3/7x7 convs plus the Linear layer)."""
    if not _is_whole(answer):
        return report(False, _whole_hint(answer))
    answer = int(answer)
    hints = {21: "The three 1×1 convs sit on shortcuts, not on the main path: leave them out.",
             20: "Close: are the three 1×1 shortcut convs in your count, and the final Linear layer out?",
             17: "Don't forget the final Linear layer: it has weights too.",
             16: "Count the stem's 7×7 conv and the final Linear layer as well as the 16 convs of the 8 blocks."}
    return report(answer == 18, hints.get(answer, "Count nn.Conv2d layers whose kernel is not 1×1, plus nn.Linear."),
                  "Correct: 1 + 8 × 2 + 1 = 18 layers with weights on the main path; hence the name.")


# ---- 09 CIFAR-10 MLP baseline ----

@exercise("09.1", """
# Linear(3072, 100): 3072 x 100 weights + 100 biases; Linear(100, 10): 100 x 10 weights + 10 biases.
answer = (3 * 32 * 32 * 100 + 100) + (100 * 10 + 10)  # 307,300 + 1,010 = 308,310
# check: count_parameters(mlp_baseline())
""")
def check_mlp_parameters(answer: object) -> bool:
    """09.1: the number of learnable parameters of the notes' MLP, Linear(3072, 100) -> ReLU -> Linear(100, 10)."""
    if not _is_whole(answer):
        return report(False, _whole_hint(answer))
    answer = int(answer)
    hints = {3072 * 100 + 100 * 10: "That counts the weights; each Linear layer also has one bias per output.",
             307_300: "That is the first layer only; add Linear(100, 10) too."}
    return report(answer == 308_310, hints.get(answer, "Add up (inputs × outputs + outputs) for both Linear layers."),
                  "Correct: 308,310, and 99.7% of them are in the first layer, one weight per pixel and unit.")


@exercise("09.2", """
def normalize(X, mean, std):
    \"\"\"Per-channel normalisation of images X (N, C, H, W) with C means and C stds.\"\"\"
    mean = torch.tensor(mean).view(1, -1, 1, 1)  # (1, C, 1, 1): broadcasts over N, H and W
    std = torch.tensor(std).view(1, -1, 1, 1)
    return (X - mean) / std
""")
def check_normalize(normalize: Callable) -> bool:
    """09.2: normalize(X, mean, std) subtracts each channel's mean and divides by its std, X of shape (N, C, H, W)."""
    if not callable(normalize):
        return report(False, f"Pass your function itself (no brackets), got {type(normalize).__name__}.")
    g = torch.Generator().manual_seed(9)
    X = torch.rand(4, 3, 5, 6, generator=g)
    mean, std = [0.4914, 0.4822, 0.4465], [0.2470, 0.2435, 0.2616]
    want = (X - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)
    ok, got = _call(normalize, X.clone(), mean, std)
    if not ok:
        hint = (" A tensor of shape (3,) lines up with the LAST dimension (width); reshape mean and std to "
                "(1, 3, 1, 1) so they line up with the channels." if "size of tensor" in str(got) else "")
        return report(False, f"normalize raised {got}.{hint}")
    if not isinstance(got, torch.Tensor) or got.shape != X.shape:
        return report(False, f"Return a tensor of X's shape {tuple(X.shape)}, got "
                             f"{tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__}.")
    if not torch.allclose(got, want, atol=1e-5):
        return report(False, "Each channel c needs (X[:, c] - mean[c]) / std[c]. Reshape mean and std to "
                             "(1, C, 1, 1) so that they broadcast over the channel dimension.")
    return report(True, "", "Correct: each channel now has mean 0 and std 1 over the training set.")


@exercise("09.3", """
import torch.nn.functional as F

def shift_right(X, k):
    \"\"\"Move images X (N, C, H, W) k pixels to the right; zeros come in on the left, the right edge falls off.\"\"\"
    W = X.shape[-1]
    return F.pad(X, (k, 0))[..., :W]  # pad k zero columns on the left, keep the first W columns
""")
def check_shift_right(shift_right: Callable) -> bool:
    """09.3: shift_right(X, k) moves images k pixels right with zeros coming in (not wrapping around)."""
    from cnnlib.features import shift_images

    if not callable(shift_right):
        return report(False, f"Pass your function itself (no brackets), got {type(shift_right).__name__}.")
    g = torch.Generator().manual_seed(9)
    X = torch.randn(2, 3, 6, 7, generator=g)
    for k in (0, 1, 3):
        ok, got = _call(shift_right, X.clone(), k)
        if not ok:
            return report(False, f"shift_right(X, {k}) raised {got}")
        if not isinstance(got, torch.Tensor) or got.shape != X.shape:
            return report(False, f"shift_right must keep the shape {tuple(X.shape)}, got "
                                 f"{tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__}.")
        if k and torch.allclose(got, torch.roll(X, k, dims=3)):
            return report(False, "torch.roll wraps the right edge around to the left; here the pixels that leave "
                                 "should be lost and zeros should come in.")
        if k and torch.allclose(got, shift_images(X, -k)):
            return report(False, "That moves the image to the LEFT; move it right (column j goes to j + k).")
        if not torch.allclose(got, shift_images(X, k)):
            return report(False, f"For k = {k}, column j of the result should be column j - {k} of X "
                                 "(zeros where j < k).")
    return report(True, "", "Correct: a 1-pixel shift moves every input of the MLP to a different weight.")

