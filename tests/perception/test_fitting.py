"""Box and cylinder fits to sampled top faces."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jazari.perception.fitting import fit_circle, fit_face, wrap_half_turn
from jazari.perception.params import FitParams

PIXEL_M = 0.0014


def sample(inside, center: tuple[float, float]) -> np.ndarray:
    """Pixel centres on a 1.4 mm grid that fall inside a shape, as the camera sees them."""
    g = np.arange(-0.06, 0.06, PIXEL_M)
    xx, yy = np.meshgrid(g + center[0], g + center[1])
    pts = np.column_stack([xx.ravel(), yy.ravel()])
    return pts[inside(pts - np.array(center))]


@settings(max_examples=30, deadline=None)
@given(yaw=st.floats(-math.pi, math.pi), cx=st.floats(-0.001, 0.001), cy=st.floats(-0.001, 0.001))
def test_fit_face_recovers_a_box(yaw: float, cx: float, cy: float) -> None:
    c, s = math.cos(yaw), math.sin(yaw)

    def inside(p: np.ndarray) -> np.ndarray:
        lx, ly = p @ np.array([[c, -s], [s, c]])
        return (np.abs(lx) <= 0.03) & (np.abs(ly) <= 0.02)

    def inside_rows(p: np.ndarray) -> np.ndarray:
        local = p @ np.array([[c, -s], [s, c]])
        return (np.abs(local[:, 0]) <= 0.03) & (np.abs(local[:, 1]) <= 0.02)

    fit = fit_face(sample(inside_rows, (cx, cy)), PIXEL_M, FitParams(edge_inset_px=0.5))
    assert fit is not None and fit.shape == "box"
    assert fit.center_xy_m == pytest.approx((cx, cy), abs=0.0008)
    # Pixel quantisation: a side may gain or lose up to about 1.5 pixels.
    assert fit.size_m == pytest.approx((0.06, 0.04), abs=1.5 * PIXEL_M)
    err = abs(wrap_half_turn(fit.yaw_rad - yaw))
    assert math.degrees(err) < 2.0


def test_fit_face_recovers_a_cylinder() -> None:
    pts = sample(lambda p: np.hypot(p[:, 0], p[:, 1]) <= 0.0275, (0.002, -0.001))
    fit = fit_face(pts, PIXEL_M, FitParams(edge_inset_px=0.5))
    assert fit is not None and fit.shape == "cylinder"
    assert fit.center_xy_m == pytest.approx((0.002, -0.001), abs=0.0005)
    assert fit.size_m[0] == pytest.approx(0.055, abs=0.0015)
    assert fit.yaw_rad == 0.0


def test_fit_face_of_collinear_points_is_none() -> None:
    assert (
        fit_face(np.column_stack([np.linspace(0, 0.05, 20), np.zeros(20)]), PIXEL_M, FitParams())
        is None
    )


def test_fit_circle_is_exact_on_a_circle() -> None:
    t = np.linspace(0, 2 * np.pi, 50, endpoint=False)
    cx, cy, r = fit_circle(np.column_stack([1.0 + 0.3 * np.cos(t), -2.0 + 0.3 * np.sin(t)]))
    assert (cx, cy, r) == pytest.approx((1.0, -2.0, 0.3))


@given(st.floats(-20.0, 20.0))
def test_wrap_half_turn_is_in_range_and_equivalent_modulo_pi(a: float) -> None:
    w = wrap_half_turn(a)
    assert -math.pi / 2 < w <= math.pi / 2 + 1e-12
    assert math.sin(2 * (w - a)) == pytest.approx(0.0, abs=1e-9)
