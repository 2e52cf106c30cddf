"""The robot model: URDF/xacro reading, forward kinematics, Jacobians and IK."""
