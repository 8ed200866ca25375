"""fit trains, resumes after an interruption to bit-identical weights, and refuses bad input clearly."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

from cnnlib.data import DATASETS, TensorLoader, load_data
from cnnlib.features import accuracy
from cnnlib.train import (RECIPES, CheckpointError, History, evaluate, fit, load_pretrained, main,
                          train_recipe)
from cnnlib.utils import set_seed
from cnnlib.viz import plot_history

REPO = Path(__file__).resolve().parents[1]


def _data(n: int = 96, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Tiny 1x8x8 images whose class (0, 1, 2) is set by the brightness of the top, middle or bottom rows."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (n,), generator=g)
    X = 0.5 * torch.randn(n, 1, 8, 8, generator=g)
    for c in range(3):
        X[y == c, :, 3 * c:3 * c + 2, :] += 1.0
    return X, y


def _model() -> nn.Module:
    """A small CNN with dropout, so resuming must also restore the random number generator."""
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),  # (N, 256)
                         nn.Dropout(0.3), nn.Linear(4 * 8 * 8, 3))                  # (N, 3)


def _setup(seed: int = 0, epochs: int = 3, steps_per_epoch: int = 6):
    """Model, SGD with momentum and a per-batch OneCycle schedule: every piece of state a resume must restore."""
    set_seed(seed)
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.2, epochs=epochs, steps_per_epoch=steps_per_epoch)
    return model, opt, sched


class InterruptedLoader(TensorLoader):
    """A TensorLoader that raises KeyboardInterrupt (Ctrl-C) after `batches` batches of epoch `epoch`."""

    def __init__(self, *args, epoch: int, batches: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.stop_epoch, self.stop_batches = epoch, batches

    def __iter__(self):
        epoch = self.epoch
        for i, batch in enumerate(super().__iter__()):
            if epoch == self.stop_epoch and i == self.stop_batches:
                raise KeyboardInterrupt
            yield batch


# ---------------------------------------------------------------- training and evaluation

def test_fit_learns_a_simple_problem_and_records_history():
    X, y = _data()
    model, opt, sched = _setup(epochs=5)
    train = TensorLoader(X, y, batch_size=16, shuffle=True)
    history = fit(model, train, TensorLoader(*_data(48, seed=1), 16), epochs=5, optimizer=opt, scheduler=sched,
                  device="cpu", progress=False)
    assert history.epoch == [0, 1, 2, 3, 4]
    assert history.train_loss[-1] < history.train_loss[0]
    assert history.val_acc[-1] > 0.9
    assert all(s > 0 for s in history.seconds) and all(r > 0 for r in history.images_per_sec)


def test_fit_without_validation_records_nan():
    model, opt, _ = _setup()
    history = fit(model, TensorLoader(*_data(32), 16), epochs=1, optimizer=opt, device="cpu", progress=False)
    assert math.isnan(history.val_loss[0]) and math.isnan(history.val_acc[0])


def test_evaluate_averages_over_examples_not_batches():
    X, y = _data(50)
    model = _model().train()
    loss, acc = evaluate(model, TensorLoader(X, y, batch_size=16))  # batches of 16, 16, 16, 2
    model.eval()
    with torch.no_grad():
        y_hat = model(X)
    assert loss == pytest.approx(nn.functional.cross_entropy(y_hat, y).item(), rel=1e-5)
    assert acc == pytest.approx((y_hat.argmax(1) == y).float().mean().item())
    assert model.training is False  # we switched it ourselves above; evaluate restores whatever mode it found


def test_evaluate_restores_training_mode_and_rejects_bad_input():
    model = _model().train()
    evaluate(model, TensorLoader(*_data(8), 4))
    assert model.training
    with pytest.raises(TypeError, match="model must be a torch nn.Module"):
        evaluate(lambda X: X, TensorLoader(*_data(8), 4))
    with pytest.raises(TypeError, match="loader must be an iterable of"):
        evaluate(model, 3)
    with pytest.raises(ValueError, match=r"loader is empty \(0 batches\)"):
        evaluate(model, [])


def test_fit_logs_the_lectures_tensorboard_tags():
    class Writer:
        def __init__(self):
            self.scalars = []

        def add_scalar(self, tag, value, step):
            self.scalars.append((tag, step))

    writer, (model, opt, _) = Writer(), _setup()
    fit(model, TensorLoader(*_data(32), 16), TensorLoader(*_data(16), 16), epochs=2, optimizer=opt,
        device="cpu", progress=False, writer=writer)
    assert {"Train/loss", "Valid/loss", "Valid/accuracy"} <= {tag for tag, _ in writer.scalars}
    assert ("Valid/accuracy", 1) in writer.scalars


def test_history_round_trips_through_plain_numbers():
    h = History()
    h.append(epoch=0, train_loss=torch.tensor(1.5).item(), train_acc=0.5, val_loss=1.0, val_acc=0.6,
             seconds=2, images_per_sec=100)
    d = h.to_dict()
    assert all(type(v) in (int, float) for values in d.values() for v in values)
    assert History.from_dict(d) == h and len(h) == 1
    with pytest.raises(ValueError, match="needs exactly the keys"):
        History.from_dict({"epoch": [0]})
    with pytest.raises(ValueError, match="lists of equal length"):
        History.from_dict({**d, "epoch": [0, 1]})
    with pytest.raises(ValueError, match="needs exactly the fields"):
        h.append(epoch=1, train_loss=0.1)


# ---------------------------------------------------------------- checkpoint and resume

@pytest.mark.parametrize("stop_after_batches", [0, 2], ids=["at-epoch-start", "mid-epoch"])
def test_resume_after_interruption_gives_bit_identical_weights(tmp_path, stop_after_batches):
    X, y = _data()
    val = TensorLoader(*_data(32, seed=1), 16)

    model_a, opt_a, sched_a = _setup()  # the uninterrupted run
    fit(model_a, TensorLoader(X, y, 16, shuffle=True, seed=5), val, epochs=3, optimizer=opt_a, scheduler=sched_a,
        device="cpu", progress=False)

    ckpt = tmp_path / "run" / "model.pt"
    model_b, opt_b, sched_b = _setup()  # Ctrl-C during the third epoch
    interrupted = InterruptedLoader(X, y, 16, shuffle=True, seed=5, epoch=2, batches=stop_after_batches)
    with pytest.raises(KeyboardInterrupt):
        fit(model_b, interrupted, val, epochs=3, optimizer=opt_b, scheduler=sched_b, device="cpu",
            checkpoint=ckpt, progress=False)
    assert torch.load(ckpt, weights_only=True)["epoch"] == 1  # epochs 0 and 1 were saved

    model_c, opt_c, sched_c = _setup(seed=123)  # a new process: other weights, other RNG state
    history = fit(model_c, TensorLoader(X, y, 16, shuffle=True, seed=5), val, epochs=3, optimizer=opt_c,
                  scheduler=sched_c, device="cpu", checkpoint=ckpt, progress=False)
    assert history.epoch == [0, 1, 2]
    state_a, state_c = model_a.state_dict(), model_c.state_dict()
    assert all(torch.equal(state_a[k], state_c[k]) for k in state_a)
    assert sched_c.last_epoch == sched_a.last_epoch == 18


def test_checkpoint_is_written_atomically_and_loads_with_weights_only(tmp_path):
    model, opt, sched = _setup(epochs=2, steps_per_epoch=2)
    fit(model, TensorLoader(*_data(32), 16), epochs=2, optimizer=opt, scheduler=sched, device="cpu",
        checkpoint=tmp_path / "m.pt", progress=False)
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]  # no temporary file left behind
    state = torch.load(tmp_path / "m.pt", weights_only=True)
    assert set(state) == {"epoch", "model", "optimizer", "scheduler", "history", "rng"}
    assert state["epoch"] == 1 and History.from_dict(state["history"]).epoch == [0, 1]


@pytest.mark.parametrize("content", [b"", b"not a checkpoint at all", "truncated"])
def test_corrupt_checkpoint_raises_checkpoint_error(tmp_path, content):
    ckpt = tmp_path / "m.pt"
    if content == "truncated":
        model, opt, _ = _setup()
        fit(model, TensorLoader(*_data(32), 16), epochs=1, optimizer=opt, device="cpu", checkpoint=ckpt,
            progress=False)
        content = ckpt.read_bytes()[:200]
    ckpt.write_bytes(content)
    model, opt, _ = _setup()
    with pytest.raises(CheckpointError, match=rf"cannot read the checkpoint {ckpt}.*delete .* to start over"):
        fit(model, TensorLoader(*_data(32), 16), epochs=2, optimizer=opt, device="cpu", checkpoint=ckpt,
            progress=False)


def test_checkpoint_of_another_architecture_raises_checkpoint_error(tmp_path):
    ckpt = tmp_path / "m.pt"
    model, opt, _ = _setup()
    fit(model, TensorLoader(*_data(32), 16), epochs=1, optimizer=opt, device="cpu", checkpoint=ckpt, progress=False)
    other = nn.Sequential(nn.Flatten(), nn.Linear(64, 3))
    with pytest.raises(CheckpointError, match=r"does not fit this Sequential .*another architecture.*delete"):
        fit(other, TensorLoader(*_data(32), 16), epochs=2, optimizer=torch.optim.SGD(other.parameters(), lr=0.1),
            device="cpu", checkpoint=ckpt, progress=False)
    assert isinstance(CheckpointError("x"), ValueError)


def test_finished_or_mismatched_checkpoint_raises_checkpoint_error(tmp_path):
    ckpt = tmp_path / "m.pt"
    model, opt, sched = _setup(epochs=2, steps_per_epoch=2)
    fit(model, TensorLoader(*_data(32), 16), epochs=2, optimizer=opt, scheduler=sched, device="cpu",
        checkpoint=ckpt, progress=False)
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    again = fit(model, TensorLoader(*_data(32), 16), epochs=2, optimizer=opt, scheduler=sched, device="cpu",
                checkpoint=ckpt, progress=False)  # a finished run re-run: loads, trains nothing
    assert len(again) == 2 and all(torch.equal(v, model.state_dict()[k]) for k, v in weights.items())
    with pytest.raises(CheckpointError, match="already holds 2 completed epochs but you asked for epochs=1"):
        fit(model, TensorLoader(*_data(32), 16), epochs=1, optimizer=opt, scheduler=sched, device="cpu",
            checkpoint=ckpt, progress=False)
    with pytest.raises(CheckpointError, match="saved with a scheduler, but this run has none"):
        fit(model, TensorLoader(*_data(32), 16), epochs=5, optimizer=opt, device="cpu", checkpoint=ckpt,
            progress=False)
    torch.save({"weights": torch.zeros(3)}, ckpt)
    with pytest.raises(CheckpointError, match="is not a checkpoint written by cnnlib.train.fit"):
        fit(model, TensorLoader(*_data(32), 16), epochs=5, optimizer=opt, device="cpu", checkpoint=ckpt,
            progress=False)


# ---------------------------------------------------------------- fit's boundary

def test_fit_rejects_bad_arguments_before_training(tmp_path):
    model, opt, _ = _setup()
    loader = TensorLoader(*_data(32), 16)
    with pytest.raises(ValueError, match="epochs must be a positive int .* got 0"):
        fit(model, loader, epochs=0, optimizer=opt)
    with pytest.raises(TypeError, match="model must be a torch nn.Module"):
        fit("lenet", loader, epochs=1, optimizer=opt)
    with pytest.raises(ValueError, match=r"train_loader is empty \(0 batches\)"):
        fit(model, [], epochs=1, optimizer=opt)
    with pytest.raises(TypeError, match="optimizer must be a torch.optim optimizer"):
        fit(model, loader, epochs=1, optimizer=0.1)
    with pytest.raises(TypeError, match="scheduler must have a step"):
        fit(model, loader, epochs=1, optimizer=opt, scheduler="onecycle")
    with pytest.raises(ValueError, match="checkpoint must be a file path"):
        fit(model, loader, epochs=1, optimizer=opt, checkpoint=tmp_path)


def test_fit_explains_a_generator_that_runs_out():
    model, opt, _ = _setup()
    batches = (batch for batch in TensorLoader(*_data(32), 16))  # a generator: one pass only
    with pytest.raises(ValueError, match="gave no batches in epoch 2; a generator runs only once"):
        fit(model, batches, epochs=2, optimizer=opt, device="cpu", progress=False)


def test_fit_asks_to_materialize_lazy_layers():
    lazy = nn.Sequential(nn.Flatten(), nn.LazyLinear(3))
    opt = torch.optim.SGD(lazy.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"lazy layers .* call cnnlib.models.materialize\(model, X_shape\)"):
        fit(lazy, TensorLoader(*_data(32), 16), epochs=1, optimizer=opt, device="cpu")


# ---------------------------------------------------------------- plot_history

def test_plot_history_draws_loss_and_accuracy_with_labels():
    h = History(epoch=[0, 1], train_loss=[1.0, 0.5], train_acc=[0.5, 0.8], val_loss=[1.1, 0.7],
                val_acc=[0.4, 0.7], seconds=[1.0, 1.0], images_per_sec=[10.0, 10.0])
    fig = plot_history(h, title="LeNet on Fashion-MNIST")
    assert isinstance(fig, Figure) and fig.get_suptitle() == "LeNet on Fashion-MNIST"
    ax_loss, ax_acc = fig.axes
    assert ax_loss.get_xlabel() == ax_acc.get_xlabel() == "epoch"
    assert "loss" in ax_loss.get_ylabel() and "accuracy" in ax_acc.get_ylabel()
    assert [t.get_text() for t in ax_acc.get_legend().get_texts()] == ["train acc", "validation acc"]
    assert list(ax_loss.lines[0].get_xdata()) == [1, 2]


def test_plot_history_skips_missing_validation_and_rejects_bad_input():
    h = History(epoch=[0], train_loss=[1.0], train_acc=[0.5], val_loss=[math.nan], val_acc=[math.nan],
                seconds=[1.0], images_per_sec=[10.0])
    assert len(plot_history(h.to_dict()).axes[0].lines) == 1
    with pytest.raises(TypeError, match="expects the History returned by cnnlib.train.fit"):
        plot_history([1.0, 0.5])
    with pytest.raises(ValueError, match="the history is empty"):
        plot_history(History())
    with pytest.raises(TypeError, match="got dict"):
        plot_history({"loss": [1.0]})


# ---------------------------------------------------------------- the command line

def test_cli_trains_in_quick_mode_and_prints_one_json_line(real_data_root, tmp_path):
    env = {**os.environ, "CNNLIB_QUICK": "1"}
    cmd = [sys.executable, "-m", "cnnlib.train", "mlp", "--dataset", "fashion-mnist", "--epochs", "1",
           "--data-root", str(real_data_root), "--out", str(tmp_path)]
    run = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert {"model": "mlp", "dataset": "fashion-mnist", "epochs": 1, "seed": 0}.items() <= result.items()
    assert 0.3 < result["test_accuracy"] <= 1 and result["seconds"] > 0 and result["images_per_sec"] > 0
    assert (tmp_path / "mlp-fashion-mnist-seed0.pt").is_file()


def test_cli_rejects_bad_arguments(capsys):
    for argv, message in [(["resnet9000"], "invalid choice: 'resnet9000'"),
                          (["mlp", "--dataset", "svhn"], "invalid choice: 'svhn'"),
                          (["mlp", "--epochs", "0"], "--epochs must be at least 1, got 0"),
                          (["mlp", "--batch-size", "-4"], "--batch-size must be at least 1"),
                          (["mlp", "--lr", "0"], "--lr must be positive")]:
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_train_recipe_rejects_unknown_names_before_loading_anything(tmp_path):
    with pytest.raises(ValueError, match="unknown model 'vgg99'; known recipes: lenet, lenet-modern, vgg, resnet, resnet-plain, mlp, cnn"):
        train_recipe("vgg99", data_root=tmp_path)
    with pytest.raises(ValueError, match="unknown dataset 'svhn'; known datasets"):
        train_recipe("mlp", "svhn", data_root=tmp_path)
    with pytest.raises(ValueError, match="lr must be positive, got -1"):
        train_recipe("mlp", lr=-1, data_root=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_recipes_build_a_model_and_optimizer_per_dataset():
    from cnnlib.data import DATASETS
    recipe = RECIPES["mlp"](DATASETS["cifar10"])
    assert recipe.model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    opt, sched = recipe.build_optimizer(steps_per_epoch=10, epochs=2)
    assert opt.defaults["lr"] == 1e-3 and opt.defaults["momentum"] == 0.9 and sched is None
    assert recipe.batch_size == 64


# ---------------------------------------------------------------- PRETRAINED: load a finished checkpoint

def test_load_pretrained_restores_the_trained_weights_and_history(tmp_path):
    ckpt = tmp_path / "m.pt"
    model, opt, _ = _setup()
    history = fit(model, TensorLoader(*_data(32), 16), TensorLoader(*_data(16, seed=1), 16), epochs=2,
                  optimizer=opt, device="cpu", checkpoint=ckpt, progress=False)
    fresh, _, _ = _setup(seed=1)
    assert not torch.equal(fresh[0].weight, model[0].weight)
    loaded = load_pretrained(ckpt, fresh)
    assert loaded.to_dict() == history.to_dict()
    assert all(torch.equal(a, b) for a, b in zip(fresh.state_dict().values(), model.state_dict().values()))


def test_load_pretrained_explains_a_missing_corrupt_or_foreign_checkpoint(tmp_path):
    model, opt, _ = _setup()
    with pytest.raises(FileNotFoundError, match=r"PRETRAINED checkpoint .*missing.pt does not exist; train one"):
        load_pretrained(tmp_path / "missing.pt", model)
    (tmp_path / "junk.pt").write_bytes(b"junk")
    with pytest.raises(CheckpointError, match=r"cannot read the checkpoint .*junk.pt"):
        load_pretrained(tmp_path / "junk.pt", model)
    torch.save({"weights": torch.zeros(1)}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match=r"not a checkpoint written by cnnlib.train.fit"):
        load_pretrained(tmp_path / "other.pt", model)
    fit(model, TensorLoader(*_data(32), 16), epochs=1, optimizer=opt, device="cpu", checkpoint=tmp_path / "m.pt",
        progress=False)
    with pytest.raises(CheckpointError, match=r"holds another network than this Sequential"):
        load_pretrained(tmp_path / "m.pt", nn.Sequential(nn.Flatten(), nn.Linear(64, 3)))


@pytest.mark.parametrize("model", ["lenet-modern", "vgg", "resnet", "cnn"])
def test_a_cli_checkpoint_loads_into_the_notebooks_model(model, real_data_root, tmp_path, monkeypatch):
    monkeypatch.setenv("CNNLIB_QUICK", "1")
    result = train_recipe(model, epochs=1, data_root=real_data_root, out=tmp_path, progress=False)
    info = DATASETS[result["dataset"]]
    set_seed(5)
    notebook_model = RECIPES[model](info).model  # what the notebook's PRETRAINED cell loads into
    history = load_pretrained(result["checkpoint"], notebook_model)
    assert len(history) == 1 and history.val_acc[-1] == pytest.approx(result["val_accuracy"], abs=1e-4)
    data = load_data(result["dataset"], batch_size=256, val_size=5000, root=real_data_root)
    assert evaluate(notebook_model, data.test)[1] == pytest.approx(result["test_accuracy"], abs=1e-4)
    mirrored = accuracy(notebook_model, data.test.X, data.test.y, mirrored=True)
    assert mirrored == pytest.approx(result["test_accuracy_mirrored"], abs=1e-4)
