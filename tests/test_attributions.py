"""Occlusion and saliency maps (what a trained network looks at) against their definitions, and their plot."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from cnnlib import LeNetModern, materialize, set_seed
from cnnlib.features import occlusion_map, saliency_map
from cnnlib.viz import plot_attributions


@pytest.fixture
def net():
    set_seed(0)
    return materialize(LeNetModern(), (1, 1, 28, 28))


def prob(net, X, label):
    net.eval()
    with torch.no_grad():
        return net(X[None]).softmax(dim=1)[0, label].item()


def test_one_square_over_the_whole_image_costs_what_covering_it_all_costs(net):
    X = torch.randn(1, 28, 28)
    drop = occlusion_map(net, X, 3, patch=28, stride=1)
    want = prob(net, X, 3) - prob(net, torch.zeros_like(X), 3)
    assert drop.shape == (28, 28) and torch.allclose(drop, torch.full((28, 28), want), atol=1e-6)


def test_each_pixel_gets_the_mean_drop_of_the_squares_that_cover_it(net):
    set_seed(1)
    X = torch.randn(1, 28, 28)
    drop = occlusion_map(net, X, 5, patch=6, stride=4, fill=-1.0)
    base = prob(net, X, 5)

    def covered(r, c):
        Y = X.clone()
        Y[:, r:r + 6, c:c + 6] = -1.0
        return base - prob(net, Y, 5)

    # pixel (5, 9) is covered by the squares with corners (0, 4), (0, 8), (4, 4), (4, 8)
    want = sum(covered(r, c) for r in (0, 4) for c in (4, 8)) / 4
    assert drop[5, 9].item() == pytest.approx(want, abs=1e-6)
    assert drop[27, 27].item() == 0.0  # 28 - 6 = 22 is not a multiple of 4: no square reaches the last rows


def test_saliency_is_the_largest_absolute_input_gradient_over_channels_in_eval_mode():
    set_seed(2)
    net = materialize(nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                                    nn.LazyLinear(10)), (1, 3, 8, 8))
    net.train()
    X = torch.randn(3, 8, 8)
    got = saliency_map(net, X, 7)
    assert net.training and all(p.grad is None for p in net.parameters())  # flags restored, weights untouched
    net.eval()
    X_ = X[None].clone().requires_grad_()
    net(X_)[0, 7].backward()
    assert torch.allclose(got, X_.grad[0].abs().amax(dim=0))


@pytest.mark.parametrize("call, error, words", [
    (lambda net: occlusion_map(net, torch.zeros(2, 1, 28, 28), 0), ValueError, "one image"),
    (lambda net: occlusion_map(net, torch.zeros(1, 28, 28), 10), ValueError, "label must be at most 9"),
    (lambda net: occlusion_map(net, torch.zeros(1, 28, 28), 0, patch=29), ValueError, "the square must fit"),
    (lambda net: occlusion_map(net, torch.zeros(1, 28, 28), 0, stride=0), ValueError, "stride must be at least 1"),
    (lambda net: occlusion_map(net, torch.zeros(3, 28, 28), 0), ValueError, "channel"),
    (lambda net: saliency_map(net, torch.zeros(1, 28, 28), -1), ValueError, "label must be at least 0"),
    (lambda net: saliency_map("net", torch.zeros(1, 28, 28), 0), TypeError, "model"),
])
def test_mistakes_get_a_sentence(net, call, error, words):
    with pytest.raises(error, match=words):
        call(net)


def test_plot_attributions_draws_three_rows(net):
    X = torch.randn(2, 1, 28, 28)
    fig = plot_attributions(X, ["a", "b"], [occlusion_map(net, x, 0) for x in X], [saliency_map(net, x, 0) for x in X])
    assert len(fig.axes) == 6 + 2  # three rows of two, plus a colour bar per occlusion map
    with pytest.raises(TypeError, match="occlusions must be a list of 2 maps"):
        plot_attributions(X, ["a", "b"], [torch.zeros(28, 28)], [torch.zeros(28, 28)] * 2)
