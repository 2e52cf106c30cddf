"""Foreground and instances on the image grid: which pixels belong to which part.

Within one foreground blob, the top faces of parts are the large, flat regions left
when the blob is cut along colour edges (ΔE*ab between neighbours) and depth edges
(height steps between neighbours). That separates touching parts of different colour
or height, leaves the darker visible sides and surface marks out of the faces, and a
face's holes (marks, dropouts) are filled afterwards. Touching parts of one colour and
height give one non-convex face, split with a distance-transform watershed.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from jazari.perception.params import SegmentationParams

BoolImage = NDArray[np.bool_]
Float32Image = NDArray[np.float32]
U8Image = NDArray[np.uint8]
_OPEN_KERNEL = np.ones((3, 3), np.uint8)
_MIN_CHROMA = 8.0
_SEAM_CANDIDATES = 3  # strongest Hough lines tried as the seam
# Pixel masks of convex faces reach ~0.95 (hull through pixel centres); a straight cut
# through one of two touching parts leaves a piece far below that.
_MIN_PIECE_SOLIDITY = 0.9
_CLOSE_KERNEL = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))


@dataclass(frozen=True, eq=False)
class TopFace:
    """A part's top face in an image crop.

    Attributes:
        core: bool crop mask of the face's edge-free pixels (its colour sample).
        filled: bool crop mask of the face with holes filled.
        level_m: the face's height above the table [m] (median of its depth pixels).
    """

    core: BoolImage
    filled: BoolImage
    level_m: float


def foreground_mask(
    height_m: Float32Image, valid: BoolImage, color: U8Image, table_rgb: NDArray[np.uint8],
    params: SegmentationParams,
) -> U8Image:  # fmt: skip
    """uint8 mask (1 = foreground): pixels well above the table, plus pixels without
    depth whose colour is not the table's; speckle removed by a 3×3 opening."""
    with np.errstate(invalid="ignore"):
        fg = (height_m > params.foreground_min_height_m).view(np.uint8)
    rows, cols = np.nonzero(~valid)
    if rows.size:  # only the (few) pixels without depth need the colour test
        diff = np.abs(color[rows, cols].astype(np.int16) - table_rgb.astype(np.int16))
        off = diff.max(axis=1) > params.table_color_distance
        fg[rows[off], cols[off]] = 1
    out: U8Image = np.asarray(cv2.morphologyEx(fg, cv2.MORPH_OPEN, _OPEN_KERNEL), np.uint8)
    return out


def _steps(diff: NDArray[np.bool_], axis: int, out: BoolImage) -> None:
    """Mark both pixels of every neighbouring pair flagged in ``diff`` (a np.diff along axis)."""
    if axis == 0:
        out[:-1] |= diff
        out[1:] |= diff
    else:
        out[:, :-1] |= diff
        out[:, 1:] |= diff


def edge_mask(lab: Float32Image, height_m: Float32Image, params: SegmentationParams) -> BoolImage:
    """Pixels near a colour step or on either side of a depth step between 4-neighbours
    (NaN heights make no depth edge).

    Colour edges are dilated by ``color_edge_dilate_px``: where two parts of one colour
    touch, the seam shows only as a dotted line of dark pixels (rays that fall into
    the gap), which the dilation closes into a cut.
    """
    color_edge = np.zeros(height_m.shape, dtype=bool)
    depth_edge = np.zeros(height_m.shape, dtype=bool)
    tc2 = np.float32(params.color_edge_delta_e**2)
    td = np.float32(params.depth_edge_m)
    with np.errstate(invalid="ignore"):
        for axis in (0, 1):
            dlab = np.diff(lab, axis=axis)
            _steps(np.einsum("...k,...k->...", dlab, dlab) > tc2, axis, color_edge)
            _steps(np.abs(np.diff(height_m, axis=axis)) > td, axis, depth_edge)
    r = params.color_edge_dilate_px
    if r > 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
        color_edge = cv2.dilate(color_edge.astype(np.uint8), kernel).astype(bool)
    return color_edge | depth_edge


def fill_holes(mask: BoolImage) -> BoolImage:
    """The mask with every hole (a region it encloses) filled."""
    contours, _ = cv2.findContours(
        mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
    )
    out = np.zeros(mask.shape, np.uint8)
    cv2.drawContours(out, contours, -1, 1, thickness=cv2.FILLED)
    return out.astype(bool)


def _outline(core: BoolImage) -> BoolImage:
    """The face a core belongs to: notches closed, holes filled.

    A surface mark near a face's edge leaves a notch in the core (its edge band merges
    with the face's outer one); the closing bridges the notch's mouth so that filling
    holes restores the face."""
    closed = cv2.morphologyEx(core.astype(np.uint8), cv2.MORPH_CLOSE, _CLOSE_KERNEL)
    return fill_holes(closed.astype(bool)) | core


def top_faces(
    blob: BoolImage, lab: Float32Image, height_m: Float32Image, pixel_m: float,
    params: SegmentationParams,
) -> list[TopFace]:  # fmt: skip
    """The top faces of the parts in one foreground blob (crop coordinates); ``pixel_m``
    is the size of a pixel on the faces [m]."""
    regions = blob & ~edge_mask(lab, height_m, params)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(regions.astype(np.uint8), connectivity=4)
    faces: list[TopFace] = []
    for i in np.flatnonzero(stats[1:, cv2.CC_STAT_AREA] >= params.min_seed_area_px) + 1:
        core = labels == i
        h = height_m[core]
        h = h[np.isfinite(h)]
        if h.size < params.min_seed_area_px // 2:
            continue
        level = float(np.median(h))
        flat = np.mean(np.abs(h - level) < params.level_tolerance_m)
        if level < params.min_part_height_m or flat < params.flat_fraction:
            continue
        faces.append(TopFace(core, _outline(core), level))
    faces = _drop_enclosed(faces)
    out: list[TopFace] = []
    for face in faces:
        out.extend(split_touching(face, pixel_m, params))
    return out


def _drop_enclosed(faces: list[TopFace]) -> list[TopFace]:
    """Drop faces lying inside another face's outline (a large mark, say)."""
    keep = []
    for i, f in enumerate(faces):
        area = f.core.sum()
        inside = any(
            j != i and g.filled.sum() > area and np.count_nonzero(f.core & g.filled) > 0.8 * area
            for j, g in enumerate(faces)
        )
        if not inside:
            keep.append(f)
    return keep


def split_touching(face: TopFace, pixel_m: float, params: SegmentationParams) -> list[TopFace]:
    """``face`` split into pieces when it holds several touching parts of one colour.

    A face larger than ``max_face_area_m2`` holds several parts. Boxes laid side by
    side leave a dotted seam of dark pixels (rays that fall into the gap): the strongest
    straight lines through the face's inner colour-edge pixels (Hough transform) are
    tried as cuts, and the first that leaves only convex pieces is taken (a line along a
    surface mark leaves a non-convex piece). Otherwise, and for faces of any size, a
    distance transform decides: markers are the regions deep inside the face (distance
    to its border above ``split_peak_ratio`` of the maximum: one for a convex face, one
    per part where parts such as cylinders touch at a neck), and every pixel goes to the
    nearest marker.
    """
    filled = face.filled.astype(np.uint8)
    if int(filled.sum()) * pixel_m**2 > params.max_face_area_m2:
        pieces = _cut_along_seam(face, params)
        if len(pieces) >= 2:
            return pieces
    dist = cv2.distanceTransform(filled, cv2.DIST_L2, 5)
    peaks = (dist > params.split_peak_ratio * float(dist.max())).astype(np.uint8)
    n, markers = cv2.connectedComponents(peaks, connectivity=8)
    if n <= 2:
        return [face]
    pieces = _pieces(
        face,
        assign_pixels(face.filled, _marker_faces(np.asarray(markers, np.int32), n)),
        n - 1,
        params,
    )
    return pieces if len(pieces) >= 2 else [face]


def _marker_faces(markers: NDArray[np.int32], n: int) -> list[TopFace]:
    out = []
    for k in range(1, n):
        m = markers == k
        out.append(TopFace(m, m, 0.0))
    return out


def _pieces(
    face: TopFace, owner: NDArray[np.int32], n: int, params: SegmentationParams
) -> list[TopFace]:
    pieces = []
    for k in range(1, n + 1):
        piece = owner == k
        if piece.sum() >= params.min_seed_area_px:
            pieces.append(TopFace(face.core & piece, piece, face.level_m))
    return pieces


def _cut_along_seam(face: TopFace, params: SegmentationParams) -> list[TopFace]:
    inner = cv2.erode(face.filled.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    seam = (inner & ~face.core).astype(np.uint8)
    lines = cv2.HoughLines(seam, 1, np.pi / 180, params.seam_min_votes)
    if lines is None:
        return []
    far = 4 * max(seam.shape)
    for rho, theta in lines[:_SEAM_CANDIDATES, 0]:
        c, s = float(np.cos(theta)), float(np.sin(theta))
        cut = face.filled.astype(np.uint8)
        p0 = (round(rho * c - far * s), round(rho * s + far * c))
        p1 = (round(rho * c + far * s), round(rho * s - far * c))
        cv2.line(cut, p0, p1, 0, thickness=2)
        n, labels = cv2.connectedComponents(cut, connectivity=4)
        pieces = _pieces(face, labels.astype(np.int32), n - 1, params)
        if len(pieces) >= 2 and all(_solidity(p.filled) >= _MIN_PIECE_SOLIDITY for p in pieces):
            return pieces
    return []


def _solidity(mask: BoolImage) -> float:
    """Area of a mask over the area of its convex hull."""
    pts = cv2.findNonZero(mask.astype(np.uint8))
    hull = cv2.contourArea(cv2.convexHull(pts)) if pts is not None else 0.0
    return float(mask.sum()) / hull if hull > 0 else 0.0


def same_hue(lab: Float32Image, core: BoolImage, max_difference_deg: float) -> BoolImage:
    """Pixels whose hue is within ``max_difference_deg`` of the median hue of ``core``.

    A part's shaded sides keep the hue of its top face, a touching part's sides do not.
    Greyish pixels (chroma below 8) and every pixel of a greyish face pass.
    """
    a, b = lab[..., 1], lab[..., 2]
    a0, b0 = float(np.median(a[core])), float(np.median(b[core]))
    if np.hypot(a0, b0) < _MIN_CHROMA:
        return np.ones(core.shape, bool)
    # cos(hue difference) from the dot product of the (a*, b*) chroma vectors
    chroma = np.hypot(a, b)
    cos = (a * a0 + b * b0) / (np.maximum(chroma, 1e-6) * np.hypot(a0, b0))
    return np.asarray((chroma < _MIN_CHROMA) | (cos >= np.cos(np.radians(max_difference_deg))))


def assign_pixels(blob: BoolImage, faces: list[TopFace]) -> NDArray[np.int32]:
    """Label (1..len(faces)) of the face nearest to each blob pixel, 0 off the blob.

    The sides of a part and the pixels on its edges go to the nearest face.
    """
    seeds = np.zeros(blob.shape, np.int32)
    for k, f in enumerate(faces, start=1):
        seeds[f.filled] = k
    if len(faces) <= 1:
        return np.where(blob, seeds.max(initial=0) if faces else 0, 0).astype(np.int32)
    # distanceTransformWithLabels labels each zero pixel's own connected component;
    # map those back to face numbers through one pixel of each.
    _, nearest = cv2.distanceTransformWithLabels(
        (seeds == 0).astype(np.uint8), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL
    )
    lut = np.zeros(int(nearest.max()) + 1, np.int32)
    lut[nearest[seeds > 0]] = seeds[seeds > 0]
    return np.where(blob, lut[nearest], 0).astype(np.int32)
