"""rclpy.action: ActionServer, ActionClient and their goal handles (Jazzy signatures).

Goal states follow action_msgs/msg/GoalStatus; an execute callback that returns without
a terminal state ends ABORTED, as in rclpy. Goals, feedback and results cross the
double's CDR round trip like topics.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable
from typing import Any

from .core import MIDDLEWARE, CallbackGroup, Future, QoSProfile, new_uuid
from .node import Node, _resolve

STATUS_UNKNOWN, STATUS_ACCEPTED, STATUS_EXECUTING, STATUS_CANCELING = 0, 1, 2, 3
STATUS_SUCCEEDED, STATUS_CANCELED, STATUS_ABORTED = 4, 5, 6


class GoalResponse(enum.Enum):
    REJECT = 1
    ACCEPT = 2


class CancelResponse(enum.Enum):
    REJECT = 1
    ACCEPT = 2


def default_handle_accepted_callback(goal_handle: ServerGoalHandle) -> None:
    goal_handle.execute()


def default_goal_callback(goal_request: Any) -> GoalResponse:
    return GoalResponse.ACCEPT


def default_cancel_callback(cancel_request: Any) -> CancelResponse:
    return CancelResponse.REJECT


class ServerGoalHandle:
    """rclpy.action.server.ServerGoalHandle."""

    def __init__(self, action_server: ActionServer, goal_id: bytes, goal_request: Any) -> None:
        self._server = action_server
        self._goal_id = goal_id
        self._request = goal_request
        self._status = STATUS_ACCEPTED
        self._lock = threading.Lock()
        self.result_future = Future()
        self.feedback_callback: Callable[[Any], None] | None = None

    @property
    def request(self) -> Any:
        return self._request

    @property
    def goal_id(self) -> bytes:
        return self._goal_id

    @property
    def status(self) -> int:
        return self._status

    @property
    def is_active(self) -> bool:
        return self._status in (STATUS_ACCEPTED, STATUS_EXECUTING, STATUS_CANCELING)

    @property
    def is_cancel_requested(self) -> bool:
        return self._status == STATUS_CANCELING

    def _to(self, status: int, allowed: tuple[int, ...]) -> None:
        with self._lock:
            if self._status not in allowed:
                raise RuntimeError(f"invalid goal transition {self._status} -> {status}")
            self._status = status

    def execute(self, execute_callback: Callable[[Any], Any] | None = None) -> None:
        if not self.is_cancel_requested:
            self._to(STATUS_EXECUTING, (STATUS_ACCEPTED,))
        self._server._run(self, execute_callback)

    def publish_feedback(self, feedback: Any) -> None:
        if not isinstance(feedback, self._server.action_type.Feedback):
            raise TypeError()
        copy = MIDDLEWARE.messages.round_trip(feedback)
        if self.feedback_callback is not None:
            self.feedback_callback(_FeedbackMessage(self._goal_id, copy))

    def succeed(self) -> None:
        self._to(STATUS_SUCCEEDED, (STATUS_EXECUTING, STATUS_CANCELING))

    def abort(self) -> None:
        self._to(STATUS_ABORTED, (STATUS_EXECUTING, STATUS_CANCELING))

    def canceled(self) -> None:
        self._to(STATUS_CANCELED, (STATUS_CANCELING,))

    def destroy(self) -> None:
        pass


class _FeedbackMessage:
    """<Action>.Impl.FeedbackMessage: goal_id and feedback."""

    def __init__(self, goal_id: bytes, feedback: Any) -> None:
        self.goal_id, self.feedback = goal_id, feedback


class _ResultResponse:
    """<Action>.Impl.GetResultService.Response: status and result."""

    def __init__(self, status: int, result: Any) -> None:
        self.status, self.result = status, result


class ActionServer:
    """rclpy.action.ActionServer."""

    def __init__(
        self, node: Node, action_type: Any, action_name: str,
        execute_callback: Callable[[ServerGoalHandle], Any], *,
        callback_group: CallbackGroup | None = None,
        goal_callback: Callable[[Any], GoalResponse] = default_goal_callback,
        handle_accepted_callback: Callable[
            [ServerGoalHandle], None
        ] = default_handle_accepted_callback,
        cancel_callback: Callable[[Any], CancelResponse] = default_cancel_callback,
        goal_service_qos_profile: QoSProfile | None = None,
        result_service_qos_profile: QoSProfile | None = None,
        cancel_service_qos_profile: QoSProfile | None = None,
        feedback_pub_qos_profile: QoSProfile | None = None,
        status_pub_qos_profile: QoSProfile | None = None,
        result_timeout: int = 900,
    ) -> None:  # fmt: skip
        self.action_type = action_type
        self.name = _resolve(node, action_name)
        self._execute = execute_callback
        self._group = callback_group or node.default_callback_group
        self._goal_callback = goal_callback
        self._accepted = handle_accepted_callback
        self._cancel_callback = cancel_callback
        self._node = node
        if self.name in MIDDLEWARE.actions:
            raise RuntimeError(f"an action server {self.name} exists already")
        MIDDLEWARE.actions[self.name] = self

    def _goal(self, goal: Any, feedback_callback: Callable[[Any], None] | None) -> Future:
        """A goal from a client: the future of its ClientGoalHandle."""
        response = Future()
        request = MIDDLEWARE.messages.round_trip(goal)

        def handle() -> None:
            accepted = self._goal_callback(request) == GoalResponse.ACCEPT
            handle = ServerGoalHandle(self, new_uuid(), request)
            handle.feedback_callback = feedback_callback
            response.set_result(ClientGoalHandle(handle, accepted))
            if accepted:
                self._accepted(handle)

        self._group.submit(handle)
        return response

    def _run(self, handle: ServerGoalHandle, execute_callback: Callable[[Any], Any] | None) -> None:
        callback = execute_callback or self._execute

        def work() -> None:
            result = None
            try:
                result = callback(handle)
            finally:
                if handle.is_active:
                    handle._status = STATUS_ABORTED  # rclpy: "assuming aborted"
                if result is None:
                    result = self.action_type.Result()
                elif not isinstance(result, self.action_type.Result):
                    raise TypeError(f"execute callback returned {type(result).__name__}")
                handle.result_future.set_result(
                    _ResultResponse(handle.status, MIDDLEWARE.messages.round_trip(result))
                )

        self._group.submit(work)

    def _cancel(self, handle: ServerGoalHandle) -> Future:
        future = Future()

        def work() -> None:
            accepted = handle.is_active and self._cancel_callback(handle) == CancelResponse.ACCEPT
            if accepted:
                handle._to(STATUS_CANCELING, (STATUS_ACCEPTED, STATUS_EXECUTING))
            future.set_result(accepted)

        self._group.submit(work)
        return future

    def destroy(self) -> None:
        if MIDDLEWARE.actions.get(self.name) is self:
            del MIDDLEWARE.actions[self.name]


class ClientGoalHandle:
    """rclpy.action.client.ClientGoalHandle."""

    def __init__(self, server_handle: ServerGoalHandle, accepted: bool) -> None:
        self._server_handle = server_handle
        self._accepted = accepted

    @property
    def accepted(self) -> bool:
        return self._accepted

    @property
    def goal_id(self) -> bytes:
        return self._server_handle.goal_id

    @property
    def status(self) -> int:
        return self._server_handle.status

    def get_result_async(self) -> Future:
        if not self._accepted:
            raise RuntimeError("the goal was rejected: it has no result")
        return self._server_handle.result_future

    def cancel_goal_async(self) -> Future:
        return self._server_handle._server._cancel(self._server_handle)


class ActionClient:
    """rclpy.action.ActionClient."""

    def __init__(
        self, node: Node, action_type: Any, action_name: str, *,
        callback_group: CallbackGroup | None = None,
        goal_service_qos_profile: QoSProfile | None = None,
        result_service_qos_profile: QoSProfile | None = None,
        cancel_service_qos_profile: QoSProfile | None = None,
        feedback_sub_qos_profile: QoSProfile | None = None,
        status_sub_qos_profile: QoSProfile | None = None,
    ) -> None:  # fmt: skip
        self._action_type = action_type
        self._name = _resolve(node, action_name)

    def server_is_ready(self) -> bool:
        server = MIDDLEWARE.actions.get(self._name)
        return server is not None and server.action_type is self._action_type

    def wait_for_server(self, timeout_sec: float | None = None) -> bool:
        waited = 0.0
        while not self.server_is_ready():
            if timeout_sec is not None and waited >= timeout_sec:
                return False
            threading.Event().wait(0.01)
            waited += 0.01
        return True

    def send_goal_async(
        self, goal: Any, feedback_callback: Callable[[Any], None] | None = None,
        goal_uuid: Any = None,
    ) -> Future:  # fmt: skip
        if not isinstance(goal, self._action_type.Goal):
            raise TypeError()
        server = MIDDLEWARE.actions.get(self._name)
        if server is None:
            raise RuntimeError(f"no action server {self._name}")
        return server._goal(goal, feedback_callback)

    def destroy(self) -> None:
        pass
