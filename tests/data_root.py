"""A writable data root for the tests and the notebooks under nbval, built once from the read-only copies in
../shared/data (what torchvision downloads), so that no test touches the network."""
from __future__ import annotations

import gzip
import os
import shutil
import tarfile
import tempfile
from pathlib import Path

from cnnlib.data import DATASETS, DatasetInfo, missing_files

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"  # read-only copies of the downloads
CACHED_ROOT = Path(tempfile.gettempdir()) / "cnnlib-test-data"       # unpacked once, reused by later runs
_MARKER = ".cnnlib-test-root"


def prepare_test_root(src: PathLike, dst: PathLike) -> Path:
    """Build a writable data root `dst` from a read-only copy `src` of the downloads (.gz folders, CIFAR-10 .tar.xz).

    Unpacks everything so that torchvision finds it and writes nothing; builds in a temporary
    sibling folder and renames it at the end, so an interrupted build never looks complete.
    """
    src, dst = Path(src), Path(dst)
    if not src.is_dir():
        raise FileNotFoundError(f"no dataset copies in {src}")
    if _root_complete(src, dst):
        return dst
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=dst.name + ".building-", dir=dst.parent))
    tmp.chmod(0o755)
    try:
        for info in DATASETS.values():
            if info.torchvision_class in ("FashionMNIST", "MNIST") and (src / info.folder).is_dir():
                (tmp / info.folder).mkdir(parents=True)
                for gz in (src / info.folder).glob("*.gz"):
                    shutil.copyfile(gz, tmp / info.folder / gz.name)
                    with gzip.open(gz) as fin, open(tmp / info.folder / gz.stem, "wb") as fout:
                        shutil.copyfileobj(fin, fout)
        archive = src / "cifar-10-batches-py.tar.xz"
        if archive.is_file():
            with tarfile.open(archive, "r:xz") as tar:
                if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4 (and security backports)
                    tar.extractall(tmp, filter="data")
                else:
                    tar.extractall(tmp)
        (tmp / _MARKER).write_text("built by tests/data_root.py for the test suite; safe to delete\n")
        if dst.exists() and not _root_complete(src, dst):
            if not (dst / _MARKER).is_file():
                raise FileExistsError(f"{dst} exists but lacks some datasets and was not built by "
                                      f"prepare_test_root; delete it or choose another folder")
            shutil.rmtree(dst)  # an incomplete root of ours (files deleted since): rebuild it
        try:
            os.rename(tmp, dst)
        except OSError:  # another process finished first: use theirs
            if not _root_complete(src, dst):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dst


def _root_complete(src: Path, root: Path) -> bool:
    """True when `root` holds every dataset that `src` has a copy of."""
    def in_src(info: DatasetInfo) -> bool:
        return (src / info.folder).is_dir() or (src / (info.folder + ".tar.xz")).is_file()
    return all(not missing_files(name, root) for name, info in DATASETS.items() if in_src(info))
