"""Every mistake gets a sentence: the values students pass by mistake (None, text, fractions, NaN, huge numbers, lists,
NumPy arrays, tensors of the wrong shape or dtype, a pasted essay, a model where a tensor belongs) go to every public
function of cnnlib, one argument at a time. Each call must either work or raise a TypeError/ValueError (or one of
cnnlib's own errors) with a short message; never an AttributeError, IndexError or RuntimeError from inside PyTorch,
and never a hang."""
from __future__ import annotations

import contextlib
import inspect
import io
import signal
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torch import nn

from cnnlib import backprop, checks, data, features, models, ops, train, utils, viz, widgets

SENTENCES = (TypeError, ValueError, FileNotFoundError, train.CheckpointError, data.DataNotFoundError,
             train.TrainingDiverged)
WRONG = [None, "3", "abc", 3.5, -1, 0, True, float("nan"), float("inf"), 10**12, -10**9, 2**70, [1, 2], (1, 2, 3),
         {}, np.ones((2, 2)), np.int64(2), torch.ones(3), torch.ones(2, 2), torch.ones(1, 1, 28, 28),
         torch.ones(28, 28), torch.zeros(2, 3, 28, 28), torch.ones(2, 2, dtype=torch.int64), torch.tensor(float("nan")),
         torch.ones(0), nn.Linear(3, 2), "x" * 20_000, "cuda", "banana"]
# Functions that start long work (training, loading whole datasets, building widgets) get their own scenarios below.
LONG_WORK = {"main", "train_recipe", "load_data", "load_tensors", "channel_stats", "kernel_editor", "window_explorer",
             "conv_matrix_widget", "channels_widget", "pooling_widget", "feature_map_browser", "fit"}


class _Timeout(Exception):
    pass


def _alarm(*_: object) -> None:
    raise _Timeout


@contextlib.contextmanager
def _within(seconds: int):
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)


def _outcome(call) -> str:
    """'' when the call works or raises a sentence; otherwise what went wrong."""
    try:
        with _within(20), warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            call()
    except SENTENCES as e:
        message = str(e)
        return "" if len(message) < 700 else f"a message of {len(message)} characters"
    except _Timeout:
        return "no answer within 20 s"
    except Exception as e:
        return f"{type(e).__name__}: {str(e)[:120]}"
    finally:
        plt.close("all")
    return ""


def _public_functions():
    for module in (ops, models, data, train, features, viz, widgets, checks, utils, backprop):
        for name, fn in vars(module).items():
            if name.startswith("_") or name in LONG_WORK or not callable(fn):
                continue
            if getattr(fn, "__module__", "") != module.__name__ or (inspect.isclass(fn) and issubclass(fn, BaseException)):
                continue
            yield f"{module.__name__.split('.')[-1]}.{name}", fn


@pytest.fixture(autouse=True)
def one_thread(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # "3", "abc" or "cuda" is a valid file name: a checkpoint may be written there
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # thousands of tiny calls: one thread is faster than two
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("name, fn", list(_public_functions()), ids=lambda v: v if isinstance(v, str) else "")
def test_every_wrong_value_in_every_position_gets_a_sentence(name, fn):
    params = [p for p in inspect.signature(fn).parameters.values() if p.kind == p.POSITIONAL_OR_KEYWORD]
    required = len([p for p in params if p.default is p.empty])
    problems = []
    for position in range(min(len(params), 4)):
        for wrong in WRONG:
            args = [wrong if i == position else torch.ones(1, 1, 28, 28) for i in range(max(required, position + 1))]
            problem = _outcome(lambda: fn(*args))
            if problem:
                problems.append(f"{name}(argument {position} = {repr(wrong)[:30]}): {problem}")
    assert not problems, "\n".join(problems[:10])


def _lenet() -> nn.Module:
    torch.manual_seed(0)
    return models.materialize(models.LeNetModern(), (1, 1, 28, 28))


X, Y = torch.randn(40, 1, 28, 28, generator=torch.Generator().manual_seed(0)), torch.arange(40) % 10


def _fit_args() -> dict:
    model = _lenet()
    return dict(model=model, train_loader=data.TensorLoader(X, Y, 16), val_loader=None, epochs=1,
                optimizer=torch.optim.SGD(model.parameters(), lr=0.01), progress=False, checkpoint=None, device=None,
                scheduler=None, loss_fn=None, writer=None)


SCENARIOS = {  # a call with good arguments (it works), then each argument replaced by each wrong value
    "fit": (train.fit, _fit_args),
    "evaluate": (train.evaluate, lambda: dict(model=_lenet(), loader=data.TensorLoader(X, Y, 16), device=None)),
    "TensorLoader": (data.TensorLoader, lambda: dict(X=X, y=Y, batch_size=16, shuffle=False, seed=0, augment=None)),
    "load_data": (data.load_data, lambda: dict(name="fashion-mnist", batch_size=128, val_size=100, seed=0, device=None,
                                               quick=True, augment=None)),
    "Recipe.model": (lambda **k: train.RECIPES["vgg"].model(**k), lambda: dict(dataset="fashion-mnist")),
    "Recipe.optimizer": (lambda **k: train.RECIPES["vgg"].optimizer(**k),
                         lambda: dict(model=_lenet(), steps_per_epoch=10, epochs=2, lr=0.1)),
    "load_pretrained": (train.load_pretrained, lambda: dict(path="no-such-checkpoint.pt", model=_lenet())),
    "feature_map_browser": (widgets.feature_map_browser, lambda: dict(model=_lenet(), images=X[:4], labels=Y[:4],
                                                                      classes=[str(i) for i in range(10)])),
    "channels_widget": (widgets.channels_widget, lambda: dict(X=None)),
    "pooling_widget": (widgets.pooling_widget, lambda: dict(X=None)),
    "window_explorer": (widgets.window_explorer, lambda: dict(input_size=(8, 8), kernel_size=(3, 3), padding=(1, 1),
                                                              stride=(1, 1))),
    "conv_matrix_widget": (widgets.conv_matrix_widget, lambda: dict(input_size=5, kernel_size=3, padding=0, stride=1)),
    "kernel_editor": (widgets.kernel_editor, lambda: dict(preset="identity", photo_size=64)),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_one_wrong_keyword_at_a_time_gets_a_sentence(name, real_data_root, monkeypatch, tmp_path):
    monkeypatch.setenv("CNNLIB_DATA", str(real_data_root))
    monkeypatch.chdir(tmp_path)  # a checkpoint path that is text lands here, not in the repository
    fn, good = SCENARIOS[name]
    assert _outcome(lambda: fn(**good())) == ""  # the good call itself works
    problems = []
    for key in good():
        for wrong in WRONG:
            kwargs = {**good(), key: wrong}
            problem = _outcome(lambda: fn(**kwargs))
            if problem:
                problems.append(f"{name}({key}={repr(wrong)[:30]}): {problem}")
    assert not problems, "\n".join(problems[:10])


def test_the_sweep_itself_catches_a_traceback():
    assert _outcome(lambda: [][1]).startswith("IndexError")
    assert _outcome(lambda: (_ for _ in ()).throw(ValueError("a sentence"))) == ""
