"""Checking arguments, shared by every model: one plain sentence for each mistake.

Each function returns the cleaned value or raises ``ValueError`` with one sentence that names the
argument, says what it must be, gives an example, and shows what was given.
"""

from __future__ import annotations

import math

import numpy as np


def whole(name: str, value: object, minimum: int, example: int = 10) -> int:
    """A whole number of at least ``minimum`` (7.0 is accepted as 7; True is not a number)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be a whole number, such as {max(minimum, example)}; got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}; got {value}.")
    return int(value)


def number(name: str, value: object, example: str = "5") -> float:
    """A finite number (not a boolean, not NaN, not infinite)."""
    if not isinstance(value, bool):
        try:
            x = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            pass
        else:
            if math.isfinite(x):
                return x
    raise ValueError(f"{name} must be a number, such as {example}; got {value!r}.")


def share(name: str, value: object, example: float = 0.3) -> float:
    """A share between 0 and 1 inclusive (a probability, a fraction of people)."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a share between 0 and 1, such as {example}; got {value!r}.")
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a share between 0 and 1, such as {example}; got {value!r}.") from None
    if math.isnan(x) or not 0.0 <= x <= 1.0:
        raise ValueError(
            f"{name} must be between 0 and 1 (a share, such as {example} for {100 * example:g} %); got {value!r}."
        )
    return x
