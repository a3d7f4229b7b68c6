import os
import subprocess
import sys

import pytest

from deskpilot.envs import Action
from deskpilot.envs.desktop.capture import Region
from deskpilot.envs.desktop.executor import Call, Executor, ExecutorError, plan

REGION = Region(100, 50, 200, 100)


def test_point_actions_map_to_region_pixels():
    assert plan(Action.click(0.0, 0.0), REGION) == [Call("click", (100, 50, "left"))]
    assert plan(Action.click(1.0, 1.0), REGION) == [Call("click", (299, 149, "left"))]
    assert plan(Action.double_click(0.5, 0.5), REGION) == [Call("doubleClick", (200, 100, "left"))]
    assert plan(Action.right_click(0.25, 0.5), REGION) == [Call("click", (150, 100, "right"))]


def test_scroll_positive_is_down_for_pyautogui():
    assert plan(Action.scroll_at(0.5, 0.5, 3), REGION) == [Call("scroll", (-3, 200, 100))]
    assert plan(Action.scroll_at(0.5, 0.5, -2), REGION) == [Call("scroll", (2, 200, 100))]


def test_drag_presses_moves_along_a_path_and_releases():
    calls = plan(Action.drag(0.0, 0.0, 0.5, 0.5), REGION, drag_steps=4)
    assert calls[0] == Call("moveTo", (100, 50)) and calls[1] == Call("mouseDown", (100, 50, "left"))
    assert [c.args for c in calls[2:-1]] == [(125, 62), (150, 75), (175, 88), (200, 100)]
    assert calls[-1] == Call("mouseUp", (200, 100, "left"))


def test_keys_and_text():
    assert plan(Action.press("Control+Shift+T"), REGION) == [Call("hotkey", ("ctrl", "shift", "t"))]
    assert plan(Action.press("super+l"), REGION) == [Call("hotkey", ("winleft", "l"))]
    assert plan(Action.type_text("a<é"), REGION) == [Call("xdotool_type", ("a<é",))]
    assert plan(Action.type_text("a>b!"), REGION, use_xdotool=False) == [Call("write", ("a>b!",))]
    with pytest.raises(ExecutorError, match="xdotool"):
        plan(Action.type_text("a<b"), REGION, use_xdotool=False)
    with pytest.raises(ExecutorError, match="xdotool"):
        plan(Action.type_text("café"), REGION, use_xdotool=False)
    assert plan(Action.wait(), REGION) == [] and plan(Action.done(), REGION) == []


def test_dry_run_records_and_needs_no_display(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    ex = Executor(REGION, dry_run=True)
    actions = [Action.click(0.5, 0.5), Action.press("enter"), Action.done()]
    for a in actions:
        ex.execute(a)
    assert ex.actions == actions
    assert ex.calls == [Call("click", (200, 100, "left")), Call("hotkey", ("enter",))]


def test_live_executor_needs_a_display(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    with pytest.raises(ExecutorError, match="DISPLAY is not set"):
        Executor(REGION)


@pytest.mark.parametrize("kwargs", [{"pause": -1}, {"drag_steps": 0}, {"type_delay_ms": -1}])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        Executor(REGION, dry_run=True, **kwargs)


def test_import_envs_without_display_loads_no_input_or_capture_library():
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    code = (
        "import sys, deskpilot.envs, deskpilot.envs.desktop, gymnasium as gym; "
        "assert 'deskpilot/desktop-v0' in gym.registry; "
        "print(sorted(m for m in ('mss', 'pyautogui', 'pynput', 'Xlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.display
def test_executor_refuses_a_second_display(xvfb, monkeypatch):
    Executor(REGION)  # imports pyautogui on this worker's display
    monkeypatch.setenv("DISPLAY", ":4242")
    with pytest.raises(ExecutorError, match="bound to display"):
        Executor(REGION)
