"""Self-checks for the exercises: `check_...(answer)` prints ✓ or ✗ with a hint; `show_solution(key)` reveals one.

Each exercise has a key like "02.1" (notebook 02, exercise 1), a check function and a worked solution kept as
source code in SOLUTIONS, so the tests can run the solution through its own check.
"""
from __future__ import annotations

from typing import Callable

SOLUTIONS: dict[str, str] = {}
CHECKS: dict[str, Callable[..., bool]] = {}


def report(ok: bool, hint: str, praise: str = "Correct!") -> bool:
    """Print ✓ with praise when ok, else ✗ with a hint; return ok (so tests can use it)."""
    print(f"✓ {praise}" if ok else f"✗ Not yet. {hint}")
    return ok


def exercise(key: str, solution: str) -> Callable[[Callable[..., bool]], Callable[..., bool]]:
    """Register a check function under `key` together with its worked solution (source code)."""
    def register(check: Callable[..., bool]) -> Callable[..., bool]:
        CHECKS[key] = check
        SOLUTIONS[key] = solution.strip("\n")
        return check
    return register


def show_solution(key: str) -> None:
    """Print the worked solution of exercise `key` (e.g. "02.1")."""
    if key not in SOLUTIONS:
        raise ValueError(f"no exercise called {key!r}; known exercises: {', '.join(sorted(SOLUTIONS))}")
    print(SOLUTIONS[key])


# ---- 01 convolution as a linear layer ----

# ---- 02 corr2d ----

# ---- 03 padding and stride ----

# ---- 04 channels ----

# ---- 05 pooling ----

# ---- 06 LeNet ----

# ---- 07 VGG ----

# ---- 08 ResNet ----

# ---- 09 CIFAR-10 MLP baseline ----
