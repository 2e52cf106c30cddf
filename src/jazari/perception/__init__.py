"""Perception: every part on the table found, posed and measured from one RGB-D frame.

The pipeline (:class:`jazari.perception.detector.PartDetector`) works on the image grid
with numpy and OpenCV: a robust estimate of the table plane, foreground by height above
it, instances split on colour and depth edges (and by a distance-transform watershed
for touching parts of one colour), then a box (minimum-area rectangle) or cylinder
(circle) fit of each top face in the table's frame. Results are
:class:`jazari.perception.detection.Detection` values in the robot's base frame.
"""
