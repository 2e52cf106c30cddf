"""OpenGL backends: tried in order from a registry, with a clear error when none works."""

from __future__ import annotations

import ctypes.util
import os
import subprocess
import sys

import pytest

from jazari.sim.errors import RenderError
from jazari.sim.gl import BACKENDS, GLContext, backend_order, create_context


class _Broken:
    def __init__(self, width: int, height: int) -> None:
        raise OSError("libFakeGL.so: cannot open shared object file")


class _NeverCurrent:
    freed = False

    def __init__(self, width: int, height: int) -> None:
        pass

    def make_current(self) -> None:
        raise RuntimeError("no display")

    def free(self) -> None:
        _NeverCurrent.freed = True


def test_the_first_working_backend_is_used_after_failures(caplog: pytest.LogCaptureFixture) -> None:
    registry = {"fake": _Broken, "egl": BACKENDS["egl"]}
    name, ctx = create_context(64, 48, ("fake", "egl"), registry)
    try:
        assert name == "egl"
        assert "fake: OSError" in caplog.text
    finally:
        ctx.free()


def test_no_working_backend_raises_listing_each_failure() -> None:
    registry: dict[str, type[GLContext]] = {"fake": _Broken, "dead": _NeverCurrent}
    with pytest.raises(RenderError) as err:
        create_context(64, 48, ("fake", "dead", "vulkan"), registry)
    message = str(err.value)
    assert "fake: OSError: libFakeGL.so" in message
    assert "dead: RuntimeError: no display" in message
    assert "vulkan: unknown backend" in message
    assert _NeverCurrent.freed  # a context that failed is released


def test_mujoco_gl_environment_variable_comes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUJOCO_GL", "osmesa")
    assert backend_order(("egl", "osmesa")) == ("osmesa", "egl")
    monkeypatch.delenv("MUJOCO_GL")
    assert backend_order(("egl", "osmesa")) == ("egl", "osmesa")


_HAS_OSMESA = ctypes.util.find_library("OSMesa") is not None


def _run(code: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("MUJOCO_GL", "PYOPENGL_PLATFORM")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**clean, **env},
        timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Traceback" not in out.stderr, out.stderr[-2000:]
    return out.stdout.strip().splitlines()[-1]


@pytest.mark.skipif(not _HAS_OSMESA, reason="libOSMesa is not installed")
def test_osmesa_takes_over_when_the_first_backend_fails() -> None:
    # A fresh interpreter in which the failing backend has bound PyOpenGL to EGL first,
    # as a real EGL failure at context creation does.
    code = (
        "from jazari.sim.gl import BACKENDS, create_context\n"
        "def broken(w, h):\n"
        "    import mujoco.egl\n"
        "    raise OSError('no EGL device')\n"
        "name, ctx = create_context(64, 48, ('broken', 'osmesa'), {**BACKENDS, 'broken': broken})\n"
        "ctx.free(); print(name)"
    )
    assert _run(code) == "osmesa"


@pytest.mark.skipif(not _HAS_OSMESA, reason="libOSMesa is not installed")
def test_mujoco_gl_osmesa_renders_the_same_depth() -> None:
    code = (
        "from jazari.sim.twin import CellTwin\n"
        "from jazari.sim.camera import TwinCamera\n"
        "cam = TwinCamera(CellTwin())\n"
        "f = cam.capture()\n"
        "print(cam.backend, round(float(f.depth_m[240, 320]), 6))"
    )
    assert _run(code, MUJOCO_GL="osmesa") == "osmesa 0.9"
