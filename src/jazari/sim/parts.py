"""The parts catalogue (``config/parts.yaml``) and the seeded spawner of parts on the table.

A part type (:class:`jazari.quality.catalogue.PartType`) is a box or an upright
cylinder with nominal dimensions, a dimensional tolerance, a colour with a colour
tolerance (ΔE*ab in CIELAB, D65) and a mass. The twin adds what only it needs: the
defects it puts on purpose and where parts are laid out. A spawned part is an instance
of a type: its real dimensions vary within the tolerance, unless it is defective on
purpose:

* ``dimension``: one dimension is off by several tolerances;
* ``color``: the part has the type's ``wrong_color_rgb`` (an entry of ``types`` that
  only the twin reads);
* ``mark``: a dark stripe on the top face, where the overhead camera sees it.

Part frame: origin at the part's geometric centre, z up (the cylinder's axis), for a
box x along ``dimensions_m[0]`` and y along ``dimensions_m[1]``. Dimensions are full
sizes: a box is (x, y, z), a cylinder (diameter, height) [m]. Colours are sRGB in
[0, 1], as a face turned to the light renders (see ``render`` in ``config/sim.yaml``).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from jazari.config import ParamReader, load_params, load_params_file
from jazari.geometry.transforms import FloatArray, make_transform, rpy_to_matrix
from jazari.perception.colorspace import delta_e_76_rgb
from jazari.quality.catalogue import RGB, PartType, part_types_from_params, read_rgb
from jazari.sim.errors import PartSpecError, SpawnError
from jazari.sim.footprint import DISC, RECT, Footprint, gap, place_touching

# Parts closer than this count as touching in the ground truth [m].
TOUCH_DISTANCE_M = 0.001
# Marks stay this far inside the top face's edge [m].
MARK_INSET_M = 0.003


class Defect(enum.Enum):
    """Why a part is bad (``NONE``: it is good)."""

    NONE = "none"
    DIMENSION = "dimension"
    COLOR = "color"
    MARK = "mark"


@dataclass(frozen=True)
class DefectParams:
    """How spawned parts vary and fail.

    Attributes:
        probability: chance that a spawned part is defective [0..1].
        kinds: the defects drawn from, uniformly.
        in_tolerance_fraction: good parts deviate by at most this fraction of the
            tolerance in each dimension.
        out_of_tolerance_factor: (lo, hi): a dimension defect is off by this many
            tolerances, drawn uniformly.
        mark_color_rgb: colour of a surface mark.
        mark_width_m: width of the mark stripe [m].
        mark_length_fraction: (lo, hi) of the stripe's length over the top face's
            smallest side (or diameter).
        mark_thickness_m: the mark's height over the top face [m] (paint-thin: the depth
            image does not show it).
        wrong_color_rgb: by part type name, the sRGB colour of a part with a colour
            defect (``wrong_color_rgb`` in the type's entry of ``types``).
    """

    probability: float
    kinds: tuple[Defect, ...]
    in_tolerance_fraction: float
    out_of_tolerance_factor: tuple[float, float]
    mark_color_rgb: RGB
    mark_width_m: float
    mark_length_fraction: tuple[float, float]
    mark_thickness_m: float
    wrong_color_rgb: Mapping[str, RGB]

    def wrong_color(self, part_type: str) -> RGB:
        """The colour of a part of ``part_type`` with a colour defect.

        Raises:
            PartSpecError: naming the type when it has no wrong colour.
        """
        if part_type not in self.wrong_color_rgb:
            raise PartSpecError(
                f"part type {part_type!r} has no wrong_color_rgb; "
                f"the types that have one: {list(self.wrong_color_rgb)}"
            )
        return self.wrong_color_rgb[part_type]

    @classmethod
    def read(cls, r: ParamReader, types: ParamReader) -> DefectParams:
        """From the ``defects`` section and each entry's ``wrong_color_rgb`` in ``types``."""
        kinds = []
        for k in r.strings("kinds"):
            try:
                kinds.append(Defect(k))
            except ValueError:
                allowed = [d.value for d in Defect if d is not Defect.NONE]
                raise PartSpecError(
                    f"{r.where}.kinds: unknown defect {k!r}; known: {allowed}"
                ) from None
        if Defect.NONE in kinds:
            raise PartSpecError(f"{r.where}.kinds must not list 'none'")
        factor = r.numbers("out_of_tolerance_factor", 2, 1.0, 20.0)
        length = r.numbers("mark_length_fraction", 2, 0.05, 0.95)
        for key, (lo, hi) in (
            ("out_of_tolerance_factor", factor),
            ("mark_length_fraction", length),
        ):
            if lo > hi:
                raise PartSpecError(f"{r.where}.{key} must be (lo, hi) with lo <= hi, got {lo, hi}")
        wrong = {str(n): read_rgb(types.section(str(n)), "wrong_color_rgb") for n in types.params}
        return cls(
            r.number("probability", 0.0, 1.0), tuple(kinds),
            r.number("in_tolerance_fraction", 0.0, 0.9),
            (factor[0], factor[1]), read_rgb(r, "mark_color_rgb"), r.positive("mark_width_m"),
            (length[0], length[1]), r.positive("mark_thickness_m"), wrong,
        )  # fmt: skip


@dataclass(frozen=True)
class SpawnParams:
    """Where and how parts are laid out.

    Attributes:
        x_range_m, y_range_m: the work area on the table, in the world frame [m].
        touch_probability: chance that a part is placed touching an earlier one [0..1].
        touch_gap_m: gap left between touching parts [m] (to the camera they touch).
        min_clearance_m: smallest gap between parts that do not touch [m].
        max_fill_ratio: parts may cover at most this fraction of the work area.
        max_attempts: random placements tried per part before giving up.
    """

    x_range_m: tuple[float, float]
    y_range_m: tuple[float, float]
    touch_probability: float
    touch_gap_m: float
    min_clearance_m: float
    max_fill_ratio: float
    max_attempts: int

    def __post_init__(self) -> None:
        for name in ("x_range_m", "y_range_m"):
            lo, hi = getattr(self, name)
            if not lo < hi:
                raise PartSpecError(f"spawn {name} must be (lo, hi) with lo < hi, got {lo, hi}")
        if not 0 <= self.touch_gap_m < TOUCH_DISTANCE_M:
            raise PartSpecError(
                f"spawn touch_gap_m must be in [0, {TOUCH_DISTANCE_M}), got {self.touch_gap_m}"
            )

    @property
    def area_m2(self) -> float:
        """Size of the work area [m²]."""
        return (self.x_range_m[1] - self.x_range_m[0]) * (self.y_range_m[1] - self.y_range_m[0])

    @classmethod
    def read(cls, r: ParamReader) -> SpawnParams:
        """From the ``spawn`` section."""
        x, y = r.numbers("work_area_x_m", 2), r.numbers("work_area_y_m", 2)
        return cls(
            (x[0], x[1]), (y[0], y[1]), r.number("touch_probability", 0.0, 1.0),
            r.number("touch_gap_m", 0.0, 0.01), r.number("min_clearance_m", 0.0, 0.2),
            r.number("max_fill_ratio", 0.01, 0.9), r.integer("max_attempts", 1),
        )  # fmt: skip


@dataclass(frozen=True)
class PartCatalogue:
    """The part types and the rules for spawning them.

    Attributes:
        specs: the part types, in catalogue order.
        defects: how spawned parts vary and fail (with each type's wrong colour).
        spawn: where and how parts are laid out.
    """

    specs: tuple[PartType, ...]
    defects: DefectParams
    spawn: SpawnParams

    def __post_init__(self) -> None:
        names = [s.name for s in self.specs]
        if not names or len(set(names)) != len(names):
            raise PartSpecError(f"part type names must be present and unique, got {names}")
        for s in self.specs:
            wrong = self.defects.wrong_color(s.name)
            de = delta_e_76_rgb(s.color_rgb, wrong)
            # Far enough that a colour defect is a clear failure, not a borderline one.
            if de < 2.0 * s.color_tolerance_delta_e:
                raise PartSpecError(
                    f"part type {s.name!r}: wrong_color_rgb {wrong} is only ΔE {de:.1f} from "
                    f"color_rgb; it must be at least twice the tolerance "
                    f"({2.0 * s.color_tolerance_delta_e})"
                )

    @property
    def names(self) -> tuple[str, ...]:
        """The part types' names, in catalogue order."""
        return tuple(s.name for s in self.specs)

    def spec(self, name: str) -> PartType:
        """The part type called ``name``.

        Raises:
            PartSpecError: naming the unknown type and the known ones.
        """
        for s in self.specs:
            if s.name == name:
                return s
        raise PartSpecError(f"unknown part type {name!r}; known: {list(self.names)}")

    def max_dimension_error_m(self, spec: PartType) -> float:
        """Largest deviation from nominal a spawned part of ``spec`` can have [m]."""
        return self.defects.out_of_tolerance_factor[1] * spec.tolerance_m

    def check_graspable(self, max_opening_m: float) -> None:
        """Raise PartSpecError if a part (even a defective one) is too wide to grasp.

        A box is grasped across its narrower horizontal side, a cylinder across its
        diameter; both must fit between fingers opened to ``max_opening_m``.
        """
        for s in self.specs:
            width = s.grasp_width_m + self.max_dimension_error_m(s)
            if width >= max_opening_m:
                raise PartSpecError(
                    f"part type {s.name!r}: grasp width up to {width:.4f} m does not fit the "
                    f"gripper's {max_opening_m:.4f} m opening"
                )

    @classmethod
    def from_params(cls, params: Mapping[str, Any], where: str = "parts.yaml") -> PartCatalogue:
        """From a ``ros__parameters`` mapping with ``types``, ``defects`` and ``spawn``.

        Raises:
            CatalogueError: for a malformed part type (:mod:`jazari.quality.catalogue`).
            PartSpecError: for malformed defects, wrong colours or spawn rules.
        """
        specs = part_types_from_params(params, where)
        r = ParamReader(params, where, PartSpecError)
        defects = DefectParams.read(r.section("defects"), r.section("types"))
        return cls(specs, defects, SpawnParams.read(r.section("spawn")))


def load_catalogue(path: Path | str | None = None) -> PartCatalogue:
    """The catalogue in ``path`` (default: the packaged ``config/parts.yaml``)."""
    params = load_params("parts") if path is None else load_params_file(path)
    return PartCatalogue.from_params(params, "parts.yaml" if path is None else str(path))


@dataclass(frozen=True)
class SurfaceMark:
    """A dark stripe on a part's top face.

    Attributes:
        x_m, y_m: stripe centre in the part frame [m] (on the top face).
        yaw_rad: stripe direction about the part's z [rad].
        length_m, width_m: stripe size [m]; thickness_m: height over the face [m].
        color_rgb: sRGB colour.
    """

    x_m: float
    y_m: float
    yaw_rad: float
    length_m: float
    width_m: float
    thickness_m: float
    color_rgb: RGB


@dataclass(frozen=True)
class PartInstance:
    """A real part: a type, its actual size and colour, its defect, and where it starts.

    Attributes:
        part_id: unique id in its scene (≥ 0).
        spec: its type.
        defect: why it is bad, or ``Defect.NONE``.
        dimensions_m: actual box (x, y, z) or cylinder (diameter, height) [m].
        color_rgb: actual sRGB colour.
        mark: the surface mark of a ``MARK`` defect, else None.
        x_m, y_m, yaw_rad: initial pose on the table (its centre stands at z = height / 2).
        defect_detail: what is wrong in words (empty for good parts).
    """

    part_id: int
    spec: PartType
    defect: Defect
    dimensions_m: tuple[float, ...]
    color_rgb: RGB
    mark: SurfaceMark | None
    x_m: float
    y_m: float
    yaw_rad: float
    defect_detail: str = field(default="")

    @classmethod
    def nominal(
        cls, spec: PartType, part_id: int, x_m: float, y_m: float, yaw_rad: float = 0.0
    ) -> PartInstance:
        """A perfect part of ``spec`` at (x_m, y_m, yaw_rad)."""
        return cls(
            part_id, spec, Defect.NONE, spec.dimensions_m, spec.color_rgb, None, x_m, y_m, yaw_rad
        )

    @property
    def is_defective(self) -> bool:
        """True when the part should be rejected."""
        return self.defect is not Defect.NONE

    @property
    def height_m(self) -> float:
        """Actual height [m]."""
        return self.dimensions_m[-1]

    def footprint(self) -> Footprint:
        """The table area the part covers at its initial pose."""
        if self.spec.shape == "box":
            hx, hy = self.dimensions_m[0] / 2.0, self.dimensions_m[1] / 2.0
            return Footprint(RECT, self.x_m, self.y_m, self.yaw_rad, hx, hy)
        r = self.dimensions_m[0] / 2.0
        return Footprint(DISC, self.x_m, self.y_m, self.yaw_rad, r, r)

    def placed(self, fp: Footprint) -> PartInstance:
        """The same part at ``fp``'s position and yaw."""
        return replace(self, x_m=fp.x_m, y_m=fp.y_m, yaw_rad=fp.yaw_rad)

    def T_world_part(self) -> FloatArray:
        """4×4 initial pose of the part frame in the world (resting on the table)."""
        return make_transform(
            rpy_to_matrix(0.0, 0.0, self.yaw_rad), (self.x_m, self.y_m, self.height_m / 2.0)
        )


def _draw_mark(
    dims: tuple[float, ...], shape: str, p: DefectParams, rng: np.random.Generator
) -> SurfaceMark:
    top = min(dims[0], dims[1]) if shape == "box" else dims[0]
    length = float(rng.uniform(*p.mark_length_fraction)) * top
    width = min(p.mark_width_m, length)
    yaw = float(rng.uniform(-math.pi / 2, math.pi / 2))
    if shape == "box":
        c, s = abs(math.cos(yaw)), abs(math.sin(yaw))
        ex = c * length / 2 + s * width / 2
        ey = s * length / 2 + c * width / 2
        room = np.maximum([dims[0] / 2 - ex - MARK_INSET_M, dims[1] / 2 - ey - MARK_INSET_M], 0.0)
        x, y = rng.uniform(-room, room)
    else:
        room_r = max(dims[0] / 2 - math.hypot(length / 2, width / 2) - MARK_INSET_M, 0.0)
        rad, ang = room_r * math.sqrt(rng.uniform()), rng.uniform(-math.pi, math.pi)
        x, y = rad * math.cos(ang), rad * math.sin(ang)
    return SurfaceMark(float(x), float(y), yaw, length, width, p.mark_thickness_m, p.mark_color_rgb)


def draw_part(
    spec: PartType, part_id: int, defect: Defect, params: DefectParams, rng: np.random.Generator
) -> PartInstance:
    """A part of ``spec`` with ``defect``, its dimensions varied by ``rng``, at the origin."""
    tol = spec.tolerance_m
    spread = params.in_tolerance_fraction * tol
    dims = [d + float(rng.uniform(-spread, spread)) for d in spec.dimensions_m]
    color, mark, detail = spec.color_rgb, None, ""
    if defect is Defect.DIMENSION:
        i = int(rng.integers(len(dims)))
        off = float(rng.uniform(*params.out_of_tolerance_factor) * rng.choice([-1.0, 1.0])) * tol
        dims[i] = spec.dimensions_m[i] + off
        detail = (
            f"dimension {i} is {dims[i]:.4f} m, nominal {spec.dimensions_m[i]:.4f} ± {tol:.4f} m"
        )
    elif defect is Defect.COLOR:
        color = params.wrong_color(spec.name)
        detail = f"colour {color} is ΔE {delta_e_76_rgb(color, spec.color_rgb):.1f} from nominal"
    elif defect is Defect.MARK:
        mark = _draw_mark(tuple(dims), spec.shape, params, rng)
        detail = f"surface mark {mark.length_m * 1e3:.1f} mm x {mark.width_m * 1e3:.1f} mm on top"
    return PartInstance(part_id, spec, defect, tuple(dims), color, mark, 0.0, 0.0, 0.0, detail)


def _inside(fp: Footprint, sp: SpawnParams) -> bool:
    h = fp.half_extent()
    (x0, x1), (y0, y1) = sp.x_range_m, sp.y_range_m
    return bool(x0 + h[0] <= fp.x_m <= x1 - h[0] and y0 + h[1] <= fp.y_m <= y1 - h[1])


def _check_fits(parts: Sequence[PartInstance], sp: SpawnParams) -> None:
    width = min(sp.x_range_m[1] - sp.x_range_m[0], sp.y_range_m[1] - sp.y_range_m[0])
    for part in parts:
        diameter = 2.0 * part.footprint().radius_m
        if diameter > width:
            raise SpawnError(
                f"part type {part.spec.name!r} ({diameter:.3f} m across) does not fit the "
                f"work area {sp.x_range_m} x {sp.y_range_m} m"
            )
    covered = sum(p.footprint().area_m2() for p in parts)
    if covered > sp.max_fill_ratio * sp.area_m2:
        raise SpawnError(
            f"{len(parts)} parts cover {covered:.4f} m², more than max_fill_ratio "
            f"{sp.max_fill_ratio} of the {sp.area_m2:.4f} m² work area; spawn fewer parts"
        )


def _random_place(
    fp: Footprint, placed: Sequence[Footprint], sp: SpawnParams, rng: np.random.Generator
) -> Footprint | None:
    """A free position for ``fp``, touching an earlier part with ``touch_probability``."""
    if placed and rng.uniform() < sp.touch_probability:
        other = placed[int(rng.integers(len(placed)))]
        cand = place_touching(other, fp, rng.uniform(-math.pi, math.pi), sp.touch_gap_m)
        others = [p for p in placed if p is not other]
    else:
        h = fp.half_extent()
        x = float(rng.uniform(sp.x_range_m[0] + h[0], sp.x_range_m[1] - h[0]))
        y = float(rng.uniform(sp.y_range_m[0] + h[1], sp.y_range_m[1] - h[1]))
        cand, others = fp.moved(x, y), list(placed)
    # Parts touch only where meant to; all others keep room for the fingers.
    if not _inside(cand, sp) or any(gap(cand, p) < sp.min_clearance_m for p in others):
        return None
    return cand


def spawn_parts(
    catalogue: PartCatalogue,
    n: int,
    rng: np.random.Generator,
    *,
    types: Sequence[str] | None = None,
    defect_probability: float | None = None,
    touch_probability: float | None = None,
) -> tuple[PartInstance, ...]:
    """``n`` parts at seeded random poses on the work area, none overlapping.

    Args:
        catalogue: part types and spawn rules.
        n: number of parts (≥ 0).
        rng: the only source of randomness, so a seed gives one scene.
        types: the part types to draw from (default: all), uniformly.
        defect_probability, touch_probability: override the catalogue's values.

    Raises:
        PartSpecError: for an unknown type in ``types``.
        SpawnError: when a part is larger than the work area, the parts together
            cover too much of it, or a part finds no free place (the message names n).
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise SpawnError(f"number of parts must be an integer >= 0, got {n!r}")
    specs = [catalogue.spec(t) for t in (catalogue.names if types is None else types)]
    if not specs:
        raise PartSpecError("types must name at least one part type, got []")
    sp = catalogue.spawn
    if touch_probability is not None:
        sp = replace(sp, touch_probability=float(touch_probability))
    p_defect = catalogue.defects.probability if defect_probability is None else defect_probability
    if not 0.0 <= p_defect <= 1.0:
        raise SpawnError(f"defect_probability must be in [0, 1], got {p_defect}")
    kinds = catalogue.defects.kinds
    parts = []
    for i in range(n):
        spec = specs[int(rng.integers(len(specs)))]
        defect = kinds[int(rng.integers(len(kinds)))] if rng.uniform() < p_defect else Defect.NONE
        parts.append(draw_part(spec, i, defect, catalogue.defects, rng))
    _check_fits(parts, sp)
    placed: list[Footprint] = []
    out = []
    for part in parts:
        for _ in range(sp.max_attempts):
            yaw = float(rng.uniform(-math.pi, math.pi))
            fp = _random_place(replace(part.footprint(), yaw_rad=yaw), placed, sp, rng)
            if fp is not None:
                break
        else:
            raise SpawnError(
                f"cannot place part {part.part_id + 1} of n={n} ({part.spec.name}) on the work "
                f"area {sp.x_range_m} x {sp.y_range_m} m after {sp.max_attempts} attempts; "
                "spawn fewer parts"
            )
        placed.append(fp)
        out.append(part.placed(fp))
    return tuple(out)


def touching_pairs(
    parts: Sequence[PartInstance], within_m: float = TOUCH_DISTANCE_M
) -> set[tuple[int, int]]:
    """Ids (smaller first) of parts whose initial footprints are closer than ``within_m``."""
    fps = [p.footprint() for p in parts]
    return {
        (min(a.part_id, b.part_id), max(a.part_id, b.part_id))
        for i, a in enumerate(parts)
        for j, b in enumerate(parts)
        if i < j and gap(fps[i], fps[j]) < within_m
    }
