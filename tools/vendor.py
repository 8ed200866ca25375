"""The JavaScript that the slides and the website load, fetched once from the npm registry into build/vendor/.

    python tools/vendor.py            fetch what is missing and print where each package lies

Slides and site pages load reveal.js, RequireJS and MathJax from these local copies instead of a CDN, so that they
work offline (a classroom without network, a test machine) and always show the same versions. Each package is
pinned by version and checked against the registry's sha512 before it is unpacked.
"""
from __future__ import annotations

import base64
import hashlib
import io
import shutil
import sys
import tarfile
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENDOR = REPO / "build" / "vendor"
REGISTRY = "https://registry.npmjs.org"
PACKAGES = {  # name@version: its sha512, as the registry publishes it (dist.integrity)
    "reveal.js@4.6.1": "1CW0auaXNPmwmvQ7TwpszwVxMi2Xr5cTS3J3EBC/HHgbPF32Dn7aiu/LKWDOGjMbaDwKQiGmfqcoGQ74HUHCMw==",
    "requirejs@2.3.7": "DouTG8T1WanGok6Qjg2SXuCMzszOo0eHeH9hDZ5Y4x8Je+9JB38HdTLT4/VA8OaUhBa0JPVHJ0pyBkM1z+pDsw==",
    "mathjax@2.7.9": "NOGEDTIM9+MrsqnjPEjVGNx4q0GQxqm61yQwSK+/5S59i26wId5IC5gNu9/bu8+CCVl5p9G2IHcAl/wJa+5+BQ==",
    "mathjax@3.2.2": "Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
    "jquery@3.7.1": "m4avr8yL8kmFN8psrbFFFmB/If14iN5o9nw/NgnnM+kybDJpRsAynV2BsfpTYrTRysYUdADVD7CkUUizgkpLfg==",
}


def package(spec: str, vendor: Path = VENDOR) -> Path:
    """The folder of package `spec` ("reveal.js@4.6.1"), fetched and unpacked on first use."""
    folder = vendor / spec
    if (folder / "package.json").is_file():
        return folder
    name, version = spec.rsplit("@", 1)
    url = f"{REGISTRY}/{name}/-/{name.split('/')[-1]}-{version}.tgz"
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            data = response.read()
    except OSError as error:
        raise SystemExit(f"Could not download {spec} from {url} ({error}): the slides and the site need it once. "
                         "Connect to the network, or copy a build/vendor/ folder from a machine that has it.") from None
    digest = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if digest != PACKAGES[spec]:
        raise SystemExit(f"{url} does not have the sha512 the series pins for {spec}; not unpacking it.")
    partial = vendor / f".{spec}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        archive.extractall(partial, filter="data")
    (partial / "package").rename(folder) if (partial / "package").is_dir() else partial.rename(folder)
    shutil.rmtree(partial, ignore_errors=True)
    return folder


def main() -> int:
    try:
        VENDOR.mkdir(parents=True, exist_ok=True)
        for spec in PACKAGES:
            print(f"{spec}: {package(spec)}")
    except OSError as error:
        raise SystemExit(f"Could not write {VENDOR}: {error.strerror or error}. Free some space or make the folder "
                         "writable.") from None
    return 0


if __name__ == "__main__":
    sys.exit(main())
