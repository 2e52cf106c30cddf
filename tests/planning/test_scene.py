"""Parts, the scene from the URDF, bins, place poses and planner options."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from planning_scenes import box_on_table, cylinder_on_table, pose

from jazari.config import load_params_file
from jazari.errors import ConfigError
from jazari.planning.errors import PlanningInputError
from jazari.planning.options import PlannerOptions
from jazari.planning.part import Part
from jazari.planning.scene import Scene, place_pose_in_bin
from jazari.planning.world import objects_touching
from jazari.resources import share_path


@pytest.mark.parametrize(
    ("shape", "dims", "match"),
    [("cone", (0.1,), "shape"), ("box", (0.1, 0.1), "dims_m"), ("box", (0.1, -0.1, 0.1), "size_y"),
     ("cylinder", (0.02, float("nan")), "height")],
)  # fmt: skip
def test_part_rejects_bad_shapes_and_sizes(shape: str, dims: tuple[float, ...], match: str) -> None:
    with pytest.raises(PlanningInputError, match=match):
        Part(shape, dims, np.eye(4))  # type: ignore[arg-type]


def test_part_rejects_a_non_rigid_pose() -> None:
    T = np.eye(4)
    T[0, 0] = 2.0
    with pytest.raises(PlanningInputError, match="rigid"):
        Part("box", (0.1, 0.1, 0.1), T)
    with pytest.raises(PlanningInputError, match="4x4"):
        Part("box", (0.1, 0.1, 0.1), np.eye(3))


def test_lowest_point_of_tilted_parts() -> None:
    box = box_on_table(0.5, 0.0, (0.04, 0.04, 0.06))
    assert box.lowest_point_z_m() == pytest.approx(0.0)
    c, s = np.cos(np.pi / 4), np.sin(np.pi / 4)
    tilted = Part(
        "cylinder",
        (0.02, 0.1),
        np.array([[1, 0, 0, 0], [0, c, -s, 0], [0, s, c, 0.2], [0, 0, 0, 1]]),
    )
    assert tilted.lowest_point_z_m() == pytest.approx(0.2 - c * 0.05 - s * 0.02)


def test_scene_fixtures_are_the_links_outside_the_arm(cell_scene: Scene) -> None:
    names = {f.name for f in cell_scene.fixtures}
    assert names == {"table", "bin_accepted", "bin_rejected", "camera_post", "camera_link"}
    np.testing.assert_allclose(cell_scene.fixture_pose("bin_rejected")[:3, 3], [0.15, -0.5, 0.01])
    with pytest.raises(PlanningInputError, match="no fixture"):
        cell_scene.fixture_pose("conveyor")


def test_parts_can_be_added_and_removed(cell_scene: Scene) -> None:
    a = box_on_table(0.5, 0.0, (0.04, 0.04, 0.04), name="a")
    b = cylinder_on_table(0.6, 0.1, 0.02, 0.05)
    scene = cell_scene.with_parts(a, b)
    assert scene.world.objects[-2:] == ("part:a", "part:1")
    assert scene.without_part(a).parts == (b,)
    assert scene.without_part(b.moved_to(b.T_base_part)).parts == (a,)  # matched by shape and pose


def test_bin_interior_and_place_pose(cell_scene: Scene) -> None:
    inside = cell_scene.bin_interior("bin_accepted")
    assert (inside.half_x_m, inside.half_y_m) == pytest.approx((0.11, 0.10))
    assert inside.floor_z_m == pytest.approx(0.01) and inside.wall_top_z_m == pytest.approx(0.09)
    part = box_on_table(0.5, 0.0, (0.04, 0.03, 0.05))
    T = place_pose_in_bin(cell_scene, "bin_accepted", part, (0.02, -0.01), np.pi / 2, 0.01)
    placed = part.moved_to(T)
    assert placed.lowest_point_z_m() == pytest.approx(0.02)
    np.testing.assert_allclose(T[:2, 3], [0.17, 0.49])
    np.testing.assert_allclose(T[:3, 2], [0, 0, 1], atol=1e-12)  # still upright
    with pytest.raises(PlanningInputError, match="does not fit"):
        place_pose_in_bin(cell_scene, "bin_accepted", part, (0.1, 0.0))
    with pytest.raises(PlanningInputError, match="not a bin"):
        cell_scene.bin_interior("table")


def test_objects_touching_a_part_are_its_support_and_neighbours(cell_scene: Scene) -> None:
    a = box_on_table(0.5, 0.0, (0.04, 0.04, 0.04), name="a")
    leaning = box_on_table(0.5, 0.0405, (0.04, 0.04, 0.04), name="b")
    far = box_on_table(0.7, 0.0, (0.04, 0.04, 0.04), name="c")
    world = cell_scene.with_parts(leaning, far).world
    assert objects_touching(a, world, 0.001) == ["table", "part:b"]
    floating = a.moved_to(pose(0.5, -0.2, 0.3))
    assert objects_touching(floating, world, 0.001) == []


def test_options_load_from_the_packaged_yaml_and_reject_unknown_or_bad_values(
    tmp_path: Path,
) -> None:
    options = PlannerOptions.load()
    assert options.collision_resolution_m == 0.005 and options.rrt.range_m == 2.0
    params = load_params_file(share_path("config", "planner.yaml"))
    params["cartesian"]["speed_mps"] = 0.1
    assert PlannerOptions.from_params(params).cartesian_speed_mps == 0.1
    bad = dict(params, grasp={"finger_clearance": 0.01})
    with pytest.raises(ConfigError, match="finger_clearance"):
        PlannerOptions.from_params(bad)
    with pytest.raises(ConfigError, match=r"unknown parameter collision\.foo"):
        PlannerOptions.from_params(dict(params, collision={"foo": 1}))
    with pytest.raises(ConfigError, match="time_budget_s"):
        PlannerOptions.from_params(dict(params, time_budget_s=-1.0))
    path = tmp_path / "planner.yaml"
    path.write_text(yaml.safe_dump({"/**": {"ros__parameters": dict(params, seed=5)}}))
    assert PlannerOptions.from_params(load_params_file(path)).seed == 5
