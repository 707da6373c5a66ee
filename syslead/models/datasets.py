"""The course's small data files, found wherever a notebook runs.

The files live in the repository's top-level ``data/`` folder, with their sources and licences in
``data/README.md``. The installed package carries a copy in ``syslead/data`` so that a learner who only
fetched one assignment folder (JupyterHub with nbgrader) or nbgrader's autograder still finds them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

_PACKAGE_DATA = Path(__file__).resolve().parents[1] / "data"
_REPO_DATA = Path(__file__).resolve().parents[2] / "data"


def data_dir() -> Path:
    """The folder the data files are read from: the package's copy, else the repository's."""
    for folder in (_PACKAGE_DATA, _REPO_DATA):
        if folder.is_dir():
            return folder
    raise FileNotFoundError(
        "The course data folder is missing: reinstall the course with 'pip install .' from its folder."
    )


def available() -> list[str]:
    """Names of the CSV files the course ships, sorted."""
    return sorted(p.name for p in data_dir().glob("*.csv"))


def path(name: str) -> Path:
    """The full path of one data file, by its file name (for example ``"iphone_units.csv"``)."""
    found = data_dir() / name
    if not found.is_file():
        raise FileNotFoundError(
            f"There is no data file called {name!r}; the course has: {', '.join(available()) or 'none'}."
        )
    return found


def load(name: str) -> pd.DataFrame:
    """Read one of the course's CSV files as a pandas DataFrame."""
    return pd.read_csv(path(name))
