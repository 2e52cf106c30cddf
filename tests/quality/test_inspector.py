"""Inspection of parts rendered by the twin with each kind of defect."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from jazari.bench.perception import TwinScenes, match
from jazari.perception.detector import PartDetector
from jazari.quality.errors import CatalogueError
from jazari.quality.inspector import InspectionParams, Inspector, load_inspection_params
from jazari.quality.verdict import CheckResult, Verdict
from jazari.sim.parts import Defect, draw_part

SPOTS = [(0.45, -0.15), (0.45, 0.15), (0.65, -0.15), (0.65, 0.15)]


def judged(scenes: TwinScenes, name: str, defect: Defect, seed: int) -> list[tuple[Verdict, bool]]:
    """Four parts of ``name`` (the first three with ``defect``) rendered and inspected."""
    rng = np.random.default_rng(seed)
    cat = scenes.catalogue
    spec = cat.spec(name)
    parts = [
        draw_part(spec, i, defect if i < 3 else Defect.NONE, cat.defects, rng).placed(
            draw_part(spec, i, Defect.NONE, cat.defects, rng).footprint().moved(*SPOTS[i])
        )
        for i in range(4)
    ]
    frame, truth = scenes.render(parts)
    dets = PartDetector().detect(frame)
    inspector = Inspector()
    out = []
    for pt, j in match(dets, truth):
        assert j is not None, f"{name} {pt.part_id} not found"
        out.append((inspector.inspect(dets[j], frame), pt.is_defective))
    return out


@pytest.mark.parametrize(
    ("name", "defect", "check"),
    [
        ("red_box", Defect.DIMENSION, "dimension."),
        ("orange_cylinder", Defect.DIMENSION, "dimension."),
        ("blue_box", Defect.COLOR, "color.cie76"),
        ("green_cylinder", Defect.COLOR, "color.cie76"),
        ("yellow_box", Defect.MARK, "surface_mark"),
        ("purple_cylinder", Defect.MARK, "surface_mark"),
    ],
)
def test_defects_are_flagged_by_the_right_check_and_good_parts_pass(
    scenes: TwinScenes, name: str, defect: Defect, check: str
) -> None:
    for verdict, defective in judged(scenes, name, defect, seed=3):
        assert verdict.part_type == name
        if defective:
            assert not verdict.passed
            assert verdict.failed[0].name.startswith(check), verdict.reasons()
            assert all(c.excess > 0 for c in verdict.failed)
        else:
            assert verdict.passed, verdict.reasons()
            assert verdict.reasons() == "pass"


def test_check_result_describes_the_excess() -> None:
    c = CheckResult("dimension.length", False, 0.070, 0.060, 0.003, 0.007, "m")
    assert "FAIL by 0.007 m" in c.describe()
    v = Verdict("red_box", (c, CheckResult("color.cie76", True, 1.0, 0.0, 10.0, 0.0, "ΔE")))
    assert not v.passed and v.failed == (c,)


def test_inspection_params_reject_unknown_metric_and_keys(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="color_metric"):
        InspectionParams(color_metric="cie94")
    path = tmp_path / "quality.yaml"
    path.write_text("/**:\n  ros__parameters:\n    max_mark_area: 1.0\n")
    with pytest.raises(CatalogueError, match="unknown parameters"):
        load_inspection_params(path)


def test_ciede2000_metric_is_selectable(scenes: TwinScenes) -> None:
    frame, _ = scenes.spawn(71, n_parts=3)
    det = PartDetector().detect(frame)[0]
    verdict = Inspector(params=InspectionParams(color_metric="ciede2000")).inspect(det, frame)
    assert any(c.name == "color.ciede2000" for c in verdict.checks)
