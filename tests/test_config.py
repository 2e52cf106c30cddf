"""Parameter files: ROS 2 format, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from jazari.config import load_params, load_params_file
from jazari.errors import ConfigError


def test_camera_parameters_load_from_the_packaged_file() -> None:
    params = load_params("camera")
    assert params["width"] == 640 and params["height"] == 480
    assert params["frame_id"] == "camera_color_optical_frame"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: [1", "not valid YAML"),
        ("other: {ros__parameters: {}}", "no section '/\\*\\*'"),
        ("/**: {params: 1}", "needs a 'ros__parameters' mapping"),
    ],
)
def test_bad_parameter_files_raise_naming_the_problem(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_params_file(path)


def test_missing_parameter_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_params_file(tmp_path / "absent.yaml")
