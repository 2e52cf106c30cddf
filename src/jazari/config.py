"""Node parameters from ``config/*.yaml`` (ROS 2 parameter file format).

The same files configure the ROS nodes (``--params-file``) and the in-process runner,
so there is one source of truth. A file holds ``/**: ros__parameters: {...}`` (or a
node name instead of ``/**``); nested dictionaries are ROS's dotted parameter names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from jazari.errors import ConfigError
from jazari.resources import share_path


def load_params_file(path: Path | str, node: str = "/**") -> dict[str, Any]:
    """The ``ros__parameters`` of ``node`` (default the wildcard ``/**``) in a YAML file.

    Raises:
        ConfigError: when the file is missing, is not YAML, or has no parameters for
            that node.
    """
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read parameter file {p}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"parameter file {p} is not valid YAML: {exc}") from None
    if not isinstance(data, dict) or node not in data:
        keys = list(data) if isinstance(data, dict) else type(data).__name__
        raise ConfigError(f"parameter file {p} has no section {node!r} (found {keys})")
    section = data[node]
    if not isinstance(section, dict) or not isinstance(section.get("ros__parameters"), dict):
        raise ConfigError(f"parameter file {p}: section {node!r} needs a 'ros__parameters' mapping")
    params: dict[str, Any] = section["ros__parameters"]
    return params


def load_params(name: str, node: str = "/**") -> dict[str, Any]:
    """Parameters from the packaged ``config/<name>.yaml``."""
    return load_params_file(share_path("config", f"{name}.yaml"), node)
