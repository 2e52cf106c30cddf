"""Configuration of the EtherCAT drive bus (``config/ethercat_driver.yaml``)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jazari.config import load_params
from jazari.control.ethercat.errors import EthercatConfigError
from jazari.control.ethercat.scaling import JointScaling


@dataclass(frozen=True)
class ExpectedSlave:
    """One drive the configuration expects on the wire, in bus order.

    Attributes:
        position: 1-based position on the segment.
        joint_name: the joint this drive moves.
        vendor_id, product_code: identity the slave must report from its SII EEPROM.
        scaling: counts <-> radians of this joint.
    """

    position: int
    joint_name: str
    vendor_id: int
    product_code: int
    scaling: JointScaling

    def __post_init__(self) -> None:
        if self.position < 1:
            raise EthercatConfigError(f"slave position must be >= 1, got {self.position}")
        if not self.joint_name:
            raise EthercatConfigError(f"slave {self.position} needs a joint name")
        for name in ("vendor_id", "product_code"):
            value = getattr(self, name)
            if not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
                raise EthercatConfigError(
                    f"slave {self.position}: {name} must be an UNSIGNED32, got {value!r}"
                )


@dataclass(frozen=True)
class EthercatBusConfig:
    """Everything the master needs to bring up and run the bus.

    Attributes:
        interface: network interface the segment is on (e.g. ``eth1``).
        network_namespace: name of the network namespace (``ip netns``) the interface lives
            in; empty for the current one.
        slaves: the expected drives in bus order.
        cycle_time_s: process-data period [s].
        wkc_error_threshold: consecutive cycles with a wrong working counter that stop the
            cell (>= 1).
        receive_timeout_s: how long a cycle waits for its frame to come back [s]; must be
            shorter than the cycle.
        state_timeout_s: how long a slave may take to reach a requested state [s].
        enable_timeout_s: how long the drives may take to reach OPERATION ENABLED [s].
        realtime_priority: SCHED_FIFO priority of the cycle thread (0: normal scheduling).
        gil_switch_interval_s: Python thread switch interval set while the bus runs, so the
            cycle thread gets the interpreter promptly (0: leave it unchanged).
    """

    interface: str
    slaves: tuple[ExpectedSlave, ...]
    network_namespace: str = ""
    cycle_time_s: float = 0.001
    wkc_error_threshold: int = 3
    receive_timeout_s: float = 0.0007
    state_timeout_s: float = 2.0
    enable_timeout_s: float = 1.0
    realtime_priority: int = 0
    gil_switch_interval_s: float = 0.0002

    def __post_init__(self) -> None:
        if not self.interface:
            raise EthercatConfigError("interface must name a network interface")
        if not self.slaves:
            raise EthercatConfigError("at least one slave is needed")
        positions = [s.position for s in self.slaves]
        if positions != list(range(1, len(self.slaves) + 1)):
            raise EthercatConfigError(f"slave positions must be 1..n in order, got {positions}")
        joints = [s.joint_name for s in self.slaves]
        if len(set(joints)) != len(joints):
            raise EthercatConfigError(f"joint names must be unique, got {joints}")
        _positive("cycle_time_s", self.cycle_time_s)
        _positive("state_timeout_s", self.state_timeout_s)
        _positive("enable_timeout_s", self.enable_timeout_s)
        _positive("receive_timeout_s", self.receive_timeout_s)
        if self.receive_timeout_s >= self.cycle_time_s:
            raise EthercatConfigError(
                f"receive_timeout_s ({self.receive_timeout_s}) must be shorter than "
                f"cycle_time_s ({self.cycle_time_s})"
            )
        if not isinstance(self.wkc_error_threshold, int) or self.wkc_error_threshold < 1:
            raise EthercatConfigError(
                f"wkc_error_threshold must be an integer >= 1, got {self.wkc_error_threshold!r}"
            )
        if not 0 <= self.realtime_priority <= 99:
            raise EthercatConfigError(
                f"realtime_priority must be in 0..99, got {self.realtime_priority!r}"
            )
        if not 0 <= self.gil_switch_interval_s < 0.1:
            raise EthercatConfigError(
                f"gil_switch_interval_s must be in [0, 0.1), got {self.gil_switch_interval_s!r}"
            )

    @property
    def joint_names(self) -> tuple[str, ...]:
        """The joints, in bus order."""
        return tuple(s.joint_name for s in self.slaves)

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> EthercatBusConfig:
        """Build from ROS-style parameters (parallel per-joint lists).

        Raises:
            EthercatConfigError: naming the missing or bad parameter.
        """
        joints = _list(params, "joints")
        n = len(joints)

        def per_joint(name: str, default: Any = None) -> list[Any]:
            if name not in params and default is not None:
                return [default] * n
            values = _list(params, name)
            if len(values) != n:
                raise EthercatConfigError(
                    f"{name} needs one value per joint ({n}), got {len(values)}: {values}"
                )
            return values

        vendor_ids = per_joint("vendor_ids")
        product_codes = per_joint("product_codes")
        counts = per_joint("counts_per_rev")
        gears = per_joint("gear_ratio", 1.0)
        offsets = per_joint("zero_offset_counts", 0)
        directions = per_joint("direction", 1)
        torques = per_joint("rated_torque_nm", 1.0)
        slaves = tuple(
            ExpectedSlave(
                position=i + 1,
                joint_name=str(joints[i]),
                vendor_id=vendor_ids[i],
                product_code=product_codes[i],
                scaling=JointScaling(
                    counts_per_rev=counts[i],
                    gear_ratio=float(gears[i]),
                    zero_offset_counts=int(offsets[i]),
                    direction=int(directions[i]),
                    rated_torque_nm=float(torques[i]),
                ),
            )
            for i in range(n)
        )
        optional = {
            key: params[key]
            for key in (
                "network_namespace",
                "cycle_time_s",
                "wkc_error_threshold",
                "receive_timeout_s",
                "state_timeout_s",
                "enable_timeout_s",
                "realtime_priority",
                "gil_switch_interval_s",
            )
            if key in params
        }
        if "interface" not in params:
            raise EthercatConfigError("parameter 'interface' is missing")
        return cls(interface=str(params["interface"]), slaves=slaves, **optional)

    @classmethod
    def load(cls, name: str = "ethercat_driver") -> EthercatBusConfig:
        """From the packaged ``config/<name>.yaml``."""
        return cls.from_params(load_params(name))


def _positive(name: str, value: float) -> None:
    if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise EthercatConfigError(f"{name} must be a positive number, got {value!r}")


def _list(params: Mapping[str, Any], name: str) -> list[Any]:
    if name not in params:
        raise EthercatConfigError(f"parameter {name!r} is missing")
    value = params[name]
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise EthercatConfigError(f"parameter {name!r} must be a list, got {value!r}")
    return list(value)
