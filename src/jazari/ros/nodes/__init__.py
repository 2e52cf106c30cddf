"""One module per ROS executable; each has a ``main()`` (the console scripts of setup.py).

The modules import rclpy at the top: they run only where ROS 2 is installed. Without
ROS they are compiled and inspected by ``tests/ros/test_static_*.py``, and smoke-run on
the rclpy double of ``tests/ros/rclpy_double``.
"""
