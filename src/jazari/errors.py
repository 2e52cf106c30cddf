"""The one error hierarchy of Jazari: every error the core raises derives from JazariError.

Subpackages define their own subclasses next to their code (for example
:class:`jazari.robot.errors.IKError`) so callers can catch as narrowly as they need.
"""


class JazariError(Exception):
    """Root of every error Jazari raises on purpose."""


class ConfigError(JazariError):
    """A configuration file or parameter is missing or has a bad value."""


class ResourceNotFoundError(JazariError):
    """A packaged resource (URDF, config file) cannot be found."""
