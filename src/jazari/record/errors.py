"""Errors of recording and of the message type definitions."""

from jazari.errors import JazariError


class RecordError(JazariError):
    """A recording cannot be written or read; the message names the file, topic or type."""


class InterfaceDefinitionError(RecordError, ValueError):
    """An interface file (``.msg``, ``.srv``, ``.action``) is malformed or refers to a type
    that does not exist; the message names the file, the type and the field."""


class UnknownMessageTypeError(RecordError, LookupError):
    """A message type name is not in the type store."""
