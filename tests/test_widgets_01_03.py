"""The logic behind the widgets of notebooks 01-03 (conv matrix, kernel editor, sliding windows), and their wiring.

Every refusal is checked for its exception type and for a message that names the argument; huge sizes are refused
with a sentence at once (a test that hung would show the bug).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from torch.nn import functional as F

from cnnlib.ops import conv_matrix, conv_output_shape, corr2d_strided
from cnnlib.viz import _plot_conv_matrix, plot_panels, plot_windows
from cnnlib.widgets import (KERNEL_PRESETS, _fashion_mnist_image, _resize_kernel, apply_kernel, conv_matrix_demo,
                            conv_matrix_figure, conv_matrix_widget, figure_png, kernel_editor, kernel_figure,
                            kernel_preset, parse_kernel, sliding_windows, window_explorer)

ESSAY = "x" * 20_000  # what a student might paste into a cell by accident


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)


def find(widget, css_class: str):
    """The one widget carrying `css_class` inside `widget` (depth-first over .children)."""
    found = [w for w in _walk(widget) if css_class in getattr(w, "_dom_classes", ())]
    assert len(found) == 1, f"{len(found)} widgets carry class {css_class!r}"
    return found[0]


def warned(status) -> bool:
    return "⚠" in status.value


# ---- 01: the matrix of a convolution ----

@pytest.mark.parametrize("n, k, p, s", [(5, 3, 0, 1), (6, 3, 1, 2), (4, 1, 0, 1), (7, 4, 2, 3), (3, 3, 0, 1)])
def test_conv_matrix_demo_is_the_convolution(n, k, p, s):
    view = conv_matrix_demo(n, k, p, s)
    X = torch.randn(n, n, generator=torch.Generator().manual_seed(0))
    Y = F.conv2d(X[None, None], view["K"][None, None], padding=p, stride=s)[0, 0]
    assert view["output_shape"] == tuple(Y.shape) == conv_output_shape(n, k, p, s)
    assert torch.allclose(view["W"] @ X.flatten(), Y.flatten(), atol=1e-4)


def test_conv_matrix_demo_counts_shared_and_dense_weights():
    view = conv_matrix_demo(input_size=5, kernel_size=3)
    assert torch.equal(view["K"], torch.arange(1.0, 10.0).reshape(3, 3))  # one colour per kernel entry
    assert view["dense_params"] == 9 * 25 and view["shared_params"] == 9
    assert view["nonzero"] == 81 and math.isclose(view["sparsity"], 1 - 81 / 225)
    assert all(int((view["W"] == v).sum()) == 9 for v in range(1, 10))  # each weight reused at every position
    assert "9×25" in view["text"] and "9 shared weights" in view["text"]


def test_padding_drops_the_taps_that_land_on_zeros():
    assert conv_matrix_demo(6, 3, padding=1)["nonzero"] == 16 ** 2  # exercise 01.2: (2+3+3+3+3+2)^2


@pytest.mark.parametrize("args, words", [((3, 5, 0, 1), "larger than the padded input"),
                                         ((5, 3, 0, 0), "stride must be at least 1"),
                                         ((5, 3, -1, 1), "padding must be at least 0"),
                                         ((0, 1, 0, 1), "input_size must be at least 1"),
                                         ((5, 2.5, 0, 1), "whole number")])
def test_conv_matrix_demo_explains_impossible_settings(args, words):
    with pytest.raises((ValueError, TypeError), match=words):
        conv_matrix_demo(*args)


def test_conv_matrix_figure_is_labelled():
    fig = conv_matrix_figure(conv_matrix_demo(4, 2, 1, 1))
    assert isinstance(fig, Figure)
    ax_k, ax_w = fig.axes[:2]
    assert "kernel K" in ax_k.get_title() and "nonzero" in ax_w.get_title()
    assert "input pixel" in ax_w.get_xlabel() and "output pixel" in ax_w.get_ylabel()
    assert any("weight" in ax.get_ylabel() for ax in fig.axes[2:])  # the colour bar says what colours mean


def test_plot_conv_matrix_handles_signed_kernels():
    K = torch.tensor([[1.0, -2.0], [0.5, 3.0]])
    fig = _plot_conv_matrix(K, conv_matrix(K, (3, 3)), (3, 3), (2, 2))
    assert isinstance(fig, Figure) and "W: 4×9" in fig.axes[1].get_title()


@pytest.mark.parametrize("n", [np.int64(5), 5.0, torch.tensor(5)])
def test_conv_matrix_demo_takes_every_spelling_of_a_whole_number(n):
    view, plain = conv_matrix_demo(n, 3), conv_matrix_demo(5, 3)
    assert view["input_shape"] == (5, 5) and torch.equal(view["W"], plain["W"])


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(input_size=300), ValueError, "input_size must be at most 32, got 300; W grows with the fourth power"),
    (dict(input_size=10 ** 6), ValueError, "input_size must be at most 32, got 1,000,000"),
    (dict(padding=10 ** 6), ValueError, "padding must be at most 16"),
    (dict(kernel_size=10 ** 6), ValueError, "kernel 1000000x1000000 is larger than the padded input"),
    (dict(input_size="5"), TypeError, "input_size must be a number .*, got the text '5'; write 5 without quotes"),
    (dict(stride=True), TypeError, "stride must be a number"),
    (dict(padding=float("nan")), ValueError, "padding must be a whole number, got nan"),
])
def test_conv_matrix_demo_refuses_huge_sizes_and_wrong_types_with_a_sentence(kwargs, error, words):
    with pytest.raises(error, match=words):
        conv_matrix_demo(**kwargs)


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(input_size=50), ValueError, "input_size must be at most 12, got 50; it is where the slider starts"),
    (dict(kernel_size=0), ValueError, "kernel_size must be at least 1"),
    (dict(stride="1"), TypeError, "stride must be a number"),
])
def test_conv_matrix_widget_refuses_start_values_its_sliders_cannot_show(kwargs, error, words):
    with pytest.raises(error, match=words):
        conv_matrix_widget(**kwargs)


def test_conv_matrix_figure_needs_a_demo_result():
    with pytest.raises(TypeError, match="view must be the dict that conv_matrix_demo returns"):
        conv_matrix_figure({"K": torch.ones(2, 2)})


def test_figure_png_renders_and_explains_wrong_arguments():
    assert figure_png(conv_matrix_figure(conv_matrix_demo(3, 2)))[:4] == b"\x89PNG"
    with pytest.raises(TypeError, match="fig must be a matplotlib Figure"):
        figure_png(b"png")
    with pytest.raises(ValueError, match="dpi must be at most 300"):
        figure_png(Figure(), dpi=10 ** 5)


def test_conv_matrix_widget_redraws_and_explains():
    box = conv_matrix_widget()
    status, image = find(box, "cnn-status"), find(box, "cnn-output")
    size, kernel, padding, stride = (find(box, f"cnn-{c}") for c in ("input-size", "kernel-size", "padding", "stride"))
    assert image.value[:4] == b"\x89PNG" and "W is 9×25" in status.value and not warned(status)
    first = image.value
    size.value = 7
    assert image.value != first and "W is 25×49" in status.value
    shown = image.value
    stride.value = 0  # impossible: a message, and the picture stays
    assert warned(status) and "stride must be at least 1" in status.value and image.value == shown
    stride.value = 1
    kernel.value, size.value = 6, 3  # kernel larger than the padded input
    assert warned(status) and "larger than the padded input" in status.value
    padding.value = 2
    assert not warned(status) and "Y is 2×2" in status.value


# ---- 02: the kernel editor ----

def test_presets_are_the_classic_3x3_kernels():
    assert list(KERNEL_PRESETS) == ["identity", "box blur", "Gaussian", "sharpen", "Sobel x", "Sobel y",
                                    "Laplacian", "emboss"]
    for name in KERNEL_PRESETS:
        for size in (3, 5):
            K = parse_kernel(kernel_preset(name, size))
            assert K.shape == (size, size)
            expected_sum = {"Sobel x": 0, "Sobel y": 0, "Laplacian": 0}.get(name, 1)
            assert math.isclose(K.sum().item(), expected_sum, abs_tol=1e-5), (name, size)
    assert torch.equal(parse_kernel(kernel_preset("Sobel y")), parse_kernel(kernel_preset("Sobel x")).t())


def test_five_by_five_presets():
    gauss = parse_kernel(kernel_preset("Gaussian", 5))
    assert torch.allclose(gauss, torch.outer(torch.tensor([1.0, 4, 6, 4, 1]), torch.tensor([1.0, 4, 6, 4, 1])) / 256)
    assert torch.allclose(parse_kernel(kernel_preset("box blur", 5)), torch.full((5, 5), 1 / 25))
    sharpen = parse_kernel(kernel_preset("sharpen", 5))
    assert torch.equal(sharpen[1:4, 1:4], parse_kernel(kernel_preset("sharpen"))) and sharpen[0].abs().sum() == 0
    assert parse_kernel(kernel_preset("Laplacian", 15)).shape == (15, 15)  # the largest the editor's picture shows


@pytest.mark.parametrize("args, error, words", [
    (("blurry",), ValueError, "name must be one of 'identity', 'box blur'.*got 'blurry'"),
    ((["Sobel x"],), TypeError, "name must be one of"),
    (("box blur", 10 ** 6), ValueError, "size must be at most 15, got 1,000,000"),
    (("Gaussian", 4), ValueError, "size must be odd .* got 4; use 3 or 5"),
    (("identity", 1), ValueError, "size must be at least 3"),
    (("identity", "5"), TypeError, "size must be a number"),
])
def test_kernel_preset_explains_bad_names_and_sizes(args, error, words):
    with pytest.raises(error, match=words):
        kernel_preset(*args)


def test_resize_kernel_pads_and_crops_around_the_centre():
    K3 = [[1, 2, 3], [4, 5, 6], [7, 8, "x"]]  # entries are moved, not judged (the editor keeps typed text)
    K5 = _resize_kernel(K3, 5)
    assert K5[0] == [0.0] * 5 and K5[2] == [0.0, 4, 5, 6, 0.0] and K5[3][3] == "x"
    assert _resize_kernel(K5, 3) == K3


def test_parse_kernel_accepts_numbers_and_numeric_text():
    K = parse_kernel([["1", " -2.5 ", 0], [1e-3, "3,5", 4], [0, 0, 7]])
    assert K.dtype == torch.float32 and K[0, 1] == -2.5 and K[1, 1] == 3.5


@pytest.mark.parametrize("entries, error, words", [
    ([["1", "x", "0"], ["0", "1", "0"], ["0", "0", "1"]], ValueError, r"row 1, column 2\) holds 'x'"),
    ([["1", ""], ["0", "1"]], ValueError, r"row 1, column 2\) is empty"),
    ([[float("nan")]], ValueError, "finite"),
    ([[1, 2], [3, float("inf")]], ValueError, r"row 2, column 2\) is inf"),
    ([[1, 2], [3]], ValueError, "square"),
    ([[None]], TypeError, r"row 1, column 1\) holds None, which is not a number"),
    ([[True]], TypeError, "holds True, which is not a number"),
    ([], ValueError, "entries \\(the kernel\\) is empty"),
    ("123", TypeError, "entries \\(the kernel\\) must be a list of rows"),
    (torch.eye(3), TypeError, "pass K.tolist"),
    ([[0]] * 10 ** 6, ValueError, "entries has 1,000,000 rows; kernels here are at most 15x15"),
])
def test_parse_kernel_names_the_bad_cell(entries, error, words):
    with pytest.raises(error, match=words):
        parse_kernel(entries)


def test_parse_kernel_quotes_only_the_start_of_a_pasted_essay():
    with pytest.raises(ValueError) as info:
        parse_kernel([[ESSAY]])
    message = str(info.value)
    assert len(message) < 300 and "(row 1, column 1) holds 'xxxx" in message and "not a number" in message
    with pytest.raises(ValueError, match=r"\(row 1, column 1\) is inf"):  # a pasted run of digits is a huge number
        parse_kernel([["9" * 20_000]])


def test_apply_kernel_keeps_the_size_and_matches_conv2d():
    X = torch.rand(12, 10, generator=torch.Generator().manual_seed(0))
    for size in (3, 5):
        K = parse_kernel(kernel_preset("emboss", size))
        Y = apply_kernel(X, K)
        assert Y.shape == X.shape
        assert torch.allclose(Y, F.conv2d(X[None, None], K[None, None], padding=size // 2)[0, 0], atol=1e-5)
    assert torch.equal(apply_kernel(X, parse_kernel(kernel_preset("identity"))), X)


def test_kernel_figure_labels_input_kernel_and_output():
    X = torch.rand(9, 9)
    K = parse_kernel(kernel_preset("Laplacian"))
    fig = kernel_figure(X, K, apply_kernel(X, K), "random")
    titles = [ax.get_title() for ax in fig.axes]
    assert any(t.startswith("input X") for t in titles) and any("kernel K" in t for t in titles)
    assert any(t.startswith("output Y") for t in titles)
    assert len(fig.axes) == 6  # three images, three colour bars


@pytest.mark.parametrize("X, K, error, words", [
    (torch.rand(5, 5), torch.ones(2, 2), ValueError, "K must have an odd height and width .* got 2x2"),
    (torch.rand(1, 5, 5), torch.ones(3, 3), ValueError, r"X must have 2 dimensions \(H, W\), got shape \(1, 5, 5\)"),
    (torch.zeros(5, 5, dtype=torch.uint8), torch.ones(3, 3), TypeError, r"X must hold floating-point .* / 255"),
    (torch.rand(5, 5), [[1.0]], TypeError, "K must be a torch.Tensor"),
    (torch.rand(5, 5), torch.ones(3, 3, dtype=torch.float64), ValueError, "X is torch.float32 but K is torch.float64"),
    (torch.zeros(1).expand(5000, 5000), torch.ones(5, 5), ValueError,
     "the 5x5 windows of a 5000x5000 image would need"),
])
def test_apply_kernel_explains_what_it_cannot_take(X, K, error, words):
    with pytest.raises(error, match=words):
        apply_kernel(X, K)


def test_kernel_figure_needs_images_and_a_source():
    X = torch.rand(6, 6)
    K = parse_kernel(kernel_preset("sharpen"))
    with pytest.raises(TypeError, match="source must be a short text"):
        kernel_figure(X, K, apply_kernel(X, K), 3)
    with pytest.raises(ValueError, match="Y must have 2 dimensions"):
        kernel_figure(X, K, apply_kernel(X, K)[None], "random")


def test_plot_panels_rejects_what_it_cannot_draw():
    with pytest.raises(ValueError, match="panels is empty"):
        plot_panels({})
    with pytest.raises(TypeError, match="panels must be a dict"):
        plot_panels([torch.zeros(2, 2)])
    with pytest.raises(ValueError, match="panel 'x' must be a 2-D image"):
        plot_panels({"x": torch.zeros(2, 2, 2)})
    with pytest.raises(ValueError, match="got 2 widths for 1 panels"):
        plot_panels({"x": torch.zeros(2, 2)}, widths=[1, 2])


def test_fashion_mnist_image_never_downloads(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNLIB_DATA", str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError, match="load_data"):
        _fashion_mnist_image()
    assert not (tmp_path / "empty").exists()  # nothing fetched, nothing created


def test_fashion_mnist_image_from_real_data(real_data_root, monkeypatch):
    monkeypatch.setenv("CNNLIB_DATA", str(real_data_root))
    X, label = _fashion_mnist_image(0)
    assert X.shape == (28, 28) and label == "Ankle boot"
    assert X.min() >= -1e-5 and X.max() <= 1 + 1e-5 and X.std() > 0.1


def test_kernel_editor_wiring(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNLIB_DATA", str(tmp_path))  # no Fashion-MNIST here: the editor must say so, not fail
    box = kernel_editor()
    status, image, grid = find(box, "cnn-status"), find(box, "cnn-output"), find(box, "cnn-kernel-grid")
    assert "identity" in status.value and not warned(status) and len(grid.children) == 9
    first = image.value
    find(box, "cnn-preset-sobel-x").click()
    assert [find(box, f"cnn-k{i}{j}").value for i in range(3) for j in range(3)] == \
        ["-1", "0", "1", "-2", "0", "2", "-1", "0", "1"]
    assert "Sobel x" in status.value and image.value != first
    find(box, "cnn-preset-box-blur").click()
    assert "box blur" in status.value and "sum of entries 1.000" in status.value and image.value != first
    find(box, "cnn-kernel-size").value = "5×5"
    assert len(grid.children) == 25 and find(box, "cnn-k44").value == "0.04"
    blurred = image.value
    find(box, "cnn-k22").value = "a"  # a letter: a message naming the cell, the picture stays
    assert warned(status) and "(row 3, column 3) holds 'a'" in status.value and image.value == blurred
    find(box, "cnn-k22").value = "inf"
    assert warned(status) and "finite" in status.value and image.value == blurred
    find(box, "cnn-k00").value = "10"
    find(box, "cnn-k22").value = "1"
    assert "edited" in status.value and "sum of entries 11.920" in status.value and not warned(status)
    find(box, "cnn-kernel-size").value = "3×3"  # an edited kernel is cropped to its centre
    assert len(grid.children) == 9 and find(box, "cnn-k11").value == "1"
    find(box, "cnn-k00").value = "x"
    find(box, "cnn-kernel-size").value = "5×5"  # a bad entry travels along, and is still reported
    assert find(box, "cnn-k11").value == "x" and warned(status)
    find(box, "cnn-k11").value = "0"
    find(box, "cnn-image-source").value = "Fashion-MNIST test image"
    assert warned(status) and "showing the photo instead" in status.value
    for name in KERNEL_PRESETS:  # every preset button exists and draws
        find(box, "cnn-preset-" + name.lower().replace(" ", "-")).click()
        assert name in status.value


def test_kernel_editor_answers_a_pasted_essay_with_a_short_message(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNLIB_DATA", str(tmp_path))
    box = kernel_editor()
    status, image = find(box, "cnn-status"), find(box, "cnn-output")
    shown = image.value
    find(box, "cnn-k11").value = ESSAY
    assert warned(status) and "(row 2, column 2) holds" in status.value and image.value == shown
    assert len(status.value) < 300  # the essay is quoted by its first few characters only
    find(box, "cnn-k11").value = "1"
    assert not warned(status) and "edited" in status.value


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(preset="blurry"), ValueError, "preset must be one of"),
    (dict(photo_size=10 ** 6), ValueError, "photo_size must be at most 512"),
    (dict(photo_size="128"), TypeError, "photo_size must be a number"),
])
def test_kernel_editor_refuses_bad_arguments_before_building(kwargs, error, words):
    with pytest.raises(error, match=words):
        kernel_editor(**kwargs)


def test_kernel_editor_shows_fashion_mnist(real_data_root, monkeypatch):
    monkeypatch.setenv("CNNLIB_DATA", str(real_data_root))
    box = kernel_editor(preset="identity")
    find(box, "cnn-image-source").value = "Fashion-MNIST test image"
    status = find(box, "cnn-status")
    assert not warned(status) and "identity" in status.value


# ---- 03: sliding windows ----

def test_sliding_windows_agrees_with_the_formula_and_pytorch():
    for n in range(1, 8):
        for k in range(1, 5):
            for p in range(3):
                for s in range(1, 4):
                    if k > n + 2 * p:
                        continue
                    view = sliding_windows((n, n + 1), (k, 1), (p, 0), (s, 1))
                    Y = F.conv2d(torch.zeros(1, 1, n, n + 1), torch.zeros(1, 1, k, 1), padding=(p, 0), stride=(s, 1))
                    assert view["output_shape"] == tuple(Y.shape[2:])
                    assert len(view["windows"]) == Y.shape[2] * Y.shape[3]


def test_the_windows_are_the_ones_corr2d_reads():
    g = torch.Generator().manual_seed(0)
    X, K = torch.randn(7, 9, generator=g), torch.randn(3, 2, generator=g)
    view = sliding_windows(X.shape, K.shape, padding=(1, 2), stride=(2, 3))
    Xp = F.pad(X, (2, 2, 1, 1))
    out_h, out_w = view["output_shape"]
    Y = torch.tensor([(Xp[r:r + 3, c:c + 2] * K).sum().item() for r, c in view["windows"]]).reshape(out_h, out_w)
    assert torch.allclose(Y, corr2d_strided(X, K, padding=(1, 2), stride=(2, 3)), atol=1e-5)


def test_coverage_and_unread_pixels():
    view = sliding_windows(8, (3, 5), (0, 1), (3, 4))  # the notes' last example
    assert view["output_shape"] == (2, 2) and view["padded_shape"] == (8, 10)
    assert int(view["coverage"].sum()) == 4 * 3 * 5  # every window reads kh*kw cells
    assert view["unread"] == 16 and "16 of the 64 input pixels are never read" in view["text"]
    assert view["is_padding"][:, 0].all() and not view["is_padding"][:, 1:9].any()
    same = sliding_windows(8, 3, 1, 1)
    assert same["unread"] == 0 and same["coverage"][1, 1] == 4 and same["coverage"][4, 4] == 9


@pytest.mark.parametrize("args, error, words", [
    ((3, 5), ValueError, "larger than the padded input"),
    ((8, 3, 1, 0), ValueError, "stride must be at least 1"),
    ((8, 3, 1, (1, 0)), ValueError, r"stride \(width\) must be at least 1"),
    ((8, 3, -1), ValueError, "padding must be at least 0"),
    ((8, (1, 2, 3)), ValueError, "kernel_size must be one whole number or a pair"),
    ((8.5, 3), ValueError, "input_size must be a whole number, got 8.5"),
    (("8", 3), TypeError, "input_size must be a number"),
    ((10 ** 6, 3), ValueError, "input_size must be at most 32, got 1,000,000; the picture numbers every input cell"),
    (((8, 10 ** 6), 3), ValueError, r"input_size \(width\) must be at most 32"),
    ((8, 3, 10 ** 6), ValueError, "padding must be at most 16"),
    ((8, 10 ** 6), ValueError, "larger than the padded input"),
])
def test_sliding_windows_explains_impossible_settings(args, error, words):
    with pytest.raises(error, match=words):
        sliding_windows(*args)


def test_sliding_windows_takes_whole_floats_and_huge_strides():
    assert sliding_windows(8.0, np.int64(3))["output_shape"] == sliding_windows(8, 3)["output_shape"] == (6, 6)
    assert sliding_windows(8, 3, 0, 10 ** 9)["windows"] == [(0, 0)]  # the window never gets a second position


def test_plot_windows_labels_input_and_output():
    fig = plot_windows(sliding_windows(8, 3, 1, 2))
    ax_in, ax_out = fig.axes[:2]
    assert ax_in.get_title().startswith("input 8×8") and "output Y: 4×4" in ax_out.get_title()
    assert "output column" in ax_out.get_xlabel() and "padded input" in ax_in.get_xlabel()
    big = plot_windows(sliding_windows(12, 1, 0, 1))
    assert "first 8×8 shown" in big.axes[1].get_title()
    with pytest.raises(TypeError, match="view must be the dict that cnnlib.widgets.sliding_windows returns"):
        plot_windows({"input_size": 8})
    with pytest.raises(ValueError, match="max_tiles must be at most 16"):
        plot_windows(sliding_windows(8, 3), max_tiles=100)


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(input_size=(20, 8)), ValueError, r"input_size \(height\) must be at most 12, got 20; it is where"),
    (dict(stride=(1, 2, 3)), ValueError, "stride must be one whole number or a pair"),
    (dict(padding="1"), TypeError, "padding must be a number"),
])
def test_window_explorer_refuses_start_values_its_sliders_cannot_show(kwargs, error, words):
    with pytest.raises(error, match=words):
        window_explorer(**kwargs)


def test_window_explorer_redraws_and_explains():
    box = window_explorer()
    status, image = find(box, "cnn-status"), find(box, "cnn-output")
    sliders = {c: find(box, f"cnn-{c}") for c in ("input-h", "input-w", "kernel-h", "kernel-w", "padding-h",
                                                   "padding-w", "stride-h", "stride-w")}
    assert "output 8×8" in status.value and image.value[:4] == b"\x89PNG"
    first = image.value
    sliders["stride-h"].value = 2
    assert "output 4×8" in status.value and image.value != first
    shown = image.value
    sliders["stride-w"].value = 0
    assert warned(status) and "stride (width) must be at least 1" in status.value and image.value == shown
    sliders["stride-w"].value = 1
    sliders["padding-h"].value, sliders["kernel-h"].value, sliders["input-h"].value = 0, 7, 3
    assert warned(status) and "larger than the padded input" in status.value
    sliders["padding-h"].value = 2
    assert not warned(status) and "output 1×8" in status.value


def test_the_status_says_how_the_transposed_convolution_takes_the_output_back():
    """Every setting's transposed shape, output_padding included, is what nn.ConvTranspose2d gives."""
    import random
    rng = random.Random(5)
    checked = 0
    for _ in range(300):
        n, k = (rng.randint(1, 12), rng.randint(1, 12)), (rng.randint(1, 5), rng.randint(1, 5))
        p, s, d = ((rng.randint(0, 2), rng.randint(0, 2)), (rng.randint(1, 4), rng.randint(1, 4)),
                   (rng.randint(1, 3), rng.randint(1, 3)))
        try:
            view = sliding_windows(n, k, p, s, d)
        except ValueError:
            continue
        extent = [dd * (kk - 1) + 1 for dd, kk in zip(d, k)]
        r = tuple((nn_ + 2 * pp - e) % ss for nn_, pp, e, ss in zip(n, p, extent, s))
        back = torch.nn.functional.conv_transpose2d(torch.zeros((1, 1) + view["output_shape"]), torch.zeros((1, 1) + k),
                                                    stride=s, padding=p, dilation=d, output_padding=r)
        assert tuple(back.shape[2:]) == n
        assert f"→ {n[0]}×{n[1]}, height" in view["text"] and (f" + {r[0]} = {n[0]}" in view["text"]) == (r[0] > 0)
        checked += 1
    assert checked > 100
