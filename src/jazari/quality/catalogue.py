"""What inspection needs from the parts catalogue (``config/parts.yaml``, ``types``).

The digital twin reads the same file for its own purposes; quality sits above
perception and below the simulator, so it reads the catalogue itself rather than
importing the simulator.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jazari.config import load_params, load_params_file
from jazari.quality.errors import CatalogueError

SHAPES = ("box", "cylinder")


@dataclass(frozen=True)
class PartType:
    """A part type as inspection sees it.

    Attributes:
        name: the type's name.
        shape: ``box`` or ``cylinder``.
        dimensions_m: box (x, y, z) or cylinder (diameter, height), nominal [m].
        tolerance_m: allowed deviation of every dimension, ± [m].
        color_rgb: nominal sRGB colour in [0, 1].
        color_tolerance_delta_e: allowed colour difference (ΔE*ab unless configured).
    """

    name: str
    shape: str
    dimensions_m: tuple[float, ...]
    tolerance_m: float
    color_rgb: tuple[float, float, float]
    color_tolerance_delta_e: float

    def __post_init__(self) -> None:
        where = f"part type {self.name!r}"
        if self.shape not in SHAPES:
            raise CatalogueError(f"{where}: shape must be one of {SHAPES}, got {self.shape!r}")
        n = 3 if self.shape == "box" else 2
        if len(self.dimensions_m) != n or not all(d > 0 for d in self.dimensions_m):
            raise CatalogueError(f"{where}: needs {n} dimensions > 0 m, got {self.dimensions_m}")
        if not self.tolerance_m > 0 or not self.color_tolerance_delta_e > 0:
            raise CatalogueError(
                f"{where}: tolerances must be > 0, got {self.tolerance_m} m and "
                f"ΔE {self.color_tolerance_delta_e}"
            )
        if len(self.color_rgb) != 3 or not all(0.0 <= c <= 1.0 for c in self.color_rgb):
            raise CatalogueError(
                f"{where}: color_rgb must be 3 values in [0, 1], got {self.color_rgb}"
            )

    def measured_order(self) -> tuple[float, ...]:
        """Nominal dimensions in the order perception reports them: a box as
        (longer side, shorter side, height), a cylinder as (diameter, height)."""
        d = self.dimensions_m
        if self.shape == "box":
            return (max(d[0], d[1]), min(d[0], d[1]), d[2])
        return d

    @classmethod
    def from_params(cls, name: str, p: Mapping[str, Any]) -> PartType:
        """From one entry of the catalogue's ``types``."""
        try:
            dims = tuple(float(v) for v in p["dimensions_m"])
            rgb = tuple(float(v) for v in p["color_rgb"])
            tol, ctol = float(p["tolerance_m"]), float(p["color_tolerance_delta_e"])
            shape = str(p["shape"])
        except KeyError as exc:
            raise CatalogueError(f"part type {name!r} lacks {exc.args[0]!r}") from None
        except (TypeError, ValueError) as exc:
            raise CatalogueError(f"part type {name!r} has a malformed value: {exc}") from None
        if len(rgb) != 3 or not all(math.isfinite(v) for v in (*dims, *rgb, tol, ctol)):
            raise CatalogueError(f"part type {name!r}: values must be finite, rgb 3 values")
        return cls(name, shape, dims, tol, (rgb[0], rgb[1], rgb[2]), ctol)


def load_part_types(path: Path | str | None = None) -> tuple[PartType, ...]:
    """The part types of the catalogue in ``path`` (default: ``config/parts.yaml``).

    Raises:
        CatalogueError: when ``types`` is missing, empty or malformed.
    """
    params = load_params("parts") if path is None else load_params_file(path)
    types = params.get("types")
    if not isinstance(types, Mapping) or not types:
        raise CatalogueError(f"parts catalogue {path or 'parts.yaml'} has no 'types' mapping")
    out = []
    for name, entry in types.items():
        if not isinstance(entry, Mapping):
            raise CatalogueError(f"part type {name!r} must be a mapping, got {entry!r}")
        out.append(PartType.from_params(str(name), entry))
    return tuple(out)
