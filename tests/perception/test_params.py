"""Perception settings from config/perception.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from jazari.perception.errors import PerceptionConfigError
from jazari.perception.params import DetectorParams, load_detector_params


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "perception.yaml"
    path.write_text("/**:\n  ros__parameters:\n" + body)
    return path


def test_packaged_config_equals_the_documented_defaults() -> None:
    assert load_detector_params() == DetectorParams()


def test_load_detector_params_reads_sections(tmp_path: Path) -> None:
    p = load_detector_params(write(tmp_path, "    plane:\n      iterations: 10\n"))
    assert p.plane.iterations == 10


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("    segmentation:\n      colour_edge: 3.0\n", "unknown parameters"),
        ("    plane:\n      iterations: ten\n", "integer"),
        ("    depth_min_m: 3.0\n", "depth_min_m < depth_max_m"),
        ("    work_area_x_m: [0.8, 0.3]\n", "lo < hi"),
        ("    fit:\n      refine: icp\n", "refine"),
        ("    segmentation: 5\n", "mapping"),
        ("    segmentation:\n      split_peak_ratio: 1.5\n", "split_peak_ratio"),
    ],
)
def test_load_detector_params_names_the_bad_value(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(PerceptionConfigError, match=message):
        load_detector_params(write(tmp_path, body))
