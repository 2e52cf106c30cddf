"""The in-process runner: the whole cell in one process, in simulation.

It wires the MuJoCo twin (camera, plant, gripper), emulated drives moving the twin's
joints, the chosen drive backend's driver behind the safety supervisor and the
trajectory follower, perception, inspection, planning and the task sequence. Every
joint motion goes through the driver stack: with ``serial``, byte for byte over a
pseudo-terminal to emulated Dynamixel servos in a thread of this process; with
``ethercat``, in real EtherCAT frames from the SOEM master over a veth pair to emulated
CiA 402 drives in another process (root only). The twin moves only when the emulated
drives move it (its physics advances in real time).
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Protocol

import numpy as np

from jazari.cell.execute import PlanExecutor
from jazari.cell.planner import CellPlanner
from jazari.cell.sequence import CellSequence, Hooks, SequenceConfig, State
from jazari.cell.vision import CellVision
from jazari.clock import WallClock
from jazari.config import ParamReader, load_params
from jazari.control.backends import driver_params_name, open_drive_bus
from jazari.control.follower import FollowerConfig, TrajectoryFollower
from jazari.control.safety import JointLimits, SafetyConfig, SafetySupervisor
from jazari.errors import ConfigError
from jazari.geometry.transforms import FloatArray
from jazari.planning.pick_place import default_planner
from jazari.planning.scene import Scene
from jazari.sim.camera import TwinCamera
from jazari.sim.dynamixel_emulator import EmulatorConfig, EmulatorThread, RaiseHardwareError
from jazari.sim.errors import SimConfigError
from jazari.sim.ethercat_plant import emulated_ethercat_drives
from jazari.sim.truth import SceneTruth
from jazari.sim.twin import CellTwin, TwinGripper

log = logging.getLogger(__name__)

# Reply timeout margin of the serial driver when the servos are emulated in-process [s].
EMULATOR_MARGIN_S = 0.02
# Cycles without a fresh reading before the watchdog stops the emulated cell (50 ms at
# 500 Hz): the emulator shares the interpreter, so it can miss a few cycles under load.
EMULATOR_WATCHDOG_CYCLES = 25
# Hardware Error Status bit of :meth:`SerialCellDrives.inject_fault` (bit 5: overload).
OVERLOAD_BIT = 0x20


class EmulatedDrives(Protocol):
    """Emulated drives moving the twin's joints, started for one run."""

    @property
    def driver_params(self) -> Mapping[str, Any]:
        """The backend's driver parameters to open the bus with (where the emulated
        drives are, and any allowance for their emulation)."""
        ...

    def inject_fault(self, joint_name: str) -> None:
        """Make the drive of ``joint_name`` fault, as a drive's hardware would."""
        ...


#: Starts a backend's emulated drives on the twin, from its driver parameters.
DrivesFactory = Callable[[CellTwin, Mapping[str, Any]], AbstractContextManager[EmulatedDrives]]


@dataclass(frozen=True)
class SerialCellDrives:
    """Emulated Dynamixel servos on a pseudo-terminal, served from a thread of this
    process.

    Attributes:
        driver_params: ``serial_driver`` parameters with the emulator's port.
        thread: the emulator (fault commands: :meth:`EmulatorThread.apply`).
        config: the emulated chain.
    """

    driver_params: Mapping[str, Any]
    thread: EmulatorThread
    config: EmulatorConfig

    def inject_fault(self, joint_name: str) -> None:
        """Latch an overload error in the servo of ``joint_name`` (its torque goes off).

        Raises:
            SimConfigError: when no servo turns ``joint_name``.
        """
        joints = self.config.joint_names
        if joint_name not in joints:
            raise SimConfigError(f"no servo turns {joint_name!r}; servos turn {list(joints)}")
        servo = self.config.servos[joints.index(joint_name)]
        self.thread.apply(RaiseHardwareError(servo_id=servo.servo_id, bits=OVERLOAD_BIT))


@contextlib.contextmanager
def serial_drives(twin: CellTwin, params: Mapping[str, Any]) -> Iterator[SerialCellDrives]:
    """Emulated servos moving ``twin``, matching ``serial_driver`` parameters."""
    config = EmulatorConfig.for_driver(params)
    with EmulatorThread(config, plant=twin) as emulator:
        driver_params = dict(params)
        driver_params["port"] = emulator.port
        # The emulated servos answer from a thread of this process: a scheduling hiccup
        # of a loaded machine must not look like a silent servo to the driver.
        driver_params["timeout_margin_s"] = max(
            float(driver_params["timeout_margin_s"]), EMULATOR_MARGIN_S
        )
        safety = dict(driver_params["safety"])
        safety["watchdog_cycles"] = max(int(safety["watchdog_cycles"]), EMULATOR_WATCHDOG_CYCLES)
        driver_params["safety"] = safety
        yield SerialCellDrives(driver_params, emulator, config)


#: The backends whose emulated drives can move the twin, by name.
SIMULATED_DRIVES: Mapping[str, DrivesFactory] = MappingProxyType(
    {"serial": serial_drives, "ethercat": emulated_ethercat_drives}
)


@dataclass(frozen=True)
class RunOptions:
    """What to run.

    Attributes:
        parts: parts spawned on the table.
        seed: seed of the scene (parts) and of the planner.
        drives: drive backend (``serial`` or ``ethercat``; see :data:`SIMULATED_DRIVES`).
        depth_noise: render the camera with the sensor noise model.
    """

    parts: int = 6
    seed: int = 0
    drives: str = "serial"
    depth_noise: bool = True

    def __post_init__(self) -> None:
        if self.parts < 1:
            raise ConfigError(f"parts must be >= 1, got {self.parts}")
        if self.drives not in SIMULATED_DRIVES:
            raise ConfigError(
                f"drives {self.drives!r} cannot move the simulated cell; "
                f"simulated backends: {sorted(SIMULATED_DRIVES)}"
            )


@dataclass
class SimCell:
    """The cell's components, wired and armed (build with :func:`sim_cell`)."""

    twin: CellTwin
    camera: TwinCamera
    emulator: EmulatedDrives
    supervisor: SafetySupervisor
    sequence: CellSequence

    def attach(self, hooks: Hooks) -> None:
        """Observe the sequence (and every drive state the follower reads) with ``hooks``."""
        self.sequence.hooks = hooks
        self.sequence.executor.on_cycle = hooks.on_drive_state

    def truth(self) -> SceneTruth:
        """Ground truth of the scene now (for reports and tests, never for the cell)."""
        return self.twin.ground_truth()


@dataclass(frozen=True)
class RunResult:
    """How a run ended, what the sequence recorded, and the scene's ground truth then."""

    state: State
    sequence: CellSequence
    truth: SceneTruth


def measured_q(supervisor: SafetySupervisor) -> FloatArray:
    """The arm's last measured joint positions [rad] (read over the bus if none yet)."""
    state = (
        supervisor.last_state if supervisor.last_state is not None else supervisor.bus.read_state()
    )
    return np.array(state.position_rad, dtype=float)


def _sequence_config(params: dict[str, Any]) -> SequenceConfig:
    section = ParamReader(params, "cell.yaml", ConfigError).section("sequence")
    return SequenceConfig.from_params(dict(section.params))


@contextlib.contextmanager
def sim_cell(options: RunOptions, twin: CellTwin | None = None) -> Iterator[SimCell]:
    """Build the simulated cell, arm it, and close everything on exit.

    Args:
        options: what to run.
        twin: a twin with a scene of one's own (default: ``options.parts`` parts spawned
            with ``options.seed``).
    """
    cell_params = load_params("cell")
    twin = twin if twin is not None else CellTwin.with_random_parts(options.parts, options.seed)
    drive_params = load_params(driver_params_name(options.drives))
    noise = replace(twin.params.depth_noise, enabled=options.depth_noise)
    clock = WallClock()
    with contextlib.ExitStack() as stack:
        camera = stack.enter_context(TwinCamera(twin, depth_noise=noise, seed=options.seed))
        emulator = stack.enter_context(SIMULATED_DRIVES[options.drives](twin, drive_params))
        bus_params = dict(emulator.driver_params)
        bus = open_drive_bus(options.drives, bus_params, clock=clock)
        stack.callback(bus.close)
        limits = JointLimits.from_chain(twin.robot.chain, bus.joint_names)
        supervisor = SafetySupervisor(bus, limits, SafetyConfig.from_params(bus_params), clock)
        stack.callback(supervisor.disarm)
        follower = TrajectoryFollower(supervisor, clock, FollowerConfig.from_params(bus_params))
        executor = PlanExecutor(follower, TwinGripper(twin, clock=clock))
        cfg = ParamReader(cell_params, "cell.yaml", ConfigError)
        planner = CellPlanner(
            default_planner(twin.robot),
            Scene.from_model(twin.robot),
            np.random.default_rng([cfg.integer("planner_seed"), options.seed]),
            np.array(cfg.numbers("home_q_rad", 6)),
        )
        joint_positions = functools.partial(measured_q, supervisor)
        sequence = CellSequence(
            camera, CellVision(), planner, executor, twin, joint_positions,
            _sequence_config(cell_params),
        )  # fmt: skip
        supervisor.arm()
        yield SimCell(twin, camera, emulator, supervisor, sequence)


def run_cell(
    options: RunOptions, hooks: Hooks | None = None, twin: CellTwin | None = None
) -> RunResult:
    """Run the cell until its table is empty or it stops (see :func:`sim_cell`)."""
    with sim_cell(options, twin) as cell:
        if hooks is not None:
            cell.attach(hooks)
        state = cell.sequence.run()
        return RunResult(state, cell.sequence, cell.truth())
