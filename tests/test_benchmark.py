"""tools/benchmark.py's roofline arithmetic and its summaries (the measurements themselves are not unit-tested)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cnnlib.train import main as train_cli

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import benchmark  # noqa: E402  (tools/ is not a package)


def test_lenet_training_flops_per_image_match_the_count_by_hand():
    # forward multiply-adds: conv1 6*28*28 outputs * 25 taps, conv2 16*10*10 * 150, the Linear layers 400*120 + 120*84
    # + 84*10; a training step does each three times (forward, weight gradient, input gradient) but the first
    # convolution's input gradient, which nothing needs; 2 FLOPs per multiply-add.
    conv1, rest = 6 * 28 * 28 * 25, 16 * 10 * 10 * 150 + 400 * 120 + 120 * 84 + 84 * 10
    assert benchmark.train_flops_per_image("lenet") == 2 * (2 * conv1 + 3 * rest) == 2_263_920
    assert benchmark.train_flops_per_image("lenet-modern") == 2_263_920  # BatchNorm and ReLU are not counted


def test_the_table_gains_the_roofline_columns():
    run = {"model": "lenet", "dataset": "fashion-mnist", "test_accuracy": 0.84, "epochs": 12, "seconds": 29.0,
           "process_seconds": 32.0, "images_per_sec": 10_000.0}
    roof = {"sgemm_gflops": 90.5, "sgemm_gflops_after": 91.0, "torch_threads": 2, "date": "2026-12-02",
            "models": {"lenet": {"mflop_per_image": 2.264, "step_images_per_sec": 10_000, "gflops": 22.6}}}
    lines = benchmark.table([run], roof).splitlines()
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    row = [cell.strip() for cell in lines[2].strip("|").split("|")]
    assert header[11:13] == ["GFLOP/s", "% of SGEMM"] and len(row) == len(header)
    assert row[11:13] == ["23", "25%"]  # 22.6 GFLOP/s of SGEMM's 90.5
    assert benchmark.table([run]).splitlines()[2].split("|")[12:14] == [" — ", " — "]  # no roofline run: no cells
    assert benchmark.roofline_table(roof).splitlines()[-1] == "| `lenet` | 2.26 | 10,000 | 23 | 25% |"


def test_sgemm_gflops_is_a_positive_rate():
    assert benchmark.sgemm_gflops(n=64, repeats=3) > 0


def test_the_lecture_lenet_summary_says_how_many_times_faster():
    run = {"target": 0.8123, "lecture_seconds": 300.0, "times_faster": 12.5, "modern_epochs_to_target": 2,
           "modern_seconds_to_target": 24.0,
           "lecture": {"recipe": "d2l LeNet", "seconds": [30.0] * 10},
           "modern": {"recipe": "lenet-modern", "test_accuracy": [0.80, 0.85]}}
    assert benchmark.lecture_summary(run).splitlines() == [
        "d2l LeNet: test accuracy 0.8123 after 300 s of training (30.0 s per epoch)",
        "lenet-modern: reached it after epoch 2, 24 s of training: 12.5x faster"]
    never = {**run, "times_faster": None}
    assert benchmark.lecture_summary(never).splitlines()[1] == "lenet-modern: never reached it (best 0.8500)"


def test_the_ablation_table_pairs_each_seed_with_and_without_the_technique():
    runs = [{"model": "lenet-modern", "seed": k, "test_accuracy": a} for k, a in ((0, 0.92), (1, 0.93), (2, 0.91))]
    ablations = [{"model": "lenet-modern", "without": "flips", "seed": k, "test_accuracy": a}
                 for k, a in ((0, 0.91), (1, 0.915), (2, 0.912))]
    lines = benchmark.ablation_table(runs, ablations).splitlines()
    assert len(lines) == 3  # the header, its rule, one technique
    assert lines[2] == ("| `lenet-modern` | flips | 0.9200 ± 0.0100 | 0.9123 ± 0.0025 | +0.0077 (-0.0020 to +0.0150) "
                        "| — | 3 |")  # saved before runs reported their training accuracy
    longer = [{"model": "lenet-modern", "without": "15 epochs, not 30", "seed": k, "test_accuracy": a,
               "train_accuracy": t} for k, a, t in ((0, 0.93, 0.97), (1, 0.94, 0.98), (2, 0.92, 0.96))]
    lines = benchmark.ablation_table(runs, ablations + longer).splitlines()
    assert lines[3] == ("| `lenet-modern` | 15 epochs, not 30 | 0.9200 ± 0.0100 | 0.9300 ± 0.0100 | -0.0100 (-0.0100 to "
                        "-0.0100) | 0.9700 ± 0.0100 | 3 |")
    assert len(benchmark.ablation_table(runs[:2], longer).splitlines()) == 3  # only the seeds both sides have


def test_each_ablation_is_a_recipe_of_the_table_changed_through_the_command_lines_options(capsys):
    with pytest.raises(SystemExit):
        train_cli(["--help"])
    options = capsys.readouterr().out
    for model, rows in benchmark.ABLATIONS.items():
        assert model in [m for m, *_ in benchmark.MODELS]
        for technique, extra in rows:
            assert technique and len(extra) % 2 == 0 and all(f"{flag} " in options for flag in extra[::2]), extra


def test_the_profile_splits_a_training_step_into_shares_that_add_up():
    shares = benchmark.profile_step("lenet-modern", steps=2)
    assert list(shares) == [*benchmark.PROFILE_GROUPS, "other"]
    assert abs(sum(shares.values()) - 1) < 0.01 and all(v >= 0 for v in shares.values())
    assert shares["convolution"] > 0.1 and shares["batch normalisation"] > 0  # LeNetModern has both


def test_the_readmes_tables_are_what_the_saved_results_give():
    # tools/benchmark.py --table prints both from tools/benchmark_results.json; a rerun that changes a number must
    # change the README too
    saved = benchmark._saved(benchmark.RESULTS)
    readme = (REPO / "README.md").read_text()
    assert benchmark.table(saved["runs"], saved.get("roofline")) in readme
    assert benchmark.ablation_table(saved["runs"], saved["ablations"]) in readme
