"""rclpy.lifecycle: LifecycleNode, LifecycleState, LifecyclePublisher and
TransitionCallbackReturn (Jazzy signatures and transition rules).

The transitions are triggered directly (``trigger_configure()`` and friends), as a
lifecycle manager's ``change_state`` service call would; a callback returning FAILURE
stays in the previous primary state, ERROR or an exception goes to ``unconfigured`` via
error processing (``on_error``), as rclpy does.
"""

from __future__ import annotations

import enum
from typing import Any, NamedTuple

from .node import Node, Publisher


class TransitionCallbackReturn(enum.Enum):
    SUCCESS = 97
    FAILURE = 98
    ERROR = 99


class LifecycleState(NamedTuple):
    label: str
    state_id: int


UNCONFIGURED = LifecycleState("unconfigured", 1)
INACTIVE = LifecycleState("inactive", 2)
ACTIVE = LifecycleState("active", 3)
FINALIZED = LifecycleState("finalized", 4)

# transition: (allowed from, callback, target on success)
_TRANSITIONS = {
    "configure": ((UNCONFIGURED,), "on_configure", INACTIVE),
    "cleanup": ((INACTIVE,), "on_cleanup", UNCONFIGURED),
    "activate": ((INACTIVE,), "on_activate", ACTIVE),
    "deactivate": ((ACTIVE,), "on_deactivate", INACTIVE),
    "shutdown": ((UNCONFIGURED, INACTIVE, ACTIVE), "on_shutdown", FINALIZED),
}


class LifecyclePublisher(Publisher):
    """Publishes only while activated."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_activated = False

    def publish(self, msg: Any) -> None:
        if self.is_activated:
            super().publish(msg)
        elif not isinstance(msg, self.msg_type):
            raise TypeError(f"Expected {self.msg_type._type}, got {type(msg).__name__}")

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.is_activated = True
        return TransitionCallbackReturn.SUCCESS

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.is_activated = False
        return TransitionCallbackReturn.SUCCESS


class LifecycleNode(Node):
    """rclpy.lifecycle.LifecycleNode."""

    def __init__(self, node_name: str, *, enable_communication_interface: bool = True,
                 **kwargs: Any) -> None:  # fmt: skip
        super().__init__(node_name, **kwargs)
        self._state = UNCONFIGURED
        self._managed: set[Any] = set()
        #: Exceptions raised by transition callbacks (test helper).
        self.transition_errors: list[Exception] = []

    @property
    def current_state(self) -> LifecycleState:
        """Test helper: the primary state (rclpy answers ~/get_state)."""
        return self._state

    def _trigger(self, transition: str) -> TransitionCallbackReturn:
        allowed, callback, target = _TRANSITIONS[transition]
        if self._state not in allowed:
            raise RuntimeError(f"cannot {transition} from {self._state.label}")
        try:
            ret = getattr(self, callback)(self._state)
        except Exception as exc:  # rclpy logs it and goes to error processing
            self.transition_errors.append(exc)
            ret = TransitionCallbackReturn.ERROR
        if not isinstance(ret, TransitionCallbackReturn):
            raise TypeError(f"{callback} must return a TransitionCallbackReturn, got {ret!r}")
        if ret is TransitionCallbackReturn.SUCCESS:
            self._state = target
        elif ret is TransitionCallbackReturn.ERROR:
            on_error = self.on_error(self._state)
            self._state = (
                UNCONFIGURED if on_error is TransitionCallbackReturn.SUCCESS else FINALIZED
            )
        return ret

    def trigger_configure(self) -> TransitionCallbackReturn:
        return self._trigger("configure")

    def trigger_cleanup(self) -> TransitionCallbackReturn:
        return self._trigger("cleanup")

    def trigger_activate(self) -> TransitionCallbackReturn:
        return self._trigger("activate")

    def trigger_deactivate(self) -> TransitionCallbackReturn:
        return self._trigger("deactivate")

    def trigger_shutdown(self) -> TransitionCallbackReturn:
        return self._trigger("shutdown")

    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        return TransitionCallbackReturn.SUCCESS

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        return TransitionCallbackReturn.SUCCESS

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        return TransitionCallbackReturn.SUCCESS

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        for entity in self._managed:
            entity.on_activate(state)
        return TransitionCallbackReturn.SUCCESS

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        for entity in self._managed:
            entity.on_deactivate(state)
        return TransitionCallbackReturn.SUCCESS

    def on_error(self, state: LifecycleState) -> TransitionCallbackReturn:
        return TransitionCallbackReturn.SUCCESS

    def create_lifecycle_publisher(self, *args: Any, **kwargs: Any) -> LifecyclePublisher:
        if "publisher_class" in kwargs:
            raise TypeError(
                "create_publisher() got an unexpected keyword argument 'publisher_class'"
            )
        pub = self.create_publisher(*args, **kwargs, publisher_class=LifecyclePublisher)
        assert isinstance(pub, LifecyclePublisher)
        self._managed.add(pub)
        return pub

    def destroy_lifecycle_publisher(self, publisher: LifecyclePublisher) -> bool:
        self._managed.discard(publisher)
        return self.destroy_publisher(publisher)
