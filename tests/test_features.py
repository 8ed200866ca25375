"""cnnlib.features (and the 06-09 plots and feature-map browser built on it) against hand-computed ground truth."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from torch import nn

from cnnlib.features import (
    _feature_layers as feature_layers, accuracy, block_costs, capture_activations, confusion_matrix, conv_stack,
    layer_titles,
    feature_maps,
    first_conv_weight, gradient_norms, most_confident_mistakes, predict, predict_mirrored, receptive_field,
    shift_images, shifted_accuracy,
)
from cnnlib.models import LeNet, LeNetModern, ResNet, VGG, count_parameters, materialize, mlp_baseline


@pytest.fixture
def lenet():
    torch.manual_seed(0)
    return materialize(LeNetModern(), (1, 1, 28, 28))


@pytest.fixture
def small_resnet():
    torch.manual_seed(0)
    model = ResNet(((1, 8), (1, 16)), b1_channels=8, b1_kernel_size=3, b1_stride=1, b1_maxpool=False)
    return materialize(model, (1, 1, 28, 28))


# ---------------------------------------------------------------- activations

def test_feature_layers_are_the_convs_and_activations_in_order(lenet):
    assert feature_layers(lenet, (1, 1, 28, 28)) == ["net.0", "net.2", "net.4", "net.6"]
    assert feature_layers(materialize(LeNet(), (1, 1, 28, 28)), (1, 1, 28, 28)) == ["net.0", "net.1", "net.3", "net.4"]


def test_a_residual_block_is_one_feature_layer(small_resnet):
    names = feature_layers(small_resnet, (1, 1, 28, 28))
    assert names == ["net.0.0", "net.0.2", "net.b2.0", "net.b3.0"]  # stem conv, stem ReLU, two blocks


def test_captured_activation_is_the_layer_output(lenet):
    X = torch.randn(3, 1, 28, 28)
    acts = capture_activations(lenet, X)
    lenet.eval()
    with torch.no_grad():
        assert torch.allclose(acts["net.0"], lenet.net[0](X))
        assert torch.allclose(acts["net.2"], lenet.net[:3](X))
    assert acts["net.4"].shape == (3, 16, 10, 10)


def test_capture_removes_its_hooks_and_restores_training_mode(lenet):
    lenet.train()
    capture_activations(lenet, torch.randn(2, 1, 28, 28))
    assert lenet.training and all(m.training for m in lenet.modules())
    assert all(not m._forward_hooks for m in lenet.modules())


def test_capture_named_layers_and_unknown_names(lenet):
    acts = capture_activations(lenet, torch.randn(2, 1, 28, 28), layers=["net.9"])
    assert list(acts) == ["net.9"] and acts["net.9"].shape == (2, 120)
    with pytest.raises(ValueError, match="no layer called 'conv9'"):
        capture_activations(lenet, torch.randn(2, 1, 28, 28), layers=["conv9"])
    with pytest.raises(ValueError, match=r"expects a batch of images of shape \(B, 1, 28, 28\), got \(1, 28, 28\)"):
        capture_activations(lenet, torch.randn(1, 28, 28))


def test_feature_maps_picks_one_image_and_explains_bad_choices(lenet):
    acts = capture_activations(lenet, torch.randn(4, 1, 28, 28))
    assert torch.equal(feature_maps(acts, 2, "net.4"), acts["net.4"][2])
    with pytest.raises(ValueError, match=r"image index must be at most 3, got 4; there are 4 images \(0..3\)"):
        feature_maps(acts, 4, "net.4")
    with pytest.raises(ValueError, match="unknown layer"):
        feature_maps(acts, 0, "net.99")
    with pytest.raises(TypeError, match="image index must be a number such as 3, got the text 'a'"):
        feature_maps(acts, "a", "net.0")
    with pytest.raises(ValueError, match="image index must be a whole number, got 1.5"):
        feature_maps(acts, 1.5, "net.0")
    assert torch.equal(feature_maps(acts, np.int64(2), "net.4"), feature_maps(acts, 2.0, "net.4"))


def test_first_conv_weight_is_the_first_kernel_bank(lenet):
    assert torch.equal(first_conv_weight(lenet), lenet.net[0].weight.detach())
    with pytest.raises(ValueError, match="no Conv2d"):
        first_conv_weight(mlp_baseline())


# ---------------------------------------------------------------- predictions

def test_confusion_matrix_counts_true_rows_and_predicted_columns():
    y_true = torch.tensor([0, 0, 1, 2, 2, 2])
    y_pred = torch.tensor([0, 1, 1, 2, 0, 2])
    cm = confusion_matrix(y_true, y_pred, 3)
    assert cm.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert cm.sum(dim=1).tolist() == [2, 1, 3]  # each row holds all examples of its true class
    with pytest.raises(ValueError, match="holds the label 3, but num_classes=3 allows the labels 0..2 only"):
        confusion_matrix(y_true, y_pred + 1, 3)


def test_most_confident_mistakes_are_wrong_and_sorted():
    logits = torch.tensor([[5.0, 0.0], [0.0, 1.0], [0.0, 9.0], [3.0, 0.0], [0.0, 0.2]])
    y = torch.tensor([0, 0, 0, 1, 1])
    m = most_confident_mistakes(logits, y, k=10)
    assert m.index.tolist() == [2, 3, 1]  # wrong ones only, surest first
    assert (m.predicted != m.true).all()
    assert m.confidence.tolist() == sorted(m.confidence.tolist(), reverse=True)


def test_predict_and_accuracy_agree(lenet):
    X, y = torch.randn(30, 1, 28, 28), torch.randint(0, 10, (30,))
    logits = predict(lenet, X, batch_size=7)
    assert logits.shape == (30, 10)
    assert accuracy(lenet, X, y) == pytest.approx((logits.argmax(1) == y).float().mean().item())


def test_predict_mirrored_averages_the_softmax_of_each_image_and_its_mirror(lenet):
    X, y = torch.randn(30, 1, 28, 28), torch.randint(0, 10, (30,))
    probs = predict_mirrored(lenet, X, batch_size=7)
    with torch.no_grad():
        lenet.eval()
        expected = (lenet(X).softmax(1) + lenet(torch.flip(X, dims=[3])).softmax(1)) / 2  # a per-image reference
    torch.testing.assert_close(probs, expected)
    assert probs.sum(1).sub(1).abs().max() < 1e-5                        # still probabilities
    torch.testing.assert_close(predict_mirrored(lenet, X.flip(-1)), probs)  # a mirrored image gets the same answer
    assert accuracy(lenet, X, y, mirrored=True) == pytest.approx((probs.argmax(1) == y).float().mean().item())


def test_predict_mirrored_of_a_symmetric_image_is_the_plain_softmax(lenet):
    half = torch.randn(4, 1, 28, 14)
    X = torch.cat([half, half.flip(-1)], dim=-1)  # every row reads the same both ways
    torch.testing.assert_close(predict_mirrored(lenet, X), predict(lenet, X).softmax(1))


def test_predict_mirrored_and_accuracy_reject_bad_arguments(lenet):
    with pytest.raises(ValueError, match="batch of images"):
        predict_mirrored(lenet, torch.randn(1, 28, 28))
    with pytest.raises(TypeError, match="mirrored must be True or False"):
        accuracy(lenet, torch.randn(2, 1, 28, 28), torch.zeros(2, dtype=torch.long), mirrored="yes")


# ---------------------------------------------------------------- gradients

def test_gradient_norms_match_autograd_and_leave_the_model_alone(lenet):
    X, y = torch.randn(16, 1, 28, 28), torch.randint(0, 10, (16,))
    lenet.eval()
    before = {k: v.clone() for k, v in lenet.state_dict().items()}
    norms = gradient_norms(lenet, X, y)
    assert [n for n, _ in norms] == ["net.0", "net.4", "net.9", "net.12", "net.15"]
    lenet.train()
    F.cross_entropy(lenet(X), y).backward()
    assert norms[0][1] == pytest.approx(lenet.net[0].weight.grad.norm().item(), rel=1e-4)
    lenet.load_state_dict(before)  # the manual pass above changed BatchNorm statistics, gradient_norms did not
    lenet.zero_grad(set_to_none=True)
    lenet.eval()
    gradient_norms(lenet, X, y)
    assert not lenet.training
    assert all(torch.equal(v, before[k]) for k, v in lenet.state_dict().items())
    assert all(p.grad is None for p in lenet.parameters())


# ---------------------------------------------------------------- receptive field and costs

def test_two_3x3_convs_see_as_far_as_one_5x5_with_fewer_weights():
    c = 64
    assert conv_stack(2, 3, c) == (5, 18 * c ** 2)
    assert conv_stack(1, 5, c) == (5, 25 * c ** 2)
    assert receptive_field([(3, 1), (2, 2), (3, 1)]) == 3 + 1 + 2 * 2  # a pool doubles the next layer's step


def test_block_costs_sum_to_count_parameters_and_count_conv_work():
    torch.manual_seed(0)
    model = materialize(VGG(((1, 8), (2, 16)), num_hiddens=32), (1, 1, 28, 28))
    rows = block_costs(model, (1, 1, 28, 28))
    assert sum(r.params for r in rows) == count_parameters(model)
    assert rows[0].shape == (8, 14, 14) and rows[0].macs == 8 * 28 * 28 * 1 * 9
    assert rows[1].macs == 16 * 14 * 14 * 8 * 9 + 16 * 14 * 14 * 16 * 9  # both convs run before the pool
    assert [r.field for r in rows[:2]] == [4, 4 + 2 * 2 + 2 * 2 + 1 * 2]
    assert rows[-1].field is None and rows[-1].macs == 10 * 32


def test_block_costs_follow_the_main_path_of_a_residual_block(small_resnet):
    rows = block_costs(small_resnet, (1, 1, 28, 28))
    assert [r.field for r in rows] == [3, 3 + 2 + 2, 7 + 2 + 2 * 2, None]  # stem; conv1, conv2; conv1 (stride 2), conv2
    assert sum(r.params for r in rows) == count_parameters(small_resnet)


# ---------------------------------------------------------------- shifts

def test_shift_images_pads_with_zeros_or_rolls():
    X = torch.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    assert shift_images(X, 1)[0, 0].tolist() == [[0, 1, 2], [0, 4, 5], [0, 7, 8]]
    assert shift_images(X, 0, -1)[0, 0].tolist() == [[4, 5, 6], [7, 8, 9], [0, 0, 0]]
    assert torch.equal(shift_images(X, 1, mode="roll"), torch.roll(X, 1, dims=3))
    assert torch.equal(shift_images(X, 0, 0), X)
    with pytest.raises(ValueError, match="dx must be at most .* out of view"):
        shift_images(X, 3)


def test_shifted_accuracy_starts_at_the_plain_accuracy(lenet):
    X, y = torch.randn(20, 1, 28, 28), torch.randint(0, 10, (20,))
    accs = shifted_accuracy(lenet, X, y, shifts=[0, 2])
    assert accs[0] == accuracy(lenet, X, y) and len(accs) == 2


@pytest.mark.parametrize("batch_size", [7, 20, 1000])
def test_shifted_accuracy_shifts_one_batch_at_a_time_with_the_numbers_of_shifting_all(lenet, batch_size):
    torch.manual_seed(0)
    X, y = torch.randn(45, 1, 28, 28), torch.randint(0, 10, (45,))
    want = [accuracy(lenet, shift_images(X, s, s), y, batch_size) for s in (0, 1, -3, 4)]
    assert shifted_accuracy(lenet, X, y, [0, 1, -3, 4], batch_size=batch_size) == want
    with pytest.raises(ValueError, match="dx must be at most"):
        shifted_accuracy(lenet, X, y, [0, 40])
    with pytest.raises(TypeError, match=r"shifts\[1\]"):
        shifted_accuracy(lenet, X, y, [0, "2"])


# ---------------------------------------------------------------- plots and the browser

class TwinBlock(nn.Module):
    """A residual block written another way (other attribute names, optional shortcut), as users write them."""

    def __init__(self, c_in, c_out, stride=1, skip=True):
        super().__init__()
        self.c1 = nn.Conv2d(c_in, c_out, 3, stride, 1)
        self.c2 = nn.Conv2d(c_out, c_out, 3, 1, 1)
        self.c3 = nn.Conv2d(c_in, c_out, 1, stride) if stride != 1 or c_in != c_out else None
        self.skip = skip

    def forward(self, X):
        Y = self.c2(F.relu(self.c1(X)))
        if self.skip:
            Y = Y + (X if self.c3 is None else self.c3(X))
        return F.relu(Y)


def test_any_block_with_its_own_forward_is_one_layer_and_its_shortcut_adds_no_field():
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), TwinBlock(4, 4), TwinBlock(4, 8, 2, skip=False),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10))
    assert feature_layers(model, (1, 1, 16, 16)) == ["0", "1", "2", "3"]
    rows = block_costs(model, (1, 1, 16, 16))
    assert [r.field for r in rows[:4]] == [3, 3, 7, 7 + 2 + 2 * 2]
    assert gradient_norms(model, torch.randn(4, 1, 16, 16), torch.arange(4), skip_1x1=True)[-2][0] == "3.c2"


def test_cost_table_lists_every_block_and_the_totals(lenet):
    from cnnlib.features import cost_table
    table = cost_table(block_costs(lenet, (1, 1, 28, 28)))
    lines = table.splitlines()
    assert lines[0].split() == ["block", "layer", "output", "shape", "parameters", "multiply-adds", "field"]
    assert len(lines) == 2 + 16 + 2 and lines[-1].split()[1] == f"{count_parameters(lenet):,}"


def test_layer_titles_number_each_kind_in_running_order(lenet):
    acts = capture_activations(lenet, torch.randn(2, 1, 28, 28))
    assert layer_titles(lenet, acts) == {"net.0": "conv 1", "net.2": "ReLU 1", "net.4": "conv 2", "net.6": "ReLU 2"}
    resnet = materialize(ResNet(((1, 8), (1, 16)), b1_channels=8, b1_kernel_size=3), (1, 1, 16, 16))
    titles = layer_titles(resnet, capture_activations(resnet, torch.randn(2, 1, 16, 16)))
    assert [t for t in titles.values() if t.startswith("residual")] == ["residual block 1", "residual block 2"]
    with pytest.raises(ValueError, match="no layer called 'net.99'"):
        layer_titles(lenet, ["net.99"])


def test_a_wide_layer_shows_its_16_most_active_channels_strongest_first():
    from cnnlib.viz import _plot_feature_maps
    maps = torch.zeros(40, 4, 4)
    for c in range(40):
        maps[c] = c % 7  # channels 6, 13, 20, 27, 34 are the strongest
    fig = _plot_feature_maps(torch.zeros(1, 8, 8), maps, "conv 9")
    titles = [ax.get_title() for ax in fig.subfigs[1].axes if ax.get_title()]
    assert len(titles) == 16 and titles[:5] == [f"channel {c}" for c in (6, 13, 20, 27, 34)]
    assert fig.subfigs[1].get_suptitle() == "conv 9: the 16 most active of 40 channels, each 4x4"
