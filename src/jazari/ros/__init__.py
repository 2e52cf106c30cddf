"""The ROS 2 layer: the only package of Jazari that imports rclpy.

Nodes here are wiring (parameters, publishers, subscriptions, actions) around the core.
rclpy and the ROS message packages are imported inside the node modules, never at the
top of this package, so that :mod:`jazari.ros.convert`, which works on message objects
by field name, imports and is tested without ROS.
"""
