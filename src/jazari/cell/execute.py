"""Carrying out a pick-and-place plan: arm segments through the trajectory follower
(and so through the safety supervisor and the drives), gripper segments through the
gripper port, with the grasp checked where it matters."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from jazari.control.follower import FollowResult
from jazari.control.safety import StopReason, SupervisorState
from jazari.planning.plan import PickPlacePlan, Segment
from jazari.ports import DriveState, Gripper
from jazari.robot.trajectory import JointTrajectory

# After these segments the part must still be in the fingers.
_CARRYING_CHECKS = ("lift", "transfer")


class SupervisorStatus(Protocol):
    """What the executor reads of the safety supervisor in front of the drives."""

    @property
    def state(self) -> SupervisorState:
        """Disarmed, armed or stopped."""
        ...

    @property
    def stop_reason(self) -> StopReason | None:
        """Why the drives were stopped, if they were."""
        ...


class Follower(Protocol):
    """Streams arm trajectories to the drives: :class:`jazari.control.follower.
    TrajectoryFollower` in process, an action client of it in the ROS cell node."""

    @property
    def supervisor(self) -> SupervisorStatus:
        """The supervisor the trajectories go through."""
        ...

    def follow(
        self,
        goal: JointTrajectory,
        *,
        start_time_s: float | None = None,
        on_cycle: Callable[[int, DriveState], None] | None = None,
    ) -> FollowResult:
        """Follow ``goal`` to its end (blocking)."""
        ...

    def hold(self) -> None:
        """Make the measured positions the drives' setpoint."""
        ...


class Outcome(enum.Enum):
    """How the execution of a plan ended."""

    PLACED = "placed"  # every segment ran; the part was released over its bin
    COMPLETED = "completed"  # a motion that is not a pick ran to its end
    MISSED = "missed"  # the fingers closed on nothing
    DROPPED = "dropped"  # the part left the fingers while carried
    ABORTED = "aborted"  # a motion failed its tolerances; the cell is still armed
    FAULT = "fault"  # the safety supervisor stopped the cell; nothing moves until re-armed


@dataclass(frozen=True)
class ExecutionResult:
    """Outcome, the segment where it was decided, and why (empty when placed)."""

    outcome: Outcome
    stage: str
    message: str = ""


class PlanExecutor:
    """Runs plans on the cell's follower and gripper.

    Args:
        follower: streams arm trajectories through the supervisor.
        gripper: opens and closes the fingers (blocking until they stop).
        on_cycle: called with every drive state the follower reads (recording).
    """

    def __init__(
        self,
        follower: Follower,
        gripper: Gripper,
        on_cycle: Callable[[DriveState], None] | None = None,
    ) -> None:
        self.follower = follower
        self.gripper = gripper
        self.on_cycle = on_cycle

    def execute(self, plan: PickPlacePlan) -> ExecutionResult:
        """Run every segment of ``plan`` in order; stop at the first that fails."""
        for segment in plan.segments:
            result = self._segment(segment)
            if result is None:
                continue
            if result.outcome is Outcome.MISSED:
                self._back_off(plan)
            elif result.outcome is Outcome.ABORTED and segment.carrying:
                # Never take a part back to the observe pose: it would fall wherever the
                # fingers next open. Let it go here, where the arm stopped.
                self.gripper.open(plan.segment("approach").gripper_width_m)
                message = f"{result.message}; the part was let go where the arm stopped"
                result = dataclasses.replace(result, message=message)
            return result
        return ExecutionResult(Outcome.PLACED, "retreat")

    def _segment(self, segment: Segment) -> ExecutionResult | None:
        if segment.label == "approach":
            # the fingers go down as wide as the planner checked them, no wider
            self.gripper.open(segment.gripper_width_m)
        if segment.label == "grasp":
            self.gripper.close()
            if not self.gripper.grasped():
                return ExecutionResult(
                    Outcome.MISSED,
                    "grasp",
                    f"fingers closed to {self.gripper.width_m():.4f} m on nothing",
                )
            return None
        if segment.label == "release":
            self.gripper.open(segment.gripper_width_m)
            return None
        motion = self._move(segment)
        if motion is not None:
            return motion
        if segment.label in _CARRYING_CHECKS and not self.gripper.grasped():
            return ExecutionResult(Outcome.DROPPED, segment.label, "the part left the fingers")
        return None

    def hold(self) -> None:
        """Make the measured arm position the drives' setpoint (after a failed motion)."""
        self.follower.hold()

    def move(self, trajectory: JointTrajectory, stage: str) -> ExecutionResult:
        """Follow one arm trajectory that is not part of a pick (COMPLETED on success)."""
        return self._move_trajectory(trajectory, stage) or ExecutionResult(Outcome.COMPLETED, stage)

    def _cycle(self, _index: int, state: DriveState) -> None:
        if self.on_cycle is not None:
            self.on_cycle(state)

    def _move(self, segment: Segment) -> ExecutionResult | None:
        return self._move_trajectory(segment.trajectory, segment.label)

    def _move_trajectory(self, trajectory: JointTrajectory, stage: str) -> ExecutionResult | None:
        result = self.follower.follow(trajectory, on_cycle=self._cycle)
        if result.successful:
            return None
        if self.follower.supervisor.state is not SupervisorState.ARMED:
            reason = self.follower.supervisor.stop_reason
            message = str(reason) if reason else result.error_string
            return ExecutionResult(Outcome.FAULT, stage, message)
        return ExecutionResult(Outcome.ABORTED, stage, f"{result.code.name}: {result.error_string}")

    def _back_off(self, plan: PickPlacePlan) -> None:
        """After a missed grasp: open as on the approach, and leave the table along the
        planned lift."""
        self.gripper.open(plan.segment("approach").gripper_width_m)
        self._move(plan.segment("lift"))
