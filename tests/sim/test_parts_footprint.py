"""Footprints of parts on the table: distances and touching placement."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jazari.sim.footprint import DISC, RECT, Footprint, gap, place_touching

coords = st.floats(-0.2, 0.2)
halves = st.floats(0.01, 0.05)
angles = st.floats(-math.pi, math.pi)


@st.composite
def footprints(draw: st.DrawFn) -> Footprint:
    kind = draw(st.sampled_from([RECT, DISC]))
    hx = draw(halves)
    hy = draw(halves) if kind == RECT else hx
    return Footprint(kind, draw(coords), draw(coords), draw(angles), hx, hy)


def _boundary_points(fp: Footprint, n: int = 400) -> np.ndarray:
    if fp.kind == DISC:
        a = np.linspace(0, 2 * math.pi, n, endpoint=False)
        return fp.center + fp.half_x_m * np.stack([np.cos(a), np.sin(a)], axis=1)
    c = fp.corners()
    t = np.linspace(0, 1, n // 4, endpoint=False)[:, None]
    return np.vstack([c[i] + t * (c[(i + 1) % 4] - c[i]) for i in range(4)])


def _contains(fp: Footprint, p: np.ndarray) -> np.ndarray:
    local = (p - fp.center) @ fp.axes().T
    if fp.kind == DISC:
        return np.asarray(np.linalg.norm(local, axis=1) < fp.half_x_m)
    return np.asarray((np.abs(local[:, 0]) < fp.half_x_m) & (np.abs(local[:, 1]) < fp.half_y_m))


@settings(max_examples=150, deadline=None)
@given(a=footprints(), b=footprints())
def test_gap_is_symmetric_and_matches_sampled_boundaries(a: Footprint, b: Footprint) -> None:
    g = gap(a, b)
    assert g == pytest.approx(gap(b, a), abs=1e-9)
    pa, pb = _boundary_points(a), _boundary_points(b)
    overlap = bool(
        _contains(a, np.vstack([pb, b.center])).any()
        or _contains(b, np.vstack([pa, a.center])).any()
    )
    if g > 1e-4:
        assert not overlap
        sampled = np.min(np.linalg.norm(pa[:, None] - pb[None], axis=2))
        # Sampling the boundaries overestimates the distance by at most the spacing.
        assert g <= sampled + 1e-9
        assert sampled <= g + 2e-3
    elif g < -1e-4:
        assert overlap


@settings(max_examples=100, deadline=None)
@given(a=footprints(), b=footprints(), direction=angles, want=st.floats(0.0, 0.001))
def test_place_touching_leaves_the_requested_gap(
    a: Footprint, b: Footprint, direction: float, want: float
) -> None:
    placed = place_touching(a, b, direction, want)
    assert gap(a, placed) == pytest.approx(want, abs=1e-7)
    # The centre moved along the requested direction.
    d = placed.center - a.center
    np.testing.assert_allclose(
        d / np.linalg.norm(d), [math.cos(direction), math.sin(direction)], atol=1e-9
    )


def test_half_extent_of_rotated_rectangle() -> None:
    fp = Footprint(RECT, 0.0, 0.0, math.pi / 4, 0.02, 0.01)
    np.testing.assert_allclose(fp.half_extent(), [0.03 / math.sqrt(2)] * 2)


def test_footprint_rejects_bad_kind_and_size() -> None:
    with pytest.raises(ValueError, match="'triangle'"):
        Footprint("triangle", 0, 0, 0, 0.01, 0.01)
    with pytest.raises(ValueError, match=r"-0\.01"):
        Footprint(RECT, 0, 0, 0, -0.01, 0.01)
