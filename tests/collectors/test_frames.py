"""Pre-action screenshots with a fake clock and a fake screen: which frame each step gets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from deskpilot.collectors.folding import EventFolder, FoldingConfig
from deskpilot.collectors.frames import FrameRing, StepMaker
from deskpilot.collectors.input_events import ButtonEvent, KeyEvent
from deskpilot.collectors.reading import read_trajectory
from deskpilot.collectors.trajectory import EpisodeMeta, TrajectoryWriter
from deskpilot.envs.actions import Action, ActionType
from deskpilot.envs.desktop.capture import Region

REGION = Region(0, 0, 8, 6)


class FakeScreen:
    """A screen whose content is a number; grabbing advances the clock by 5 ms."""

    def __init__(self) -> None:
        self.now = 0.0
        self.content = 0

    def clock(self) -> float:
        return self.now

    def grab(self) -> np.ndarray:
        self.now += 0.005
        return np.full((REGION.height, REGION.width, 3), self.content, np.uint8)


@pytest.fixture
def rig(tmp_path: Path) -> tuple[FakeScreen, StepMaker]:
    screen = FakeScreen()
    frames = FrameRing(screen.grab, size=4, guard=0.01, clock=screen.clock)
    writer = TrajectoryWriter(tmp_path, "ep", EpisodeMeta("t", "human", (3, 4)))
    folder = EventFolder(REGION, FoldingConfig(double_click_interval=0.5))
    return screen, StepMaker(folder, frames, writer, t0=0.0)


def shown(steps: StepMaker) -> list[tuple[ActionType, int]]:
    steps.writer.close()
    traj = read_trajectory(steps.writer.dir, allow_partial=True)
    return [(s.action.type, int(s.screenshot[0, 0, 0])) for s in traj.steps]


def at(screen: FakeScreen, t: float, content: int | None = None) -> float:
    screen.now = t
    if content is not None:
        screen.content = content
    return t


def test_ring_before_respects_the_guard_and_wait_for() -> None:
    screen = FakeScreen()
    ring = FrameRing(screen.grab, size=2, guard=0.01, clock=screen.clock)
    assert ring.before(10.0) is None
    screen.content = 1
    ring.grab()  # ends at 0.005
    assert ring.before(0.012) is None  # within the guard: might show the reaction
    assert int(ring.before(0.02)[0, 0, 0]) == 1  # type: ignore[index]
    assert ring.wait_for(after=0.0, timeout=0.0) is False  # not old enough yet at 0.005
    screen.now = 1.0
    assert ring.wait_for(after=0.0, timeout=0.0) is True
    ring.clear()
    assert ring.before(10.0) is None


def test_each_step_gets_the_screen_from_before_its_first_event(rig: tuple[FakeScreen, StepMaker]) -> None:
    screen, steps = rig
    ring = steps.frames
    at(screen, 0.0, content=10)
    ring.grab()
    # a click at 1.0; the app reacts (content 11) and the idle recorder grabs that at 1.2
    steps.event(ButtonEvent(2, 2, "left", True, at(screen, 1.0)))
    steps.event(ButtonEvent(2, 2, "left", False, at(screen, 1.05, content=11)))
    at(screen, 1.2)
    ring.grab()
    steps.tick(at(screen, 1.6))  # the double-click window is over: the click is written
    # a double-click starting at 2.0, with a grab between its two clicks showing the first's effect
    steps.event(ButtonEvent(2, 2, "left", True, at(screen, 2.0)))
    steps.event(ButtonEvent(2, 2, "left", False, at(screen, 2.05, content=12)))
    at(screen, 2.1)
    ring.grab()
    steps.event(ButtonEvent(2, 2, "left", True, at(screen, 2.2)))
    steps.event(ButtonEvent(2, 2, "left", False, at(screen, 2.25, content=13)))
    at(screen, 2.5)
    ring.grab()
    # typing: pinned at the first key, even though the screen changes with every key and is grabbed
    for i, c in enumerate("abc"):
        steps.event(KeyEvent(38 + i, c, c, True, at(screen, 3.0 + i / 10, content=20 + i)))
        steps.event(KeyEvent(38 + i, c, None, False, at(screen, 3.02 + i / 10)))
        ring.grab()
    steps.event(KeyEvent(36, "enter", None, True, at(screen, 4.0)))  # ends the TYPE; KEY at once
    steps.flush()
    assert shown(steps) == [
        (ActionType.CLICK, 10),
        (ActionType.DOUBLE_CLICK, 11),
        (ActionType.TYPE, 13),
        (ActionType.KEY, 22),
    ]


def test_no_frame_before_the_action_grabs_now(
    rig: tuple[FakeScreen, StepMaker], caplog: pytest.LogCaptureFixture
) -> None:
    screen, steps = rig
    steps.event(KeyEvent(36, "enter", None, True, at(screen, 1.0, content=7)))
    assert shown(steps) == [(ActionType.KEY, 7)]
    assert "grabbing now" in caplog.text


def test_erased_text_unpins_and_steps_are_resized(rig: tuple[FakeScreen, StepMaker]) -> None:
    screen, steps = rig
    at(screen, 0.0, content=1)
    steps.frames.grab()
    steps.event(KeyEvent(38, "a", "a", True, at(screen, 1.0)))
    steps.event(KeyEvent(22, "backspace", None, True, at(screen, 1.1)))
    assert steps._pinned == {}
    at(screen, 1.2, content=2)
    steps.frames.grab()
    steps.event(KeyEvent(39, "b", "b", True, at(screen, 2.0)))
    steps.flush()
    steps.writer.close()
    traj = read_trajectory(steps.writer.dir, allow_partial=True)
    assert traj.actions == [Action.type_text("b")]
    assert traj.steps[0].screenshot.shape == (3, 4, 3) and int(traj.steps[0].screenshot[0, 0, 0]) == 2
    assert traj.steps[0].time == pytest.approx(2.0)
