"""Imperfections of a structured-light depth sensor, applied to ideal rendered depth.

* Axial noise: Gaussian with a standard deviation growing with the square of depth
  (triangulation: σ_z ∝ z² / (focal length × baseline)).
* Dropout at depth edges: near a depth step the projected pattern is occluded on one
  side or smeared, so pixels there often have no return.
* Random dropout: isolated pixels without return (specular spots, low texture).
* Quantisation to the sensor's depth unit.

Pixels without return are 0, as in a 16-bit depth image.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from jazari.sim.params import DepthNoiseParams

DepthImage = NDArray[np.float32]


def depth_edges(depth_m: DepthImage, threshold_m: float) -> NDArray[np.bool_]:
    """Pixels whose depth differs from a 4-neighbour's by more than ``threshold_m``."""
    edge = np.zeros(depth_m.shape, dtype=bool)
    dy = np.abs(np.diff(depth_m, axis=0)) > threshold_m
    dx = np.abs(np.diff(depth_m, axis=1)) > threshold_m
    edge[:-1] |= dy
    edge[1:] |= dy
    edge[:, :-1] |= dx
    edge[:, 1:] |= dx
    return edge


def apply_depth_noise(
    depth_m: DepthImage, params: DepthNoiseParams, rng: np.random.Generator
) -> DepthImage:
    """A noisy copy of ``depth_m`` (H×W float32 [m], 0 = no return); the input is kept."""
    valid = depth_m > 0
    out = depth_m.copy()
    if params.std_at_1m_m > 0:
        noise = rng.standard_normal(out.shape, dtype=np.float32)
        out += noise * np.float32(params.std_at_1m_m) * out * out
    drop = np.zeros(out.shape, dtype=bool)
    if params.edge_dropout_probability > 0:
        edges = depth_edges(depth_m, params.edge_threshold_m)
        drop |= edges & (rng.random(out.shape, dtype=np.float32) < params.edge_dropout_probability)
    if params.dropout_probability > 0:
        drop |= rng.random(out.shape, dtype=np.float32) < params.dropout_probability
    if params.quantization_m > 0:
        q = np.float32(params.quantization_m)
        out = np.round(out / q) * q
    out[~valid | drop] = 0.0
    return out
