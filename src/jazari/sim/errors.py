"""Errors of the digital twin: bad parameters, bad parts, unplaceable scenes, rendering."""

from jazari.errors import ConfigError, JazariError


class SimError(JazariError):
    """The twin cannot do what was asked; the message says which value is at fault."""


class SimConfigError(SimError, ConfigError):
    """``config/sim.yaml`` (or a parameter mapping) holds a missing or bad value."""


class PartSpecError(SimError, ValueError):
    """A part type is unknown, or the twin's part of the catalogue (defects, wrong colours,
    spawn rules) is malformed; a malformed part type itself raises
    :class:`jazari.quality.errors.CatalogueError`."""


class SpawnError(SimError):
    """Parts cannot be placed on the work area (too many, or too large)."""


class SimCommandError(SimError, ValueError):
    """A command to the twin (joint targets, durations) is malformed; nothing moved."""


class RenderError(SimError):
    """No OpenGL backend could render the camera image."""
