"""The logic behind notebook 10's gradient-flow widget and its wiring: the gradient of one output pixel, computed
by the from-scratch backward passes, equals autograd's; impossible settings get a sentence, never a traceback."""
from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from cnnlib.viz import plot_gradient_flow
from cnnlib.widgets import flow_kernel, gradient_flow, gradient_flow_widget, sample_image
from tests.test_widgets_04_05 import find, refused_before_building

OPERATIONS = ("convolution", "max pooling", "avg pooling")


def autograd_flow(X, operation, size, stride, padding, i, j):
    """dY[i, j]/dX by autograd through PyTorch's own layers."""
    X = X.clone().requires_grad_()
    if operation == "convolution":
        Y = F.conv2d(X[None, None], flow_kernel(size)[None, None], stride=stride, padding=padding)[0, 0]
    elif operation == "max pooling":
        Y = F.max_pool2d(X[None], size, stride=stride, padding=padding)[0]
    else:
        Y = F.avg_pool2d(X[None], size, stride=stride, padding=padding)[0]
    Y[i, j].backward()
    return Y.detach(), X.grad


@pytest.mark.parametrize("operation", OPERATIONS)
def test_gradient_flow_equals_autograd_over_random_settings(operation):
    g = torch.Generator().manual_seed(10)
    checked = 0
    for _ in range(60):
        H, W, size, stride = (int(v) for v in torch.randint(1, 9, (4,), generator=g))
        padding = int(torch.randint(0, size // 2 + 1, (), generator=g))
        if size > min(H, W) + 2 * padding:
            continue
        X = torch.rand(H, W, generator=g)
        out_h, out_w = (H + 2 * padding - size) // stride + 1, (W + 2 * padding - size) // stride + 1
        i, j = int(torch.randint(0, out_h, (), generator=g)), int(torch.randint(0, out_w, (), generator=g))
        Y, grad_X = gradient_flow(X, operation, size, stride, padding, i, j)
        Y_want, grad_want = autograd_flow(X, operation, size, stride, padding, i, j)
        assert torch.allclose(Y, Y_want, atol=1e-6) and torch.allclose(grad_X, grad_want, atol=1e-6)
        checked += 1
    assert checked >= 25


def test_the_counts_the_notebook_states():
    G = sample_image(12, grey=True)
    counts = {op: int((gradient_flow(G, op, 3, 1, 0, 2, 3)[1] != 0).sum()) for op in OPERATIONS}
    assert counts == {"convolution": 9, "max pooling": 1, "avg pooling": 9}
    assert int((gradient_flow(G, "convolution", 3, 1, 1, 0, 0)[1] != 0).sum()) == 4
    assert torch.equal(flow_kernel(2), torch.tensor([[0.25, 0.5], [0.75, 1.0]]))


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(operation="conv"), ValueError, "operation must be one of 'convolution', 'max pooling', 'avg pooling'"),
    (dict(size=13), ValueError, "larger than the padded input"),
    (dict(stride=0), ValueError, "stride must be at least 1"),
    (dict(padding=-1), ValueError, "padding must be at least 0"),
    (dict(operation="max pooling", padding=2), ValueError, "more than half the pooling window 3"),
    (dict(i=10), ValueError, r"row i must be at most 9, got 10 \(the output is 10×10\)"),
    (dict(j=-1), ValueError, "column j must be at least 0"),
    (dict(size="3"), TypeError, "write 3 without quotes"),
    (dict(size=2.5), ValueError, "size must be a whole number"),
])
def test_gradient_flow_explains_impossible_settings(kwargs, error, words):
    args = dict(operation="convolution", size=3, stride=1, padding=0, i=2, j=3) | kwargs
    with pytest.raises(error, match=words):
        gradient_flow(sample_image(12, grey=True), **args)


def test_gradient_flow_refuses_large_or_wrong_images():
    with pytest.raises(ValueError, match="at most 16x16"):
        gradient_flow(torch.rand(17, 17), "convolution", 3)
    with pytest.raises(ValueError, match="one grey image"):
        gradient_flow(torch.rand(3, 8, 8), "convolution", 3)
    refused_before_building(lambda: gradient_flow_widget(torch.rand(40, 40)), ValueError, "at most 16x16")


def test_plot_gradient_flow_outlines_the_pixels_that_get_gradient():
    G = sample_image(12, grey=True)
    Y, grad = gradient_flow(G, "avg pooling", 2, 2, 0, 1, 1)
    fig = plot_gradient_flow(G, Y, grad, 1, 1, "title")
    assert len(fig.axes[0].patches) == 4 and len(fig.axes[2].patches) == 1
    assert "the 4 pixels" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match="grad_X must have the shape of X"):
        plot_gradient_flow(G, Y, grad[:3], 1, 1)
    with pytest.raises(ValueError, match="i must be at most 5"):
        plot_gradient_flow(G, Y, grad, 6, 1)


def test_gradient_flow_widget_has_its_css_classes_and_updates():
    w = gradient_flow_widget()
    assert "cnn-gradient-flow" in w._dom_classes
    operation, size, stride, padding = (find(w, c) for c in ("cnn-operation", "cnn-size", "cnn-stride", "cnn-padding"))
    row, col, status, image = (find(w, c) for c in ("cnn-row", "cnn-col", "cnn-status", "cnn-output"))
    assert status.value == ("Y[2, 3] of 10×10: its gradient reaches 9 input pixels (convolution 3×3, stride 1, "
                            "padding 0)")
    before = image.value
    operation.value = "max pooling"
    assert "reaches 1 input pixel (max pooling" in status.value and image.value != before
    row.value = 12  # outside the 10x10 output: a sentence, the picture stays
    shown = image.value
    assert status.value.startswith("⚠ row i must be at most 9") and image.value == shown
    row.value, padding.value, col.value = 0, 1, 0
    operation.value = "convolution"
    assert status.value.startswith("Y[0, 0] of 12×12: its gradient reaches 4 input pixels")
