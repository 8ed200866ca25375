"""Every recipe trains through the command line in quick mode, prints one true JSON line, and writes a checkpoint
that loads into the notebook's model. Each recipe is trained once per test session (the slow part of the suite)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cnnlib.data import DATASETS, load_data
from cnnlib.features import accuracy
from cnnlib.train import AUGMENTATIONS, RECIPES, evaluate, load_pretrained
from cnnlib.utils import set_seed

REPO = Path(__file__).resolve().parents[1]
KEYS = {"model", "dataset", "epochs", "seed", "augment", "label_smoothing", "test_accuracy", "test_accuracy_mirrored",
        "val_accuracy", "train_accuracy", "seconds", "images_per_sec", "quick", "checkpoint"}
# One quick epoch (2,000 images, seeds 1-3: lowest test accuracy 0.36 for the modern LeNet's 8 batches of 256, 0.42
# for the other Fashion-MNIST recipes, 0.25 for the CIFAR-10 MLP)
# beats guessing (0.10) clearly. The sigmoid LeNet's slow start is the point notebook 06 makes, and the CIFAR-10 CNN's
# one-cycle schedule needs more than 8 steps to rise and fall (0.10-0.14), so those two only have to reproduce their
# own numbers (the next test).
BETTER_THAN_CHANCE = {"lenet-modern": 0.3, "vgg": 0.3, "resnet": 0.3, "resnet-plain": 0.3, "mlp": 0.18}


@pytest.fixture(scope="session")
def cli_runs(real_data_root, tmp_path_factory) -> dict:
    """{recipe: (its JSON line, everything else it printed)} of `python -m cnnlib.train RECIPE --seed 1` in quick mode, run once."""
    out = tmp_path_factory.mktemp("cli-checkpoints")
    env = {**os.environ, "CNNLIB_QUICK": "1"}
    runs = {}
    for model in RECIPES:
        cmd = [sys.executable, "-m", "cnnlib.train", model, "--seed", "1", "--data-root", str(real_data_root),
               "--out", str(out)]
        run = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr[-2000:]
        runs[model] = json.loads(run.stdout.strip().splitlines()[-1]), run.stderr + run.stdout
    return runs


@pytest.mark.parametrize("model", list(RECIPES))
def test_each_recipe_trains_one_quick_epoch_through_the_cli(model, cli_runs):
    result, printed = cli_runs[model]
    assert set(result) == KEYS
    assert {"model": model, "dataset": RECIPES[model].dataset, "epochs": 1, "seed": 1, "quick": True,
            "label_smoothing": RECIPES[model].label_smoothing}.items() <= result.items()
    assert AUGMENTATIONS[result["augment"]] is RECIPES[model].augment
    assert printed.startswith("QUICK MODE") and "epoch 1/1: train loss" in printed  # the banner, one line per epoch
    assert result["seconds"] > 0 and result["images_per_sec"] > 0 and Path(result["checkpoint"]).is_file()
    if model in BETTER_THAN_CHANCE:
        assert min(result["test_accuracy"], result["val_accuracy"]) > BETTER_THAN_CHANCE[model], result


@pytest.mark.parametrize("model", list(RECIPES))
def test_a_cli_checkpoint_loads_into_the_notebooks_model_and_reproduces_its_numbers(model, cli_runs, real_data_root):
    result, _ = cli_runs[model]
    set_seed(5)  # other initial weights than the run's: everything below must come from the checkpoint
    notebook_model = RECIPES[model].model(result["dataset"])  # what the notebook's PRETRAINED cell loads into
    history = load_pretrained(result["checkpoint"], notebook_model)
    assert len(history) == 1 and history.val_acc[-1] == pytest.approx(result["val_accuracy"], abs=1e-4)
    data = load_data(result["dataset"], batch_size=256, val_size=5000, seed=1, root=real_data_root)
    assert evaluate(notebook_model, data.test)[1] == pytest.approx(result["test_accuracy"], abs=1e-4)
    mirrored = accuracy(notebook_model, *data.test.tensors(), mirrored=True)
    assert mirrored == pytest.approx(result["test_accuracy_mirrored"], abs=1e-4)
    clean_train = accuracy(notebook_model, *data.train.tensors())  # the training images without augmentation
    assert clean_train == pytest.approx(result["train_accuracy"], abs=1e-4)


def test_the_dataset_can_be_overridden(real_data_root, tmp_path):
    env = {**os.environ, "CNNLIB_QUICK": "1"}
    cmd = [sys.executable, "-m", "cnnlib.train", "mlp", "--dataset", "fashion-mnist", "--epochs", "1",
           "--data-root", str(real_data_root), "--out", str(tmp_path), "--no-progress"]
    run = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert {"model": "mlp", "dataset": "fashion-mnist", "epochs": 1, "seed": 0}.items() <= result.items()
    assert result["test_accuracy"] > 0.5  # an MLP on 2,000 Fashion-MNIST images, one epoch
    assert "epoch 1/1" not in run.stderr  # --no-progress
    assert (tmp_path / "mlp-fashion-mnist-seed0.pt").is_file()


def test_augment_and_label_smoothing_change_the_recipe_for_one_run(real_data_root, tmp_path):
    env = {**os.environ, "CNNLIB_QUICK": "1"}
    cmd = [sys.executable, "-m", "cnnlib.train", "mlp", "--augment", "flip", "--label-smoothing", "0.1",
           "--data-root", str(real_data_root), "--out", str(tmp_path), "--no-progress"]
    run = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert (result["augment"], result["label_smoothing"]) == ("flip", 0.1)
    assert (tmp_path / "mlp-augment-flip-label-smoothing-0.1-cifar10-seed0.pt").is_file()  # not the recipe's own
    for bad, message in ((["--label-smoothing", "1.5"], "error: --label-smoothing must be at most 0.99, got 1.5"),
                         (["--augment", "mirror"], "error: argument --augment: invalid choice: 'mirror'")):
        run = subprocess.run(cmd[:4] + bad + cmd[8:], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
        assert run.returncode == 2 and run.stderr.startswith(message), run.stderr


def test_every_recipe_names_a_known_dataset():
    assert {r.dataset for r in RECIPES.values()} <= set(DATASETS)
    assert RECIPES["mlp"].dataset == RECIPES["cnn"].dataset == "cifar10"


def test_full_mode_defaults_are_the_notebooks_settings():
    same = ("dataset", "lr", "batch_size", "epochs", "momentum", "weight_decay", "one_cycle", "augment",
            "channels_last", "label_smoothing")
    lenet, modern = RECIPES["lenet"], RECIPES["lenet-modern"]
    assert [getattr(lenet, k) for k in same] == [getattr(modern, k) for k in same]  # 06: "trained the same way"
    resnet, plain = RECIPES["resnet"], RECIPES["resnet-plain"]
    assert [getattr(resnet, k) for k in same] == [getattr(plain, k) for k in same]  # 08: only the skips differ
    mlp = RECIPES["mlp"]
    assert (mlp.lr, mlp.momentum, mlp.batch_size, mlp.epochs) == (1e-3, 0.9, 64, 5)  # the lecture's MLP
    assert RECIPES["cnn"].augment.__name__ == "random_flip_crop"                    # 09: flips and crops
