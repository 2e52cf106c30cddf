"""Locate the package's shared files (urdf/, config/, launch/, rviz/).

Three layouts are searched, in order:

1. a source checkout or editable install: the folders at the repository root;
2. a pip or colcon install: ``<prefix>/share/jazari/<folder>`` (setup.py's data_files);
3. ``$JAZARI_SHARE/<folder>`` when that variable is set (checked first if set).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from jazari.errors import ResourceNotFoundError

_PACKAGE_ROOT = Path(__file__).resolve().parent


def _candidates() -> list[Path]:
    roots = []
    env = os.environ.get("JAZARI_SHARE")
    if env:
        roots.append(Path(env))
    roots.append(_PACKAGE_ROOT.parent.parent)  # src/jazari -> repository root
    roots.append(Path(sys.prefix) / "share" / "jazari")
    return roots


def share_path(*parts: str) -> Path:
    """Return the path of a shared file such as ``share_path("urdf", "cell.urdf.xacro")``.

    Raises:
        ResourceNotFoundError: when no search root holds the file; the message lists
            every place that was looked at.
    """
    tried = []
    for root in _candidates():
        path = root.joinpath(*parts)
        if path.exists():
            return path
        tried.append(str(path))
    raise ResourceNotFoundError(f"{'/'.join(parts)} not found; looked at: {', '.join(tried)}")
