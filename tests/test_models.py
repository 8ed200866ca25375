"""The lecture's networks reproduce the notes' printed layer summaries, shapes and parameter counts."""
import warnings

import pytest
import torch
from torch import nn

from cnnlib.models import (
    VGG, LeNet, LeNetModern, ResNet, ResNet18, Residual, count_parameters, init_cnn,
    layer_summary, materialize, mlp_baseline, vgg_block,
)

# The rows printed in the lecture notes (d2l 7.6, 8.2, 8.6): (layer name, output shape).
NOTES_LENET_28 = [
    ("Conv2d", (1, 6, 28, 28)), ("Sigmoid", (1, 6, 28, 28)), ("AvgPool2d", (1, 6, 14, 14)),
    ("Conv2d", (1, 16, 10, 10)), ("Sigmoid", (1, 16, 10, 10)), ("AvgPool2d", (1, 16, 5, 5)),
    ("Flatten", (1, 400)), ("Linear", (1, 120)), ("Sigmoid", (1, 120)),
    ("Linear", (1, 84)), ("Sigmoid", (1, 84)), ("Linear", (1, 10)),
]
NOTES_VGG11_224 = [
    ("Sequential", (1, 64, 112, 112)), ("Sequential", (1, 128, 56, 56)),
    ("Sequential", (1, 256, 28, 28)), ("Sequential", (1, 512, 14, 14)),
    ("Sequential", (1, 512, 7, 7)), ("Flatten", (1, 25088)),
    ("Linear", (1, 4096)), ("ReLU", (1, 4096)), ("Dropout", (1, 4096)),
    ("Linear", (1, 4096)), ("ReLU", (1, 4096)), ("Dropout", (1, 4096)),
    ("Linear", (1, 10)),
]
NOTES_RESNET18_96 = [
    ("Sequential", (1, 64, 24, 24)), ("Sequential", (1, 64, 24, 24)),
    ("Sequential", (1, 128, 12, 12)), ("Sequential", (1, 256, 6, 6)),
    ("Sequential", (1, 512, 3, 3)), ("Sequential", (1, 10)),
]
VGG11_ARCH = ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))


def printed(rows):
    """The text d2l's layer_summary prints for these rows."""
    return "".join(f"{name} output shape:\t torch.Size({list(shape)})\n" for name, shape in rows)


def assert_summary_matches_notes(model, X_shape, notes_rows, capsys):
    rows = layer_summary(model, X_shape)
    assert capsys.readouterr().out == printed(notes_rows)
    assert [(name, tuple(shape)) for name, shape in rows] == notes_rows
    assert all(isinstance(shape, torch.Size) for _, shape in rows)


# ---------------------------------------------------------------- the notes' printed summaries

def test_lenet_summary_matches_notes(capsys):
    assert_summary_matches_notes(LeNet(), (1, 1, 28, 28), NOTES_LENET_28, capsys)


def test_vgg_summary_matches_notes(capsys):
    # On the "meta" device PyTorch computes shapes only: the same layers, without 130M real weights.
    with torch.device("meta"):
        model = VGG(arch=VGG11_ARCH)
        assert_summary_matches_notes(model, (1, 1, 224, 224), NOTES_VGG11_224, capsys)
    assert next(model.parameters()).device.type == "meta"


def test_resnet18_summary_matches_notes(capsys):
    assert_summary_matches_notes(ResNet18(), (1, 1, 96, 96), NOTES_RESNET18_96, capsys)


def test_residual_keeps_shape():
    X = torch.randn(4, 3, 6, 6)
    assert Residual(3)(X).shape == (4, 3, 6, 6)


def test_residual_with_1x1conv_halves_and_changes_channels():
    X = torch.randn(4, 3, 6, 6)
    assert Residual(6, use_1x1conv=True, strides=2)(X).shape == (4, 6, 3, 3)


# ---------------------------------------------------------------- parameter counts and init

def test_lenet_has_61706_parameters():
    assert count_parameters(materialize(LeNet(), (1, 1, 28, 28))) == 61_706


def test_mlp_baseline_has_308310_parameters():
    model = mlp_baseline()
    assert [type(m) for m in model.net] == [nn.Flatten, nn.Linear, nn.ReLU, nn.Linear]
    assert (model.net[1].in_features, model.net[1].out_features, model.net[3].out_features) == (3072, 100, 10)
    assert count_parameters(model) == 308_310


def test_resnet18_is_resnet_with_the_notes_arch():
    a = materialize(ResNet18(), (1, 1, 32, 32))
    b = materialize(ResNet(((2, 64), (2, 128), (2, 256), (2, 512))), (1, 1, 32, 32))
    assert count_parameters(a) == count_parameters(b) > 11_000_000


def test_materialize_applies_xavier_init():
    torch.manual_seed(0)
    model = materialize(LeNet(), (1, 1, 28, 28))
    W = model.net[7].weight                    # Linear(400 -> 120)
    bound = (6 / (400 + 120)) ** 0.5           # xavier_uniform bound 0.107; PyTorch's default is 0.05
    assert 0.09 < W.abs().max().item() <= bound


def test_materialize_returns_model_ready_for_an_optimizer():
    model = LeNetModern()
    model.train()
    assert materialize(model, (2, 1, 28, 28)) is model
    assert model.training and all(m.training for m in model.modules())
    assert not any(nn.parameter.is_lazy(p) for p in model.parameters())  # an optimizer can take them now
    assert model(torch.randn(2, 1, 28, 28)).shape == (2, 10)


# ---------------------------------------------------------------- behaviour

def test_layer_summary_restores_training_mode(capsys):
    model = LeNetModern()
    model.train()
    model.net[1].eval()                        # a mixed state must survive too
    before = [m.training for m in model.modules()]
    layer_summary(model, (1, 1, 28, 28))      # batch of 1 works because BatchNorm runs in eval mode
    assert [m.training for m in model.modules()] == before
    model.eval()
    layer_summary(model, (1, 1, 28, 28))
    assert not any(m.training for m in model.modules())


def test_layer_summary_leaves_no_graph(capsys):
    model = materialize(LeNet(), (1, 1, 28, 28))
    layer_summary(model, (1, 1, 28, 28))
    assert all(p.grad is None for p in model.parameters())


def test_layer_summary_of_a_plain_sequential(capsys):
    rows = layer_summary(mlp_baseline(), (2, 3, 32, 32))
    assert rows == [("Flatten", (2, 3072)), ("Linear", (2, 100)), ("ReLU", (2, 100)), ("Linear", (2, 10))]


def test_lenet_modern_has_the_same_shapes(capsys):
    lenet = layer_summary(LeNet(), (1, 1, 28, 28))
    modern = layer_summary(LeNetModern(), (1, 1, 28, 28))
    assert [shape for name, shape in modern if not name.startswith("BatchNorm")] == [s for _, s in lenet]
    assert {name for name, _ in modern} >= {"ReLU", "MaxPool2d", "BatchNorm2d", "BatchNorm1d"}


def test_gradients_flow_through_residual():
    blk = Residual(6, use_1x1conv=True, strides=2)
    X = torch.randn(4, 3, 6, 6, requires_grad=True)
    blk(X).sum().backward()
    assert X.grad is not None and X.grad.abs().sum() > 0
    for name in ("conv1", "conv2", "conv3"):
        assert getattr(blk, name).weight.grad.abs().sum() > 0


def test_small_cpu_models_fit_a_batch_in_a_few_optimizer_steps():
    torch.manual_seed(0)
    vgg = materialize(VGG(((1, 8), (1, 16)), num_hiddens=32, dropout=0.0), (2, 3, 32, 32))
    resnet = materialize(ResNet(((1, 16), (1, 32)), b1_channels=16, b1_kernel_size=3, b1_stride=1,
                                b1_maxpool=False), (2, 3, 32, 32))
    X, y = torch.randn(8, 3, 32, 32), torch.arange(8)
    for model in (vgg, resnet):
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        losses = []
        for _ in range(15):
            loss = nn.functional.cross_entropy(model(X), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        assert losses[-1] < 0.5 * losses[0], (type(model).__name__, losses)  # it fits the batch


def test_vgg_block_halves_the_image():
    blk = vgg_block(2, 8)
    assert blk(torch.randn(1, 3, 16, 16)).shape == (1, 8, 8, 8)
    assert sum(isinstance(m, nn.Conv2d) for m in blk) == 2


def test_no_lazy_module_warnings(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layer_summary(LeNet(), (1, 1, 28, 28))
        Residual(6, use_1x1conv=True, strides=2)(torch.randn(1, 3, 6, 6))
        layer_summary(ResNet(((1, 8),), b1_channels=8), (1, 1, 32, 32))


# ---------------------------------------------------------------- student-friendly errors

@pytest.mark.parametrize("cls", [LeNet, LeNetModern, ResNet18])
@pytest.mark.parametrize("num_classes, error, match", [
    (1, ValueError, "num_classes must be at least 2"),
    (10.5, ValueError, "num_classes must be a whole number, got 10.5"),
    ("10", TypeError, "num_classes must be a number.*write 10 without quotes"),
    (True, TypeError, "num_classes must be a number such as 2, got True/False"),
    (10**9, ValueError, "num_classes must be at most 100,000, got 1,000,000,000"),
])
def test_bad_num_classes(cls, num_classes, error, match):
    with pytest.raises(error, match=match):
        cls(num_classes=num_classes)


@pytest.mark.parametrize("args, error, match", [
    ((0, 64), ValueError, "num_convs must be at least 1"),
    ((1.5, 64), ValueError, "num_convs must be a whole number, got 1.5"),
    ((1, -1), ValueError, "out_channels must be at least 1"),
    ((1, "64"), TypeError, "out_channels must be a number.*write 64 without quotes"),
])
def test_vgg_block_bad_inputs(args, error, match):
    with pytest.raises(error, match=match):
        vgg_block(*args)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(arch=64), TypeError, r"arch must be a sequence of \(num_convs, out_channels\) pairs"),
    (dict(arch=()), ValueError, "empty arch"),
    (dict(arch=((1,), (1, 128))), TypeError, r"block 0 is \(1,\), not a pair"),
    (dict(arch=((1, 64), (0, 128))), ValueError, "num_convs in block 1 of arch must be at least 1"),
    (dict(arch=VGG11_ARCH, num_classes=1), ValueError, "num_classes must be at least 2"),
    (dict(arch=VGG11_ARCH, num_hiddens=0), ValueError, "num_hiddens must be at least 1"),
    (dict(arch=VGG11_ARCH, dropout=1.0), ValueError, r"dropout must be less than 1, got 1"),
    (dict(arch=VGG11_ARCH, dropout="0.5"), TypeError, "dropout must be a number such as 0.5"),
    (dict(arch=VGG11_ARCH, dropout=float("nan")), ValueError, "dropout must be a finite number"),
])
def test_vgg_bad_inputs(kwargs, error, match):
    with pytest.raises(error, match=match):
        VGG(**kwargs)


def test_vgg_too_small_image_is_explained():
    with pytest.raises(ValueError, match="VGG halves the image 5 times, so it needs at least 32x32 pixels; got 28x28"):
        materialize(VGG(VGG11_ARCH), (1, 1, 28, 28))
    vgg = materialize(VGG(((1, 8),) * 2, num_hiddens=8), (1, 1, 28, 28))
    with pytest.raises(ValueError, match="VGG was built for 28x28 images .* got 16x16"):
        vgg(torch.randn(1, 1, 16, 16))


@pytest.mark.parametrize("module, error, match", [
    (3, TypeError, "module must be a PyTorch model"),
    (torch.randn(2, 2), TypeError, r"module must be a PyTorch model .*got a tensor"),
    (nn.LazyLinear(3), ValueError, r"LazyLinear has lazy layers whose shapes are not known yet.*call materialize"),
    (nn.LazyConv2d(3, 3), ValueError, r"LazyConv2d has lazy layers"),
])
def test_init_cnn_bad_inputs(module, error, match):
    with pytest.raises(error, match=match):
        init_cnn(module)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(num_channels=0), ValueError, "num_channels must be at least 1"),
    (dict(num_channels=3, use_1x1conv="yes"), TypeError, "use_1x1conv must be True or False"),
    (dict(num_channels=3, strides=0), ValueError, "strides must be at least 1"),
    (dict(num_channels=3, strides=2), ValueError, "pass use_1x1conv=True"),
])
def test_residual_bad_inputs(kwargs, error, match):
    with pytest.raises(error, match=match):
        Residual(**kwargs)


def test_residual_channel_mismatch_is_explained():
    with pytest.raises(ValueError, match=r"Residual\(6\) adds its input X to its output Y, but X has 3 channels "
                                         r"and Y 6; pass use_1x1conv=True"):
        Residual(6)(torch.randn(4, 3, 6, 6))


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(arch="abc"), TypeError, r"arch must be a sequence of \(num_residuals, num_channels\) pairs"),
    (dict(arch=((2, 64, 1),)), TypeError, "not a pair"),
    (dict(arch=((2, 64),), num_classes=0), ValueError, "num_classes must be at least 2"),
    (dict(arch=((2, 64),), b1_kernel_size=4), ValueError, "b1_kernel_size must be odd"),
    (dict(arch=((2, 32),)), ValueError, r"num_channels \(32\) must equal b1_channels \(64\)"),
    (dict(arch=((2, 64),), b1_maxpool=1), TypeError, "b1_maxpool must be True or False"),
])
def test_resnet_bad_inputs(kwargs, error, match):
    with pytest.raises(error, match=match):
        ResNet(**kwargs)


@pytest.mark.parametrize("model, X_shape, error, match", [
    ("LeNet", (1, 1, 28, 28), TypeError, "model must be a PyTorch model .*got the text 'LeNet'"),
    (LeNet, (1, 1, 28, 28), TypeError, r"pass the model object \(e.g. LeNet\(\)\), not the class"),
    (nn.Linear(3, 2), (1, 1, 28, 28), TypeError, "nn.Sequential or a model that keeps its layers in self.net"),
    (LeNet(), (1, 28, 28), ValueError, r"X_shape must be 4 whole numbers .*got 3 numbers"),
    (LeNet(), 28, TypeError, r"X_shape must be 4 whole numbers \(batch_size, channels, height, width\)"),
    (LeNet(), (1, 1, 28, 28.5), ValueError, r"X_shape\[3\] must be a whole number, got 28.5"),
    (LeNet(), (1, 0, 28, 28), ValueError, r"X_shape\[1\] must be at least 1, got 0"),
    (LeNet(), (10**6, 1, 28, 28), ValueError, r"a batch of shape .* would need 3.1 GB"),
    (VGG(VGG11_ARCH), (1, 1, 28, 28), ValueError, "VGG halves the image 5 times, so it needs at least 32x32"),
    (LeNet(), (1, 1, 8, 8), ValueError, r"LeNet cannot take an input of shape \(1, 1, 8, 8\): its layer "),
])
def test_layer_summary_bad_inputs(model, X_shape, error, match, capsys):
    with pytest.raises(error, match=match):
        layer_summary(model, X_shape)


@pytest.mark.parametrize("model, X_shape, error, match", [
    (None, (1, 1, 28, 28), TypeError, "model must be a PyTorch model"),
    (LeNet(), [1, 1, 28], ValueError, "X_shape must be 4 whole numbers"),
    (LeNet(), (1, 1, -28, 28), ValueError, r"X_shape\[2\] must be at least 1, got -28"),
    (VGG(((1, 8),) * 3), (1, 1, 4, 4), ValueError, "VGG halves the image 3 times, so it needs at least 8x8"),
    (materialize(LeNet(), (1, 1, 28, 28)), (1, 3, 28, 28), ValueError, "LeNet expects images with 1 channel"),
])
def test_materialize_bad_inputs(model, X_shape, error, match):
    with pytest.raises(error, match=match):
        materialize(model, X_shape)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(in_features=0), ValueError, "in_features must be at least 1"),
    (dict(hidden=1.5), ValueError, "hidden must be a whole number"),
    (dict(in_features="3072"), TypeError, "in_features must be a number"),
    (dict(num_classes=1), ValueError, "num_classes must be at least 2"),
])
def test_mlp_baseline_bad_inputs(kwargs, error, match):
    with pytest.raises(error, match=match):
        mlp_baseline(**kwargs)


@pytest.mark.parametrize("model, error, match", [
    (None, TypeError, "model must be a PyTorch model"),
    ("mlp", TypeError, "model must be a PyTorch model"),
    (LeNet(), ValueError, r"lazy layers .* call materialize\(model, X_shape\) first"),
    (ResNet18(), ValueError, "lazy layers"),
])
def test_count_parameters_bad_inputs(model, error, match):
    with pytest.raises(error, match=match):
        count_parameters(model)
