"""Errors of :mod:`jazari.perception`."""

from __future__ import annotations

from jazari.errors import ConfigError, JazariError


class PerceptionError(JazariError):
    """Root of the errors perception raises on purpose."""


class FrameError(PerceptionError, ValueError):
    """An RGB-D frame is malformed: wrong shapes or dtypes, no usable depth, or
    intrinsics that do not describe its images."""


class TablePlaneError(PerceptionError):
    """No plane that could be the table was found in the depth image."""


class PerceptionConfigError(PerceptionError, ConfigError):
    """A perception parameter (``config/perception.yaml``) is missing or out of range."""
