"""The exercise self-checks of every notebook, driven by the notebooks themselves.

For each check a notebook calls, the test runs the notebook's own answer cell: its placeholder must get ✗ and the
worked solution (executed in the notebook's namespace) ✓. Plausible wrong answers get ✗ with the hint that names the
mistake; right answers pass in every numeric type; malformed answers (NaN, 16.5, text, None, a failing function) get
one short sentence, never a traceback.

The notebooks are read from ../notebooks, or from the folder in $CNNLIB_NOTEBOOKS (e.g. spliced copies). The training
exercises (07.4, 09.4) train on the notebook's own `data` in quick mode: it is loaded once per notebook, and their
tests are skipped when the dataset is not on disk (they fail instead when $CI is set).
"""
from __future__ import annotations

import ast
import builtins
import contextlib
import functools
import io
import json
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnlib.checks import _CHECKS, _CONFUSIONS, _SOLUTIONS, show_solution
from cnnlib.data import missing_files
from cnnlib.features import block_costs, shift_images
from cnnlib.models import (VGG, Classifier, LeNetModern, ResNet18, Residual, count_parameters, layer_summary,
                           materialize, vgg_small)
from cnnlib.ops import (conv_matrix, convolve2d, corr2d, corr2d_multi_in, corr2d_multi_in_out,
                        corr2d_multi_in_out_1x1, pool2d)
from cnnlib.train import History, evaluate

NOTEBOOKS = Path(os.environ.get("CNNLIB_NOTEBOOKS") or Path(__file__).resolve().parents[1] / "notebooks")
KEY_OF = {check.__name__: key for key, check in _CHECKS.items()}
SHARED = {"data"}  # what a notebook loads once and only reads afterwards: run() keeps it for the next test
_shared: dict[tuple[str, str], object] = {}


# ---------------------------------------------------------------- reading the notebooks

@functools.lru_cache(maxsize=None)
def code_cells(notebook: Path) -> tuple[str, ...]:
    """The source of each code cell, IPython's %magic and !shell lines left out so that Python can run it."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
               for c in cells if c["cell_type"] == "code"]
    return tuple("".join(line for line in s.splitlines(keepends=True) if not line.lstrip().startswith(("%", "!")))
                 for s in sources)


def statements(source: str) -> list[ast.stmt]:
    try:
        return ast.parse(source).body
    except SyntaxError:  # a check call in a cell that does not parse goes missing, and the registry test says so
        return []


def check_calls(stmt: ast.stmt) -> list[ast.Call]:
    return [node for node in ast.walk(stmt) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id.startswith("check_")]


@dataclass(frozen=True)
class AnswerCell:
    """A notebook cell that calls a check: the statements before the call (the placeholder) and the call."""

    notebook: Path
    index: int  # among the notebook's code cells
    setup: tuple[ast.stmt, ...]
    call: ast.Call

    @property
    def check(self) -> str:
        return self.call.func.id

    @property
    def key(self) -> str:
        return KEY_OF.get(self.check, f"unregistered {self.check}")


def answer_cells() -> list[AnswerCell]:
    found = []
    for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
        for index, source in enumerate(code_cells(notebook)):
            body = statements(source)
            for position, stmt in enumerate(body):
                found += [AnswerCell(notebook, index, tuple(body[:position]), call) for call in check_calls(stmt)]
    return found


ANSWER_CELLS = answer_cells()
CELL_OF = {cell.key: cell for cell in ANSWER_CELLS}


# ---------------------------------------------------------------- running code as the notebook would

def free_names(code: list[ast.stmt]) -> set[str]:
    """Names the code reads but binds nowhere (a rough scope analysis, enough for exercise cells)."""
    loaded, bound = set(), set()
    for node in ast.walk(ast.Module(body=list(code), type_ignores=[])):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
    return loaded - bound - set(dir(builtins))


def binds(stmt: ast.stmt, name: str) -> bool:
    if isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
        return stmt.name == name
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return any((a.asname or a.name).split(".")[0] == name for a in stmt.names)
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AnnAssign) else []
    return any(isinstance(t, ast.Name) and t.id == name for target in targets for t in ast.walk(target))


def definition(notebook: Path, before: tuple[int, int], name: str) -> Optional[tuple[ast.stmt, tuple[int, int]]]:
    """The last top-level statement before position (cell, statement) of the notebook that binds name."""
    for index in range(before[0], -1, -1):
        body = statements(code_cells(notebook)[index])
        end = before[1] if index == before[0] else len(body)
        for position in range(end - 1, -1, -1):
            if binds(body[position], name):
                return body[position], (index, position)
    return None


def run(notebook: Path, code: list[ast.stmt], ns: dict, before: tuple[int, int], then: Optional[ast.Call] = None,
        depth: int = 0) -> None:
    """Execute code in ns after the notebook's own definitions of the names it and the call `then` need from earlier
    cells (such as lr and train_kernel in notebook 02): each is the last statement before `before` binding the name.
    A name in SHARED (the dataset) is defined once per notebook and reused."""
    for name in sorted(free_names(code + ([ast.Expr(then)] if then else [])) - ns.keys()):
        if (notebook.name, name) in _shared:
            ns[name] = _shared[notebook.name, name]
            continue
        found = definition(notebook, before, name)
        if found is not None and depth < 5:
            if name in SHARED:
                require_dataset(found[0])
            run(notebook, [found[0]], ns, found[1], depth=depth + 1)
            if name in SHARED and name in ns:
                _shared[notebook.name, name] = ns[name]
    exec(compile(ast.Module(body=list(code), type_ignores=[]), notebook.name, "exec"), ns)


def require_dataset(stmt: ast.stmt) -> None:
    """Skip the test (fail it under $CI) when the dataset that stmt, a load_data("name", ...) call, reads is missing."""
    names = [node.args[0].value for node in ast.walk(stmt) if isinstance(node, ast.Call) and node.args
             and isinstance(node.func, ast.Name) and node.func.id == "load_data"
             and isinstance(node.args[0], ast.Constant)]
    missing = [path for name in names for path in missing_files(name)]
    if missing:
        message = f"this exercise trains on {names[0]}, which is not in the data root (missing {missing[0]})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def notebook_namespace(notebook: Path) -> dict:
    """What the notebook's import cell (the one importing the checks) defines."""
    (imports,) = [s for s in code_cells(notebook) if "from cnnlib.checks import" in s]
    ns: dict = {"__name__": "__main__"}
    exec(imports, ns)
    return ns


def call_arguments(cell: AnswerCell, ns: dict) -> tuple[Callable, tuple, dict]:
    """(the check the cell calls, its arguments, its keyword arguments), evaluated in ns."""
    assert not any(isinstance(a, ast.Starred) for a in cell.call.args), "a check call with *args"

    def value(node: ast.expr) -> object:
        return eval(compile(ast.Expression(node), cell.notebook.name, "eval"), ns)

    return (ns[cell.check], tuple(value(a) for a in cell.call.args),
            {k.arg: value(k.value) for k in cell.call.keywords})


def placeholder(cell: AnswerCell) -> tuple[Callable, tuple, dict]:
    """The check call of the notebook's answer cell as the student first runs it."""
    ns = notebook_namespace(cell.notebook)
    run(cell.notebook, list(cell.setup), ns, (cell.index, 0), cell.call)
    return call_arguments(cell, ns)


@functools.lru_cache(maxsize=None)
def solved(key: str) -> tuple[Callable, tuple, dict]:
    """The answer cell's check call after the worked solution of `key` ran in the notebook's namespace (on one CPU
    thread: the solutions of 07.4 and 09.4 train small networks, which other work on the machine slows down many
    times when they wait for several threads)."""
    cell = CELL_OF[key]
    ns = notebook_namespace(cell.notebook)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        run(cell.notebook, ast.parse(_SOLUTIONS[key]).body, ns, (cell.index, 0), cell.call)
    finally:
        torch.set_num_threads(threads)
    return call_arguments(cell, ns)


def solution_answer(key: str) -> object:
    return solved(key)[1][0]


def verdict(check: Callable, *args: object, **kwargs: object) -> tuple[bool, str]:
    """Run a check as a notebook cell does: (what it returned, what it printed). A traceback fails the test; so does
    a message that is not one line under 400 characters starting with ✓ (for True) or "✗ Not yet." (for False)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        ok = check(*args, **kwargs)
    text = out.getvalue()
    assert ok is True or ok is False, f"the check returned {ok!r}"
    assert text.startswith("✓ " if ok else "✗ Not yet. ") and text.count("\n") == 1, text
    assert len(text) < 400 and "Traceback" not in text, text
    return ok, text


def call_key(key: str, *args: object) -> tuple[bool, str]:
    return verdict(_CHECKS[key], *args)


# ---------------------------------------------------------------- the notebooks and the registry agree

def test_every_registered_check_is_called_by_exactly_one_notebook_cell():
    calls = Counter(cell.check for cell in ANSWER_CELLS)
    registered = {check.__name__ for check in _CHECKS.values()}
    assert set(calls) - registered == set(), "a notebook calls a check that cnnlib.checks does not register"
    assert registered - set(calls) == set(), "a registered check no notebook calls"
    assert [name for name, n in calls.items() if n != 1] == []


@pytest.mark.parametrize("cell", ANSWER_CELLS, ids=lambda c: c.key)
def test_the_answer_cell_sits_in_its_notebook_and_offers_its_solution(cell):
    assert cell.notebook.name[:2] == cell.key[:2], f"{cell.check} is {cell.key} but called in {cell.notebook.name}"
    assert f'show_solution("{cell.key}")' in code_cells(cell.notebook)[cell.index + 1]


def test_show_solution_prints_the_worked_solution(capsys):
    for key, source in _SOLUTIONS.items():
        show_solution(key)
        assert capsys.readouterr().out == source + "\n"
    show_solution("2.1")
    assert capsys.readouterr().out.startswith("There is no exercise")


# ---------------------------------------------------------------- placeholder ✗, worked solution ✓

@pytest.mark.parametrize("cell", ANSWER_CELLS, ids=lambda c: c.key)
def test_the_notebook_placeholder_is_refused(cell):
    check, args, kwargs = placeholder(cell)
    ok, text = verdict(check, *args, **kwargs)
    assert not ok, text


@pytest.mark.parametrize("key", sorted(_CHECKS))
def test_the_worked_solution_passes(key):
    check, args, kwargs = solved(key)
    ok, text = verdict(check, *args, **kwargs)
    assert ok, text


# ---------------------------------------------------------------- wrong answers get ✗ and the hint for the mistake

class Args(tuple):
    """Several arguments of one check call."""


@dataclass
class Later:
    """An answer built when its test runs (the 02.2, 07.4 and 09.4 answers need training)."""

    build: Callable[[], object]


def edge_batches() -> tuple[torch.Tensor, torch.Tensor]:
    """Notebook 02's X.t() and Y.t() as (1, 1, 8, 6) and (1, 1, 7, 6) batches."""
    X = torch.ones((6, 8))
    X[:, 2:6] = 0
    Y = corr2d(X, torch.tensor([[1.0, -1.0]]))
    return X.t().reshape((1, 1, 8, 6)), Y.t().reshape((1, 1, 7, 6))


@functools.lru_cache(maxsize=None)
def train_kernel() -> Callable:
    """Notebook 02's own train_kernel."""
    notebook = CELL_OF["02.2"].notebook
    ns = notebook_namespace(notebook)
    run(notebook, [ast.parse("train_kernel").body[0]], ns, (CELL_OF["02.2"].index, 0))
    return ns["train_kernel"]


def layer(kernel: Optional[list[float]] = None, kernel_size: tuple[int, int] = (2, 1)) -> nn.Conv2d:
    torch.manual_seed(0)
    conv = nn.Conv2d(1, 1, kernel_size=kernel_size, bias=False)
    if kernel is not None:
        conv.weight.data[:] = torch.tensor(kernel).reshape(conv.weight.shape)
    return conv


def trained(epochs: int = 20, lr: float = 3e-2, start: Optional[list[float]] = None) -> tuple[nn.Conv2d, list]:
    conv = layer(start)
    with contextlib.redirect_stdout(io.StringIO()):  # train_kernel prints every other epoch
        losses = train_kernel()(conv, *edge_batches(), lr, epochs)
    return conv, losses


def overwritten() -> Args:
    conv, losses = trained(10)
    conv.weight.data[:] = torch.tensor([1.0, -1.0]).reshape(1, 1, 2, 1)  # typed in after training
    return Args((conv, losses, 3e-2))


def mean_loss() -> Args:
    """Gradient descent on the mean squared error (lr on the mean = lr / 42 on the sum), recording the mean."""
    conv, losses = trained(20, 3e-2 / 42)
    conv.weight.grad /= 42  # the gradient of the mean
    return Args((conv, [loss / 42 for loss in losses], 3e-2))


def other_lr() -> Args:
    """Trained with lr = 0.01, checked with the notebook's lr = 0.03."""
    return Args(trained(60, 1e-2) + (3e-2,))


def invented_start() -> Args:
    conv, losses = trained(20)
    return Args((conv, [100.0, 50.0] + losses[2:], 3e-2))


# The answers of the exercises that build, change or train a network (01.4 and 05.4-09.4).

def conv_as_linear_of(conv: nn.Conv2d, shape: tuple[int, int], bias: bool = True, strided: bool = True,
                      flip: bool = False) -> nn.Linear:
    """01.4's answer, right with the defaults; bias=False leaves the bias out, strided=False ignores padding and
    stride, flip=True builds the matrix of the flipped kernel (a true convolution)."""
    K = conv.weight.detach()[0, 0]
    K = torch.flip(K, dims=(0, 1)) if flip else K
    W = conv_matrix(K, shape, conv.padding, conv.stride) if strided else conv_matrix(K, shape)
    linear = nn.Linear(W.shape[1], W.shape[0])
    with torch.no_grad():
        linear.weight.copy_(W)
        linear.bias.fill_(conv.bias.item() if bias else 0.0)
    return linear


def conv_as_linear_by_probing(conv: nn.Conv2d, shape: tuple[int, int]) -> nn.Linear:
    """A second correct 01.4: the conv's response to each one-pixel image is a column of the weight."""
    H, W = shape
    with torch.no_grad():
        b = conv(torch.zeros(1, 1, H, W)).flatten()                             # (out,): the bias alone
        columns = conv(torch.eye(H * W).reshape(H * W, 1, H, W)).flatten(1) - b  # (H*W, out)
        linear = nn.Linear(H * W, len(b))
        linear.weight.copy_(columns.t())
        linear.bias.copy_(b)
    return linear


def transposed(conv: nn.Conv2d, shape: tuple[int, int]) -> nn.Linear:
    right = conv_as_linear_of(conv, shape)
    linear = nn.Linear(right.out_features, right.in_features)
    with torch.no_grad():
        linear.weight.copy_(right.weight.t())
    return linear


def lenet_stack(padding: int = 2, pools: Callable[[], list[nn.Module]] = lambda: [nn.MaxPool2d(2), nn.MaxPool2d(2)],
                nested: bool = False, lazy: bool = False) -> nn.Module:
    """A 05.4 stack: conv 5x5 (1 -> 6, padding), ReLU, pool, conv 5x5 (6 -> 16), ReLU, pool."""
    pool1, pool2 = pools()
    conv1 = nn.LazyConv2d(6, 5, padding=padding) if lazy else nn.Conv2d(1, 6, 5, padding=padding)
    first, second = [conv1, nn.ReLU(), pool1], [nn.Conv2d(6, 16, 5), nn.ReLU(), pool2]
    return nn.Sequential(nn.Sequential(*first), nn.Sequential(*second)) if nested else nn.Sequential(*first, *second)


def my_lenet(act: type = nn.ReLU, pool: type = nn.MaxPool2d, norm: bool = True, swap: bool = False,
             tail: tuple = (), base: type = Classifier, padding2: int = 0, bias: bool = True,
             forward: Optional[Callable] = None, nested: bool = False) -> type:
    """A MyLeNet class for 06.4, right with the defaults; each argument changes one thing."""
    def block(layer: nn.Module, n: int) -> list[nn.Module]:  # a layer, its batch norm and activation (or swapped)
        parts = [nn.BatchNorm2d(n) if isinstance(layer, nn.Conv2d) else nn.BatchNorm1d(n)] if norm else []
        return [layer] + ([act()] + parts if swap else parts + [act()])

    side = 5 if padding2 == 0 else 7

    class MyLeNet(base):
        def __init__(self, num_classes=10):
            super().__init__()
            encoder = [*block(nn.Conv2d(1, 6, 5, padding=2, bias=bias), 6), pool(2, 2),
                       *block(nn.Conv2d(6, 16, 5, padding=padding2, bias=bias), 16), pool(2, 2)]
            head = [nn.Flatten(), *block(nn.Linear(16 * side * side, 120), 120), *block(nn.Linear(120, 84), 84),
                    nn.Linear(84, num_classes), *[t() for t in tail]]
            self.net = (nn.Sequential(nn.Sequential(*encoder), nn.Sequential(*head)) if nested else
                        nn.Sequential(*encoder, *head))

    if forward is not None or base is nn.Module:
        MyLeNet.forward = forward or (lambda self, X: self.net(X))
    return MyLeNet


class BrokenLeNet(Classifier):
    def __init__(self, num_classes=10):
        raise RuntimeError("forgot super().__init__()")


def book_cnn(act: type = nn.Tanh, pool: type = nn.MaxPool2d, widths: tuple[int, int] = (16, 8), tail: tuple = (),
             lazy: bool = False) -> nn.Module:
    """The 09.4 network, untrained, right with the defaults; each argument changes one thing."""
    c1, c2 = widths
    first = nn.LazyConv2d(c1, 3, padding=1) if lazy else nn.Conv2d(3, c1, 3, padding=1)
    return nn.Sequential(first, act(), pool(2), nn.Conv2d(c1, c2, 3, padding=1), act(), pool(2), nn.Flatten(),
                         nn.Linear(c2 * 8 * 8, 32), act(), nn.Linear(32, 10), *[t() for t in tail])


class BookNet(nn.Module):
    """The book's own way of writing the 09.4 network: layers as attributes, functional tanh and pooling."""

    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(3, 16, 3, padding=1), nn.Conv2d(16, 8, 3, padding=1)
        self.fc1, self.fc2 = nn.Linear(8 * 8 * 8, 32), nn.Linear(32, 10)

    def forward(self, x):
        out = F.max_pool2d(torch.tanh(self.conv1(x)), 2)
        out = F.max_pool2d(torch.tanh(self.conv2(out)), 2)
        out = out.view(-1, 8 * 8 * 8)
        return self.fc2(torch.tanh(self.fc1(out)))


class FunctionalConv2(BookNet):
    """The book's network with its second convolution called as a function: the check cannot see that layer."""

    def forward(self, x):
        out = F.max_pool2d(torch.tanh(self.conv1(x)), 2)
        out = F.max_pool2d(torch.tanh(F.conv2d(out, self.conv2.weight, self.conv2.bias, padding=1)), 2)
        return self.fc2(torch.tanh(self.fc1(out.flatten(1))))


def solved_args(key: str) -> tuple:
    """The worked solution's arguments of the check call (07.4 and 09.4: trained once, in quick mode)."""
    return solved(key)[1]


def book_net_trained_as_class() -> nn.Module:
    """09.4's trained network, its weights copied into the book's class: the same function, another code."""
    trained_net = solved_args("09.4")[0]
    net = BookNet()
    weights = list(trained_net.state_dict().values())
    net.load_state_dict(dict(zip(net.state_dict(), weights)))
    return net


def history_changed(history: History, **changes: Callable[[list], list]) -> History:
    """A copy of history with some of its fields changed, e.g. val_acc=lambda v: v[:-1] + [v[-1] + 0.05]."""
    d = history.to_dict()
    for name, change in changes.items():
        d[name] = change(d[name])
    return History.from_dict(d)


def book_with(**kw: object) -> Later:
    """09.4's solution with one of its three arguments replaced."""
    def build() -> Args:
        net, history, loader = solved_args("09.4")
        values = {"net": net, "history": history, "loader": loader, **kw}
        values = {k: v() if callable(v) and not isinstance(v, (nn.Module, History)) else v for k, v in values.items()}
        return Args((values["net"], values["history"], values["loader"]))
    return Later(build)


def history_of_book(**changes: Callable[[list], list]) -> Callable[[], History]:
    return lambda: history_changed(solved_args("09.4")[1], **changes)


def no_bn_with(**kw: object) -> Later:
    """07.4's solution with one of its three arguments replaced (a value, or a function building it)."""
    def build() -> Args:
        no_bn, prediction, race = solved_args("07.4")
        values = {"no_bn": no_bn, "prediction": prediction, "race": race, **kw}
        values = {k: v() if callable(v) and not isinstance(v, nn.Module) else v for k, v in values.items()}
        return Args((values["no_bn"], values["prediction"], values["race"]))
    return Later(build)


def race_changed(**changes: Callable[[dict], object]) -> Callable[[], object]:
    """07.4's measured race, changed: race_changed(race=lambda r: ...)."""
    return lambda: changes["race"](dict(solved_args("07.4")[2]))


def vgg_without_bn(arch: tuple = ((1, 16), (1, 32), (2, 64))) -> Callable[[], nn.Module]:
    return lambda: materialize(VGG(arch, num_hiddens=256, batch_norm=False), (1, 1, 28, 28))


WRONG: dict[str, list[tuple[object, str]]] = {  # key -> (wrong answer, a piece of the hint it must get)
    "01.2": [(324, "padding"), (144, "without padding"), (1296, "zeros included"), (255, "per direction"),
             (256.5, "whole number"), ("256", "without quotes")],
    "01.3": [(lambda w, n: torch.zeros(n, n), "shape"),
             (lambda w, n: torch.stack([torch.roll(torch.cat([torch.flip(w, (0,)), torch.zeros(n - 1)]), j)
                                        for j in range(n)], 1), "differs"),
             (lambda w, n: 1 / 0, "ZeroDivisionError"), (lambda w, n: "M", "tensor"), (42, "function itself")],
    "02.1": [(torch.tensor([[1.0, -1.0]]), "2×1 kernel"), (torch.tensor([[-1.0], [1.0]]), "opposite signs"),
             (torch.tensor([[1.0], [1.0]]), "should equal"), (torch.ones(9, 9), "larger than"),
             ([[1.0], [-1.0, 2.0]], "must be a tensor"), (torch.zeros(0, 0), "empty"),
             (torch.tensor([[1.0], [float("nan")]]), "NaN"), (torch.ones(2, 1, 1), "2-D")],
    "02.2": [(Later(lambda: Args((layer(), [], 3e-2))), "empty"),
             (Later(lambda: layer()), "losses too"),
             (Later(lambda: Args((layer([1.0, -1.0]), [5.0, 1.0, 0.1], 3e-2))), "no gradient"),
             (Later(overwritten), "one gradient step"),
             (Later(other_lr), "another lr"),
             (Later(mean_loss), "loss?"),
             (Later(lambda: Args((trained()[0], [9.0, 3.0, 1.0], 3e-2))), "not the loss of"),
             (Later(invented_start), "cannot do"),
             (Later(lambda: Args(trained(20, start=[1.0, -1.0]) + (3e-2,))), "next to the answer"),
             (Later(lambda: Args(trained(3) + (3e-2,))), "more epochs"),
             (Later(lambda: Args(trained() + (float("nan"),))), "finite"),
             (Later(lambda: Args(trained()[:1] + ("losses", 3e-2))), "the list train_kernel returned"),
             (Later(lambda: layer(kernel_size=(1, 2))), "kernel_size=(2, 1)"),
             (nn.LazyConv2d(1, kernel_size=(2, 1), bias=False), "lazy"),
             (torch.tensor([[1.0], [-1.0]]), "nn.Conv2d")],
    "02.3": [(torch.tensor([[1.0, 2.0], [3.0, 4.0]]), "flips its kernel"),
             (torch.tensor([[3.0, 4.0], [1.0, 2.0]]), "one direction only"),
             (torch.tensor([[2.0, 1.0], [4.0, 3.0]]), "one direction only"),
             (torch.tensor([[1.0, 3.0], [2.0, 4.0]]), "compare"),
             (torch.ones(3, 3), "shape (2, 2)"), ("K", "must be a tensor")],
    "03.1": [(0, "output is 24×24"), (1, "26×26"), (3, "30×30"), (-2, "0 or more"), ((2, 1), "differently"),
             ((2.5, 2.5), "whole number"), ("2", "without quotes"), (2.5, "whole number")],
    "03.2": [((None, None), "still None"), ((0, 2), "15×15"), ((2, 2), "17×17"), ((1, 1), "32×32"), ((1, 0), "stride 1"),
             ((-1, 2), "0 or more"), ((1,), "Give 2 numbers"), (16, "Answer with 2 numbers"), ("1, 2", "Answer with"),
             ((1.5, 2), "whole number"), ((100, 2), "more zeros")],
    "03.3": [(lambda X, K, s: corr2d(X, K)[1::s, 1::s], "wrong values"), (lambda X, K, s: corr2d(X, K)[::s], "shape"),
             (lambda X, K, s: corr2d(X[::s, ::s], K), "must have shape (3, 3)"),
             (lambda X, K, s: 1 / 0, "ZeroDivisionError"), (None, "function itself")],
    "04.1": [(0, "c_o·c_i"), (1200, "bias"), (416, "EVERY input channel"), (76, "one output channel"),
             (1216.5, "whole number"), ("1216", "without quotes")],
    "04.2": [(torch.zeros(2, 3, 1, 1), "Output channel 0"), (torch.tensor([[1 / 3] * 3, [1.0, 0, -1]]), "reshape"),
             (torch.tensor([[1.0, 1, 1], [1, 0, -1]]).reshape(2, 3, 1, 1), "1/3"),
             (torch.tensor([[1 / 3] * 3, [-1.0, 0, 1]]).reshape(2, 3, 1, 1), "red minus blue")],
    "04.3": [(lambda c_i, c_o, h, w, k_h, k_w: c_o * h * w * c_i * k_h * k_w, "only (h - k_h + 1)"),
             (lambda c_i, c_o, h, w, k_h, k_w: (h - k_h + 1) * (w - k_w + 1) * k_h * k_w, "Count outputs"),
             (lambda c_i, c_o, h, w, k_h, k_w: 1.5, "whole number"), (lambda *args: 1 / 0, "ZeroDivisionError"),
             (lambda *args: None, "returned None"), (42, "function itself")],
    "05.1": [((1, 3, 32, 32), "roughly halves"), ((1, 3, 30, 30), "roughly halves"), ((16, 16), "Give 4 numbers"),
             ((1, 1, 16, 16), "channels stay"), ((1, 3, 15, 15), "floor"), ((1, 3, 16.5, 16.5), "whole number"),
             ((1, 3, float("nan"), 16), "whole number"), (torch.zeros(1, 3, 16, 16), ".shape"), ("abc", "Answer with"), (None, "still None")],
    "05.2": [(torch.eye(2), "add up to 2"), (torch.full((3, 3), 1 / 9), "2x2 window"),
             (torch.full((2, 2), 0.2), "add up to 0.8"), (torch.tensor([[0.5, 0.5], [0.0, 0.0]]), "count equally"),
             ("K", "must be a tensor")],
    "05.3": [(lambda X: X.mean(), "shape"), (lambda X: X.amax(dim=(-2, -1)), "mean of each channel"),
             (lambda X: X.sum(dim=(-2, -1)), "mean of each channel"),
             (lambda X: X.mean(dim=(-2, -1), keepdim=True), "got (1, 1, 1, 1)"), (lambda X: 1 / 0, "ZeroDivisionError")],
    "06.2": [(lambda cm: 0.0, "diagonal"), (lambda cm: cm.diagonal().sum() / len(cm), "diagonal"),
             (lambda cm: 100 * cm.diagonal().sum().item() / cm.sum().item(), "percentage"),
             (lambda cm: 1 / 0, "ZeroDivisionError"), (lambda cm: cm.diagonal() / cm.sum(), "tensor of shape"),
             (lambda cm: "0.8", "text"), (0.9, "function itself")],
    "06.3": [(lambda cm, classes: (classes[int(cm.diagonal().argmax())],) * 2, "diagonal"),
             (lambda cm, classes: tuple(reversed(most_confused_by_loops(cm, classes))), "wrong way round"),
             (lambda cm, classes: (0, 1), "not the indices"), (lambda cm, classes: None, "returned None"),
             (lambda cm, classes: classes[int(cm.sum(0).argmax())], "the answer is")],
    "07.2": [(64 * 64 * 9, "number of weights"), (64 * 56 * 56 * 9, "ALL 64 input channels"),
             (54 * 54 * 64 * 64 * 9, "padding=1"), (1.5e8 + 0.5, "whole number")],
    "07.3": [(5, "fifth"), (3, "round down"), (4.5, "whole number")],
    "08.1": [((2, 8, 16, 16), "16 channels"), ((2, 16, 32, 32), "halve"), ((2, 16, 8, 8), "divided by strides"),
             ((2, 16, 16), "Give 4 numbers"), ((2, 16, 16.5, 16.5), "whole number")],
    "08.2": [(lambda c_in, c_out, s: Residual(c_out), "raised"),
             (lambda c_in, c_out, s: Residual(c_out, use_1x1conv=True, strides=s), "identity"),
             (lambda c_in, c_out, s: nn.Identity(), "should have shape"),
             (lambda c_in, c_out, s: "block", "nn.Module")],
    "08.3": [(21, "shortcuts"), (20, "Close"), (17, "Linear"), (16, "stem"), (18.5, "whole number")],
    "09.2": [(lambda X, mean, std: (X - torch.tensor(mean)) / torch.tensor(std), "(1, 3, 1, 1)"),
             (lambda X, mean, std: (X - sum(mean) / 3) / (sum(std) / 3), "Each channel"),
             (lambda X, mean, std: X.mean(), "shape"), (lambda X, mean, std: 1 / 0, "ZeroDivisionError")],
    "09.3": [(lambda X, k: torch.roll(X, k, dims=3), "wraps"), (lambda X, k: F.pad(X, (0, k))[..., k:], "LEFT"),
             (lambda X, k: F.pad(X, (k, 0)), "must have shape (2, 3, 6, 7)"), (lambda X, k: X, "column j")],
    "10.1": [(lambda X, g: corr2d(X, g).flip(0, 1), "upside down and mirrored"),
             (lambda X, g: 2 * corr2d(X, g), "gradcheck disagrees"), (lambda X, g: X, "must have shape (2, 2)"),
             (lambda X, g: corr2d(g, X), "which? grad_Y is the smaller"), (lambda X, g: 1 / 0, "ZeroDivisionError"),
             (lambda X, g: None, "returned None"), ("kernel_grad", "function itself")],
    "10.2": [((9, 9, 4), "Only the largest"), ((1, 1, 4), "counts 1/9"), ((1, 9, 9), "lies on the padding"),
             ((1, 9, 6), "inside the image"), ((1, 9), "Give 3 numbers"), ((1, 9, 4.5), "whole number"),
             (None, "still None")],
}

MORE_WRONG: dict[str, list[tuple[object, str]]] = {  # the exercises that build, change or train a network
    "01.4": [(lambda conv, shape: conv_as_linear_of(conv, shape, bias=False), "that one number"),
             (lambda conv, shape: conv_as_linear_of(conv, shape, strided=False), "conv.padding and conv.stride"),
             (lambda conv, shape: conv_as_linear_of(conv, shape, flip=True), "K = conv.weight[0, 0]"),
             (transposed, "one input per pixel"), (lambda conv, shape: conv, "nn.Linear layer"),
             (lambda conv, shape: nn.Linear(shape[0] * shape[1], shape[0] * shape[1]), "out_features"),
             (lambda conv, shape: 1 / 0, "ZeroDivisionError"), (nn.Linear(25, 9), "function itself")],
    "05.4": [(Args((lenet_stack(padding=0), (1, 16, 4, 4))), "not (2, 16, 5, 5)"),
             (Args((lenet_stack(), (1, 16, 5, 5))), "WITH the pooling"),
             (Args((lenet_stack(), (1, 16, 28, 28))), "only the convolutions"),
             (Args((lenet_stack(), (1, 6, 24, 24))), "16 channels"),
             (Args((lenet_stack(), None)), "still None"), (Args((lenet_stack(), (16, 24, 24))), "Give 4 numbers"),
             (Args((lenet_stack(), (1, 16, 24.5, 24))), "whole number"),
             (Args((nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2)), (1, 6, 24, 24))), "it has 1"),
             (Args((lenet_stack(pools=lambda: [nn.MaxPool2d(2), nn.Identity()]), (1, 16, 24, 24))), "1 pooling"),
             (Args((nn.Sequential(nn.Conv2d(1, 6, 3), nn.Conv2d(6, 16, 3)), (1, 16, 24, 24))), "5×5 kernels"),
             ("stack", "network")],
    "06.4": [(my_lenet(act=nn.Sigmoid), "ReLU instead of the sigmoid"),
             (my_lenet(pool=nn.AvgPool2d), "max pooling instead"), (my_lenet(norm=False), "batch norm and ReLU"),
             (my_lenet(tail=(lambda: nn.Softmax(dim=1),)), "raw scores"),
             (my_lenet(tail=(nn.Dropout,)), "has none"), (my_lenet(padding2=2), "does not match"),
             (my_lenet(bias=False), "fewer than it"), (my_lenet(base=nn.Module), "Derive MyLeNet from Classifier"),
             (LeNetModern, "lazy layers"), (LeNetModern(), "class itself"), (BrokenLeNet, "MyLeNet() raised"),
             (my_lenet(forward=lambda self, X: self.net(X).detach()), "raised RuntimeError"),
             (my_lenet(forward=lambda self, X: torch.zeros(len(X), 10) + 0 * self.net(X)), "Does forward run"),
             (lambda: None, "Pass your class")],
    "07.4": [(no_bn_with(prediction=(None, None)), "still (None, None)"),
             (no_bn_with(prediction=(704, "higher")), "buffers, not parameters"),
             (no_bn_with(prediction=(176, "higher")), "two numbers per channel"),
             (no_bn_with(prediction=(0, "higher")), "has learnable parameters"),
             (no_bn_with(prediction=(300, "higher")), "count the channels"),
             (no_bn_with(prediction=(352, "slower")), '"higher" or "lower"'),
             (no_bn_with(prediction=(352.5, "higher")), "whole number"),
             (no_bn_with(prediction=(352,)), "a pair"),
             (no_bn_with(prediction=(352, "lower")), "Your measurement says"),
             (no_bn_with(no_bn=lambda: materialize(vgg_small(), (1, 1, 28, 28))), "still has 4 batch"),
             (no_bn_with(no_bn=lambda: VGG(((1, 16), (1, 32), (2, 64)), num_hiddens=256)), "not seen a batch"),
             (no_bn_with(no_bn=vgg_without_bn(((1, 16), (1, 32), (2, 32)))), "only the batch norms removed"),
             (no_bn_with(no_bn="no_bn"), "your network"),
             (no_bn_with(race=None), "race_bn is still None"),
             (no_bn_with(race=lambda: {"with": solved_args("07.4")[2]["without"]}), "the two Histories"),
             (no_bn_with(race=lambda: {k: solved_args("07.4")[2]["without"] for k in ("with batch norm", "without")}),
              "the same run"),
             (no_bn_with(race=lambda: {k: history_changed(h, **{f: (lambda v: v[:1]) for f in h.to_dict()})
                                       for k, h in solved_args("07.4")[2].items()}), "at least 2"),
             (no_bn_with(race=lambda: dict(zip(("with batch norm", "without"),
                                               reversed(list(solved_args("07.4")[2].values()))))), "measurement says"),
             (no_bn_with(race=lambda: {"with batch norm": history_changed(solved_args("07.4")[2]["with batch norm"],
                                                                          train_loss=lambda v: v[::-1]),
                                       "without": solved_args("07.4")[2]["without"]}), "did not fall")],
    "08.4": [(lambda X, K, g: corr2d_multi_in_out(X, K), "raised ValueError"),
             (lambda X, K, g: corr2d_multi_in_out(X[:X.shape[0] // g], K[:K.shape[0] // g]), "one group only"),
             (lambda X, K, g: torch.cat([corr2d_multi_in_out(X[i * (len(X) // g):(i + 1) * (len(X) // g)], K)
                                         for i in range(g)]), "own rows of K"),
             (lambda X, K, g: torch.cat([corr2d_multi_in_out(X[i::g], K[i * (len(K) // g):(i + 1) * (len(K) // g)])
                                         for i in range(g)]), "interleaved"),
             (lambda X, K, g: torch.cat([corr2d_multi_in_out(X[i * (len(X) // g):(i + 1) * (len(X) // g)],
                                                             K[(g - 1 - i) * (len(K) // g):(g - i) * (len(K) // g)])
                                         for i in range(g)]), "input group g only"),
             (lambda X, K, g: 1 / 0, "ZeroDivisionError"), ("grouped", "function itself")],
    "09.4": [(None, "book_cnn is still None"), ("book_cnn", "nn.Module"),
             (book_cnn(lazy=True), "lazy layers"), (Args((book_cnn(widths=(16, 16)), None, None)), "more than"),
             (Args((book_cnn(widths=(32, 4)), None, None)), "fewer than"),
             (Args((book_cnn(act=nn.ReLU), None, None)), "not ReLU"),
             (Args((book_cnn(pool=nn.AvgPool2d), None, None)), "not average pooling"),
             (Args((book_cnn(tail=(lambda: nn.Softmax(dim=1),)), None, None)), "softmax itself"),
             (Args((FunctionalConv2(), None, None)), "runs Conv2d, Linear, Linear"),
             (book_with(history=None), "history_book is still None"),
             (book_with(history=[2.2, 1.9]), "History that fit returns"),
             (book_with(history=history_of_book(**{f: (lambda v: v[-1:]) for f in History().to_dict()})),
              "train for 2"),
             (book_with(history=history_of_book(train_loss=lambda v: v[::-1])), "did not fall"),
             (book_with(history=history_of_book(val_acc=lambda v: [float("nan")] * len(v),
                                                val_loss=lambda v: [float("nan")] * len(v))), "pass data.val to fit"),
             (book_with(history=history_of_book(val_acc=lambda v: v[:-1] + [0.12])), "hardly above chance"),
             (book_with(history=history_of_book(val_acc=lambda v: v[:-1] + [v[-1] + 0.05])), "last epoch says"),
             (book_with(net=book_cnn), "pass the network you trained"),
             (book_with(loader=None), "Pass data.val too"),
             (book_with(loader="data.val"), "evaluate(book_cnn, data.val) raised")],
}
WRONG.update(MORE_WRONG)


def most_confused_by_loops(cm: torch.Tensor, classes: list) -> tuple:
    """A second correct most_confused: a scan that keeps the LAST largest cell (argmax keeps the first)."""
    best, pair = -1, None
    for i in range(len(cm)):
        for j in range(len(cm)):
            if i != j and cm[i, j] >= best:
                best, pair = cm[i, j], (classes[i], classes[j])
    return pair


def test_every_check_has_at_least_two_wrong_answers_in_the_table():
    assert sorted(WRONG) == sorted(_CHECKS)
    assert [key for key, answers in WRONG.items() if len(answers) < 2] == []


@pytest.mark.parametrize("key, wrong, hint", [(k, w, h) for k, answers in WRONG.items() for w, h in answers],
                         ids=lambda v: v if isinstance(v, str) and len(v) == 4 and v[2] == "." else "")
def test_a_wrong_answer_is_refused_with_its_hint(key, wrong, hint):
    answer = wrong.build() if isinstance(wrong, Later) else wrong
    ok, text = call_key(key, *(answer if isinstance(answer, Args) else (answer,)))
    assert not ok and hint in text, text


# ---------------------------------------------------------------- right answers in every form get ✓

WHOLE_KEYS = ["01.2", "03.1", "04.1", "07.2", "07.3", "08.3"]
TUPLE_KEYS = ["03.2", "05.1", "08.1", "10.2"]
FUNCTION_KEYS = ["01.3", "01.4", "03.3", "04.3", "05.3", "06.2", "06.3", "08.2", "08.4", "09.2", "09.3", "10.1"]
TENSOR_KEYS = ["02.1", "02.3", "04.2", "05.2"]
NETWORK_KEYS = ["02.2", "05.4", "06.4", "07.4", "09.4"]  # a trained layer, a network or a class, with its own tests


def test_the_kinds_of_answer_are_listed_completely():
    """Each check is in exactly one list above, and the list matches what its worked solution passes."""
    assert sorted(WHOLE_KEYS + TUPLE_KEYS + FUNCTION_KEYS + TENSOR_KEYS + NETWORK_KEYS) == sorted(_CHECKS)
    assert all(type(solution_answer(k)) is int for k in WHOLE_KEYS)
    assert all(type(solution_answer(k)) is tuple for k in TUPLE_KEYS)
    assert all(callable(solution_answer(k)) and not isinstance(solution_answer(k), (type, nn.Module))
               for k in FUNCTION_KEYS)
    assert all(isinstance(solution_answer(k), torch.Tensor) for k in TENSOR_KEYS)
    assert isinstance(solution_answer("06.4"), type) and all(isinstance(solution_answer(k), nn.Module)
                                                             for k in ("02.2", "05.4", "07.4", "09.4"))


def number_forms(n: int) -> list[object]:
    return [n, float(n), np.int64(n), np.float64(n), np.int32(n), torch.tensor(n), torch.tensor(float(n)),
            torch.tensor([n])]


@pytest.mark.parametrize("key", WHOLE_KEYS)
def test_a_whole_number_answer_passes_in_every_numeric_type(key):
    for answer in number_forms(solution_answer(key)):
        ok, text = call_key(key, answer)
        assert ok, (answer, text)


@pytest.mark.parametrize("key", WHOLE_KEYS)
def test_the_right_number_plus_a_fraction_is_refused_in_every_numeric_type(key):
    right = solution_answer(key) + 0.5  # float64: float32 would round 115,605,504.5 to the right answer
    for answer in (right, np.float64(right), torch.tensor(right, dtype=torch.float64),
                   torch.tensor([right], dtype=torch.float64)):
        ok, text = call_key(key, answer)
        assert not ok and "whole number" in text, (answer, text)


@pytest.mark.parametrize("key", TUPLE_KEYS)
def test_a_tuple_answer_passes_in_every_numeric_type(key):
    right = solution_answer(key)
    forms = [list(right), torch.Size(right), np.array(right), torch.tensor(right)]
    forms += [tuple(number_forms(v)[i] for v in right) for i in range(len(number_forms(0)))]
    for answer in forms:
        ok, text = call_key(key, answer)
        assert ok, (answer, text)


@pytest.mark.parametrize("key", TUPLE_KEYS)
def test_a_tuple_with_one_bad_element_is_refused(key):
    right = solution_answer(key)
    for i, v in enumerate(right):
        for bad in (v + 0.5, float("nan"), float("inf"), True, str(v), None, [v]):
            ok, text = call_key(key, right[:i] + (bad,) + right[i + 1:])
            assert not ok, (i, bad, text)


OTHER_RIGHT: dict[str, list[object]] = {  # correct answers in other forms than the worked solution's
    "02.1": [np.array([[1.0], [-1.0]]), [[1], [-1]], torch.tensor([[1], [-1]]), torch.tensor([[1.0], [-1.0]]).double()],
    "02.3": [torch.tensor([[4, 3], [2, 1]]), np.array([[4.0, 3.0], [2.0, 1.0]]), [[4, 3], [2, 1]]],
    "03.1": [(2, 2), [2.0, 2.0], torch.tensor([2, 2])],
    "04.2": [(torch.tensor([[1.0, 1.0, 1.0], [3.0, 0.0, -3.0]]) / 3).reshape(2, 3, 1, 1).double(),
             np.array([1 / 3, 1 / 3, 1 / 3, 1, 0, -1]).reshape(2, 3, 1, 1)],
    "05.2": [np.full((2, 2), 0.25), [[0.25, 0.25], [0.25, 0.25]], torch.ones(2, 2, dtype=torch.float16) / 4],
    "01.3": [lambda w, n: torch.stack([F.pad(w, (j, n - 1 - j)) for j in range(n)], 1).double().numpy()],
    "03.3": [lambda X, K, s: torch.nn.functional.conv2d(X[None, None], K[None, None], stride=s)[0, 0]],
    "04.3": [lambda c_i, c_o, h, w, k_h, k_w: float(c_o * (h - k_h + 1) * (w - k_w + 1) * c_i * k_h * k_w),
             lambda c_i, c_o, h, w, k_h, k_w: torch.tensor(c_o * (h - k_h + 1) * (w - k_w + 1) * c_i * k_h * k_w)],
    "05.3": [lambda X: X.mean(dim=(2, 3)).double(), lambda X: F.adaptive_avg_pool2d(X, 1).flatten(1)],
    "06.2": [lambda cm: cm.diagonal().sum() / cm.sum(), lambda cm: np.float32(cm.trace().item() / cm.sum().item())],
    "06.3": [most_confused_by_loops, lambda cm, classes: list(most_confused_by_loops(cm, classes))],
    "08.2": [lambda c_in, c_out, s: Residual(c_out, use_1x1conv=(c_in, s) != (c_out, 1), strides=s)],
    "09.2": [lambda X, mean, std: ((X.double() - torch.tensor(mean, dtype=torch.float64)[:, None, None])
                                   / torch.tensor(std, dtype=torch.float64)[:, None, None])],
    "09.3": [lambda X, k: shift_images(X, k)],
    "10.1": [lambda X, g: corr2d(X.float(), g.float()), lambda X, g: corr2d(X, g).numpy(),
             lambda X, g: torch.stack([torch.stack([(g * X[a:a + g.shape[0], b:b + g.shape[1]]).sum()
                                                    for b in range(X.shape[1] - g.shape[1] + 1)])
                                       for a in range(X.shape[0] - g.shape[0] + 1)]),
             lambda X, g: F.conv2d(X[None, None], g[None, None])[0, 0].tolist()],
    "01.4": [conv_as_linear_by_probing],
    "05.4": [Args((lenet_stack(), torch.Size([1, 16, 24, 24]))), Args((lenet_stack(nested=True), [1, 16, 24, 24])),
             Args((lenet_stack(pools=lambda: [nn.AvgPool2d(2), nn.AvgPool2d(2)]), (1, 16, 24, 24))),
             Args((lenet_stack(lazy=True), (1, 16, 24, 24))),
             Args((lenet_stack(padding=0, pools=lambda: [nn.MaxPool2d(2), nn.MaxPool2d(4, stride=1)]),
                   (1, 16, 20, 20)))],
    "06.4": [my_lenet(swap=True), my_lenet(nested=True)],
    "08.4": [lambda X, K, g: F.conv2d(X[None], K, groups=g)[0],
             lambda X, K, g: torch.stack([corr2d_multi_in(X[o // (len(K) // g) * K.shape[1]:][:K.shape[1]], K[o])
                                          for o in range(len(K))]).numpy()],
    "09.4": [Later(lambda: Args((book_net_trained_as_class(),) + tuple(solved_args("09.4")[1:])))],
}


@pytest.mark.parametrize("key, answer", [(k, a) for k, answers in OTHER_RIGHT.items() for a in answers],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_a_right_answer_in_another_form_passes(key, answer):
    answer = answer.build() if isinstance(answer, Later) else answer
    ok, text = call_key(key, *(answer if isinstance(answer, Args) else (answer,)))
    assert ok, text


@pytest.mark.parametrize("epochs, lr", [(20, 3e-2), (12, 3e-2), (100, 3e-2), (300, 1e-2), (40, 2e-2)])
def test_a_learned_kernel_passes_however_long_it_trained(epochs, lr):
    """02.2 accepts every run of the notebook's train_kernel that ends within 0.1 of [[1], [-1]], even one trained
    until float32 rounding is all that is left."""
    conv, losses = trained(epochs, lr)
    for form in (losses, tuple(losses), torch.tensor(losses), np.array(losses)):
        ok, text = call_key("02.2", conv, form, lr)
        assert ok, text
    ok, text = call_key("02.2", conv, losses, np.float32(lr))
    assert ok, text


def test_the_predicted_shape_of_05_4_passes_in_every_form_and_one_bad_element_is_refused():
    stack, right = solved("05.4")[1]
    forms = [list(right), torch.Size(right), np.array(right), torch.tensor(right)]
    forms += [tuple(number_forms(v)[i] for v in right) for i in range(len(number_forms(0)))]
    for answer in forms:
        ok, text = call_key("05.4", stack, answer)
        assert ok, (answer, text)
    for i, v in enumerate(right):
        for bad in (v + 0.5, float("nan"), float("inf"), True, str(v), None, [v]):
            ok, text = call_key("05.4", stack, right[:i] + (bad,) + right[i + 1:])
            assert not ok, (i, bad, text)


def test_the_predicted_parameter_count_of_07_4_passes_in_every_form():
    no_bn, (removed, direction), race = solved_args("07.4")
    for form in number_forms(removed):
        ok, text = call_key("07.4", no_bn, (form, direction), race)
        assert ok, (form, text)
    for form in (removed + 0.5, np.float64(removed + 0.5), torch.tensor(removed + 0.5, dtype=torch.float64)):
        ok, text = call_key("07.4", no_bn, (form, direction), race)
        assert not ok and "whole number" in text, (form, text)
    ok, text = call_key("07.4", no_bn, [removed, f" {direction.upper()} "], race)  # a list, any case and spaces
    assert ok, text


def test_09_4_matches_the_history_to_the_network_by_its_loss_as_well_as_its_accuracy():
    net, history, loader = solved_args("09.4")
    ok, text = call_key("09.4", net, history, loader)
    assert ok and "%" in text, text
    ok, text = call_key("09.4", net, history_changed(history, val_loss=lambda v: v[:-1] + [v[-1] * 1.01]), loader)
    assert not ok and "last epoch says" in text, text  # the loss must match too, not only the accuracy


@pytest.mark.parametrize("key, position", [("05.4", 1), ("07.4", 1), ("07.4", 2), ("09.4", 1), ("09.4", 2)])
def test_a_malformed_later_argument_gets_a_short_sentence(key, position):
    right = list(solved(key)[1])
    for bad in MALFORMED + [(None, "higher"), ("many", "higher"), (352, 3), {"with batch norm": 1, "without": 2}]:
        ok, text = call_key(key, *(right[:position] + [bad] + right[position + 1:]))
        assert not ok, (bad, text)


def test_the_checks_that_build_or_train_leave_the_notebooks_random_numbers_alone():
    """A check may build a reference network or train the student's: the notebook's random stream stays put."""
    for key in ("01.4", "05.4", "06.4", "07.4", "08.4", "09.4"):
        check, args, kwargs = solved(key)
        state = torch.get_rng_state()
        verdict(check, *args, **kwargs)
        assert torch.equal(torch.get_rng_state(), state), key


# ---------------------------------------------------------------- malformed answers get one short sentence

MALFORMED = [float("nan"), float("inf"), 2.5, -3, "abc", "x" * 20_000, None, True, {"a": 1}, [1, 2, 3, 4, 5],
             10 ** 5000, 1e300, torch.zeros(3, 4), np.zeros(7), lambda *a, **k: 1 / 0, object()]


@pytest.mark.parametrize("key", sorted(_CHECKS))
def test_a_malformed_answer_gets_a_short_sentence(key):
    for answer in MALFORMED:
        ok, text = call_key(key, answer)  # verdict fails on a traceback or a message of 400 characters or more
        assert not ok, (answer, text)


BAD_FUNCTIONS = [lambda *a, **k: 1 / 0, lambda *a, **k: "abc", lambda *a, **k: "x" * 20_000, lambda *a, **k: None,
                 lambda *a, **k: torch.zeros(1), lambda *a, **k: torch.full((1000,), float("nan")),
                 lambda *a, **k: float("nan"), lambda *a, **k: {"a": 1}, lambda *a, **k: 10 ** 5000,
                 lambda *a, **k: torch.zeros(3, 3, dtype=torch.bool), lambda *a, **k: [[1, 2], [3]]]


@pytest.mark.parametrize("key", FUNCTION_KEYS)
def test_a_function_that_fails_or_returns_nonsense_gets_a_short_sentence(key):
    for fn in BAD_FUNCTIONS:
        ok, text = call_key(key, fn)
        assert not ok, text
    ok, text = call_key(key, lambda *a, **k: (_ for _ in ()).throw(ValueError("line one\nline two")))
    assert "ValueError: line one" in text and "line two" not in text


@pytest.mark.parametrize("key", TENSOR_KEYS)
def test_a_tensor_of_the_wrong_shape_or_kind_gets_a_short_sentence(key):
    right = solution_answer(key)
    for bad in (torch.zeros(5, 5, 5), torch.zeros(0), right.bool(), right.to(torch.complex64),
                torch.full(right.shape, float("nan")), torch.full(right.shape, float("inf")), right.tolist()[:1],
                torch.zeros(3000, 3000, dtype=torch.uint8)):
        ok, text = call_key(key, bad)
        assert not ok, text


# ---------------------------------------------------------------- the test matrices of notebook 06

def test_the_confusion_matrices_have_mistakes_and_one_largest_mistake():
    for cm in _CONFUSIONS:
        off = cm[~torch.eye(len(cm), dtype=torch.bool)]
        assert off.sum() > 0 and (off == off.max()).sum() == 1, cm
    assert any(cm.max() > cm[~torch.eye(len(cm), dtype=torch.bool)].max() and
               cm.argmax() // len(cm) == cm.argmax() % len(cm) for cm in _CONFUSIONS)


# ---------------------------------------------------------------- the worked solutions agree with PyTorch and cnnlib

def test_01_2_solution_counts_the_nonzeros_of_conv_matrix():
    assert solution_answer("01.2") == int((conv_matrix(torch.ones(3, 3), (6, 6), padding=1) != 0).sum())


def test_02_3_solution_undoes_the_flip_of_convolve2d():
    X = torch.randn(5, 5)
    assert torch.allclose(convolve2d(X, solution_answer("02.3")), corr2d(X, torch.tensor([[1.0, 2.0], [3.0, 4.0]])))


def test_03_1_and_03_2_solutions_match_nn_conv2d():
    with torch.no_grad():
        Y = nn.Conv2d(1, 1, kernel_size=5, padding=solution_answer("03.1"))(torch.zeros(1, 1, 28, 28))
        padding, stride = solution_answer("03.2")
        Z = nn.Conv2d(1, 1, kernel_size=3, padding=padding, stride=stride)(torch.zeros(1, 1, 32, 32))
    assert Y.shape[2:] == (28, 28) and Z.shape[2:] == (16, 16)


def test_04_solutions_match_nn_conv2d_and_the_1x1_convolution():
    assert solution_answer("04.1") == sum(p.numel() for p in nn.Conv2d(3, 16, kernel_size=5).parameters())
    X = torch.rand(3, 4, 5)
    Y = corr2d_multi_in_out_1x1(X, solution_answer("04.2"))
    assert torch.allclose(Y[0], X.mean(0), atol=1e-6) and torch.allclose(Y[1], X[0] - X[2], atol=1e-6)
    c_i, c_o, h, w, k_h, k_w = 2, 3, 4, 5, 2, 3
    products = F.conv2d(torch.ones(1, c_i, h, w), torch.ones(c_o, c_i, k_h, k_w)).sum()  # every product counts 1
    assert solution_answer("04.3")(c_i, c_o, h, w, k_h, k_w) == int(products)


def test_05_solutions_match_nn_maxpool2d_and_pool2d():
    assert tuple(nn.MaxPool2d(3, stride=2, padding=1)(torch.zeros(1, 3, 32, 32)).shape) == solution_answer("05.1")
    X = torch.arange(20.0).reshape(4, 5) ** 1.5
    assert torch.allclose(corr2d(X, solution_answer("05.2")), pool2d(X, (2, 2), "avg"))


def test_07_solutions_match_convolutions_pooling_and_batch_norm():
    conv = nn.Conv2d(64, 64, kernel_size=3, padding=1)
    Y = conv(torch.zeros(1, 64, 56, 56))
    assert solution_answer("07.2") == Y.numel() * 64 * 3 * 3  # each output number sums 64 x 3 x 3 products
    assert solution_answer("07.2") == block_costs(nn.Sequential(conv), (1, 64, 56, 56))[0].macs  # notebook 07's table
    blocks = solution_answer("07.3")
    materialize(VGG(((1, 4),) * blocks, num_hiddens=8), (1, 1, 28, 28))
    with pytest.raises(ValueError):  # one block more has no 2x2 window left to pool, as the check's hint says
        materialize(VGG(((1, 4),) * (blocks + 1), num_hiddens=8), (1, 1, 28, 28))
    no_bn, (removed, direction), race = solved_args("07.4")
    assert count_parameters(materialize(vgg_small(), (1, 1, 28, 28))) - count_parameters(no_bn) == removed
    assert not any(isinstance(m, nn.BatchNorm2d) for m in no_bn.modules())
    assert (race["without"].train_loss[-1] > race["with batch norm"].train_loss[-1]) == (direction == "higher")


def test_08_1_solution_is_the_shape_of_the_block():
    Y = Residual(16, use_1x1conv=True, strides=2)(torch.randn(2, 8, 32, 32))
    assert tuple(Y.shape) == solution_answer("08.1")


def test_08_3_counts_the_main_path_and_its_hint_counts_the_shortcuts_too():
    model = materialize(ResNet18(), (1, 1, 96, 96))
    assert solution_answer("08.3") == 18
    weight_layers = sum(isinstance(m, (nn.Conv2d, nn.Linear)) for m in model.modules())
    ok, text = call_key("08.3", weight_layers)
    assert weight_layers == 21 and not ok and "shortcuts" in text


def test_09_3_solution_is_shift_images():
    X = torch.randn(2, 3, 4, 5)
    assert torch.equal(solution_answer("09.3")(X, 2), shift_images(X, 2))



def test_01_4_solution_is_the_convolution_as_a_dense_layer():
    conv_as_linear = solution_answer("01.4")
    for k, padding, stride in ((3, 1, 2), ((2, 3), (1, 0), 1), (5, 2, 3)):
        conv = nn.Conv2d(1, 1, k, padding=padding, stride=stride)
        X = torch.randn(4, 9, 8)
        linear = conv_as_linear(conv, (9, 8))
        with torch.no_grad():
            assert torch.allclose(linear(X.flatten(1)), conv(X[:, None]).flatten(1), atol=1e-5)
        assert count_parameters(linear) == linear.out_features * (9 * 8 + 1) > count_parameters(conv)


def test_05_4_solution_is_lenets_encoder_and_its_prediction_the_stack_without_pooling():
    stack, no_pool_shape = solved("05.4")[1]
    X = torch.zeros(1, 1, 28, 28)
    assert tuple(stack(X).shape) == (1, 16, 5, 5) == tuple(materialize(LeNetModern(), (1, 1, 28, 28)).net[:8](X).shape)
    without = nn.Sequential(*[m for m in stack if not isinstance(m, nn.MaxPool2d)])
    assert tuple(without(X).shape) == no_pool_shape


def test_06_4_solution_has_lenet_moderns_layers_and_parameters():
    mine, reference = solution_answer("06.4")(), materialize(LeNetModern(), (1, 1, 28, 28))
    assert count_parameters(mine) == count_parameters(reference)
    with contextlib.redirect_stdout(io.StringIO()):
        assert layer_summary(mine, (1, 1, 28, 28)) == layer_summary(reference, (1, 1, 28, 28))


def test_08_4_solution_is_conv2d_with_groups():
    grouped_conv2d = solution_answer("08.4")
    for c_i, c_o, groups in ((4, 8, 2), (6, 3, 3), (5, 5, 5), (4, 4, 1)):
        conv = nn.Conv2d(c_i, c_o, kernel_size=3, groups=groups, bias=False)
        X = torch.randn(c_i, 6, 7)
        with torch.no_grad():
            assert torch.allclose(grouped_conv2d(X, conv.weight, groups), conv(X[None])[0], atol=1e-5)
        assert conv.weight.numel() == nn.Conv2d(c_i, c_o, 3, bias=False).weight.numel() // groups


def test_09_4_solution_is_the_books_network_with_the_books_parameter_count():
    net, history, loader = solved_args("09.4")
    assert count_parameters(net) == count_parameters(BookNet())
    assert count_parameters(book_cnn()) == (16 * 3 * 9 + 16) + (8 * 16 * 9 + 8) + (32 * 512 + 32) + (10 * 32 + 10)
    assert len(history) == 2 and evaluate(net, loader) == (history.val_loss[-1], history.val_acc[-1])


# ---------------------------------------------------------------- no answer is printed anywhere in the series

def printed_outputs() -> str:
    """Every text output of every notebook (what a student sees without running anything)."""
    texts = []
    for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
        for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
            for output in cell.get("outputs", []):
                texts.append("".join(output.get("text", "")))
                texts += ["".join(v) for k, v in output.get("data", {}).items() if k.startswith("text/")]
    return "\n".join(texts)


def test_no_answer_and_no_hidden_reference_number_is_printed_in_any_notebook_output():
    """Numeric answers of 4 or more digits (shorter ones such as 256 or 352 turn up as batch sizes and figure sizes),
    shape answers, and the parameter counts that the network checks compare with but never show."""
    numbers = [solution_answer(k) for k in WHOLE_KEYS if solution_answer(k) >= 1000]
    numbers += [count_parameters(materialize(LeNetModern(), (1, 1, 28, 28))),  # 06.4: compared, never shown
                count_parameters(book_cnn())]                                  # 09.4: computed from the spec
    shapes = [solution_answer(k) for k in TUPLE_KEYS] + [solved("05.4")[1][1]]
    text = printed_outputs()
    for n in numbers:
        for form in {str(n), f"{n:,}"}:
            assert not re.search(rf"(?<![\d,.]){re.escape(form)}(?![\d,])", text), f"{form} is printed"
    for shape in shapes:
        for form in (str(tuple(shape)), f"torch.Size({list(shape)})"):
            assert form not in text, f"{form} is printed"
