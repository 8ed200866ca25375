"""The logic behind the widgets of notebooks 04 (channels) and 05 (pooling) and of the feature-map browser
(06-09), and the widgets' wiring. Bad images and huge sizes are refused with a sentence before any widget is built.
"""
from __future__ import annotations

import ipywidgets
import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from cnnlib.features import capture_activations
from cnnlib.ops import corr2d_multi_in_out, pool2d
from cnnlib.viz import plot_channels, plot_multi_in, plot_pooling, plot_shift_tolerance
from cnnlib.widgets import (_CHANNEL_PRESETS, _MAX_OUT_CHANNELS, _channel_kernels, channels_demo, channels_widget,
                            feature_map_browser, feature_map_view, pooling_demo, pooling_widget, sample_image)


def find(widget, css_class: str):
    """The one widget carrying `css_class` inside `widget` (depth-first over .children)."""
    found = [w for w in _walk(widget) if css_class in getattr(w, "_dom_classes", ())]
    assert len(found) == 1, f"{len(found)} widgets carry class {css_class!r}"
    return found[0]


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)


def live_widgets() -> int:
    """How many ipywidgets exist now (ipywidgets 8 keeps them in widget._instances, 7 in Widget.widgets)."""
    registry = getattr(ipywidgets.widgets.widget, "_instances", None)
    return len(registry if registry is not None else ipywidgets.Widget.widgets)


def refused_before_building(build, error, words) -> None:
    """build() raises `error` matching `words`, and no widget was made on the way."""
    before = live_widgets()
    with pytest.raises(error, match=words):
        build()
    assert live_widgets() == before


# ---- sample image ----

def test_sample_image_is_a_small_rgb_photo_in_0_1():
    X = sample_image(32)
    assert X.shape == (3, 32, 32) and X.dtype == torch.float32
    assert 0 <= X.min() and X.max() <= 1 and X.std() > 0.1  # a real picture, not a flat one


def test_sample_image_grey_is_the_luminance():
    X, G = sample_image(16), sample_image(16, grey=True)
    assert G.shape == (16, 16)
    assert torch.allclose(G, 0.299 * X[0] + 0.587 * X[1] + 0.114 * X[2], atol=1e-6)


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(size=3), ValueError, "size must be at least 4"),
    (dict(size=1000), ValueError, "size must be at most 512, got 1,000; size is the side"),
    (dict(size=2.5), ValueError, "size must be a whole number, got 2.5"),
    (dict(size="64"), TypeError, "size must be a number .*; write 64 without quotes"),
    (dict(size=True), TypeError, "size must be a number"),
    (dict(grey="yes"), TypeError, "grey must be True or False"),
])
def test_sample_image_rejects_bad_arguments(kwargs, error, words):
    with pytest.raises(error, match=words):
        sample_image(**kwargs)


def test_sample_image_takes_a_whole_float_or_numpy_size():
    assert torch.equal(sample_image(16.0), sample_image(np.int64(16)))


# ---- 04: channels ----

def test_channel_kernels_stack_one_kernel_per_output_channel():
    K = _channel_kernels(["vertical edges", "red - green"])
    assert K.shape == (2, 3, 3, 3)  # (c_o, c_i, k_h, k_w), nn.Conv2d's layout
    assert torch.equal(K[1, :, 1, 1], torch.tensor([1.0, -1.0, 0.0]))  # red minus green at the centre
    assert K[1].abs().sum() == 2  # and nothing else


def test_every_preset_is_a_3x3_kernel_for_rgb():
    for name in _CHANNEL_PRESETS:
        assert _channel_kernels([name]).shape == (1, 3, 3, 3), name


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


def test_channels_demo_takes_one_name_and_any_float_dtype():
    X = sample_image(12)
    K, Y = channels_demo(X, "red only")
    assert K.shape == (1, 3, 3, 3) and torch.allclose(Y[0], X[0, 1:-1, 1:-1])
    _, Y64 = channels_demo(X.double(), ["vertical edges"])  # computed in float32, like the float32 photo
    assert Y64.dtype == torch.float32 and torch.allclose(Y64, channels_demo(X, ["vertical edges"])[1])


@pytest.mark.parametrize("presets, error, message", [
    ([], ValueError, "presets must name between 1 and 4"),
    (["blur (3x3 mean)"] * 5, ValueError, "presets must name between 1 and 4 output channels, got 5"),
    (["red only", "sharpen"], ValueError, r"presets\[1\] must be one of 'vertical edges'.*got 'sharpen'"),
    ([3], TypeError, r"presets\[0\] must be one of"),
    (3, TypeError, "presets must be a list of preset names"),
])
def test_channels_demo_explains_bad_presets(presets, error, message):
    with pytest.raises(error, match=message):
        channels_demo(sample_image(8), presets)


BAD_RGB = [  # (image, error, words): each names X, says what was expected and what to try
    (torch.rand(8, 8), ValueError, r"X must be an RGB image of shape \(3, H, W\), got shape \(8, 8\), a grey image; "
                                   r"give it three equal channels with X.expand\(3, -1, -1\)"),
    (torch.rand(1, 8, 8), ValueError, r"a grey image: give it three channels with X.expand"),
    (torch.rand(8, 8, 3), ValueError, r"channels come last: move them first with X.permute\(2, 0, 1\)"),
    (torch.rand(4, 8, 8), ValueError, r"RGBA: drop the alpha channel with X\[:3\]"),
    (torch.rand(1, 3, 8, 8), ValueError, r"a batch of one; drop the batch dimension with X\[0\]"),
    (torch.zeros(3, 8, 8, dtype=torch.uint8), TypeError, r"X must hold floating-point numbers, got dtype torch.uint8; "
                                                         r"convert it with X.float\(\) / 255"),
    (torch.rand(3, 2, 2), ValueError, "X is 2x2 pixels, smaller than the presets' 3x3 kernels"),
    (torch.rand(3, 8, 8) * 255, ValueError, r"X must hold floats in \[0, 1\] \(an RGB photo\), got values from"),
    (torch.full((3, 8, 8), float("nan")), ValueError, "X holds NaN or infinite values"),
    (torch.zeros(1).expand(3, 600, 600), ValueError, "X is 600x600 pixels; this picture shows at most 512x512"),
    (np.zeros((3, 8, 8), dtype=np.float32), TypeError, r"X must be a torch.Tensor, got ndarray; .*torch.from_numpy"),
]


@pytest.mark.parametrize("X, error, words", BAD_RGB)
def test_channels_demo_explains_what_image_it_needs(X, error, words):
    with pytest.raises(error, match=words):
        channels_demo(X, ["red only"])


@pytest.mark.parametrize("X, error, words", BAD_RGB)
def test_channels_widget_refuses_a_bad_image_before_building(X, error, words):
    refused_before_building(lambda: channels_widget(X), error, words)


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
    drops = [find(w, f"cnn-preset-{o}") for o in range(_MAX_OUT_CHANNELS)]
    assert image.value[:4] == b"\x89PNG" and "(3, 14, 14)" in status.value
    assert [d.disabled for d in drops] == [False, False, False, True]
    before = image.value
    c_out.value = 1
    assert "(1, 14, 14)" in status.value and "= 28" in status.value and image.value != before
    assert [d.disabled for d in drops] == [False, True, True, True]
    drops[0].value = "red only"
    assert "(1, 3, 3, 3)" in status.value


def test_channels_widget_starts_with_the_presets_it_is_given():
    w = channels_widget(sample_image(8), presets=["red only", "grey (luminance)"])
    assert find(w, "cnn-cout").value == 2 and find(w, "cnn-preset-1").value == "grey (luminance)"
    assert find(w, "cnn-preset-3").value == "blue - yellow"  # the menus not asked for keep the usual choices
    assert "kernel K (2, 3, 3, 3)" in find(w, "cnn-status").value
    refused_before_building(lambda: channels_widget(sample_image(8), presets=["sharpen"]), ValueError,
                            r"presets\[0\] must be one of")


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
    (2, 0, 0, "stride must be at least 1, got 0; a stride of 0 would never move the window"),
    (2, 1, 2, "more than half the pooling window"),
    (10 ** 6, 1, 0, "pool_size must be at most 256, got 1,000,000; the window must fit the image"),
    (256, 1, 0, "pooling window 256x256 is larger than the padded input 8x8"),
    (2, 1, 10 ** 6, "padding 1000000x1000000 is more than half the pooling window 2x2"),
    (2.5, 1, 0, "pool_size must be a whole number, got 2.5"),
])
def test_pooling_demo_explains_impossible_settings(pool_size, stride, padding, message):
    with pytest.raises(ValueError, match=message):
        pooling_demo(sample_image(8, grey=True), pool_size, stride, padding)


@pytest.mark.parametrize("args, error, words", [
    ((torch.rand(3, 8, 8), 2, 2), ValueError, r"X must have 2 dimensions \(H, W\), one grey image, got shape"),
    ((torch.zeros(8, 8, dtype=torch.uint8), 2, 2), TypeError, r"X must hold floating-point .*X.float\(\) / 255"),
    ((torch.zeros(1).expand(1000, 1000), 2, 2), ValueError, "X is 1000x1000 pixels; .* at most 256x256"),
    ((torch.rand(8, 8), "2", 2), TypeError, "pool_size must be a number"),
    ((torch.rand(8, 8), 2, 2, 0, "min"), ValueError, "mode must be one of 'max', 'avg', got 'min'"),
])
def test_pooling_demo_explains_bad_images_and_types(args, error, words):
    with pytest.raises(error, match=words):
        pooling_demo(*args)


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


@pytest.mark.parametrize("X, error, words", [
    (torch.zeros(8, 8, dtype=torch.uint8), TypeError, r"X must hold floating-point numbers.*X.float\(\) / 255"),
    (torch.rand(1, 8, 8), ValueError, r"X must have 2 dimensions .*; drop the leading size-1 dimensions"),
    (torch.rand(8, 8) * 255, ValueError, r"X must hold floats in \[0, 1\] \(a grey image drawn from black 0"),
    (torch.zeros(1).expand(300, 300), ValueError, "X is 300x300 pixels"),
    ([[0.5, 0.5]], TypeError, "X must be a torch.Tensor"),
])
def test_pooling_widget_refuses_a_bad_image_before_building(X, error, words):
    refused_before_building(lambda: pooling_widget(X), error, words)


def test_pooling_widget_on_a_one_pixel_image_says_why_instead_of_failing():
    w = pooling_widget(torch.rand(1, 1))  # the default 2x2 window does not fit: a message, not a traceback
    assert find(w, "cnn-status").value.startswith("⚠") and "larger than the padded input" in find(w, "cnn-status").value
    find(w, "cnn-pool-size").value = 1
    assert find(w, "cnn-status").value.startswith("input (1, 1) → output (1, 1)")


def test_our_pool2d_is_what_the_widget_uses():
    X = sample_image(8, grey=True)
    assert torch.equal(pooling_demo(X, 3, 2, 1, "avg"), pool2d(X, 3, "avg", padding=1, stride=2))
    assert torch.allclose(F.max_pool2d(X[None], 2)[0], pooling_demo(X, 2, 2))


# ---- 06-09: the feature-map browser ----

def small_cnn() -> nn.Module:
    """A 10-class CNN for 1x8x8 images: two layers with feature maps (net.0, net.1), then a dense head."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 8 * 8, 10))


def batch(n: int = 5) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.randn(n, 1, 8, 8, generator=torch.Generator().manual_seed(1)), torch.arange(n) % 10


def test_feature_map_browser_redraws_on_every_choice():
    model, (X, y) = small_cnn(), batch()
    box = feature_map_browser(model, X, y, classes=[f"class {i}" for i in range(10)], mean=(0.5,), std=(0.25,))
    index, layer, output, status = (find(box, c) for c in ("cnn-fmb-image", "cnn-fmb-layer", "cnn-fmb-output",
                                                           "cnn-fmb-status"))
    assert [v for _, v in layer.options] == ["0", "1"] and layer.options[0][0] == "conv 1 · 4x8x8 (0)"
    first = bytes(output.value)
    assert first.startswith(b"\x89PNG") and status.value == "image 0 of 5, layer conv 1"
    layer.value = "1"
    assert bytes(output.value) != first and status.value == "image 0 of 5, layer ReLU 1"
    index.value = 4
    assert status.value == "image 4 of 5, layer ReLU 1" and index.max == 4  # the box cannot go past the last image


def test_feature_map_view_titles_the_image_with_its_class():
    model, (X, y) = small_cnn(), batch()
    fig = feature_map_view(capture_activations(model, X), X, 3, "0", y, [f"c{i}" for i in range(10)], model=model)
    titles = [ax.get_title() for ax in fig.axes]
    assert "input image 3: c3" in titles and "channel 3" in titles
    assert "conv 1 (0): all 4 channels, each 8x8" in [sf.get_suptitle() for sf in fig.subfigs]


@pytest.mark.parametrize("change, error, words", [
    (dict(images=torch.randn(1, 8, 8)), ValueError, r"add a batch dimension with images.unsqueeze\(0\)"),
    (dict(images=torch.zeros(5, 1, 8, 8, dtype=torch.uint8)), TypeError, "images must hold floating-point numbers"),
    (dict(images=torch.randn(5, 3, 8, 8)), ValueError, "Sequential expects images with 1 channel"),
    (dict(images=torch.zeros(1).expand(200, 1, 8, 8)), ValueError, "images holds 200 images; .* at most 128"),
    (dict(labels=torch.arange(3)), ValueError, "labels holds 3 labels but there are 5 examples"),
    (dict(labels=torch.tensor([0, 1, 2, 3, 12])), ValueError, "labels holds the label 12, but classes names 10"),
    (dict(classes=["a", "b", "c"]), ValueError, "classes holds 3 names but Sequential has 10 outputs"),
    (dict(classes="abc"), TypeError, "classes must be a list of class names"),
    (dict(mean=(0.5, 0.5, 0.5), std=(0.2, 0.2, 0.2)), ValueError, "mean holds 3 numbers but the images have 1 channel"),
    (dict(mean=(0.5,)), ValueError, "mean and std go together"),
    (dict(std=(0.0,), mean=(0.5,)), ValueError, r"std\[0\] must be positive"),
    (dict(model=nn.Sequential), TypeError, "model must be a PyTorch model"),
])
def test_feature_map_browser_refuses_bad_arguments_before_building(change, error, words):
    X, y = batch()
    kwargs = dict(model=small_cnn(), images=X, labels=y, classes=[str(i) for i in range(10)], mean=None, std=None)
    kwargs.update(change)
    model, images = kwargs.pop("model"), kwargs.pop("images")
    refused_before_building(lambda: feature_map_browser(model, images, **kwargs), error, words)


def test_feature_map_view_explains_a_mismatch_with_the_activations():
    model, (X, y) = small_cnn(), batch()
    acts = capture_activations(model, X)
    with pytest.raises(ValueError, match="images holds 3 images but the activations were captured for 5"):
        feature_map_view(acts, X[:3], 0, "0")
    with pytest.raises(ValueError, match="image index must be at most 4"):
        feature_map_view(acts, X, 5, "0")
    with pytest.raises(ValueError, match="Sequential has no layer called 'net.0'"):
        feature_map_view({"net.0": acts["0"]}, X, 0, "net.0", model=model)
    with pytest.raises(ValueError, match="unknown layer 'conv'"):
        feature_map_view(acts, X, 0, "conv")
