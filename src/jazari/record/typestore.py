"""The ROS 2 Jazzy type store of the cell: rosbags' Jazzy types plus the packages it lacks.

rosbags ships the core Jazzy message packages. Jazari also records and converts
``vision_msgs`` and ``control_msgs`` types, whose definitions are bundled in
``definitions/`` (restated from the upstream Jazzy releases; each file names its
source), and ``jazari_interfaces``, read from the ROS package itself
(``ros2_ws/src/jazari_interfaces``) so its ``.msg`` files are the single source.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from rosbags.typesys import Stores, TypesysError, get_typestore

from jazari.errors import ResourceNotFoundError
from jazari.record.errors import InterfaceDefinitionError, RecordError, UnknownMessageTypeError
from jazari.record.interfaces import check_references, load_interface_package
from jazari.resources import share_path

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from rosbags.interfaces.typing import Typesdict
    from rosbags.typesys.store import Typestore

INTERFACES_PACKAGE = "jazari_interfaces"
BUNDLED_PACKAGES = ("vision_msgs", "control_msgs")


def bundled_definitions(package: str) -> Traversable:
    """The folder of a bundled upstream package's definitions (``msg/``, ``action/``)."""
    if package not in BUNDLED_PACKAGES:
        raise RecordError(f"no bundled definitions for {package!r}; have {BUNDLED_PACKAGES}")
    return files("jazari.record") / "definitions" / package


def interfaces_package_dir() -> Path:
    """The folder of ``jazari_interfaces``: in this checkout, or installed by colcon.

    Searched in order: the repository's ``ros2_ws/src/jazari_interfaces`` (or the same
    path under ``$JAZARI_SHARE`` / ``<prefix>/share/jazari``, see
    :mod:`jazari.resources`), then ``<prefix>/share/jazari_interfaces`` for every prefix
    of ``$AMENT_PREFIX_PATH`` (where rosidl installs the interface files).

    Raises:
        RecordError: when none of these exists; the message lists them.
    """
    try:
        return share_path("ros2_ws", "src", INTERFACES_PACKAGE)
    except ResourceNotFoundError as exc:
        tried = [str(exc)]
    for prefix in filter(None, os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep)):
        candidate = Path(prefix) / "share" / INTERFACES_PACKAGE
        if (candidate / "msg").is_dir():
            return candidate
        tried.append(str(candidate))
    raise RecordError(f"{INTERFACES_PACKAGE} not found: {'; '.join(tried)}")


def extension_types(extra: Mapping[str, Traversable] | None = None) -> Typesdict:
    """Definitions of the bundled packages, of ``jazari_interfaces`` and of ``extra``
    (package name -> package folder), parsed and not yet registered."""
    sources: dict[str, Traversable] = {p: bundled_definitions(p) for p in BUNDLED_PACKAGES}
    sources[INTERFACES_PACKAGE] = interfaces_package_dir()
    sources.update(extra or {})
    types: Typesdict = {}
    for package, root in sources.items():
        types.update(load_interface_package(root, package))
    return types


def build_typestore(extra: Mapping[str, Traversable] | None = None) -> Typestore:
    """A new ROS 2 Jazzy type store with the extension packages registered.

    Args:
        extra: further interface packages to register, package name -> folder.

    Raises:
        InterfaceDefinitionError: when a file is malformed, refers to a type that exists
            nowhere, or redefines a Jazzy type differently.
    """
    store = get_typestore(Stores.ROS2_JAZZY)
    types = extension_types(extra)
    check_references(types, store.fielddefs)
    try:
        store.register(types)
    except TypesysError as exc:
        raise InterfaceDefinitionError(f"cannot register interface types: {exc}") from None
    return store


@functools.cache
def cell_typestore() -> Typestore:
    """The shared store of :func:`build_typestore` (built once; register nothing into it)."""
    return build_typestore()


class RosbagsMessageTypes:
    """Message classes from a rosbags type store, for :mod:`jazari.ros.convert`.

    rosbags' generated dataclasses take every field as an argument and hold arrays of
    numbers (fixed-size and sequences alike) as numpy arrays of the field's dtype.
    """

    def __init__(self, store: Typestore | None = None) -> None:
        self.store = store if store is not None else cell_typestore()

    def get(self, name: str) -> type[Any]:
        """The class of ``name`` (``"sensor_msgs/msg/Image"``)."""
        try:
            cls: type[Any] = self.store.types[name]
        except KeyError:
            raise UnknownMessageTypeError(
                f"message type {name!r} is not in the type store"
            ) from None
        return cls

    def sequence(self, values: NDArray[Any]) -> NDArray[Any]:
        """A numeric sequence field's value: the 1-D array itself, not a copy (the
        conversions hand over arrays they made)."""
        return np.ascontiguousarray(values).reshape(-1)
