"""Where the shipped declarative files (agents, workflows, config, manifests) are.

In a checkout they are the top-level folders of the repository; in an installed wheel they are
package data under ``bot/_data`` (see ``pyproject.toml``). Everything that reads them asks here.
"""

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_DATA_NAMES = ("agents", "workflows", "config", "manifests")


def data_dir(name: str) -> Path:
    """Return the folder holding the shipped ``name`` files (one of agents, workflows, config, manifests)."""
    if name not in _DATA_NAMES:
        raise ValueError(f"unknown data folder {name!r}; expected one of {', '.join(_DATA_NAMES)}")
    installed = _PACKAGE_DIR / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / name
