"""Surface-mark search on a synthetic top face."""

from __future__ import annotations

import numpy as np

from jazari.quality.marks import find_mark


def face_image(with_mark: bool) -> tuple[np.ndarray, np.ndarray]:
    img = np.full((60, 80, 3), (210, 200, 180), np.uint8)
    top = np.zeros((60, 80), bool)
    top[10:50, 10:70] = True
    img[top] = (200, 30, 30)
    if with_mark:
        img[25:29, 20:40] = (20, 20, 20)
    return img, top


def test_find_mark_measures_a_dark_stripe() -> None:
    img, top = face_image(with_mark=True)
    found = find_mark(img, top, 25.0, 15.0, 2)
    assert found.area_px == 4 * 20
    assert found.mask[26, 30] and not found.mask[40, 60]


def test_find_mark_finds_nothing_on_a_clean_face() -> None:
    img, top = face_image(with_mark=False)
    assert find_mark(img, top, 25.0, 15.0, 2).area_px == 0
    assert find_mark(img, np.zeros_like(top), 25.0, 15.0, 2).area_px == 0
