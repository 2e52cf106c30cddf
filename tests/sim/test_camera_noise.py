"""The structured-light depth sensor model: noise, dropout, quantisation, seeding."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from jazari.sim.camera import TwinCamera
from jazari.sim.depth_noise import apply_depth_noise, depth_edges
from jazari.sim.params import DepthNoiseParams, load_sim_params
from jazari.sim.twin import CellTwin

OFF = DepthNoiseParams(
    enabled=True, std_at_1m_m=0.0, dropout_probability=0.0, edge_dropout_probability=0.0,
    edge_threshold_m=0.01, quantization_m=0.0, seed=0,
)  # fmt: skip


def _step_image() -> np.ndarray:
    """A table at 0.9 m with a 40 mm high block in the middle."""
    depth = np.full((120, 160), 0.9, dtype=np.float32)
    depth[40:80, 60:100] = 0.86
    return depth


def test_axial_noise_grows_with_the_square_of_depth() -> None:
    params = replace(OFF, std_at_1m_m=0.002)
    rng = np.random.default_rng(0)
    for z in (0.5, 1.0, 1.5):
        depth = np.full((200, 200), z, dtype=np.float32)
        noisy = apply_depth_noise(depth, params, rng)
        assert float(np.std(noisy - depth)) == pytest.approx(0.002 * z * z, rel=0.05)
        assert abs(float(np.mean(noisy - depth))) < 1e-4


def test_random_dropout_removes_the_requested_share_of_pixels() -> None:
    noisy = apply_depth_noise(
        _step_image(), replace(OFF, dropout_probability=0.1), np.random.default_rng(1)
    )
    assert float(np.mean(noisy == 0)) == pytest.approx(0.1, abs=0.01)


def test_edge_dropout_hits_only_depth_edges() -> None:
    depth = _step_image()
    noisy = apply_depth_noise(
        depth, replace(OFF, edge_dropout_probability=1.0), np.random.default_rng(2)
    )
    edges = depth_edges(depth, 0.01)
    assert edges.sum() == (4 * 40 - 4) + 4 * 40  # the block's rim and the ring around it
    np.testing.assert_array_equal(noisy == 0, edges)


def test_quantisation_rounds_to_the_depth_unit() -> None:
    depth = np.array([[0.9004, 0.9006, 0.0]], dtype=np.float32)
    noisy = apply_depth_noise(depth, replace(OFF, quantization_m=0.001), np.random.default_rng(3))
    np.testing.assert_allclose(noisy, [[0.900, 0.901, 0.0]], atol=1e-6)


def test_pixels_without_return_stay_without_return() -> None:
    depth = _step_image()
    depth[:10] = 0.0
    noisy = apply_depth_noise(depth, replace(OFF, std_at_1m_m=0.01), np.random.default_rng(4))
    assert np.all(noisy[:10] == 0.0)
    assert depth[20, 20] == np.float32(0.9)  # the input is not modified


def test_noisy_frames_are_reproducible_with_a_seed_and_differ_with_another() -> None:
    noise = replace(load_sim_params().depth_noise, enabled=True)
    twin = CellTwin.with_random_parts(4, seed=3)
    with TwinCamera(twin, noise, seed=7) as a, TwinCamera(twin, noise, seed=7) as b:
        fa, fb = a.capture(), b.capture()
    with TwinCamera(twin, noise, seed=8) as c:
        fc = c.capture()
    np.testing.assert_array_equal(fa.depth_m, fb.depth_m)
    np.testing.assert_array_equal(fa.color, fb.color)
    assert not np.array_equal(fa.depth_m, fc.depth_m)
    holes = float(np.mean(fa.depth_m == 0))
    assert noise.dropout_probability <= holes < 0.05
    valid = fa.depth_m > 0
    # At 0.9 m: σ ≈ 1.2 mm, then 1 mm quantisation; the mean stays on the table.
    table = valid & (np.abs(fa.depth_m - 0.9) < 0.01)
    assert float(np.std(fa.depth_m[table] - 0.9)) == pytest.approx(
        np.hypot(noise.std_at_1m_m * 0.81, 0.001 / np.sqrt(12)), rel=0.2
    )


def test_noise_off_gives_exact_depth() -> None:
    twin = CellTwin()
    with TwinCamera(twin) as camera:
        assert not camera.depth_noise.enabled  # sim.yaml default
        frame = camera.capture()
    np.testing.assert_allclose(frame.depth_m[200:280, 280:360], 0.9, atol=1e-5)
