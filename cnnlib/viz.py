"""Plots of the series, in the order of notebooks 01-09: each function takes data and returns a matplotlib Figure.

Object API only (Figure(), never pyplot's global state), so a notebook shows the figure a cell returns and nothing
piles up. Every public function checks its arguments in one line at the top and says what to change.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Optional, Union

import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from cnnlib import _check
from cnnlib.ops import corr2d

# Lines and bars that tell models apart differ in marker or hatch too, not only in colour (colour-blind readers).
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
# Okabe and Ito's palette, told apart with every common colour-vision deficiency (no red/green pairs).
_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442")
_HATCHES = ("", "//", "..", "xx", "\\\\", "oo", "--", "++")
_MAX_WRITTEN = 16  # matrices whose every number is written into its cell: at most 16x16, or the digits overlap


# ---------------------------------------------------------------- checks shared by the plots

def _plane(A: object, name: str) -> np.ndarray:
    """A 2-D tensor or array as a float NumPy array (detached, on the CPU)."""
    if isinstance(A, torch.Tensor):
        A = A.detach().cpu().float()
    try:
        A = np.asarray(A, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a 2-D tensor of numbers (H, W), got {_check.short(A)}") from None
    if A.ndim != 2:
        raise ValueError(f"{name} must be a 2-D image (H, W), got shape {A.shape}"
                         + ("; pass one channel, e.g. X[0]" if A.ndim > 2 else ""))
    if A.size == 0:
        raise ValueError(f"{name} is empty (shape {A.shape}); every dimension needs at least one element")
    return A


def _mapping(value: object, name: str, example: str) -> Mapping:
    """A non-empty dict, such as {title: tensor}."""
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a dict such as {example}, got {_check.short(value)}")
    if not value:
        raise ValueError(f"{name} is empty; give at least one entry, such as {example}")
    return value


def _written(A: np.ndarray, name: str) -> None:
    """A matrix small enough to write every number into its cell."""
    if max(A.shape) > _MAX_WRITTEN:
        raise ValueError(f"{name} is {A.shape[0]}x{A.shape[1]}, but this plot writes every number into its cell, "
                         f"so it draws matrices of at most {_MAX_WRITTEN}x{_MAX_WRITTEN}; use a small example, "
                         f"or plot_panels for whole images")


def _titles(titles: object, n: int, name: str, per: str = "image") -> None:
    """None, or one title (text) per image (or per output channel, ...)."""
    if titles is None:
        return
    if isinstance(titles, str) or not isinstance(titles, Sequence):
        raise TypeError(f"{name} must be a list of {n} strings, one per {per}, got {_check.short(titles)}")
    if len(titles) != n:
        raise ValueError(f"{name} holds {len(titles)} strings for {n} {per}s; give one per {per}")


def _mean_std(mean: object, std: object, channels: int) -> tuple[Optional[tuple], Optional[tuple]]:
    """mean and std of a normalisation as tuples of one float per channel, or (None, None) when both are None."""
    if mean is None and std is None:
        return None, None
    if mean is None or std is None:
        raise ValueError("mean and std go together: pass both (e.g. mean=data.mean, std=data.std) or neither")
    out = []
    for value, name in ((mean, "mean"), (std, "std")):
        if isinstance(value, torch.Tensor):
            value = value.flatten().tolist()
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise TypeError(f"{name} must be one number per channel such as data.{name}, got {_check.short(value)}")
        if len(value) != channels:
            raise ValueError(f"{name} holds {len(value)} numbers but the images have {channels} channel"
                             f"{'s' * (channels != 1)}; give one per channel, such as data.{name}")
        out.append(tuple(_check.number(v, f"{name}[{i}]", positive=name == "std") for i, v in enumerate(value)))
    return out[0], out[1]


def _title(title: object, name: str = "title") -> None:
    if title is not None and not isinstance(title, str):
        raise TypeError(f"{name} must be a string or None, got {_check.short(title)}")


# ---------------------------------------------------------------- 01-03 images with colour bars, W, sliding windows

def _draw_image(fig: Figure, ax, A: np.ndarray, title: str, annotate: bool) -> None:
    """One image: grey when all values are >= 0, red (+) / blue (-) centred at 0 when signed; with a colour bar."""
    signed = bool((A < 0).any())
    extend = "neither"
    if signed:
        m = float(np.abs(A).max())
        if A.size > 1000:  # big images: let the 1 % strongest values saturate, so weak edges stay visible
            robust = float(np.percentile(np.abs(A), 99))
            if 0 < robust < m:
                m, extend = robust, "both"
        im = ax.imshow(A, cmap="RdBu_r", vmin=-m, vmax=m, interpolation="nearest")
    else:
        lo, hi = float(A.min()), float(A.max())
        im = ax.imshow(A, cmap="gray", vmin=min(lo, 0.0), vmax=hi if hi > min(lo, 0.0) else 1.0,
                       interpolation="nearest")
    fig.colorbar(im, ax=ax, shrink=0.8, extend=extend, label="value (red +, blue −)" if signed else "value")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("column j")
    ax.set_ylabel("row i")
    h, w = A.shape
    if max(h, w) <= 12:
        ax.set_xticks(range(w))
        ax.set_yticks(range(h))
    if annotate:
        lo, hi = im.get_clim()
        size, digits = (9, 3) if max(h, w) <= 3 else (7, 2) if max(h, w) <= 6 else (6, 2)
        for (i, j), v in np.ndenumerate(A):
            shade = (v - lo) / (hi - lo) if hi > lo else 0.5
            dark = shade > 0.75 or shade < 0.25 if signed else shade < 0.5
            ax.text(j, i, f"{v:.{digits}g}", ha="center", va="center", fontsize=size,
                    color="white" if dark else "black")


def plot_panels(panels: dict, title: Optional[str] = None, annotate_max: int = 64,
                widths: Optional[list] = None, height: float = 3.4) -> Figure:
    """A row of images {title: 2-D tensor}, each with a colour bar; arrays of at most annotate_max numbers show them.

    Non-negative images are grey, signed ones red (+) / blue (−) centred at 0; `widths` are relative panel widths.
    """
    arrays, widths = _panels_args(panels, title, annotate_max, widths, height)
    fig = Figure(figsize=(height * sum(widths), height), layout="constrained")
    axes = fig.subplots(1, len(arrays), squeeze=False, gridspec_kw={"width_ratios": widths})[0]
    for ax, (name, A) in zip(axes, arrays.items()):
        _draw_image(fig, ax, A, name, annotate=A.size <= annotate_max)
    if title:
        fig.suptitle(title)
    return fig


def _panels_args(panels: object, title: object, annotate_max: object, widths: object,
                 height: object) -> tuple[dict, list]:
    """Checks of plot_panels' arguments; returns ({title: array}, widths)."""
    _mapping(panels, "panels", "{'input X': X, 'output Y': Y}")
    _title(title)
    _check.whole(annotate_max, "annotate_max", 0)
    _check.number(height, "height", positive=True, maximum=20, example="3.4")
    if len(panels) > 12:
        raise ValueError(f"panels holds {len(panels)} images; one row shows at most 12, so split them up")
    arrays = {str(name): _plane(A, f"panel {_check.short(name)}") for name, A in panels.items()}
    if widths is None:
        return arrays, [1.0] * len(arrays)
    if isinstance(widths, str) or not isinstance(widths, Sequence):
        raise TypeError(f"widths must be a list of relative panel widths such as [1, 0.8], got {_check.short(widths)}")
    if len(widths) != len(arrays):
        raise ValueError(f"got {len(widths)} widths for {len(arrays)} panels; give one width per panel")
    return arrays, [_check.number(w, f"widths[{i}]", positive=True, example="1") for i, w in enumerate(widths)]


def _plot_conv_matrix(K: object, W: object, input_shape: tuple, output_shape: tuple,
                      title: Optional[str] = None) -> Figure:
    """The kernel K next to its dense matrix W (out_h*out_w, H*W); zeros white, each kernel entry one colour."""
    K, W = _plane(K, "K"), _plane(W, "W")
    signed = bool((K < 0).any())
    m = float(np.abs(K).max()) or 1.0
    cmap, vmin, vmax = ("RdBu_r", -m, m) if signed else ("viridis", float(K.min()), m)
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    ax_k, ax_w = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 3.2]})
    ax_k.imshow(K, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    for (i, j), v in np.ndenumerate(K):
        light = (v - vmin) / (vmax - vmin) > 0.6 if vmax > vmin else False  # viridis is light at the top
        ax_k.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=9,
                  color="black" if light or signed else "white")
    ax_k.set_title(f"kernel K ({K.shape[0]}×{K.shape[1]}): {K.size} shared weights", fontsize=10)
    ax_k.set_xlabel("column")
    ax_k.set_ylabel("row")
    ax_k.set_xticks(range(K.shape[1]))
    ax_k.set_yticks(range(K.shape[0]))
    im = ax_w.imshow(np.ma.masked_equal(W, 0.0), cmap=cmap, vmin=vmin, vmax=vmax,
                     interpolation="nearest", aspect="auto")
    ax_w.set_facecolor("white")
    (H, W_in), (out_h, out_w) = input_shape, output_shape
    for c in range(W_in, H * W_in, W_in):  # one block of columns per input row
        ax_w.axvline(c - 0.5, color="0.8", lw=0.6)
    for r in range(out_w, out_h * out_w, out_w):  # one block of rows per output row
        ax_w.axhline(r - 0.5, color="0.8", lw=0.6)
    fig.colorbar(im, ax=ax_w, shrink=0.9, label="weight (= a kernel entry; white = 0)")
    nonzero = int((W != 0).sum())
    ax_w.set_title(f"W: {W.shape[0]}×{W.shape[1]} = {W.size} weights, {nonzero} nonzero "
                   f"({1 - nonzero / W.size:.0%} zeros)", fontsize=10)
    ax_w.set_xlabel(f"input pixel: index into X.flatten() (X is {H}×{W_in})")
    ax_w.set_ylabel(f"output pixel: index into Y.flatten()\n(Y is {out_h}×{out_w})")
    fig.suptitle(title or "flatten(Y) = W @ flatten(X): every row of W is the kernel, slid to its window")
    return fig


_VIEW_KEYS = {"coverage", "is_padding", "input_size", "kernel_size", "padding", "stride", "output_shape", "windows"}


def plot_windows(view: dict, max_tiles: int = 8) -> Figure:
    """Every window position of a convolution (the dict from cnnlib.widgets.sliding_windows) over the padded input."""
    _windows_args(view, max_tiles)
    coverage = np.asarray(view["coverage"], dtype=float)  # (Hp, Wp) windows reading each cell
    is_pad = np.asarray(view["is_padding"], dtype=bool)  # (Hp, Wp)
    (H, W), (kh, kw) = view["input_size"], view["kernel_size"]
    (ph, pw), (sh, sw) = view["padding"], view["stride"]
    dh, dw = view.get("dilation", (1, 1))
    eh, ew = dh * (kh - 1) + 1, dw * (kw - 1) + 1  # a window's extent (kh x kw unless dilated)
    (out_h, out_w), windows = view["output_shape"], view["windows"]
    Hp, Wp = coverage.shape
    fig = Figure(figsize=(12, 5.2), layout="constrained")
    ax_in, ax_out = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.15]})

    # Left: the padded input; each number says how many windows read that cell.
    im = ax_in.imshow(np.ma.masked_where(is_pad, coverage), cmap="Blues", vmin=0,
                      vmax=max(coverage.max(), 1), interpolation="nearest")
    for r, c in zip(*np.nonzero(is_pad)):
        ax_in.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, facecolor="0.88", hatch="///",
                                  edgecolor="0.6", lw=0))
    if Hp * Wp <= 400:
        for (r, c), v in np.ndenumerate(coverage):
            ax_in.text(c, r, f"{int(v)}", ha="center", va="center", fontsize=7,
                       color="white" if v > 0.6 * coverage.max() else "black")
    ax_in.set_xticks(np.arange(-0.5, Wp), minor=True)
    ax_in.set_yticks(np.arange(-0.5, Hp), minor=True)
    ax_in.grid(which="minor", color="0.75", lw=0.5)
    ax_in.tick_params(which="minor", length=0)
    ax_in.add_patch(Rectangle((pw - 0.5, ph - 0.5), W, H, fill=False, edgecolor="black", lw=2,
                              label=f"input X ({H}×{W})"))
    styles = [((0, 0), "-", _COLOURS[5], "window of Y[0, 0]"),
              ((0, 1), "--", _COLOURS[0], f"window of Y[0, 1]: {sw} to the right"),
              ((1, 0), ":", _COLOURS[3], f"window of Y[1, 0]: {sh} down")]
    for (i, j), ls, color, label in styles:
        if i < out_h and j < out_w:
            r, c = windows[i * out_w + j]
            ax_in.add_patch(Rectangle((c - 0.5, r - 0.5), ew, eh, fill=False, edgecolor=color, lw=2.5,
                                      ls=ls, label=label))
    ax_in.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=8, ncol=2, frameon=False)
    bar = fig.colorbar(im, ax=ax_in, shrink=0.75, label="windows reading this input cell")
    bar.locator = MaxNLocator(integer=True)
    bar.update_ticks()
    dilated = f", dilation ({dh}, {dw}): the outline spans {eh}×{ew}" if (dh, dw) != (1, 1) else ""
    ax_in.set_title(f"input {H}×{W}, padded by ({ph}, {pw}) → {Hp}×{Wp} (hatched = padding zeros)\n"
                    f"kernel {kh}×{kw}, stride ({sh}, {sw}){dilated}", fontsize=10)
    ax_in.set_xlabel("column of the padded input")
    ax_in.set_ylabel("row of the padded input")

    # Right: one tile per output cell Y[i, j], showing the window (red) that computes it.
    th, tw = min(out_h, max_tiles), min(out_w, max_tiles)
    # Pixels per cell: the montage should be drawn about 1:1 (about 440 px), else thin lines alias into stripes.
    px = int(np.clip(440 // (max(th, tw) * (max(Hp, Wp) + 2)), 2, 12))
    gap = max(2 * px, 4)  # white space between tiles
    base = np.where(is_pad[..., None], [0.80, 0.80, 0.80], [0.86, 0.92, 1.0])  # (Hp, Wp, 3)
    lines = np.ones((Hp * px, Wp * px, 1))  # (Hp*px, Wp*px, 1): darken the last pixel row/column of each cell
    if px >= 5:  # cell borders only when cells are big enough to show them
        lines[px - 1::px] = lines[:, px - 1::px] = 0.8
    tile_h, tile_w = Hp * px + gap, Wp * px + gap
    montage = np.ones((th * tile_h - gap, tw * tile_w - gap, 3))
    for i in range(th):
        for j in range(tw):
            tile = base.copy()
            r, c = windows[i * out_w + j]
            rows, cols = slice(r, r + eh, dh), slice(c, c + ew, dw)  # the cells the weights meet
            tile[rows, cols] = np.where(is_pad[rows, cols, None], [0.65, 0.1, 0.1], [0.9, 0.25, 0.25])
            tile = tile.repeat(px, axis=0).repeat(px, axis=1) * lines  # (Hp*px, Wp*px, 3)
            montage[i * tile_h:i * tile_h + Hp * px, j * tile_w:j * tile_w + Wp * px] = tile
    ax_out.imshow(montage, interpolation="nearest")
    ax_out.set_xticks([j * tile_w + Wp * px / 2 for j in range(tw)], [str(j) for j in range(tw)])
    ax_out.set_yticks([i * tile_h + Hp * px / 2 for i in range(th)], [str(i) for i in range(th)])
    ax_out.set_xlabel("output column j")
    ax_out.set_ylabel("output row i")
    shown = "" if (th, tw) == (out_h, out_w) else f" (first {th}×{tw} shown)"
    ax_out.set_title(f"output Y: {out_h}×{out_w}{shown}\ntile (i, j) = the window (red) that computes Y[i, j]",
                     fontsize=10)
    dilation = f", dilation ({dh}, {dw})" if (dh, dw) != (1, 1) else ""
    fig.suptitle(f"Sliding a {kh}×{kw} kernel over a {H}×{W} input: padding ({ph}, {pw}), stride ({sh}, {sw})"
                 f"{dilation} → output {out_h}×{out_w}")
    return fig


def _windows_args(view: object, max_tiles: object) -> None:
    """view is the dict sliding_windows returns; max_tiles a small whole number."""
    if not isinstance(view, Mapping) or not _VIEW_KEYS <= set(view):
        raise TypeError(f"view must be the dict that cnnlib.widgets.sliding_windows returns, e.g. "
                        f"plot_windows(sliding_windows(8, 3, 1, 1)), got {_check.short(view)}")
    _check.whole(max_tiles, "max_tiles", 1, 16, hint="; the right panel shows at most 16x16 tiles")


# ---------------------------------------------------------------- 04 channels

_CHANNEL_NAMES = ("red", "green", "blue")


def _matrix(ax, M, title: str) -> None:
    """A small matrix M (h, w) as a heat map with every value written in its cell (row i down, column j across)."""
    M = M.detach().cpu().float()
    lim = M.abs().max().item() or 1.0
    ax.imshow(M.numpy(), cmap="Blues", vmin=0, vmax=1.6 * lim)  # light blues: the numbers stay readable
    for i, row in enumerate(M.tolist()):
        for j, v in enumerate(row):
            ax.text(j, i, f"{v:g}", ha="center", va="center", fontsize=10)
    ax.set_title(title, fontsize=10)
    ax.set_xticks(range(M.shape[1]))
    ax.set_yticks(range(M.shape[0]))
    ax.set_xlabel("column j")
    ax.set_ylabel("row i")


def plot_multi_in(X: torch.Tensor, K: torch.Tensor) -> Figure:
    """X (C, H, W), K (C, kh, kw): one row per input channel (input X[c], kernel K[c], X[c] ⋆ K[c]) and the sum Y."""
    _multi_in_args(X, K)
    C = X.shape[0]
    parts = [corr2d(x, k) for x, k in zip(X, K)]  # C maps, each (out_h, out_w)
    fig = Figure(figsize=(11, 2.6 * C), layout="constrained")
    axes = fig.subplots(C, 4, squeeze=False)
    for c in range(C):
        _matrix(axes[c, 0], X[c], f"input X[{c}]")
        _matrix(axes[c, 1], K[c], f"kernel K[{c}]")
        _matrix(axes[c, 2], parts[c], rf"$X[{c}] \star K[{c}]$")
        axes[c, 3].axis("off")
    axes[0, 3].axis("on")
    _matrix(axes[0, 3], sum(parts), "output $Y = " + " + ".join(rf"X[{c}] \star K[{c}]" for c in range(C)) + "$")
    fig.suptitle("Multiple input channels: correlate each channel with its own kernel slice, then add")
    return fig


def _multi_in_args(X: object, K: object) -> None:
    """A small X (C, H, W) and K (C, kh, kw) with one kernel slice per channel (corr2d checks the fit)."""
    _check.tensor(X, "X", 3, "(C, H, W)")
    _check.tensor(K, "K", 3, "(C, kh, kw)")
    if K.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} input channels but K has {K.shape[0]} kernel slices (shapes "
                         f"{tuple(X.shape)} and {tuple(K.shape)}); give one kernel slice per input channel")
    if X.shape[0] > 8 or max(X.shape[1:]) > _MAX_WRITTEN:
        raise ValueError(f"X has shape {tuple(X.shape)}, but plot_multi_in writes every number into its cell, so it "
                         f"draws at most 8 channels of {_MAX_WRITTEN}x{_MAX_WRITTEN}; use a small example such as "
                         f"the lecture's (2, 3, 3)")


def plot_channels(X: torch.Tensor, K: torch.Tensor, Y: torch.Tensor, names: Sequence[str]) -> Figure:
    """RGB input X (3, H, W), kernels K (Co, 3, kh, kw), outputs Y (Co, H', W'), one name per output channel.

    Top row: the photo and its channels. Then one row per output channel o: the kernel slices K[o, c], each under
    the input channel c it is applied to, and the output Y[o] = sum over c of X[c] ⋆ K[o, c].
    """
    X, K, Y = _channels_plot_args(X, K, Y, names)
    c_o, c_i = K.shape[:2]
    fig = Figure(figsize=(2.3 * (c_i + 2), 2.3 * (1 + c_o)), layout="constrained")
    axes = fig.subplots(1 + c_o, c_i + 2, squeeze=False, gridspec_kw={"width_ratios": [1] * (c_i + 1) + [1.25]})
    axes[0, 0].imshow(X.permute(1, 2, 0).clamp(0, 1).numpy())  # (H, W, 3) for imshow
    axes[0, 0].set_title(f"input X (RGB photo)\nshape {tuple(X.shape)}", fontsize=9)
    for c in range(c_i):  # grey and named: a red or green tint would hide the difference from colour-blind eyes
        axes[0, c + 1].imshow(X[c].numpy(), cmap="gray", vmin=0, vmax=1)
        axes[0, c + 1].set_title(f"input channel X[{c}]: {_CHANNEL_NAMES[c]}\n(bright = much {_CHANNEL_NAMES[c]})",
                                 fontsize=9)
    axes[0, -1].axis("off")
    axes[0, -1].text(0.5, 0.5, "each output channel o:\n" + r"$Y[o] = \sum_c X[c] \star K[o, c]$",
                     ha="center", va="center", fontsize=10, transform=axes[0, -1].transAxes)
    lim = K.abs().max().item() or 1.0  # one colour scale for every kernel slice, so weights compare across rows
    for o in range(c_o):
        row = axes[1 + o]
        row[0].axis("off")
        row[0].text(0.5, 0.5, f"output channel {o}:\n{names[o]}", ha="center", va="center", fontsize=10,
                    transform=row[0].transAxes)
        for c in range(c_i):
            im_k = row[c + 1].imshow(K[o, c].numpy(), cmap="RdBu_r", vmin=-lim, vmax=lim)
            for i, values in enumerate(K[o, c].tolist()):
                for j, v in enumerate(values):
                    row[c + 1].text(j, i, f"{v + 0.0:.2g}", ha="center", va="center", fontsize=8,
                                    color="white" if abs(v) > 0.6 * lim else "black")
            row[c + 1].set_title(f"kernel slice K[{o}, {c}]", fontsize=9)
        y = Y[o]
        if y.min() < 0:  # signed output: white 0, red positive, blue negative
            ylim = y.abs().max().item() or 1.0
            im = row[-1].imshow(y.numpy(), cmap="RdBu_r", vmin=-ylim, vmax=ylim)
        else:
            im = row[-1].imshow(y.numpy(), cmap="gray")
        row[-1].set_title(f"output Y[{o}], shape {tuple(y.shape)}", fontsize=9)
        fig.colorbar(im, ax=row[-1], fraction=0.046, pad=0.04)
    fig.colorbar(im_k, ax=list(axes[1:, 1:c_i + 1].flat), location="bottom", shrink=0.5, aspect=40,
                 label="kernel weight (one scale for every slice: blue negative, white 0, red positive)")
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


def _channels_plot_args(X: object, K: object, Y: object,
                        names: object) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """X (3, H, W), K (Co, 3, kh, kw), Y (Co, h, w) and Co names that fit together; returned on the CPU."""
    _check.tensor(X, "X", 3, "(3, H, W)")
    _check.tensor(K, "K", 4, "(Co, 3, kh, kw)")
    _check.tensor(Y, "Y", 3, "(Co, h, w)")
    if X.shape[0] != 3 or K.shape[1] != 3:
        raise ValueError(f"plot_channels draws an RGB input: X must be (3, H, W) and K (Co, 3, kh, kw), got "
                         f"{tuple(X.shape)} and {tuple(K.shape)}")
    if Y.shape[0] != K.shape[0]:
        raise ValueError(f"K has {K.shape[0]} output channels but Y has {Y.shape[0]}; pass the Y computed with K")
    if K.shape[0] > 8 or max(K.shape[2:]) > 7:
        raise ValueError(f"K has shape {tuple(K.shape)}; plot_channels draws one row per output channel with every "
                         f"kernel number written, so at most 8 output channels of kernels up to 7x7")
    _titles(names, K.shape[0], "names", "output channel")
    return tuple(t.detach().cpu().float() for t in (X, K, Y))


# ---------------------------------------------------------------- 05 pooling

def plot_matrices(matrices: dict, title: Optional[str] = None) -> Figure:
    """Small matrices side by side, every value written in its cell: matrices = {title: (h, w) tensor}."""
    _matrices_args(matrices, title)
    fig = Figure(figsize=(2.8 * len(matrices), 2.9), layout="constrained")
    axes = fig.subplots(1, len(matrices), squeeze=False)[0]
    for ax, (name, M) in zip(axes, matrices.items()):
        _matrix(ax, torch.as_tensor(M), name)
    if title:
        fig.suptitle(title)
    return fig


def _matrices_args(matrices: object, title: object) -> None:
    _mapping(matrices, "matrices", "{'input X': X, 'max pooling': Y}")
    _title(title)
    if len(matrices) > 8:
        raise ValueError(f"matrices holds {len(matrices)} matrices; one row shows at most 8")
    for name, M in matrices.items():
        _written(_plane(M, f"matrix {_check.short(name)}"), f"matrix {_check.short(name)}")


def plot_pooling(X: torch.Tensor, Y: torch.Tensor, pool_size: int, stride: int, padding: int = 0,
                 mode: str = "max") -> Figure:
    """Grey input X (H, W) in [0, 1] beside its pooled output Y (out_h, out_w), both at the input's pixel scale.

    The first pooling windows are outlined on the input: solid, then dashed and dotted one stride
    further (line styles too, so the order is clear without colour).
    """
    X, Y, pool_size, stride, padding = _pooling_plot_args(X, Y, pool_size, stride, padding, mode)
    H, W = X.shape
    out_h, out_w = Y.shape
    fig = Figure(figsize=(9, 4.4), layout="constrained")
    ax_in, ax_out = fig.subplots(1, 2)
    ax_in.imshow(X, cmap="gray", vmin=0, vmax=1)
    if padding:
        ax_in.add_patch(Rectangle((-0.5 - padding, -0.5 - padding), W + 2 * padding, H + 2 * padding,
                                  fill=False, ls="--", lw=1.5, color=_COLOURS[4]))
    starts = [(0, 0)] + [(0, 1)] * (out_w > 1) + [(1, 0)] * (out_h > 1)  # output pixels whose windows we draw
    for (i, j), colour, ls in zip(starts, (_COLOURS[5], _COLOURS[1], _COLOURS[7]), ("-", "--", ":")):
        ax_in.add_patch(Rectangle((j * stride - padding - 0.5, i * stride - padding - 0.5), pool_size, pool_size,
                                  fill=False, lw=2, color=colour, ls=ls))
    ax_in.set_title(f"input X: {H}×{W}" + (f" (+ padding {padding}, dashed light blue)" if padding else "")
                    + f"\nsolid: the first {pool_size}×{pool_size} window; dashed, dotted: the next ones",
                    fontsize=9)
    ax_out.imshow(Y, cmap="gray", vmin=0, vmax=1)
    ax_out.set_title(f"output: {mode} pooling {pool_size}×{pool_size}, stride {stride}, padding {padding}\n"
                     f"{out_h}×{out_w}, drawn at the input's pixel scale", fontsize=9)
    size = max(H, W, out_h, out_w) + padding
    for ax in (ax_in, ax_out):
        ax.set_xlim(-1 - padding, size)
        ax.set_ylim(size, -1 - padding)
        ax.set_facecolor("#f0f0f0")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # pixel indices, never 2.5
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("column j")
        ax.set_ylabel("row i")
    return fig


def _pooling_plot_args(X: object, Y: object, pool_size: object, stride: object, padding: object,
                       mode: object) -> tuple[np.ndarray, np.ndarray, int, int, int]:
    """Two grey images and whole-number settings; returns (X, Y, pool_size, stride, padding)."""
    _check.choice(mode, "mode", ("max", "avg"))
    return (_plane(X, "X"), _plane(Y, "Y"), _check.whole(pool_size, "pool_size", 1),
            _check.whole(stride, "stride", 1), _check.whole(padding, "padding", 0))


def plot_shift_tolerance(changes: dict, maps: dict) -> Figure:
    """Bars: relative change of each feature after a one-pixel shift (changes = {name: value}); then the
    difference maps (maps = {title: (h, w) tensor}) on one shared, signed colour scale."""
    values, arrays = _shift_tolerance_args(changes, maps)
    fig = Figure(figsize=(4.5 + 3.2 * len(maps), 3.6), layout="constrained")
    axes = fig.subplots(1, 1 + len(maps), gridspec_kw={"width_ratios": [1.5] + [1] * len(maps)})
    names = list(changes)  # the first bar is the unpooled feature; average pooling gets orange with hatching
    bars = axes[0].bar(names, values, color=["0.6"] + [_COLOURS[1] if "avg" in n else _COLOURS[0] for n in names[1:]],
                       hatch=[""] + ["//" if "avg" in n else "" for n in names[1:]], edgecolor="black", linewidth=0.5)
    axes[0].bar_label(bars, fmt="%.2f")
    axes[0].set_ylim(0, 1.15 * max(max(values), 1e-12))
    axes[0].set_ylabel("relative change ‖F(shifted) − F‖ / ‖F‖")
    axes[0].set_title("How much a 1-pixel shift\nchanges the features", fontsize=10)
    axes[0].tick_params(axis="x", labelrotation=30)
    lim = max(float(np.abs(D).max()) for D in arrays.values()) or 1.0
    im = None
    for ax, (title, D) in zip(axes[1:], arrays.items()):
        im = ax.imshow(D, cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("column j")
        ax.set_ylabel("row i")
    fig.colorbar(im, ax=list(axes[1:]), shrink=0.8, label="F(shifted) − F")
    return fig


def _shift_tolerance_args(changes: object, maps: object) -> tuple[list[float], dict]:
    """Checks of plot_shift_tolerance's arguments; returns (bar heights, {title: array})."""
    _mapping(changes, "changes", "{'conv features': 0.8, 'max pool 2x2': 0.4}")
    _mapping(maps, "maps", "{'F(B) − F(A)': D}")
    values = [_check.number(v, f"changes[{_check.short(k)}]", minimum=0, example="0.4") for k, v in changes.items()]
    arrays = {str(k): _plane(D, f"maps[{_check.short(k)}]") for k, D in maps.items()}
    return values, arrays


# ---------------------------------------------------------------- 06-09 training curves, images, inside networks

def plot_history(history: object, title: Optional[str] = None) -> Figure:
    """Loss and accuracy per epoch, training and validation side by side; `history` is a History or its dict."""
    h = _history(history, "plot_history")
    _title(title)
    epochs = [e + 1 for e in h["epoch"]]  # epochs count from 1 on the axis
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    for ax, metric, label in ((ax_loss, "loss", "loss (cross-entropy)"), (ax_acc, "acc", "accuracy")):
        ax.plot(epochs, h[f"train_{metric}"], "o-", label=f"train {metric}")
        if not all(_is_nan(v) for v in h[f"val_{metric}"]):
            ax.plot(epochs, h[f"val_{metric}"], "s--", label=f"validation {metric}")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # no epoch 1.5
        ax.set_ylabel(label)
        ax.set_title(f"{label} per epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    ax_acc.set_ylim(0, 1)
    fig.suptitle(title or "Training history")
    return fig


def _history(history: object, who: str, where: str = "") -> dict:
    """A History (or its dict) as a dict with at least one epoch."""
    h = history.to_dict() if hasattr(history, "to_dict") else history
    if not isinstance(h, dict) or not {"epoch", "train_loss", "train_acc", "val_loss", "val_acc"} <= set(h):
        raise TypeError(f"{who} expects the History returned by cnnlib.train.fit (or History.to_dict()){where}, "
                        f"got {type(history).__name__}")
    if len(h["epoch"]) == 0:
        raise ValueError("the history is empty: train for at least one epoch first")
    return h


def _is_nan(v: Union[float, int]) -> bool:
    return isinstance(v, float) and math.isnan(v)


def plot_histories(histories: dict, title: str = "Training curves") -> Figure:
    """Several training runs on one pair of axes: training loss and validation accuracy per epoch."""
    runs = _histories_args(histories, title)
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    for (name, h), marker, colour in zip(runs.items(), _MARKERS, _COLOURS):
        epochs = [e + 1 for e in h["epoch"]]
        ax_loss.plot(epochs, h["train_loss"], marker=marker, color=colour, label=name)
        acc = h["val_acc"] if not all(_is_nan(v) for v in h["val_acc"]) else h["train_acc"]
        ax_acc.plot(epochs, acc, marker=marker, color=colour, label=name)
    for ax, label in ((ax_loss, "training loss (cross-entropy)"), (ax_acc, "validation accuracy")):
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # no epoch 1.5
        ax.set_ylabel(label)
        ax.set_title(f"{label} per epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    return fig


def _histories_args(histories: object, title: object) -> dict:
    """{run name: History} -> {run name: history dict}, at most one run per marker."""
    _mapping(histories, "histories", "{'LeNet': history_lenet, 'modern LeNet': history_modern}")
    _title(title)
    if len(histories) > len(_MARKERS):
        raise ValueError(f"histories holds {len(histories)} runs; one plot tells at most {len(_MARKERS)} apart")
    return {str(name): _history(h, "plot_histories", f" in histories[{_check.short(name)}]")
            for name, h in histories.items()}


def _to_image(x: torch.Tensor, mean: Optional[tuple] = None, std: Optional[tuple] = None) -> np.ndarray:
    """A normalised image tensor (C, H, W) -> an array for imshow: (H, W) for grey, (H, W, 3) in [0, 1] for colour."""
    x = x.detach().cpu().float()
    if mean is not None and std is not None:
        x = x * torch.tensor(std).view(-1, 1, 1) + torch.tensor(mean).view(-1, 1, 1)  # undo the normalisation
    if x.shape[0] == 1:
        return x[0].numpy()
    return x.permute(1, 2, 0).clamp(0, 1).numpy()  # (H, W, C)


def _grid(n: int, max_cols: int = 8) -> tuple[int, int]:
    cols = min(n, max_cols)
    return math.ceil(n / cols), cols


def plot_image_grid(images: torch.Tensor, titles: Optional[list] = None, mean: Optional[tuple] = None,
                    std: Optional[tuple] = None, max_cols: int = 8, title: Optional[str] = None) -> Figure:
    """A grid of images (N, C, H, W) with one title each (e.g. 'true: Shirt / predicted: Coat 97%')."""
    mean, std = _image_grid_args(images, titles, mean, std, max_cols, title)
    n = len(images)
    rows, cols = _grid(n, max_cols)
    fig = Figure(figsize=(1.6 * cols, 1.9 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(_to_image(images[i], mean, std), cmap="gray")
            if titles is not None:
                ax.set_title(titles[i], fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


_MAX_GRID = 64  # images in one grid: more would be stamps too small to see


def _image_grid_args(images: object, titles: object, mean: object, std: object, max_cols: object,
                     title: object) -> tuple[Optional[tuple], Optional[tuple]]:
    """Checks of plot_image_grid's arguments; returns (mean, std) as tuples or Nones."""
    _check.tensor(images, "images", 4, "(N, C, H, W)")
    if images.shape[1] not in (1, 3):
        raise ValueError(f"images must be grey (N, 1, H, W) or colour (N, 3, H, W), got shape "
                         f"{tuple(images.shape)}" + ("; channels last? use images.permute(0, 3, 1, 2)"
                                                     if images.shape[-1] in (1, 3) else ""))
    if len(images) > _MAX_GRID:
        raise ValueError(f"images holds {len(images):,} images; a grid shows at most {_MAX_GRID}, "
                         f"so pass a slice such as images[:16]")
    _titles(titles, len(images), "titles")
    _check.whole(max_cols, "max_cols", 1, 16)
    _title(title)
    return _mean_std(mean, std, images.shape[1])


def plot_confusion_matrix(cm: torch.Tensor, classes: Sequence[str],
                          title: str = "Confusion matrix (test set)") -> Figure:
    """Counts (K, K), row = true class, column = predicted class; each cell shows its count, rows shaded by share."""
    cm = _confusion_plot_args(cm, classes, title)
    share = cm.float() / cm.sum(dim=1, keepdim=True).clamp(min=1)  # fraction of each true class
    K = len(classes)
    fig = Figure(figsize=(1.2 + 0.62 * K, 0.8 + 0.55 * K), layout="constrained")
    ax = fig.subplots()
    im = ax.imshow(share.numpy(), cmap="Blues", vmin=0, vmax=1)
    for i in range(K):
        for j in range(K):
            ax.text(j, i, str(int(cm[i, j])), ha="center", va="center", fontsize=7,
                    color="white" if share[i, j] > 0.5 else "black")
    ax.set_xticks(range(K), classes, rotation=45, ha="right")
    ax.set_yticks(range(K), classes)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, label="fraction of the true class")
    return fig


def _confusion_plot_args(cm: object, classes: object, title: object) -> torch.Tensor:
    """A square matrix of counts (K, K) and K class names; returns cm on the CPU."""
    cm = _check.tensor(torch.as_tensor(cm) if isinstance(cm, (list, tuple, np.ndarray)) else cm, "cm", 2, "(K, K)",
                       floating=False)
    if cm.shape[0] != cm.shape[1]:
        raise ValueError(f"cm must be square (K, K), one row and column per class, got shape {tuple(cm.shape)}")
    if isinstance(classes, str) or not isinstance(classes, Sequence):
        raise TypeError(f"classes must be a list of class names such as data.classes, got {_check.short(classes)}")
    if len(classes) != cm.shape[0]:
        raise ValueError(f"classes names {len(classes)} classes but cm is {cm.shape[0]}x{cm.shape[1]}; "
                         f"give one name per row of cm")
    if cm.shape[0] > 100:
        raise ValueError(f"cm has {cm.shape[0]} classes; the plot writes every count, so it shows at most 100")
    _title(title)
    return cm.detach().cpu()


def _plot_feature_maps(image: torch.Tensor, maps: torch.Tensor, layer: str, mean: Optional[tuple] = None,
                       std: Optional[tuple] = None, image_title: str = "input image", max_maps: int = 16,
                       max_cols: int = 8) -> Figure:
    """The input image, then the most active channels of one layer's output `maps` (C, H, W) on one colour scale.

    With more than max_maps channels, the max_maps with the largest mean |activation| are shown, strongest first:
    a grid of 96 small maps is too many to read, and the weak ones are mostly blank.
    """
    maps = maps.detach().cpu().float()
    total = len(maps)
    order = (maps.abs().mean(dim=(1, 2)).argsort(descending=True, stable=True)[:max_maps] if total > max_maps
             else torch.arange(total))
    C = len(order)
    rows, cols = _grid(C, max_cols)
    shown = maps[order]
    lo, hi = shown.min().item(), shown.max().item()
    signed = lo < 0 < hi
    vmax = max(abs(lo), abs(hi), 1e-12)
    cmap, vmin, vmax = ("RdBu_r", -vmax, vmax) if signed else ("viridis", min(lo, 0.0), max(hi, 1e-12))
    fig = Figure(figsize=(2.4 + 1.35 * cols, 0.9 + 1.35 * rows), layout="constrained")
    left, right = fig.subfigures(1, 2, width_ratios=[2.2, 1.35 * cols])
    ax = left.subplots()
    ax.imshow(_to_image(image, mean, std), cmap="gray")
    ax.set_title(image_title, fontsize=9)
    ax.axis("off")
    axes = right.subplots(rows, cols, squeeze=False)
    im = None
    for k, a in enumerate(axes.flat):
        a.axis("off")
        if k < C:
            im = a.imshow(shown[k].numpy(), cmap=cmap, vmin=vmin, vmax=vmax)
            a.set_title(f"channel {int(order[k])}", fontsize=7)
    right.colorbar(im, ax=axes, shrink=0.8, label="activation (one scale for all maps)")
    which = f"all {total} channels" if C == total else f"the {C} most active of {total} channels"
    right.suptitle(f"{layer}: {which}, each {maps.shape[1]}x{maps.shape[2]}", fontsize=10)
    return fig


def plot_filters(weight: torch.Tensor, title: str = "Learned first-layer filters", max_cols: int = 8) -> Figure:
    """Conv weights (C_out, C_in, kh, kw): grey filters on a signed colour scale; RGB filters rescaled to [0, 1]."""
    _filters_args(weight, title, max_cols)
    w = weight.detach().cpu().float()
    C_out, C_in = w.shape[:2]
    rows, cols = _grid(C_out, max_cols)
    fig = Figure(figsize=(1.2 + 1.2 * cols, 0.7 + 1.25 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    vmax = w.abs().max().item() or 1.0
    im = None
    for c, a in enumerate(axes.flat):
        a.axis("off")
        if c >= C_out:
            continue
        if C_in == 3:  # colour filter: show which colours it responds to
            f = w[c]
            f = (f - f.min()) / (f.max() - f.min() + 1e-12)
            a.imshow(f.permute(1, 2, 0).numpy())
        else:
            im = a.imshow(w[c, 0].numpy(), cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        a.set_title(f"filter {c}", fontsize=7)
    if im is not None:
        fig.colorbar(im, ax=axes, shrink=0.8, label="weight")
    fig.suptitle(title + ("" if C_in != 3 else " (each rescaled to [0, 1])"))
    return fig


def _filters_args(weight: object, title: object, max_cols: object) -> None:
    """Conv weights (C_out, C_in, kh, kw), at most 256 filters (a grid of stamps beyond that shows nothing)."""
    _check.tensor(weight, "weight", 4, "(C_out, C_in, kh, kw)")
    if len(weight) > 256:
        raise ValueError(f"weight holds {len(weight)} filters; plot_filters shows at most 256, so pass weight[:64]")
    _title(title)
    _check.whole(max_cols, "max_cols", 1, 32)


def plot_grad_norms(norms: dict, title: str = "Gradient norm per layer (one batch)") -> Figure:
    """Bars of |dL/dW| per weight layer for each model: norms = {model name: [(layer name, norm), ...]}."""
    _grad_norms_args(norms, title)
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax = fig.subplots()
    k = len(norms)
    width = 0.8 / k
    for i, ((name, rows), hatch) in enumerate(zip(norms.items(), _HATCHES)):
        xs = [j + (i - (k - 1) / 2) * width for j in range(len(rows))]
        ax.bar(xs, [v for _, v in rows], width=width, label=name, hatch=hatch, color=_COLOURS[i], edgecolor="white")
    names = [[n for n, _ in rows] for rows in norms.values()]
    if names and all(n == names[0] for n in names):  # same layers: label them
        ax.set_xticks(range(len(names[0])), names[0], rotation=90, fontsize=7)
    ax.set_yscale("log")
    ax.set_xlabel("weight layer (input side on the left, output on the right)")
    ax.set_ylabel("gradient norm (log scale)")
    ax.set_title(title)
    ax.grid(alpha=0.3, axis="y")
    ax.legend()
    return fig


def _grad_norms_args(norms: object, title: object) -> None:
    """{model name: [(layer name, norm), ...]} as gradient_norms returns for each model."""
    _mapping(norms, "norms", "{'residual': gradient_norms(model, X, y)}")
    _title(title)
    if len(norms) > len(_HATCHES):
        raise ValueError(f"norms holds {len(norms)} models; one plot tells at most {len(_HATCHES)} apart")
    for name, rows in norms.items():
        where = f"norms[{_check.short(name)}]"
        if isinstance(rows, str) or not isinstance(rows, Sequence) or not all(
                isinstance(r, Sequence) and not isinstance(r, str) and len(r) == 2 for r in rows):
            raise TypeError(f"{where} must be a list of (layer name, norm) pairs, as gradient_norms returns, got "
                            f"{_check.short(rows)}")
        for layer, v in rows:
            _check.number(v, f"the norm of {where} layer {_check.short(layer)}", minimum=0, example="0.1")


def plot_shift_accuracy(shifts: Sequence[int], accuracies: dict,
                        title: str = "Accuracy on shifted test images") -> Figure:
    """Test accuracy against the shift (pixels right and down) for each model: accuracies = {name: [acc, ...]}."""
    shifts = _shift_accuracy_args(shifts, accuracies, title)
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    for (name, accs), marker, colour in zip(accuracies.items(), _MARKERS, _COLOURS):
        ax.plot(shifts, accs, marker=marker, color=colour, label=name)
    ax.set_xlabel("shift of the test images (pixels right and down)")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0, 1)
    ax.set_xticks(shifts)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


def _shift_accuracy_args(shifts: object, accuracies: object, title: object) -> list[int]:
    """Whole-number shifts and one accuracy per shift for each model; returns the shifts as a list."""
    if isinstance(shifts, str) or not isinstance(shifts, Sequence) or not shifts:
        raise TypeError(f"shifts must be a non-empty list of whole numbers such as [0, 1, 2], got "
                        f"{_check.short(shifts)}")
    shifts = [_check.whole(s, f"shifts[{i}]") for i, s in enumerate(shifts)]
    _mapping(accuracies, "accuracies", "{'MLP': [0.5, 0.3], 'small CNN': [0.7, 0.7]}")
    _title(title)
    if len(accuracies) > len(_MARKERS):
        raise ValueError(f"accuracies holds {len(accuracies)} models; one plot tells at most {len(_MARKERS)} apart")
    for name, accs in accuracies.items():
        where = f"accuracies[{_check.short(name)}]"
        if isinstance(accs, str) or not isinstance(accs, Sequence):
            raise TypeError(f"{where} must be a list of accuracies, one per shift, got {_check.short(accs)}")
        if len(accs) != len(shifts):
            raise ValueError(f"{where} holds {len(accs)} accuracies for {len(shifts)} shifts; give one per shift")
        for a in accs:
            _check.number(a, f"an accuracy in {where}", minimum=0, maximum=1, example="0.85")
    return shifts


# ---------------------------------------------------------------- 10 backpropagation

def plot_gradient_flow(X: torch.Tensor, Y: torch.Tensor, grad_X: torch.Tensor, i: int, j: int,
                       title: str = "") -> Figure:
    """Where the gradient of one output pixel Y[i, j] goes: the input X (H, W) with the pixels that receive it
    outlined, the gradient grad_X (H, W) those pixels receive (numbers written when it fits), and the output Y with
    Y[i, j] outlined. The outlines are drawn with solid lines and a second colour, so they read without colour."""
    X, Y, G, i, j = _gradient_flow_args(X, Y, grad_X, i, j, title)
    fig = Figure(figsize=(10.5, 3.9), layout="constrained")
    ax_in, ax_grad, ax_out = fig.subplots(1, 3)
    ax_in.imshow(X, cmap="gray")
    reached = np.argwhere(G != 0)
    for r, c in reached:
        ax_in.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, lw=2, color=_COLOURS[1]))
    ax_in.set_title(f"input X {X.shape[0]}×{X.shape[1]}: the {len(reached)} pixel{'s' * (len(reached) != 1)}\n"
                    f"that receive gradient from Y[{i}, {j}]", fontsize=9)
    limit = float(np.abs(G).max()) or 1.0
    ax_grad.imshow(G, cmap="PuOr_r", vmin=-limit, vmax=limit)  # purple/orange: readable with red-green blindness
    if max(G.shape) <= _MAX_WRITTEN:
        for r, c in reached:
            dark = abs(G[r, c]) > 0.6 * limit  # white digits on the darkest cells
            ax_grad.text(c, r, f"{G[r, c]:.2g}", ha="center", va="center", fontsize=7, color="white" if dark else "black")
    ax_grad.set_title(f"grad_X: ∂Y[{i}, {j}] / ∂X\n(zero everywhere else)", fontsize=9)
    ax_out.imshow(Y, cmap="gray")
    ax_out.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, lw=2.5, color=_COLOURS[1]))
    ax_out.set_title(f"output Y {Y.shape[0]}×{Y.shape[1]}: Y[{i}, {j}] outlined", fontsize=9)
    for ax in (ax_in, ax_grad, ax_out):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def _gradient_flow_args(X: object, Y: object, grad_X: object, i: object, j: object, title: object) -> tuple:
    """Three grey planes, grad_X shaped like X, (i, j) inside Y; returns them as arrays and ints."""
    X, Y, G = _plane(X, "X"), _plane(Y, "Y"), _plane(grad_X, "grad_X")
    _title(title)
    if G.shape != X.shape:
        raise ValueError(f"grad_X must have the shape of X {X.shape}, got {G.shape}: one gradient per input pixel")
    return (X, Y, G, _check.whole(i, "i", 0, Y.shape[0] - 1, hint=f" (Y has {Y.shape[0]} rows)"),
            _check.whole(j, "j", 0, Y.shape[1] - 1, hint=f" (Y has {Y.shape[1]} columns)"))


def plot_attributions(images: torch.Tensor, titles: Sequence[str], occlusions: Sequence[torch.Tensor],
                      saliencies: Sequence[torch.Tensor], mean: Optional[tuple] = None, std: Optional[tuple] = None,
                      title: Optional[str] = None) -> Figure:
    """One column per image (N, C, H, W): the image, its occlusion map (how much covering each square costs the true
    class, occlusion_map) and its saliency map (saliency_map). Sequential colour maps only (no red/green)."""
    _attributions_args(images, titles, occlusions, saliencies, title)
    n = len(images)
    fig = Figure(figsize=(2.1 * n, 6.6), layout="constrained")
    axes = fig.subplots(3, n, squeeze=False)
    for k in range(n):
        axes[0, k].imshow(_to_image(images[k], mean, std), cmap="gray")
        axes[0, k].set_title(titles[k], fontsize=8)
        occ = axes[1, k].imshow(occlusions[k].numpy(), cmap="magma", vmin=min(0.0, float(occlusions[k].min())))
        fig.colorbar(occ, ax=axes[1, k], shrink=0.7)
        axes[2, k].imshow(saliencies[k].numpy(), cmap="viridis")
        for ax in axes[:, k]:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[1, 0].set_ylabel("probability lost\nwhen a square is covered", fontsize=8)
    axes[2, 0].set_ylabel("saliency |d score / d pixel|", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def _attributions_args(images: object, titles: object, occlusions: object, saliencies: object, title: object) -> None:
    _check.images(images, "images")
    _titles(titles, len(images), "titles")
    for name, maps in (("occlusions", occlusions), ("saliencies", saliencies)):
        if not isinstance(maps, Sequence) or len(maps) != len(images):
            raise TypeError(f"{name} must be a list of {len(images)} maps, one per image (occlusion_map, "
                            f"saliency_map), got {_check.short(maps)}")
        for m in maps:
            _plane(m, name)
    _title(title)
