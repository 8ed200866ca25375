"""The self-checks of notebooks 01-03 accept their worked solutions and reject wrong answers with a hint."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from cnnlib.checks import CHECKS, SOLUTIONS, show_solution
from cnnlib.ops import conv_matrix, convolve1d, convolve2d, corr2d

# exercise key -> the name the solution defines (what the student passes to the check)
ANSWER_NAME = {"01.1": "answer", "01.2": "answer", "01.3": "conv1d_matrix",
               "02.1": "K_h", "02.2": "conv2d_t", "02.3": "K2",
               "03.1": "padding", "03.2": ("padding", "stride"), "03.3": "strided"}


def _untrained(kernel_size=(2, 1)) -> nn.Conv2d:
    torch.manual_seed(0)
    return nn.Conv2d(1, 1, kernel_size=kernel_size, bias=False)


def _with_kernel(values, kernel_size=(2, 1)) -> nn.Conv2d:
    conv = _untrained(kernel_size)
    with torch.no_grad():
        conv.weight[:] = torch.tensor(values).reshape(conv.weight.shape)
    return conv


WRONG = {
    "01.1": [None, 307_200, 3072, 3172, 100, "307300", 307_300.5, True, torch.tensor([1.0, 2.0])],
    "01.2": [None, 324, 144, 1296, 255, "256", 256.5],
    "01.3": [lambda w, n: torch.zeros(n + len(w) - 1, n),  # the notebook's placeholder
             lambda w, n: torch.zeros(n, n),  # wrong shape
             lambda w, n: torch.stack([torch.roll(torch.cat([torch.flip(w, (0,)), torch.zeros(n - 1)]), j)
                                       for j in range(n)], 1),  # the columns hold the flipped w
             lambda w, n: 1 / 0, lambda w, n: "M", 42, None],
    "02.1": [torch.tensor([[1.0, -1.0]]), torch.tensor([[-1.0], [1.0]]), torch.tensor([[1.0], [1.0]]),
             torch.ones(9, 9), "K", None, [[1.0], [-1.0, 2.0]], torch.zeros(0, 0)],
    "02.2": [_untrained(), _untrained((1, 2)), _with_kernel([0.8, -0.8]), _with_kernel([-1.0, 1.0]),
             _with_kernel([1.0, -1.0], (1, 2)), nn.Linear(2, 1), torch.tensor([[1.0], [-1.0]]), None],
    "02.3": [torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[3.0, 4.0], [1.0, 2.0]]),
             torch.tensor([[2.0, 1.0], [4.0, 3.0]]), torch.tensor([[1.0, 3.0], [2.0, 4.0]]), torch.ones(3, 3),
             "K", None],
    "03.1": [None, 0, 1, 3, 4, -2, (2, 1), [[2]], "2", 2.5],
    "03.2": [(None, None), (0, 2), (2, 2), (1, 1), (1, 0), (-1, 2), (1,), 16, "1, 2", (1.5, 2)],
    "03.3": [lambda X, K, s: corr2d(X, K),  # the notebook's placeholder
             lambda X, K, s: corr2d(X, K)[1::s, 1::s],
             lambda X, K, s: corr2d(X, K)[::s],  # rows only
             lambda X, K, s: corr2d(X[::s, ::s], K),  # subsampling the input instead
             lambda X, K, s: 1 / 0, None],
}

PLACEHOLDERS = {  # what each exercise cell of the committed notebooks passes before the student edits it
    "01.1": None, "01.2": None, "01.3": WRONG["01.3"][0], "02.1": torch.tensor([[1.0, -1.0]]),
    "02.2": _untrained(), "02.3": torch.tensor([[1.0, 2.0], [3.0, 4.0]]), "03.1": None, "03.2": (None, None),
    "03.3": WRONG["03.3"][0],
}


def run_solution(key: str) -> object:
    """Execute the worked solution of exercise `key` and return the object it defines for the check."""
    namespace: dict = {}
    exec(SOLUTIONS[key], namespace)  # the solution is self-contained source, as show_solution prints it
    name = ANSWER_NAME[key]
    return tuple(namespace[n] for n in name) if isinstance(name, tuple) else namespace[name]


def test_every_01_03_exercise_is_registered():
    assert sorted(k for k in CHECKS if k[:2] in ("01", "02", "03")) == sorted(ANSWER_NAME)


@pytest.mark.parametrize("key", sorted(ANSWER_NAME))
def test_check_accepts_its_worked_solution(key, capsys):
    assert CHECKS[key](run_solution(key)) is True
    assert capsys.readouterr().out.startswith("✓")


@pytest.mark.parametrize("key, wrong", [(k, w) for k, ws in WRONG.items() for w in ws],
                         ids=lambda v: v if isinstance(v, str) and v[:2] in ("01", "02", "03") else None)
def test_check_rejects_a_wrong_answer_with_a_hint(key, wrong, capsys):
    assert CHECKS[key](wrong) is False  # never raises, whatever the student passes
    out = capsys.readouterr().out
    assert out.startswith("✗ Not yet.") and len(out) > len("✗ Not yet. ") + 20


def test_the_placeholder_answers_in_the_notebooks_are_rejected(capsys):
    for key, answer in PLACEHOLDERS.items():
        assert CHECKS[key](answer) is False, key


def test_the_hints_point_at_the_mistake(capsys):
    CHECKS["01.1"](307_200)
    assert "bias" in capsys.readouterr().out
    CHECKS["01.2"](324)
    assert "padding" in capsys.readouterr().out
    CHECKS["02.1"](torch.tensor([[1.0, -1.0]]))
    assert "2×1 kernel" in capsys.readouterr().out
    CHECKS["02.1"](torch.tensor([[-1.0], [1.0]]))
    assert "opposite signs" in capsys.readouterr().out
    CHECKS["02.3"](torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert "flips" in capsys.readouterr().out
    CHECKS["01.3"](lambda w, n: 1 / 0)
    assert "ZeroDivisionError" in capsys.readouterr().out


def test_the_solutions_say_what_the_checks_check():
    """The checks' fixed answers agree with cnnlib's functions (so a check cannot drift from the notebook)."""
    assert sum(p.numel() for p in nn.Linear(3 * 32 * 32, 100).parameters()) == run_solution("01.1")
    assert int((conv_matrix(torch.ones(3, 3), (6, 6), padding=1) != 0).sum()) == run_solution("01.2")
    w = torch.tensor([1.0, -2.0, 0.5])
    assert torch.allclose(run_solution("01.3")(w, 4) @ torch.arange(4.0), convolve1d(torch.arange(4.0), w))
    X = torch.randn(5, 5)
    assert torch.allclose(convolve2d(X, run_solution("02.3")), corr2d(X, torch.tensor([[1.0, 2.0], [3.0, 4.0]])))
    padding, stride = run_solution("03.2")
    assert nn.Conv2d(1, 1, 3, padding=padding, stride=stride)(torch.zeros(1, 1, 32, 32)).shape[2:] == (16, 16)


def test_show_solution_prints_the_source(capsys):
    show_solution("02.3")
    assert "torch.flip" in capsys.readouterr().out
