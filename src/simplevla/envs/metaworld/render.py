"""Fast offscreen rendering of a Meta-World scene on a CPU: the GL backend, cheap settings, one camera.

Meta-World's scenes ask for a 4096² shadow map, 4x multisampling, a 640x480 offscreen buffer and
reflections, which cost 53-79 ms per 64x64 frame with software GL. `make_renderer` turns all four off and
sizes the buffer to the image: ~5.5-6 ms per frame (benchmarks/bench_metaworld.py). The `corner2` camera is
moved to the pose LeRobot's Meta-World env uses and its image turned upright (it renders upside down).

`select_gl()` must run before `mujoco` (or `metaworld`) is first imported: MuJoCo reads MUJOCO_GL once.
"""

from __future__ import annotations

import atexit
import ctypes.util
import os
import sys
import weakref

import numpy as np

CORNER2_POS = (0.75, 0.075, 0.7)  # LeRobot's corner2 camera position (LeRobot flips its image 180 degrees)
CAMERAS = ("corner2", "corner", "corner3", "topview")


def select_gl() -> str:
    """Pick MuJoCo's headless GL backend unless MUJOCO_GL is set: OSMesa where libOSMesa exists (what
    `make install-metaworld` installs), else EGL. Both are Mesa's llvmpipe here, equally fast."""
    if "MUJOCO_GL" not in os.environ and "mujoco" not in sys.modules and sys.platform.startswith("linux"):
        os.environ["MUJOCO_GL"] = "osmesa" if ctypes.util.find_library("OSMesa") else "egl"
    backend = os.environ.get("MUJOCO_GL", "")
    if backend in ("osmesa", "egl"):
        os.environ.setdefault("PYOPENGL_PLATFORM", backend)  # PyOpenGL must load the same library
    return backend


_LIVE: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    """Free GL contexts before interpreter teardown (MuJoCo's own finalizers then fail noisily)."""
    for renderer in list(_LIVE):
        renderer.close()


def scale_goal_marker(model, scale: float) -> None:
    """Draw the scene's goal marker sites (`goal`, `goal*`) `scale` times their size: a radius-0.02 ball is
    one or two pixels at 64x64. Sites never collide, so physics, success and the scripted policies are
    unchanged; 0 hides the marker."""
    import mujoco

    if scale == 1.0:
        return
    for i in range(model.nsite):
        name = mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_SITE, i) or ""
        if name.startswith("goal"):
            model.site_size[i] *= scale
            if scale == 0.0:
                model.site_rgba[i, 3] = 0.0


class SceneRenderer:
    """Renders one Meta-World model from one camera into uint8 (size, size, 3) frames."""

    def __init__(self, model, size: int, camera: str = "corner2") -> None:
        import mujoco

        if os.environ.get("MUJOCO_GL", "") not in ("egl", "osmesa") and not os.environ.get("DISPLAY"):
            raise RuntimeError(
                "MuJoCo was imported before simplevla chose a headless GL backend and there is no display; "
                "set MUJOCO_GL=osmesa (or egl), or import simplevla.envs.metaworld.env before metaworld"
            )
        if camera not in CAMERAS:
            raise ValueError(f"camera must be one of {CAMERAS}, got {camera!r}")
        cam_id = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_CAMERA, camera)
        if cam_id < 0:
            raise ValueError(f"camera {camera!r} is not in this Meta-World scene")
        if camera == "corner2":
            model.cam_pos[cam_id] = CORNER2_POS
        model.vis.quality.shadowsize = 0  # no shadow map (Meta-World asks for 4096x4096)
        model.vis.quality.offsamples = 0  # no multisampling (4x)
        model.vis.global_.offwidth = size  # the offscreen buffer is the image, not 640x480
        model.vis.global_.offheight = size
        self._renderer = mujoco.Renderer(model, size, size)
        flags = self._renderer.scene.flags
        flags[mujoco.mjtRndFlag.mjRND_SHADOW] = 0
        flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = 0
        self._camera, self._flip = cam_id, camera == "corner2"
        self._buf = np.empty((size, size, 3), np.uint8)  # (H, W, 3) as rendered
        _LIVE.add(self)

    def render(self, data) -> np.ndarray:
        """The current frame of `data`, uint8 (H, W, 3), upright (a new array)."""
        self._renderer.update_scene(data, camera=self._camera)
        self._renderer.render(out=self._buf)
        return np.ascontiguousarray(self._buf[::-1, ::-1]) if self._flip else self._buf.copy()

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
