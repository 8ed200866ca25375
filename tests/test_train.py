"""fit trains, resumes after an interruption to bit-identical weights, and refuses bad input clearly."""
from __future__ import annotations

import dataclasses
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

from cnnlib.data import TensorLoader
from cnnlib.train import (RECIPES, CheckpointError, History, TrainingDiverged, evaluate, fit, load_pretrained, main,
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
    with pytest.raises(TypeError, match="model must be a PyTorch model"):
        evaluate(lambda X: X, TensorLoader(*_data(8), 4))
    with pytest.raises(TypeError, match=r"loader must give \(X, y\) batches, such as TensorLoader"):
        evaluate(model, 3)
    with pytest.raises(ValueError, match=r"loader is empty \(0 batches\)"):
        evaluate(model, [])
    X, y = _data(8)
    with pytest.raises(ValueError, match=r"y \(the labels of a batch\) holds the label 7, but the model has 3 classes"):
        evaluate(model, TensorLoader(X, y + 5, 4))
    with pytest.raises(TypeError, match=r"X \(a batch from the loader\) must be a torch.Tensor, got list"):
        evaluate(model, [(X.tolist(), y)])
    with pytest.raises(ValueError, match="device must name a device such as 'cpu'"):
        evaluate(model, TensorLoader(X, y, 4), device="banana")


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
    assert set(state) == {"epoch", "model", "optimizer", "optimizer_class", "scheduler", "history", "rng"}
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
    before = {k: v.clone() for k, v in other.state_dict().items()}
    with pytest.raises(CheckpointError, match=r"holds another network than this Sequential .*delete .*The model was "
                                              r"not changed"):
        fit(other, TensorLoader(*_data(32), 16), epochs=2, optimizer=torch.optim.SGD(other.parameters(), lr=0.1),
            device="cpu", checkpoint=ckpt, progress=False)
    assert all(torch.equal(before[k], v) for k, v in other.state_dict().items())  # refused before any copy
    wider = _model()
    wider[4] = nn.Linear(4 * 8 * 8, 5)  # the same names, one shape differs: PyTorch would copy the rest first
    before = {k: v.clone() for k, v in wider.state_dict().items()}
    with pytest.raises(CheckpointError, match=r"'4.weight' has shape \(3, 256\) there and \(5, 256\) here"):
        load_pretrained(ckpt, wider)
    assert all(torch.equal(before[k], v) for k, v in wider.state_dict().items())
    assert isinstance(CheckpointError("x"), ValueError)


def test_resuming_with_another_optimizer_is_refused_before_training(tmp_path):
    ckpt = tmp_path / "m.pt"
    model, opt, _ = _setup()
    fit(model, TensorLoader(*_data(32), 16), epochs=1, optimizer=opt, device="cpu", checkpoint=ckpt, progress=False)
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    adam = torch.optim.Adam(model.parameters(), lr=1e-3)
    with pytest.raises(CheckpointError, match="saved with the optimizer SGD, this run uses Adam"):
        fit(model, TensorLoader(*_data(32), 16), epochs=2, optimizer=adam, device="cpu", checkpoint=ckpt,
            progress=False)
    assert all(torch.equal(weights[k], v) for k, v in model.state_dict().items())


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
    with pytest.raises(ValueError, match=r"epochs must be at least 1, got 0 \(the total number of epochs"):
        fit(model, loader, epochs=0, optimizer=opt)
    with pytest.raises(ValueError, match="epochs must be a whole number, got 2.5"):
        fit(model, loader, epochs=2.5, optimizer=opt)
    with pytest.raises(TypeError, match="model must be a PyTorch model"):
        fit("lenet", loader, epochs=1, optimizer=opt)
    with pytest.raises(ValueError, match=r"train_loader is empty \(0 batches\)"):
        fit(model, [], epochs=1, optimizer=opt)
    with pytest.raises(TypeError, match="optimizer must be a torch.optim optimizer"):
        fit(model, loader, epochs=1, optimizer=0.1)
    with pytest.raises(TypeError, match="scheduler must have a step"):
        fit(model, loader, epochs=1, optimizer=opt, scheduler="onecycle")
    with pytest.raises(ValueError, match="checkpoint must be a file path"):
        fit(model, loader, epochs=1, optimizer=opt, checkpoint=tmp_path)
    with pytest.raises(ValueError, match="device must name a device such as 'cpu', 'cuda' or 'mps', got 'banana'"):
        fit(model, loader, epochs=1, optimizer=opt, device="banana")
    with pytest.raises(ValueError, match="the optimizer's learning rate must be a finite number"):
        fit(model, loader, epochs=1, optimizer=torch.optim.SGD(model.parameters(), lr=float("inf")))
    with pytest.raises(ValueError, match="the optimizer holds none of this model's parameters"):
        fit(model, loader, epochs=1, optimizer=torch.optim.SGD(_model().parameters(), lr=0.1))
    with pytest.raises(TypeError, match="writer must be a TensorBoard SummaryWriter"):
        fit(model, loader, epochs=1, optimizer=opt, writer="runs/")
    with pytest.raises(TypeError, match="progress must be True or False"):
        fit(model, loader, epochs=1, optimizer=opt, progress="yes")


def test_fit_refuses_a_generator_that_would_run_out():
    model, opt, _ = _setup()
    batches = (batch for batch in TensorLoader(*_data(32), 16))  # a generator: one pass only
    with pytest.raises(TypeError, match="train_loader is a generator .* runs only once"):
        fit(model, batches, epochs=2, optimizer=opt, device="cpu", progress=False)


def test_fit_asks_to_materialize_lazy_layers():
    lazy = nn.Sequential(nn.Flatten(), nn.LazyLinear(3))
    opt = torch.optim.SGD(lazy.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"lazy layers .* call materialize\(model, X_shape\) first"):
        fit(lazy, TensorLoader(*_data(32), 16), epochs=1, optimizer=opt, device="cpu")


def test_a_diverging_run_stops_with_a_sentence_and_keeps_the_last_good_checkpoint(tmp_path):
    ckpt = tmp_path / "m.pt"
    model, opt, _ = _setup()
    explode = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1.0 if step < 2 else 1e7)  # lr 0.1, then 1e6
    with pytest.raises(TrainingDiverged, match=r"training diverged: the loss became (nan|inf) in epoch [2-9], batch \d "
                                               r"\(learning rate [\d.e+]+\); lower the learning rate, e\.g\. to [\d.e+]+, "
                                               r".*the checkpoint .*m.pt still holds the last good epoch"):
        fit(model, TensorLoader(*_data(32), 16), epochs=30, optimizer=opt, scheduler=explode, device="cpu",
            checkpoint=ckpt, progress=False)
    saved = torch.load(ckpt, weights_only=True)
    assert all(math.isfinite(x) for x in saved["history"]["train_loss"])  # no NaN epoch was saved
    assert all(torch.isfinite(w).all() for w in saved["model"].values())


def test_a_nan_pixel_is_named_as_the_cause_not_the_learning_rate():
    X, y = _data(32)
    X[20, 0, 3, 3] = float("nan")
    model, opt, _ = _setup()
    with pytest.raises(TrainingDiverged, match=r"epoch 1, batch 2: that batch holds NaN or infinite pixels"):
        fit(model, TensorLoader(X, y, 16), epochs=1, optimizer=opt, device="cpu", progress=False)


@pytest.mark.parametrize("X, y, error, match", [
    (_data(32)[0], _data(32)[1] + 3, ValueError, r"holds the label 5, but the model has 3 classes \(labels 0..2\)"),
    (_data(32)[0].repeat(1, 3, 1, 1), _data(32)[1], ValueError, r"Sequential expects images with 1 channel, a batch "
                                                                r"of shape \(B, 1, H, W\), got \(16, 3, 8, 8\)"),
    (_data(32)[0][:, 0], _data(32)[1], ValueError, r"got \(16, 8, 8\): these look like 16 images without a channel"),
    (_data(32)[0].double(), _data(32)[1], TypeError, r"Sequential holds torch.float32 weights but X .* is "
                                                     r"torch.float64; convert the images"),
])
def test_bad_data_is_refused_before_any_weight_changes(X, y, error, match):
    model, opt, _ = _setup()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(error, match=match):
        fit(model, TensorLoader(X, y, 16), epochs=1, optimizer=opt, device="cpu", progress=False)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_an_unwritable_checkpoint_folder_is_refused_before_training(tmp_path, monkeypatch):
    model, opt, _ = _setup()
    (tmp_path / "file.txt").write_text("not a folder")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(ValueError, match=r"the folder of checkpoint .*file.txt cannot be a folder: .*file.txt is a file"):
        fit(model, TensorLoader(*_data(32), 16), epochs=1, optimizer=opt, checkpoint=tmp_path / "file.txt" / "m.pt")

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("tempfile.TemporaryFile", read_only)
    with pytest.raises(ValueError, match=r"cannot write to the folder of checkpoint .* \(permission denied\)"):
        fit(model, TensorLoader(*_data(32), 16), epochs=1, optimizer=opt, checkpoint=tmp_path / "ro" / "m.pt")
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


@pytest.mark.parametrize("failure", [
    OSError(28, "No space left on device"),
    RuntimeError("[enforce fail at inline_container.cc:858] . PytorchStreamWriter failed writing file data/3: "
                 "file write failed"),
], ids=["ENOSPC", "enforce-fail"])
def test_a_full_disk_is_named_and_the_previous_checkpoint_is_kept(tmp_path, monkeypatch, failure):
    ckpt = tmp_path / "m.pt"
    model, opt, _ = _setup()
    fit(model, TensorLoader(*_data(32), 16), epochs=1, optimizer=opt, device="cpu", checkpoint=ckpt, progress=False)
    good = ckpt.read_bytes()

    def disk_full(obj, f, *args, **kwargs):
        Path(f).write_bytes(b"half a checkpoint")
        raise failure

    monkeypatch.setattr(torch, "save", disk_full)
    with pytest.raises(OSError, match=r"could not save the checkpoint .*m.pt: the disk is full .*The previous "
                                      r"checkpoint is unchanged"):
        fit(model, TensorLoader(*_data(32), 16), epochs=2, optimizer=opt, device="cpu", checkpoint=ckpt,
            progress=False)
    assert ckpt.read_bytes() == good and [p.name for p in tmp_path.iterdir()] == ["m.pt"]


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

@pytest.mark.parametrize("argv, message", [
    (["resnet9000"], "invalid choice: 'resnet9000'"),
    (["mlp", "--dataset", "svhn"], "invalid choice: 'svhn'"),
    (["mlp", "--epochs", "0"], "--epochs must be at least 1, got 0"),
    (["mlp", "--epochs", "ten"], "argument --epochs: invalid int value: 'ten'"),
    (["mlp", "--batch-size", "-4"], "--batch-size must be at least 1"),
    (["mlp", "--lr", "0"], "--lr must be positive"),
    (["mlp", "--lr", "inf"], "--lr must be a finite number"),
    (["mlp", "--lr", "nan"], "--lr must be a finite number"),
    (["mlp", "--seed", "-1"], "--seed must be at least 0, got -1"),
    (["mlp", "--out", "{file}"], "--out {file} cannot be a folder"),
    (["mlp", "--out", "{file}/sub"], "cannot be a folder"),
])
def test_cli_says_what_is_wrong_in_one_line_before_loading_data(argv, message, capsys, tmp_path):
    (tmp_path / "notes.txt").write_text("a file where a folder should be")
    argv = [a.replace("{file}", str(tmp_path / "notes.txt")) for a in argv]
    with pytest.raises(SystemExit) as exit_info:
        main(argv + ["--data-root", str(tmp_path / "no-data-here")])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.startswith("error: ") and err.count("\n") == 1, err  # one line, no usage block, no traceback
    assert message.replace("{file}", str(tmp_path / "notes.txt")) in err
    assert not (tmp_path / "no-data-here").exists()  # refused before any data was read or downloaded


def test_cli_refuses_an_unwritable_out_folder_before_training(capsys, tmp_path, monkeypatch):
    import tempfile as tf

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tf, "TemporaryFile", read_only)
    with pytest.raises(SystemExit) as exit_info:
        main(["mlp", "--out", str(tmp_path / "out"), "--data-root", str(tmp_path / "no-data-here")])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "error: cannot write to --out" in err and "permission denied" in err
    assert not (tmp_path / "no-data-here").exists()


def test_train_recipe_rejects_unknown_names_before_loading_anything(tmp_path):
    with pytest.raises(ValueError, match="unknown model 'vgg99'; known recipes: lenet, lenet-modern, vgg, resnet, resnet-plain, mlp, cnn"):
        train_recipe("vgg99", data_root=tmp_path)
    with pytest.raises(ValueError, match="unknown dataset 'svhn'; known datasets"):
        train_recipe("mlp", "svhn", data_root=tmp_path)
    with pytest.raises(ValueError, match="lr must be positive, such as 0.1, got -1"):
        train_recipe("mlp", lr=-1, data_root=tmp_path)
    with pytest.raises(ValueError, match="seed must be at least 0"):
        train_recipe("mlp", seed=-1, data_root=tmp_path)
    with pytest.raises(ValueError, match="epochs must be a whole number, got 1.5"):
        train_recipe("mlp", epochs=1.5, data_root=tmp_path)
    with pytest.raises(ValueError, match="augment must be one of none, flip, flip-crop, flip-erase, got 'mirror'"):
        train_recipe("mlp", augment="mirror", data_root=tmp_path)
    with pytest.raises(ValueError, match="label_smoothing must be at most 0.99, got 1"):
        train_recipe("mlp", label_smoothing=1, data_root=tmp_path)
    with pytest.raises(TypeError, match="label_smoothing must be a number"):
        train_recipe("mlp", label_smoothing="0.1", data_root=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_recipe_variant_changes_one_setting_and_names_its_checkpoint_after_it():
    from cnnlib.data import random_flip
    from cnnlib.train import _variant

    recipe = RECIPES["lenet-modern"]
    same, suffix = _variant(recipe, None, None)
    assert same == recipe and suffix == ""
    no_flips, suffix = _variant(recipe, "none", None)
    assert no_flips.augment is None and suffix == ("-augment-none" if recipe.augment else "")
    assert no_flips.label_smoothing == recipe.label_smoothing and no_flips.lr == recipe.lr
    smooth, suffix = _variant(RECIPES["mlp"], "flip", 0.2)
    assert (smooth.augment, smooth.label_smoothing, suffix) == (random_flip, 0.2, "-augment-flip-label-smoothing-0.2")


def test_the_training_loss_is_cross_entropy_with_the_recipes_label_smoothing():
    logits, y = torch.tensor([[2.0, 0.0, -1.0]]), torch.tensor([0])
    smooth = dataclasses.replace(RECIPES["mlp"], label_smoothing=0.3).loss_fn()
    target = torch.tensor([[1 - 0.3 + 0.1, 0.1, 0.1]])  # 1 - s + s/K for the label, s/K for the other K - 1
    assert torch.allclose(smooth(logits, y), -(target * logits.log_softmax(dim=1)).sum())
    assert RECIPES["mlp"].loss_fn()(logits, y) == torch.nn.functional.cross_entropy(logits, y)


def test_recipes_build_a_model_and_optimizer_per_dataset():
    recipe = RECIPES["mlp"]
    model = recipe.model()
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    assert recipe.model("fashion-mnist")(torch.zeros(2, 1, 28, 28)).shape == (2, 10)  # in_features follows the data
    opt, sched = recipe.optimizer(model, steps_per_epoch=10, epochs=2)
    assert opt.defaults["lr"] == 1e-3 and opt.defaults["momentum"] == 0.9 and sched is None
    assert recipe.batch_size == 64 and recipe.dataset == "cifar10"
    opt, sched = RECIPES["vgg"].optimizer(RECIPES["vgg"].model(), steps_per_epoch=10)
    assert sched.total_steps == 10 * RECIPES["vgg"].epochs  # one-cycle over the recipe's epochs
    with pytest.raises(ValueError, match="steps_per_epoch must be at least 1"):
        recipe.optimizer(model, steps_per_epoch=0)


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
