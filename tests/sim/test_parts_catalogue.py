"""The parts catalogue and the seeded spawner."""

from __future__ import annotations

import copy
import math
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jazari.config import load_params
from jazari.perception.colorspace import delta_e_76_rgb
from jazari.quality.errors import CatalogueError
from jazari.sim.errors import PartSpecError, SpawnError
from jazari.sim.footprint import gap
from jazari.sim.parts import (
    Defect,
    PartCatalogue,
    PartInstance,
    draw_part,
    load_catalogue,
    spawn_parts,
    touching_pairs,
)

GRIPPER_STROKE_M = 0.085


@pytest.fixture(scope="module")
def catalogue() -> PartCatalogue:
    return load_catalogue()


def _params() -> dict[str, Any]:
    return copy.deepcopy(load_params("parts"))


def test_catalogue_holds_boxes_and_cylinders_that_fit_the_gripper(catalogue: PartCatalogue) -> None:
    shapes = {s.shape for s in catalogue.specs}
    assert shapes == {"box", "cylinder"}
    catalogue.check_graspable(GRIPPER_STROKE_M)
    for spec in catalogue.specs:
        assert min(spec.dimensions_m) >= 0.025 and max(spec.dimensions_m) <= 0.075


def test_catalogue_colours_are_distinct_from_each_other_and_the_table(
    catalogue: PartCatalogue,
) -> None:
    table = (0.82, 0.78, 0.70)
    colours = [s.color_rgb for s in catalogue.specs]
    for i, a in enumerate(colours):
        assert delta_e_76_rgb(a, table) > 30.0
        for b in colours[i + 1 :]:
            assert delta_e_76_rgb(a, b) > 2 * catalogue.specs[0].color_tolerance_delta_e


def test_unknown_part_type_raises_naming_it(catalogue: PartCatalogue) -> None:
    with pytest.raises(PartSpecError, match="'hexagon'"):
        catalogue.spec("hexagon")
    with pytest.raises(PartSpecError, match="'hexagon'"):
        spawn_parts(catalogue, 3, np.random.default_rng(0), types=["red_box", "hexagon"])


def test_catalogue_rejects_unknown_shape_naming_it() -> None:
    params = _params()
    params["types"]["red_box"]["shape"] = "sphere"
    with pytest.raises(CatalogueError, match="'sphere'"):
        PartCatalogue.from_params(params)


def test_catalogue_rejects_negative_dimension_naming_the_part() -> None:
    params = _params()
    params["types"]["blue_box"]["dimensions_m"] = [0.05, -0.05, 0.03]
    with pytest.raises(CatalogueError, match="blue_box"):
        PartCatalogue.from_params(params)


def test_catalogue_rejects_wrong_colour_within_tolerance() -> None:
    params = _params()
    params["types"]["red_box"]["wrong_color_rgb"] = [0.81, 0.12, 0.12]
    with pytest.raises(PartSpecError, match="wrong_color_rgb"):
        PartCatalogue.from_params(params)


def test_catalogue_rejects_type_without_wrong_colour_naming_it() -> None:
    params = _params()
    del params["types"]["green_cylinder"]["wrong_color_rgb"]
    with pytest.raises(PartSpecError, match=r"green_cylinder.*'wrong_color_rgb'"):
        PartCatalogue.from_params(params)


def test_colour_defect_of_a_type_outside_the_catalogue_is_refused(
    catalogue: PartCatalogue,
) -> None:
    stranger = replace(catalogue.spec("red_box"), name="grey_box")
    with pytest.raises(PartSpecError, match="'grey_box'"):
        draw_part(stranger, 0, Defect.COLOR, catalogue.defects, np.random.default_rng(0))


def test_catalogue_rejects_unknown_defect_kind() -> None:
    params = _params()
    params["defects"]["kinds"] = ["dimension", "rust"]
    with pytest.raises(PartSpecError, match="'rust'"):
        PartCatalogue.from_params(params)


def test_check_graspable_rejects_part_wider_than_the_gripper() -> None:
    params = _params()
    params["types"]["orange_cylinder"]["dimensions_m"] = [0.084, 0.03]
    cat = PartCatalogue.from_params(params)
    with pytest.raises(PartSpecError, match="orange_cylinder"):
        cat.check_graspable(GRIPPER_STROKE_M)


def test_spawn_rejects_part_larger_than_the_work_area() -> None:
    params = _params()
    params["types"]["huge_box"] = {
        **params["types"]["red_box"], "dimensions_m": [0.6, 0.5, 0.05], "tolerance_m": 0.003,
    }  # fmt: skip
    cat = PartCatalogue.from_params(params)
    with pytest.raises(SpawnError, match="huge_box"):
        spawn_parts(cat, 1, np.random.default_rng(0), types=["huge_box"])


def test_spawn_rejects_more_parts_than_fit_naming_n(catalogue: PartCatalogue) -> None:
    with pytest.raises(SpawnError, match="200 parts"):
        spawn_parts(catalogue, 200, np.random.default_rng(0))


def test_spawn_gives_up_with_clear_error_when_no_free_place_is_found() -> None:
    params = _params()
    params["spawn"]["max_fill_ratio"] = 0.9
    params["spawn"]["max_attempts"] = 5
    params["spawn"]["min_clearance_m"] = 0.1
    cat = PartCatalogue.from_params(params)
    with pytest.raises(SpawnError, match="n=30"):
        spawn_parts(cat, 30, np.random.default_rng(0))


@pytest.mark.parametrize("n", [-1, 2.5, True])
def test_spawn_rejects_bad_count(catalogue: PartCatalogue, n: Any) -> None:
    with pytest.raises(SpawnError, match="number of parts"):
        spawn_parts(catalogue, n, np.random.default_rng(0))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 12))
def test_spawned_parts_never_overlap_and_stay_in_the_work_area(seed: int, n: int) -> None:
    cat = load_catalogue()
    parts = spawn_parts(cat, n, np.random.default_rng(seed))
    assert [p.part_id for p in parts] == list(range(n))
    sp = cat.spawn
    fps = [p.footprint() for p in parts]
    for i, a in enumerate(fps):
        h = a.half_extent()
        assert sp.x_range_m[0] - 1e-9 <= a.x_m - h[0] and a.x_m + h[0] <= sp.x_range_m[1] + 1e-9
        assert sp.y_range_m[0] - 1e-9 <= a.y_m - h[1] and a.y_m + h[1] <= sp.y_range_m[1] + 1e-9
        for b in fps[i + 1 :]:
            assert gap(a, b) >= sp.touch_gap_m - 1e-6


def test_spawn_lays_parts_against_each_other_when_asked(catalogue: PartCatalogue) -> None:
    parts = spawn_parts(catalogue, 6, np.random.default_rng(3), touch_probability=1.0)
    pairs = touching_pairs(parts)
    assert len(pairs) >= 3
    by_id = {p.part_id: p.footprint() for p in parts}
    for a, b in pairs:
        assert 0.0 <= gap(by_id[a], by_id[b]) <= catalogue.spawn.touch_gap_m + 1e-6


def test_spawn_without_touching_keeps_the_clearance(catalogue: PartCatalogue) -> None:
    parts = spawn_parts(catalogue, 8, np.random.default_rng(5), touch_probability=0.0)
    assert touching_pairs(parts) == set()
    fps = [p.footprint() for p in parts]
    for i, a in enumerate(fps):
        for b in fps[i + 1 :]:
            assert gap(a, b) >= catalogue.spawn.min_clearance_m - 1e-9


def test_same_seed_gives_same_scene_and_other_seed_another(catalogue: PartCatalogue) -> None:
    a = spawn_parts(catalogue, 6, np.random.default_rng(42))
    b = spawn_parts(catalogue, 6, np.random.default_rng(42))
    c = spawn_parts(catalogue, 6, np.random.default_rng(43))
    assert a == b
    assert a != c


def test_good_parts_are_within_tolerance_and_nominal_colour(catalogue: PartCatalogue) -> None:
    parts = spawn_parts(catalogue, 10, np.random.default_rng(1), defect_probability=0.0)
    for p in parts:
        assert p.defect is Defect.NONE and p.mark is None and not p.is_defective
        dev = np.abs(np.subtract(p.dimensions_m, p.spec.dimensions_m))
        assert np.all(dev <= p.spec.tolerance_m)
        assert p.color_rgb == p.spec.color_rgb


def test_every_defect_is_detectable_from_its_description(catalogue: PartCatalogue) -> None:
    parts = spawn_parts(catalogue, 12, np.random.default_rng(2), defect_probability=1.0)
    kinds = {p.defect for p in parts}
    assert kinds == {Defect.DIMENSION, Defect.COLOR, Defect.MARK}
    for p in parts:
        assert p.is_defective and p.defect_detail
        dev = np.abs(np.subtract(p.dimensions_m, p.spec.dimensions_m))
        if p.defect is Defect.DIMENSION:
            assert np.max(dev) >= 2.5 * p.spec.tolerance_m - 1e-12
        elif p.defect is Defect.COLOR:
            assert delta_e_76_rgb(p.color_rgb, p.spec.color_rgb) > p.spec.color_tolerance_delta_e
        else:
            assert p.mark is not None
            _assert_mark_on_top_face(p)


def _assert_mark_on_top_face(p: PartInstance) -> None:
    m = p.mark
    assert m is not None
    c, s = math.cos(m.yaw_rad), math.sin(m.yaw_rad)
    ends = [(m.x_m + sx * c * m.length_m / 2 - sy * s * m.width_m / 2,
             m.y_m + sx * s * m.length_m / 2 + sy * c * m.width_m / 2)
            for sx in (-1, 1) for sy in (-1, 1)]  # fmt: skip
    for x, y in ends:
        if p.spec.shape == "box":
            assert abs(x) <= p.dimensions_m[0] / 2 and abs(y) <= p.dimensions_m[1] / 2
        else:
            assert math.hypot(x, y) <= p.dimensions_m[0] / 2
    assert m.width_m >= 0.003  # at least two pixels at 1.4 mm/px


def test_defect_probability_out_of_range_is_rejected(catalogue: PartCatalogue) -> None:
    with pytest.raises(SpawnError, match=r"1\.5"):
        spawn_parts(catalogue, 2, np.random.default_rng(0), defect_probability=1.5)


def test_part_pose_rests_on_the_table(catalogue: PartCatalogue) -> None:
    p = PartInstance.nominal(catalogue.spec("yellow_box"), 0, 0.5, 0.1, math.pi / 2)
    T = p.T_world_part()
    np.testing.assert_allclose(T[:3, 3], [0.5, 0.1, 0.02])
    np.testing.assert_allclose(T[:3, 0], [0.0, 1.0, 0.0], atol=1e-12)
