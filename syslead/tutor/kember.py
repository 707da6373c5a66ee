"""The levels of reflective writing the mark schemes use (Kember et al. 2008), from ``levels.yml``: one
data file for the grading page, moderation and anything else that turns a level into points."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from syslead.errors import CourseError

HERE = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def levels() -> list[dict]:
    """The level descriptors (syslead/tutor/levels.yml)."""
    import yaml

    return yaml.safe_load((HERE / "levels.yml").read_text(encoding="utf-8"))["levels"]


def level_score(key: str, points: float) -> float:
    for level in levels():
        if level["key"] == str(key):
            return round(float(level["fraction"]) * points, 6)
    raise CourseError(f"There is no level {key!r}: use one of {', '.join(lv['key'] for lv in levels())}.")


def score_level(score: float | None, points: float) -> str | None:
    """The level a score stands for (the nearest), or None."""
    if score is None or not points:
        return None
    return min(levels(), key=lambda lv: abs(float(lv["fraction"]) * points - score))["key"]
