"""Rendered twin scenes shared by the perception tests (one renderer per session)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jazari.bench.perception import TwinScenes


@pytest.fixture(scope="session")
def scenes() -> Iterator[TwinScenes]:
    """The twin with its camera, depth noise and dropout on."""
    s = TwinScenes(depth_noise=True, noise_seed=7)
    yield s
    s.close()
