"""Surface marks on a part's top face: dark blobs in the colour image.

The face's reference colour is the median CIELAB colour of its interior (the mask
eroded so its edge and the tops of its shaded sides are left out). Mark pixels are much
darker than that and far from it in colour; the largest connected blob of them is the
mark, measured as an area on the face.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from jazari.perception.colorspace import image_to_lab


@dataclass(frozen=True)
class MarkFinding:
    """The largest mark on a face.

    Attributes:
        area_px: its size in pixels (0 when none).
        mask: bool image of its pixels (same shape as the face's mask).
    """

    area_px: int
    mask: NDArray[np.bool_]


def find_mark(
    color: NDArray[np.uint8], top_mask: NDArray[np.bool_], min_delta_e: float,
    min_darkening: float, erode_px: int,
) -> MarkFinding:  # fmt: skip
    """The largest dark blob inside ``top_mask`` (H×W bool) of ``color`` (H×W×3 RGB).

    Args:
        min_delta_e: a mark pixel differs from the face by at least this ΔE*ab.
        min_darkening: and is darker by at least this much L* (0..100).
        erode_px: the face mask is shrunk by this many pixels first.
    """
    rows, cols = np.nonzero(top_mask)
    empty = MarkFinding(0, np.zeros(top_mask.shape, bool))
    if rows.size == 0:
        return empty
    r0, r1, c0, c1 = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    face = top_mask[r0:r1, c0:c1].astype(np.uint8)
    kernel = np.ones((2 * erode_px + 1, 2 * erode_px + 1), np.uint8)
    inner = cv2.erode(face, kernel).astype(bool)
    if not inner.any():
        return empty
    lab = image_to_lab(np.ascontiguousarray(color[r0:r1, c0:c1]))
    ref = np.median(lab[inner], axis=0)
    diff = lab - ref
    dark = (
        inner
        & (np.einsum("...k,...k->...", diff, diff) > min_delta_e**2)
        & (diff[..., 0] < -min_darkening)
    )
    n, labels, stats, _ = cv2.connectedComponentsWithStats(dark.astype(np.uint8), connectivity=8)
    if n <= 1:
        return empty
    best = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    mask = np.zeros(top_mask.shape, bool)
    mask[r0:r1, c0:c1] = labels == best
    return MarkFinding(int(stats[best, cv2.CC_STAT_AREA]), mask)
