"""The plots of cnnlib.viz: labelled figures on good input, a sentence naming the argument on bad input, and
models told apart by marker, hatch or line style as well as colour (colour-blind readers)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from cnnlib.viz import (_plot_feature_maps, _to_image, plot_channels, plot_confusion_matrix, plot_filters,
                        plot_grad_norms, plot_histories, plot_history, plot_image_grid, plot_matrices, plot_multi_in,
                        plot_pooling, plot_shift_accuracy, plot_shift_tolerance)


def history(epochs: int = 2) -> dict:
    return dict(epoch=list(range(epochs)), train_loss=[1.0 / (e + 1) for e in range(epochs)],
                train_acc=[0.5] * epochs, val_loss=[1.0] * epochs, val_acc=[0.6] * epochs)


# ---- 04-05 ----

def test_plot_matrices_writes_every_value():
    fig = plot_matrices({"input X": torch.arange(4.0).reshape(2, 2), "pooled": np.ones((1, 1))}, title="t")
    assert [t.get_text() for t in fig.axes[0].texts] == ["0", "1", "2", "3"] and fig.axes[1].get_title() == "pooled"


def test_plot_pooling_tells_the_windows_apart_by_line_style():
    X = torch.rand(6, 6)
    fig = plot_pooling(X, torch.nn.functional.max_pool2d(X[None], 2)[0], 2, 2)
    styles = [p.get_linestyle() for p in fig.axes[0].patches]
    assert len(set(styles)) == 3 and "solid" in fig.axes[0].get_title()


# ---- 06-09 ----

def test_plots_of_06_09_return_labelled_figures():
    X = torch.randn(6, 1, 8, 8)
    figs = [_plot_feature_maps(X[0], torch.randn(4, 8, 8), "net.0"), plot_filters(torch.randn(4, 1, 3, 3)),
            plot_filters(torch.randn(4, 3, 3, 3)), plot_confusion_matrix(torch.eye(3, dtype=torch.int64) * 5,
                                                                         ["a", "b", "c"]),
            plot_image_grid(X, [str(i) for i in range(6)]), plot_grad_norms({"a": [("x", 1.0), ("y", 0.1)]}),
            plot_shift_accuracy([0, 1], {"mlp": [0.5, 0.3]}), plot_histories({"run": history()})]
    assert all(isinstance(f, Figure) for f in figs)
    assert figs[3].axes[0].get_xlabel() == "predicted class" and figs[3].axes[0].get_ylabel() == "true class"
    assert figs[6].axes[0].get_xlabel().startswith("shift of the test images")


def test_to_image_undoes_the_normalisation():
    x = torch.zeros(3, 4, 4)
    assert np.allclose(_to_image(x, (0.5, 0.5, 0.5), (0.2, 0.2, 0.2)), 0.5) and _to_image(x).shape == (4, 4, 3)
    assert _to_image(torch.ones(1, 4, 4), (0.25,), (2.0,)).shape == (4, 4)  # grey: one (H, W) plane


def test_models_are_told_apart_by_marker_or_hatch_not_only_colour():
    curves = plot_histories({"a": history(), "b": history(), "c": history()})
    assert len({line.get_marker() for line in curves.axes[0].lines}) == 3
    shifts = plot_shift_accuracy([0, 1, 2], {"MLP": [0.5, 0.4, 0.3], "CNN": [0.7, 0.7, 0.6]})
    assert len({line.get_marker() for line in shifts.axes[0].lines}) == 2
    bars = plot_grad_norms({"residual": [("x", 1.0), ("y", 0.5)], "plain": [("x", 2.0), ("y", 0.1)]})
    assert len({patch.get_hatch() for patch in bars.axes[0].patches}) == 2


def test_plot_image_grid_takes_mean_and_std_as_tensors_too():
    X = torch.zeros(2, 3, 4, 4)
    fig = plot_image_grid(X, mean=torch.tensor([0.5, 0.5, 0.5]), std=torch.tensor([0.2, 0.2, 0.2]))
    assert np.allclose(fig.axes[0].images[0].get_array(), 0.5)


# ---- refusals: each names the argument and says what to do ----

CASES = [
    (lambda: plot_matrices({"big": torch.zeros(20, 20)}), ValueError, "matrix 'big' is 20x20, .* at most 16x16"),
    (lambda: plot_matrices({}), ValueError, "matrices is empty"),
    (lambda: plot_multi_in(torch.rand(2, 3, 3), torch.rand(3, 2, 2)), ValueError,
     "X has 2 input channels but K has 3 kernel slices"),
    (lambda: plot_multi_in(torch.rand(1, 40, 40), torch.rand(1, 2, 2)), ValueError,
     r"X has shape \(1, 40, 40\), but plot_multi_in writes every number"),
    (lambda: plot_multi_in(torch.rand(3, 3), torch.rand(2, 2)), ValueError, "X must have 3 dimensions"),
    (lambda: plot_channels(torch.rand(3, 6, 6), torch.rand(2, 3, 3, 3), torch.rand(2, 4, 4), ["one"]), ValueError,
     "names holds 1 strings for 2 output channels"),
    (lambda: plot_channels(torch.rand(1, 6, 6), torch.rand(2, 1, 3, 3), torch.rand(2, 4, 4), ["a", "b"]), ValueError,
     r"X must be \(3, H, W\)"),
    (lambda: plot_pooling(torch.rand(4, 4), torch.rand(2, 2), 2, 2, mode="mean"), ValueError,
     "mode must be one of 'max', 'avg', got 'mean'"),
    (lambda: plot_pooling(torch.rand(4, 4), torch.rand(2, 2), "2", 2), TypeError, "pool_size must be a number"),
    (lambda: plot_shift_tolerance({"conv": "big"}, {"d": torch.zeros(2, 2)}), TypeError,
     r"changes\['conv'\] must be a number"),
    (lambda: plot_shift_tolerance({"conv": 0.5}, {}), ValueError, "maps is empty"),
    (lambda: plot_history([1.0, 0.5]), TypeError, "plot_history expects the History returned by cnnlib.train.fit"),
    (lambda: plot_histories({"a": [1.0]}), TypeError, r"plot_histories expects the History .* in histories\['a'\]"),
    (lambda: plot_histories([history()]), TypeError, "histories must be a dict"),
    (lambda: plot_image_grid(torch.rand(65, 1, 4, 4)), ValueError, "images holds 65 images; .* at most 64"),
    (lambda: plot_image_grid(torch.rand(4, 4, 4)), ValueError, r"images must have 4 dimensions \(N, C, H, W\)"),
    (lambda: plot_image_grid(torch.rand(2, 4, 4, 3)), ValueError, r"channels last\? use images.permute\(0, 3, 1, 2\)"),
    (lambda: plot_image_grid(torch.rand(2, 1, 4, 4), ["one"]), ValueError, "titles holds 1 strings for 2 images"),
    (lambda: plot_image_grid(torch.rand(2, 3, 4, 4), mean=(0.5,), std=(0.2,)), ValueError,
     "mean holds 1 numbers but the images have 3 channels"),
    (lambda: plot_image_grid(torch.rand(2, 1, 4, 4), mean="0.5", std=(0.2,)), TypeError,
     "mean must be one number per channel"),
    (lambda: plot_confusion_matrix(torch.ones(3, 2), ["a", "b", "c"]), ValueError, r"cm must be square \(K, K\)"),
    (lambda: plot_confusion_matrix(torch.eye(3), ["a", "b"]), ValueError, "classes names 2 classes but cm is 3x3"),
    (lambda: plot_filters(torch.rand(3, 3, 3)), ValueError, r"weight must have 4 dimensions \(C_out, C_in, kh, kw\)"),
    (lambda: plot_filters(torch.zeros(1).expand(1000, 1, 3, 3)), ValueError, "weight holds 1000 filters"),
    (lambda: plot_grad_norms({"a": [1.0, 2.0]}), TypeError, r"norms\['a'\] must be a list of \(layer name, norm\)"),
    (lambda: plot_grad_norms({"a": [("x", math.nan)]}), ValueError, r"the norm of norms\['a'\] layer 'x'"),
    (lambda: plot_shift_accuracy([0, 1], {"mlp": [0.5]}), ValueError,
     r"accuracies\['mlp'\] holds 1 accuracies for 2 shifts"),
    (lambda: plot_shift_accuracy([0, 1], {"mlp": [0.5, 85]}), ValueError, "an accuracy in accuracies.* at most 1"),
    (lambda: plot_shift_accuracy([0, 0.5], {"mlp": [0.5, 0.4]}), ValueError, r"shifts\[1\] must be a whole number"),
]


@pytest.mark.parametrize("call, error, words", CASES)
def test_plots_explain_what_they_cannot_draw(call, error, words):
    with pytest.raises(error, match=words):
        call()
