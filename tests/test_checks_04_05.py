"""The self-checks of notebooks 04 (channels) and 05 (pooling) accept their worked solutions and reject wrong answers."""
from __future__ import annotations

import pytest
import torch

from cnnlib.checks import CHECKS, SOLUTIONS

# exercise key -> the name the solution defines (what the student passes to the check)
ANSWER_NAME = {"04.1": "answer", "04.2": "K", "04.3": "conv_mults",
               "05.1": "answer", "05.2": "K", "05.3": "global_avg_pool"}

WRONG = {
    "04.1": [0, 1200, 416, 76, 1216.0, "1216"],
    "04.2": [torch.zeros(2, 3, 1, 1), torch.tensor([[1 / 3] * 3, [1.0, 0, -1]]),
             torch.tensor([[1.0, 1, 1], [1, 0, -1]]).reshape(2, 3, 1, 1),
             torch.tensor([[1 / 3] * 3, [-1.0, 0, 1]]).reshape(2, 3, 1, 1), [[1 / 3] * 3, [1, 0, -1]]],
    "04.3": [lambda c_i, c_o, h, w, k_h, k_w: 0,
             lambda c_i, c_o, h, w, k_h, k_w: c_o * h * w * c_i * k_h * k_w,
             lambda c_i, c_o, h, w, k_h, k_w: (h - k_h + 1) * (w - k_w + 1) * k_h * k_w,
             lambda *args: 1 / 0, 42],
    "05.1": [(0, 0, 0, 0), (1, 3, 32, 32), (1, 3, 30, 30), (16, 16), (1, 1, 16, 16), (1, 3, 15, 15), None, "abc"],
    "05.2": [torch.ones(2, 2), torch.eye(2), torch.full((3, 3), 1 / 9), torch.full((2, 2), 0.2), "K"],
    "05.3": [lambda X: X, lambda X: X.mean(), lambda X: X.amax(dim=(-2, -1)), lambda X: X.sum(dim=(-2, -1)),
             lambda X: X.mean(dim=(-2, -1), keepdim=True), lambda X: 1 / 0, None],
}


def run_solution(key: str) -> object:
    """Execute the worked solution of exercise `key` and return the object it defines for the check."""
    namespace: dict = {}
    exec(SOLUTIONS[key], namespace)  # the solution is self-contained source, as show_solution prints it
    return namespace[ANSWER_NAME[key]]


def test_every_04_05_exercise_is_registered():
    assert sorted(k for k in CHECKS if k[:2] in ("04", "05")) == sorted(ANSWER_NAME)


@pytest.mark.parametrize("key", sorted(ANSWER_NAME))
def test_check_accepts_its_worked_solution(key, capsys):
    assert CHECKS[key](run_solution(key)) is True
    assert capsys.readouterr().out.startswith("✓")


@pytest.mark.parametrize("key, wrong", [(k, w) for k, ws in WRONG.items() for w in ws],
                         ids=lambda v: v if isinstance(v, str) and v[:2] in ("04", "05") else None)
def test_check_rejects_a_wrong_answer_with_a_hint(key, wrong, capsys):
    assert CHECKS[key](wrong) is False  # never raises, whatever the student passes
    out = capsys.readouterr().out
    assert out.startswith("✗ Not yet.") and len(out) > len("✗ Not yet. ") + 20


def test_the_placeholder_answers_in_the_notebooks_are_rejected(capsys):
    placeholders = {"04.1": 0, "04.2": torch.zeros(2, 3, 1, 1), "04.3": lambda c_i, c_o, h, w, k_h, k_w: 0,
                    "05.1": (0, 0, 0, 0), "05.2": torch.ones(2, 2), "05.3": lambda X: X}
    for key, answer in placeholders.items():
        assert CHECKS[key](answer) is False, key


def test_conv_params_solution_matches_nn_conv2d():
    conv = torch.nn.Conv2d(3, 16, kernel_size=5)
    assert run_solution("04.1") == sum(p.numel() for p in conv.parameters())


def test_conv_mults_solution_counts_the_loop():
    conv_mults = run_solution("04.3")
    c_i, c_o, h, w, k_h, k_w = 2, 3, 4, 5, 2, 3
    X, K = torch.ones(c_i, h, w), torch.ones(c_o, c_i, k_h, k_w)
    Y = torch.nn.functional.conv2d(X[None], K)[0]  # every output = number of products summed (all ones)
    assert conv_mults(c_i, c_o, h, w, k_h, k_w) == int(Y.sum())


def test_channel_mixer_solution_mixes_an_image():
    from cnnlib.ops import corr2d_multi_in_out_1x1

    X = torch.rand(3, 4, 5)
    Y = corr2d_multi_in_out_1x1(X, run_solution("04.2"))
    assert torch.allclose(Y[0], X.mean(0), atol=1e-6)
    assert torch.allclose(Y[1], X[0] - X[2], atol=1e-6)


def test_pool_output_shape_solution_matches_nn_maxpool2d():
    Y = torch.nn.MaxPool2d(3, stride=2, padding=1)(torch.zeros(1, 3, 32, 32))
    assert tuple(Y.shape) == run_solution("05.1")
