#!/bin/bash
# Source ROS 2 Jazzy and the Jazari workspace, then run the command.
set -e
source /opt/ros/jazzy/setup.bash
source /jazari/ros2_ws/install/setup.bash
exec "$@"
