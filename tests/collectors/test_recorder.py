"""The recorder on a real X server: a script drives the Tk app with xdotool as a person would."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from deskpilot.collectors.folding import FoldingConfig
from deskpilot.collectors.reading import read_trajectory
from deskpilot.collectors.recorder import Recorder, RecorderConfig
from deskpilot.envs.actions import Action, from_pixel
from deskpilot.envs.desktop.capture import Region, ScreenCapture, wait_until_stable

pytestmark = pytest.mark.display
REPO = Path(__file__).resolve().parents[2]


def xdo(*args: str) -> None:
    subprocess.run(["xdotool", *args], check=True, timeout=10)


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout} s")
        time.sleep(0.02)  # polling interval of a condition wait


@pytest.fixture
def app_region(tk_app) -> Region:  # type: ignore[no-untyped-def]
    return Region(*tk_app.geometry["window"])


@pytest.fixture
def recorder(tk_app, app_region: Region, tmp_path: Path) -> Iterator[Recorder]:  # type: ignore[no-untyped-def]
    config = RecorderConfig(
        task="exercise the test app",
        out=tmp_path,
        region=app_region,
        obs_size=(app_region.height, app_region.width),  # no resizing: screenshots compare exactly
        success=True,
        folding=FoldingConfig(double_click_interval=0.4, scroll_gap=0.3),
        episode_id="ep",
    )
    rec = Recorder(config)
    rec.start()
    yield rec
    if rec._worker.is_alive():
        rec.stop("discarded")
        rec.wait()


def test_recorded_actions_are_the_intended_ones_with_pre_action_screens(
    tk_app, recorder: Recorder, app_region: Region, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    r = app_region
    geo = tk_app.geometry

    def norm(x: int, y: int) -> tuple[float, float]:
        return from_pixel(x - r.left, r.width), from_pixel(y - r.top, r.height)

    capture = ScreenCapture(r)
    references: list[np.ndarray] = []

    def settle() -> None:
        """Wait until the app has redrawn and the recorder holds a screenshot of that, then keep ours."""
        wait_until_stable(capture, timeout=1.0, quiet=0.1)
        assert recorder.wait_for_frame(time.monotonic(), timeout=5)
        references.append(capture.grab())

    def seen(kind: str, since: int, **fields: object) -> int:
        tk_app.wait_for(
            lambda e: e["type"] == kind and all(e.get(k) == v for k, v in fields.items()), 5, since
        )
        return len(tk_app.events)

    def steps(n: int) -> None:
        assert recorder.wait_for_steps(n, timeout=5), f"only {recorder.num_steps} steps written, expected {n}"

    expected: list[Action] = []
    # 0: click the button (it turns the swatch red)
    bx, by = tk_app.center("button")
    settle()
    n = len(tk_app.events)
    xdo("mousemove", str(bx), str(by), "click", "1")
    seen("drawn", n)
    expected.append(Action.click(*norm(bx, by)))
    steps(1)  # the click is final once the double-click interval has passed
    # 1: double-click a list item
    lx, ly, lw, lh = geo["list"]
    px, py = lx + 30, ly + 12
    settle()
    n = len(tk_app.events)
    xdo("mousemove", str(px), str(py), "click", "--repeat", "2", "--delay", "80", "1")
    seen("double", n)
    expected.append(Action.double_click(*norm(px, py)))
    steps(2)
    # 2: three wheel ticks down on the list
    settle()
    n = len(tk_app.events)
    xdo("click", "--repeat", "3", "--delay", "30", "5")
    seen("list_view", n)
    wait_until(lambda: sum(e["type"] == "scroll" for e in tk_app.events[n:]) == 3, 5, "three scroll ticks")
    expected.append(Action.scroll_at(*norm(px, py), 3))
    steps(3)
    # 3: drag on the canvas
    cx, cy, cw, ch = geo["canvas"]
    start, end = (cx + 20, cy + 20), (cx + 150, cy + 100)
    settle()
    n = len(tk_app.events)
    xdo("mousemove", *map(str, start), "mousedown", "1", "mousemove", str(start[0] + 40), str(start[1] + 30))
    xdo("mousemove", *map(str, end), "mouseup", "1")
    seen("drag_release", n)
    expected.append(Action.drag(*norm(*start), *norm(*end)))
    steps(4)
    # 4: click into the entry; 5: type with a correction and capitals
    ex, ey = tk_app.center("entry")
    settle()
    xdo("mousemove", str(ex), str(ey), "click", "1")
    expected.append(Action.click(*norm(ex, ey)))
    steps(5)
    settle()
    n = len(tk_app.events)
    xdo("type", "--delay", "30", "helo")
    xdo("key", "BackSpace")
    xdo("type", "--delay", "30", "lo World")
    seen("entry", n, text="hello World")
    expected.append(Action.type_text("hello World"))
    # 6: a hotkey (it also ends the typing)
    settle()
    n = len(tk_app.events)
    xdo("key", "ctrl+a")
    seen("key", n, keysym="a", ctrl=True)
    expected.append(Action.press("ctrl+a"))
    steps(7)
    # pause, type a password, resume: nothing of it may be kept
    n = len(tk_app.events)
    xdo("key", "F8")
    wait_until(lambda: recorder.paused, 5, "pause")
    xdo("type", "--delay", "20", "secret")
    seen("key", n, keysym="t")
    xdo("key", "F8")
    wait_until(lambda: not recorder.paused, 5, "resume")
    # 7: typing after the resume, with a shifted symbol whose release X may name differently
    settle()
    n = len(tk_app.events)
    xdo("type", "--delay", "30", "!ok")
    seen("key", n, keysym="k")
    expected.append(Action.type_text("!ok"))
    # 8: right-click on the canvas posts a menu; 9: escape closes it
    rx, ry = cx + 30, cy + 30
    settle()
    n = len(tk_app.events)
    xdo("mousemove", str(rx), str(ry), "click", "3")
    seen("menu", n)
    expected.append(Action.right_click(*norm(rx, ry)))
    steps(9)
    settle()
    xdo("key", "Escape")
    expected.append(Action.press("escape"))
    steps(10)
    # 10: the stop key of a success adds DONE on the final screen (the menu closed)
    settle()
    xdo("key", "F9")
    expected.append(Action.done())
    result = recorder.wait()
    capture.close()

    assert result.status == "saved" and result.success is True
    traj = read_trajectory(tmp_path / "ep")
    assert traj.actions == expected
    assert traj.meta.source == "human" and traj.meta.screen == {
        "left": r.left,
        "top": r.top,
        "width": r.width,
        "height": r.height,
    }
    assert not any("secret" in (a.text or "") or "f8" in (a.key or "") for a in traj.actions)
    assert traj.meta.extra["stopped_by"] == "stop_key"

    # Each step's screenshot is the screen before its action: the test's own grab taken then.
    # The entry's blinking cursor is masked out; the entry's content is checked on its own.
    x0, y0, w, h = geo["entry"]
    mask = np.ones((r.height, r.width), bool)
    mask[y0 - r.top : y0 - r.top + h, x0 - r.left : x0 - r.left + w] = False
    assert len(references) == len(traj.steps)
    for i, (step, ref) in enumerate(zip(traj.steps, references, strict=True)):
        assert np.array_equal(step.screenshot[mask], ref[mask]), (
            f"step {i} ({step.action}) is not the pre-action screen"
        )

    def swatch(image: np.ndarray) -> tuple[int, ...]:
        sx, sy = tk_app.center("swatch")
        return tuple(int(v) for v in image[sy - r.top, sx - r.left])

    def entry_ink(image: np.ndarray) -> int:  # dark pixels inside the entry (text; a cursor is 1-2 px wide)
        return int(
            (image[y0 - r.top + 3 : y0 - r.top + h - 3, x0 - r.left + 3 : x0 - r.left + w - 3] < 80)
            .all(-1)
            .sum()
        )

    shots = traj.screenshots
    assert swatch(shots[0]) == (128, 128, 128) and swatch(shots[1]) == (255, 0, 0)
    list_box = np.s_[ly - r.top : ly - r.top + lh, lx - r.left : lx - r.left + lw]
    assert not np.array_equal(shots[1][list_box], shots[2][list_box])  # selected by the double-click
    assert not np.array_equal(shots[2][list_box], shots[3][list_box])  # scrolled
    assert entry_ink(shots[5]) < 40 < entry_ink(shots[6])  # empty before typing, text before ctrl+a


def _start_cli(
    tmp_path: Path, region: Region, outcome: tuple[str, ...] = ("--success",)
) -> subprocess.Popen[bytes]:
    log = open(tmp_path / "record.log", "wb")  # noqa: SIM115 - the process owns it
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "deskpilot.scripts.cli",
            "record",
            "--task",
            "press the button",
            "--out",
            str(tmp_path / "data"),
            "--region",
            f"{region.left},{region.top},{region.width},{region.height}",
            "--episode-id",
            "ep",
            *outcome,
            "--double-click",
            "0.3",
        ],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    wait_until(
        lambda: b"recording Region" in (tmp_path / "record.log").read_bytes() or proc.poll() is not None,
        20,
        "recorder start",
    )
    assert proc.poll() is None, (tmp_path / "record.log").read_text()
    return proc


def _two_steps(tk_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    steps = tmp_path / "data" / "ep.partial" / "steps.jsonl"
    bx, by = tk_app.center("button")
    xdo("mousemove", str(bx), str(by), "click", "1")
    xdo("key", "Return")  # ends the pending click at once
    wait_until(lambda: steps.exists() and steps.read_bytes().count(b"\n") == 2, 10, "two steps on disk")


def test_sigterm_keeps_every_finished_step(tk_app, app_region: Region, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    proc = _start_cli(tmp_path, app_region)
    _two_steps(tk_app, tmp_path)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0, (tmp_path / "record.log").read_text()
    traj = read_trajectory(tmp_path / "data" / "ep")
    assert [a.type.name for a in traj.actions] == ["CLICK", "KEY"]
    assert traj.success is False and traj.meta.extra["stopped_by"] == "signal"
    # A signal cuts the recording short: the last step says truncated, nothing earned.
    assert [(s.reward, s.terminated, s.truncated) for s in traj.steps] == [
        (0, False, False),
        (0, False, True),
    ]
    assert traj.screenshots[0].shape == (210, 160, 3)


def test_kill_9_leaves_a_readable_partial_episode(tk_app, app_region: Region, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    proc = _start_cli(tmp_path, app_region)
    _two_steps(tk_app, tmp_path)
    proc.kill()
    proc.wait(timeout=10)
    traj = read_trajectory(tmp_path / "data" / "ep.partial", allow_partial=True)
    assert [a.type.name for a in traj.actions] == ["CLICK", "KEY"] and traj.success is None


def _in_process(app_region: Region, tmp_path: Path, ask: Callable[[], bool] | None = None) -> Recorder:
    config = RecorderConfig(task="t", out=tmp_path, region=app_region, episode_id="ep", success=None)
    rec = Recorder(config, ask_success=ask)
    rec.start()
    return rec


def test_discard_key_deletes_the_episode(tk_app, app_region: Region, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rec = _in_process(app_region, tmp_path)
    xdo("mousemove", *map(str, tk_app.center("button")), "click", "1")
    xdo("key", "Return")
    assert rec.wait_for_steps(2, timeout=5)
    xdo("key", "F7")
    result = rec.wait()
    assert result.status == "discarded" and result.path is None
    assert list(tmp_path.iterdir()) == []


def test_stop_key_asks_for_the_outcome_when_no_flag_was_given(
    tk_app, app_region: Region, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    asked = []
    rec = _in_process(app_region, tmp_path, ask=lambda: asked.append(True) or True)
    xdo("key", "Tab")
    assert rec.wait_for_steps(1, timeout=5)
    xdo("key", "F9")
    result = rec.wait()
    assert asked == [True] and result.success is True
    assert not any(listener.is_alive() for listener in rec._listeners)  # no thread outlives the recording
    traj = read_trajectory(tmp_path / "ep")
    assert traj.actions == [Action.press("tab"), Action.done()] and traj.success is True
    assert [(s.reward, s.terminated, s.truncated) for s in traj.steps] == [
        (0.0, False, False),
        (1.0, True, False),  # the DONE a success ends with
    ]


def test_without_success_or_a_terminal_the_last_line_says_not_successful_and_how_to_change_it(
    tk_app, app_region: Region, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    proc = _start_cli(tmp_path, app_region, outcome=())
    _two_steps(tk_app, tmp_path)
    xdo("key", "F9")
    assert proc.wait(timeout=15) == 0
    last = (tmp_path / "record.log").read_text().strip().splitlines()[-1]
    assert "NOT successful" in last and "--success" in last, last
    traj = read_trajectory(tmp_path / "data" / "ep")
    assert traj.success is False and traj.meta.extra["success_unknown"] is True
    assert [a.type.name for a in traj.actions] == ["CLICK", "KEY"]  # no DONE: nobody said it was done
