"""A running cell recorded as ROS 2 messages (rosbag2-compatible MCAP).

:class:`CellRecording` turns the sequence's hooks (frames, detections, plans, events,
drive states) into the messages the ROS graph publishes on the same topics, so the file
plays back into RViz or Foxglove as if the nodes had run. No rclpy is needed: messages
are rosbags' classes from :func:`jazari.record.typestore.cell_typestore`.

Stamps are on the cell's clock (simulation time in the twin).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
from rosbags.typesys.store import Typestore

from jazari.cell.events import CellEvent, EventKind
from jazari.cell.kpi import compute_oee
from jazari.cell.sequence import Hooks
from jazari.cell.vision import SeenPart
from jazari.geometry.transforms import FloatArray
from jazari.planning.plan import PickPlacePlan
from jazari.ports import Clock, DriveState, RGBDFrame
from jazari.record import topics as t
from jazari.record.typestore import RosbagsMessageTypes
from jazari.robot.chain import joint_motion
from jazari.robot.model import RobotModel
from jazari.robot.trajectory import JointTrajectory
from jazari.ros.convert.cell_state import CellMode, CellStatus, cell_state_msg
from jazari.ros.convert.detections import detection3d_array_msg
from jazari.ros.convert.diagnostics import drive_diagnostics_msg
from jazari.ros.convert.geometry import tf_message, transform_stamped_msg
from jazari.ros.convert.images import camera_info_msg, color_image_msg, depth_image_msg
from jazari.ros.convert.inspection import inspection_array_msg, part_detection
from jazari.ros.convert.joints import joint_state_msg
from jazari.ros.convert.trajectories import joint_trajectory_msg

# What `jazari demo` records.
DEMO_TOPICS: tuple[t.TopicSpec, ...] = (
    t.COLOR_IMAGE, t.COLOR_CAMERA_INFO, t.DEPTH_IMAGE, t.DEPTH_CAMERA_INFO, t.JOINT_STATES,
    t.TF, t.TF_STATIC, t.ROBOT_DESCRIPTION, t.DETECTIONS, t.INSPECTIONS,
    t.PLANNED_TRAJECTORY, t.CELL_STATE, t.DIAGNOSTICS,
)  # fmt: skip
FINGER_JOINT = "gripper_finger_joint"


class MessageSink(Protocol):
    """Where the cell's messages go: a recording (:class:`McapRecorder`), a live view."""

    def write(self, topic: str, message: object, stamp_s: float) -> None:
        """Take ``message`` on ``topic`` at ``stamp_s`` [s]."""
        ...


class Tee:
    """Every message to each of ``sinks``."""

    def __init__(self, *sinks: MessageSink) -> None:
        self.sinks = sinks

    def write(self, topic: str, message: object, stamp_s: float) -> None:
        """Pass ``message`` on to every sink."""
        for sink in self.sinks:
            sink.write(topic, message, stamp_s)


class CellRecording:
    """Writes a cell's run as messages into ``sink``.

    Args:
        sink: takes the messages (an open :class:`McapRecorder` holding at least
            :data:`DEMO_TOPICS`, a live view, or a :class:`Tee` of them).
        typestore: the message classes the sink serialises.
        model: the cell's robot model (for TF and the robot description).
        clock: the cell's clock, for stamps of drive states and events.
        gripper_width_m: reads the finger opening [m], for the fingers' TF.
        joint_rate_hz: joint states and TF are recorded at most this often.
        ideal_cycle_time_s: for the OEE in the cell state messages [s].
    """

    def __init__(
        self,
        sink: MessageSink,
        typestore: Typestore,
        model: RobotModel,
        clock: Clock,
        gripper_width_m: Callable[[], float],
        *,
        joint_rate_hz: float = 50.0,
        ideal_cycle_time_s: float = 4.0,
    ) -> None:
        self.recorder = sink
        self.model = model
        self.clock = clock
        self.types = RosbagsMessageTypes(typestore)
        self._gripper_width = gripper_width_m
        self._period_s = 1.0 / joint_rate_hz
        self._last_joint_s = -np.inf
        self._ideal_cycle_s = ideal_cycle_time_s
        self._events: list[CellEvent] = []
        self._counts = {"accepted": 0, "rejected": 0, "failed": 0}

    def hooks(self) -> Hooks:
        """The sequence hooks that feed this recording."""
        return Hooks(
            on_frame=self.frame,
            on_plan=self.plan,
            on_event=self.event,
            on_drive_state=self.drive_state,
        )

    def start(self) -> None:
        """Record the robot description and every fixed transform, once."""
        now = self.clock.now()
        string = self.types.get("std_msgs/msg/String")
        self.recorder.write(t.ROBOT_DESCRIPTION.topic, string(data=self.model.urdf_text), now)
        fixed = [
            transform_stamped_msg(self.types, j.origin, j.parent, j.child, now)
            for j in self.model.urdf.joints.values()
            if j.type == "fixed"
        ]
        self.recorder.write(t.TF_STATIC.topic, tf_message(self.types, fixed), now)

    def frame(self, frame: RGBDFrame, seen: list[SeenPart]) -> None:
        """A camera frame and what was seen in it."""
        s, types, frame_id = frame.stamp_s, self.types, "camera_color_optical_frame"
        write = self.recorder.write
        write(t.COLOR_IMAGE.topic, color_image_msg(types, frame.color, s, frame_id), s)
        write(t.DEPTH_IMAGE.topic, depth_image_msg(types, frame.depth_m, s, frame_id), s)
        info = camera_info_msg(types, frame.intrinsics, s, frame_id)
        write(t.COLOR_CAMERA_INFO.topic, info, s)
        write(t.DEPTH_CAMERA_INFO.topic, info, s)
        base = self.model.chain.base
        parts = [part_detection(str(p.id), p.detection, p.verdict) for p in seen]
        write(t.DETECTIONS.topic, detection3d_array_msg(types, parts, s, base), s)
        verdicts = [(str(p.id), p.verdict) for p in seen]
        write(t.INSPECTIONS.topic, inspection_array_msg(types, verdicts, s, base), s)

    def plan(self, target: SeenPart, plan: PickPlacePlan) -> None:
        """The arm's planned motion for one pick, as one trajectory from its start."""
        now = self.clock.now()
        msg = joint_trajectory_msg(self.types, _concatenate(plan), start_stamp_s=now)
        self.recorder.write(t.PLANNED_TRAJECTORY.topic, msg, now)

    def event(self, event: CellEvent) -> None:
        """A cell event, recorded as the cell state it leads to."""
        self._events.append(event)
        if event.kind is EventKind.PLACED:
            self._counts[event.detail] = self._counts.get(event.detail, 0) + 1
        elif event.kind is EventKind.GAVE_UP:
            self._counts["failed"] += 1
        mode = {EventKind.FAULT: CellMode.FAULT, EventKind.RUN_END: CellMode.DONE}.get(
            event.kind, CellMode.RUNNING
        )
        oee = None
        if event.kind is EventKind.RUN_END:
            oee = compute_oee(self._events, self._ideal_cycle_s)
        status = CellStatus(
            mode, event.stage, event.detail if event.kind is EventKind.FAILURE else "",
            self._counts["accepted"], self._counts["rejected"], self._counts["failed"], oee,
        )  # fmt: skip
        self.recorder.write(
            t.CELL_STATE.topic, cell_state_msg(self.types, status, event.t_s), event.t_s
        )

    def drive_state(self, state: DriveState) -> None:
        """A drive reading: joint states, the arm's TF and diagnostics, at the joint rate."""
        now = self.clock.now()
        if now - self._last_joint_s < self._period_s:
            return
        self._last_joint_s = now
        stamped = DriveState(
            now,
            state.joint_names,
            state.position_rad,
            state.velocity_rad_s,
            state.effort,
            state.telemetry,
        )
        write = self.recorder.write
        write(t.JOINT_STATES.topic, joint_state_msg(self.types, stamped), now)
        write(t.TF.topic, tf_message(self.types, self._moving_transforms(state, now)), now)
        write(t.DIAGNOSTICS.topic, drive_diagnostics_msg(self.types, stamped), now)

    def _moving_transforms(self, state: DriveState, now: float) -> list[object]:
        values = dict(zip(state.joint_names, state.position_rad.tolist(), strict=True))
        values[FINGER_JOINT] = self._gripper_width() / 2.0
        out = []
        for joint in self.model.urdf.joints.values():
            if joint.type == "fixed":
                continue
            if joint.mimic is not None:
                master, multiplier, offset = joint.mimic
                q = values.get(master, 0.0) * multiplier + offset
            else:
                q = values.get(joint.name, 0.0)
            motion = joint_motion(joint.axis, np.array([q]), revolute=joint.type != "prismatic")[0]
            out.append(
                transform_stamped_msg(
                    self.types, joint.origin @ motion, joint.parent, joint.child, now
                )
            )
        return out


def _concatenate(plan: PickPlacePlan) -> JointTrajectory:
    """The plan's segments one after the other on one time axis (the gripper's segments
    hold the arm still)."""
    times: list[FloatArray] = []
    q: list[FloatArray] = []
    v: list[FloatArray] = []
    a: list[FloatArray] = []
    offset = 0.0
    for k, seg in enumerate(plan.segments):
        tr = seg.trajectory
        skip = 1 if k > 0 else 0  # a segment starts where the previous one ended
        times.append(tr.time_s[skip:] + offset)
        q.append(tr.positions[skip:])
        v.append(tr.velocities[skip:])
        a.append(tr.accelerations[skip:])
        offset += tr.duration_s
    time_s = np.concatenate(times)
    keep = np.concatenate([[True], np.diff(time_s) > 0])
    joints: Sequence[str] = plan.segments[0].trajectory.joint_names
    return JointTrajectory(
        tuple(joints),
        time_s[keep],
        np.concatenate(q)[keep],
        np.concatenate(v)[keep],
        np.concatenate(a)[keep],
    )
