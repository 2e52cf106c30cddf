"""The part types of the parts catalogue, as inspection and the twin both read them."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from jazari.config import load_params
from jazari.quality.catalogue import PartType, load_part_types, part_types_from_params
from jazari.quality.errors import CatalogueError


def _params() -> dict[str, Any]:
    return copy.deepcopy(load_params("parts"))


def _red_box(**changes: Any) -> PartType:
    fields: dict[str, Any] = {
        "name": "red_box", "shape": "box", "dimensions_m": (0.06, 0.04, 0.035),
        "tolerance_m": 0.003, "color_rgb": (0.8, 0.12, 0.12), "color_tolerance_delta_e": 10.0,
        "mass_kg": 0.12,
    }  # fmt: skip
    return PartType(**{**fields, **changes})


def test_catalogue_types_come_in_perceptions_order() -> None:
    types = {t.name: t for t in load_part_types()}
    assert types["yellow_box"].measured_order() == (0.070, 0.032, 0.040)
    assert types["orange_cylinder"].measured_order() == (0.055, 0.030)


def test_catalogue_types_carry_their_mass() -> None:
    types = {t.name: t for t in load_part_types()}
    assert types["red_box"].mass_kg == 0.12
    assert types["purple_cylinder"].mass_kg == 0.07


def test_grasp_width_is_a_boxs_narrower_side_or_a_cylinders_diameter() -> None:
    types = {t.name: t for t in load_part_types()}
    assert types["yellow_box"].grasp_width_m == 0.032
    assert types["green_cylinder"].grasp_width_m == 0.040
    assert types["green_cylinder"].height_m == 0.045


def test_load_part_types_names_a_missing_field(tmp_path: Path) -> None:
    path = tmp_path / "parts.yaml"
    path.write_text("/**:\n  ros__parameters:\n    types:\n      odd:\n        shape: box\n")
    with pytest.raises(CatalogueError, match="'dimensions_m'"):
        load_part_types(path)


@pytest.mark.parametrize(
    ("key", "value", "named"),
    [
        ("color_rgb", [0.8, 1.2, 0.1], "color_rgb"),
        ("color_rgb", [0.8, 0.1], "color_rgb"),
        ("tolerance_m", "tight", "'tight'"),
        ("mass_kg", 0.0, "mass_kg"),
        ("shape", "sphere", "'sphere'"),
    ],
)
def test_part_types_reject_a_bad_value_naming_type_and_key(
    key: str, value: Any, named: str
) -> None:
    params = _params()
    params["types"]["blue_box"][key] = value
    with pytest.raises(CatalogueError, match=named) as err:
        part_types_from_params(params)
    assert "blue_box" in str(err.value)


def test_part_types_need_a_types_section_with_at_least_one_type() -> None:
    with pytest.raises(CatalogueError, match="'types'"):
        part_types_from_params({"defects": {}})
    with pytest.raises(CatalogueError, match="at least one part type"):
        part_types_from_params({"types": {}})


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"dimensions_m": (0.06, 0.04)}, "3 dimensions"),
        ({"tolerance_m": 0.01}, "tolerance_m"),  # more than a quarter of 0.035 m
        ({"color_tolerance_delta_e": -1.0}, "color_tolerance_delta_e"),
        ({"color_rgb": (0.8, 0.1, -0.1)}, "color_rgb"),
        ({"mass_kg": -0.1}, "mass_kg"),
    ],
)
def test_part_type_rejects_impossible_values_at_construction(
    changes: dict[str, Any], named: str
) -> None:
    _red_box()  # the unchanged type is fine
    with pytest.raises(CatalogueError, match=named):
        _red_box(**changes)
