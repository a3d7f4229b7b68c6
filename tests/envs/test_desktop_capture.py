import numpy as np
import pytest

from deskpilot.envs.desktop.capture import (
    CaptureError,
    Region,
    ScreenCapture,
    WindowNotFoundError,
    find_window,
    wait_until_stable,
)


@pytest.mark.parametrize(
    "args",
    [(0, 0, 0, 10), (0, 0, 10, -1), (0.5, 0, 10, 10), (True, 0, 10, 10), ("0", 0, 1, 1)],
)
def test_region_rejects_bad_values(args):
    with pytest.raises(ValueError, match="Region"):
        Region(*args)


def test_region_geometry():
    r = Region(10, 20, 30, 40)
    assert (r.right, r.bottom) == (40, 60)
    assert r.contains(Region(10, 20, 30, 40)) and not r.contains(Region(9, 20, 30, 40))


def test_capture_needs_display(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    with pytest.raises(CaptureError, match="DISPLAY"):
        ScreenCapture()


@pytest.mark.display
def test_grab_whole_monitor_and_region(tk_app):
    with ScreenCapture() as cap:
        assert cap.region == Region(0, 0, 800, 600)
        frame = cap.grab()
    assert frame.shape == (600, 800, 3) and frame.dtype == np.uint8
    x, y, w, h = tk_app.geometry["canvas"]
    with ScreenCapture(Region(x, y, w, h)) as cap:
        canvas = cap.grab()
    assert canvas.shape == (h, w, 3)
    assert (canvas == [0, 0, 255]).all()  # the canvas is pure blue: channels come out as RGB


@pytest.mark.display
def test_region_off_screen_and_bad_monitor(xvfb):
    with pytest.raises(CaptureError, match="not inside"):
        ScreenCapture(Region(700, 500, 200, 200))
    with pytest.raises(ValueError, match="monitor"):
        ScreenCapture(monitor=5)


@pytest.mark.display
def test_wait_until_stable_settles_on_a_still_screen(tk_app):
    with ScreenCapture() as cap:
        frame, settled = wait_until_stable(cap, timeout=2.0)
    assert settled and frame.shape == (600, 800, 3)


@pytest.mark.display
def test_find_window(tk_app):
    region = find_window("deskpilot-tkapp", timeout=2.0)
    assert region == Region(*tk_app.geometry["window"])
    with pytest.raises(WindowNotFoundError, match="no visible window"):
        find_window("no-such-window-title")
