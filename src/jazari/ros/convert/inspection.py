"""Inspection verdicts: :class:`jazari.quality.verdict.Verdict` <->
``jazari_interfaces/msg/InspectionResult(Array)``, and seen parts as detections.

Units travel as the message defines them: SI symbols in ASCII (``m``, ``m^2``), empty
for dimensionless quantities such as the CIE colour difference ΔE*ab.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from jazari.perception.detection import Detection
from jazari.quality.verdict import CheckResult, Verdict
from jazari.ros.convert.base import MessageTypes, header_msg
from jazari.ros.convert.detections import PartDetection
from jazari.ros.errors import ConversionError

# Core unit -> message unit; units not listed travel unchanged.
_UNIT_TO_MSG = {"m²": "m^2", "ΔE": ""}
_UNIT_FROM_MSG = {"m^2": "m²"}


def check_msg(types: MessageTypes, check: CheckResult) -> Any:
    """``InspectionCheck`` of one check; the limit is the message's tolerance."""
    return types.get("jazari_interfaces/msg/InspectionCheck")(
        name=check.name,
        unit=_UNIT_TO_MSG.get(check.unit, check.unit),
        measured=float(check.measured),
        nominal=float(check.nominal),
        tolerance=float(check.limit),
        passed=bool(check.passed),
    )


def inspection_result_msg(types: MessageTypes, part_id: str, verdict: Verdict) -> Any:
    """``InspectionResult`` of the part whose detection id is ``part_id``."""
    return types.get("jazari_interfaces/msg/InspectionResult")(
        part_id=str(part_id),
        part_type=verdict.part_type,
        passed=verdict.passed,
        checks=[check_msg(types, c) for c in verdict.checks],
    )


def inspection_array_msg(
    types: MessageTypes, results: Iterable[tuple[str, Verdict]], stamp_s: float, frame_id: str
) -> Any:
    """``InspectionResultArray`` of one frame (the stamp and frame of its detections)."""
    return types.get("jazari_interfaces/msg/InspectionResultArray")(
        header=header_msg(types, stamp_s, frame_id),
        results=[inspection_result_msg(types, pid, v) for pid, v in results],
    )


def verdict_from_msg(msg: Any, field: str = "result") -> tuple[str, Verdict]:
    """The part id and verdict of an ``InspectionResult``.

    Raises:
        ConversionError: when it has no checks, a check's values are not finite or its
            tolerance is negative, or ``passed`` disagrees with the checks.
    """
    checks = []
    for i, c in enumerate(msg.checks):
        values = np.array([c.measured, c.nominal, c.tolerance], dtype=float)
        if not np.all(np.isfinite(values)) or values[2] < 0:
            raise ConversionError(
                f"{field}.checks[{i}] ({c.name!r}) needs finite values and a tolerance >= 0, "
                f"got measured {c.measured}, nominal {c.nominal}, tolerance {c.tolerance}"
            )
        excess = max(abs(values[0] - values[1]) - values[2], 0.0)
        unit = str(c.unit)
        checks.append(
            CheckResult(str(c.name), bool(c.passed), float(values[0]), float(values[1]),
                        float(values[2]), excess, _UNIT_FROM_MSG.get(unit, unit))
        )  # fmt: skip
    if not checks:
        raise ConversionError(f"{field} ({msg.part_id!r}) has no checks: nothing was inspected")
    verdict = Verdict(str(msg.part_type), tuple(checks))
    if verdict.passed != bool(msg.passed):
        raise ConversionError(
            f"{field}.passed is {bool(msg.passed)} but its checks say {verdict.passed}"
        )
    return str(msg.part_id), verdict


def part_size_m(detection: Detection) -> np.ndarray:
    """The bounding box of a detected part along its x, y, z [m]: a box's sides, or a
    cylinder's diameter twice and its height."""
    if detection.shape == "box":
        return np.array(detection.dimensions_m, dtype=float)
    diameter, height = detection.dimensions_m
    return np.array([diameter, diameter, height], dtype=float)


def part_detection(part_id: str, detection: Detection, verdict: Verdict) -> PartDetection:
    """The ROS record of a detected, inspected part: its catalogue type is the class."""
    return PartDetection(
        detection_id=str(part_id),
        class_id=verdict.part_type,
        score=float(detection.confidence),
        T_frame_part=np.asarray(detection.T_base_part, dtype=float),
        size_m=part_size_m(detection),
    )
