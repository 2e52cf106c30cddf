"""``jazari bench ros_convert``: the output shape and that peers did the same work."""

from __future__ import annotations

import importlib.util
import json

import pytest

from jazari.cli import main


def test_quick_run_prints_one_json_object_of_the_architecture_shape(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["bench", "ros_convert", "--json", "--quick"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["bench"] == "ros_convert"
    assert set(out) == {"bench", "params", "results", "ratios"}
    assert out["params"]["width"] == 64 and out["params"]["points"] == 3000
    for impl in ("jazari", "jazari_rclpy_containers", "naive_per_element"):
        for metric in ("image_rgb_ms", "image_depth_ms", "cloud_ms"):
            assert set(out["results"][impl][metric]) == {"median", "p95"}
    assert out["results"]["naive_per_element"]["same_output"] is True
    assert out["ratios"]["naive_per_element_cloud_vs_jazari"] > 0
    for peer in ("pointcloud2", "rosbags_image"):
        module = "rosbags.image" if peer == "rosbags_image" else peer
        if importlib.util.find_spec(module):
            assert out["results"][peer]["same_output"] is True
        else:
            assert peer in out["params"]["peers_not_installed"]
