"""The parameters of every Jazari node, and which ``config/*.yaml`` files each is given.

Groups mirror the parameter files (``CAMERA`` is ``config/camera.yaml``, ...); a node's
schema is the groups of the files it is given plus its own parameters, which have
defaults because no file holds them. Bounds here are the ROS-side sanity limits shown
by ``ros2 param describe``; the core still checks the finer rules (ordering of pairs,
values that must be strictly positive) and names the parameter when one fails.
"""

from __future__ import annotations

import math
from typing import Any

from jazari.ros.param_schema import NodeSchema, ParamSpec, ParamType, merge_specs

TWO_PI = 2.0 * math.pi
INT32_MAX = 2**31 - 1
ARM_JOINTS = 6


def num(name: str, description: str, lo: float = 0.0, hi: float = math.inf, **kw: Any) -> ParamSpec:
    """A double; bounds default to [0, inf)."""
    return ParamSpec(name, ParamType.DOUBLE, description, lo, hi, **kw)


def integer(name: str, description: str, lo: int = 0, hi: int = INT32_MAX, **kw: Any) -> ParamSpec:
    """An integer; bounds default to [0, 2^31 - 1]."""
    return ParamSpec(name, ParamType.INTEGER, description, lo, hi, **kw)


def flag(name: str, description: str, **kw: Any) -> ParamSpec:
    """A boolean."""
    return ParamSpec(name, ParamType.BOOL, description, **kw)


def text(name: str, description: str, choices: tuple[str, ...] = (), **kw: Any) -> ParamSpec:
    """A string, optionally one of ``choices``."""
    return ParamSpec(name, ParamType.STRING, description, choices=choices, **kw)


def nums(
    name: str, description: str, lo: float = 0.0, hi: float = math.inf, length: int | None = None,
    **kw: Any,
) -> ParamSpec:  # fmt: skip
    """An array of doubles, each in [lo, hi]."""
    return ParamSpec(name, ParamType.DOUBLE_ARRAY, description, lo, hi, length=length, **kw)


def ints(
    name: str, description: str, lo: int = 0, hi: int = INT32_MAX, length: int | None = None,
    **kw: Any,
) -> ParamSpec:  # fmt: skip
    """An array of integers, each in [lo, hi]."""
    return ParamSpec(name, ParamType.INTEGER_ARRAY, description, lo, hi, length=length, **kw)


def texts(name: str, description: str, choices: tuple[str, ...] = (), **kw: Any) -> ParamSpec:
    """An array of strings, each one of ``choices`` when given."""
    return ParamSpec(name, ParamType.STRING_ARRAY, description, choices=choices, **kw)


# -- config/camera.yaml ----------------------------------------------------------------

CAMERA = (
    text("frame_id", "URDF link of the camera's optical frame (z forward, x right, y down)"),
    integer("width", "image width [px]", 1, 16384),
    integer("height", "image height [px]", 1, 16384),
    num("fx", "focal length along x [px]", 1e-6),
    num("fy", "focal length along y [px]", 1e-6),
    num("cx", "principal point x [px]; the top-left pixel's centre is 0", -math.inf),
    num("cy", "principal point y [px]; the top-left pixel's centre is 0", -math.inf),
    num("depth_min_m", "closest valid depth [m]", 0.0, 100.0),
    num("depth_max_m", "farthest valid depth [m]", 0.0, 100.0),
    nums("mount_xyz", "position of camera_link in the world frame [m]", -100.0, 100.0, 3),
    nums("mount_rpy", "roll, pitch, yaw of camera_link in the world frame [rad]", -TWO_PI,
         TWO_PI, 3),
)  # fmt: skip

# -- config/sim.yaml -------------------------------------------------------------------

_ARM: dict[str, Any] = {"length": ARM_JOINTS}
SIM = (
    num("physics.timestep_s", "MuJoCo physics step [s]", 1e-5, 0.01),
    text("physics.integrator", "MuJoCo integrator", ("Euler", "implicit", "implicitfast", "RK4")),
    text("physics.cone", "friction cone model", ("pyramidal", "elliptic")),
    num("physics.impratio", "frictional to normal constraint impedance ratio", 1.0, 1000.0),
    nums("physics.gravity_m_s2", "gravity in the world frame [m/s²]", -100.0, 100.0, 3),
    flag("physics.sleep", "bodies at rest sleep until touched (MuJoCo islands)"),
    num("physics.sleep_tolerance_m_s", "speed under which a body may sleep [m/s]", 0.0, 1.0),
    nums("arm.kp_nm_rad", "servo position gain per joint [N·m/rad]", **_ARM),
    nums("arm.kv_nms_rad", "servo velocity gain per joint [N·m·s/rad]", **_ARM),
    nums("arm.armature_kgm2", "reflected rotor inertia per joint [kg·m²]", **_ARM),
    nums("arm.damping_nms_rad", "joint friction per joint [N·m·s/rad]", **_ARM),
    flag("arm.gravity_compensation", "the drives add the links' gravity torque"),
    flag("arm.velocity_feedforward", "the drives feed the setpoints' rate forward (CSP)"),
    nums("arm.home_q_rad", "arm configuration at reset [rad]", -TWO_PI, TWO_PI, ARM_JOINTS),
    num("gripper.kp_n_m", "grip force per metre of travel left to close [N/m]"),
    num("gripper.kv_ns_m", "finger damping [N·s/m]"),
    num("gripper.force_limit_n", "largest grip force [N]"),
    num("gripper.stall_speed_m_s", "finger speed under which the fingers count as still [m/s]"),
    num("gripper.settle_s", "time the fingers must stay still to finish a command [s]"),
    num("gripper.timeout_s", "longest wait for the fingers to stop [s]"),
    num("gripper.poll_s", "finger speed polling period [s]"),
    num("gripper.min_object_width_m", "closed tighter than this: nothing between the pads [m]"),
    nums("contact.finger_friction", "finger sliding, torsional, rolling friction", length=3),
    nums("contact.part_friction", "part sliding, torsional, rolling friction", length=3),
    nums("contact.fixed_friction", "fixture sliding, torsional, rolling friction", length=3),
    integer("contact.finger_condim", "finger contact dimensionality", 1, 6),
    integer("contact.part_condim", "part contact dimensionality", 1, 6),
    nums("contact.solref", "contact time constant [s] and damping ratio", length=2),
    nums("contact.solimp", "contact impedance (MuJoCo solimp)", length=5),
    texts("render.gl_backends", "OpenGL backends tried in order (MUJOCO_GL first if set)",
          ("egl", "osmesa")),
    num("render.znear_m", "near clipping plane [m]", 1e-4),
    num("render.zfar_m", "far clipping plane [m]", 1e-3),
    num("render.ambient", "ambient light share", 0.0, 1.0),
    num("render.diffuse", "diffuse light share", 0.0, 1.0),
    flag("depth_noise.enabled", "apply the structured-light depth sensor model"),
    num("depth_noise.std_at_1m_m", "depth noise standard deviation at 1 m [m]", 0.0, 1.0),
    num("depth_noise.dropout_probability", "chance a pixel has no return", 0.0, 1.0),
    num("depth_noise.edge_dropout_probability", "chance a depth-edge pixel has no return", 0.0,
        1.0),
    num("depth_noise.edge_threshold_m", "depth step that makes an edge [m]"),
    num("depth_noise.quantization_m", "depth unit [m]", 0.0, 1.0),
    integer("depth_noise.seed", "seed of the noise generator"),
)  # fmt: skip

# -- config/parts.yaml -----------------------------------------------------------------

PARTS = (
    text("types.*.shape", "part shape", ("box", "cylinder")),
    nums("types.*.dimensions_m", "box (x, y, z) or cylinder (diameter, height) [m]", 0.0, 1.0),
    num("types.*.tolerance_m", "allowed deviation of each dimension [m]", 0.0, 1.0),
    nums("types.*.color_rgb", "nominal sRGB colour in [0, 1]", 0.0, 1.0, 3),
    nums("types.*.wrong_color_rgb", "sRGB colour of a colour defect in [0, 1]", 0.0, 1.0, 3),
    num("types.*.color_tolerance_delta_e", "allowed colour difference ΔE*ab (CIE 1976)", 0.0,
        200.0),
    num("types.*.mass_kg", "part mass [kg]", 0.0, 100.0),
    num("defects.probability", "chance a spawned part is defective", 0.0, 1.0),
    texts("defects.kinds", "defects drawn from, uniformly", ("dimension", "color", "mark")),
    num("defects.in_tolerance_fraction", "good parts deviate by at most this x tolerance", 0.0,
        1.0),
    nums("defects.out_of_tolerance_factor", "dimension defects: off by lo..hi tolerances",
         length=2),
    nums("defects.mark_color_rgb", "sRGB colour of surface marks", 0.0, 1.0, 3),
    num("defects.mark_width_m", "surface mark width [m]", 0.0, 1.0),
    nums("defects.mark_length_fraction", "mark length lo..hi, share of the top's smallest side",
         0.0, 1.0, 2),
    num("defects.mark_thickness_m", "surface mark thickness [m]", 0.0, 0.1),
    nums("spawn.work_area_x_m", "x range of the spawn area in the world frame [m]", -10.0, 10.0,
         2),
    nums("spawn.work_area_y_m", "y range of the spawn area in the world frame [m]", -10.0, 10.0,
         2),
    num("spawn.touch_probability", "chance a part is laid against an earlier one", 0.0, 1.0),
    num("spawn.touch_gap_m", "gap between touching parts [m]", 0.0, 0.1),
    num("spawn.min_clearance_m", "gap between parts that do not touch [m]", 0.0, 1.0),
    num("spawn.max_fill_ratio", "largest share of the area parts may cover", 0.0, 1.0),
    integer("spawn.max_attempts", "placement attempts per part", 1),
)  # fmt: skip

# -- config/perception.yaml ------------------------------------------------------------

PERCEPTION = (
    num("depth_min_m", "usable depth range: nearest [m]", 0.0, 100.0),
    num("depth_max_m", "usable depth range: farthest [m]", 0.0, 100.0),
    nums("work_area_x_m", "parts outside this x range of the base frame are ignored [m]",
         -10.0, 10.0, 2),
    nums("work_area_y_m", "parts outside this y range of the base frame are ignored [m]",
         -10.0, 10.0, 2),
    integer("min_component_px", "smaller foreground blobs are noise [px]", 1),
    integer("plane.sample_stride_px", "RANSAC samples one pixel in stride x stride", 1, 1000),
    integer("plane.iterations", "RANSAC iterations", 1, 100000),
    num("plane.inlier_threshold_m", "RANSAC inlier distance [m]", 0.0, 1.0),
    num("plane.behind_margin_m", "samples this far beyond a plane count against it [m]", 0.0,
        1.0),
    num("plane.behind_penalty", "score per sample behind the plane (an inlier scores 1)"),
    num("plane.max_tilt_deg", "largest tilt from the orientation the camera pose predicts [deg]",
        0.0, 90.0),
    num("plane.min_inlier_fraction", "share of samples the table must explain", 0.0, 1.0),
    integer("plane.seed", "seed of the RANSAC generator"),
    num("segmentation.foreground_min_height_m", "pixels higher above the table are foreground [m]",
        0.0, 1.0),
    integer("segmentation.table_color_distance",
            "RGB distance from the table colour that makes a pixel without depth foreground",
            0, 442),
    num("segmentation.color_edge_delta_e", "ΔE*ab between neighbours that makes an edge"),
    integer("segmentation.color_edge_dilate_px", "widening of colour edges [px]", 0, 50),
    num("segmentation.depth_edge_m", "height step between neighbours that makes an edge [m]", 0.0,
        1.0),
    num("segmentation.level_tolerance_m", "pixels this close to a top face's height belong to it "
        "[m]", 0.0, 1.0),
    num("segmentation.min_part_height_m", "lower top faces are not parts [m]", 0.0, 1.0),
    integer("segmentation.min_seed_area_px", "smaller edge-free regions are not top faces [px]",
            1),
    num("segmentation.flat_fraction", "share of a top face's pixels within the level tolerance",
        0.0, 1.0),
    num("segmentation.split_peak_ratio", "watershed marker threshold, share of the peak distance",
        0.0, 1.0),
    num("segmentation.max_face_area_m2", "larger top faces hold several parts [m²]", 0.0, 1.0),
    integer("segmentation.seam_min_votes", "seam pixels a line needs to cut a face there", 1),
    num("segmentation.max_hue_difference_deg", "a part's pixels share its top face's hue [deg]",
        0.0, 180.0),
    num("fit.box_min_fill", "hull / minimum-area rectangle above which a face is a box", 0.0,
        1.0),
    num("fit.edge_inset_px", "pixels added to each side of a fitted face [px]", -10.0, 10.0),
    text("fit.refine", "least-squares refinement of box faces", ("none", "lsq")),
)  # fmt: skip

# -- config/quality.yaml ---------------------------------------------------------------

QUALITY = (
    text("color_metric", "colour difference formula", ("cie76", "ciede2000")),
    num("max_mark_area_m2", "largest surface mark a good part may carry [m²]", 0.0, 1.0),
    num("mark_min_delta_e", "a mark pixel is this far (ΔE*ab) from the face colour"),
    num("mark_min_darkening", "and this much darker (L*)", 0.0, 100.0),
    integer("mark_erode_px", "pixels of a face's rim left out of the mark search", 0, 10),
)

# -- config/planner.yaml and config/joint_limits.yaml ------------------------------------

PLANNER = (
    integer("seed", "seed of the planner's generator when the caller gives none"),
    num("time_budget_s", "planning gives up after this long [s]", 1e-3, 600.0),
    num("collision.resolution_m", "largest move of any collision point between checks [m]",
        1e-5, 1.0),
    num("collision.sphere_tolerance_m", "radial growth of spheres covering link cylinders [m]",
        1e-5, 1.0),
    num("validation.resolution_m", "resolution of the re-check of timed plans [m]", 1e-5, 1.0),
    num("validation.start_tolerance_rad", "plan start vs current state [rad]", 0.0, 1.0),
    num("validation.limit_tolerance", "relative slack on velocity/acceleration/jerk limits", 0.0,
        1.0),
    num("rrt.range_m", "longest tree edge (displacement bound) [m]", 1e-4, 10.0),
    integer("rrt.max_samples", "samples before giving up", 1),
    integer("rrt.shortcut_iterations", "path shortcutting attempts"),
    num("rrt.sample_margin_rad", "sampling box: start/goal span widened by this [rad]", 0.0,
        TWO_PI),
    num("grasp.finger_clearance_m", "free space each side of the part on approach [m]", 0.0, 1.0),
    num("grasp.palm_clearance_m", "gap between the part and the gripper body [m]", 0.0, 1.0),
    num("grasp.support_clearance_m", "finger tips stay this far above the part's bottom [m]", 0.0,
        1.0),
    num("grasp.min_contact_m", "finger pads overlap the part's sides this much [m]", 0.0, 1.0),
    num("grasp.approach_distance_m", "straight approach along the tool axis [m]", 0.0, 1.0),
    num("grasp.lift_height_m", "straight lift after grasping [m]", 0.0, 1.0),
    integer("grasp.depth_samples", "grasp depths from the deepest to the least contact", 1),
    integer("grasp.cylinder_axial_samples", "finger directions around a cylinder's axis", 1),
    integer("grasp.cylinder_radial_samples", "approach directions around a cylinder's side", 1),
    integer("grasp.max_candidates", "grasps tried in ranked order", 1),
    num("grasp.weight_joint_distance", "cost per rad of joint distance from the start"),
    num("grasp.weight_clearance", "cost per m of clearance (more clearance, lower cost)"),
    num("grasp.clearance_cap_m", "clearance beyond this does not count [m]", 0.0, 1.0),
    num("grasp.side_grasp_penalty", "cost added to grasps not from above"),
    num("grasp.weight_shallow", "cost per m a grasp holds less deep than the deepest"),
    num("grasp.contact_tolerance_m", "part-to-object gap counted as contact [m]", 0.0, 1.0),
    num("place.approach_distance_m", "straight descent into the place pose [m]", 0.0, 1.0),
    num("place.retreat_distance_m", "straight retreat after releasing [m]", 0.0, 1.0),
    num("cartesian.step_m", "pose spacing along straight lines [m]", 1e-5, 1.0),
    num("cartesian.step_rad", "orientation spacing along straight lines [rad]", 1e-5, 1.0),
    num("cartesian.max_joint_step_rad", "larger joint jumps between poses are a flip [rad]",
        1e-5, math.pi),
    num("cartesian.speed_mps", "TCP speed cap on straight lines [m/s]", 1e-4, 10.0),
    num("cartesian.accel_mps2", "TCP acceleration cap on straight lines [m/s²]", 1e-4, 100.0),
    num("timing.sample_period_s", "trajectory sample period [s]", 1e-4, 1.0),
    num("timing.limit_scale", "scale of the velocity, acceleration and jerk limits", 1e-3, 1.0),
    num("timing.gripper_settle_s", "added to the finger travel time at grasp and release [s]",
        0.0, 10.0),
)  # fmt: skip

JOINT_LIMITS = (
    texts("joints", "joint names of the limit lists"),
    nums("max_acceleration", "acceleration limit per joint [rad/s²]", 1e-6),
    nums("max_jerk", "jerk limit per joint [rad/s³]", 1e-6),
)

# -- config/cell.yaml -------------------------------------------------------------------

CELL = (
    text("drives", "drive backend of the in-process runner", ("serial", "ethercat")),
    num("ideal_cycle_time_s", "fastest possible time per part, for OEE performance [s]", 1e-3,
        3600.0),
    integer("planner_seed", "seed of the in-process runner's planner"),
    nums("home_q_rad", "the observe pose: the arm out of the camera's view [rad]", -TWO_PI,
         TWO_PI, ARM_JOINTS),
    integer("sequence.max_attempts_per_part", "tries per part before it is given up on", 1,
            1000),
    integer("sequence.max_cycles", "captures in one run at most", 1),
)  # fmt: skip

# -- drives: config/serial_driver.yaml, config/ethercat_driver.yaml ----------------------

_RUNTIME = " (takes effect at the next configure)"


def _drive(spec: ParamSpec) -> ParamSpec:
    """Drive parameters may change while the driver is unconfigured: they are read in
    ``on_configure``."""
    return ParamSpec(
        spec.name, spec.type, spec.description + _RUNTIME, spec.lo, spec.hi, spec.choices,
        spec.length, spec.default, dynamic=True,
    )  # fmt: skip


SAFETY = tuple(
    _drive(s)
    for s in (
        integer("safety.watchdog_cycles", "cycles without a fresh reading that stop every axis",
                1, 10000),
        num("safety.max_following_error_rad", "|measured - setpoint| that stops every axis [rad]",
            1e-6, TWO_PI),
        num("safety.start_tolerance_rad", "goal's first point vs measured position [rad]", 1e-6,
            TWO_PI),
        num("safety.velocity_margin", "allowed setpoint speed / URDF velocity limit", 1e-3, 10.0),
        num("safety.max_setpoint_gap_s", "longest gap a setpoint speed check credits [s]", 1e-6,
            10.0),
        num("safety.setpoint_jitter_s", "extra credit for sampling-to-write jitter [s]", 1e-6,
            1.0, default=0.002),
        num("follower.goal_tolerance_rad", "final |measured - goal| per joint [rad]", 1e-6,
            TWO_PI),
        num("follower.goal_time_tolerance_s", "time after the end to meet the goal tolerance [s]",
            0.0, 600.0),
        num("follower.path_tolerance_rad", "|measured - desired| while moving [rad] (0: off)",
            0.0, TWO_PI),
        num("follower.old_goal_tolerance_s", "how stale a goal's end time may be [s]", 0.0,
            600.0),
        num("rate_hz", "trajectory follower's setpoint rate [Hz]", 1.0, 10000.0),
    )
)  # fmt: skip

_JOINTS = texts("joints", "joint names, in bus order")
_DIRECTION = ints("direction", "+1: drive positive = joint positive, -1: opposite", -1, 1)
_OFFSETS = ints("zero_offset_counts", "position count at joint angle 0", -INT32_MAX, INT32_MAX)

SERIAL_BUS = tuple(
    _drive(s)
    for s in (
        text("port", "serial device of the servo bus (the simulator's pty link in simulation)"),
        integer("baud", "bus bit rate [bit/s]; the servos' Baud Rate item must match", 9600,
                10_500_000),
        text("servo_model", "servo model: control table and units (e.g. XM540-W270)"),
        _JOINTS,
        ints("ids", "servo ID per joint", 0, 252),
        ints("counts_per_rev", "position counts per joint turn (4096 x external gear)", 1),
        _OFFSETS,
        _DIRECTION,
        nums("torque_constant_nm_per_a", "joint torque per servo current [N·m/A]", -1e3, 1e3),
        integer("operating_mode", "Operating Mode item written to every servo", 0, 16),
        integer("return_delay_us", "Return Delay Time written to every servo [µs], 2 µs steps", 0,
                508),
        flag("use_indirect", "pack the state block into the servos' indirect addresses"),
        num("timeout_margin_s", "slack past a transaction's expected wire time [s]", 1e-6, 1.0),
        integer("retries", "extra attempts of configuration transactions", 0, 100),
        num("boot_wait_s", "wait for a rebooted servo to answer again [s]", 1e-3, 60.0),
    )
)  # fmt: skip

ETHERCAT_BUS = tuple(
    _drive(s)
    for s in (
        text("interface", "network interface of the EtherCAT segment"),
        text("network_namespace", "ip netns name holding the interface (empty: this one)"),
        num("cycle_time_s", "process-data period [s]", 1e-5, 1.0),
        num("receive_timeout_s", "how long a cycle waits for its frame [s]", 1e-6, 1.0),
        integer("wkc_error_threshold", "consecutive wrong working counters that stop the cell",
                1, 1000),
        num("state_timeout_s", "time a slave may take to change AL state [s]", 1e-3, 600.0),
        num("enable_timeout_s", "time the drives may take to reach OPERATION ENABLED [s]", 1e-3,
            600.0),
        integer("realtime_priority", "SCHED_FIFO priority of the cycle thread (0: normal)", 0,
                99),
        num("gil_switch_interval_s", "Python thread switch interval while the bus runs [s]",
            1e-6, 1.0),
        _JOINTS,
        ints("vendor_ids", "vendor id each slave must report (SII)"),
        ints("product_codes", "product code each slave must report (SII)"),
        ints("counts_per_rev", "encoder counts per motor turn", 1),
        nums("gear_ratio", "motor turns per joint turn", 1e-6),
        _OFFSETS,
        _DIRECTION,
        nums("rated_torque_nm", "joint torque of 1000 ‰ (object 0x6077) [N·m]", 1e-6),
    )
)  # fmt: skip

GAZEBO_BUS = (
    _JOINTS,
    _drive(num("stale_after_s", "a joint state older than this is stale [s]", 1e-3, 10.0)),
)

# -- parameters no file holds (defaults here) ------------------------------------------

BASE_FRAME = text("base_frame", "frame of poses in messages (the arm's base)", default="base_link")

DRIVER_NODE = (
    num("state_rate_hz", "joint_states publishing rate [Hz]", 1.0, 1000.0, default=100.0),
    num("diagnostics_rate_hz", "drive diagnostics publishing rate [Hz]", 0.1, 100.0, default=1.0),
    num("connect_timeout_s", "how long on_configure waits for the port or adapter [s]", 0.0,
        600.0, default=10.0),
    num("temperature_warn_c", "drive temperature reported as WARN [°C]", -50.0, 200.0,
        default=70.0, dynamic=True),
    num("temperature_error_c", "drive temperature reported as ERROR [°C]", -50.0, 200.0,
        default=80.0, dynamic=True),
    flag("arm_on_activate", "arm the safety supervisor when activated (else call ~/rearm)",
         default=False),
)  # fmt: skip

SIM_NODE = (
    integer("n_parts", "parts spawned on the table at start", 0, 50, default=6),
    integer("layout_seed", "seed of the part layout", default=0),
    num("camera_rate_hz", "colour, depth and camera_info publishing rate [Hz]", 0.1, 60.0,
        default=5.0),
    num("state_rate_hz", "sim/joint_states and /clock publishing rate [Hz]", 1.0, 1000.0,
        default=100.0),
    text("drives", "serial: emulated servos on a pty at `port` move the twin; mirror: the twin "
         "follows the arm joints in joint_states (EtherCAT emulator, real drives)",
         ("serial", "mirror"), default="serial"),
    text("camera_frame", "frame of the image headers", default="camera_color_optical_frame"),
)  # fmt: skip

PERCEPTION_NODE = (
    BASE_FRAME,
    num("sync_slop_s", "largest stamp difference of a colour/depth/camera_info set [s]", 0.0,
        1.0, default=0.02),
    integer("queue_size", "messages kept per input while matching stamps", 1, 100, default=5),
    num("tf_timeout_s", "how long to wait for the camera's transform [s]", 0.0, 10.0,
        default=0.5),
    integer("cloud_stride_px", "camera/points keeps one pixel in stride x stride (0: off)", 0,
            64, default=4),
)  # fmt: skip

GRIPPER_NODE = (
    text("joint", "finger joint in joint_states (opening = 2 x its position)",
         default="gripper_finger_joint"),
    num("state_rate_hz", "finger joint_states publishing rate [Hz]", 1.0, 1000.0,
        default=50.0),
    num("open_width_m", "opening when fully open [m]", 1e-4, 1.0, default=0.085),
    num("stall_speed_m_s", "finger speed under which the fingers count as still [m/s]", 1e-6,
        1.0, default=0.002),
    num("settle_s", "time the fingers must stay still to finish a command [s]", 0.0, 10.0,
        default=0.1),
    num("timeout_s", "longest wait for the fingers to stop [s]", 0.01, 60.0, default=2.0),
    num("min_object_width_m", "closed tighter than this: nothing between the pads [m]", 0.0,
        1.0, default=0.004),
)  # fmt: skip

CELL_NODE = (
    BASE_FRAME,
    num("frame_timeout_s", "longest wait for detections of a fresh frame [s]", 0.1, 600.0,
        default=10.0),
    num("planning_timeout_s", "longest wait for a PickPlace result [s]", 0.1, 600.0,
        default=30.0),
    num("motion_timeout_margin_s", "wait for a trajectory result beyond its duration [s]", 0.1,
        600.0, default=10.0),
    num("gripper_timeout_s", "longest wait for a GripperCommand result [s]", 0.1, 600.0,
        default=10.0),
    num("server_timeout_s", "longest wait for an action server to appear [s]", 0.1, 600.0,
        default=30.0),
    num("state_rate_hz", "cell_state publishing rate [Hz]", 0.1, 100.0, default=2.0),
    num("start_tolerance_rad", "largest gap between a plan's start and the arm [rad]", 1e-6,
        1.0, default=0.01),
    flag("autostart", "start a run when the node starts (else call ~/start)", default=False),
)  # fmt: skip

# -- the nodes -------------------------------------------------------------------------

SCHEMAS: dict[str, NodeSchema] = {
    s.node: s
    for s in (
        NodeSchema("sim_node", ("sim", "camera", "parts", "serial_driver"),
                   merge_specs(SIM, CAMERA, PARTS, SERIAL_BUS, SAFETY, SIM_NODE)),
        NodeSchema("perception_node", ("perception", "quality", "parts"),
                   merge_specs(PERCEPTION, QUALITY, PARTS, PERCEPTION_NODE)),
        NodeSchema("planner_node", ("planner", "joint_limits", "parts", "cell"),
                   merge_specs(PLANNER, JOINT_LIMITS, PARTS, CELL, (BASE_FRAME,))),
        NodeSchema("serial_driver_node", ("serial_driver",),
                   merge_specs(SERIAL_BUS, SAFETY, DRIVER_NODE)),
        NodeSchema("ethercat_driver_node", ("ethercat_driver",),
                   merge_specs(ETHERCAT_BUS, SAFETY, DRIVER_NODE)),
        NodeSchema("gazebo_driver_node", ("gazebo_driver",),
                   merge_specs(GAZEBO_BUS, SAFETY, DRIVER_NODE)),
        NodeSchema("gripper_node", (), GRIPPER_NODE),
        NodeSchema("cell_node", ("cell", "parts"), merge_specs(CELL, PARTS, CELL_NODE)),
    )
}  # fmt: skip


def schema(node: str) -> NodeSchema:
    """The schema of ``node`` (a key of :data:`SCHEMAS`)."""
    try:
        return SCHEMAS[node]
    except KeyError:
        raise KeyError(f"no parameter schema for node {node!r}; have {sorted(SCHEMAS)}") from None
