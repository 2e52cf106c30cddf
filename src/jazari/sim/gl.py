"""Headless OpenGL contexts for MuJoCo's renderer, from a registry of backends.

``egl`` renders on a GPU or, without one, on Mesa's llvmpipe; ``osmesa`` is Mesa's pure
software path. Backends are tried in the configured order (``render.gl_backends`` in
``config/sim.yaml``), with ``MUJOCO_GL``, when set, first.

PyOpenGL binds to one platform when it is first imported (``PYOPENGL_PLATFORM``), so
when a backend fails after importing PyOpenGL for the first time, those half-initialised
modules are dropped before the next backend is tried.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from jazari.sim.errors import RenderError

log = logging.getLogger(__name__)


class GLContext(Protocol):
    """What MuJoCo's off-screen renderer needs from an OpenGL context."""

    def make_current(self) -> None:
        """Bind the context to the calling thread."""
        ...

    def free(self) -> None:
        """Release the context."""
        ...


GLFactory = Callable[[int, int], GLContext]


def _mujoco_backend(module: str) -> GLFactory:
    def make(width: int, height: int) -> GLContext:
        ctx: GLContext = importlib.import_module(module).GLContext(width, height)
        return ctx

    return make


BACKENDS: dict[str, GLFactory] = {
    "egl": _mujoco_backend("mujoco.egl"),
    "osmesa": _mujoco_backend("mujoco.osmesa"),
}


def _forget_opengl(platform_before: str | None) -> None:
    """Undo a failed backend's import of PyOpenGL so the next one can choose its own."""
    for name in [m for m in sys.modules if m == "OpenGL" or m.startswith("OpenGL.")]:
        del sys.modules[name]
    if platform_before is None:
        os.environ.pop("PYOPENGL_PLATFORM", None)
    else:
        os.environ["PYOPENGL_PLATFORM"] = platform_before


def backend_order(configured: Sequence[str]) -> tuple[str, ...]:
    """``configured`` with ``MUJOCO_GL`` (when set) moved to the front."""
    env = os.environ.get("MUJOCO_GL", "").strip().lower()
    order = [b for b in configured if b != env]
    return tuple([env, *order] if env else order)


def create_context(
    width: int,
    height: int,
    order: Sequence[str],
    backends: Mapping[str, GLFactory] | None = None,
) -> tuple[str, GLContext]:
    """The first backend in ``order`` that gives a current context of at least
    ``width`` × ``height`` pixels.

    Returns:
        ``(backend name, context)``.

    Raises:
        RenderError: listing each backend tried and why it failed.
    """
    registry = BACKENDS if backends is None else backends
    failures = []
    for name in order:
        factory = registry.get(name)
        if factory is None:
            failures.append(f"{name}: unknown backend (known: {sorted(registry)})")
            continue
        platform_before = os.environ.get("PYOPENGL_PLATFORM")
        opengl_before = "OpenGL" in sys.modules
        ctx: Any = None
        try:
            ctx = factory(width, height)
            ctx.make_current()
        except Exception as exc:  # backends fail with ImportError, OSError, GLError, ...
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
            if ctx is not None:
                with contextlib.suppress(Exception):  # the context is broken either way
                    ctx.free()
            if not opengl_before:  # leave a PyOpenGL that others already use alone
                _forget_opengl(platform_before)
            continue
        if failures:
            log.warning("rendering with %s; earlier backends failed: %s", name, "; ".join(failures))
        return name, ctx
    raise RenderError(f"no OpenGL backend could render ({', '.join(order)}): {'; '.join(failures)}")
