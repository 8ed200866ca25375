"""Every recipe of cnnlib.train runs through the command line in quick mode and prints its JSON line."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cnnlib.data import DATASETS
from cnnlib.train import DEFAULT_DATASETS, RECIPES

REPO = Path(__file__).resolve().parents[1]
KEYS = {"model", "dataset", "epochs", "seed", "test_accuracy", "test_accuracy_mirrored", "val_accuracy", "seconds",
        "images_per_sec", "quick", "checkpoint"}


@pytest.mark.parametrize("model", sorted(RECIPES))
def test_each_recipe_trains_one_quick_epoch_through_the_cli(model, real_data_root, tmp_path):
    env = {**os.environ, "CNNLIB_QUICK": "1"}
    cmd = [sys.executable, "-m", "cnnlib.train", model, "--seed", "1", "--data-root", str(real_data_root),
           "--out", str(tmp_path), "--no-progress"]
    run = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert set(result) == KEYS
    dataset = DEFAULT_DATASETS.get(model, "fashion-mnist")  # no --dataset: the notebook's dataset
    assert {"model": model, "dataset": dataset, "epochs": 1, "seed": 1, "quick": True}.items() <= result.items()
    assert 0 <= result["test_accuracy"] <= 1 and 0 <= result["val_accuracy"] <= 1
    assert 0 <= result["test_accuracy_mirrored"] <= 1
    assert result["seconds"] > 0 and result["images_per_sec"] > 0
    assert Path(result["checkpoint"]).is_file()


def test_every_recipe_names_a_known_default_dataset():
    assert set(DEFAULT_DATASETS) <= set(RECIPES)
    assert set(DEFAULT_DATASETS.values()) <= set(DATASETS)
    assert DEFAULT_DATASETS["mlp"] == "cifar10" and DEFAULT_DATASETS["cnn"] == "cifar10"


def test_full_mode_defaults_are_the_notebooks_settings():
    info = DATASETS["fashion-mnist"]
    lenet, modern = RECIPES["lenet"](info), RECIPES["lenet-modern"](info)
    same = ("lr", "batch_size", "epochs", "momentum", "weight_decay", "one_cycle", "augment")
    assert [getattr(lenet, k) for k in same] == [getattr(modern, k) for k in same]  # 06: "trained the same way"
    resnet, plain = RECIPES["resnet"](info), RECIPES["resnet-plain"](info)
    assert [getattr(resnet, k) for k in same] == [getattr(plain, k) for k in same]  # 08: only the skips differ
    mlp = RECIPES["mlp"](DATASETS["cifar10"])
    assert (mlp.lr, mlp.momentum, mlp.batch_size, mlp.epochs) == (1e-3, 0.9, 64, 5)  # the lecture's MLP
    assert RECIPES["cnn"](DATASETS["cifar10"]).augment                             # 09: flips and crops
