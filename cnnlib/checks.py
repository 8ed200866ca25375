"""Self-checks for the exercises: `check_...(answer)` prints ✓ or ✗ with one sentence and returns True or False.

Each exercise has a key like "02.1" (notebook 02, exercise 1), a check and a worked solution kept as source code, so
that `show_solution("02.1")` can print it and the tests can run it through its own check. A check never raises:
whatever a student passes (text, NaN, 16.5, a function that fails) gets one sentence saying what to change. Numbers
are read by cnnlib's one rule (cnnlib._check): 1216, 1216.0, np.int64(1216) and torch.tensor(1216) are one answer.
"""
from __future__ import annotations

import numbers
from typing import Callable, Optional

import numpy as np
import torch
from torch import Tensor, nn

from cnnlib import _check
from cnnlib.ops import convolve1d, corr2d, corr2d_strided

_SOLUTIONS: dict[str, str] = {}
_CHECKS: dict[str, Callable[..., bool]] = {}
_LARGEST = 10 ** 12  # far above every answer here (the largest is 115,605,504); a bigger number is a slip, not a count
_STILL_NONE = "{name} is still None: replace None with your answer."  # the placeholder of most answer cells


def _report(ok: bool, hint: str, praise: str = "Correct!") -> bool:
    """Print ✓ with praise when ok, else ✗ with a hint; return ok (so tests can use it)."""
    print(f"✓ {praise}" if ok else f"✗ Not yet. {hint}")
    return bool(ok)


def _exercise(key: str, solution: str) -> Callable[[Callable[..., bool]], Callable[..., bool]]:
    """Register a check function under `key` together with its worked solution (source code)."""
    def register(check: Callable[..., bool]) -> Callable[..., bool]:
        _CHECKS[key] = check
        _SOLUTIONS[key] = solution.strip("\n")
        return check
    return register


def show_solution(key: str) -> None:
    """Print the worked solution of exercise `key`, e.g. show_solution("02.1")."""
    if not isinstance(key, str) or key not in _SOLUTIONS:  # a typo in a notebook cell gets a sentence, not a traceback
        print(f"There is no exercise {_quote(key)}; the exercises are {', '.join(sorted(_SOLUTIONS))}.")
        return
    print(_SOLUTIONS[key])


# ---- reading an answer: one helper per kind of value, each (value, "") or (None, the sentence saying why not) ----

def _quote(value: object) -> str:
    """What a message may say about a student's value: its shape if it is an array, else its type and repr's start."""
    if isinstance(value, (Tensor, np.ndarray)) and value.ndim > 0:
        return f"a {'tensor' if isinstance(value, Tensor) else 'NumPy array'} of shape {tuple(value.shape)}"
    try:
        return f"{type(value).__name__} {' '.join(_check.short(value, 40).split())}"  # one line, whatever repr gives
    except Exception:  # an int of thousands of digits (Python refuses to print it) or a repr that fails
        return "a number with thousands of digits" if isinstance(value, int) else f"a {type(value).__name__}"


def _sentence(error: Exception) -> str:
    """An argument error of cnnlib._check as a sentence (it starts with the name the student typed, e.g. padding)."""
    text = str(error)
    return text if text.endswith(".") else text + "."


def _whole(answer: object, name: str = "answer") -> tuple[Optional[int], str]:
    """answer as an int by the series' one rule for whole numbers (cnnlib._check.whole), or (None, why not)."""
    if answer is None:  # the notebooks' placeholder
        return None, _STILL_NONE.format(name=name)
    try:
        value = _check.whole(answer, name)
    except (TypeError, ValueError) as error:
        return None, _sentence(error)
    if abs(value) > _LARGEST:  # never printed: Python refuses to print an int of more than 4,300 digits
        return None, f"{name} is far larger than any count in this exercise; check the formula."
    return value, ""


def _real(answer: object, name: str = "answer") -> tuple[Optional[float], str]:
    """answer as a finite float (an int, float, NumPy scalar or one-element tensor), or (None, why not)."""
    try:
        return _check.number(answer, name), ""
    except (TypeError, ValueError) as error:
        return None, _sentence(error)
    except OverflowError:  # an int too large for a float
        return None, f"{name} is far too large to be this number."


def _wholes(answer: object, names: tuple[str, ...], example: str) -> tuple[Optional[tuple[int, ...]], str]:
    """answer (a tuple, list, torch.Size, 1-D tensor or array) as len(names) ints, each by _whole, or (None, why)."""
    if answer is None:
        return None, _STILL_NONE.format(name="answer")
    if not isinstance(answer, (tuple, list, Tensor, np.ndarray)) or getattr(answer, "ndim", 1) != 1:
        hint = "; pass its .shape" if getattr(answer, "ndim", 0) > 1 else ""  # the output itself instead of its shape
        return None, f"Answer with {len(names)} numbers such as {example}, got {_quote(answer)}{hint}."
    if len(answer) != len(names):
        return None, (f"Give {len(names)} numbers ({', '.join(names)}), such as {example}; you gave "
                      f"{len(answer)}.")
    values = []
    for name, value in zip(names, answer):
        value, why = _whole(value, name)
        if why:
            return None, why
        values.append(value)
    return tuple(values), ""


def _tensor(value: object, name: str, shape: tuple[Optional[int], ...], example: str) -> tuple[Optional[Tensor], str]:
    """value (a tensor, NumPy array or nested list of numbers) of the given shape (None: any size) as float64,
    or (None, why not)."""
    if value is None or isinstance(value, (str, bytes, bool)):
        return None, f"{name} must be a tensor such as {example}, got {_quote(value)}."
    try:
        X = value.detach() if isinstance(value, Tensor) else torch.as_tensor(value)
    except Exception:  # text inside a list, ragged lists, a dict: torch says "could not infer", we say what to pass
        return None, f"{name} must be a tensor such as {example}, got {_quote(value)}."
    if X.dtype == torch.bool or X.is_complex():
        return None, f"{name} must hold real numbers, got dtype {X.dtype}."
    if X.numel() == 0 or X.numel() > 10 ** 6:  # every tensor of these exercises has a few dozen numbers
        return None, f"{name} {'is empty' if X.numel() == 0 else 'is far too large'} (shape {tuple(X.shape)})."
    if X.ndim != len(shape) or any(want not in (None, got) for want, got in zip(shape, X.shape)):
        if None in shape:
            return None, f"{name} must be {len(shape)}-D, such as {example}, got shape {tuple(X.shape)}."
        hint = f"; reshape it with .reshape{shape}" if 1 < X.numel() == int(np.prod(shape)) else ""
        return None, f"{name} must have shape {shape}, got {tuple(X.shape)}{hint}."
    X = X.to("cpu", torch.float64)  # one dtype and device to compare with
    if not torch.isfinite(X).all():
        return None, f"{name} holds NaN or infinity; every entry must be a finite number."
    return X, ""


def _not_a_function(value: object, name: str) -> str:
    """"" for something callable, else the sentence asking for the function itself."""
    return "" if callable(value) else f"Pass your function itself ({name}, no brackets), got {_quote(value)}."


def _call(fn: Callable, call: str, *args: object) -> tuple[object, str]:
    """(fn(*args), "") or (None, one line naming what went wrong); `call` names the call, e.g. "strided(X, K, 2)"."""
    try:
        result = fn(*args)
    except Exception as error:  # the student's code may fail in any way: its error becomes a sentence
        first_line = (str(error).strip().splitlines() or [""])[0]
        first_line = first_line if len(first_line) <= 120 else first_line[:119] + "…"
        return None, f"{call} raised {type(error).__name__}: {first_line.rstrip('.')}."
    if result is None:
        return None, f"{call} returned None; does the function end with a return statement?"
    return result, ""


# ---- 01 convolution as a linear layer ----

@_exercise("01.1", '''
# nn.Linear(n_in, n_out) holds a weight matrix (n_out, n_in) and one bias per output.
n_in, n_out = 3 * 32 * 32, 100  # a flattened CIFAR-10 image -> 100 hidden units (the notes' MLP)
answer = n_in * n_out + n_out   # 307,200 weights + 100 biases = 307,300
''')
def check_linear_parameters(answer: object) -> bool:
    """01.1: the number of learnable parameters of nn.Linear(3*32*32, 100) (weights and biases)."""
    answer, why = _whole(answer)
    hints = {3 * 32 * 32 * 100: "That counts the weights. nn.Linear also learns one bias per output unit.",
             3 * 32 * 32: "That is the number of inputs; every one of the 100 outputs has its own weight for each.",
             3 * 32 * 32 + 100: "Weights multiply, they do not add: each (input, output) pair has one weight."}
    return _report(answer == 307_300, why or hints.get(answer, "Count the weight matrix (n_out × n_in) and the biases "
                                                              "(n_out); check with sum(p.numel() for p in "
                                                              "layer.parameters())."),
                   "Correct: 307,300 parameters, for one layer that sees each pixel on its own.")


@_exercise("01.2", '''
# In each direction, count how many of the 3 kernel taps land on real pixels (not padding) for each of the
# 6 output positions: 2, 3, 3, 3, 3, 2 -> 16. A 2-D window is a row window times a column window.
per_direction = 2 + 3 + 3 + 3 + 3 + 2
answer = per_direction ** 2  # 256
# or directly: answer = int((conv_matrix(torch.ones(3, 3), (6, 6), padding=1) != 0).sum())
''')
def check_conv_matrix_nonzeros(answer: object) -> bool:
    """01.2: the number of nonzero entries of conv_matrix(K, (6, 6), padding=1) for a 3×3 K without zeros."""
    answer, why = _whole(answer)
    hints = {36 * 9: "Not every row holds all 9 kernel entries: near the border some taps land on padding, and "
                     "W has no column for padding (padding is zero, so those taps contribute nothing).",
             16 * 9: "That is W without padding (4×4 outputs). With padding=1 the output is 6×6.",
             36 * 36: "That is the size of W (36×36), zeros included; count only the nonzero entries."}
    return _report(answer == 256, why or hints.get(answer, "Count per direction (how many of the 3 taps hit real "
                                                           "pixels at each of the 6 positions), then multiply; or "
                                                           "try the widget."),
                   "Correct: 256 of the 1,296 entries are nonzero (80% zeros).")


@_exercise("01.3", '''
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
    why = _not_a_function(conv1d_matrix, "conv1d_matrix")
    if why:
        return _report(False, why)
    g = torch.Generator().manual_seed(0)
    for n, m in ((5, 3), (4, 1), (6, 2), (3, 3)):
        x, w = torch.randn(n, generator=g), torch.randn(m, generator=g)
        call = f"conv1d_matrix(w, {n}) with len(w) = {m}"
        M, why = _call(conv1d_matrix, call, w.clone(), n)
        if not why:
            M, why = _tensor(M, f"The result of {call}", (n + m - 1, n), "torch.zeros(n + m - 1, n)")
        if why:
            return _report(False, why)
        if not torch.allclose(M @ x.double(), convolve1d(x, w).double(), atol=1e-5):
            return _report(False, f"M @ x differs from convolve1d(x, w) for n = {n}, len(w) = {m}. Column j of M "
                                  f"says where x[j] goes: y[i] = sum_k w[k] x[i - k], so x[j] reaches y[j + k] "
                                  f"with weight w[k].")
    return _report(True, "", "Correct: a 1-D convolution is a banded (Toeplitz) matrix; every column is w, shifted.")


# ---- 02 corr2d ----

def _edge_images() -> tuple[Tensor, Tensor]:
    """The notes' 6×8 image X (a dark band in the middle) and its edge map Y = corr2d(X, [[1, -1]]) (6×7), float64."""
    X = torch.ones((6, 8), dtype=torch.float64)
    X[:, 2:6] = 0
    return X, corr2d(X, torch.tensor([[1.0, -1.0]], dtype=torch.float64))


@_exercise("02.1", '''
import torch

# In X.t() the edges run horizontally: compare each pixel with the one BELOW it, i.e. a 2×1 kernel.
K_h = torch.tensor([[1.0], [-1.0]])  # corr2d(X.t(), K_h) == Y.t(): +1 where bright turns dark, -1 back
''')
def check_horizontal_edge_kernel(K_h: object) -> bool:
    """02.1: a kernel K_h with corr2d(X.t(), K_h) == Y.t() for the notes' X and Y = corr2d(X, [[1, -1]])."""
    K, why = _tensor(K_h, "K_h", (None, None), "torch.tensor([[1.0, 2.0]])")  # any 2-D size may be tried
    if why:
        return _report(False, why)
    X, Y = _edge_images()
    if K.shape[0] > 8 or K.shape[1] > 6:
        return _report(False, f"K_h is {K.shape[0]}×{K.shape[1]}, larger than X.t() (8×6).")
    out = corr2d(X.t(), K)
    if out.shape == Y.t().shape and torch.allclose(out, Y.t()):
        return _report(True, "", "Correct: a 2×1 kernel finds the horizontal edges, exactly Y transposed.")
    if out.shape == Y.t().shape and torch.allclose(out, -Y.t()):
        return _report(False, "Right shape, opposite signs: Y is +1 where bright (1) turns dark (0) going down.")
    if tuple(K.shape) == (1, 2):
        return _report(False, "A 1×2 kernel compares left and right neighbours, and along each row of X.t() "
                              "nothing changes. The edges of X.t() lie between rows: use a 2×1 kernel.")
    return _report(False, f"corr2d(X.t(), K_h) has shape {tuple(out.shape)} and should equal Y.t() "
                          f"(shape {tuple(Y.t().shape)}). Compare each pixel with the one below it.")


def _not_gradient_descent(k: Tensor, g: Tensor, losses: list[float], lr: float) -> str:
    """"" when the final kernel k (2,), the gradient g (2,) of the last step and the losses are what train_kernel
    leaves after gradient descent with lr on X.t() -> Y.t(), else the sentence saying what does not fit.

    The traces are exact here because the loss L(k) = |A k - b|^2 is quadratic (A: the 42 windows of X.t(), b: Y.t(),
    k* = [1, -1] its minimum, gradient 2 H (k - k*) with H = A^T A). (1) The gradient gives the kernel it was taken
    at, k_prev = k* + (2H)^-1 g; one step k_prev - lr g must land on k. (2) The last loss must be L(k_prev). (3) Each
    loss must be between rho_min and rho_max times the one before, the only ratios gradient descent with this lr can
    produce (rho = (1 - 2 lr h)^2 for the eigenvalues h of H). (4) The first loss must be above 0.5: training started
    from a random kernel (every initial kernel of nn.Conv2d has a loss above 1), not next to the answer.
    """
    X, _ = _edge_images()
    A = torch.stack((X.t()[:-1].flatten(), X.t()[1:].flatten()), 1)  # (42, 2): one row per 2×1 window of X.t()
    H, k_best = A.T @ A, torch.tensor([1.0, -1.0], dtype=torch.float64)  # A k_best is Y.t(), flattened
    k_prev = k_best + torch.linalg.solve(2 * H, g)  # (2,): the kernel the last gradient was taken at
    if (k_prev - lr * g - k).abs().max() > 1e-4:
        return (f"conv2d_t's kernel is not one gradient step (lr = {lr:g}) from where its last gradient was taken: "
                f"was the weight changed after training, or trained with another lr or loss? Train with "
                f"train_kernel on X.t() and Y.t() and pass the lr you used.")
    loss_prev = ((A @ (k_prev - k_best)) ** 2).sum().item()
    if abs(losses[-1] - loss_prev) > 1e-2 * loss_prev + 1e-6:
        return (f"The last loss ({losses[-1]:.4g}) is not the loss of conv2d_t's last training step "
                f"({loss_prev:.4g}); pass the list train_kernel returned for this layer.")
    rho = (1 - 2 * lr * torch.linalg.eigvalsh(H)) ** 2  # (2,): how much one step can shrink (or grow) the loss
    low, high = rho.min().item() * 0.99, rho.max().item() * 1.01
    for epoch, (before, after) in enumerate(zip(losses, losses[1:]), 1):
        if before > 1e-6 and not low <= after / before <= high:  # below 1e-6 float32 rounding dominates
            return (f"From epoch {epoch} to {epoch + 1} the loss went {before:.4g} → {after:.4g}, which gradient "
                    f"descent on X.t() → Y.t() with lr = {lr:g} cannot do; pass the list train_kernel returned "
                    f"for conv2d_t.")
    if losses[0] < 0.5:
        return (f"The first loss is only {losses[0]:.3g}: training started next to the answer. Start from the "
                f"layer's own random kernel (a fresh nn.Conv2d) and let train_kernel learn.")
    return ""


@_exercise("02.2", '''
import torch
from torch import nn

from cnnlib import set_seed
from cnnlib.ops import corr2d

X = torch.ones((6, 8))
X[:, 2:6] = 0                               # the notes' image: a dark band in the middle
Y = corr2d(X, torch.tensor([[1.0, -1.0]]))  # its vertical edges, (6, 7)
Xt, Yt = X.t().reshape((1, 1, 8, 6)), Y.t().reshape((1, 1, 7, 6))  # (examples, channels, height, width)
set_seed(0)
conv2d_t = nn.Conv2d(1, 1, kernel_size=(2, 1), bias=False)  # a 2×1 kernel compares a pixel with the one below
losses_t = train_kernel(conv2d_t, Xt, Yt, lr, num_epochs=20)  # train_kernel and lr = 3e-2 from section 4
''')
def check_learned_horizontal_kernel(conv2d_t: object, losses: object = None, lr: object = 3e-2) -> bool:
    """02.2: conv2d_t, an nn.Conv2d(1, 1, kernel_size=(2, 1), bias=False) trained by train_kernel on X.t() -> Y.t(),
    the losses train_kernel returned and the lr it used; the kernel must end within 0.1 of [[1], [-1]].

    A kernel set by hand is refused: the layer must hold the gradient of its last step, and kernel, gradient and
    losses must fit gradient descent exactly (see _not_gradient_descent).
    """
    if not isinstance(conv2d_t, nn.Conv2d):
        return _report(False, f"Pass the trained layer conv2d_t, an nn.Conv2d, got {_quote(conv2d_t)}.")
    if nn.parameter.is_lazy(conv2d_t.weight):
        return _report(False, "conv2d_t is a lazy layer that has not seen an input yet; use "
                              "nn.Conv2d(1, 1, kernel_size=(2, 1), bias=False) and train it.")
    if tuple(conv2d_t.weight.shape) != (1, 1, 2, 1) or conv2d_t.bias is not None:
        return _report(False, f"For horizontal edges use nn.Conv2d(1, 1, kernel_size=(2, 1), bias=False) (weight "
                              f"shape (1, 1, 2, 1), no bias); yours has weight shape {tuple(conv2d_t.weight.shape)}"
                              f"{'' if conv2d_t.bias is None else ' and a bias'}.")
    if losses is None:
        return _report(False, "Pass the losses too: check_learned_horizontal_kernel(conv2d_t, losses_t, lr), with "
                              "losses_t the list train_kernel returned.")
    if not isinstance(losses, (list, tuple, Tensor, np.ndarray)) or getattr(losses, "ndim", 1) != 1:
        return _report(False, f"losses must be the list train_kernel returned, got {_quote(losses)}.")
    if len(losses) == 0:
        return _report(False, "losses_t is empty: train conv2d_t with train_kernel and pass the list it returns.")
    values = []
    for epoch, loss in enumerate(losses, 1):
        loss, why = _real(loss, f"the loss of epoch {epoch}")
        if why:
            return _report(False, why)
        values.append(loss)
    lr, why = _real(lr, "lr")
    if why or lr <= 0:
        return _report(False, why or f"lr must be the positive learning rate you trained with, got {lr:g}.")
    if conv2d_t.weight.grad is None:
        return _report(False, "conv2d_t has no gradient, so no gradient step made its kernel; train it with "
                              "train_kernel instead of setting the weight by hand.")
    k = conv2d_t.weight.detach().double().flatten().cpu()  # (2,): the final kernel
    g = conv2d_t.weight.grad.detach().double().flatten().cpu()  # (2,): the gradient of the last step
    if not (torch.isfinite(k).all() and torch.isfinite(g).all()):
        return _report(False, f"The kernel or its gradient holds NaN or infinity: the training diverged; use a "
                              f"smaller lr than {lr:g}.")
    why = _not_gradient_descent(k, g, values, lr)
    if why:
        return _report(False, why)
    error = (k - torch.tensor([1.0, -1.0], dtype=torch.float64)).abs().max().item()
    kernel = [round(v, 3) for v in k.tolist()]
    return _report(error < 0.1, f"The kernel is {kernel}, still {error:.2f} away from [[1], [-1]]; train for more "
                                f"epochs (the loss fell from {values[0]:.3g} to {values[-1]:.3g}).",
                   f"Correct: gradient descent learned the kernel {kernel}, close to [[1], [-1]].")


@_exercise("02.3", '''
import torch

K = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
K2 = torch.flip(K, dims=(0, 1))  # [[4, 3], [2, 1]]: convolve2d flips it back, so it correlates with K
''')
def check_flipped_kernel(K2: object) -> bool:
    """02.3: the kernel K2 with convolve2d(X, K2) == corr2d(X, K) for K = [[1, 2], [3, 4]] and every X."""
    K2, why = _tensor(K2, "K2", (2, 2), "torch.tensor([[1.0, 2.0], [3.0, 4.0]])")
    if why:
        return _report(False, why)
    K = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)
    if torch.allclose(K2, torch.flip(K, dims=(0, 1))):
        return _report(True, "", "Correct: convolution flips the kernel, so a flipped K undoes it.")
    if torch.allclose(K2, K):
        return _report(False, "convolve2d flips its kernel in both directions before it correlates; with K2 = K "
                              "it correlates with the flipped K instead.")
    if torch.allclose(K2, torch.flip(K, dims=(0,))) or torch.allclose(K2, torch.flip(K, dims=(1,))):
        return _report(False, "You flipped one direction only; convolution flips rows and columns.")
    return _report(False, "Try convolve2d(X, K2) on the notes' 3×3 X and compare with corr2d(X, K).")


# ---- 03 padding and stride ----

@_exercise("03.1", '''
# Output = n + 2p - k + 1 with stride 1; keeping n needs 2p = k - 1, so p = (5 - 1) / 2 = 2.
padding = 2
''')
def check_same_padding(padding: object) -> bool:
    """03.1: the padding that keeps a 28×28 image 28×28 under a 5×5 kernel with stride 1 (a number or an equal pair)."""
    vector = isinstance(padding, (Tensor, np.ndarray)) and padding.ndim == 1 and len(padding) != 1
    if isinstance(padding, (tuple, list)) or vector:  # a pair such as (2, 2); a one-element tensor is one number
        pair, why = _wholes(padding, ("padding (height)", "padding (width)"), "(2, 2)")
        if not why and pair[0] != pair[1]:
            why = f"A pair {pair} pads height and width differently; the image is square, so use one number."
        p = pair[0] if pair else None
    else:
        p, why = _whole(padding, "padding")
    if not why and p < 0:
        why = f"padding must be 0 or more (it adds rows and columns of zeros), got {p}."
    if why:
        return _report(False, why)
    side = 28 + 2 * p - 5 + 1
    return _report(side == 28, f"With padding {p} the output is {side}×{side}. The output size is n + 2p − k + 1 "
                               f"with stride 1; solve 28 + 2p − 5 + 1 = 28.",
                   "Correct: padding (k − 1) / 2 = 2 keeps the size, for any odd k.")


@_exercise("03.2", '''
# floor((32 + 2p - 3) / s) + 1 = 16: halving needs s = 2, then floor((29 + 2p) / 2) = 15 gives p = 1.
padding, stride = 1, 2
''')
def check_halving(answer: object) -> bool:
    """03.2: (padding, stride) that turn a 32×32 input into 16×16 under a 3×3 kernel (checked with nn.Conv2d)."""
    pair, why = _wholes(answer, ("padding", "stride"), "(0, 1)")
    if why:
        return _report(False, why)
    p, s = pair
    if p < 0 or s < 1:
        return _report(False, f"padding must be 0 or more and stride 1 or more, got padding {p}, stride {s}.")
    if p > 32:
        return _report(False, f"padding {p} adds more zeros around the image than the image has pixels; the "
                              f"padding you need is small.")
    with torch.no_grad():
        out = tuple(nn.Conv2d(1, 1, kernel_size=3, padding=p, stride=s)(torch.zeros((1, 1, 32, 32))).shape[2:])
    return _report(out == (16, 16), f"nn.Conv2d(1, 1, kernel_size=3, padding={p}, stride={s}) turns 32×32 into "
                                    f"{out[0]}×{out[1]}. Use ⌊(n + 2p − k) / s⌋ + 1 = 16.",
                   f"Correct: padding {p} and stride {s} halve 32×32 to 16×16.")


@_exercise("03.3", '''
from cnnlib.ops import corr2d

def strided(X, K, s):
    """corr2d_strided(X, K, stride=s) from corr2d (stride 1) and slicing: keep every s-th row and column."""
    return corr2d(X, K)[::s, ::s]  # output (i, j) with stride s is the stride-1 output at (i s, j s)
''')
def check_strided(strided: Callable) -> bool:
    """03.3: strided(X, K, s), built from corr2d (stride 1) and slicing, equals corr2d_strided(X, K, stride=s)."""
    why = _not_a_function(strided, "strided")
    if why:
        return _report(False, why)
    g = torch.Generator().manual_seed(0)
    for (h, w), (kh, kw), s in (((8, 8), (3, 3), 2), ((7, 9), (2, 3), 3), ((6, 6), (3, 3), 1), ((9, 5), (1, 2), 4)):
        X, K = torch.randn((h, w), generator=g), torch.randn((kh, kw), generator=g)
        want = corr2d_strided(X, K, stride=s)
        call = f"strided(X, K, {s}) for X {h}×{w}, K {kh}×{kw}"
        got, why = _call(strided, call, X.clone(), K.clone(), s)
        if not why:
            got, why = _tensor(got, f"The result of {call}", tuple(want.shape), "corr2d(X, K)[...]")
        if why:
            return _report(False, why)
        if not torch.allclose(got, want.double(), atol=1e-5):
            return _report(False, f"Right shape, wrong values for X {h}×{w}, K {kh}×{kw}, stride {s}: output (i, j) "
                                  f"with stride s is the stride-1 output at (i·s, j·s).")
    return _report(True, "", "Correct: stride s computes every s-th output of stride 1, and skips the rest.")


# ---- 04 channels ----

@_exercise("04.1", """
# Each of the c_o = 16 output channels has one k_h x k_w = 5 x 5 kernel slice per input channel (c_i = 3),
# plus one bias: c_o*c_i*k_h*k_w + c_o.
answer = 16 * 3 * 5 * 5 + 16  # 1216
""")
def check_conv_params(answer: object) -> bool:
    """04.1: the number of parameters of nn.Conv2d(3, 16, kernel_size=5)."""
    answer, why = _whole(answer)
    hints = {16 * 3 * 5 * 5: "That counts the weights; each output channel also has one bias.",
             16 * 5 * 5 + 16: "Each output channel has a 5x5 kernel slice for EVERY input channel (c_i = 3).",
             3 * 5 * 5 + 1: "That is one output channel; nn.Conv2d(3, 16, ...) has c_o = 16 of them."}
    return _report(answer == 1216, why or hints.get(answer, "Use c_o·c_i·k_h·k_w + c_o with c_i = 3, c_o = 16, "
                                                            "k_h = k_w = 5."),
                   "Correct: 16·3·5·5 weights + 16 biases = 1216.")


@_exercise("04.2", """
import torch

K = torch.tensor([[1 / 3, 1 / 3, 1 / 3],  # output channel 0: the mean of red, green and blue
                  [1.0, 0.0, -1.0]])      # output channel 1: red minus blue
K = K.reshape(2, 3, 1, 1)                 # (c_o, c_i, k_h, k_w)
""")
def check_channel_mixer(K: object) -> bool:
    """04.2: a 1x1 kernel K (2, 3, 1, 1): output 0 = mean of the RGB channels, output 1 = red - blue."""
    K, why = _tensor(K, "K", (2, 3, 1, 1), "torch.zeros(2, 3, 1, 1)")
    if why:
        return _report(False, why + " A 1x1 convolution from 3 to 2 channels has (c_o, c_i, k_h, k_w) = (2, 3, 1, 1).")
    W = K.reshape(2, 3)  # (c_o, c_i): the matrix of the 1x1 convolution
    if not torch.allclose(W[0], torch.full((3,), 1 / 3, dtype=torch.float64), atol=1e-4):
        return _report(False, f"Output channel 0 gets the weights K[0, :, 0, 0] = {W[0].tolist()}; the mean of three "
                              f"channels weighs each by 1/3.")
    if not torch.allclose(W[1], torch.tensor([1.0, 0.0, -1.0], dtype=torch.float64), atol=1e-4):
        return _report(False, f"Output channel 1 gets the weights K[1, :, 0, 0] = {W[1].tolist()}; red minus blue is "
                              f"+1 for channel 0 (red), 0 for green, -1 for channel 2 (blue).")
    return _report(True, "", "Correct: a 1x1 convolution mixes the channels of each pixel with one small matrix.")


@_exercise("04.3", """
def conv_mults(c_i, c_o, h, w, k_h, k_w):
    # Each of the c_o * (h - k_h + 1) * (w - k_w + 1) outputs is a sum of c_i * k_h * k_w products.
    return c_o * (h - k_h + 1) * (w - k_w + 1) * c_i * k_h * k_w
""")
def check_conv_mults(conv_mults: Callable) -> bool:
    """04.3: conv_mults(c_i, c_o, h, w, k_h, k_w), the multiplications of corr2d_multi_in_out (no padding, stride 1)."""
    why = _not_a_function(conv_mults, "conv_mults")
    if why:
        return _report(False, why)
    for args in ((2, 3, 3, 3, 2, 2), (3, 64, 32, 32, 3, 3), (1, 1, 5, 7, 1, 3), (16, 8, 10, 12, 5, 4)):
        c_i, c_o, h, w, k_h, k_w = args
        want = c_o * (h - k_h + 1) * (w - k_w + 1) * c_i * k_h * k_w
        got, why = _call(conv_mults, f"conv_mults{args}", *args)
        if not why:
            got, why = _whole(got, f"conv_mults{args}")
        if why:
            return _report(False, why)
        if got != want:
            hint = (" The kernel fits at only (h - k_h + 1) x (w - k_w + 1) positions, not h x w."
                    if got == c_o * h * w * c_i * k_h * k_w else
                    " Count outputs (c_o maps of (h - k_h + 1) x (w - k_w + 1)) times products per output.")
            return _report(False, f"conv_mults{args} returned {got}, expected {want}.{hint}")
    return _report(True, "", "Correct: the cost grows with c_i·c_o, so channels, not pixels, dominate deep layers.")


# ---- 05 pooling ----

@_exercise("05.1", """
# Pooling keeps the batch and the channels; each spatial side becomes floor((n + 2p - k) / s) + 1.
answer = (1, 3, (32 + 2 * 1 - 3) // 2 + 1, (32 + 2 * 1 - 3) // 2 + 1)  # (1, 3, 16, 16)
""")
def check_pool_output_shape(answer: object) -> bool:
    """05.1: the shape of nn.MaxPool2d(3, stride=2, padding=1)(X) for X of shape (1, 3, 32, 32)."""
    shape, why = _wholes(answer, ("batch", "channels", "height", "width"), "(1, 1, 4, 4)")
    if why:
        return _report(False, why)
    if shape[:2] != (1, 3):
        return _report(False, f"Pooling works on each channel separately: batch and channels stay (1, 3), you have "
                              f"{shape[:2]}.")
    if shape[2:] in ((30, 30), (32, 32)):
        return _report(False, "The stride is 2, so each side roughly halves: floor((n + 2p - k) / s) + 1.")
    return _report(shape == (1, 3, 16, 16), "Use floor((n + 2p - k) / s) + 1 with n = 32, p = 1, k = 3, s = 2.",
                   "Correct: floor((32 + 2 - 3) / 2) + 1 = 16, channels unchanged.")


@_exercise("05.2", """
import torch

K = torch.full((2, 2), 1 / 4)  # every value of the 2x2 window gets weight 1/4: their sum is their mean
""")
def check_avg_pool_kernel(K: object) -> bool:
    """05.2: a kernel K with corr2d(X, K) == pool2d(X, (2, 2), 'avg') for every X (only K = 1/4 everywhere does it)."""
    K, why = _tensor(K, "K", (2, 2), "torch.ones(2, 2)")
    if why:
        return _report(False, why + " It must cover the same 2x2 window as the pooling.")
    total = K.sum().item()
    hint = (f"The weights of K add up to {total:g}; a mean of 4 values is their sum divided by 4."
            if abs(total - 1) > 1e-4 else "Every value in the window should count equally.")
    return _report(torch.allclose(K, torch.full((2, 2), 0.25, dtype=torch.float64), atol=1e-6), hint,
                   "Correct: average pooling is a convolution with a fixed kernel (max pooling is not).")


@_exercise("05.3", """
from cnnlib.ops import pool2d

def global_avg_pool(X):
    # One window as large as the whole image: each channel becomes the mean of its values.
    Y = pool2d(X, X.shape[-2:], 'avg')  # (N, C, 1, 1)
    return Y.reshape(X.shape[:2])       # (N, C)
""")
def check_global_avg_pool(global_avg_pool: Callable) -> bool:
    """05.3: global_avg_pool(X) with X (N, C, H, W) -> (N, C): the mean of every channel of every example."""
    why = _not_a_function(global_avg_pool, "global_avg_pool")
    if why:
        return _report(False, why)
    g = torch.Generator().manual_seed(0)
    for shape in ((1, 1, 4, 4), (2, 3, 5, 7), (4, 8, 3, 2)):
        X = torch.randn(shape, generator=g)
        call = f"global_avg_pool(X) for X of shape {shape}"
        got, why = _call(global_avg_pool, call, X.clone())
        if not why:
            got, why = _tensor(got, f"The result of {call}", shape[:2], "(N, C)")
        if why:
            return _report(False, why)
        if not torch.allclose(got, X.double().mean(dim=(2, 3)), atol=1e-5):
            return _report(False, f"For X of shape {shape} the values differ from the mean of each channel; use a "
                                  f"pooling window as large as the image, X.shape[-2:].")
    return _report(True, "", "Correct: one window over the whole image, as in ResNet's last layers.")


# ---- 06 LeNet ----

# Confusion matrices (row = true class, column = predicted) for the 06 checks. Every one has mistakes, and its largest
# off-diagonal cell is unique, so no correct answer depends on how ties are broken; in the last one the largest cell
# overall is on the diagonal, and the largest mistakes sit above and below the diagonal in turn.
_CONFUSIONS = [
    torch.tensor([[5, 1, 0], [2, 7, 0], [0, 4, 9]]),
    torch.tensor([[8, 1], [3, 6]]),
    torch.tensor([[30, 2, 1, 9], [3, 25, 4, 0], [1, 5, 40, 2], [0, 6, 7, 35]]),
    torch.tensor([[12, 0, 3, 1], [2, 20, 0, 4], [5, 1, 15, 0], [11, 3, 2, 18]]),
    torch.tensor([[2, 7, 1], [0, 9, 3], [1, 0, 4]]),
]


@_exercise("06.1", """
# nn.Conv2d(1, 6, kernel_size=5): each of the 6 output channels has one 5x5 kernel per input channel and one bias.
answer = 6 * 1 * 5 * 5 + 6  # 150 weights + 6 biases = 156
# check: count_parameters(model.net[0]) for a materialized LeNet
""")
def check_lenet_conv1_parameters(answer: object) -> bool:
    """06.1: the number of learnable numbers in LeNet's first layer, Conv2d(1 -> 6, 5x5)."""
    answer, why = _whole(answer)
    hints = {150: "That counts the weights. Each of the 6 output channels also learns one bias.",
             25: "That is one 5×5 kernel; there are 6 output channels, each with its own kernel and bias.",
             31: "That is one kernel and one bias; there are 6 output channels."}
    return _report(answer == 156, why or hints.get(answer, "Count C_out × C_in × 5 × 5 weights plus C_out biases."),
                   "Correct: 156 numbers, shared across all 28×28 positions of the image.")


@_exercise("06.2", """
def accuracy_from_confusion(cm):
    \"\"\"Accuracy from a confusion matrix (row = true class, column = predicted): correct / all.\"\"\"
    return (cm.diagonal().sum() / cm.sum()).item()  # the diagonal holds the correct predictions
""")
def check_accuracy_from_confusion(accuracy_from_confusion: Callable) -> bool:
    """06.2: accuracy_from_confusion(cm) returns the fraction of correct predictions, a number between 0 and 1."""
    why = _not_a_function(accuracy_from_confusion, "accuracy_from_confusion")
    if why:
        return _report(False, why)
    for cm in _CONFUSIONS:
        want = cm.diagonal().sum().item() / cm.sum().item()
        call = f"accuracy_from_confusion(cm) for cm = {cm.tolist()}"
        got, why = _call(accuracy_from_confusion, call, cm.clone())
        if not why:
            got, why = _real(got, f"The result of {call}")
        if why:
            return _report(False, why)
        if abs(got - want) > 1e-6:
            hint = (" Give a fraction between 0 and 1, not a percentage." if abs(got - 100 * want) < 1e-4 else
                    " Correct predictions sit on the diagonal (true class = predicted class).")
            return _report(False, f"For cm = {cm.tolist()} the accuracy is {want:.4f}, you returned {got:.4g}.{hint}")
    return _report(True, "", "Correct: the trace over the total. The off-diagonal cells say which mistakes are made.")


@_exercise("06.3", """
def most_confused(cm, classes):
    \"\"\"The (true class, predicted class) names of the largest off-diagonal cell of cm.\"\"\"
    off = cm.clone()
    off.fill_diagonal_(-1)                         # ignore the correct predictions
    i, j = divmod(int(off.argmax()), cm.shape[1])  # argmax of the flattened matrix -> (row, column)
    return classes[i], classes[j]
""")
def check_most_confused(most_confused: Callable) -> bool:
    """06.3: most_confused(cm, classes) names the (true, predicted) pair the model mixes up most often."""
    why = _not_a_function(most_confused, "most_confused")
    if why:
        return _report(False, why)
    for cm in _CONFUSIONS:
        classes = [f"class {k}" for k in range(len(cm))]
        off = cm.clone()
        off.fill_diagonal_(-1)
        i, j = divmod(int(off.argmax()), cm.shape[1])  # unique by the choice of _CONFUSIONS
        want = (classes[i], classes[j])
        got, why = _call(most_confused, f"most_confused(cm, classes) for cm = {cm.tolist()}", cm.clone(), classes)
        if why:
            return _report(False, why)
        pair = tuple(got) if isinstance(got, (tuple, list)) and len(got) == 2 else None
        if pair == want:
            continue
        if pair == want[::-1]:
            hint = ("You have the pair the wrong way round: rows are the TRUE class, columns the PREDICTED class; "
                    "return (true, predicted).")
        elif pair is not None and pair[0] == pair[1]:
            hint = "The largest cell overall is on the diagonal (the correct predictions): leave the diagonal out."
        elif pair is not None and all(isinstance(v, (numbers.Integral, Tensor)) for v in pair):
            hint = "Return the class names, classes[i] and classes[j], not the indices."
        else:
            hint = f"For cm = {cm.tolist()} the answer is {want}, you returned {_quote(got)}."
        return _report(False, hint)
    return _report(True, "", "Correct: on Fashion-MNIST it is usually Shirt, mixed up with T-shirt/top, Pullover or "
                             "Coat.")


# ---- 07 VGG ----

@_exercise("07.1", """
# A stack of n 3x3 convolutions (stride 1) sees 1 + 2n pixels; with c channels in and out each has 9 c^2 weights.
field = 1 + 3 * (3 - 1)  # 7: the field grows by k - 1 = 2 per layer
answer = (field, 3 * 9, 7 * 7)  # (7, 27, 49) weights per c^2: three 3x3 convs need 45% fewer than one 7x7
# check: cnnlib.features.conv_stack(3, 3, 1) == (7, 27) and conv_stack(1, 7, 1) == (7, 49)
""")
def check_three_3x3_vs_7x7(answer: object) -> bool:
    """07.1: (receptive field of three stacked 3x3 convs, their weights per c^2, the weights per c^2 of one 7x7)."""
    got, why = _wholes(answer, ("field", "weights_3x3_stack", "weights_7x7"), "(5, 18, 25)")
    if why:
        return _report(False, why)
    field, stack, big = got
    if field != 7:
        hint = (" Each 3×3 layer adds k - 1 = 2 pixels to the field, not 3: the field of one 3×3 is 3, of two is 5."
                if field == 9 else " Start from 1 pixel and add k - 1 = 2 for each of the three layers.")
        return _report(False, f"The receptive field is not {field}.{hint}")
    if stack != 27:
        return _report(False, f"Three 3×3 convs with c channels in and out hold 3 × 9 c² weights; you have {stack} c².")
    if big != 49:
        return _report(False, f"One 7×7 conv with c channels in and out holds 49 c² weights; you have {big} c².")
    return _report(True, "", "Correct: the same 7×7 view for 27 c² instead of 49 c² weights, with two extra "
                             "non-linearities in between.")


@_exercise("07.2", """
# Every output number (64 channels x 56 x 56 positions) is a sum over 64 input channels x 3 x 3 taps.
answer = (64 * 56 * 56) * (64 * 3 * 3)  # 115,605,504 multiply-adds for one image
""")
def check_conv_macs(answer: object) -> bool:
    """07.2: multiply-adds of nn.Conv2d(64, 64, kernel_size=3, padding=1) on one 64x56x56 input."""
    answer, why = _whole(answer)
    hints = {64 * 64 * 9: "That is the number of weights. Each weight is used once per output position (56 × 56).",
             64 * 56 * 56 * 9: "Each output number sums over ALL 64 input channels, each with a 3×3 kernel.",
             54 * 54 * 64 * 64 * 9: "padding=1 keeps the map at 56×56."}
    return _report(answer == 64 * 56 * 56 * 64 * 9,
                   why or hints.get(answer, "Count output numbers (C_out × H × W) times the work for each "
                                            "(C_in × 3 × 3)."),
                   "Correct: 115.6 million multiply-adds from only 36,928 parameters; early VGG layers are costly.")


@_exercise("07.3", """
# Each VGG block halves the side (floor): 28 -> 14 -> 7 -> 3 -> 1 -> 0. Four blocks leave 1x1; a fifth leaves nothing.
side, answer = 28, 0
while side // 2 >= 1:
    side, answer = side // 2, answer + 1
# answer == 4
""")
def check_max_vgg_blocks(answer: object) -> bool:
    """07.3: the most VGG blocks a 28x28 image can pass through (each halves the side, rounding down)."""
    answer, why = _whole(answer)
    if answer == 5:
        why = ("28 → 14 → 7 → 3 → 1 → 0: the fifth max-pool has no 2×2 window left (VGG raises an error for it). "
               "Try VGG(((1, 8),) * 5) on a (1, 1, 28, 28) input.")
    return _report(answer == 4, why or "Halve 28 and round down until the side would become 0; count the halvings.",
                   "Correct: 28 → 14 → 7 → 3 → 1. That is why the notes resize Fashion-MNIST to 224×224 for VGG-11.")


# ---- 08 ResNet ----

@_exercise("08.1", """
# strides=2 halves H and W (32 -> 16); the block outputs num_channels = 16 channels; the batch stays 2.
answer = (2, 16, 16, 16)
# check: Residual(16, use_1x1conv=True, strides=2)(torch.randn(2, 8, 32, 32)).shape
""")
def check_residual_shape(answer: object) -> bool:
    """08.1: the output shape of Residual(16, use_1x1conv=True, strides=2) on X of shape (2, 8, 32, 32)."""
    shape, why = _wholes(answer, ("batch", "channels", "height", "width"), "(2, 8, 32, 32)")
    if why:
        return _report(False, why)
    if shape[1] == 8:
        return _report(False, "The block outputs num_channels = 16 channels; the 1×1 conv turns X's 8 into 16 too.")
    if shape[2:] == (32, 32):
        return _report(False, "strides=2 is applied by conv1 (and by the 1×1 conv on the shortcut): H and W halve.")
    return _report(shape == (2, 16, 16, 16), "Batch stays, channels become num_channels, H and W are divided by "
                                             "strides.",
                   "Correct: (2, 16, 16, 16), like the notes' torch.Size([4, 6, 3, 3]) example.")


@_exercise("08.2", """
from cnnlib.models import Residual

def make_residual(in_channels, out_channels, strides=1):
    \"\"\"A Residual block from in_channels to out_channels; a 1x1 conv on the shortcut only where shapes differ.\"\"\"
    needs_1x1 = in_channels != out_channels or strides != 1
    return Residual(out_channels, use_1x1conv=needs_1x1, strides=strides)
""")
def check_make_residual(make_residual: Callable) -> bool:
    """08.2: make_residual(in_channels, out_channels, strides) uses the 1x1 shortcut conv exactly when needed."""
    why = _not_a_function(make_residual, "make_residual")
    if why:
        return _report(False, why)
    g = torch.Generator().manual_seed(8)
    for c_in, c_out, s in ((8, 8, 1), (8, 16, 1), (8, 8, 2), (4, 12, 2)):
        blk, why = _call(make_residual, f"make_residual({c_in}, {c_out}, {s})", c_in, c_out, s)
        if why:
            return _report(False, why)
        if not isinstance(blk, nn.Module):
            return _report(False, f"make_residual must return a block (an nn.Module), got {_quote(blk)}.")
        Y, why = _call(blk, f"The block for ({c_in} -> {c_out}, strides={s}) on a (2, {c_in}, 8, 8) input",
                       torch.randn(2, c_in, 8, 8, generator=g))
        if why:
            return _report(False, why)
        if not isinstance(Y, Tensor) or tuple(Y.shape) != (2, c_out, 8 // s, 8 // s):
            got = f"shape {tuple(Y.shape)}" if isinstance(Y, Tensor) else _quote(Y)
            return _report(False, f"For ({c_in} -> {c_out}, strides={s}) the output should have shape "
                                  f"{(2, c_out, 8 // s, 8 // s)}, got {got}.")
        has_1x1 = any(isinstance(m, nn.Conv2d) and m.kernel_size == (1, 1) for m in blk.modules())
        if c_in == c_out and s == 1 and has_1x1:
            return _report(False, f"({c_in} -> {c_out}, strides=1) keeps the shape, so the shortcut should be X "
                                  "itself (use_1x1conv=False): the identity is what lets gradients flow freely.")
    return _report(True, "", "Correct: identity shortcuts where shapes match, a 1×1 conv only where they change.")


@_exercise("08.3", """
from torch import nn
from cnnlib.models import ResNet18, materialize

model = materialize(ResNet18(), (1, 1, 96, 96))
convs = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.kernel_size != (1, 1)]
linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
answer = len(convs) + len(linears)  # 1 stem conv + 16 convs in 8 blocks + 1 Linear = 18
""")
def check_resnet18_depth(answer: object) -> bool:
    """08.3: the number of weight layers on ResNet-18's main path (3x3/7x7 convs plus the Linear layer)."""
    answer, why = _whole(answer)
    hints = {21: "The three 1×1 convs sit on shortcuts, not on the main path: leave them out.",
             20: "Close: are the three 1×1 shortcut convs in your count, and the final Linear layer out?",
             17: "Don't forget the final Linear layer: it has weights too.",
             16: "Count the stem's 7×7 conv and the final Linear layer as well as the 16 convs of the 8 blocks."}
    return _report(answer == 18, why or hints.get(answer, "Count nn.Conv2d layers whose kernel is not 1×1, plus "
                                                          "nn.Linear."),
                   "Correct: 1 + 8 × 2 + 1 = 18 layers with weights on the main path; hence the name.")


# ---- 09 CIFAR-10 MLP baseline ----

@_exercise("09.1", """
# Linear(3072, 100): 3072 x 100 weights + 100 biases; Linear(100, 10): 100 x 10 weights + 10 biases.
answer = (3 * 32 * 32 * 100 + 100) + (100 * 10 + 10)  # 307,300 + 1,010 = 308,310
# check: count_parameters(mlp_baseline())
""")
def check_mlp_parameters(answer: object) -> bool:
    """09.1: the number of learnable parameters of the notes' MLP, Linear(3072, 100) -> ReLU -> Linear(100, 10)."""
    answer, why = _whole(answer)
    hints = {3072 * 100 + 100 * 10: "That counts the weights; each Linear layer also has one bias per output.",
             307_300: "That is the first layer only; add Linear(100, 10) too."}
    return _report(answer == 308_310, why or hints.get(answer, "Add up (inputs × outputs + outputs) for both Linear "
                                                               "layers."),
                   "Correct: 308,310, and 99.7% of them are in the first layer, one weight per pixel and unit.")


@_exercise("09.2", """
import torch

def normalize(X, mean, std):
    \"\"\"Per-channel normalisation of images X (N, C, H, W) with C means and C stds.\"\"\"
    mean = torch.tensor(mean).view(1, -1, 1, 1)  # (1, C, 1, 1): broadcasts over N, H and W
    std = torch.tensor(std).view(1, -1, 1, 1)
    return (X - mean) / std
""")
def check_normalize(normalize: Callable) -> bool:
    """09.2: normalize(X, mean, std) subtracts each channel's mean and divides by its std, X of shape (N, C, H, W)."""
    why = _not_a_function(normalize, "normalize")
    if why:
        return _report(False, why)
    g = torch.Generator().manual_seed(9)
    mean, std = [0.4914, 0.4822, 0.4465], [0.2470, 0.2435, 0.2616]
    for shape in ((4, 3, 5, 6), (2, 3, 4, 3)):  # in the second, a (3,) mean lines up with the width without an error
        X = torch.rand(shape, generator=g)
        want = (X.double() - torch.tensor(mean).double().view(1, 3, 1, 1)) / torch.tensor(std).double().view(1, 3, 1, 1)
        call = f"normalize(X, mean, std) for X of shape {shape}"
        got, why = _call(normalize, call, X.clone(), list(mean), list(std))
        if why and "size of tensor" in why:
            why += (" A tensor of shape (3,) lines up with the LAST dimension (width); reshape mean and std to "
                    "(1, 3, 1, 1) so they line up with the channels.")
        if not why:
            got, why = _tensor(got, f"The result of {call}", shape, "X")
        if why:
            return _report(False, why)
        if not torch.allclose(got, want, atol=1e-4):
            return _report(False, "Each channel c needs (X[:, c] - mean[c]) / std[c]. Reshape mean and std to "
                                  "(1, C, 1, 1) so that they broadcast over the channel dimension.")
    return _report(True, "", "Correct: each channel now has mean 0 and std 1 over the training set.")


@_exercise("09.3", """
import torch.nn.functional as F

def shift_right(X, k):
    \"\"\"Move images X (N, C, H, W) k pixels to the right; zeros come in on the left, the right edge falls off.\"\"\"
    W = X.shape[-1]
    return F.pad(X, (k, 0))[..., :W]  # pad k zero columns on the left, keep the first W columns
""")
def check_shift_right(shift_right: Callable) -> bool:
    """09.3: shift_right(X, k) moves images k pixels right with zeros coming in (not wrapping around)."""
    why = _not_a_function(shift_right, "shift_right")
    if why:
        return _report(False, why)
    g = torch.Generator().manual_seed(9)
    X = torch.randn(2, 3, 6, 7, generator=g)
    for k in (0, 1, 3):
        call = f"shift_right(X, {k}) for X of shape (2, 3, 6, 7)"
        got, why = _call(shift_right, call, X.clone(), k)
        if not why:
            got, why = _tensor(got, f"The result of {call}", (2, 3, 6, 7), "X")
        if why:
            return _report(False, why)
        want = torch.zeros_like(X, dtype=torch.float64)
        want[..., k:] = X[..., :7 - k]  # column j of the result is column j - k of X, zeros where j < k
        if k and torch.allclose(got, torch.roll(X, k, dims=3).double()):
            return _report(False, "torch.roll wraps the right edge around to the left; here the pixels that leave "
                                  "should be lost and zeros should come in.")
        left = torch.zeros_like(want)
        left[..., :7 - k] = X[..., k:]
        if k and torch.allclose(got, left):
            return _report(False, "That moves the image to the LEFT; move it right (column j goes to j + k).")
        if not torch.allclose(got, want, atol=1e-6):
            return _report(False, f"For k = {k}, column j of the result should be column j - {k} of X "
                                  "(zeros where j < k).")
    return _report(True, "", "Correct: a 1-pixel shift moves every input of the MLP to a different weight.")
