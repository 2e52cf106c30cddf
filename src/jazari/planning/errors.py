"""Errors of pick-and-place planning.

Every failure to plan derives from :class:`PlanningError`; the subclass says why, so the
cell sequencer can react (skip the part, ask perception again, report a blocked cell).
"""

from jazari.errors import JazariError


class PlanningError(JazariError):
    """No plan was produced; the subclass and message say why."""


class PlanningInputError(PlanningError, ValueError):
    """A part, pose, joint vector or option handed to the planner is malformed."""


class NoPlaceError(PlanningInputError):
    """The part fits nowhere it may be put (every slot of its bin is full or too small)."""


class StartStateError(PlanningError):
    """The start configuration is outside the joint limits or in collision."""


class UnreachableError(PlanningError):
    """No grasp of the part (or no placement) has an inverse-kinematics solution."""


class LineError(UnreachableError):
    """A straight Cartesian line cannot be followed on one IK branch (the branch leaves
    the reach or the limits, or the joints flip between neighbouring poses)."""


class GraspInCollisionError(PlanningError):
    """Grasps are reachable, but every one collides (at the grasp, on the approach or lift
    line, or at the placement)."""


class NoPathError(PlanningError):
    """No collision-free joint path was found within the time budget."""


class PlanValidationError(PlanningError):
    """A plan failed validation (limits, collisions, continuity or start state); the
    message names the segment, the sample and the violated bound."""
