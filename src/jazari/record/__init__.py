"""Recording the cell as ROS 2 Jazzy messages, without ROS.

- :mod:`jazari.record.interfaces` parses ``.msg``/``.srv``/``.action`` files into
  rosbags type definitions, with rosidl's naming rules.
- :mod:`jazari.record.typestore` builds the ROS 2 Jazzy type store extended with
  ``vision_msgs``, ``control_msgs`` (definitions bundled under ``definitions/``) and
  ``jazari_interfaces`` (read from its package, the single source of those types).
- :mod:`jazari.record.topics` names the cell's topics, their types and QoS.
- :mod:`jazari.record.recorder` writes rosbag2-compatible MCAP files;
  :mod:`jazari.record.reader` reads them back.
"""
