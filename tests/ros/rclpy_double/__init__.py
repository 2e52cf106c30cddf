"""A test double of rclpy (Jazzy) for smoke-running Jazari's nodes without ROS.

It follows rclpy's signatures (read from ros2/rclpy, branch jazzy) for what the nodes use:
``rclpy.init/shutdown/try_shutdown/ok/spin``, ``Node`` (parameters with overrides and
descriptors, publishers, subscriptions, services, clients, timers), ``lifecycle``,
``action`` servers and clients, callback groups, executors, QoS, logging, time; plus
``message_filters`` and ``tf2_ros``. Message packages are generated from the real
Jazzy definitions rosbags ships, the bundled control_msgs/vision_msgs and
jazari_interfaces, and every message crossing the double is CDR round-tripped.

It lives in ``tests/`` and never ships. :func:`installed` puts it in ``sys.modules``
for the duration of a ``with`` block (and the Jazari modules imported meanwhile are
forgotten afterwards, so nothing outside sees the double).
"""

from __future__ import annotations

import contextlib
import sys
import types
from collections.abc import Iterator

from jazari.record.interfaces import parse_interface
from jazari.record.typestore import build_typestore

from . import action, core, extras, lifecycle, node
from .core import MIDDLEWARE, Middleware
from .messages import MessageFactory

# std_srvs is not in rosbags' store: its one service Jazari uses, from std_srvs (Jazzy).
_TRIGGER = "---\nbool success\nstring message\n"


def _module(name: str, **attributes: object) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(attributes)
    return module


def _rclpy_modules() -> dict[str, types.ModuleType]:
    rclpy_action_server = _module(
        "rclpy.action.server", ServerGoalHandle=action.ServerGoalHandle,
        GoalResponse=action.GoalResponse, CancelResponse=action.CancelResponse,
        ActionServer=action.ActionServer,
    )  # fmt: skip
    rclpy_action_client = _module(
        "rclpy.action.client", ClientGoalHandle=action.ClientGoalHandle,
        ActionClient=action.ActionClient,
    )  # fmt: skip
    mods = {
        "rclpy.node": _module("rclpy.node", Node=node.Node),
        "rclpy.lifecycle": _module(
            "rclpy.lifecycle", LifecycleNode=lifecycle.LifecycleNode,
            LifecycleState=lifecycle.LifecycleState,
            LifecyclePublisher=lifecycle.LifecyclePublisher,
            TransitionCallbackReturn=lifecycle.TransitionCallbackReturn,
            Node=lifecycle.LifecycleNode, State=lifecycle.LifecycleState,
            Publisher=lifecycle.LifecyclePublisher,
        ),
        "rclpy.action": _module(
            "rclpy.action", ActionServer=action.ActionServer, ActionClient=action.ActionClient,
            GoalResponse=action.GoalResponse, CancelResponse=action.CancelResponse,
            server=rclpy_action_server, client=rclpy_action_client,
        ),
        "rclpy.action.server": rclpy_action_server,
        "rclpy.action.client": rclpy_action_client,
        "rclpy.callback_groups": _module(
            "rclpy.callback_groups", CallbackGroup=core.CallbackGroup,
            MutuallyExclusiveCallbackGroup=core.MutuallyExclusiveCallbackGroup,
            ReentrantCallbackGroup=core.ReentrantCallbackGroup,
        ),
        "rclpy.executors": _module(
            "rclpy.executors", ExternalShutdownException=core.ExternalShutdownException,
            Executor=node.Executor, SingleThreadedExecutor=node.SingleThreadedExecutor,
            MultiThreadedExecutor=node.MultiThreadedExecutor,
        ),
        "rclpy.qos": _module(
            "rclpy.qos", QoSProfile=core.QoSProfile, ReliabilityPolicy=core.ReliabilityPolicy,
            DurabilityPolicy=core.DurabilityPolicy, HistoryPolicy=core.HistoryPolicy,
            qos_profile_sensor_data=core.qos_profile_sensor_data,
            qos_profile_services_default=core.qos_profile_services_default,
        ),
        "rclpy.parameter": _module("rclpy.parameter", Parameter=core.Parameter),
        "rclpy.publisher": _module("rclpy.publisher", Publisher=node.Publisher),
        "rclpy.subscription": _module("rclpy.subscription", Subscription=node.Subscription),
        "rclpy.timer": _module("rclpy.timer", Timer=core.Timer),
        "rclpy.duration": _module("rclpy.duration", Duration=core.Duration),
        "rclpy.time": _module("rclpy.time", Time=core.Time),
        "rclpy.clock": _module("rclpy.clock", Clock=core.Clock),
        "rclpy.task": _module("rclpy.task", Future=core.Future),
        "rclpy.logging": _module("rclpy.logging", get_logger=core.get_logger),
        "rclpy.exceptions": _module(
            "rclpy.exceptions", ParameterNotDeclaredException=core.ParameterNotDeclaredException,
            ParameterAlreadyDeclaredException=core.ParameterAlreadyDeclaredException,
            ParameterUninitializedException=core.ParameterUninitializedException,
            InvalidParameterValueException=core.InvalidParameterValueException,
            ParameterImmutableException=core.ParameterImmutableException,
            NotInitializedException=core.NotInitializedException,
        ),
    }  # fmt: skip
    rclpy = _module(
        "rclpy", init=node.init, shutdown=node.shutdown, try_shutdown=node.try_shutdown,
        ok=node.ok, spin=node.spin, __path__=[],
    )  # fmt: skip
    for name, module in mods.items():
        if name.count(".") == 1:
            setattr(rclpy, name.split(".")[1], module)
    return {"rclpy": rclpy, **mods}


def _third_party_modules() -> dict[str, types.ModuleType]:
    return {
        "message_filters": _module(
            "message_filters", SimpleFilter=extras.SimpleFilter, Subscriber=extras.Subscriber,
            ApproximateTimeSynchronizer=extras.ApproximateTimeSynchronizer,
        ),
        "tf2_ros": _module(
            "tf2_ros", Buffer=extras.Buffer, TransformListener=extras.TransformListener,
            TransformException=extras.TransformException, LookupException=extras.LookupException,
        ),
    }  # fmt: skip


def build_factory() -> MessageFactory:
    """Message classes of the cell's Jazzy type store plus std_srvs/srv/Trigger."""
    store = build_typestore()
    store.register(parse_interface(_TRIGGER, "std_srvs", "srv", "Trigger"))
    return MessageFactory(store)


@contextlib.contextmanager
def installed(factory: MessageFactory | None = None) -> Iterator[Middleware]:
    """The double in ``sys.modules`` while the block runs; the middleware it uses."""
    factory = factory or build_factory()
    modules = {**factory.modules(), **_rclpy_modules(), **_third_party_modules()}
    clashes = sorted(n for n in modules if n in sys.modules)
    if clashes:
        raise RuntimeError(f"real modules already imported, refusing to shadow them: {clashes}")
    before = set(sys.modules)
    MIDDLEWARE.messages = factory
    sys.modules.update(modules)
    try:
        yield MIDDLEWARE
    finally:
        MIDDLEWARE.reset()
        core.DEFAULT_CONTEXT.try_shutdown()
        for name in set(sys.modules) - before:
            del sys.modules[name]
