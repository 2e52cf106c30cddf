"""CIELAB conversion and colour differences."""

from __future__ import annotations

import numpy as np
import pytest

from jazari.perception.colorspace import (
    delta_e_76,
    delta_e_76_rgb,
    delta_e_2000,
    image_to_lab,
    srgb_to_lab,
)

# Reference pairs from Sharma, Wu and Dalal (2005), "The CIEDE2000 colour-difference formula".
SHARMA = [
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((50.0, 2.5, 0.0), (50.0, 0.0, -2.5), 4.3065),
]


@pytest.mark.parametrize(("a", "b", "expected"), SHARMA)
def test_delta_e_2000_matches_sharma_reference(a: tuple, b: tuple, expected: float) -> None:
    assert float(delta_e_2000(np.array(a), np.array(b))) == pytest.approx(expected, abs=1e-4)
    assert float(delta_e_2000(np.array(b), np.array(a))) == pytest.approx(expected, abs=1e-4)


def test_srgb_to_lab_of_white_black_and_red() -> None:
    np.testing.assert_allclose(srgb_to_lab([1.0, 1.0, 1.0]), [100.0, 0.0, 0.0], atol=0.05)
    np.testing.assert_allclose(srgb_to_lab([0.0, 0.0, 0.0]), [0.0, 0.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(srgb_to_lab([1.0, 0.0, 0.0]), [53.24, 80.09, 67.20], atol=0.1)


def test_srgb_to_lab_converts_a_batch_row_by_row() -> None:
    lab = srgb_to_lab(np.array([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [1.0, 0.0, 0.0]]))
    np.testing.assert_allclose(lab[0], [100.0, 0.0, 0.0], atol=0.05)
    np.testing.assert_allclose(lab[1], [0.0, 0.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(lab[2], [53.24, 80.09, 67.20], atol=0.1)  # sRGB red, D65


def test_image_to_lab_agrees_with_exact_conversion(rng: np.random.Generator) -> None:
    img = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    exact = srgb_to_lab(img.astype(float) / 255.0)
    assert float(np.max(delta_e_76(image_to_lab(img), exact))) < 0.5


def test_delta_e_76_is_euclidean_distance() -> None:
    assert float(delta_e_76(np.array([50.0, 3.0, 4.0]), np.array([50.0, 0.0, 0.0]))) == 5.0


def test_delta_e_76_rgb_compares_srgb_colours_in_cielab() -> None:
    assert delta_e_76_rgb((1.0, 1.0, 1.0), (0.0, 0.0, 0.0)) == pytest.approx(100.0, abs=0.05)
    # Pure red to black: the L*a*b* of sRGB red, (53.24, 80.09, 67.20), from the origin.
    assert delta_e_76_rgb((1.0, 0.0, 0.0), (0.0, 0.0, 0.0)) == pytest.approx(117.3, abs=0.1)
    red, dark_red = (0.80, 0.12, 0.12), (0.55, 0.08, 0.30)
    assert delta_e_76_rgb(red, dark_red) == pytest.approx(delta_e_76_rgb(dark_red, red))
    assert delta_e_76_rgb(red, red) == 0.0
