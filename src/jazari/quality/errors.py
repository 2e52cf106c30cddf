"""Errors of :mod:`jazari.quality`."""

from __future__ import annotations

from jazari.errors import ConfigError, JazariError


class InspectionError(JazariError):
    """An inspection cannot be carried out (no part type of the detection's shape, an
    image that does not match the detection)."""


class CatalogueError(InspectionError, ConfigError):
    """The parts catalogue or the inspection settings are missing or malformed."""
