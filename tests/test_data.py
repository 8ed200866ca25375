"""Datasets load whole as normalised tensors, split and batch reproducibly, and fail with a clear message."""
from __future__ import annotations

import gzip
import io
import tarfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import torch

from cnnlib.data import (
    DATASETS, DataNotFoundError, Loaders, TensorLoader, _stratified_subset, channel_moments, channel_stats, data_root,
    dataset_info, load_data, load_tensors, missing_files, random_flip, random_flip_crop, random_flip_erase, split,
)
from tests.data_root import prepare_test_root

REAL_SIZES = {"fashion-mnist": (60000, 10000), "mnist": (60000, 10000), "cifar10": (50000, 10000)}


def _toy(n: int = 50, classes: int = 5) -> tuple[torch.Tensor, torch.Tensor]:
    X = torch.arange(n, dtype=torch.float32).view(n, 1, 1, 1).expand(n, 1, 2, 2).clone()  # image i is all i
    return X, torch.arange(n) % classes


# ---------------------------------------------------------------- the real datasets

@pytest.mark.parametrize("name", list(REAL_SIZES))
def test_real_dataset_has_the_known_sizes_shapes_labels_and_normalisation(real_data_root, name):
    info = DATASETS[name]
    for train, size in zip((True, False), REAL_SIZES[name]):
        X, y = load_tensors(name, train=train, root=real_data_root)
        assert X.shape == (size, *info.shape) and X.dtype == torch.float32
        assert y.shape == (size,) and y.dtype == torch.int64
        assert y.min() == 0 and y.max() == len(info.classes) - 1
        mean, std = X.mean(dim=(0, 2, 3)), X.std(dim=(0, 2, 3))  # per channel
        tol = 0.01 if train else 0.05  # the constants come from the training split
        assert mean.abs().max() < tol, f"{name} train={train}: channel means {mean.tolist()}"
        assert (std - 1).abs().max() < tol, f"{name} train={train}: channel stds {std.tolist()}"


@pytest.mark.parametrize("name", list(REAL_SIZES))
def test_table_constants_are_the_computed_channel_stats(real_data_root, name):
    mean, std = channel_stats(name, root=real_data_root)
    assert mean == pytest.approx(DATASETS[name].mean, abs=5e-5)
    assert std == pytest.approx(DATASETS[name].std, abs=5e-5)


def test_cifar10_constants_are_the_lectures():
    assert DATASETS["cifar10"].mean == (0.4914, 0.4822, 0.4465)
    assert DATASETS["cifar10"].std == (0.2470, 0.2435, 0.2616)


def test_load_data_full_cifar10_is_the_lectures_45k_5k_split(real_data_root):
    data = load_data("cifar10", val_size=5000, root=real_data_root, device="cpu", quick=False)
    assert isinstance(data, Loaders)
    assert (data.train.dataset_size, data.val.dataset_size, data.test.dataset_size) == (45000, 5000, 10000)
    assert data.classes[0] == "airplane" and data.mean == DATASETS["cifar10"].mean
    assert len(data.train) == -(-45000 // 128)


@pytest.mark.parametrize("quick", [False, True])
def test_load_data_keeps_uint8_images_and_gives_the_numbers_of_normalising_first(real_data_root, quick):
    """load_data keeps the images uint8 and normalises batch by batch; every value is what split(load_tensors) gives,
    in tensors() and in every batch of an epoch."""
    X, y = load_tensors("cifar10", train=True, root=real_data_root)
    X_test, y_test = load_tensors("cifar10", train=False, root=real_data_root)
    if quick:
        X, y = _stratified_subset(X, y, 2500, seed=3)
        X_test, y_test = _stratified_subset(X_test, y_test, 500, seed=3)
    X_train, y_train, X_val, y_val = split(X, y, 500 if quick else 5000, seed=3)
    data = load_data("cifar10", val_size=5000, seed=3, root=real_data_root, device="cpu", quick=quick)
    for loader, (X_want, y_want) in zip((data.train, data.val, data.test),
                                        ((X_train, y_train), (X_val, y_val), (X_test, y_test))):
        assert loader.X.dtype == torch.uint8 and loader.X.is_contiguous()  # a quarter of float32's memory
        X_got, y_got = loader.tensors()
        assert X_got.dtype == torch.float32 and X_got.is_contiguous()
        assert torch.equal(X_got, X_want) and torch.equal(y_got, y_want)
        assert torch.equal(loader.tensors(7)[0], X_want[:7])
    float_train = TensorLoader(X_train, y_train, 128, shuffle=True, seed=3)  # the whole set normalised first
    assert all(torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) for a, b in zip(float_train, data.train))


def test_quick_mode_gives_small_class_balanced_subsets_through_the_same_path(real_data_root):
    data = load_data("fashion-mnist", val_size=5000, root=real_data_root, device="cpu", quick=True)
    assert (data.train.dataset_size, data.val.dataset_size, data.test.dataset_size) == (2000, 500, 500)
    assert torch.bincount(data.test.y, minlength=10).tolist() == [50] * 10
    train_counts = torch.bincount(data.train.y, minlength=10)
    assert train_counts.min() > 150 and train_counts.max() < 250  # 250 per class before the val split
    no_val = load_data("fashion-mnist", root=real_data_root, device="cpu", quick=True)
    assert no_val.val is None and no_val.train.dataset_size == 2000


def test_load_data_is_seeded(real_data_root):
    a, b, c = (load_data("mnist", val_size=100, seed=s, root=real_data_root, device="cpu", quick=True)
               for s in (0, 0, 1))
    assert torch.equal(a.train.X, b.train.X) and torch.equal(a.val.y, b.val.y)
    assert not torch.equal(a.val.y, c.val.y)


def test_quick_mode_follows_the_environment(real_data_root, monkeypatch):
    monkeypatch.setenv("CNNLIB_QUICK", "1")
    assert load_data("mnist", root=real_data_root, device="cpu").train.dataset_size == 2000


# ---------------------------------------------------------------- missing data: a clear error, nothing left behind

def _no_network(monkeypatch: pytest.MonkeyPatch, exc: Exception) -> None:
    def refuse(*args, **kwargs):
        raise exc
    monkeypatch.setattr(urllib.request, "urlopen", refuse)  # every torchvision download goes through it


@pytest.mark.parametrize("name, expected", [
    ("fashion-mnist", ["FashionMNIST/raw", "train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]),
    ("cifar10", ["cifar-10-batches-py", "data_batch_1", "data_batch_5", "test_batch"]),
])
@pytest.mark.parametrize("root_exists", [True, False])
def test_missing_data_without_network_raises_clear_error_and_leaves_nothing(
        tmp_path, monkeypatch, name, expected, root_exists):
    _no_network(monkeypatch, urllib.error.URLError("network is unreachable"))
    root = tmp_path / "data"
    if root_exists:
        root.mkdir()
    with pytest.raises(DataNotFoundError, match="could not be downloaded") as info:
        load_tensors(name, root=root)
    assert isinstance(info.value, RuntimeError)
    for text in [str(root), "CNNLIB_DATA", *expected]:
        assert text in str(info.value)
    assert list(tmp_path.rglob("*")) == ([root] if root_exists else [])


def test_missing_data_keeps_files_that_were_there_before(tmp_path, monkeypatch):
    _no_network(monkeypatch, OSError("no route to host"))
    keep = tmp_path / "MNIST" / "raw" / "notes.txt"
    keep.parent.mkdir(parents=True)
    keep.write_text("mine")
    with pytest.raises(DataNotFoundError, match=r"MNIST.*could not be downloaded"):
        load_data("mnist", root=tmp_path, device="cpu")
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "MNIST", "MNIST/raw", "MNIST/raw/notes.txt"]


def test_missing_files_names_every_expected_file(tmp_path):
    assert [p.name for p in missing_files("cifar10", tmp_path)] == list(DATASETS["cifar10"].files)
    with pytest.raises(ValueError, match="known datasets: fashion-mnist, mnist, cifar10"):
        missing_files("imagenet", tmp_path)


# ---------------------------------------------------------------- data_root and names

def test_data_root_prefers_argument_then_environment_then_home(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNLIB_DATA", str(tmp_path / "env"))
    assert data_root(tmp_path / "arg") == tmp_path / "arg"
    assert data_root() == tmp_path / "env"
    monkeypatch.delenv("CNNLIB_DATA")
    assert data_root() == Path.home() / "cnnlib-data"
    assert data_root("~/x") == Path.home() / "x"


def test_data_root_rejects_a_non_path():
    with pytest.raises(TypeError, match="root must be a folder path"):
        data_root(42)
    with pytest.raises(TypeError, match="root must be a folder path"):
        data_root(["data"])
    with pytest.raises(TypeError, match="root must be a folder path such as '~/cnnlib-data', got 1.5"):
        data_root(1.5)


def test_dataset_names_are_forgiving_but_unknown_names_list_the_known_ones():
    assert dataset_info("Fashion_MNIST") is dataset_info("fashionmnist") is DATASETS["fashion-mnist"]
    assert dataset_info("CIFAR-10") is DATASETS["cifar10"]
    with pytest.raises(ValueError, match="unknown dataset 'cifar100'; known datasets: fashion-mnist, mnist, cifar10"):
        dataset_info("cifar100")
    with pytest.raises(TypeError, match="dataset name must be a string"):
        dataset_info(10)
    with pytest.raises(ValueError, match="unknown dataset"):
        load_tensors("svhn")
    with pytest.raises(ValueError, match="unknown dataset"):
        channel_stats("svhn")


# ---------------------------------------------------------------- split and subsets

def test_split_is_a_seeded_partition():
    X, y = _toy(50)
    X_train, y_train, X_val, y_val = split(X, y, 10, seed=3)
    assert (len(X_train), len(X_val)) == (40, 10)
    ids = torch.cat([X_train[:, 0, 0, 0], X_val[:, 0, 0, 0]]).long()
    assert sorted(ids.tolist()) == list(range(50))           # every example exactly once
    assert torch.equal(y_val, ids[40:] % 5)                    # labels travel with their images
    assert torch.equal(split(X, y, 10, seed=3)[2], X_val)      # same seed, same split
    assert not torch.equal(split(X, y, 10, seed=4)[2], X_val)


def test_split_rejects_bad_sizes():
    X, y = _toy(50)
    with pytest.raises(ValueError, match=r"val_size must be at most 49, got 50 \(the data has 50 examples\)"):
        split(X, y, 50)
    with pytest.raises(ValueError, match="val_size must be at least 1, got 0"):
        split(X, y, 0)
    with pytest.raises(ValueError, match="val_size must be a whole number, got 0.1"):
        split(X, y, 0.1)
    with pytest.raises(ValueError, match="y holds 49 labels but there are 50 examples; give one label per example"):
        split(X, y[:49], 10)
    assert split(X, y, 10.0)[2].shape[0] == split(X, y, torch.tensor(10))[2].shape[0] == 10  # one rule for numbers


def test_stratified_subset_is_balanced_and_seeded():
    X, y = _toy(100, classes=4)
    Xs, ys = _stratified_subset(X, y, 20, seed=1)
    assert torch.bincount(ys).tolist() == [5, 5, 5, 5]
    assert torch.equal(Xs, _stratified_subset(X, y, 20, seed=1)[0])
    assert _stratified_subset(X, y, 500)[0] is X  # asking for more than there is: all of it


# ---------------------------------------------------------------- TensorLoader

def test_loader_batches_cover_every_example_once():
    X, y = _toy(50)
    loader = TensorLoader(X, y, batch_size=16, shuffle=True, seed=1)
    assert (len(loader), loader.dataset_size) == (4, 50)
    batches = list(loader)
    assert [len(b[0]) for b in batches] == [16, 16, 16, 2]
    ids = torch.cat([b[0][:, 0, 0, 0] for b in batches]).long()
    assert sorted(ids.tolist()) == list(range(50))
    assert torch.equal(torch.cat([b[1] for b in batches]), ids % 5)


def test_shuffle_order_is_a_function_of_seed_and_epoch():
    X, y = _toy(50)

    def order(loader, epoch):
        loader.set_epoch(epoch)
        return torch.cat([Xb[:, 0, 0, 0] for Xb, _ in loader]).tolist()

    a, b = TensorLoader(X, y, 8, shuffle=True, seed=7), TensorLoader(X, y, 8, shuffle=True, seed=7)
    assert order(a, 3) == order(b, 3)            # a fresh loader (a resumed run) sees the same batches
    assert order(a, 3) != order(a, 4)            # each epoch its own order
    assert order(a, 3) != order(TensorLoader(X, y, 8, shuffle=True, seed=8), 3)
    a.set_epoch(5)
    first, second = [torch.cat([Xb[:, 0, 0, 0] for Xb, _ in a]).tolist() for _ in range(2)]
    assert first == order(b, 5) and second == order(b, 6)  # a plain loop reshuffles: the epoch advances
    assert order(TensorLoader(X, y, 8), 9) == list(range(50))  # shuffle=False keeps the order


def test_loader_applies_augment_with_its_generator():
    X, y = _toy(20)
    seen = []

    def augment(Xb, generator=None):
        seen.append(generator)
        return -Xb

    loader = TensorLoader(X, y, 10, augment=augment)
    assert all((Xb <= 0).all() for Xb, _ in loader)
    assert len(seen) == 2 and all(isinstance(g, torch.Generator) for g in seen)
    assert next(iter(TensorLoader(X, y, 10, augment=lambda Xb: Xb + 100)))[0].min() >= 100  # no generator arg


def test_loader_rejects_bad_arguments():
    X, y = _toy(10)
    with pytest.raises(ValueError, match="batch_size must be at least 1, got 0; it is the number of examples"):
        TensorLoader(X, y, batch_size=0)
    with pytest.raises(ValueError, match=r"X is empty \(shape \(0, 1, 2, 2\)\)"):
        TensorLoader(X[:0], y[:0])
    with pytest.raises(ValueError, match="y holds 9 labels but there are 10 examples"):
        TensorLoader(X, y[:9])
    with pytest.raises(ValueError, match="y holds 1 labels but there are 10 examples"):  # no silent broadcasting
        TensorLoader(X, y[:1])
    with pytest.raises(TypeError, match="augment must be a function or a layer such as random_flip"):
        TensorLoader(X, y, augment="flip")
    with pytest.raises(TypeError, match=r"X must be a torch.Tensor, got ndarray; convert it with torch.from_numpy"):
        TensorLoader(X.numpy(), y)
    with pytest.raises(TypeError, match=r"y must be a torch.Tensor, got list"):
        TensorLoader(X, y.tolist())
    with pytest.raises(ValueError, match="y must hold whole class numbers, got 0.5"):  # never truncated to 0
        TensorLoader(X, y.float() + 0.5)
    with pytest.raises(ValueError, match="y holds the label -1; class labels start at 0"):
        TensorLoader(X, y - 1)
    with pytest.raises(ValueError, match=r"y must be a vector of class labels \(N,\), got shape \(10, 1\).*flatten"):
        TensorLoader(X, y[:, None])
    with pytest.raises(ValueError, match="batch_size must be a whole number, got 2.5"):
        TensorLoader(X, y, batch_size=2.5)
    with pytest.raises(TypeError, match="shuffle must be True or False"):
        TensorLoader(X, y, shuffle="yes")
    assert torch.equal(TensorLoader(X, y.float()).y, y)  # labels stored as floats holding whole numbers: fine


# ---------------------------------------------------------------- augmentation

def test_random_flip_crop_matches_a_per_image_loop():
    X = torch.randn(6, 3, 8, 8)
    out = random_flip_crop(X, pad=2, generator=torch.Generator().manual_seed(0))
    g = torch.Generator().manual_seed(0)  # replay the same draws
    flip = torch.rand(6, generator=g) < 0.5
    top = torch.randint(0, 5, (6,), generator=g)
    left = torch.randint(0, 5, (6,), generator=g)
    for i in range(6):
        img = X[i].flip(2) if flip[i] else X[i]
        padded = torch.nn.functional.pad(img, (2, 2, 2, 2))
        assert torch.equal(out[i], padded[:, top[i]:top[i] + 8, left[i]:left[i] + 8])


def test_random_flip_crop_without_padding_only_flips():
    X = torch.randn(20, 1, 4, 4)
    out = random_flip_crop(X, pad=0)
    flipped = [torch.equal(o, x.flip(2)) for o, x in zip(out, X)]
    assert all(f or torch.equal(o, x) for f, o, x in zip(flipped, out, X))
    assert 0 < sum(flipped) < 20


def test_random_flip_mirrors_about_half_of_the_images_and_nothing_else():
    X = torch.randn(40, 2, 5, 5)
    out = random_flip(X, generator=torch.Generator().manual_seed(3))
    flip = torch.rand(40, generator=torch.Generator().manual_seed(3)) < 0.5  # replay the draws
    for o, x, f in zip(out, X, flip):
        assert torch.equal(o, x.flip(2) if f else x)
    assert 10 < int(flip.sum()) < 30
    with pytest.raises(ValueError, match=r"expects a batch of images of shape \(B, C, H, W\), got \(2, 5, 5\): "
                                         r"add a batch dimension with X.unsqueeze\(0\)"):
        random_flip(X[0])


def test_random_flip_crop_rejects_bad_input():
    with pytest.raises(ValueError, match=r"expects a batch of images of shape \(B, C, H, W\), got \(3, 8, 8\)"):
        random_flip_crop(torch.zeros(3, 8, 8))
    with pytest.raises(ValueError, match="pad must be at least 0, got -1"):
        random_flip_crop(torch.zeros(1, 3, 8, 8), pad=-1)
    with pytest.raises(ValueError, match="pad must be at most 7, got 100; a crop must keep part of the image"):
        random_flip_crop(torch.zeros(1, 3, 8, 8), pad=100)
    with pytest.raises(ValueError, match="expects a batch"):
        random_flip_crop(torch.zeros(8, 8))
    with pytest.raises(TypeError, match=r"X must hold floating-point numbers, got dtype torch.uint8"):
        random_flip_crop(torch.zeros(1, 3, 8, 8, dtype=torch.uint8))


def test_random_flip_erase_matches_a_per_image_loop():
    X = torch.randn(12, 3, 9, 9) + 5  # no zeros of its own
    out = random_flip_erase(X, size=4, p=0.5, generator=torch.Generator().manual_seed(1))
    g = torch.Generator().manual_seed(1)  # replay the same draws: flips, tops, lefts, which images
    flip = torch.rand(12, generator=g) < 0.5
    top, left = torch.randint(-2, 7, (12,), generator=g), torch.randint(-2, 7, (12,), generator=g)
    erase = torch.rand(12, generator=g) < 0.5
    for i in range(12):
        img = (X[i].flip(2) if flip[i] else X[i]).clone()
        if erase[i]:
            img[:, max(top[i], 0):top[i] + 4, max(left[i], 0):left[i] + 4] = 0  # clipped at the edges
        assert torch.equal(out[i], img)
    assert 0 < int(erase.sum()) < 12


def test_random_flip_erase_blanks_at_most_one_square_and_only_when_asked():
    X = torch.randn(50, 1, 28, 28) + 5
    out = random_flip_erase(X, size=10, p=1.0)
    zeros = (out == 0).sum(dim=(1, 2, 3))
    assert (zeros > 0).all() and (zeros <= 100).all()  # every image loses part of one 10x10 square
    assert (zeros == 100).any()                         # ... the whole square when it lies inside the image
    for p, size in ((0.0, 10), (1.0, 0)):               # nothing erased: exactly random_flip's output
        kept = random_flip_erase(X, size=size, p=p, generator=torch.Generator().manual_seed(4))
        assert torch.equal(kept, random_flip(X, generator=torch.Generator().manual_seed(4)))


def test_random_flip_erase_rejects_bad_input():
    with pytest.raises(ValueError, match=r"expects a batch of images of shape \(B, C, H, W\), got \(3, 8, 8\)"):
        random_flip_erase(torch.zeros(3, 8, 8))
    with pytest.raises(ValueError, match="size must be at least 0, got -1; it is the side of the square"):
        random_flip_erase(torch.zeros(1, 1, 8, 8), size=-1)
    with pytest.raises(ValueError, match=r"p must be at most 1, got 1.5"):
        random_flip_erase(torch.zeros(1, 1, 8, 8), p=1.5)
    with pytest.raises(TypeError, match=r"p must be a number such as 0.5, got the text 'half'"):
        random_flip_erase(torch.zeros(1, 1, 8, 8), p="half")


# ---------------------------------------------------------------- load_data's boundary

def test_load_data_rejects_bad_arguments_before_loading(tmp_path):
    with pytest.raises(ValueError, match="unknown dataset 'cifar-100'; known datasets"):
        load_data("cifar-100", root=tmp_path)
    with pytest.raises(ValueError, match="batch_size must be at least 1, got 0"):
        load_data("mnist", batch_size=0, root=tmp_path)
    with pytest.raises(ValueError, match=r"val_size must be at most 49,999, got 50,000 \(CIFAR-10 has 50000"):
        load_data("cifar10", val_size=50000, root=tmp_path)
    with pytest.raises(ValueError, match="val_size must be a whole number, got 0.1"):
        load_data("cifar10", val_size=0.1, root=tmp_path)
    with pytest.raises(ValueError, match="device must name a device such as 'cpu', 'cuda' or 'mps', got 'banana'"):
        load_data("mnist", device="banana", root=tmp_path)
    with pytest.raises(TypeError, match="batch_size must be a number.*write 64 without quotes"):
        load_data("mnist", batch_size="64", root=tmp_path)
    with pytest.raises(TypeError, match="augment must be a function"):
        load_data("mnist", augment=True, root=tmp_path)
    with pytest.raises(TypeError, match="quick must be True or False"):
        load_data("mnist", quick="no", root=tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing was downloaded or created


def test_a_missing_nested_root_leaves_no_empty_folders_behind(tmp_path, monkeypatch):
    _no_network(monkeypatch, urllib.error.URLError("network is unreachable"))
    root = tmp_path / "course" / "week1" / "data"
    with pytest.raises(DataNotFoundError, match="could not be downloaded"):
        load_tensors("mnist", root=root)
    assert list(tmp_path.iterdir()) == []  # not even tmp_path/course


def test_a_read_only_root_with_good_files_is_not_called_corrupted(real_data_root, tmp_path, monkeypatch):
    import errno
    import shutil

    (tmp_path / "MNIST" / "raw").mkdir(parents=True)
    for name in DATASETS["mnist"].files:  # the real downloads are there, verified, but not unpacked yet
        shutil.copyfile(real_data_root / "MNIST" / "raw" / name, tmp_path / "MNIST" / "raw" / name)

    def read_only(from_path, *args, **kwargs):  # what unpacking into a read-only folder does (even root cannot)
        raise PermissionError(errno.EROFS, "Read-only file system", str(from_path)[:-3])

    monkeypatch.setattr("torchvision.datasets.utils.extract_archive", read_only)
    with pytest.raises(DataNotFoundError) as info:
        load_tensors("mnist", root=tmp_path)
    message = str(info.value)
    assert "read-only" in message and "your files are fine" in message and "CNNLIB_DATA" in message
    assert "delete" not in message and "corrupted" not in message
    assert sorted(p.name for p in (tmp_path / "MNIST" / "raw").iterdir()) == sorted(DATASETS["mnist"].files)


# ---------------------------------------------------------------- tests/data_root.py (what conftest.py uses)

def _fake_downloads(src: Path) -> None:
    """Tiny stand-ins with the real file names: .gz folders and a CIFAR-10 .tar.xz."""
    for folder in ("FashionMNIST/raw", "MNIST/raw"):
        (src / folder).mkdir(parents=True)
        for name in DATASETS["mnist"].files:
            (src / folder / name).write_bytes(gzip.compress(name.encode()))
    with tarfile.open(src / "cifar-10-batches-py.tar.xz", "w:xz") as tar:
        for name in DATASETS["cifar10"].files:
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(name)
            tar.addfile(info, io.BytesIO(name.encode()))


def test_prepare_test_root_unpacks_everything_once(tmp_path):
    _fake_downloads(tmp_path / "src")
    root = prepare_test_root(tmp_path / "src", tmp_path / "root")
    assert all(missing_files(name, root) == [] for name in DATASETS)
    assert (root / "MNIST/raw/t10k-labels-idx1-ubyte").read_text() == "t10k-labels-idx1-ubyte.gz"  # unpacked
    assert (root / "cifar-10-batches-py/test_batch").read_text() == "test_batch"
    stamp = (root / "MNIST/raw").stat().st_mtime_ns
    assert prepare_test_root(tmp_path / "src", tmp_path / "root") == root  # complete: reused as is
    assert (root / "MNIST/raw").stat().st_mtime_ns == stamp
    assert sorted(p.name for p in tmp_path.iterdir()) == ["root", "src"]  # no temporary folder left


def test_prepare_test_root_never_deletes_a_folder_it_did_not_build(tmp_path):
    _fake_downloads(tmp_path / "src")
    (tmp_path / "mine" / "MNIST").mkdir(parents=True)
    with pytest.raises(FileExistsError, match="was not built by prepare_test_root"):
        prepare_test_root(tmp_path / "src", tmp_path / "mine")
    assert (tmp_path / "mine" / "MNIST").is_dir()
    with pytest.raises(FileNotFoundError, match="no dataset copies in"):
        prepare_test_root(tmp_path / "nothing-here", tmp_path / "root")


def test_uint8_images_need_the_normalisation_and_float_images_refuse_it():
    X8, y = torch.randint(0, 256, (10, 3, 4, 4), dtype=torch.uint8), torch.arange(10) % 3
    with pytest.raises(ValueError, match=r"uint8 images .*pass mean= and std="):
        TensorLoader(X8, y)
    with pytest.raises(ValueError, match=r"already torch.float32; leave them out"):
        TensorLoader(X8.float(), y, mean=(0.5,) * 3, std=(0.2,) * 3)
    with pytest.raises(TypeError, match=r"mean must be a list or tuple of 3 numbers, one per channel"):
        TensorLoader(X8, y, mean=(0.5,), std=(0.2,) * 3)
    with pytest.raises(TypeError, match=r"std must be a list or tuple of 3 numbers"):
        TensorLoader(X8, y, mean=(0.5,) * 3, std="0.2")
    with pytest.raises(ValueError, match=r"std\[1\] must be positive"):
        TensorLoader(X8, y, mean=(0.5,) * 3, std=(0.2, 0.0, 0.2))
    with pytest.raises(ValueError, match=r"uint8 images must have shape \(N, C, H, W\)"):
        TensorLoader(X8[:, 0], y, mean=(0.5,), std=(0.2,))
    loader = TensorLoader(X8, y, batch_size=4, mean=[0.5, 0.4, 0.3], std=[0.2, 0.25, 0.3])
    X, _ = next(iter(loader))
    want = (X8[:4].double() / 255 - torch.tensor([0.5, 0.4, 0.3]).double().view(1, 3, 1, 1)) / torch.tensor(
        [0.2, 0.25, 0.3]).double().view(1, 3, 1, 1)
    assert X.dtype == torch.float32 and torch.allclose(X.double(), want, atol=1e-6)
    with pytest.raises(ValueError, match=r"n must be at most 10, got 11 \(the loader holds 10 examples\)"):
        loader.tensors(11)
    assert "uint8 normalised per batch" in repr(loader)


def test_channel_moments_are_torchs_mean_and_std_of_the_whole_set_for_any_batch_size(real_data_root):
    X8, y = load_tensors("mnist", train=False, root=real_data_root, normalised=False)
    X = load_tensors("mnist", train=False, root=real_data_root)[0]
    assert X8.dtype == torch.uint8 and X.dtype == torch.float32
    want_mean, want_std = X.double().mean(dim=(0, 2, 3)), X.double().std(dim=(0, 2, 3))
    for batch_size in (1000, 777, 10_000):
        mean, std = channel_moments(TensorLoader(X8, y, batch_size, mean=DATASETS["mnist"].mean,
                                                 std=DATASETS["mnist"].std))
        assert mean.dtype == torch.float32 and mean.shape == (1,)
        assert torch.allclose(mean.double(), want_mean, atol=1e-6) and torch.allclose(std.double(), want_std, atol=1e-6)
    with pytest.raises(ValueError, match="gave no batches"):
        channel_moments([])
    with pytest.raises(TypeError, match="normalised must be True or False"):
        load_tensors("mnist", root=real_data_root, normalised="no")


def test_a_loader_normalises_only_images_stored_as_it_stores_them():
    loader = TensorLoader(torch.zeros(4, 1, 2, 2, dtype=torch.uint8), torch.zeros(4, dtype=torch.long),
                          mean=(0.5,), std=(0.5,))
    assert torch.equal(loader.normalised(loader.X[:2]), torch.full((2, 1, 2, 2), -1.0))
    with pytest.raises(TypeError, match=r"X must be images as this loader stores them, a torch.uint8 tensor"):
        loader.normalised(torch.zeros(2, 1, 2, 2))
