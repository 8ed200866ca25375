"""Interactive widgets (core ipywidgets only, so Colab's 7.7.1 works) and the plain functions behind them.

Convention: the logic of every widget is a plain function (tested on its own); the widget only wires controls to it,
shows its figure in one `ipywidgets.Image` (so changing a control replaces the picture, never stacks a new one) and
shows problems in a status label (never a traceback). Controls get stable CSS classes `cnn-...` for browser tests.
Sections follow the notebooks, 01 -> 09. Arguments are checked at the top of every public function, before any
widget is built, and sizes are capped at what each picture can show, so a typo gets a sentence and nothing hangs.
"""
from __future__ import annotations

import html
import io
import math
import numbers
from collections.abc import Sequence
from typing import Optional

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from matplotlib import cbook
from matplotlib.figure import Figure
from torch import nn
from torch.nn import functional as F

from cnnlib import _check
from cnnlib.backprop import corr2d_backward, pool2d_backward
from cnnlib.data import data_root, dataset_info, load_tensors, missing_files
from cnnlib.features import capture_activations, feature_maps, layer_titles
from cnnlib.ops import conv_matrix, conv_output_shape, corr2d_fast, corr2d_strided, pool2d
from cnnlib.viz import (_mean_std, _plot_conv_matrix, _plot_feature_maps, plot_channels, plot_gradient_flow,
                        plot_panels, plot_pooling, plot_windows)

_STRIDE_WHY = "; a stride of 0 would never move the window to its next position"


# ---------------------------------------------------------------- shared by every widget

def figure_png(fig: Figure, dpi: int = 80) -> bytes:
    """Render a matplotlib figure to PNG bytes and close it (so notebooks do not pile up open figures).

    Public because anyone writing a widget in this convention (and the browser tests' harness) needs it.
    """
    dpi = _png_args(fig, dpi)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _png_args(fig: object, dpi: object) -> int:
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, such as one a cnnlib.viz function returns, got "
                        f"{_check.short(fig)}")
    return _check.whole(dpi, "dpi", 20, 300)


def _status(widget: widgets.HTML, text: str, ok: bool = True) -> None:
    """Write text into a status widget: plain when ok, red with a warning sign when not."""
    safe = html.escape(text, quote=False)  # element text: only &, < and > need escaping
    widget.value = safe if ok else f"<span style='color:#b00020'>⚠ {safe}</span>"


def _start(value: object, name: str, lo: int, hi: int, pair: bool = False) -> object:
    """A widget's starting value: a whole number (or an (h, w) pair) within its slider's range."""
    hint = f"; it is where the slider starts, and the slider runs from {lo} to {hi}"
    return _check.pair(value, name, lo, hi, hint) if pair else _check.whole(value, name, lo, hi, hint)


def sample_image(size: int = 80, grey: bool = False) -> torch.Tensor:
    """Grace Hopper's portrait (matplotlib's sample data), square-cropped and shrunk: (3, size, size) in [0, 1].

    With grey=True: the luminance 0.299 R + 0.587 G + 0.114 B as one (size, size) image. Notebooks 02, 04 and 05
    (and the kernel editor) use it, so it lives here rather than in one section.
    """
    size = _sample_args(size, grey)
    with cbook.get_sample_data("grace_hopper.jpg") as f:
        photo = plt.imread(f, format="jpg")  # (600, 512, 3) uint8
    X = torch.tensor(photo[20:532], dtype=torch.float32).permute(2, 0, 1) / 255  # (3, 512, 512): hat to chest
    X = F.interpolate(X[None], size=(size, size), mode="area")[0]  # (3, size, size): mean of each block
    if grey:
        return torch.tensordot(torch.tensor([0.299, 0.587, 0.114]), X, dims=1)  # (size, size)
    return X


def _sample_args(size: object, grey: object) -> int:
    _check.flag(grey, "grey")
    return _check.whole(size, "size", 4, 512, hint="; size is the side of the square photo in pixels (at most "
                                                   "512, the photo's own resolution)")


def _unit_range(X: torch.Tensor, name: str, what: str) -> None:
    """X holds finite values in [0, 1], the scale the pictures draw on."""
    if not torch.isfinite(X).all():
        raise ValueError(f"{name} holds NaN or infinite values; {what} needs finite values in [0, 1]")
    lo, hi = X.min().item(), X.max().item()
    if lo < 0 or hi > 1:
        raise ValueError(f"{name} must hold floats in [0, 1] ({what}), got values from {lo:.3g} to {hi:.3g}; "
                         f"rescale it, e.g. ({name} - {name}.min()) / ({name}.max() - {name}.min()), or undo a "
                         f"normalisation with {name} * std + mean")


# ---------------------------------------------------------------- 01 convolution as a linear layer

_MAX_MATRIX_SIDE = 32  # W has (n + 2p - k + 1)² rows and n² columns: it grows with the fourth power of the side
_MAX_MATRIX_PADDING = 16


def conv_matrix_demo(input_size: int = 5, kernel_size: int = 3, padding: int = 0, stride: int = 1) -> dict:
    """The dense matrix W of a k×k convolution on an n×n input, with kernel entries 1..k² (one colour each).

    Returns dict(K, W, input_shape, output_shape, dense_params, shared_params, nonzero, sparsity, text), where
    W (out_h*out_w, n*n) satisfies W @ X.flatten() == corr2d_strided(X, K, padding, stride).flatten().
    Raises ValueError/TypeError with a sentence for the student when the setting is impossible.
    """
    n, k, p, s = _matrix_args(input_size, kernel_size, padding, stride)
    out_h, out_w = conv_output_shape(n, k, p, s)  # raises when the kernel does not fit the padded input
    K = torch.arange(1, k * k + 1, dtype=torch.float32).reshape(k, k)  # (k, k)
    W = conv_matrix(K, (n, n), padding=p, stride=s)  # (out_h*out_w, n*n)
    nonzero = int((W != 0).sum())
    text = (f"Y is {out_h}×{out_w}, so W is {W.shape[0]}×{W.shape[1]} = {W.numel():,} weights, of which "
            f"{nonzero:,} are nonzero ({1 - nonzero / W.numel():.1%} zeros). A dense layer from the {n * n} "
            f"input pixels to the {out_h * out_w} output pixels learns all {W.numel():,}; the convolution "
            f"learns {k * k} shared weights.")
    return dict(K=K, W=W, input_shape=(n, n), output_shape=(out_h, out_w), dense_params=W.numel(),
                shared_params=k * k, nonzero=nonzero, sparsity=1 - nonzero / W.numel(), text=text)


def _matrix_args(input_size: object, kernel_size: object, padding: object,
                 stride: object) -> tuple[int, int, int, int]:
    """Whole numbers a picture of W can show (conv_output_shape then checks that the kernel fits)."""
    return (_check.whole(input_size, "input_size", 1, _MAX_MATRIX_SIDE,
                         hint=f"; W grows with the fourth power of the input side, so this picture stops at "
                              f"{_MAX_MATRIX_SIDE}x{_MAX_MATRIX_SIDE}"),
            _check.whole(kernel_size, "kernel_size", 1),
            _check.whole(padding, "padding", 0, _MAX_MATRIX_PADDING,
                         hint=f"; padding adds rows and columns of zeros (0 for none), and this picture shows at "
                              f"most {_MAX_MATRIX_PADDING} on each side"),
            _check.whole(stride, "stride", 1, hint=_STRIDE_WHY))


def conv_matrix_figure(view: dict) -> Figure:
    """The picture of a conv_matrix_demo result: K beside W."""
    if not isinstance(view, dict) or not {"K", "W", "input_shape", "output_shape"} <= set(view):
        raise TypeError(f"view must be the dict that conv_matrix_demo returns, e.g. "
                        f"conv_matrix_figure(conv_matrix_demo(5, 3)), got {_check.short(view)}")
    return _plot_conv_matrix(view["K"], view["W"], view["input_shape"], view["output_shape"])


def conv_matrix_widget(input_size: int = 5, kernel_size: int = 3, padding: int = 0,
                       stride: int = 1) -> widgets.VBox:
    """Sliders (input size, kernel size, padding, stride) -> the matrix W as an image, its sparsity, the counts.

    CSS classes: cnn-input-size, cnn-kernel-size, cnn-padding, cnn-stride (IntSlider),
    cnn-status (HTML: counts, or why a setting is impossible), cnn-output (Image: K and W).
    """
    limits = {"input size": (1, 12), "kernel size": (1, 6), "padding": (0, 3), "stride": (0, 4)}  # stride 0: a message
    start = {name: _start(value, name.replace(" ", "_"), *limits[name])
             for name, value in zip(limits, (input_size, kernel_size, padding, stride))}
    style = {"description_width": "90px"}
    labels = {"input size": "input n×n", "kernel size": "kernel k×k", "padding": "padding p", "stride": "stride s"}
    sliders = {name: widgets.IntSlider(continuous_update=False, value=start[name], min=lo, max=hi,
                                       description=labels[name], style=style)
               for name, (lo, hi) in limits.items()}
    for name, slider in sliders.items():
        slider.add_class("cnn-" + name.replace(" ", "-"))
    status = widgets.HTML(layout=widgets.Layout(width="760px"))
    status.add_class("cnn-status")
    image = widgets.Image(format="png", layout=widgets.Layout(width="760px"))
    image.add_class("cnn-output")

    def update(_change: object = None) -> None:
        try:
            view = conv_matrix_demo(*(slider.value for slider in sliders.values()))
        except (ValueError, TypeError) as e:
            _status(status, f"{e}. (The picture still shows the last possible setting.)", ok=False)
            return
        image.value = figure_png(conv_matrix_figure(view))
        _status(status, view["text"])

    for slider in sliders.values():
        slider.observe(update, names="value")
    update()
    return widgets.VBox([widgets.HBox(list(sliders.values())[:2]), widgets.HBox(list(sliders.values())[2:]),
                         status, image])


# ---------------------------------------------------------------- 02 corr2d: kernel editor

KERNEL_PRESETS: dict[str, list[list[float]]] = {  # 3×3 versions; kernel_preset(name, 5) gives the 5×5 ones
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "box blur": [[1 / 9] * 3 for _ in range(3)],
    "Gaussian": [[1 / 16, 2 / 16, 1 / 16], [2 / 16, 4 / 16, 2 / 16], [1 / 16, 2 / 16, 1 / 16]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "Sobel x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "Sobel y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "Laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
}
_KERNEL_SIZES = (3, 5)  # what the editor's size buttons offer
_MAX_KERNEL = 15  # a preset grown further is only more zeros; a longer pasted list is refused before any loop


def _resize_kernel(rows: Sequence[Sequence[object]], size: int) -> list[list[object]]:
    """A square kernel grown (zeros around it) or cut (its centre) to size×size; entries are kept as they are."""
    n = len(rows)
    out: list[list[object]] = [[0.0] * size for _ in range(size)]
    shift = (size - n) // 2  # > 0: place rows in the middle; < 0: start reading inside rows
    for i in range(size):
        for j in range(size):
            if 0 <= i - shift < n and 0 <= j - shift < n:
                out[i][j] = rows[i - shift][j - shift]
    return out


def kernel_preset(name: str, size: int = 3) -> list[list[float]]:
    """Preset `name` of KERNEL_PRESETS as size×size lists: blurs get their own 5×5 versions, the rest sit in zeros."""
    size = _preset_args(name, size)
    if name == "box blur":
        return [[1 / size ** 2] * size for _ in range(size)]
    if name == "Gaussian" and size == 5:
        b = [1, 4, 6, 4, 1]  # binomial weights: a discrete Gaussian
        return [[bi * bj / 256 for bj in b] for bi in b]
    return [[float(v) for v in row] for row in _resize_kernel(KERNEL_PRESETS[name], size)]


def _preset_args(name: object, size: object) -> int:
    """A known preset name and an odd size from 3 to _MAX_KERNEL; returns the size."""
    _check.choice(name, "name", tuple(KERNEL_PRESETS))
    size = _check.whole(size, "size", 3, _MAX_KERNEL, hint=f"; the presets are 3x3 kernels that grow with zeros, "
                                                           f"shown up to {_MAX_KERNEL}x{_MAX_KERNEL}")
    if size % 2 == 0:
        raise ValueError(f"size must be odd (3, 5, 7, ...) so that the kernel has a centre pixel, got {size}; "
                         f"use {size - 1} or {size + 1}")
    return size


def parse_kernel(entries: Sequence[Sequence[object]]) -> torch.Tensor:
    """Grid entries (numbers or the strings typed into cells) -> a float32 kernel K (k, k).

    Raises ValueError naming the cell (row and column count from 1) when an entry is not a finite number; a message
    quotes at most a short start of what was typed.
    """
    k = _entries_args(entries)
    values = []
    for i, row in enumerate(entries, start=1):
        for j, v in enumerate(row, start=1):
            where = f"kernel cell (row {i}, column {j})"
            if isinstance(v, str):
                if not v.strip():
                    raise ValueError(f"{where} is empty; type a number such as 0")
                try:
                    v = float(v.replace(",", "."))
                except ValueError:
                    raise ValueError(f"{where} holds {_check.short(v.strip())}, which is not a number; "
                                     f"type a number such as 0.5 or -1") from None
            if isinstance(v, bool) or not isinstance(v, numbers.Real):
                raise TypeError(f"{where} holds {_check.short(v)}, which is not a number; use a number such as 0.5")
            if not math.isfinite(v):
                raise ValueError(f"{where} is {v}; every entry must be a finite number")
            values.append(float(v))
    return torch.tensor(values, dtype=torch.float32).reshape(k, k)


def _entries_args(entries: object) -> int:
    """entries is a square list of rows, at most _MAX_KERNEL long; returns its side k."""
    example = "[[0, 1, 0], [1, -4, 1], [0, 1, 0]]"
    if isinstance(entries, (str, bytes)) or not isinstance(entries, Sequence):
        hint = "; for a tensor or an array, pass K.tolist()" if hasattr(entries, "tolist") else ""
        raise TypeError(f"entries (the kernel) must be a list of rows such as {example}, got "
                        f"{_check.short(entries)}{hint}")
    k = len(entries)
    if k == 0:
        raise ValueError(f"entries (the kernel) is empty; give a list of rows such as {example}")
    if k > _MAX_KERNEL:
        raise ValueError(f"entries has {k:,} rows; kernels here are at most {_MAX_KERNEL}x{_MAX_KERNEL}")
    for i, row in enumerate(entries, start=1):
        if isinstance(row, (str, bytes)) or not isinstance(row, Sequence) or len(row) != k:
            raise ValueError(f"the kernel must be square ({k}×{k}); row {i} has "
                             f"{len(row) if isinstance(row, Sequence) and not isinstance(row, str) else 'no'} "
                             f"entries")
    return k


def apply_kernel(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """corr2d of an image X (H, W) with an odd K (kh, kw), zero-padded by kh//2, kw//2 so that Y has X's size."""
    kh, kw = _apply_args(X, K)
    return corr2d_fast(X, K, padding=(kh // 2, kw // 2))  # (H, W)


def _apply_args(X: object, K: object) -> tuple[int, int]:
    """A grey image X (H, W) and an odd kernel K (kh, kw) of one dtype and device; returns (kh, kw)."""
    _check.tensor(X, "X", 2, "(H, W)")
    _check.tensor(K, "K", 2, "(kh, kw)")
    _check.same_kind(X, K)
    kh, kw = K.shape
    if kh % 2 == 0 or kw % 2 == 0:
        raise ValueError(f"K must have an odd height and width (3x3, 5x5, ...) so that it has a centre pixel and Y "
                         f"keeps X's size, got {kh}x{kw}; for other kernels use corr2d")
    _check.nbytes(X.numel() * kh * kw, f"the {kh}x{kw} windows of a {X.shape[0]}x{X.shape[1]} image",
                  "shrink the image, e.g. sample_image(128, grey=True)", X.element_size())
    return kh, kw


def kernel_figure(X: torch.Tensor, K: torch.Tensor, Y: torch.Tensor, source: str) -> Figure:
    """Input, kernel and output side by side, labelled, each with a colour bar."""
    kh, kw = _kernel_figure_args(X, K, Y, source)
    return plot_panels({f"input X\n{source}": X, f"kernel K ({kh}×{kw})": K,
                        f"output Y\n= corr2d(X, K), zero padding {kh // 2}": Y}, annotate_max=25,
                       widths=[1.0, 0.75 if kh <= 3 else 1.0, 1.0], height=3.8)


def _kernel_figure_args(X: object, K: object, Y: object, source: object) -> tuple[int, int]:
    for A, name, layout in ((X, "X", "(H, W)"), (K, "K", "(kh, kw)"), (Y, "Y", "(H, W)")):
        _check.tensor(A, name, 2, layout)
    if not isinstance(source, str):
        raise TypeError(f"source must be a short text saying where X comes from, such as 'photo', got "
                        f"{_check.short(source)}")
    return tuple(K.shape)


def _fashion_mnist_image(index: int = 0) -> tuple[torch.Tensor, str]:
    """Test image `index` of Fashion-MNIST as (28, 28) in [0, 1] and its class name, if the data is on disk.

    Never downloads: raises FileNotFoundError with what to do when the files are missing.
    """
    if missing_files("fashion-mnist"):
        raise FileNotFoundError(f"Fashion-MNIST is not in {data_root()} yet (run "
                                f"cnnlib.data.load_data('fashion-mnist') once to download it)")
    info = dataset_info("fashion-mnist")
    X, y = load_tensors("fashion-mnist", train=False)  # (10000, 1, 28, 28) normalised
    image = X[index, 0] * info.std[0] + info.mean[0]  # (28, 28) back to [0, 1]
    return image, info.classes[int(y[index])]


def kernel_editor(preset: str = "identity", photo_size: int = 128) -> widgets.VBox:
    """Edit a 3×3 or 5×5 kernel (preset buttons or typed values) and see corr2d's output live, starting at `preset`.

    CSS classes: cnn-image-source (Dropdown), cnn-kernel-size (ToggleButtons "3×3"/"5×5"),
    cnn-kernel-preset (every preset Button) and cnn-preset-<name> on each (cnn-preset-identity, cnn-preset-box-blur,
    cnn-preset-gaussian, cnn-preset-sharpen, cnn-preset-sobel-x, cnn-preset-sobel-y, cnn-preset-laplacian,
    cnn-preset-emboss), cnn-kernel-grid (GridBox), cnn-k00 … cnn-k44 (Text in row i, column j; the 3×3 grid
    uses cnn-k00 … cnn-k22), cnn-status (HTML), cnn-output (Image: input, kernel, output).
    """
    _check.choice(preset, "preset", tuple(KERNEL_PRESETS))
    photo = sample_image(_check.whole(photo_size, "photo_size", 4, 512), grey=True)  # (photo_size, photo_size)
    source = widgets.Dropdown(options=["photo (Grace Hopper)", "Fashion-MNIST test image"], description="image",
                              layout=widgets.Layout(width="320px"))
    source.add_class("cnn-image-source")
    size = widgets.ToggleButtons(options=[f"{s}×{s}" for s in _KERNEL_SIZES], description="kernel size",
                                 style={"button_width": "60px", "description_width": "80px"},
                                 layout=widgets.Layout(width="260px"))
    size.add_class("cnn-kernel-size")
    buttons = []
    for name in KERNEL_PRESETS:
        button = widgets.Button(description=name, layout=widgets.Layout(width="95px"))
        button.add_class("cnn-kernel-preset")
        button.add_class("cnn-preset-" + name.lower().replace(" ", "-"))
        buttons.append(button)
    n = max(_KERNEL_SIZES)
    cells = [[widgets.Text(value="0", continuous_update=False, layout=widgets.Layout(width="75px"))
              for _ in range(n)] for _ in range(n)]  # Text, not FloatText: a typo gets a message, not silence
    for i in range(n):
        for j in range(n):
            cells[i][j].add_class(f"cnn-k{i}{j}")
    grid = widgets.GridBox(layout=widgets.Layout(grid_gap="3px"))
    grid.add_class("cnn-kernel-grid")
    status = widgets.HTML(layout=widgets.Layout(width="900px"))
    status.add_class("cnn-status")
    image = widgets.Image(format="png", layout=widgets.Layout(width="900px"))
    image.add_class("cnn-output")
    state = {"busy": False, "k": _KERNEL_SIZES[0], "preset": preset, "fashion": None}

    def set_kernel(rows: list[list[object]]) -> None:
        state["busy"] = True  # one render after all cells change, not one per cell
        try:
            k = len(rows)
            grid.children = [cells[i][j] for i in range(k) for j in range(k)]
            grid.layout.grid_template_columns = f"repeat({k}, 78px)"
            for i in range(k):
                for j in range(k):
                    v = rows[i][j]
                    cells[i][j].value = v if isinstance(v, str) else f"{v:.4g}"  # what is shown is what is used
        finally:
            state["busy"] = False
        render()

    def current_image() -> tuple[torch.Tensor, str, str]:
        if source.value.startswith("photo"):
            return photo, f"photo {tuple(photo.shape)}", ""
        if state["fashion"] is None:
            try:
                state["fashion"] = _fashion_mnist_image(0)
            except (FileNotFoundError, OSError, RuntimeError) as e:
                return photo, f"photo {tuple(photo.shape)}", f"{e}; showing the photo instead. "
        X, label = state["fashion"]
        return X, f"Fashion-MNIST '{label}' (28, 28)", ""

    def render(_change: object = None) -> None:
        if state["busy"]:
            return
        k = state["k"]
        X, name, note = current_image()
        try:
            K = parse_kernel([[cells[i][j].value for j in range(k)] for i in range(k)])
        except (ValueError, TypeError) as e:
            _status(status, f"{note}{e}", ok=False)
            return
        Y = apply_kernel(X, K)
        image.value = figure_png(kernel_figure(X, K, Y, name))
        _status(status, f"{note}kernel {k}×{k} ({state['preset']}), sum of entries {K.sum().item():.3f} "
                        f"(1 keeps the brightness, 0 keeps only changes); output Y from {Y.min().item():.2f} "
                        f"to {Y.max().item():.2f}", ok=not note)

    def on_preset(button: widgets.Button) -> None:
        state["preset"] = button.description
        set_kernel(kernel_preset(button.description, state["k"]))

    def on_size(change: dict) -> None:
        old = [[cells[i][j].value for j in range(state["k"])] for i in range(state["k"])]
        state["k"] = int(change["new"].split("×")[0])
        if state["preset"] in KERNEL_PRESETS:  # an untouched preset: its own version at the new size
            set_kernel(kernel_preset(state["preset"], state["k"]))
        else:  # an edited kernel: keep it, centred (zeros around it, or its middle cut out)
            set_kernel(_resize_kernel(old, state["k"]))

    def on_cell(_change: object) -> None:
        if not state["busy"]:
            state["preset"] = "edited"
            render()

    for button in buttons:
        button.on_click(on_preset)
    size.observe(on_size, names="value")
    source.observe(render, names="value")
    for row in cells:
        for cell in row:
            cell.observe(on_cell, names="value")
    set_kernel(kernel_preset(preset, state["k"]))
    presets = widgets.GridBox(buttons, layout=widgets.Layout(grid_template_columns="repeat(4, 100px)"))
    return widgets.VBox([widgets.HBox([source, size]), widgets.HBox([presets, grid]), status, image])


# ---------------------------------------------------------------- 03 padding and stride: sliding-window explorer

_MAX_WINDOWS_SIDE = 32  # the picture numbers every cell of the padded input and draws one tile per window
_MAX_WINDOWS_PADDING = 16


def sliding_windows(input_size: object, kernel_size: object, padding: object = 0, stride: object = 1,
                    dilation: object = 1) -> dict:
    """Where every window of a convolution sits on the zero-padded input (ints or (h, w) pairs).

    Returns dict(input_size, kernel_size, padding, stride, dilation, padded_shape, output_shape, windows, coverage,
    is_padding, unread, text): windows[i * out_w + j] is the (row, col) of the top-left corner of the window of
    Y[i, j] in padded coordinates; coverage (Hp, Wp) counts the windows reading each cell (a dilated window reads
    every d-th cell of its extent); unread counts the input pixels no window reads. Raises ValueError/TypeError with
    a sentence for impossible settings.
    """
    (H, W), (kh, kw), (ph, pw), (sh, sw), (dh, dw) = _windows_args(input_size, kernel_size, padding, stride, dilation)
    out_h, out_w = conv_output_shape((H, W), (kh, kw), (ph, pw), (sh, sw), (dh, dw))  # raises if it does not fit
    Hp, Wp = H + 2 * ph, W + 2 * pw
    windows = [(i * sh, j * sw) for i in range(out_h) for j in range(out_w)]
    coverage = torch.zeros((Hp, Wp), dtype=torch.int64)  # (Hp, Wp)
    for r, c in windows:
        coverage[r:r + dh * (kh - 1) + 1:dh, c:c + dw * (kw - 1) + 1:dw] += 1
    is_padding = torch.ones((Hp, Wp), dtype=torch.bool)
    is_padding[ph:ph + H, pw:pw + W] = False
    unread = int(((coverage == 0) & ~is_padding).sum())
    def term(k: int, d: int) -> str:  # what the window takes away: k, or d·(k − 1) + 1 when dilated
        return f"{k}" if d == 1 else f"{d}·({k} − 1) − 1"
    text = (f"output {out_h}×{out_w}: height ⌊({H} + 2·{ph} − {term(kh, dh)}) / {sh}⌋ + 1 = {out_h}, "
            f"width ⌊({W} + 2·{pw} − {term(kw, dw)}) / {sw}⌋ + 1 = {out_w}; {out_h * out_w} windows. ")
    why = "the gaps of a dilated kernel, " if (dh, dw) != (1, 1) else ""
    text += (f"{unread} of the {H * W} input pixels are never read ({why}stride larger than the kernel, or "
             f"leftover rows/columns at the end)." if unread else f"Every one of the {H * W} input pixels is read.")
    text += " " + _transposed_text((H, W), (out_h, out_w), (ph, pw), (sh, sw), (dh * (kh - 1) + 1, dw * (kw - 1) + 1))
    return dict(input_size=(H, W), kernel_size=(kh, kw), padding=(ph, pw), stride=(sh, sw), dilation=(dh, dw),
                padded_shape=(Hp, Wp), output_shape=(out_h, out_w), windows=windows, coverage=coverage,
                is_padding=is_padding, unread=unread, text=text)


def _transposed_text(size: tuple, out: tuple, padding: tuple, stride: tuple, extent: tuple) -> str:
    """The transposed convolution of the same settings takes the output back: (out - 1)s - 2p + extent (+ r)."""
    parts = []
    for name, n, m, p, s, e in zip(("height", "width"), size, out, padding, stride, extent):
        r = (n + 2 * p - e) % s  # rows the last stride step left out: output_padding
        parts.append(f"{name} ({m} − 1)·{s} − 2·{p} + {e}" + (f" + {r}" if r else "") + f" = {n}")
    return (f"Transposed (nn.ConvTranspose2d, the same windows run backwards): {out[0]}×{out[1]} → "
            f"{size[0]}×{size[1]}, {', '.join(parts)}.")


def _windows_args(input_size: object, kernel_size: object, padding: object, stride: object,
                  dilation: object) -> tuple[tuple[int, int], ...]:
    """(h, w) pairs of whole numbers the picture can show (conv_output_shape then checks that the kernel fits)."""
    return (_check.pair(input_size, "input_size", 1, _MAX_WINDOWS_SIDE,
                        hint=f"; the picture numbers every input cell, so it stops at "
                             f"{_MAX_WINDOWS_SIDE}x{_MAX_WINDOWS_SIDE}"),
            _check.pair(kernel_size, "kernel_size", 1),
            _check.pair(padding, "padding", 0, _MAX_WINDOWS_PADDING,
                        hint=f"; padding adds rows and columns of zeros (0 for none), and the picture shows at "
                             f"most {_MAX_WINDOWS_PADDING} on each side"),
            _check.pair(stride, "stride", 1, hint=_STRIDE_WHY),
            _check.pair(dilation, "dilation", 1, hint="; dilation 1 is an ordinary kernel, 2 skips every other pixel"))


def window_explorer(input_size: tuple = (8, 8), kernel_size: tuple = (3, 3), padding: tuple = (1, 1),
                    stride: tuple = (1, 1), dilation: tuple = (1, 1)) -> widgets.VBox:
    """Sliders for input size, kernel, padding, stride and dilation (height and width) -> every window drawn.

    CSS classes: cnn-input-h, cnn-input-w, cnn-kernel-h, cnn-kernel-w, cnn-padding-h, cnn-padding-w,
    cnn-stride-h, cnn-stride-w, cnn-dilation-h, cnn-dilation-w (IntSlider), cnn-status (HTML: the output shape and
    its formula, or why the setting is impossible), cnn-output (Image).
    """
    limits = {"input": (1, 12), "kernel": (1, 7), "padding": (0, 3), "stride": (0, 4),  # stride 0: see the message
              "dilation": (1, 3)}
    arguments = {"input_size": input_size, "kernel_size": kernel_size, "padding": padding, "stride": stride,
                 "dilation": dilation}
    start = {name: _start(value, argument, *limits[name], pair=True)
             for name, (argument, value) in zip(limits, arguments.items())}
    sliders = {}
    for name, (lo, hi) in limits.items():
        for axis, k in (("h", 0), ("w", 1)):
            slider = widgets.IntSlider(continuous_update=False, value=start[name][k], min=lo, max=hi,
                                       description=f"{name} {'height' if axis == 'h' else 'width'}",
                                       style={"description_width": "110px"}, layout=widgets.Layout(width="330px"))
            slider.add_class(f"cnn-{name}-{axis}")
            sliders[name, axis] = slider
    status = widgets.HTML(layout=widgets.Layout(width="960px"))
    status.add_class("cnn-status")
    image = widgets.Image(format="png", layout=widgets.Layout(width="960px"))
    image.add_class("cnn-output")

    def update(_change: object = None) -> None:
        args = [(sliders[name, "h"].value, sliders[name, "w"].value) for name in limits]
        try:
            view = sliding_windows(*args)
        except (ValueError, TypeError) as e:
            _status(status, f"{e}. (The picture still shows the last possible setting.)", ok=False)
            return
        image.value = figure_png(plot_windows(view))
        _status(status, view["text"])

    for slider in sliders.values():
        slider.observe(update, names="value")
    update()
    column = [widgets.VBox([sliders[name, axis] for name in limits]) for axis in ("h", "w")]
    return widgets.VBox([widgets.HBox(column), status, image])


# ---------------------------------------------------------------- 04 channels

_CENTRE = ((0, 0, 0), (0, 1, 0), (0, 0, 0))  # copies the centre pixel
_SOBEL_X = ((1, 0, -1), (2, 0, -2), (1, 0, -1))  # bright on the left, dark on the right -> positive
_SOBEL_Y = ((1, 2, 1), (0, 0, 0), (-1, -2, -1))  # bright above, dark below -> positive
_MEAN = ((1 / 9,) * 3,) * 3
_GREY = (1 / 3, 1 / 3, 1 / 3)

# Kernels for an RGB input, kept as data: each preset gives one output channel a (3, 3, 3) kernel.
_CHANNEL_PRESETS: dict = {  # name -> (spatial 3x3 pattern S, colour weights w): kernel slice K[c] = w[c] * S
    "vertical edges": (_SOBEL_X, _GREY),
    "horizontal edges": (_SOBEL_Y, _GREY),
    "blur (3x3 mean)": (_MEAN, _GREY),
    "grey (luminance)": (_CENTRE, (0.299, 0.587, 0.114)),
    "red only": (_CENTRE, (1, 0, 0)),
    "red - green": (_CENTRE, (1, -1, 0)),
    "blue - yellow": (_CENTRE, (-0.5, -0.5, 1)),
    "red-green edges": (_SOBEL_X, (1, -1, 0)),
}
_MAX_OUT_CHANNELS = 4  # the widget's rows; one kernel preset menu each
_CHANNELS_WIDGET_START = ("vertical edges", "red - green", "blur (3x3 mean)", "blue - yellow")
_MAX_CHANNELS_SIDE = 512  # sample_image's largest photo; a bigger one only shrinks in the picture


def _channel_kernels(presets: Sequence[str]) -> torch.Tensor:
    """Stack one preset per output channel: names (Co,) -> K (Co, 3, 3, 3), the layout nn.Conv2d uses."""
    kernels = []
    for name in presets:
        spatial, colours = _CHANNEL_PRESETS[name]
        S, w = torch.tensor(spatial, dtype=torch.float32), torch.tensor(colours, dtype=torch.float32)  # (3, 3), (3,)
        kernels.append(w[:, None, None] * S)  # (3, 3, 3): slice c is w[c] * S
    return torch.stack(kernels, 0)  # (Co, 3, 3, 3)


def _preset_names(presets: object) -> list[str]:
    """One known preset name per output channel (a single name counts as one channel)."""
    if isinstance(presets, str):
        presets = [presets]
    if not isinstance(presets, Sequence):
        raise TypeError(f"presets must be a list of preset names such as ['vertical edges', 'red - green'], got "
                        f"{_check.short(presets)}")
    if not 1 <= len(presets) <= _MAX_OUT_CHANNELS:
        raise ValueError(f"presets must name between 1 and {_MAX_OUT_CHANNELS} output channels, got {len(presets)}")
    return [_check.choice(p, f"presets[{i}]", tuple(_CHANNEL_PRESETS)) for i, p in enumerate(presets)]


def _rgb_image(X: object) -> torch.Tensor:
    """X is an RGB photo (3, H, W) of floats in [0, 1], 3 to _MAX_CHANNELS_SIDE pixels a side; returned as float32
    on the CPU (the presets' dtype, and where the picture is drawn)."""
    _check.tensor(X, "X")  # a tensor of floats (a uint8 image gets the hint X.float() / 255)
    shape = tuple(X.shape)
    expected = f"X must be an RGB image of shape (3, H, W), got shape {shape}"
    if X.ndim == 2:
        raise ValueError(f"{expected}, a grey image; give it three equal channels with X.expand(3, -1, -1), "
                         f"or use sample_image(64)")
    if X.ndim == 4 and shape[0] == 1:
        raise ValueError(f"{expected}, a batch of one; drop the batch dimension with X[0]")
    if X.ndim != 3:
        raise ValueError(f"{expected}; pass one image, e.g. sample_image(64)")
    if shape[0] != 3:
        fix = ("channels come last: move them first with X.permute(2, 0, 1)" if shape[-1] == 3 else
               "a grey image: give it three channels with X.expand(3, -1, -1)" if shape[0] == 1 else
               "RGBA: drop the alpha channel with X[:3]" if shape[0] == 4 else "pass an RGB photo")
        raise ValueError(f"{expected}; {fix}")
    if min(shape[1:]) < 3:
        raise ValueError(f"X is {shape[1]}x{shape[2]} pixels, smaller than the presets' 3x3 kernels; use an image "
                         f"of at least 3x3 pixels, e.g. sample_image(64)")
    if max(shape[1:]) > _MAX_CHANNELS_SIDE:
        raise ValueError(f"X is {shape[1]}x{shape[2]} pixels; this picture shows at most {_MAX_CHANNELS_SIDE}x"
                         f"{_MAX_CHANNELS_SIDE}, so shrink it, e.g. F.interpolate(X[None], size=(256, 256), "
                         f"mode='area')[0] or sample_image(256)")
    _unit_range(X, "X", "an RGB photo")
    return X.detach().to(device="cpu", dtype=torch.float32)


def channels_demo(X: torch.Tensor, presets: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """RGB X (3, H, W) in [0, 1] through one preset kernel per output channel -> K (Co, 3, 3, 3), Y (Co, H-2, W-2).

    Computed in float32 on the CPU, whatever X's dtype and device.
    """
    X, presets = _rgb_image(X), _preset_names(presets)
    K = _channel_kernels(presets)  # (Co, 3, 3, 3)
    Y = F.conv2d(X[None], K)[0]  # (1, 3, H, W) -> (1, Co, H-2, W-2) -> (Co, H-2, W-2): corr2d_multi_in_out, faster
    return K, Y


def _status_channels(X: torch.Tensor, K: torch.Tensor, Y: torch.Tensor) -> str:
    c_o, c_i, k_h, k_w = K.shape
    return (f"input X {tuple(X.shape)} → kernel K {tuple(K.shape)} → output Y {tuple(Y.shape)}; "
            f"parameters c_o·c_i·k_h·k_w + c_o = {c_o}·{c_i}·{k_h}·{k_w} + {c_o} = {c_o * c_i * k_h * k_w + c_o}")


def channels_widget(X: Optional[torch.Tensor] = None,
                    presets: Optional[Sequence[str]] = None) -> widgets.VBox:
    """An RGB photo X (3, H, W) in [0, 1] through a multi-channel convolution; pick how many output channels and a
    kernel preset for each. Default X: sample_image(64); presets: the starting choices (1 to 4 names, default 3 shown).

    CSS classes: cnn-channels (the whole widget), cnn-cout (number of output channels), cnn-preset-0 ..
    cnn-preset-3 (kernel preset of output channel o), cnn-status (shapes or a message), cnn-output (the figure).
    """
    X = _rgb_image(sample_image(64) if X is None else X)
    names = list(_CHANNELS_WIDGET_START) if presets is None else _preset_names(presets)
    starts = names + list(_CHANNELS_WIDGET_START[len(names):])  # a menu for every possible output channel
    c_out = widgets.IntSlider(value=3 if presets is None else len(names), min=1, max=_MAX_OUT_CHANNELS,
                              description="output channels", style={"description_width": "initial"}
                              ).add_class("cnn-cout")
    drops = [widgets.Dropdown(options=list(_CHANNEL_PRESETS), value=starts[o], description=f"K[{o}]",
                              layout=widgets.Layout(width="220px")).add_class(f"cnn-preset-{o}")
             for o in range(_MAX_OUT_CHANNELS)]
    status = widgets.Label().add_class("cnn-status")
    image = widgets.Image(format="png").add_class("cnn-output")

    def update(_=None) -> None:
        for o, d in enumerate(drops):
            d.disabled = o >= c_out.value
        try:
            K, Y = channels_demo(X, [d.value for d in drops[:c_out.value]])
        except (ValueError, TypeError) as err:
            status.value = f"⚠ {err}"
            return
        image.value = figure_png(plot_channels(X, K, Y, [d.value for d in drops[:c_out.value]]))
        status.value = _status_channels(X, K, Y)

    for control in (c_out, *drops):
        control.observe(update, names="value")
    update()
    return widgets.VBox([c_out, widgets.HBox(drops), status, image]).add_class("cnn-channels")


# ---------------------------------------------------------------- 05 pooling

_POOL_IMAGE_SIZES = (8, 16, 32, 64)  # the widget's image-size menu
_MAX_POOL_SIDE = 256  # pool2d's loops take about 0.4 s at 256x256 with stride 1; seconds beyond (and a crowded picture)


def pooling_demo(X: torch.Tensor, pool_size: int, stride: int, padding: int = 0,
                 mode: str = "max") -> torch.Tensor:
    """Pool a grey image X (H, W) with cnnlib's pool2d -> Y (out_h, out_w); bad settings raise a readable
    ValueError (or TypeError for a wrong kind of value)."""
    pool_size, stride, padding = _pooling_args(X, pool_size, stride, padding, mode)
    return pool2d(X, pool_size, mode=mode, padding=padding, stride=stride)  # (out_h, out_w)


def _pooling_args(X: object, pool_size: object, stride: object, padding: object,
                  mode: object) -> tuple[int, int, int]:
    """A grey image of at most _MAX_POOL_SIDE a side and whole-number settings (pool2d then checks the fit)."""
    _check.tensor(X, "X", 2, "(H, W), one grey image")
    if max(X.shape) > _MAX_POOL_SIDE:
        raise ValueError(f"X is {X.shape[0]}x{X.shape[1]} pixels; pooling_demo runs pool2d's loops over every "
                         f"window, so it takes images of at most {_MAX_POOL_SIDE}x{_MAX_POOL_SIDE}; shrink it, "
                         f"e.g. sample_image({_MAX_POOL_SIDE}, grey=True)")
    _check.choice(mode, "mode", ("max", "avg"))
    return (_check.whole(pool_size, "pool_size", 1, _MAX_POOL_SIDE,
                         hint=f"; the window must fit the image, which has at most {_MAX_POOL_SIDE} pixels a side"),
            _check.whole(stride, "stride", 1, hint=_STRIDE_WHY),
            _check.whole(padding, "padding", 0, hint="; padding adds rows and columns (0 for none)"))


def _status_pooling(X: torch.Tensor, Y: torch.Tensor, pool_size: int, stride: int, padding: int,
                    mode: str) -> str:
    return (f"input {tuple(X.shape)} → output {tuple(Y.shape)}: {mode} pooling {pool_size}×{pool_size}, "
            f"stride {stride}, padding {padding}")


def pooling_widget(X: Optional[torch.Tensor] = None) -> widgets.VBox:
    """Max or average pooling of a grey photo: pick pool size, stride, padding, mode and image size.

    CSS classes: cnn-pooling (the whole widget), cnn-pool-size, cnn-stride, cnn-padding, cnn-mode (max/avg),
    cnn-image-size, cnn-status (shapes or what is wrong with the setting), cnn-output (the figure).
    With X given (a grey (H, W) image in [0, 1]), the image-size control is left out and X is used as it is.
    """
    _pooling_image(X)
    style = {"description_width": "initial"}
    size = widgets.Dropdown(options=list(_POOL_IMAGE_SIZES), value=64, description="image size",
                            style=style, layout=widgets.Layout(width="160px")).add_class("cnn-image-size")
    pool = widgets.BoundedIntText(value=2, min=1, max=80, description="pool size", style=style,
                                  layout=widgets.Layout(width="140px")).add_class("cnn-pool-size")
    stride = widgets.BoundedIntText(value=2, min=0, max=80, description="stride", style=style,
                                    layout=widgets.Layout(width="120px")).add_class("cnn-stride")
    padding = widgets.BoundedIntText(value=0, min=0, max=40, description="padding", style=style,
                                     layout=widgets.Layout(width="130px")).add_class("cnn-padding")
    mode = widgets.ToggleButtons(options=["max", "avg"], value="max").add_class("cnn-mode")
    status = widgets.Label().add_class("cnn-status")
    image = widgets.Image(format="png").add_class("cnn-output")
    images = {}

    def current_image() -> torch.Tensor:
        if X is not None:
            return X
        if size.value not in images:
            images[size.value] = sample_image(size.value, grey=True)  # (size, size)
        return images[size.value]

    def update(_=None) -> None:
        img = current_image()
        try:
            Y = pooling_demo(img, pool.value, stride.value, padding.value, mode.value)
        except (ValueError, TypeError) as err:
            status.value = f"⚠ {err} (the picture still shows the last valid setting)"
            return
        image.value = figure_png(plot_pooling(img, Y, pool.value, stride.value, padding.value, mode.value))
        status.value = _status_pooling(img, Y, pool.value, stride.value, padding.value, mode.value)

    controls = [pool, stride, padding, mode] + ([size] if X is None else [])
    for control in controls:
        control.observe(update, names="value")
    update()
    return widgets.VBox([widgets.HBox(controls), status, image]).add_class("cnn-pooling")


def _pooling_image(X: object) -> None:
    """None, or a grey image (H, W) of floats in [0, 1] (the picture's grey scale) that pooling_demo takes."""
    if X is None:
        return
    _pooling_args(X, 1, 1, 0, "max")  # a grey image pooling_demo takes
    _unit_range(X, "X", "a grey image drawn from black 0 to white 1")


# ---------------------------------------------------------------- 06-09 feature-map browser

_MAX_BROWSER_IMAGES = 128  # the browser keeps every layer's maps of every image in memory


def _layer_label(title: str, name: str, maps: torch.Tensor) -> str:
    """'conv 1 · 6x28x28 (net.0)': what the layer Dropdown shows for one layer."""
    C, H, W = maps.shape[1:]
    return f"{title} · {C}x{H}x{W} ({name})"


def feature_map_view(activations: dict, images: torch.Tensor, index: int, layer: str,
                     labels: Optional[torch.Tensor] = None, classes: Optional[Sequence[str]] = None,
                     mean: Optional[Sequence[float]] = None, std: Optional[Sequence[float]] = None,
                     model: Optional[nn.Module] = None) -> Figure:
    """The browser's picture: image `index` of images (N, C, H, W) and every channel of `layer` (activations from
    capture_activations(model, images)). With `model`, the title names the layer for a reader (e.g. 'ReLU 1 (net.2)').
    """
    mean, std = _view_args(activations, images, layer, labels, classes, mean, std, model)
    maps = feature_maps(activations, index, layer)  # (C, H, W); ValueError on a bad index or layer
    title = f"input image {index}"
    if labels is not None:
        label = int(labels[index])
        title += f": {classes[label] if classes is not None else label}"
    name = layer if model is None else f"{layer_titles(model, activations)[layer]} ({layer})"
    return _plot_feature_maps(images[index], maps, name, mean, std, image_title=title)


def _view_args(activations: object, images: object, layer: object, labels: object, classes: object,
               mean: object, std: object, model: object) -> tuple[Optional[tuple], Optional[tuple]]:
    """What feature_map_view needs beyond feature_maps' own checks; returns (mean, std) as tuples or Nones."""
    mean, std = _display_args(images, labels, classes, mean, std, model)
    captured = activations.get(layer) if isinstance(activations, dict) and isinstance(layer, str) else None
    if isinstance(captured, torch.Tensor) and len(captured) != len(images):
        raise ValueError(f"images holds {len(images)} images but the activations were captured for "
                         f"{len(captured)}; pass the images you gave capture_activations")
    if model is not None and isinstance(layer, str) and layer not in dict(model.named_modules()):
        raise ValueError(f"{type(model).__name__} has no layer called {_check.short(layer)}; pass the model the "
                         f"activations came from")
    return mean, std


def _display_args(images: object, labels: object, classes: object, mean: object, std: object,
                  model: object) -> tuple[Optional[tuple], Optional[tuple]]:
    """A batch (N, C, H, W), N labels, one class name per class, mean and std per channel (all optional)."""
    _check.tensor(images, "images", 4, "(N, C, H, W)")
    num_classes = _check.num_classes_of(_check.model(model)) if model is not None else None
    where = f"{type(model).__name__} has {num_classes} outputs"
    if classes is not None:
        if isinstance(classes, str) or not isinstance(classes, Sequence):
            raise TypeError(f"classes must be a list of class names such as data.classes, got "
                            f"{_check.short(classes)}")
        if num_classes is not None and len(classes) != num_classes:
            raise ValueError(f"classes holds {len(classes)} names but {where}; give one name per class, such as "
                             f"data.classes")
        num_classes, where = len(classes), f"classes names {len(classes)}"
    if labels is not None:
        top = int(_check.labels(labels, len(images), "labels").max())
        if num_classes is not None and top >= num_classes:
            raise ValueError(f"labels holds the label {top}, but {where} (labels 0..{num_classes - 1}); pass the "
                             f"labels of these images, such as y_test[:32]")
    return _mean_std(mean, std, images.shape[1])


def feature_map_browser(model: nn.Module, images: torch.Tensor, labels: Optional[torch.Tensor] = None,
                        classes: Optional[Sequence[str]] = None, *, mean: Optional[Sequence[float]] = None,
                        std: Optional[Sequence[float]] = None) -> widgets.VBox:
    """Pick a test image and a layer; see every channel's activation map (forward hooks, computed once).

    images: normalised (N, C, H, W) tensor (keep N small, e.g. 32); labels (N,) and class names are optional;
    mean/std undo the normalisation for display. CSS classes: cnn-fmb-image (BoundedIntText, image index),
    cnn-fmb-layer (Dropdown of conv/activation layers), cnn-fmb-output (Image), cnn-fmb-status (Label).
    """
    mean, std = _browser_args(model, images, labels, classes, mean, std)
    activations = capture_activations(model, images)  # {layer name: (N, C, H, W)}
    if not activations:
        raise ValueError(f"{type(model).__name__} has no convolution or activation layer with feature maps")
    index = widgets.BoundedIntText(value=0, min=0, max=len(images) - 1, description="image")
    titles = layer_titles(model, activations)
    layer = widgets.Dropdown(options=[(_layer_label(titles[n], n, a), n) for n, a in activations.items()],
                             description="layer", layout=widgets.Layout(width="360px"))
    output = widgets.Image(format="png")
    status = widgets.Label()
    for w, css in ((index, "cnn-fmb-image"), (layer, "cnn-fmb-layer"), (output, "cnn-fmb-output"),
                   (status, "cnn-fmb-status")):
        w.add_class(css)

    def update(change: object = None) -> None:
        try:
            fig = feature_map_view(activations, images, index.value, layer.value, labels, classes, mean, std,
                                   model)
        except (ValueError, TypeError) as e:
            status.value = f"⚠ {e}"
            return
        output.value = figure_png(fig)
        status.value = f"image {index.value} of {len(images)}, layer {titles[layer.value]}"

    index.observe(update, names="value")
    layer.observe(update, names="value")
    update()
    return widgets.VBox([widgets.HBox([index, layer]), status, output])


def _browser_args(model: object, images: object, labels: object, classes: object, mean: object,
                  std: object) -> tuple[Optional[tuple], Optional[tuple]]:
    """A ready model, a small batch it takes, and what feature_map_view needs to label it."""
    _check.materialized(_check.model(model), "the feature-map browser")
    _check.images(images, "images", model)
    if len(images) > _MAX_BROWSER_IMAGES:
        raise ValueError(f"images holds {len(images):,} images; the browser keeps every layer's maps of every image "
                         f"in memory, so pass at most {_MAX_BROWSER_IMAGES}, e.g. images[:32]")
    return _display_args(images, labels, classes, mean, std, model)


# ---------------------------------------------------------------- 10 backpropagation: where one pixel's gradient goes

_FLOW_OPERATIONS = ("convolution", "max pooling", "avg pooling")
_FLOW_SIDE = 16  # the input is at most 16x16, so every pixel and every number of the gradient stays readable


def flow_kernel(size: int) -> torch.Tensor:
    """The widget's kernel (size, size): 1, 2, 3, ... row by row, divided by size*size, so its copy in grad_X shows
    which weight sent each pixel its gradient."""
    size = _check.whole(size, "size", 1, _FLOW_SIDE, hint=f"; the input has at most {_FLOW_SIDE} pixels a side")
    return torch.arange(1, size * size + 1, dtype=torch.float32).reshape(size, size) / (size * size)


def gradient_flow(X: torch.Tensor, operation: str, size: int, stride: int = 1, padding: int = 0, i: int = 0,
                  j: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Y = operation(X) for a grey image X (H, W), and grad_X = dY[i, j]/dX (H, W): the backward pass with an
    upstream gradient of 1 at output pixel (i, j) and 0 elsewhere. Convolution uses flow_kernel(size)."""
    operation, size, stride, padding, i, j = _flow_args(X, operation, size, stride, padding, i, j)
    if operation == "convolution":
        K = flow_kernel(size).to(X.dtype)
        Y = corr2d_strided(X, K, padding, stride)  # (out_h, out_w)
    else:
        mode = operation.split()[0]  # "max" or "avg"
        Y = pool2d(X, size, mode, padding, stride)
    grad_Y = torch.zeros_like(Y)
    grad_Y[i, j] = 1.0  # the loss is Y[i, j] itself
    if operation == "convolution":
        return Y, corr2d_backward(X, K, grad_Y, padding, stride)[0]
    return Y, pool2d_backward(X, grad_Y, size, mode, padding, stride)


def _flow_args(X: object, operation: object, size: object, stride: object, padding: object, i: object,
               j: object) -> tuple:
    """A small grey image, one of the operations, settings that fit, and (i, j) inside the output."""
    _flow_image(X)
    _check.choice(operation, "operation", _FLOW_OPERATIONS)
    size = _check.whole(size, "size", 1, _FLOW_SIDE, hint=f"; the input has at most {_FLOW_SIDE} pixels a side")
    stride = _check.whole(stride, "stride", 1, hint=_STRIDE_WHY)
    padding = _check.whole(padding, "padding", 0, hint="; padding adds rows and columns (0 for none)")
    if operation != "convolution" and 2 * padding > size:
        raise ValueError(f"padding {padding} is more than half the pooling window {size}; like PyTorch, use padding "
                         f"<= size // 2, here at most {size // 2}")
    out_h, out_w = conv_output_shape(X.shape, size, padding, stride)  # also: the window must fit
    i = _check.whole(i, "row i", 0, out_h - 1, hint=f" (the output is {out_h}×{out_w})")
    j = _check.whole(j, "column j", 0, out_w - 1, hint=f" (the output is {out_h}×{out_w})")
    return operation, size, stride, padding, i, j


def _status_flow(Y: torch.Tensor, grad_X: torch.Tensor, operation: str, size: int, stride: int, padding: int,
                 i: int, j: int) -> str:
    n = int((grad_X != 0).sum())
    return (f"Y[{i}, {j}] of {Y.shape[0]}×{Y.shape[1]}: its gradient reaches {n} input pixel{'s' * (n != 1)} "
            f"({operation} {size}×{size}, stride {stride}, padding {padding})")


def gradient_flow_widget(X: Optional[torch.Tensor] = None) -> widgets.VBox:
    """Pick an operation, its window, stride and padding, and an output pixel: see which input pixels its gradient
    reaches and how much each gets (gradient_flow, plot_gradient_flow).

    CSS classes: cnn-gradient-flow (the whole widget), cnn-operation, cnn-size, cnn-stride, cnn-padding, cnn-row,
    cnn-col, cnn-status (what the gradient reaches, or what is wrong with the setting), cnn-output (the figure).
    """
    X = sample_image(12, grey=True) if X is None else _flow_image(X)
    style = {"description_width": "initial"}
    operation = widgets.ToggleButtons(options=list(_FLOW_OPERATIONS), value="convolution").add_class("cnn-operation")
    boxes = {name: widgets.BoundedIntText(value=value, min=0, max=_FLOW_SIDE, description=name, style=style,
                                          layout=widgets.Layout(width="110px")).add_class(f"cnn-{css}")
             for name, css, value in (("size", "size", 3), ("stride", "stride", 1), ("padding", "padding", 0),
                                      ("row i", "row", 2), ("column j", "col", 3))}
    status = widgets.Label().add_class("cnn-status")
    image = widgets.Image(format="png").add_class("cnn-output")

    def update(_=None) -> None:
        settings = [boxes[name].value for name in ("size", "stride", "padding", "row i", "column j")]
        try:
            Y, grad_X = gradient_flow(X, operation.value, *settings)
        except (ValueError, TypeError) as err:
            status.value = f"⚠ {err} (the picture still shows the last valid setting)"
            return
        i, j = settings[3:]
        image.value = figure_png(plot_gradient_flow(X, Y, grad_X, i, j))
        status.value = _status_flow(Y, grad_X, operation.value, *settings)

    for control in [operation, *boxes.values()]:
        control.observe(update, names="value")
    update()
    return widgets.VBox([operation, widgets.HBox(list(boxes.values())), status, image]).add_class("cnn-gradient-flow")


def _flow_image(X: object) -> torch.Tensor:
    """A grey image (H, W) of at most _FLOW_SIDE pixels a side."""
    _check.tensor(X, "X", 2, "(H, W), one grey image")
    if max(X.shape) > _FLOW_SIDE:
        raise ValueError(f"X is {X.shape[0]}x{X.shape[1]} pixels; the gradient of every pixel is written into it, so "
                         f"it takes images of at most {_FLOW_SIDE}x{_FLOW_SIDE}, e.g. sample_image({_FLOW_SIDE}, "
                         f"grey=True)")
    return X
