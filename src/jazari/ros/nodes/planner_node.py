"""``planner_node``: pick-and-place planning as the ``pick_place`` action
(``jazari_interfaces/action/PickPlace``), and free moves as ``plan_move``
(``jazari_interfaces/action/PlanMove``: back to the observe pose after a failed pick).

A goal names the part (a ``vision_msgs/Detection3D`` whose class is a catalogue type),
the other parts to keep clear of, the bin (``bin_accepted`` or ``bin_rejected``) and the
joint state to start from. The result holds the plan as ``PlanSegment`` motions, each
with the gripper step after it, or a code saying why there is none; the planner only
plans, the caller runs the motions (``follow_joint_trajectory``, ``gripper_cmd``). Every
plan is re-validated (limits, continuity, collisions) before it is returned, and its tool
path is published on ``planned_path`` (``nav_msgs/msg/Path``) for RViz.

Planning is bounded by ``time_budget_s``; a goal canceled meanwhile ends as CANCELED.
Parameters: ``config/planner.yaml``, ``joint_limits.yaml``, ``parts.yaml``, ``cell.yaml``
(the observe pose).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rclpy.action import ActionServer, CancelResponse
from rclpy.action.server import ServerGoalHandle
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.node import Node

from jazari.cell.planner import CellPlanner
from jazari.planning.options import PlannerOptions
from jazari.planning.pick_place import PickPlacePlanner
from jazari.planning.plan import PickPlacePlan
from jazari.planning.scene import Scene
from jazari.planning.timing import TimingLimits
from jazari.quality.catalogue import part_types_from_params
from jazari.robot.model import load_cell_model
from jazari.ros.convert.joints import joint_positions
from jazari.ros.convert.markers import path_msg
from jazari.ros.convert.plans import (
    PickPlaceCode,
    pick_place_feedback_msg,
    pick_place_request,
    pick_place_result_msg,
    plan_move_request,
    plan_move_result_msg,
    planned_motions,
)
from jazari.ros.display import tool_path
from jazari.ros.errors import ConversionError
from jazari.ros.message_types import RclpyMessageTypes
from jazari.ros.node_schemas import JOINT_LIMITS, PARTS, PLANNER, schema
from jazari.ros.param_schema import group_values, nest
from jazari.ros.parameters import declare_from_schema
from jazari.ros.planning_service import PickPlaceService
from jazari.ros.runtime import run_nodes

#: Every how many trajectory samples a pose goes into the published tool path.
PATH_STRIDE = 5


class PlannerNode(Node):  # type: ignore[misc]  # rclpy is untyped without ROS
    """Serves ``pick_place`` and ``plan_move``; one plan at a time."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            "planner_node", automatically_declare_parameters_from_overrides=True, **kwargs
        )
        values = declare_from_schema(self, schema("planner_node"))
        own = nest(values)
        self._model = load_cell_model()
        options = PlannerOptions.from_params(group_values(values, PLANNER))
        limits = TimingLimits.from_config(
            self._model, group_values(values, JOINT_LIMITS), options.limit_scale,
            options.cartesian_speed_mps, options.cartesian_accel_mps2,
        )  # fmt: skip
        shapes = {t.name: t.shape for t in part_types_from_params(group_values(values, PARTS))}
        planner = CellPlanner(
            PickPlacePlanner(self._model, options, limits=limits),
            Scene.from_model(self._model),
            np.random.default_rng(options.seed),
            np.array(own["home_q_rad"], dtype=float),
        )
        self._service = PickPlaceService(planner, shapes, base_frame=str(own["base_frame"]))
        self._types = types = RclpyMessageTypes()
        self._path_pub = self.create_publisher(types.get("nav_msgs/msg/Path"), "planned_path", 10)
        # One plan at a time: both actions share the planner's state (the bins).
        group = MutuallyExclusiveCallbackGroup()
        self._actions = [
            ActionServer(self, types.get("jazari_interfaces/action/PickPlace"), "pick_place",
                         self._execute, callback_group=group,
                         cancel_callback=lambda _handle: CancelResponse.ACCEPT),
            ActionServer(self, types.get("jazari_interfaces/action/PlanMove"), "plan_move",
                         self._execute_move, callback_group=group),
        ]  # fmt: skip

    def _execute(self, goal_handle: ServerGoalHandle) -> Any:
        types, goal = self._types, goal_handle.request
        try:
            request = pick_place_request(goal)
            q_start = joint_positions(goal.start_state, self._model.joint_names, "goal.start_state")
        except ConversionError as exc:
            goal_handle.abort()
            return pick_place_result_msg(types, PickPlaceCode.INVALID_GOAL, str(exc))
        goal_handle.publish_feedback(pick_place_feedback_msg(types, "plan"))
        outcome = self._service.plan(request, q_start)
        if goal_handle.is_cancel_requested:
            goal_handle.canceled()
            return pick_place_result_msg(types, PickPlaceCode.CANCELED, "canceled while planning")
        if outcome.plan is None:
            self.get_logger().warning(f"no plan for part {request.part.detection_id}: "
                                      f"{outcome.code.name}: {outcome.message}")  # fmt: skip
            goal_handle.abort()
            return pick_place_result_msg(types, outcome.code, outcome.message)
        self._publish_path(outcome.plan)
        goal_handle.succeed()
        return pick_place_result_msg(
            types, PickPlaceCode.SUCCESS, "", planned_motions(outcome.plan)
        )

    def _execute_move(self, goal_handle: ServerGoalHandle) -> Any:
        types = self._types
        try:
            request = plan_move_request(goal_handle.request)
        except ConversionError as exc:
            goal_handle.abort()
            return plan_move_result_msg(types, PickPlaceCode.INVALID_GOAL, str(exc))
        outcome = self._service.plan_move(request, self._model.joint_names)
        if outcome.trajectory is None:
            self.get_logger().warning(f"no move: {outcome.code.name}: {outcome.message}")
            goal_handle.abort()
            return plan_move_result_msg(types, outcome.code, outcome.message)
        goal_handle.succeed()
        return plan_move_result_msg(types, PickPlaceCode.SUCCESS, "", outcome.trajectory)

    def _publish_path(self, plan: PickPlacePlan) -> None:
        T_base_tcp = tool_path(plan, self._model.chain, PATH_STRIDE)
        stamp = float(self.get_clock().now().nanoseconds) * 1e-9
        self._path_pub.publish(
            path_msg(self._types, list(T_base_tcp), stamp, self._service.base_frame)
        )

    def destroy_node(self) -> None:
        """Destroy the action servers with the node (rclpy leaves waitables to their owner)."""
        for action in self._actions:
            action.destroy()
        super().destroy_node()


def main(args: list[str] | None = None) -> None:
    """Run the planner node until shutdown."""
    run_nodes(lambda: [PlannerNode()], args)


if __name__ == "__main__":
    main()
