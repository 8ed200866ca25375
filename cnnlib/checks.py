"""Self-checks for the exercises: `check_...(answer)` prints ✓ or ✗ with one sentence and returns True or False.

Each exercise has a key like "02.1" (notebook 02; the key of a replaced exercise is never reused), a check and a worked
solution kept as source code, so that `show_solution("02.1")` can print it and the tests can run it through its own
check. A check of a network builds, runs or trains it and judges what it computes and how its loss moves (the
trajectory, not only the end point), never printing the numbers it compares with. A check never raises:
whatever a student passes (text, NaN, 16.5, a function that fails) gets one sentence saying what to change. Numbers
are read by cnnlib's one rule (cnnlib._check): 1216, 1216.0, np.int64(1216) and torch.tensor(1216) are one answer.
"""
from __future__ import annotations

import contextlib
import copy
import functools
import numbers
from typing import Callable, Iterator, Optional

import numpy as np
import torch
from torch import Tensor, nn

from cnnlib import _check
from cnnlib.backprop import corr2d_backward
from cnnlib.models import Classifier, LeNetModern, materialize, vgg_small
from cnnlib.ops import convolve1d, corr2d, corr2d_strided
from cnnlib.utils import eval_no_grad, model_device

_SOLUTIONS: dict[str, Optional[str]] = {}
_CHECKS: dict[str, Callable[..., bool]] = {}
_LARGEST = 10 ** 12  # far above every answer here (the largest is 115,605,504); a bigger number is a slip, not a count
_STILL_NONE = "{name} is still None: replace None with your answer."  # the placeholder of most answer cells


def _report(ok: bool, hint: str, praise: str = "Correct!") -> bool:
    """Print ✓ with praise when ok, else ✗ with a hint; return ok (so tests can use it)."""
    print(f"✓ {praise}" if ok else f"✗ Not yet. {hint}")
    return bool(ok)


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """Run on one CPU thread, then restore the setting. A check's work is small (a few images, a batch of 100 for a
    training check), so one thread is as fast as several; threads that wait for cores busy with other work (a
    training run next to the notebook) would slow it down many times."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _exercise(key: str, solution: Optional[str]) -> Callable[[Callable[..., bool]], Callable[..., bool]]:
    """Register a check function under `key` together with its worked solution (source code; None in the student
    edition, which tools/editions.py writes without solutions); the check runs on one thread."""
    def register(check: Callable[..., bool]) -> Callable[..., bool]:
        @functools.wraps(check)
        def on_one_thread(*args: object, **kwargs: object) -> bool:
            with _one_thread():
                return check(*args, **kwargs)

        _CHECKS[key] = on_one_thread
        _SOLUTIONS[key] = None if solution is None else solution.strip("\n")
        return on_one_thread
    return register


def show_solution(key: str) -> None:
    """Print the worked solution of exercise `key`, e.g. show_solution("02.1")."""
    if not isinstance(key, str) or key not in _SOLUTIONS:  # a typo in a notebook cell gets a sentence, not a traceback
        print(f"There is no exercise {_quote(key)}; the exercises are {', '.join(sorted(_SOLUTIONS))}.")
        return
    if _SOLUTIONS[key] is None:  # the student edition
        print(f"This edition has no worked solutions: ask your instructor about exercise {key}.")
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


def _layer_calls(model: nn.Module, X: Tensor, call: str,
                 keep: Callable[[nn.Module], bool]) -> tuple[list[tuple[nn.Module, object, object]], object, str]:
    """Run model(X) in eval mode without gradients, recording (layer, its input, its output) for every layer with
    keep(layer) in the order they ran: (records, model(X), "") or (records so far, None, the sentence why not)."""
    calls: list[tuple[nn.Module, object, object]] = []

    def record(layer: nn.Module, inputs: tuple, output: object) -> None:
        calls.append((layer, inputs[0] if inputs else None, output))

    handles = [m.register_forward_hook(record) for m in model.modules() if keep(m)]
    try:
        with eval_no_grad(model):
            out, why = _call(model, call, X)
    finally:
        for handle in handles:
            handle.remove()
    return calls, out, why


# ---- 01 convolution as a linear layer ----

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


@_exercise("01.4", '''
import torch
from torch import nn

from cnnlib.ops import conv_matrix

def conv_as_linear(conv, input_shape):
    """An nn.Linear computing conv (1 channel in and out, with a bias) on images of input_shape, flattened."""
    K = conv.weight.detach()[0, 0]                                             # (kh, kw)
    W = conv_matrix(K, input_shape, padding=conv.padding, stride=conv.stride)  # (out_h * out_w, H * W)
    linear = nn.Linear(W.shape[1], W.shape[0])
    with torch.no_grad():
        linear.weight.copy_(W)
        linear.bias.fill_(conv.bias.item())  # the conv adds its one bias to every output pixel
    return linear
''')
def check_conv_as_linear(conv_as_linear: Callable) -> bool:
    """01.4: conv_as_linear(conv, (H, W)) returns an nn.Linear with linear(X.flatten(1)) == conv(X[:, None]).flatten(1)
    for an nn.Conv2d(1, 1, ...) with a bias, any padding and stride."""
    why = _not_a_function(conv_as_linear, "conv_as_linear")
    if isinstance(conv_as_linear, nn.Module):
        why = "Pass your function itself (conv_as_linear, no brackets), not a layer it returned."
    if why:
        return _report(False, why)
    g = torch.Generator().manual_seed(1)
    for (H, W), k, p, s in (((5, 5), 3, 0, 1), ((6, 7), 3, 1, 2), ((4, 6), (2, 3), (1, 0), (1, 2)), ((7, 5), 1, 0, 3)):
        with torch.random.fork_rng(devices=[]):  # initialising layers must not move the notebook's random numbers
            conv = nn.Conv2d(1, 1, k, padding=p, stride=s)  # its weights come from g below
        with torch.no_grad():
            conv.weight.copy_(torch.randn(conv.weight.shape, generator=g))
            conv.bias.fill_(0.5 + torch.rand(1, generator=g).item())  # a bias far from 0, so that a missing one shows
        X = torch.randn(3, H, W, generator=g)                            # 3 images
        with torch.no_grad():
            want = conv(X[:, None]).flatten(1).double()                  # (3, out_h * out_w)
        out_h, out_w = conv(X[:1, None]).shape[2:]
        name = f"conv_as_linear(conv, {(H, W)}) for conv = {conv}"
        with torch.random.fork_rng(devices=[]):  # nor may the student's nn.Linear(...)
            linear, why = _call(conv_as_linear, name, conv, (H, W))
        if why:
            return _report(False, why)
        if not isinstance(linear, nn.Linear):
            return _report(False, f"conv_as_linear must return an nn.Linear layer, got {_quote(linear)}.")
        if linear.in_features != H * W:
            return _report(False, f"{name} has in_features = {linear.in_features}; it needs one input per pixel, "
                                  f"H·W = {H * W}.")
        if linear.out_features != out_h * out_w:
            return _report(False, f"{name} has out_features = {linear.out_features}, but the conv's output is "
                                  f"{out_h}×{out_w}: pass conv.padding and conv.stride to conv_matrix.")
        with torch.no_grad():
            got, why = _call(linear, "linear(X.flatten(1))", X.flatten(1))
        if not why:
            got, why = _tensor(got, "linear(X.flatten(1))", (3, out_h * out_w), "conv(X[:, None]).flatten(1)")
        if why:
            return _report(False, why)
        if not torch.allclose(got, want, atol=1e-4):
            gap = want - got
            hint = ("every output pixel of the conv adds conv.bias, so each of the Linear layer's out_features biases "
                    "is that one number" if torch.allclose(gap, gap.mean().expand_as(gap), atol=1e-4) else
                    "its weight should be conv_matrix(K, input_shape, padding, stride) with K = conv.weight[0, 0]")
            return _report(False, f"linear(X.flatten(1)) differs from conv(X[:, None]).flatten(1) for conv = {conv}: "
                                  f"{hint}.")
    return _report(True, "", "Correct: Conv ⊆ Linear. The Linear layer holds out·in + out numbers where the "
                             "convolution holds kh·kw + 1; the difference is weight sharing.")


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


@_exercise("05.4", """
from torch import nn

stack = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),  # (N, 6, 28, 28) -> (N, 6, 14, 14)
    nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2))            # (N, 16, 10, 10) -> (N, 16, 5, 5)
# Without pooling only the convolutions change the size: 28 + 2*2 - 5 + 1 = 28, then 28 - 5 + 1 = 24.
no_pool_shape = (1, 16, 24, 24)
# check: nn.Sequential(*[m for m in stack if not isinstance(m, nn.MaxPool2d)])(torch.zeros(1, 1, 28, 28)).shape
""")
def check_conv_pool_stack(stack: object, no_pool_shape: object = None) -> bool:
    """05.4: stack, two 5x5 convs (6, then 16 channels) each with a ReLU and a pooling layer, takes (N, 1, 28, 28) to
    (N, 16, 5, 5); no_pool_shape is the predicted output shape for one image once the pooling layers are removed."""
    if not isinstance(stack, nn.Module):
        return _report(False, f"stack must be a network such as nn.Sequential(nn.Conv2d(...), ...), got "
                              f"{_quote(stack)}.")
    convs = [m for m in stack.modules() if isinstance(m, nn.Conv2d)]
    if [(c.out_channels, c.kernel_size) for c in convs] != [(6, (5, 5)), (16, (5, 5))]:
        found = "; ".join(f"{c.out_channels} channels, {c.kernel_size[0]}×{c.kernel_size[1]}" for c in convs)
        return _report(False, f"stack needs two convolutions with 5×5 kernels, 6 then 16 output channels; it has "
                              f"{len(convs)}{f' ({found})' if convs else ''}.")
    pools = [m for m in stack.modules() if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d))]
    if len(pools) != 2 or not any(isinstance(m, nn.ReLU) for m in stack.modules()):
        return _report(False, f"Follow each convolution by nn.ReLU() and a pooling layer (nn.MaxPool2d or "
                              f"nn.AvgPool2d); stack has {len(pools)} pooling layers.")
    try:
        model, ablated = copy.deepcopy(stack), copy.deepcopy(stack)  # the student's stack stays as it is
    except Exception:
        return _report(False, "stack cannot be copied; build it from nn layers only, e.g. nn.Sequential(...).")
    X = torch.randn(2, 1, 28, 28, generator=torch.Generator().manual_seed(5))
    X = X.to(model_device(model))
    with torch.no_grad():
        Y, why = _call(model, "stack(X) for X of shape (2, 1, 28, 28)", X)
    if not why and not (isinstance(Y, Tensor) and tuple(Y.shape) == (2, 16, 5, 5)):
        got = f"shape {tuple(Y.shape)}" if isinstance(Y, Tensor) else _quote(Y)
        why = (f"stack turns X of shape (2, 1, 28, 28) into {got}, not (2, 16, 5, 5); work the sizes out layer by "
               f"layer with ⌊(n + 2p − k)/s⌋ + 1.")
    if why:
        return _report(False, why)
    if no_pool_shape is None:
        return _report(False, "no_pool_shape is still None: predict the shape for one image once the pooling layers "
                              "are removed.")
    shape, why = _wholes(no_pool_shape, ("batch", "channels", "height", "width"), "(1, 6, 28, 28)")
    if why:
        return _report(False, why)
    for name, m in list(ablated.named_modules()):  # the ablation: every pooling layer becomes the identity
        if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
            parent, _, child = name.rpartition(".")
            setattr(ablated.get_submodule(parent) if parent else ablated, child, nn.Identity())
    with torch.no_grad():
        want = tuple(ablated(X[:1]).shape)
    if shape == want:
        return _report(True, "", f"Correct: without pooling the maps end at {want[2]}×{want[3]}, so a Linear layer "
                                 f"after the stack would need {16 * want[2] * want[3]:,} inputs instead of 400: "
                                 f"{want[2] * want[3] / 25:.0f} times the weights.")
    if shape == (1, 16, 5, 5):
        hint = "That is the shape WITH the pooling layers; which layers still change the size without them?"
    elif shape[:2] != (1, 16):
        hint = "One image keeps batch 1, and the last convolution still gives 16 channels: removing pooling changes "
        hint += "only the height and width."
    else:
        hint = "Without pooling only the convolutions change the size, each by n + 2p − k + 1 with your paddings."
    return _report(False, hint)


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


@_exercise("06.4", """
from torch import nn

from cnnlib.models import Classifier

class MyLeNet(Classifier):
    \"\"\"The modern LeNet with every size written out: (N, 1, 28, 28) -> (N, num_classes).\"\"\"

    def __init__(self, num_classes=10):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.BatchNorm2d(6), nn.ReLU(),  # (N, 6, 28, 28)
            nn.MaxPool2d(kernel_size=2, stride=2),                                   # (N, 6, 14, 14)
            nn.Conv2d(6, 16, kernel_size=5), nn.BatchNorm2d(16), nn.ReLU(),          # (N, 16, 10, 10)
            nn.MaxPool2d(kernel_size=2, stride=2),                                   # (N, 16, 5, 5)
            nn.Flatten(),                                                            # (N, 400)
            nn.Linear(16 * 5 * 5, 120), nn.BatchNorm1d(120), nn.ReLU(),              # (N, 120)
            nn.Linear(120, 84), nn.BatchNorm1d(84), nn.ReLU(),                       # (N, 84)
            nn.Linear(84, num_classes))                                              # (N, num_classes): the scores
""")
def check_my_lenet(MyLeNet: object) -> bool:
    """06.4: the class MyLeNet(Classifier), the modern LeNet written with explicit sizes: the same layers, shapes and
    parameter count as cnnlib's LeNetModern (never printed), and its loss falls when the check trains it on its own
    batch."""
    if isinstance(MyLeNet, nn.Module):
        return _report(False, "Pass the class itself, MyLeNet, not an instance MyLeNet(): the check builds its own.")
    if not (isinstance(MyLeNet, type) and issubclass(MyLeNet, nn.Module)):
        return _report(False, f"Pass your class (class MyLeNet(Classifier): ...), got {_quote(MyLeNet)}.")
    if not issubclass(MyLeNet, Classifier):
        return _report(False, "Derive MyLeNet from Classifier (class MyLeNet(Classifier)), like LeNet: its layers go "
                              "in self.net.")
    with torch.random.fork_rng(devices=[]):  # initialising its weights must not move the notebook's random numbers
        model, why = _call(MyLeNet, "MyLeNet()")
    if not why and not isinstance(model, nn.Module):
        why = f"MyLeNet() must give a network, got {_quote(model)}."
    if not why and any(nn.parameter.is_lazy(p) for p in model.parameters()):
        why = ("MyLeNet() has lazy layers; write every size out (nn.Conv2d(1, 6, ...), nn.BatchNorm2d(6), "
               "nn.Linear(..., 120), nn.BatchNorm1d(120), ...): working the sizes out is the exercise.")
    if why:
        return _report(False, why)
    X = torch.randn(2, 1, 28, 28, generator=torch.Generator().manual_seed(6))
    with torch.random.fork_rng(devices=[]):  # building the reference must not move the notebook's random numbers
        reference = materialize(LeNetModern(), (1, 1, 28, 28))
    calls, _, _ = _layer_calls(reference, X, "LeNetModern()(X)", lambda m: not list(m.children()))
    ref_rows = [(type(m).__name__, tuple(out.shape)) for m, _, out in calls]
    calls, _, why = _layer_calls(model, X, "MyLeNet()(X) for X of shape (2, 1, 28, 28)",
                                 lambda m: not list(m.children()))
    rows = [(type(m).__name__, tuple(out.shape) if isinstance(out, Tensor) else None) for m, _, out in calls]
    why = why or _same_layers(rows, ref_rows)
    if why:
        return _report(False, why)
    n, n_ref = sum(p.numel() for p in model.parameters()), sum(p.numel() for p in reference.parameters())
    if n != n_ref:
        return _report(False, f"MyLeNet() has the modern LeNet's shapes but {n:,} learnable numbers, "
                              f"{'more' if n > n_ref else 'fewer'} than it: check the biases and the batch norms' "
                              f"sizes and affine=True.")
    losses, why = _train_on_own_batch(MyLeNet)
    if why:
        return _report(False, why)
    quarters = [sum(losses[i:i + 10]) / 10 for i in range(0, 40, 10)]
    if not all(b < a for a, b in zip(quarters, quarters[1:])) or quarters[-1] > losses[0] / 4:
        return _report(False, f"On the check's batch of 100 images the loss went {losses[0]:.2f} → {losses[19]:.2f} → "
                              f"{losses[-1]:.2f} in 40 steps of SGD; the modern LeNet's falls steadily to almost 0. "
                              f"Does forward run every layer, and is nothing detached?")
    return _report(True, "", f"Correct: the modern LeNet's layers and shapes, and on the check's batch of 100 images "
                             f"its loss fell {losses[0]:.2f} → {losses[9]:.2f} → {losses[-1]:.3f} in 40 steps.")


_LENET_PARTS = {"Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d", "Flatten", "Linear", "BatchNorm1d"}
_RESHAPERS = {"Conv2d", "MaxPool2d", "Flatten", "Linear"}  # the layers that change the shape; the others keep it
_WRONG_PART = {"Sigmoid": "use ReLU instead of the sigmoid", "Tanh": "use ReLU instead of tanh",
               "AvgPool2d": "use max pooling instead of average pooling",
               "Softmax": "end with the last Linear layer: its raw scores go to the loss, which applies the softmax",
               "LogSoftmax": "end with the last Linear layer: its raw scores go to the loss, which applies the softmax"}


def _same_layers(rows: list[tuple[str, Optional[tuple]]], ref_rows: list[tuple[str, tuple]]) -> str:
    """"" when the layers that ran (name, output shape) match the reference's, a BN and its ReLU in either order;
    else a sentence that names the first difference without printing the reference."""
    for kind, _ in rows:
        if kind not in _LENET_PARTS:
            article = "an" if kind[0] in "AEIOU" else "a"
            return f"MyLeNet has {article} {kind} layer: {_WRONG_PART.get(kind, 'the modern LeNet has none')}."

    def segments(rs: list) -> list:  # [(reshaping layer, sorted shape-keeping layers after it)]
        out = []
        for row in rs:
            if row[0] in _RESHAPERS or not out:
                out.append((row, []))
            else:
                out[-1][1].append(row)
        return [(head, sorted(tail, key=str)) for head, tail in out]

    mine, ref = segments(rows), segments(ref_rows)
    for i, ((head, tail), (ref_head, ref_tail)) in enumerate(zip(mine, ref)):
        if head != ref_head:
            same = "the same" if head[1] == ref_head[1] else "another"
            return (f"MyLeNet's layer {sum(len(t) + 1 for _, t in mine[:i]) + 1} ({head[0]}, output {head[1]} for 2 "
                    f"images) does not match the modern LeNet, which has a {ref_head[0]} with {same} output shape "
                    f"there: compare with LeNet's layer summary in section 2.")
        if [k for k, _ in tail] != [k for k, _ in ref_tail]:
            after = ", ".join(k for k, _ in tail) or "nothing"
            return (f"After MyLeNet's {head[0]} with output {head[1]} come {after}; the modern LeNet has batch norm "
                    f"and ReLU after every convolution and hidden Linear layer, nothing after the last Linear.")
    if len(mine) != len(ref):
        more = len(mine) > len(ref)
        return (f"MyLeNet has {'more' if more else 'fewer'} layers that change the shape than the modern LeNet; its "
                f"{'extra' if more else 'last'} one is {mine[len(ref) if more else -1][0][0]}: compare with LeNet's "
                f"layer summary in section 2.")
    return ""


def _train_on_own_batch(MyLeNet: type) -> tuple[list[float], str]:
    """The losses of 40 SGD steps of a fresh MyLeNet() on the check's batch of 100 images of 10 classes (class
    templates plus noise, seeded), or ([], why not); the notebook's random numbers are left as they were."""
    g = torch.Generator().manual_seed(6)
    templates = torch.randn(10, 1, 28, 28, generator=g)        # one pattern per class
    y = torch.arange(100) % 10                                 # (100,): 10 images of each class
    X = templates[y] + torch.randn(100, 1, 28, 28, generator=g)  # (100, 1, 28, 28)
    losses = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        try:
            model = MyLeNet()
            optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
            model.train()
            for _ in range(40):
                loss = nn.functional.cross_entropy(model(X), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
        except Exception as error:  # the student's forward or parameters may fail in any way
            first_line = (str(error).strip().splitlines() or [""])[0][:120].rstrip(".")
            return [], f"Training MyLeNet() on the check's batch raised {type(error).__name__}: {first_line}."
    if not all(np.isfinite(losses)):
        return [], "Training MyLeNet() on the check's batch gave a NaN or infinite loss: is every layer's size right?"
    return losses, ""


# ---- 07 VGG ----

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


@_exercise("07.4", """
from cnnlib.models import VGG

no_bn = VGG(((1, 16), (1, 32), (2, 64)), num_hiddens=256, dropout=0.5, batch_norm=False)  # vgg_small, no BatchNorm
# vgg_small has a BatchNorm2d after each of its 4 convolutions: 16 + 32 + 64 + 64 = 176 channels, and each learns a
# scale (gamma) and a shift (beta) per channel. Its running mean and variance are buffers, not parameters.
prediction = (2 * (16 + 32 + 64 + 64), "higher")  # 352 parameters fewer; without batch norm the loss falls slower
race_bn = {"with batch norm": measure(vgg_small()), "without": measure(no_bn)}
""")
def check_without_batchnorm(no_bn: object, prediction: object = None, race: object = None) -> bool:
    """07.4: no_bn, the narrow VGG without batch normalisation; prediction = (parameters that disappear, "higher" or
    "lower": the training loss without BN after the measured epochs); race = {"with batch norm": History, "without":
    History} from training both the same way. The predicted direction must agree with the measurement."""
    if prediction is None or isinstance(prediction, (tuple, list)) and all(p is None for p in prediction):
        return _report(False, "prediction is still (None, None): predict first, (parameters that disappear, "
                              "\"higher\" or \"lower\").")
    if not isinstance(prediction, (tuple, list)) or len(prediction) != 2:
        return _report(False, f"prediction must be a pair such as (100, \"lower\"), got {_quote(prediction)}.")
    removed, why = _whole(prediction[0], "the number of parameters that disappear")
    direction = prediction[1].strip().lower() if isinstance(prediction[1], str) else None
    if not why and direction not in ("higher", "lower"):
        why = (f"The second part of prediction must be \"higher\" or \"lower\" (the loss without batch norm), got "
               f"{_quote(prediction[1])}.")
    if why:
        return _report(False, why)
    with torch.random.fork_rng(devices=[]):  # building the reference must not move the notebook's random numbers
        reference = materialize(vgg_small(), (1, 1, 28, 28))
    norms = [m for m in reference.modules() if isinstance(m, nn.BatchNorm2d)]
    want = sum(p.numel() for m in norms for p in m.parameters())
    if removed != want:
        hints = {2 * want: "The running mean and variance are buffers, not parameters: the optimizer never changes "
                           "them.",
                 want // 2: "Each batch norm learns two numbers per channel: a scale γ and a shift β.",
                 0: "A batch norm has learnable parameters: a scale γ and a shift β per channel."}
        return _report(False, hints.get(removed, f"{removed} is not the number of parameters that disappear: count "
                                                 f"the channels of vgg_small's batch norms and what each learns."))
    if not isinstance(no_bn, nn.Module):
        return _report(False, f"no_bn must be your network (the narrow VGG without batch norm), got {_quote(no_bn)}.")
    left = sum(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in no_bn.modules())
    if left:
        return _report(False, f"no_bn still has {left} batch normalisation layers; build the narrow VGG with "
                              f"batch_norm=False (the blocks and head of vgg_small).")
    if any(nn.parameter.is_lazy(p) for p in no_bn.parameters()):
        return _report(False, "no_bn has not seen a batch yet: pass the network you measured (measure(no_bn) "
                              "trains it).")
    layers = [(type(m).__name__, m.weight.shape) for m in no_bn.modules()
              if isinstance(m, (nn.Conv2d, nn.Linear))]
    if layers != [(type(m).__name__, m.weight.shape) for m in reference.modules()
                  if isinstance(m, (nn.Conv2d, nn.Linear))]:
        return _report(False, "no_bn should be vgg_small with only the batch norms removed: the same blocks "
                              "((1, 16), (1, 32), (2, 64)) and a head of 256 units.")
    return _race_verdict(race, direction, removed)


def _race_verdict(race: object, direction: str, removed: int) -> bool:
    """07.4's measurement: two Histories of the same length whose losses agree with the predicted direction."""
    from cnnlib.train import History  # here, so that importing the checks does not import torchvision

    names = ("with batch norm", "without")
    if race is None:
        return _report(False, "race_bn is still None: measure both networks, {\"with batch norm\": "
                              "measure(vgg_small()), \"without\": measure(no_bn)}.")
    if not (isinstance(race, dict) and set(race) == set(names) and all(isinstance(h, History) for h in race.values())):
        return _report(False, f"race_bn must be {{\"with batch norm\": History, \"without\": History}}, the two "
                              f"Histories measure returns; got {_quote(race)}.")
    with_bn, without = race["with batch norm"], race["without"]
    if len(with_bn) < 2 or len(with_bn) != len(without):
        return _report(False, "Train both networks for the same number of epochs, at least 2 (measure does).")
    if not all(np.isfinite(with_bn.train_loss + without.train_loss)):
        return _report(False, "A training loss in race_bn is NaN or infinite: measure both networks again.")
    if with_bn.train_loss == without.train_loss:
        return _report(False, "The two Histories are the same run: measure each network once.")
    if not all(b < a for a, b in zip(with_bn.train_loss, with_bn.train_loss[1:])):
        trajectory = ", ".join(f"{v:.2f}" for v in with_bn.train_loss)
        return _report(False, f"With batch norm the loss did not fall from epoch to epoch ({trajectory}): pass what "
                              f"measure(vgg_small()) returns.")
    b, w = with_bn.train_loss[-1], without.train_loss[-1]
    measured = "higher" if w > b else "lower"
    if direction != measured:
        return _report(False, f"Your measurement says the loss without batch norm ended {measured} ({w:.2f} against "
                              f"{b:.2f} with it), you predicted {direction}. Why? Change the prediction once you can "
                              f"say.")
    effect = "trained faster" if measured == "higher" else "did not help here"
    return _report(True, "", f"Correct: {removed} parameters fewer, and after {len(without)} epochs the loss was "
                             f"{w:.2f} without batch norm against {b:.2f} with it: with the same learning rate, "
                             f"batch norm {effect}.")


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


@_exercise("08.4", """
import torch

from cnnlib.ops import corr2d_multi_in_out

def grouped_conv2d(X, K, groups):
    \"\"\"X (C, H, W), K (Co, C / groups, kh, kw) -> (Co, out_h, out_w): output group g sees input group g only.\"\"\"
    c_in, c_out = X.shape[0] // groups, K.shape[0] // groups  # channels per group, in and out
    Ys = [corr2d_multi_in_out(X[g * c_in:(g + 1) * c_in], K[g * c_out:(g + 1) * c_out])  # (c_out, out_h, out_w)
          for g in range(groups)]
    return torch.cat(Ys, dim=0)  # (Co, out_h, out_w)
""")
def check_grouped_conv2d(grouped_conv2d: Callable) -> bool:
    """08.4: grouped_conv2d(X, K, groups) with X (C, H, W) and K (Co, C/groups, kh, kw) equals
    F.conv2d(X[None], K, groups=groups)[0], for several shapes and group counts."""
    why = _not_a_function(grouped_conv2d, "grouped_conv2d")
    if why:
        return _report(False, why)
    gen = torch.Generator().manual_seed(8)
    for C, Co, (H, W), (kh, kw), groups in ((4, 6, (5, 5), (3, 3), 2), (6, 6, (4, 5), (2, 3), 3),
                                            (4, 4, (5, 4), (3, 3), 4), (3, 6, (4, 4), (1, 1), 3),
                                            (2, 4, (4, 4), (3, 2), 1)):
        X, K = torch.randn(C, H, W, generator=gen), torch.randn(Co, C // groups, kh, kw, generator=gen)
        want = nn.functional.conv2d(X[None].double(), K.double(), groups=groups)[0]  # (Co, out_h, out_w)
        call = f"grouped_conv2d(X, K, {groups}) for X {tuple(X.shape)}, K {tuple(K.shape)}"
        got, why = _call(grouped_conv2d, call, X.clone(), K.clone(), groups)
        if not why and isinstance(got, Tensor) and groups > 1 and got.ndim == 3 and got.shape[0] in (Co // groups,
                                                                                                     Co * groups):
            why = (f"{call} has {got.shape[0]} output channels instead of {Co}: "
                   + ("you computed one group only; compute every group and join them with torch.cat."
                      if got.shape[0] == Co // groups else
                      "each group uses only its own rows of K, K[g·Co/groups:(g+1)·Co/groups]."))
        if not why:
            got, why = _tensor(got, f"The result of {call}", tuple(want.shape), "torch.cat([...], dim=0)")
        if why:
            return _report(False, why)
        if not torch.allclose(got, want, atol=1e-4):
            step = C // groups
            mixed = nn.functional.conv2d(torch.cat([X[g::groups] for g in range(groups)])[None].double(), K.double(),
                                         groups=groups)[0]
            hint = (f"group g takes the consecutive input channels X[g·{step}:(g+1)·{step}], not the interleaved "
                    f"X[g::{groups}]" if torch.allclose(got, mixed, atol=1e-4) else
                    "output group g (rows g·Co/groups … of K) is computed from input group g only")
            return _report(False, f"Right shape, wrong values for {call}: {hint}.")
    return _report(True, "", "Correct: with g groups each output channel reads only C/g input channels, so the layer "
                             "has g times fewer weights and multiply-adds; ResNeXt's 1×1 convolutions mix the groups.")


# ---- 09 CIFAR-10 MLP baseline ----

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


@_exercise("09.4", """
import torch
from torch import nn

set_seed(0)
book_cnn = nn.Sequential(
    nn.Conv2d(3, 16, kernel_size=3, padding=1), nn.Tanh(), nn.MaxPool2d(2),  # (N, 16, 16, 16)
    nn.Conv2d(16, 8, kernel_size=3, padding=1), nn.Tanh(), nn.MaxPool2d(2),  # (N, 8, 8, 8)
    nn.Flatten(),                                                            # (N, 512)
    nn.Linear(8 * 8 * 8, 32), nn.Tanh(),                                     # (N, 32)
    nn.Linear(32, 10))                                                       # (N, 10): one score per class
few = TensorLoader(data.train.X[:4000], data.train.y[:4000], batch_size=64, shuffle=True,  # a few thousand images
                   mean=data.mean, std=data.std)
opt_book = torch.optim.SGD(book_cnn.parameters(), lr=1e-2, momentum=0.9)
history_book = fit(book_cnn, few, data.val, epochs=2, optimizer=opt_book)
""")
def check_book_cnn(book_cnn: object, history: object = None, val_loader: object = None) -> bool:
    """09.4: book_cnn, the CNN of "Learning with Convolutions" (Stevens et al., ch. 8) for 10 classes, trained by fit;
    history, the History fit returned (2 epochs or more, validated on val_loader); val_loader, data.val.

    The layers are checked by what they compute (an nn.Sequential, or a class like the book's with functional tanh
    and pooling), the parameter count against the one computed from the book's layer sizes (never printed), and the
    history against the network: evaluating book_cnn on val_loader must give the history's last validation loss and
    accuracy, so an untrained network, or a history of another network, is refused."""
    if book_cnn is None:
        return _report(False, _STILL_NONE.format(name="book_cnn"))
    if not isinstance(book_cnn, nn.Module):
        return _report(False, f"book_cnn must be your network (an nn.Module such as nn.Sequential(...)), got "
                              f"{_quote(book_cnn)}.")
    if any(nn.parameter.is_lazy(p) for p in book_cnn.parameters()):
        return _report(False, "book_cnn has lazy layers that never saw a batch: train it (fit materialises them).")
    n, want = sum(p.numel() for p in book_cnn.parameters()), _book_cnn_size(10)
    if n != want:
        return _report(False, f"book_cnn has {n:,} learnable numbers, {'more' if n > want else 'fewer'} than the "
                              f"book's network for 10 classes: check the channels (3 → 16 → 8), the 3×3 kernels and "
                              f"the Linear layers (8·8·8 → 32 → 10).")
    why = _book_cnn_computes(book_cnn)
    if why:
        return _report(False, why)
    return _book_cnn_history(book_cnn, history, val_loader)


def _book_cnn_size(num_classes: int) -> int:
    """The book's CNN's parameter count, from its layer sizes: conv 3->16, conv 16->8 (3x3), Linear 512->32->classes."""
    def conv(c_i: int, c_o: int, k: int) -> int:
        return c_o * c_i * k * k + c_o

    def linear(n_i: int, n_o: int) -> int:
        return n_o * n_i + n_o

    return conv(3, 16, 3) + conv(16, 8, 3) + linear(8 * 8 * 8, 32) + linear(32, num_classes)


def _book_cnn_computes(net: nn.Module) -> str:
    """"" when net computes conv -> tanh -> max-pool -> conv -> tanh -> max-pool -> flatten -> Linear -> tanh ->
    Linear on a batch of CIFAR-sized images, else the sentence why not. The convolutions and Linear layers must be
    nn.Conv2d and nn.Linear modules (their inputs and outputs are checked); tanh and pooling may be either."""
    X = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(9)).to(model_device(net))
    calls, out, why = _layer_calls(net, X, "book_cnn(X) for X of shape (2, 3, 32, 32)",
                                   lambda m: isinstance(m, (nn.Conv2d, nn.Linear)))
    if why:
        return why
    kinds = [type(m).__name__ for m, _, _ in calls]
    if kinds != ["Conv2d", "Conv2d", "Linear", "Linear"]:
        return f"book_cnn should run two convolutions, then two Linear layers; it runs {', '.join(kinds) or 'none'}."
    (conv1, _, c1), (conv2, x2, c2), (_, x3, l1), (_, x4, l2) = calls
    if conv1.kernel_size != (3, 3) or tuple(c1.shape) != (2, 16, 32, 32):
        return ("The first convolution should be 3 → 16 channels, 3×3 with padding 1 (which keeps 32×32); it gives "
                f"{tuple(c1.shape)} for 2 images.")
    steps = ((x2, c1, False, "The second convolution"), (x3, c2, True, "The first Linear layer"))
    for seen, before, flat, who in steps:
        pooled = nn.functional.max_pool2d(torch.tanh(before), 2)
        want = pooled.flatten(1) if flat else pooled
        if tuple(seen.shape) != tuple(want.shape):
            return (f"{who} gets {tuple(seen.shape)} for 2 images; between the layers come tanh and a 2×2 max pooling "
                    f"that halves the size{', then flatten' if flat else ''}.")
        if torch.allclose(seen, want, atol=1e-5):
            if not flat and (conv2.kernel_size != (3, 3) or tuple(c2.shape) != (2, 8, 16, 16)):
                return ("The second convolution should be 16 → 8 channels, 3×3 with padding 1 (which keeps "
                        f"16×16); it gives {tuple(c2.shape)} for 2 images.")
            continue
        relu = nn.functional.max_pool2d(torch.relu(before), 2).reshape(seen.shape)
        avg = nn.functional.avg_pool2d(torch.tanh(before), 2).reshape(seen.shape)
        hint = ("tanh, as in the book, not ReLU" if torch.allclose(seen, relu, atol=1e-5) else
                "max pooling, not average pooling" if torch.allclose(seen, avg, atol=1e-5) else
                "tanh, then a 2×2 max pooling")
        return f"{who} should see max_pool2d(tanh(the previous layer's output), 2): use {hint}."
    if not torch.allclose(x4, torch.tanh(l1), atol=1e-5):
        return "The last Linear layer should see tanh of the first Linear layer's output (32 numbers per image)."
    if not (isinstance(out, Tensor) and out.shape == l2.shape and torch.allclose(out, l2, atol=1e-5)):
        return ("book_cnn's output should be the last Linear layer's 10 scores, nothing after it: the loss applies "
                "the softmax itself.")
    return ""


def _book_cnn_history(net: nn.Module, history: object, val_loader: object) -> bool:
    """09.4's training: a History of 2+ epochs whose loss fell, above chance, and measured on this very network."""
    from cnnlib.train import History, evaluate  # here, so that importing the checks does not import torchvision

    if history is None:
        return _report(False, "history_book is still None: train book_cnn with fit and pass the History it returns.")
    if not isinstance(history, History):
        return _report(False, f"Pass the History that fit returns, got {_quote(history)}.")
    losses = history.train_loss
    if len(history) < 2:
        return _report(False, f"history_book holds {len(history)} epoch(s): train for 2, so that the check can see the "
                              f"loss fall from epoch to epoch.")
    if not all(np.isfinite(losses)) or not all(b < a for a, b in zip(losses, losses[1:])):
        trajectory = ", ".join(f"{v:.3f}" for v in losses)
        return _report(False, f"The training loss did not fall from epoch to epoch ({trajectory}): SGD with "
                              f"lr=1e-2 and momentum=0.9 does it.")
    acc, loss = history.val_acc[-1], history.val_loss[-1]
    if not (np.isfinite(acc) and np.isfinite(loss)):
        return _report(False, "history_book has no validation accuracy: pass data.val to fit, as in "
                              "fit(book_cnn, few, data.val, ...).")
    if acc < 0.2:
        return _report(False, f"After {len(history)} epochs the validation accuracy is {acc:.2f}, hardly above chance "
                              f"(0.10 for 10 classes): train on more images, or check the learning rate.")
    if val_loader is None:
        return _report(False, "Pass data.val too, check_book_cnn(book_cnn, history_book, data.val), so that the check "
                              "can match the history to the network.")
    try:
        now_loss, now_acc = evaluate(net, val_loader)
    except Exception as error:  # a loader that is not one, or one the network cannot take
        first_line = (str(error).strip().splitlines() or [""])[0][:120].rstrip(".")
        return _report(False, f"evaluate(book_cnn, data.val) raised {type(error).__name__}: {first_line}.")
    if abs(now_acc - acc) > 2e-3 or abs(now_loss - loss) > 1e-3 * max(1.0, loss):
        return _report(False, f"book_cnn scores {now_acc:.3f} on data.val, but history_book's last epoch says "
                              f"{acc:.3f}: pass the network you trained, the History of that training and the loader "
                              f"it was validated on.")
    mlp = (3 * 32 * 32 * 100 + 100) + (100 * 10 + 10)  # the parameters of section 3's MLP
    ratio = mlp / _book_cnn_size(10)
    return _report(True, "", f"Correct: the loss fell {losses[0]:.2f} → {losses[-1]:.2f} and book_cnn gets {acc:.0%} "
                             f"of the validation images right (chance: 10%), with {ratio:.0f} times fewer parameters "
                             f"than the MLP.")


# ---------------------------------------------------------------- 10 backpropagation

@_exercise("10.1", """
from cnnlib.ops import corr2d

def kernel_grad(X, grad_Y):
    # Y[i, j] = sum over (a, b) of X[i + a, j + b] * K[a, b], so weight K[a, b] met X[i + a, j + b] at every output
    # pixel: dL/dK[a, b] = sum over (i, j) of grad_Y[i, j] * X[i + a, j + b]. That is grad_Y sliding over X like a
    # kernel: a cross-correlation of the input with the output's gradient.
    return corr2d(X, grad_Y)  # (H - out_h + 1, W - out_w + 1) = (kh, kw)
""")
def check_kernel_grad(kernel_grad: Callable) -> bool:
    """10.1: kernel_grad(X, grad_Y) -> dL/dK (kh, kw) for Y = corr2d(X, K), X (H, W), grad_Y = dL/dY; checked by
    torch.autograd.gradcheck (float64) with kernel_grad as the kernel's backward pass, and against autograd."""
    why = _not_a_function(kernel_grad, "kernel_grad")
    if why:
        return _report(False, why)
    g = torch.Generator().manual_seed(10)
    for x_shape, k_shape in (((4, 4), (2, 2)), ((5, 7), (3, 2)), ((6, 5), (1, 3))):
        X, K = torch.randn(x_shape, generator=g, dtype=torch.float64), torch.randn(k_shape, generator=g,
                                                                                   dtype=torch.float64)
        grad_Y = torch.randn(x_shape[0] - k_shape[0] + 1, x_shape[1] - k_shape[1] + 1, generator=g,
                             dtype=torch.float64)
        call = f"kernel_grad(X, grad_Y) for X of shape {x_shape} and a {k_shape[0]}x{k_shape[1]} kernel"
        got, why = _call(kernel_grad, call, X.clone(), grad_Y.clone())
        if why:
            swapped = " Which array slides over which? grad_Y is the smaller one." if "larger than" in why else ""
            return _report(False, why + swapped)
        got, why = _tensor(got, f"The result of {call}", k_shape, "corr2d(X, grad_Y)")
        if why:
            return _report(False, why + " The kernel's gradient has one number per weight: the kernel's shape.")
        want = corr2d_backward(X, K, grad_Y)[1]
        if torch.allclose(got, want.flip(0, 1), atol=1e-6) and not torch.allclose(got, want, atol=1e-6):
            return _report(False, "Your gradient is the right one upside down and mirrored: corr2d does not flip "
                                  "(that is convolve2d); slide grad_Y over X as it is.")
        if not _grad_checked(X, K, kernel_grad):
            return _report(False, f"torch.autograd.gradcheck disagrees for {call}: a small change of K[a, b] moves "
                                  f"the loss by a different amount than your gradient says. Write dL/dK[a, b] as a "
                                  f"sum over the output pixels (i, j) of grad_Y[i, j] times the input pixel K[a, b] "
                                  f"met there.")
    return _report(True, "", "Correct, and gradient-checked: the kernel's gradient is the input cross-correlated "
                             "with the output's gradient, corr2d(X, grad_Y).")


def _grad_checked(X: Tensor, K: Tensor, kernel_grad: Callable) -> bool:
    """torch.autograd.gradcheck of corr2d with the student's kernel_grad as the kernel's backward pass (float64)."""
    class Corr2dWithTheirGrad(torch.autograd.Function):
        @staticmethod
        def forward(ctx, X: Tensor, K: Tensor) -> Tensor:
            ctx.save_for_backward(X, K)
            return corr2d(X, K)

        @staticmethod
        def backward(ctx, grad_Y: Tensor) -> tuple[Tensor, Tensor]:
            X, K = ctx.saved_tensors
            grad_K = torch.as_tensor(kernel_grad(X.detach().clone(), grad_Y.detach().clone()), dtype=torch.float64)
            return corr2d_backward(X, K, grad_Y)[0], grad_K.reshape(K.shape)

    try:
        inputs = (X.clone().requires_grad_(), K.clone().requires_grad_())
        return torch.autograd.gradcheck(Corr2dWithTheirGrad.apply, inputs, raise_exception=False)
    except Exception:  # the student's function fails on gradcheck's inputs: not checked
        return False


@_exercise("10.2", """
# Max pooling: only the largest pixel of the window changed Y[i, j], so only it gets gradient (no ties here).
# Average pooling: every one of the 3 x 3 pixels counted 1/9, so all 9 get gradient.
# Convolution 3x3 with padding 1 at Y[0, 0]: its window covers rows -1..1 and columns -1..1; 5 of its 9 cells are
# padding (their gradient is thrown away), 2 x 2 = 4 are pixels of the image.
answer = (1, 9, 4)
""")
def check_gradient_reach(answer: object) -> bool:
    """10.2: (input pixels that get a gradient from one output pixel of 3x3 max pooling, of 3x3 average pooling, and
    from Y[0, 0] of a 3x3 convolution with padding 1), all with stride 1, for an image with no ties."""
    counts, why = _wholes(answer, ("max pooling", "average pooling", "convolution at Y[0, 0]"), "(1, 1, 1)")
    if why:
        return _report(False, why)
    n_max, n_avg, n_conv = counts
    if n_max != 1:
        return _report(False, "Max pooling: which pixels of the window changed the output? Only the largest one; "
                              "a small change of any other pixel leaves the max as it is.")
    if n_avg != 9:
        return _report(False, "Average pooling: every pixel of the 3x3 window counts 1/9 in the mean, so each one "
                              "changes the output a little.")
    if n_conv == 9:
        return _report(False, "At Y[0, 0] with padding 1, part of the window lies on the padding: zeros that are not "
                              "pixels of the image. Count only the window's cells inside the image.")
    return _report(n_conv == 4, "Draw the 3x3 window of Y[0, 0] with padding 1: it covers rows -1, 0, 1 and columns "
                                "-1, 0, 1. Which of its cells are inside the image?",
                   "Correct: 1, 9 and 4. The widget above shows each of them.")
