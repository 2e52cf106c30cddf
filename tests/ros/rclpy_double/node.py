"""rclpy.node.Node and its entities, and the executors, with rclpy's (Jazzy) signatures.

Parameter handling follows rclpy's: overrides from ``--params-file`` (``/**`` or the
node's name) and ``parameter_overrides``, ``automatically_declare_parameters_from_overrides``,
statically typed declarations (a value of another type is refused), descriptors with
ranges and read-only, ``set_descriptor`` and the on-set callbacks.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import Any

from . import core
from .core import (
    MIDDLEWARE,
    CallbackGroup,
    Clock,
    Future,
    InvalidParameterValueException,
    MutuallyExclusiveCallbackGroup,
    Parameter,
    ParameterAlreadyDeclaredException,
    ParameterImmutableException,
    ParameterNotDeclaredException,
    ParameterUninitializedException,
    QoSProfile,
    RcutilsLogger,
    SetParametersResult,
    Timer,
    _Subscription,
)
from .messages import Message


def _resolve(node: Node, name: str) -> str:
    if name.startswith("/"):
        return name
    ns = node.get_namespace().rstrip("/")
    if name.startswith("~"):
        return f"{ns}/{node.get_name()}{name[1:]}"
    return f"{ns}/{name}"


class Publisher:
    """rclpy.publisher.Publisher."""

    def __init__(self, node: Node, msg_type: type[Message], topic: str) -> None:
        self.msg_type = msg_type
        self.topic_name = topic
        self._node = node

    def publish(self, msg: Any) -> None:
        if not isinstance(msg, self.msg_type):
            raise TypeError(f"Expected {self.msg_type._type}, got {type(msg).__name__}")
        MIDDLEWARE.publish(self.topic_name, msg)

    def get_subscription_count(self) -> int:
        return len([s for s in MIDDLEWARE.subscriptions.get(self.topic_name, []) if s.alive])

    def destroy(self) -> None:
        pass


class Subscription:
    """rclpy.subscription.Subscription."""

    def __init__(self, entry: _Subscription) -> None:
        self._entry = entry
        self.topic_name = entry.topic
        self.msg_type = entry.msg_type

    def destroy(self) -> None:
        self._entry.alive = False


class Service:
    """rclpy.service.Service."""

    def __init__(self, srv_type: Any, name: str, callback: Callable[[Any, Any], Any],
                 group: CallbackGroup) -> None:  # fmt: skip
        self.srv_type, self.srv_name, self.callback, self.group = srv_type, name, callback, group

    def destroy(self) -> None:
        MIDDLEWARE.services.pop(self.srv_name, None)


class Client:
    """rclpy.client.Client."""

    def __init__(self, srv_type: Any, name: str) -> None:
        self.srv_type, self.srv_name = srv_type, name

    def service_is_ready(self) -> bool:
        return self.srv_name in MIDDLEWARE.services

    def wait_for_service(self, timeout_sec: float | None = None) -> bool:
        deadline = None if timeout_sec is None else threading.Event()
        waited = 0.0
        while not self.service_is_ready():
            if deadline is not None and timeout_sec is not None and waited >= timeout_sec:
                return False
            threading.Event().wait(0.01)
            waited += 0.01
        return True

    def call_async(self, request: Any) -> Future:
        future = Future()
        service = MIDDLEWARE.services.get(self.srv_name)
        if service is None:
            future.set_exception(RuntimeError(f"service {self.srv_name} is not available"))
            return future
        req = MIDDLEWARE.messages.round_trip(request)

        def handle() -> None:
            try:
                response = service.callback(req, service.srv_type.Response())
                future.set_result(MIDDLEWARE.messages.round_trip(response))
            except BaseException as exc:
                future.set_exception(exc)
                raise

        service.group.submit(handle)
        return future

    def destroy(self) -> None:
        pass


class Node:
    """rclpy.node.Node."""

    PARAM_REL_TOL = 1e-6

    def __init__(
        self,
        node_name: str,
        *,
        context: core.Context | None = None,
        cli_args: list[str] | None = None,
        namespace: str | None = None,
        use_global_arguments: bool = True,
        enable_rosout: bool = True,
        start_parameter_services: bool = True,
        parameter_overrides: list[Parameter] | None = None,
        allow_undeclared_parameters: bool = False,
        automatically_declare_parameters_from_overrides: bool = False,
        enable_logger_service: bool = False,
    ) -> None:
        self._context = context or core.DEFAULT_CONTEXT
        if not self._context.ok():
            raise core.NotInitializedException("cannot create node")
        args = list(cli_args or []) + (self._context.args if use_global_arguments else [])
        parsed = core.ros_arguments(args)
        remaps = parsed.remaps
        self._name = remaps.get("__node", node_name)
        ns = namespace if namespace is not None else remaps.get("__ns", "/")
        self._namespace = ns if ns.startswith("/") else "/" + ns
        self._remaps = {k: v for k, v in remaps.items() if not k.startswith("__")}
        self._logger = RcutilsLogger(self._name)
        self._clock = Clock()
        self._parameters: dict[str, Parameter] = {}
        self._descriptors: dict[str, Any] = {}
        self._on_set: list[Callable[[list[Parameter]], SetParametersResult]] = []
        self._allow_undeclared = allow_undeclared_parameters
        self.default_callback_group = MutuallyExclusiveCallbackGroup()
        # rclpy's own lists, under rclpy's names: a subclass that reuses one breaks here
        # as it would on ROS.
        self._publishers: list[Publisher] = []
        self._subscriptions: list[Subscription] = []
        self._clients: list[Client] = []
        self._services: list[Service] = []
        self._timers: list[Timer] = []
        fqn = self.get_fully_qualified_name()
        self._parameter_overrides: dict[str, Parameter] = {}
        for path in parsed.files:
            for name, value in core.file_overrides(path, fqn).items():
                self._parameter_overrides[name] = Parameter(name, value=value)
        for name, value in parsed.params.items():
            self._parameter_overrides[name] = Parameter(name, value=value)
        for p in parameter_overrides or []:
            self._parameter_overrides[p.name] = p
        if automatically_declare_parameters_from_overrides:
            for name, p in self._parameter_overrides.items():
                self.declare_parameter(name, p.value, self._descriptor(), ignore_override=True)
        if not self.has_parameter("use_sim_time"):
            self.declare_parameter("use_sim_time", False)
        if self.get_parameter("use_sim_time").value:
            self.create_subscription(
                MIDDLEWARE.messages.cls("rosgraph_msgs/msg/Clock"), "/clock",
                self._on_clock, 1,
            )  # fmt: skip

    def _descriptor(self, **kwargs: Any) -> Any:
        return MIDDLEWARE.messages.cls("rcl_interfaces/msg/ParameterDescriptor")(**kwargs)

    def _on_clock(self, msg: Any) -> None:
        self._clock.sim_time_ns = msg.clock.sec * 10**9 + msg.clock.nanosec

    # -- identity ----------------------------------------------------------------------

    def get_name(self) -> str:
        return self._name

    def get_namespace(self) -> str:
        return self._namespace

    def get_fully_qualified_name(self) -> str:
        return f"{self._namespace.rstrip('/')}/{self._name}"

    def get_logger(self) -> RcutilsLogger:
        return self._logger

    def get_clock(self) -> Clock:
        return self._clock

    @property
    def context(self) -> core.Context:
        return self._context

    # -- parameters --------------------------------------------------------------------

    def declare_parameter(
        self, name: str, value: Any = None, descriptor: Any = None, ignore_override: bool = False
    ) -> Parameter:
        descriptor = self._descriptor() if descriptor is None else descriptor
        return self.declare_parameters("", [(name, value, descriptor)], ignore_override)[0]

    def declare_parameters(
        self, namespace: str, parameters: list[tuple[Any, ...]], ignore_override: bool = False
    ) -> list[Parameter]:
        out = []
        for entry in parameters:
            name = f"{namespace}.{entry[0]}" if namespace else entry[0]
            second = entry[1] if len(entry) > 1 else None
            descriptor = entry[2] if len(entry) > 2 else self._descriptor()
            if name in self._parameters:
                raise ParameterAlreadyDeclaredException([name])
            if isinstance(second, Parameter.Type):
                if second is Parameter.Type.NOT_SET:
                    raise ValueError(f"Cannot declare parameter {name} as statically typed NOT_SET")
                descriptor.type = second.value
                value = None
            else:
                value = second
                if not descriptor.dynamic_typing:
                    descriptor.type = Parameter.Type.from_parameter_value(value).value
                    if descriptor.type == 0:
                        raise ValueError("Cannot declare a statically typed parameter with None")
            if not ignore_override and name in self._parameter_overrides:
                value = self._parameter_overrides[name].value
            param = Parameter(name, value=value)
            result = self._apply(param, descriptor)
            if not result.successful:
                raise InvalidParameterValueException(name, value, result.reason)
            for cb in self._on_set:
                result = cb([param])
                if not result.successful:
                    raise InvalidParameterValueException(name, value, result.reason)
            self._parameters[name] = param
            self._descriptors[name] = descriptor
            out.append(param)
        return out

    def _apply(self, param: Parameter, descriptor: Any) -> SetParametersResult:
        descriptor.name = param.name
        if (
            not descriptor.dynamic_typing
            and param.type_ is not Parameter.Type.NOT_SET
            and param.type_.value != descriptor.type
        ):
            return SetParametersResult(
                False, f"Wrong parameter type, expected '{Parameter.Type(descriptor.type)}' "
                f"got '{param.type_}'"
            )  # fmt: skip
        ranges = {
            Parameter.Type.INTEGER: descriptor.integer_range,
            Parameter.Type.DOUBLE: descriptor.floating_point_range,
        }.get(param.type_)
        if ranges:
            lo = min(ranges[0].from_value, ranges[0].to_value)
            hi = max(ranges[0].from_value, ranges[0].to_value)
            edge = any(math.isclose(param.value, b, rel_tol=self.PARAM_REL_TOL) for b in (lo, hi))
            if not edge and not lo < param.value < hi:
                return SetParametersResult(False, f"Parameter {param.name} out of range")
        return SetParametersResult(True, "")

    def has_parameter(self, name: str) -> bool:
        return name in self._parameters

    def get_parameter(self, name: str) -> Parameter:
        if name not in self._parameters:
            if self._allow_undeclared:
                return Parameter(name, Parameter.Type.NOT_SET, None)
            raise ParameterNotDeclaredException(name)
        param = self._parameters[name]
        if param.type_ is Parameter.Type.NOT_SET and not self._descriptors[name].dynamic_typing:
            raise ParameterUninitializedException(name)
        return param

    def get_parameters(self, names: list[str]) -> list[Parameter]:
        return [self.get_parameter(n) for n in names]

    def list_parameters(self, prefixes: list[str], depth: int) -> Any:
        names = sorted(n for n in self._parameters if not prefixes or any(
            n == p or n.startswith(p + ".") for p in prefixes))  # fmt: skip
        return MIDDLEWARE.messages.cls("rcl_interfaces/msg/ListParametersResult")(
            names=names, prefixes=[]
        )

    def describe_parameter(self, name: str) -> Any:
        if name not in self._descriptors:
            raise ParameterNotDeclaredException(name)
        return self._descriptors[name]

    def set_descriptor(self, name: str, descriptor: Any, alternative_value: Any = None) -> Any:
        if not self.has_parameter(name):
            raise ParameterNotDeclaredException(name)
        if self._descriptors[name].read_only:
            raise ParameterImmutableException(name)
        param = self._parameters[name]
        result = self._apply(param, descriptor)
        if not result.successful:
            raise InvalidParameterValueException(name, param.value, result.reason)
        self._descriptors[name] = descriptor
        return param.value

    def set_parameters(self, parameter_list: list[Parameter]) -> list[SetParametersResult]:
        results = []
        for param in parameter_list:
            if param.name not in self._parameters:
                raise ParameterNotDeclaredException(param.name)
            descriptor = self._descriptors[param.name]
            if descriptor.read_only:
                results.append(SetParametersResult(False, f"{param.name} is read-only"))
                continue
            result = self._apply(param, descriptor)
            for cb in self._on_set if result.successful else []:
                result = cb([param])
                if not result.successful:
                    break
            if result.successful:
                self._parameters[param.name] = param
            results.append(result)
        return results

    def add_on_set_parameters_callback(
        self, callback: Callable[[list[Parameter]], SetParametersResult]
    ) -> None:
        self._on_set.insert(0, callback)

    # -- entities ----------------------------------------------------------------------

    def _topic(self, name: str) -> str:
        resolved = _resolve(self, name)
        return _resolve(self, self._remaps.get(name, self._remaps.get(resolved, resolved)))

    def create_publisher(
        self, msg_type: type[Message], topic: str, qos_profile: QoSProfile | int, *,
        callback_group: CallbackGroup | None = None, event_callbacks: Any = None,
        qos_overriding_options: Any = None, publisher_class: type[Publisher] = Publisher,
    ) -> Publisher:  # fmt: skip
        core._depth(qos_profile)
        pub = publisher_class(self, msg_type, self._topic(topic))
        self._publishers.append(pub)
        return pub

    def create_subscription(
        self, msg_type: type[Message], topic: str, callback: Callable[[Any], None],
        qos_profile: QoSProfile | int, *, callback_group: CallbackGroup | None = None,
        event_callbacks: Any = None, qos_overriding_options: Any = None, raw: bool = False,
    ) -> Subscription:  # fmt: skip
        entry = _Subscription(
            self, self._topic(topic), msg_type, callback, core._depth(qos_profile),
            callback_group or self.default_callback_group,
        )  # fmt: skip
        MIDDLEWARE.subscribe(entry)
        sub = Subscription(entry)
        self._subscriptions.append(sub)
        return sub

    def create_service(
        self, srv_type: Any, srv_name: str, callback: Callable[[Any, Any], Any], *,
        qos_profile: QoSProfile = core.qos_profile_services_default,
        callback_group: CallbackGroup | None = None,
    ) -> Service:  # fmt: skip
        name = self._topic(srv_name)
        service = Service(srv_type, name, callback, callback_group or self.default_callback_group)
        MIDDLEWARE.services[name] = service
        self._services.append(service)
        return service

    def create_client(
        self, srv_type: Any, srv_name: str, *,
        qos_profile: QoSProfile = core.qos_profile_services_default,
        callback_group: CallbackGroup | None = None,
    ) -> Client:  # fmt: skip
        client = Client(srv_type, self._topic(srv_name))
        self._clients.append(client)
        return client

    def create_timer(
        self, timer_period_sec: float, callback: Callable[[], Any],
        callback_group: CallbackGroup | None = None, clock: Clock | None = None,
        autostart: bool = True,
    ) -> Timer:  # fmt: skip
        timer = Timer(callback, timer_period_sec, callback_group or self.default_callback_group,
                      autostart)  # fmt: skip
        with MIDDLEWARE.lock:
            MIDDLEWARE.timers.append(timer)
        self._timers.append(timer)
        return timer

    def _destroy(self, entities: list[Any], entity: Any) -> bool:
        if entity not in entities:
            return False
        entities.remove(entity)  # rclpy removes it from its list, as here
        entity.destroy()
        return True

    def destroy_timer(self, timer: Timer) -> bool:
        return self._destroy(self._timers, timer)

    def destroy_publisher(self, publisher: Publisher) -> bool:
        return self._destroy(self._publishers, publisher)

    def destroy_subscription(self, subscription: Subscription) -> bool:
        return self._destroy(self._subscriptions, subscription)

    def destroy_service(self, service: Service) -> bool:
        return self._destroy(self._services, service)

    def destroy_client(self, client: Client) -> bool:
        return self._destroy(self._clients, client)

    def destroy_node(self) -> None:
        for entities in (self._publishers, self._subscriptions, self._clients,
                         self._services, self._timers):  # fmt: skip
            for entity in list(entities):
                self._destroy(entities, entity)


# -- executors and the module-level functions ----------------------------------------


class Executor:
    """rclpy.executors.Executor: spin() returns only when the context shuts down."""

    def __init__(self, *, context: core.Context | None = None) -> None:
        self._context = context or core.DEFAULT_CONTEXT
        self._nodes: list[Node] = []
        self._stop = threading.Event()

    def add_node(self, node: Node) -> bool:
        if node in self._nodes:
            return False
        self._nodes.append(node)
        return True

    def remove_node(self, node: Node) -> None:
        self._nodes.remove(node)

    def spin(self) -> None:
        while not self._stop.is_set():
            if not self._context.ok():
                raise core.ExternalShutdownException()
            self._context.shutdown_event.wait(0.05)

    def spin_once(self, timeout_sec: float | None = None) -> None:
        if not self._context.ok():
            raise core.ExternalShutdownException()
        self._context.shutdown_event.wait(timeout_sec or 0.0)

    def shutdown(self, timeout_sec: float | None = None) -> bool:
        self._stop.set()
        return True


class SingleThreadedExecutor(Executor):
    """rclpy.executors.SingleThreadedExecutor."""


class MultiThreadedExecutor(Executor):
    """rclpy.executors.MultiThreadedExecutor."""

    def __init__(
        self, num_threads: int | None = None, *, context: core.Context | None = None
    ) -> None:
        super().__init__(context=context)
        self.num_threads = num_threads


def init(*, args: list[str] | None = None, context: core.Context | None = None,
         domain_id: int | None = None, signal_handler_options: Any = None) -> None:  # fmt: skip
    (context or core.DEFAULT_CONTEXT).init(args, domain_id=domain_id)


def shutdown(*, context: core.Context | None = None) -> None:
    (context or core.DEFAULT_CONTEXT).shutdown()


def try_shutdown(*, context: core.Context | None = None) -> None:
    (context or core.DEFAULT_CONTEXT).try_shutdown()


def ok(*, context: core.Context | None = None) -> bool:
    return (context or core.DEFAULT_CONTEXT).ok()


def spin(node: Node, executor: Executor | None = None) -> None:
    executor = executor or SingleThreadedExecutor()
    executor.add_node(node)
    executor.spin()
