"""The logic behind the widgets of notebooks 04 (channels) and 05 (pooling), and the widgets' wiring."""
from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from cnnlib.ops import corr2d_multi_in_out, pool2d
from cnnlib.viz import plot_channels, plot_multi_in, plot_pooling, plot_shift_tolerance
from cnnlib.widgets import (CHANNEL_PRESETS, MAX_OUT_CHANNELS, channel_kernels, channels_demo, channels_widget,
                            pooling_demo, pooling_widget, sample_image)


def find(widget, css_class: str):
    """The one widget carrying `css_class` inside `widget` (depth-first over .children)."""
    found = [w for w in _walk(widget) if css_class in getattr(w, "_dom_classes", ())]
    assert len(found) == 1, f"{len(found)} widgets carry class {css_class!r}"
    return found[0]


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)


# ---- sample image ----

def test_sample_image_is_a_small_rgb_photo_in_0_1():
    X = sample_image(32)
    assert X.shape == (3, 32, 32) and X.dtype == torch.float32
    assert 0 <= X.min() and X.max() <= 1 and X.std() > 0.1  # a real picture, not a flat one


def test_sample_image_grey_is_the_luminance():
    X, G = sample_image(16), sample_image(16, grey=True)
    assert G.shape == (16, 16)
    assert torch.allclose(G, 0.299 * X[0] + 0.587 * X[1] + 0.114 * X[2], atol=1e-6)


@pytest.mark.parametrize("size", [0, 3, 1000, 2.5, "64", True])
def test_sample_image_rejects_bad_sizes(size):
    with pytest.raises(ValueError, match="size must be an int"):
        sample_image(size)


# ---- 04: channels ----

def test_channel_kernels_stack_one_kernel_per_output_channel():
    K = channel_kernels(["vertical edges", "red - green"])
    assert K.shape == (2, 3, 3, 3)  # (c_o, c_i, k_h, k_w), nn.Conv2d's layout
    assert torch.equal(K[1, :, 1, 1], torch.tensor([1.0, -1.0, 0.0]))  # red minus green at the centre
    assert K[1].abs().sum() == 2  # and nothing else


def test_every_preset_is_a_3x3_kernel_for_rgb():
    for name in CHANNEL_PRESETS:
        assert channel_kernels([name]).shape == (1, 3, 3, 3), name


def test_red_only_preset_copies_the_red_channel():
    X = sample_image(16)
    _, Y = channels_demo(X, ["red only"])
    assert torch.allclose(Y[0], X[0, 1:-1, 1:-1])  # no padding: the border pixels are lost


def test_blur_preset_is_the_mean_over_space_and_colour():
    X = sample_image(16)
    _, Y = channels_demo(X, ["blur (3x3 mean)"])
    assert torch.allclose(Y[0, 0, 0], X[:, :3, :3].mean(), atol=1e-6)


def test_vertical_edges_respond_to_a_vertical_edge_only():
    X = torch.zeros(3, 8, 8)
    X[:, :, :4] = 1.0  # bright left half, dark right half: one vertical edge
    _, Y = channels_demo(X, ["vertical edges", "horizontal edges"])
    assert Y[0].max() > 0 and Y[0].min() == 0
    assert Y[1].abs().max() < 1e-6  # up to rounding of 1/3


def test_channels_demo_equals_the_lecture_loop():
    X = sample_image(12)
    names = ["vertical edges", "blue - yellow", "grey (luminance)"]
    K, Y = channels_demo(X, names)
    assert Y.shape == (3, 10, 10)
    assert torch.allclose(Y, corr2d_multi_in_out(X, K), atol=1e-5)


@pytest.mark.parametrize("presets, message", [([], "between 1 and"), (["blur (3x3 mean)"] * 5, "between 1 and"),
                                              (["sharpen"], "unknown preset 'sharpen'")])
def test_channel_kernels_explain_bad_choices(presets, message):
    with pytest.raises(ValueError, match=message):
        channel_kernels(presets)


def test_channels_demo_needs_an_rgb_image():
    with pytest.raises(ValueError, match=r"\(3, H, W\)"):
        channels_demo(torch.zeros(8, 8), ["red only"])


def test_plot_channels_has_one_row_per_output_channel():
    X = sample_image(16)
    names = ["red only", "red - green"]
    K, Y = channels_demo(X, names)
    fig = plot_channels(X, K, Y, names)
    titles = [ax.get_title() for ax in fig.axes]
    assert "kernel slice K[1, 2]" in titles and "output Y[1], shape (14, 14)" in titles
    assert any(t.startswith("input X") for t in titles)


def test_plot_multi_in_shows_the_lecture_example():
    X = torch.tensor([[[0.0, 1, 2], [3, 4, 5], [6, 7, 8]], [[1.0, 2, 3], [4, 5, 6], [7, 8, 9]]])
    K = torch.tensor([[[0.0, 1], [2, 3]], [[1.0, 2], [3, 4]]])
    fig = plot_multi_in(X, K)
    texts = {t.get_text() for ax in fig.axes for t in ax.texts}
    assert {"56", "72", "104", "120", "19", "37"} <= texts  # the sum and the per-channel parts


def test_channels_widget_has_its_css_classes_and_updates():
    w = channels_widget(sample_image(16))
    assert "cnn-channels" in w._dom_classes
    c_out, image, status = find(w, "cnn-cout"), find(w, "cnn-output"), find(w, "cnn-status")
    drops = [find(w, f"cnn-preset-{o}") for o in range(MAX_OUT_CHANNELS)]
    assert image.value[:4] == b"\x89PNG" and "(3, 14, 14)" in status.value
    assert [d.disabled for d in drops] == [False, False, False, True]
    before = image.value
    c_out.value = 1
    assert "(1, 14, 14)" in status.value and "= 28" in status.value and image.value != before
    assert [d.disabled for d in drops] == [False, True, True, True]
    drops[0].value = "red only"
    assert "(1, 3, 3, 3)" in status.value


# ---- 05: pooling ----

@pytest.mark.parametrize("pool_size, stride, padding", [(2, 2, 0), (3, 1, 1), (3, 2, 1), (4, 3, 2), (1, 1, 0)])
def test_pooling_demo_matches_pytorch(pool_size, stride, padding):
    X = sample_image(16, grey=True)
    ref = nn.MaxPool2d(pool_size, stride, padding)(X[None, None])[0, 0]
    assert torch.equal(pooling_demo(X, pool_size, stride, padding, "max"), ref)
    ref = nn.AvgPool2d(pool_size, stride, padding)(X[None, None])[0, 0]  # counts padding zeros, like ours
    assert torch.allclose(pooling_demo(X, pool_size, stride, padding, "avg"), ref, atol=1e-6)


@pytest.mark.parametrize("pool_size, stride, padding, message", [
    (9, 1, 0, "larger than the padded input"),
    (2, 0, 0, "stride must be >= 1"),
    (2, 1, 2, "more than half the pooling window"),
])
def test_pooling_demo_explains_impossible_settings(pool_size, stride, padding, message):
    with pytest.raises(ValueError, match=message):
        pooling_demo(sample_image(8, grey=True), pool_size, stride, padding)


def test_plot_pooling_labels_input_and_output():
    X = sample_image(8, grey=True)
    fig = plot_pooling(X, pooling_demo(X, 2, 2), 2, 2)
    ax_in, ax_out = fig.axes
    assert ax_in.get_title().startswith("input X: 8×8") and "4×4" in ax_out.get_title()
    assert len(ax_in.patches) == 3  # the first three pooling windows


def test_plot_shift_tolerance_draws_bars_and_maps():
    fig = plot_shift_tolerance({"conv": 0.8, "pooled": 0.4}, {"a": torch.ones(3, 3), "b": -torch.ones(2, 2)})
    assert len(fig.axes[0].patches) == 2 and len(fig.axes) == 4  # bars, two maps, one colour bar


def test_pooling_widget_has_its_css_classes_and_updates():
    w = pooling_widget()
    assert "cnn-pooling" in w._dom_classes
    pool, stride, padding = find(w, "cnn-pool-size"), find(w, "cnn-stride"), find(w, "cnn-padding")
    mode, size, image, status = find(w, "cnn-mode"), find(w, "cnn-image-size"), find(w, "cnn-output"), \
        find(w, "cnn-status")
    assert status.value == "input (64, 64) → output (32, 32): max pooling 2×2, stride 2, padding 0"
    before = image.value
    mode.value = "avg"
    assert status.value.startswith("input (64, 64) → output (32, 32): avg") and image.value != before
    size.value = 16
    assert status.value.startswith("input (16, 16) → output (8, 8)")


def test_pooling_widget_reports_invalid_settings_instead_of_raising():
    w = pooling_widget()
    pool, stride, padding = find(w, "cnn-pool-size"), find(w, "cnn-stride"), find(w, "cnn-padding")
    size, status, image = find(w, "cnn-image-size"), find(w, "cnn-status"), find(w, "cnn-output")
    stride.value = 0
    assert status.value.startswith("⚠") and "stride" in status.value
    stride.value = 1
    padding.value = 2  # more than half of the 2x2 window
    assert status.value.startswith("⚠") and "half the pooling window" in status.value
    padding.value = 0
    size.value = 8
    pool.value = 9
    assert status.value.startswith("⚠") and "larger than the padded input" in status.value
    pool.value = 8
    assert status.value == "input (8, 8) → output (1, 1): max pooling 8×8, stride 1, padding 0"
    assert image.value[:4] == b"\x89PNG"


def test_pooling_widget_with_a_given_image_has_no_size_control():
    w = pooling_widget(torch.rand(10, 12))
    assert not [x for x in _walk(w) if "cnn-image-size" in getattr(x, "_dom_classes", ())]
    assert find(w, "cnn-status").value.startswith("input (10, 12) → output (5, 6)")


def test_our_pool2d_is_what_the_widget_uses():
    X = sample_image(8, grey=True)
    assert torch.equal(pooling_demo(X, 3, 2, 1, "avg"), pool2d(X, 3, "avg", padding=1, stride=2))
    assert torch.allclose(F.max_pool2d(X[None], 2)[0], pooling_demo(X, 2, 2))
