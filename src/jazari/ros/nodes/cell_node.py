"""``cell_node``: the cell's task sequence (see → inspect → pick → place → report),
running on the other nodes through their topics and actions.

The sequence (:class:`jazari.cell.sequence.CellSequence`) is the one the in-process
runner uses; its ports are adapters over ROS:

- camera: the next frame of ``camera/*`` after the request (:mod:`jazari.ros.frames`);
- vision: the ``detections`` and ``inspections`` the perception node published for that
  frame (matched by stamp);
- planner: the ``pick_place`` and ``plan_move`` actions;
- executor: the sequence's plan executor on ``follow_joint_trajectory`` (the drive
  node) and ``gripper_cmd`` (the gripper node), with the supervisor's state read from
  ``diagnostics``;
- joint positions: ``joint_states``; clock: ROS time.

Publishes ``cell_state`` (``jazari_interfaces/msg/CellState``: state, stage, counts and
OEE) and serves ``cell/start``, ``cell/estop`` and ``cell/rearm`` (``std_srvs/srv/Trigger``;
the last two call the drives' ``drives/estop`` and ``drives/rearm``). Every wait has a
deadline from the parameters; a missing server or result ends the run in FAULT.
Parameters: ``config/cell.yaml``, ``parts.yaml``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from rclpy.action import ActionClient
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup, ReentrantCallbackGroup
from rclpy.node import Node

from jazari.cell.execute import PlanExecutor
from jazari.cell.planner import BIN_LINKS
from jazari.cell.sequence import CellSequence, SequenceConfig, State
from jazari.cell.vision import PartIds, SeenPart
from jazari.control.follower import FollowResult
from jazari.control.goal import ResultCode
from jazari.control.safety import StopReason, SupervisorState
from jazari.errors import JazariError
from jazari.geometry.transforms import FloatArray
from jazari.planning.plan import PickPlacePlan
from jazari.ports import CameraIntrinsics, DriveState, RGBDFrame
from jazari.quality.catalogue import part_types_from_params
from jazari.robot.model import load_cell_model
from jazari.robot.trajectory import JointTrajectory
from jazari.ros.cell_adapters import plan_from_motions, run_oee, seen_parts
from jazari.ros.convert.actions import trigger_response
from jazari.ros.convert.base import byte_constant, numbers, seconds
from jazari.ros.convert.cell_state import CellMode, CellStatus, cell_state_msg
from jazari.ros.convert.detections import PartDetection, detections_from_msg
from jazari.ros.convert.inspection import part_size_m, verdict_from_msg
from jazari.ros.convert.joints import joint_positions
from jazari.ros.convert.plans import (
    PickPlaceCode,
    motions_from_msgs,
    pick_place_goal_msg,
    plan_move_goal_msg,
)
from jazari.ros.convert.trajectories import (
    follow_joint_trajectory_goal,
    joint_trajectory_from_msg,
)
from jazari.ros.frames import FrameSubscriber
from jazari.ros.message_types import RclpyMessageTypes
from jazari.ros.node_schemas import PARTS, schema
from jazari.ros.param_schema import group_values, nest
from jazari.ros.parameters import declare_from_schema
from jazari.ros.runtime import run_nodes

#: GoalStatus values (action_msgs/msg/GoalStatus).
_SUCCEEDED, _CANCELED, _ABORTED = 4, 5, 6
#: Opening asked for to open the gripper fully [m]: wider than any gripper.
OPEN_FULLY_M = 1.0


class CellPortError(JazariError):
    """A node the cell depends on did not answer in time or refused a request."""


class _Waiter:
    """Completes when an rclpy future does; waits with a deadline from any thread."""

    def __init__(self, future: Any) -> None:
        self._done = threading.Event()
        self.future = future
        future.add_done_callback(lambda _f: self._done.set())

    def result(self, timeout_s: float, what: str) -> Any:
        if not self._done.wait(timeout_s):
            raise CellPortError(f"{what}: no answer within {timeout_s:.1f} s")
        return self.future.result()


class ActionCaller:
    """Sends goals to one action server and waits for their results."""

    def __init__(self, node: Node, action_type: Any, name: str, server_timeout_s: float) -> None:
        self.name = name
        self._client = ActionClient(
            node, action_type, name, callback_group=ReentrantCallbackGroup()
        )
        self._server_timeout_s = server_timeout_s

    def call(
        self, goal: Any, timeout_s: float, feedback: Callable[[Any], None] | None = None
    ) -> tuple[int, Any]:
        """The final status and result of ``goal``.

        Raises:
            CellPortError: when the server is not there, rejects the goal, or gives no
                result within ``timeout_s`` (the goal is then canceled).
        """
        if not self._client.wait_for_server(timeout_sec=self._server_timeout_s):
            raise CellPortError(f"action server {self.name} not available")
        callback = None if feedback is None else (lambda msg: feedback(msg.feedback))
        handle = _Waiter(self._client.send_goal_async(goal, feedback_callback=callback)).result(
            self._server_timeout_s, f"{self.name} goal"
        )
        if not handle.accepted:
            raise CellPortError(f"{self.name} rejected the goal")
        try:
            response = _Waiter(handle.get_result_async()).result(timeout_s, f"{self.name} result")
        except CellPortError:
            handle.cancel_goal_async()
            raise
        return int(response.status), response.result

    def destroy(self) -> None:
        """Destroy the action client."""
        self._client.destroy()


class RosCamera:
    """The Camera port: the first frame stamped after each capture request."""

    def __init__(self, node: Node, params: dict[str, Any], now_s: Callable[[], float]) -> None:
        self._now_s = now_s
        self._timeout_s = float(params["frame_timeout_s"])
        self._cond = threading.Condition()
        self._latest: RGBDFrame | None = None
        self._frames = FrameSubscriber(
            node, self._on_frame, base_frame=str(params["base_frame"]), slop_s=0.02, queue_size=5,
            tf_timeout_s=0.5, group=MutuallyExclusiveCallbackGroup(),
        )  # fmt: skip

    def _on_frame(self, frame: RGBDFrame) -> None:
        with self._cond:
            self._latest = frame
            self._cond.notify_all()

    @property
    def intrinsics(self) -> CameraIntrinsics:
        if self._latest is None:
            raise CellPortError("no camera frame received yet")
        return self._latest.intrinsics

    def capture(self) -> RGBDFrame:
        asked_s = self._now_s()
        with self._cond:
            fresh = self._cond.wait_for(
                lambda: self._latest is not None and self._latest.stamp_s > asked_s,
                self._timeout_s,
            )
            if not fresh or self._latest is None:
                raise CellPortError(f"no camera frame within {self._timeout_s:.1f} s")
            return self._latest


class RosVision:
    """The sequence's vision: the perception node's results for a frame, by stamp."""

    def __init__(self, node: Node, shapes: dict[str, str], timeout_s: float) -> None:
        self.ids = PartIds()
        self._shapes = shapes
        self._timeout_s = timeout_s
        self._cond = threading.Condition()
        self._detections: dict[float, Any] = {}
        self._inspections: dict[float, Any] = {}
        types = RclpyMessageTypes()
        group = MutuallyExclusiveCallbackGroup()
        node.create_subscription(types.get("vision_msgs/msg/Detection3DArray"), "detections",
                                 lambda m: self._keep(self._detections, m), 10,
                                 callback_group=group)  # fmt: skip
        node.create_subscription(types.get("jazari_interfaces/msg/InspectionResultArray"),
                                 "inspections", lambda m: self._keep(self._inspections, m), 10,
                                 callback_group=group)  # fmt: skip

    def _keep(self, store: dict[float, Any], msg: Any) -> None:
        with self._cond:
            store[seconds(msg.header.stamp, "header.stamp")] = msg
            for old in sorted(store)[:-10]:
                del store[old]
            self._cond.notify_all()

    def look(self, frame: RGBDFrame) -> list[SeenPart]:
        stamp = frame.stamp_s
        with self._cond:
            if not self._cond.wait_for(
                lambda: stamp in self._detections and stamp in self._inspections, self._timeout_s
            ):
                raise CellPortError(
                    f"no detections and inspections of the frame at {stamp:.3f} s within "
                    f"{self._timeout_s:.1f} s (is the perception node running?)"
                )
            detections, inspections = self._detections[stamp], self._inspections[stamp]
        verdicts = dict(verdict_from_msg(r) for r in inspections.results)
        seen = seen_parts(detections_from_msg(detections), verdicts, self._shapes)
        for s in seen:
            self.ids.last_seen[s.id] = np.array(s.detection.T_base_part[:3, 3], dtype=float)
        return seen


class DriveStatusView:
    """The drive node's supervisor state, from its ``diagnostics``."""

    def __init__(self, node: Node) -> None:
        self._cond = threading.Condition()
        self._state = SupervisorState.DISARMED
        self._stamp = 0.0
        status_cls = RclpyMessageTypes().get("diagnostic_msgs/msg/DiagnosticStatus")
        self._levels = {
            byte_constant(status_cls.OK): SupervisorState.ARMED,
            byte_constant(status_cls.WARN): SupervisorState.DISARMED,
            byte_constant(status_cls.ERROR): SupervisorState.STOPPED,
        }
        node.create_subscription(RclpyMessageTypes().get("diagnostic_msgs/msg/DiagnosticArray"),
                                 "diagnostics", self._on_diagnostics, 10)  # fmt: skip

    def _on_diagnostics(self, msg: Any) -> None:
        for status in msg.status:
            if str(status.name).endswith(": safety supervisor"):
                with self._cond:
                    level = byte_constant(status.level)
                    self._state = self._levels.get(level, SupervisorState.STOPPED)
                    self._stamp = time.monotonic()
                    self._cond.notify_all()

    @property
    def state(self) -> SupervisorState:
        return self._state

    @property
    def stop_reason(self) -> StopReason | None:
        """Not sent in diagnostics' structure; the failed goal's error string says why."""
        return None

    def wait_newer(self, since_s: float, timeout_s: float) -> None:
        """Wait for a report received after ``since_s`` (monotonic) at most ``timeout_s``."""
        with self._cond:
            self._cond.wait_for(lambda: self._stamp > since_s, timeout_s)


class RosFollower:
    """What the plan executor needs of a follower, on ``follow_joint_trajectory``."""

    def __init__(self, node: Node, params: dict[str, Any], joint_names: tuple[str, ...]) -> None:
        self._types = RclpyMessageTypes()
        self.caller = ActionCaller(
            node, self._types.get("control_msgs/action/FollowJointTrajectory"),
            "follow_joint_trajectory", float(params["server_timeout_s"]),
        )  # fmt: skip
        self._margin_s = float(params["motion_timeout_margin_s"])
        self.supervisor = DriveStatusView(node)
        self._names = joint_names

    def follow(
        self,
        goal: JointTrajectory,
        *,
        start_time_s: float | None = None,
        on_cycle: Callable[[int, DriveState], None] | None = None,
    ) -> FollowResult:
        count = [0]

        def feedback(fb: Any) -> None:
            if on_cycle is None:
                return
            names = tuple(str(n) for n in fb.joint_names)
            q = numbers(fb.actual.positions, "feedback.actual.positions")
            v = numbers(fb.actual.velocities, "feedback.actual.velocities")
            on_cycle(count[0], DriveState(seconds(fb.header.stamp, "feedback.header.stamp"),
                                          names, q, v, np.full(len(names), np.nan)))  # fmt: skip
            count[0] += 1

        msg = follow_joint_trajectory_goal(self._types, goal)
        status, result = self.caller.call(msg, goal.duration_s + self._margin_s, feedback)
        code, error = ResultCode(int(result.error_code)), str(result.error_string)
        if status == _SUCCEEDED:
            return FollowResult(code, error, "succeeded", count[0])
        self.supervisor.wait_newer(time.monotonic(), self._margin_s)
        return FollowResult(code, error, "canceled" if status == _CANCELED else "aborted", count[0])

    def hold(self) -> None:
        """Nothing to send: the drive node's follower holds the measured position itself
        after a goal it aborts, and a goal that succeeded ended where the arm is."""


class RosGripper:
    """The Gripper port on ``gripper_cmd`` (``control_msgs/action/GripperCommand``)."""

    def __init__(self, node: Node, params: dict[str, Any]) -> None:
        self._types = RclpyMessageTypes()
        self.caller = ActionCaller(
            node, self._types.get("control_msgs/action/GripperCommand"), "gripper_cmd",
            float(params["server_timeout_s"]),
        )  # fmt: skip
        self._timeout_s = float(params["gripper_timeout_s"])
        self._width = float("nan")
        self._stalled = False

    def _command(self, position_m: float) -> None:
        goal = self._types.get("control_msgs/action/GripperCommand_Goal")(
            command=self._types.get("control_msgs/msg/GripperCommand")(
                position=position_m, max_effort=0.0
            )
        )
        _, result = self.caller.call(goal, self._timeout_s)
        self._width, self._stalled = float(result.position), bool(result.stalled)

    def open(self, width_m: float | None = None) -> None:
        self._command(OPEN_FULLY_M if width_m is None else width_m)

    def close(self) -> None:
        self._command(0.0)

    def width_m(self) -> float:
        return self._width

    def grasped(self) -> bool:
        return self._stalled


class RosPlanner:
    """The sequence's planner on the ``pick_place`` and ``plan_move`` actions."""

    def __init__(self, node: Node, params: dict[str, Any], now_s: Callable[[], float]) -> None:
        self._types = RclpyMessageTypes()
        timeout = float(params["server_timeout_s"])
        self.caller = ActionCaller(
            node, self._types.get("jazari_interfaces/action/PickPlace"), "pick_place", timeout
        )
        self.move_caller = ActionCaller(
            node, self._types.get("jazari_interfaces/action/PlanMove"), "plan_move", timeout
        )
        self._timeout_s = float(params["planning_timeout_s"])
        self._tolerance = float(params["start_tolerance_rad"])
        self._frame = str(params["base_frame"])
        self._model = load_cell_model()
        self._now_s = now_s

    def _detection(self, s: SeenPart) -> PartDetection:
        return PartDetection(str(s.id), s.verdict.part_type, s.detection.confidence,
                             s.detection.T_base_part, part_size_m(s.detection))  # fmt: skip

    def plan(
        self, target: SeenPart, others: Sequence[SeenPart], q_start: FloatArray
    ) -> PickPlacePlan:
        goal = pick_place_goal_msg(
            self._types, self._detection(target), [self._detection(o) for o in others],
            BIN_LINKS[target.target_bin], self._start(q_start), self._now_s(), self._frame,
        )  # fmt: skip
        _, result = self.caller.call(goal, self._timeout_s)
        if int(result.code) != PickPlaceCode.SUCCESS:
            raise CellPortError(f"{PickPlaceCode(int(result.code)).name}: {result.message}")
        return plan_from_motions(motions_from_msgs(result.segments), target.part, self._model)

    def _start(self, q: FloatArray) -> DriveState:
        q = np.asarray(q, dtype=float)
        return DriveState(self._now_s(), self._model.joint_names, q, 0 * q, 0 * q)

    def plan_home(self, others: Sequence[SeenPart], q_now: FloatArray) -> JointTrajectory:
        """A move to the planner node's observe pose around ``others``."""
        obstacles = [self._detection(o) for o in others]
        goal = plan_move_goal_msg(
            self._types, self._start(q_now), None, obstacles, self._now_s(), self._frame
        )
        _, result = self.move_caller.call(goal, self._timeout_s)
        if int(result.code) != PickPlaceCode.SUCCESS:
            raise CellPortError(f"{PickPlaceCode(int(result.code)).name}: {result.message}")
        return joint_trajectory_from_msg(result.trajectory, "plan_move.trajectory")

    def validate(self, plan: PickPlacePlan, others: Sequence[SeenPart], q_now: FloatArray) -> None:
        """The planner node validated the plan (limits, collisions) from the state it was
        given; what can change since is where the arm is."""
        gap = float(np.max(np.abs(plan.segments[0].trajectory.positions[0] - q_now)))
        if gap > self._tolerance:
            raise CellPortError(
                f"the plan starts {gap:.4f} rad from the arm (limit {self._tolerance})"
            )

    def placed(self, target: SeenPart, plan: PickPlacePlan) -> None:
        """The planner node keeps track of the bins itself."""


class RosClock:
    """The Clock port on the node's ROS time (simulation time under ``use_sim_time``)."""

    def __init__(self, node: Node) -> None:
        self._node = node

    def now(self) -> float:
        return float(self._node.get_clock().now().nanoseconds) * 1e-9

    def sleep(self, duration_s: float) -> None:
        if duration_s > 0:
            time.sleep(duration_s)


class CellNode(Node):  # type: ignore[misc]  # rclpy is untyped without ROS
    """Runs the sequence on the other nodes and reports the cell's state."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            "cell_node", automatically_declare_parameters_from_overrides=True, **kwargs
        )
        values = declare_from_schema(self, schema("cell_node"))
        self._params = params = nest(values)
        self._types = types = RclpyMessageTypes()
        self._ros_clock = RosClock(self)
        self._model = load_cell_model()
        self._camera = RosCamera(self, params, self._ros_clock.now)
        shapes = {t.name: t.shape for t in part_types_from_params(group_values(values, PARTS))}
        self._vision = RosVision(self, shapes, float(params["frame_timeout_s"]))
        self._planner = RosPlanner(self, params, self._ros_clock.now)
        self._follower = RosFollower(self, params, self._model.joint_names)
        self._gripper = RosGripper(self, params)
        self._joints: Any = None
        self.create_subscription(types.get("sensor_msgs/msg/JointState"), "joint_states",
                                 self._on_joints, 10)  # fmt: skip
        self._lock = threading.Lock()
        self._sequence: CellSequence | None = None
        self._thread: threading.Thread | None = None
        self._mode, self._message = CellMode.IDLE, ""
        group = ReentrantCallbackGroup()
        trigger = types.get("std_srvs/srv/Trigger")
        self.create_service(trigger, "cell/start", self._on_start, callback_group=group)
        self.create_service(trigger, "cell/estop", self._on_estop, callback_group=group)
        self.create_service(trigger, "cell/rearm", self._on_rearm, callback_group=group)
        self._estop = self.create_client(trigger, "drives/estop", callback_group=group)
        self._rearm = self.create_client(trigger, "drives/rearm", callback_group=group)
        self._state_pub = self.create_publisher(types.get("jazari_interfaces/msg/CellState"),
                                                "cell_state", 10)  # fmt: skip
        self.create_timer(1.0 / float(params["state_rate_hz"]), self._publish_state, group)
        if params["autostart"]:
            self._start()

    # -- ports ---------------------------------------------------------------------------

    def _on_joints(self, msg: Any) -> None:
        if set(self._model.joint_names) <= set(msg.name):
            self._joints = msg

    def _joint_positions(self) -> FloatArray:
        msg = self._joints
        if msg is None:
            raise CellPortError("no joint_states with the arm's joints received")
        return joint_positions(msg, self._model.joint_names)

    def _new_sequence(self) -> CellSequence:
        executor = PlanExecutor(self._follower, self._gripper)
        config = SequenceConfig.from_params(self._params["sequence"])
        return CellSequence(
            self._camera, self._vision, self._planner, executor, self._ros_clock,
            self._joint_positions, config,
        )  # fmt: skip

    # -- the run -------------------------------------------------------------------------

    def _start(self) -> tuple[bool, str]:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return False, "a run is under way"
            self._sequence = self._new_sequence()
            self._mode, self._message = CellMode.RUNNING, ""
            self._thread = threading.Thread(target=self._run, args=(self._sequence,), daemon=True)
            self._thread.start()
        return True, "run started"

    def _run(self, sequence: CellSequence) -> None:
        try:
            final = sequence.run()
        except JazariError as exc:
            self.get_logger().error(f"run stopped: {exc}")
            with self._lock:
                self._mode, self._message = CellMode.FAULT, str(exc)
            return
        with self._lock:
            if final is State.DONE:
                self._mode = CellMode.DONE
            elif self._mode is not CellMode.ESTOP:
                failures = sequence.failures
                self._mode = CellMode.FAULT
                self._message = failures[-1].reason if failures else "stopped"

    def _publish_state(self) -> None:
        sequence = self._sequence
        with self._lock:
            mode, message = self._mode, self._message
        if sequence is None:
            status = CellStatus(mode, message=message)
        else:
            picks = sequence.picks
            oee = run_oee(sequence.events.events, self._ros_clock.now(),
                          float(self._params["ideal_cycle_time_s"]))  # fmt: skip
            stage = sequence.state.value if mode is CellMode.RUNNING else ""
            status = CellStatus(
                mode, stage, message, sum(1 for p in picks if p.bin == "accepted"),
                sum(1 for p in picks if p.bin != "accepted"), len(sequence.failures), oee,
            )  # fmt: skip
        self._state_pub.publish(cell_state_msg(self._types, status, self._ros_clock.now()))

    # -- services ------------------------------------------------------------------------

    def _forward(self, client: Any, response: Any, what: str) -> tuple[bool, str]:
        if not client.wait_for_service(timeout_sec=float(self._params["server_timeout_s"])):
            return False, f"{what}: the drive node does not answer"
        request = self._types.get("std_srvs/srv/Trigger_Request")()
        try:
            answer = _Waiter(client.call_async(request)).result(
                float(self._params["server_timeout_s"]), what
            )
        except CellPortError as exc:
            return False, str(exc)
        return bool(answer.success), str(answer.message)

    def _on_start(self, request: Any, response: Any) -> Any:
        return trigger_response(response, *self._start())

    def _on_estop(self, request: Any, response: Any) -> Any:
        with self._lock:
            self._mode, self._message = CellMode.ESTOP, "e-stop requested (cell/estop)"
        return trigger_response(response, *self._forward(self._estop, response, "drives/estop"))

    def _on_rearm(self, request: Any, response: Any) -> Any:
        ok, message = self._forward(self._rearm, response, "drives/rearm")
        if ok:
            with self._lock:
                if self._mode in (CellMode.ESTOP, CellMode.FAULT):
                    self._mode, self._message = CellMode.IDLE, ""
        return trigger_response(response, ok, message)

    def destroy_node(self) -> None:
        """Destroy the action clients with the node; a run under way then ends in FAULT
        at its next request (nothing is stopped: the drives keep their own watch)."""
        callers = (self._planner.caller, self._planner.move_caller, self._follower.caller,
                   self._gripper.caller)  # fmt: skip
        for caller in callers:
            caller.destroy()
        super().destroy_node()


def main(args: list[str] | None = None) -> None:
    """Run the cell node until shutdown."""
    run_nodes(lambda: [CellNode()], args)


if __name__ == "__main__":
    main()
