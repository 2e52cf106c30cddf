"""Clocks implementing the :class:`jazari.ports.Clock` port."""

from __future__ import annotations

import time


class WallClock:
    """Monotonic wall time [s]; the cell's clock on real hardware."""

    def now(self) -> float:
        """Seconds since an arbitrary fixed point, never going backwards."""
        return time.monotonic()

    def sleep(self, duration_s: float) -> None:
        """Block the calling thread for ``duration_s`` seconds (negative: no wait)."""
        if duration_s > 0:
            time.sleep(duration_s)
