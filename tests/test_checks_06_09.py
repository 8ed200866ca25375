"""The self-checks of notebooks 06-09 accept their own worked solutions and reject plausible wrong answers."""
import torch
import torch.nn.functional as F

from cnnlib import checks
from cnnlib.checks import CHECKS, SOLUTIONS, show_solution
from cnnlib.features import conv_stack, shift_images
from cnnlib.models import ResNet18, Residual, count_parameters, materialize, mlp_baseline

KEYS = ["06.1", "06.2", "06.3", "07.1", "07.2", "07.3", "08.1", "08.2", "08.3", "09.1", "09.2", "09.3"]
FUNCTION_ANSWERS = {"06.2": "accuracy_from_confusion", "06.3": "most_confused", "08.2": "make_residual",
                    "09.2": "normalize", "09.3": "shift_right"}


def solved(key):
    """What the worked solution of `key` defines: its function, or its `answer`."""
    scope = {"torch": torch}
    exec(SOLUTIONS[key], scope)
    return scope[FUNCTION_ANSWERS.get(key, "answer")]


def test_every_exercise_is_registered():
    assert all(k in CHECKS and k in SOLUTIONS for k in KEYS)


def test_each_check_accepts_its_worked_solution(capsys):
    for key in KEYS:
        assert CHECKS[key](solved(key)) is True, key
        assert capsys.readouterr().out.startswith("✓"), key


def test_show_solution_prints_the_source(capsys):
    show_solution("08.2")
    assert "def make_residual" in capsys.readouterr().out


def reject(check, answer, capsys, hint_part=""):
    assert check(answer) is False
    out = capsys.readouterr().out
    assert out.startswith("✗") and hint_part in out, out


# ---------------------------------------------------------------- 06

def test_06_1_conv1_parameters_matches_the_model(capsys):
    from cnnlib.models import LeNet
    model = materialize(LeNet(), (1, 1, 28, 28))
    assert solved("06.1") == count_parameters(model.net[0]) == 156
    reject(checks.check_lenet_conv1_parameters, 150, capsys, "bias")
    reject(checks.check_lenet_conv1_parameters, None, capsys, "whole number")


def test_06_2_rejects_a_wrong_accuracy(capsys):
    reject(checks.check_accuracy_from_confusion, lambda cm: 0.0, capsys, "diagonal")
    reject(checks.check_accuracy_from_confusion, lambda cm: cm.diagonal().sum() / len(cm), capsys)
    reject(checks.check_accuracy_from_confusion, lambda cm: 1 / 0, capsys, "ZeroDivisionError")
    reject(checks.check_accuracy_from_confusion, 0.9, capsys, "function itself")


def test_06_3_rejects_the_diagonal_and_swapped_pairs(capsys):
    def diagonal(cm, classes):
        i = int(cm.diagonal().argmax())
        return classes[i], classes[i]

    def swapped(cm, classes):
        t, p = solved("06.3")(cm, classes)
        return p, t

    reject(checks.check_most_confused, diagonal, capsys, "diagonal")
    reject(checks.check_most_confused, swapped, capsys, "wrong way round")
    reject(checks.check_most_confused, lambda cm, classes: None, capsys)


# ---------------------------------------------------------------- 07

def test_07_1_agrees_with_conv_stack(capsys):
    field, weights = conv_stack(3, 3, 1)
    assert solved("07.1") == (field, weights, conv_stack(1, 7, 1)[1]) == (7, 27, 49)
    reject(checks.check_three_3x3_vs_7x7, (9, 27, 49), capsys, "k - 1")
    reject(checks.check_three_3x3_vs_7x7, (7, 18, 49), capsys)
    reject(checks.check_three_3x3_vs_7x7, "seven", capsys, "tuple")


def test_07_2_counts_multiply_adds(capsys):
    from cnnlib.features import block_costs
    from torch import nn
    model = nn.Sequential(nn.Conv2d(64, 64, 3, padding=1))
    assert block_costs(model, (1, 64, 56, 56))[0].macs == solved("07.2")
    reject(checks.check_conv_macs, 64 * 64 * 9, capsys, "number of weights")
    reject(checks.check_conv_macs, 64 * 56 * 56 * 9, capsys, "ALL 64 input channels")


def test_07_3_five_blocks_do_not_fit(capsys):
    import pytest
    from cnnlib.models import VGG
    with pytest.raises(ValueError):
        materialize(VGG(((1, 4),) * 5, num_hiddens=8), (1, 1, 28, 28))
    materialize(VGG(((1, 4),) * 4, num_hiddens=8), (1, 1, 28, 28))
    reject(checks.check_max_vgg_blocks, 5, capsys, "fifth")
    reject(checks.check_max_vgg_blocks, 3, capsys)


# ---------------------------------------------------------------- 08

def test_08_1_matches_the_block(capsys):
    Y = Residual(16, use_1x1conv=True, strides=2)(torch.randn(2, 8, 32, 32))
    assert checks.check_residual_shape(Y.shape) is True
    capsys.readouterr()
    reject(checks.check_residual_shape, (2, 8, 16, 16), capsys, "16 channels")
    reject(checks.check_residual_shape, (2, 16, 32, 32), capsys, "halve")


def test_08_2_rejects_blocks_that_fail_or_hide_the_identity(capsys):
    reject(checks.check_make_residual, lambda c_in, c_out, s: Residual(c_out), capsys, "use_1x1conv=True")
    reject(checks.check_make_residual, lambda c_in, c_out, s: Residual(c_out, use_1x1conv=True, strides=s),
           capsys, "identity")


def test_08_3_counts_resnet18_layers(capsys):
    assert solved("08.3") == 18
    model = materialize(ResNet18(), (1, 1, 96, 96))
    n_conv = sum(isinstance(m, torch.nn.Conv2d) for m in model.modules())
    reject(checks.check_resnet18_depth, n_conv + 1, capsys, "shortcut")
    reject(checks.check_resnet18_depth, 16, capsys)


# ---------------------------------------------------------------- 09

def test_09_1_matches_count_parameters(capsys):
    assert solved("09.1") == count_parameters(mlp_baseline()) == 308_310
    reject(checks.check_mlp_parameters, 307_300, capsys, "first layer")


def test_09_2_rejects_broadcasting_over_the_width(capsys):
    def wrong(X, mean, std):
        return (X - torch.tensor(mean)) / torch.tensor(std)

    def scalar(X, mean, std):
        return (X - sum(mean) / 3) / (sum(std) / 3)

    reject(checks.check_normalize, wrong, capsys, "(1, 3, 1, 1)")
    reject(checks.check_normalize, scalar, capsys, "Each channel")


def test_09_3_rejects_roll_and_the_wrong_direction(capsys):
    X = torch.randn(1, 1, 4, 4)
    assert torch.equal(solved("09.3")(X, 2), shift_images(X, 2))
    reject(checks.check_shift_right, lambda X, k: torch.roll(X, k, dims=3), capsys, "wraps")
    reject(checks.check_shift_right, lambda X, k: F.pad(X, (0, k))[..., k:], capsys, "LEFT")
