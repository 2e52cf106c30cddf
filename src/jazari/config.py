"""Node parameters from ``config/*.yaml`` (ROS 2 parameter file format).

The same files configure the ROS nodes (``--params-file``) and the in-process runner,
so there is one source of truth. A file holds ``/**: ros__parameters: {...}`` (or a
node name instead of ``/**``); nested dictionaries are ROS's dotted parameter names.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from jazari.errors import ConfigError, JazariError
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


class ParamReader:
    """Typed access to a nested parameter mapping; errors name the dotted key and value.

    Args:
        params: the mapping (a ``ros__parameters`` section or a part of it).
        where: what the mapping is, for messages (``"sim.yaml arm"``).
        error: the exception class raised on a missing or bad value.
    """

    def __init__(
        self, params: Mapping[str, Any], where: str, error: type[JazariError] = ConfigError
    ) -> None:
        if not isinstance(params, Mapping):
            raise error(f"{where} must be a mapping, got {params!r}")
        self.params = params
        self.where = where
        self.error = error

    def _raw(self, key: str) -> Any:
        if key not in self.params:
            raise self.error(f"{self.where}: parameter {key!r} is missing")
        return self.params[key]

    def has(self, key: str) -> bool:
        """True when ``key`` is present."""
        return key in self.params

    def section(self, key: str) -> ParamReader:
        """The nested mapping under ``key``."""
        return ParamReader(self._raw(key), f"{self.where}.{key}", self.error)

    def number(self, key: str, lo: float = -math.inf, hi: float = math.inf) -> float:
        """A finite number in [lo, hi]."""
        value = self._raw(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(f"{self.where}.{key} must be a number, got {value!r}")
        if not math.isfinite(value) or not lo <= value <= hi:
            raise self.error(f"{self.where}.{key} must be in [{lo}, {hi}], got {value!r}")
        return float(value)

    def positive(self, key: str) -> float:
        """A finite number > 0."""
        value = self.number(key)
        if value <= 0:
            raise self.error(f"{self.where}.{key} must be > 0, got {value!r}")
        return value

    def numbers(
        self, key: str, n: int | None = None, lo: float = -math.inf, hi: float = math.inf
    ) -> tuple[float, ...]:
        """A list of finite numbers in [lo, hi], of length ``n`` when given."""
        value = self._raw(key)
        if not isinstance(value, list | tuple) or (n is not None and len(value) != n):
            want = "a list" if n is None else f"a list of {n} numbers"
            raise self.error(f"{self.where}.{key} must be {want}, got {value!r}")
        out = []
        for i, v in enumerate(value):
            ok = isinstance(v, int | float) and not isinstance(v, bool)
            if not ok or not math.isfinite(v) or not lo <= v <= hi:
                raise self.error(
                    f"{self.where}.{key}[{i}] must be a number in [{lo}, {hi}], got {v!r}"
                )
            out.append(float(v))
        return tuple(out)

    def integer(self, key: str, lo: int = 0) -> int:
        """An integer ≥ lo."""
        value = self._raw(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < lo:
            raise self.error(f"{self.where}.{key} must be an integer >= {lo}, got {value!r}")
        return value

    def flag(self, key: str) -> bool:
        """A boolean."""
        value = self._raw(key)
        if not isinstance(value, bool):
            raise self.error(f"{self.where}.{key} must be true or false, got {value!r}")
        return value

    def choice(self, key: str, allowed: tuple[str, ...]) -> str:
        """A string among ``allowed``."""
        value = self._raw(key)
        if value not in allowed:
            raise self.error(f"{self.where}.{key} must be one of {allowed}, got {value!r}")
        return str(value)

    def string(self, key: str) -> str:
        """A non-empty string."""
        value = self._raw(key)
        if not isinstance(value, str) or not value:
            raise self.error(f"{self.where}.{key} must be a non-empty string, got {value!r}")
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        """A non-empty list of strings."""
        value = self._raw(key)
        if not isinstance(value, list | tuple) or not value:
            raise self.error(f"{self.where}.{key} must be a non-empty list, got {value!r}")
        if not all(isinstance(v, str) and v for v in value):
            raise self.error(f"{self.where}.{key} must hold non-empty strings, got {value!r}")
        return tuple(value)
