"""The part types of the parts catalogue (``config/parts.yaml``, section ``types``).

This is the one model of a catalogue part type: the properties of a real part that
inspection judges against and the digital twin builds from. Quality sits above
perception and below the simulator, so the simulator imports it, never the reverse;
what only the simulator needs (the colour of a part with a colour defect) it reads
itself.

Conventions: dimensions are full sizes, a box (x, y, z), an upright cylinder (diameter,
height) [m]; colours are sRGB in [0, 1]; colour tolerance is ΔE*ab (CIE 1976, D65)
unless inspection is configured with another metric.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jazari.config import ParamReader, load_params, load_params_file
from jazari.perception.detection import SHAPES
from jazari.quality.errors import CatalogueError

RGB = tuple[float, float, float]


@dataclass(frozen=True)
class PartType:
    """One part type of the catalogue.

    Attributes:
        name: the type's name (``red_box``).
        shape: ``box`` or ``cylinder``.
        dimensions_m: nominal box (x, y, z) or cylinder (diameter, height) [m].
        tolerance_m: allowed deviation of every dimension from nominal, ± [m]; less
            than a quarter of the smallest dimension.
        color_rgb: nominal sRGB colour in [0, 1].
        color_tolerance_delta_e: allowed colour difference from nominal (ΔE*ab unless
            inspection is configured otherwise).
        mass_kg: mass [kg].
    """

    name: str
    shape: str
    dimensions_m: tuple[float, ...]
    tolerance_m: float
    color_rgb: RGB
    color_tolerance_delta_e: float
    mass_kg: float

    def __post_init__(self) -> None:
        where = f"part type {self.name!r}"
        if self.shape not in SHAPES:
            raise CatalogueError(f"{where}: shape must be one of {SHAPES}, got {self.shape!r}")
        n = 3 if self.shape == "box" else 2
        if len(self.dimensions_m) != n or not all(d > 0 for d in self.dimensions_m):
            raise CatalogueError(
                f"{where}: a {self.shape} needs {n} dimensions > 0 m, got {self.dimensions_m}"
            )
        if not 0 < self.tolerance_m < min(self.dimensions_m) / 4:
            raise CatalogueError(
                f"{where}: tolerance_m must be in (0, min dimension / 4), got {self.tolerance_m}"
            )
        if not self.color_tolerance_delta_e > 0:
            raise CatalogueError(
                f"{where}: color_tolerance_delta_e must be > 0, got {self.color_tolerance_delta_e}"
            )
        if len(self.color_rgb) != 3 or not all(0.0 <= c <= 1.0 for c in self.color_rgb):
            raise CatalogueError(
                f"{where}: color_rgb must be 3 values in [0, 1], got {self.color_rgb}"
            )
        if not self.mass_kg > 0:
            raise CatalogueError(f"{where}: mass_kg must be > 0, got {self.mass_kg}")

    @property
    def height_m(self) -> float:
        """Nominal height [m]."""
        return self.dimensions_m[-1]

    @property
    def grasp_width_m(self) -> float:
        """Nominal width between a parallel gripper's fingers [m]: a box's narrower
        horizontal side, a cylinder's diameter."""
        return min(self.dimensions_m[:2]) if self.shape == "box" else self.dimensions_m[0]

    def measured_order(self) -> tuple[float, ...]:
        """Nominal dimensions in the order perception reports them: a box as
        (longer side, shorter side, height), a cylinder as (diameter, height)."""
        d = self.dimensions_m
        if self.shape == "box":
            return (max(d[0], d[1]), min(d[0], d[1]), d[2])
        return d

    @classmethod
    def read(cls, name: str, r: ParamReader) -> PartType:
        """From one entry of the catalogue's ``types``; ``r`` names bad keys and values."""
        shape, dims = r.choice("shape", SHAPES), r.numbers("dimensions_m")
        tol, rgb = r.positive("tolerance_m"), read_rgb(r, "color_rgb")
        color_tol, mass = r.positive("color_tolerance_delta_e"), r.positive("mass_kg")
        return cls(name, shape, dims, tol, rgb, color_tol, mass)


def read_rgb(r: ParamReader, key: str) -> RGB:
    """The sRGB colour under ``key``: three numbers in [0, 1]."""
    v = r.numbers(key, 3, 0.0, 1.0)
    return (v[0], v[1], v[2])


def part_types_from_params(
    params: Mapping[str, Any], where: str = "parts.yaml"
) -> tuple[PartType, ...]:
    """The part types under ``types`` in a catalogue's ``ros__parameters`` mapping.

    Raises:
        CatalogueError: when ``types`` is missing or empty, or an entry is not a
            mapping, lacks a key or holds a bad value (the message names the type and key).
    """
    types = ParamReader(params, where, CatalogueError).section("types")
    if not types.params:
        raise CatalogueError(f"{types.where} must name at least one part type")
    return tuple(PartType.read(str(name), types.section(str(name))) for name in types.params)


def load_part_types(path: Path | str | None = None) -> tuple[PartType, ...]:
    """The part types of the catalogue in ``path`` (default: ``config/parts.yaml``).

    Raises:
        CatalogueError: see :func:`part_types_from_params`.
    """
    params = load_params("parts") if path is None else load_params_file(path)
    return part_types_from_params(params, "parts.yaml" if path is None else str(path))
