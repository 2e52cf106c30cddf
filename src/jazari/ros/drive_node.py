"""The lifecycle node every drive bus runs in (serial, EtherCAT, Gazebo).

- configure: read the parameters, open the bus (retrying up to ``connect_timeout_s``
  while the port or adapter is not there yet), start the control thread, create the
  publishers and the ``follow_joint_trajectory`` action;
- activate: publish ``joint_states`` and ``diagnostics``, accept goals, arm the
  supervisor if ``arm_on_activate``;
- deactivate: end the running goal (holding position) and refuse new ones;
- cleanup / shutdown: disarm, stop the control thread and release the bus.

``drives/estop`` and ``drives/rearm`` (``std_srvs/srv/Trigger``) work in every state
once configured; relative names, so the cell reaches them whichever driver runs.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.action.server import ServerGoalHandle
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.publisher import Publisher
from rclpy.timer import Timer

from jazari.clock import WallClock
from jazari.control.backends import open_drive_bus
from jazari.control.goal import ResultCode
from jazari.control.safety import SupervisorState
from jazari.errors import ConfigError, JazariError
from jazari.ports import DriveBus, DriveState
from jazari.ros.convert.actions import (
    follow_feedback_msg,
    follow_result_msg,
    trigger_response,
)
from jazari.ros.convert.base import seconds
from jazari.ros.convert.diagnostics import DriveDiagnosticLimits, drive_diagnostics_msg
from jazari.ros.convert.joints import joint_state_msg
from jazari.ros.convert.trajectories import joint_trajectory_from_goal
from jazari.ros.drive_service import DriveService, rejected
from jazari.ros.errors import ConversionError
from jazari.ros.message_types import RclpyMessageTypes
from jazari.ros.node_schemas import schema
from jazari.ros.parameters import current_values, declare_from_schema

#: How often configure retries opening a bus that is not there yet [s].
_CONNECT_RETRY_S = 0.5
#: Feedback messages per second while following a trajectory.
_FEEDBACK_HZ = 20.0

BusOpener = Callable[["DriveNode", Mapping[str, Any]], DriveBus]


class DriveNode(LifecycleNode):  # type: ignore[misc]  # rclpy is untyped without ROS
    """Serves a drive bus over ROS.

    Args:
        node_name: the node's name (its schema has the same name).
        open_bus: opens the bus from the nested parameters (may block; raises a
            JazariError that names what failed).
        hardware_ids: joint -> hardware id for diagnostics, from the parameters.
    """

    def __init__(
        self,
        node_name: str,
        open_bus: BusOpener,
        hardware_ids: Callable[[Mapping[str, Any]], dict[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(node_name, automatically_declare_parameters_from_overrides=True, **kwargs)
        self._schema = schema(node_name)
        self._names = tuple(declare_from_schema(self, self._schema))
        self._open_bus = open_bus
        self._hardware_ids = hardware_ids
        self._types = RclpyMessageTypes()
        self._group = ReentrantCallbackGroup()
        self._service: DriveService | None = None
        self._params: dict[str, Any] = {}
        self._active = threading.Event()
        self._joint_pub: Publisher | None = None
        self._diag_pub: Publisher | None = None
        self._drive_timers: list[Timer] = []
        self._bus_entities: list[Any] = []
        self._action: ActionServer | None = None
        trigger = self._types.get("std_srvs/srv/Trigger")
        self.create_service(trigger, "drives/estop", self._on_estop, callback_group=self._group)
        self.create_service(trigger, "drives/rearm", self._on_rearm, callback_group=self._group)

    # -- lifecycle ---------------------------------------------------------------------

    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Open the bus and create the interfaces (see the module docstring)."""
        self._params = current_values(self, self._schema, self._names)
        try:
            bus = self._connect()
            self._service = DriveService(bus, self._params)
        except JazariError as exc:
            self.get_logger().error(f"configure failed: {exc}")
            return TransitionCallbackReturn.FAILURE
        types, p = self._types, self._params
        self._joint_pub = self.create_lifecycle_publisher(
            types.get("sensor_msgs/msg/JointState"), "joint_states", 10
        )
        self._diag_pub = self.create_lifecycle_publisher(
            types.get("diagnostic_msgs/msg/DiagnosticArray"), "diagnostics", 10
        )
        self._drive_timers = [
            self.create_timer(1.0 / p["state_rate_hz"], self._publish_state, self._group),
            self.create_timer(1.0 / p["diagnostics_rate_hz"], self._publish_diagnostics,
                              self._group),
        ]  # fmt: skip
        self._action = ActionServer(
            self,
            types.get("control_msgs/action/FollowJointTrajectory"),
            "follow_joint_trajectory",
            self._execute,
            callback_group=self._group,
            goal_callback=self._on_goal,
            cancel_callback=self._on_cancel,
        )
        self.get_logger().info(f"drives {list(self._service.joint_names)} configured")
        return TransitionCallbackReturn.SUCCESS

    def _connect(self) -> DriveBus:
        deadline = time.monotonic() + float(self._params["connect_timeout_s"])
        while True:
            try:
                return self._open_bus(self, self._params)
            except ConfigError:
                raise
            except JazariError as exc:
                if time.monotonic() >= deadline:
                    raise
                self.get_logger().warning(f"bus not ready ({exc}); retrying", once=True)
                time.sleep(_CONNECT_RETRY_S)

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Accept goals; arm when ``arm_on_activate`` (retrying while the drives have no
        fresh reading yet, up to ``connect_timeout_s``)."""
        self._active.set()
        if self._params.get("arm_on_activate") and self._service is not None:
            self._arm_within(float(self._params["connect_timeout_s"]))
        return super().on_activate(state)

    def _arm_within(self, timeout_s: float) -> None:
        assert self._service is not None  # configured before activation
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                self._service.rearm()
                return
            except JazariError as exc:
                if time.monotonic() >= deadline:
                    self.get_logger().error(f"could not arm on activation: {exc}; "
                                            "call drives/rearm")  # fmt: skip
                    return
                time.sleep(_CONNECT_RETRY_S)

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Refuse goals; the running one ends, holding position."""
        self._active.clear()
        if self._service is not None:
            self._service.cancel()
        return super().on_deactivate(state)

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Disarm and release the bus."""
        self._release()
        return TransitionCallbackReturn.SUCCESS

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Disarm and release the bus."""
        self._release()
        return TransitionCallbackReturn.SUCCESS

    def release_with_bus(self, *entities: Any) -> None:
        """Publishers or subscriptions an opener made for its bus: destroyed with it."""
        self._bus_entities.extend(entities)

    def _release(self) -> None:
        self._active.clear()
        if self._action is not None:
            self._action.destroy()
            self._action = None
        for timer in self._drive_timers:
            self.destroy_timer(timer)
        for pub in (self._joint_pub, self._diag_pub):
            if pub is not None:
                self.destroy_lifecycle_publisher(pub)
        self._drive_timers, self._joint_pub, self._diag_pub = [], None, None
        service, self._service = self._service, None
        if service is not None:
            service.close()
        for entity in self._bus_entities:
            if hasattr(entity, "topic_name") and hasattr(entity, "publish"):
                self.destroy_publisher(entity)
            else:
                self.destroy_subscription(entity)
        self._bus_entities = []

    def destroy_node(self) -> None:
        """Release the bus before the node goes."""
        self._release()
        super().destroy_node()

    # -- publishing --------------------------------------------------------------------

    def _now_s(self) -> float:
        return float(self.get_clock().now().nanoseconds) * 1e-9

    def _stamped(self, state: DriveState) -> DriveState:
        """The state stamped with ROS time (the bus stamps with its monotonic clock)."""
        return dataclasses.replace(state, stamp_s=self._now_s())

    def _publish_state(self) -> None:
        state = self._service.latest_state() if self._service is not None else None
        if state is None or self._joint_pub is None:
            return
        try:
            msg = joint_state_msg(self._types, self._stamped(state))
        except ConversionError as exc:  # no reading yet (NaN): nothing to tell
            self.get_logger().warning(f"joint state not published: {exc}",
                                      throttle_duration_sec=5.0)  # fmt: skip
            return
        self._joint_pub.publish(msg)

    def _publish_diagnostics(self) -> None:
        service = self._service
        state = service.latest_state() if service is not None else None
        if service is None or state is None or self._diag_pub is None:
            return
        p = self._params
        try:
            # Read now: the limits may change while the node runs.
            limits = DriveDiagnosticLimits(
                self.get_parameter("temperature_warn_c").value,
                self.get_parameter("temperature_error_c").value,
            )
            msg = drive_diagnostics_msg(
                self._types, self._stamped(state), limits=limits, bus_name=self.get_name(),
                hardware_ids=self._hardware_ids(p),
            )  # fmt: skip
        except ConversionError as exc:  # e.g. warning above error limit set at run time
            self.get_logger().error(f"diagnostics not published: {exc}",
                                    throttle_duration_sec=5.0)  # fmt: skip
            return
        msg.status.append(self._supervisor_status(service))
        self._diag_pub.publish(msg)

    def _supervisor_status(self, service: DriveService) -> Any:
        status_cls = self._types.get("diagnostic_msgs/msg/DiagnosticStatus")
        status = service.status()
        level = {
            SupervisorState.ARMED: status_cls.OK,
            SupervisorState.DISARMED: status_cls.WARN,
            SupervisorState.STOPPED: status_cls.ERROR,
        }[status.state]
        reason = str(status.stop_reason) if status.stop_reason is not None else ""
        return status_cls(
            level=level,
            name=f"{self.get_name()}: safety supervisor",
            message=status.state.value + (f": {reason}" if reason else ""),
            hardware_id="",
            values=[],
        )

    # -- services ----------------------------------------------------------------------

    def _on_estop(self, request: Any, response: Any) -> Any:
        if self._service is None:
            return trigger_response(response, False, "the drives are not configured")
        self._service.estop("e-stop requested over ROS (drives/estop)")
        return trigger_response(response, True, "every axis stopped; call drives/rearm to resume")

    def _on_rearm(self, request: Any, response: Any) -> Any:
        if self._service is None:
            return trigger_response(response, False, "the drives are not configured")
        try:
            self._service.rearm()
        except JazariError as exc:
            return trigger_response(response, False, f"re-arm refused: {exc}")
        return trigger_response(response, True, "armed")

    # -- the action --------------------------------------------------------------------

    def _on_goal(self, goal: Any) -> GoalResponse:
        return GoalResponse.ACCEPT if self._active.is_set() else GoalResponse.REJECT

    def _on_cancel(self, goal_handle: ServerGoalHandle) -> CancelResponse:
        if self._service is not None:
            self._service.cancel()
        return CancelResponse.ACCEPT

    def _execute(self, goal_handle: ServerGoalHandle) -> Any:
        types, service = self._types, self._service
        goal = goal_handle.request
        if service is None:
            goal_handle.abort()
            return follow_result_msg(types, rejected(ResultCode.INVALID_GOAL, "not configured"))
        try:
            trajectory = joint_trajectory_from_goal(goal)
            stamp = seconds(goal.trajectory.header.stamp, "goal.trajectory.header.stamp")
        except ConversionError as exc:
            goal_handle.abort()
            return follow_result_msg(types, rejected(ResultCode.INVALID_GOAL, str(exc)))
        # A zero stamp means "now"; else the start in ROS time, moved to the bus clock.
        start = None if stamp == 0.0 else service.clock.now() + (stamp - self._now_s())
        every = max(int(service.follower.config.rate_hz / _FEEDBACK_HZ), 1)
        t0 = service.clock.now() if start is None else start
        names = service.joint_names
        order = [trajectory.joint_names.index(n) for n in names if n in trajectory.joint_names]

        def feedback(cycle: int, state: DriveState) -> None:
            if cycle % every or len(order) != len(names):
                return
            t = max(service.clock.now() - t0, 0.0)
            q, v = trajectory.sample(min(t, trajectory.duration_s))
            goal_handle.publish_feedback(
                follow_feedback_msg(types, names, t, q[order], v[order], state, self._now_s())
            )

        result = service.follow(trajectory, start_time_s=start, on_cycle=feedback)
        if result.status == "succeeded":
            goal_handle.succeed()
        elif result.status == "canceled":
            goal_handle.canceled()
        else:
            goal_handle.abort()
        if not result.successful:
            self.get_logger().warning(f"goal {result.status}: {result.error_string}")
        return follow_result_msg(types, result)


def backend_node(
    kind: str, hardware_ids: Callable[[Mapping[str, Any]], dict[str, str]]
) -> DriveNode:
    """The driver node of a bus backend of :mod:`jazari.control.backends` (``serial``,
    ``ethercat``): node ``<kind>_driver_node``, parameters ``config/<kind>_driver.yaml``."""
    return DriveNode(
        f"{kind}_driver_node",
        lambda _node, params: open_drive_bus(kind, params, clock=WallClock()),
        hardware_ids,
    )
