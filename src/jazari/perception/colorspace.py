"""sRGB → CIELAB (D65) and colour differences ΔE*ab (CIE 1976) and ΔE00 (CIEDE2000).

Single colours go through the exact sRGB transfer curve in numpy; whole images through
OpenCV's ``COLOR_RGB2Lab`` on float32 input (the same formulas, about 20× faster).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

_SRGB_TO_XYZ = np.array(
    [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]
)
_WHITE_D65 = np.array([0.95047, 1.0, 1.08883])


def srgb_to_lab(rgb: Sequence[float] | FloatArray) -> FloatArray:
    """CIELAB (D65) of sRGB colours in [0, 1]; shape (..., 3) in and out (L* in 0..100)."""
    c = np.clip(np.asarray(rgb, dtype=float), 0.0, 1.0)
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = (lin @ _SRGB_TO_XYZ.T) / _WHITE_D65
    eps = (6.0 / 29.0) ** 3
    f = np.where(xyz > eps, np.cbrt(xyz), xyz / (3.0 * (6.0 / 29.0) ** 2) + 4.0 / 29.0)
    return np.stack(
        [
            116.0 * f[..., 1] - 16.0,
            500.0 * (f[..., 0] - f[..., 1]),
            200.0 * (f[..., 1] - f[..., 2]),
        ],
        axis=-1,
    )


def image_to_lab(color: NDArray[np.uint8]) -> NDArray[np.float32]:
    """CIELAB (D65) of an RGB uint8 image, H×W×3 float32 (L* in 0..100)."""
    scaled = color.astype(np.float32) * np.float32(1.0 / 255.0)
    lab: NDArray[np.float32] = np.asarray(cv2.cvtColor(scaled, cv2.COLOR_RGB2Lab), np.float32)
    return lab


def delta_e_76(lab_a: FloatArray, lab_b: FloatArray) -> FloatArray:
    """ΔE*ab (CIE 1976): Euclidean distance in CIELAB; broadcasts over (..., 3)."""
    return np.asarray(np.linalg.norm(np.asarray(lab_a) - np.asarray(lab_b), axis=-1))


def delta_e_76_rgb(rgb_a: Sequence[float], rgb_b: Sequence[float]) -> float:
    """ΔE*ab (CIE 1976) between two sRGB colours in [0, 1]."""
    return float(delta_e_76(srgb_to_lab(rgb_a), srgb_to_lab(rgb_b)))


def delta_e_2000(lab_a: FloatArray, lab_b: FloatArray) -> FloatArray:
    """ΔE00 (CIEDE2000, kL = kC = kH = 1, Sharma et al. 2005); broadcasts over (..., 3)."""
    a = np.asarray(lab_a, dtype=float)
    b = np.asarray(lab_b, dtype=float)
    L1, a1, b1 = a[..., 0], a[..., 1], a[..., 2]
    L2, a2, b2 = b[..., 0], b[..., 1], b[..., 2]
    c_bar = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2.0
    g = 0.5 * (1.0 - np.sqrt(c_bar**7 / (c_bar**7 + 25.0**7)))
    a1p, a2p = (1.0 + g) * a1, (1.0 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360.0
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360.0
    chroma_zero = (c1p * c2p) == 0.0
    dh = h2p - h1p
    dh = np.where(dh > 180.0, dh - 360.0, np.where(dh < -180.0, dh + 360.0, dh))
    dh = np.where(chroma_zero, 0.0, dh)
    dL, dC = L2 - L1, c2p - c1p
    dH = 2.0 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh) / 2.0)
    l_bar, cp_bar = (L1 + L2) / 2.0, (c1p + c2p) / 2.0
    h_sum = h1p + h2p
    h_bar = np.where(
        np.abs(h1p - h2p) <= 180.0,
        h_sum / 2.0,
        np.where(h_sum < 360.0, (h_sum + 360.0) / 2.0, (h_sum - 360.0) / 2.0),
    )
    h_bar = np.where(chroma_zero, h_sum, h_bar)
    hr = np.radians(h_bar)
    t = (
        1.0
        - 0.17 * np.cos(hr - np.radians(30.0))
        + 0.24 * np.cos(2.0 * hr)
        + 0.32 * np.cos(3.0 * hr + np.radians(6.0))
        - 0.20 * np.cos(4.0 * hr - np.radians(63.0))
    )
    d_theta = np.radians(30.0) * np.exp(-(((h_bar - 275.0) / 25.0) ** 2))
    r_c = 2.0 * np.sqrt(cp_bar**7 / (cp_bar**7 + 25.0**7))
    s_l = 1.0 + 0.015 * (l_bar - 50.0) ** 2 / np.sqrt(20.0 + (l_bar - 50.0) ** 2)
    s_c = 1.0 + 0.045 * cp_bar
    s_h = 1.0 + 0.015 * cp_bar * t
    r_t = -np.sin(2.0 * d_theta) * r_c
    tl, tc, th = dL / s_l, dC / s_c, dH / s_h
    return np.asarray(np.sqrt(tl**2 + tc**2 + th**2 + r_t * tc * th))


DeltaE = Callable[[FloatArray, FloatArray], FloatArray]

#: Colour-difference formulas by the name used in configuration.
DELTA_E: dict[str, DeltaE] = {"cie76": delta_e_76, "ciede2000": delta_e_2000}
