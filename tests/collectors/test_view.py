"""Rendering an episode: one GIF frame per step, an HTML page, markers where the actions point."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from deskpilot.collectors.reading import read_trajectory
from deskpilot.collectors.trajectory import EpisodeMeta, TrajectoryWriter
from deskpilot.collectors.view import MARKER_COLORS, render_frames, view
from deskpilot.envs.actions import Action, ActionType, to_pixel
from deskpilot.scripts.cli import main

H, W = 210, 160
SCALE = 2  # 160 px wide observations are drawn twice as large
ACTIONS = [
    Action.click(0.25, 0.5),
    Action.double_click(0.7, 0.2),
    Action.right_click(0.5, 0.9),
    Action.drag(0.1, 0.1, 0.8, 0.6),
    Action.scroll_at(0.6, 0.4, 3),
    Action.type_text("hello"),
    Action.press("ctrl+a"),
]


@pytest.fixture
def episode(tmp_path: Path) -> Path:
    writer = TrajectoryWriter(tmp_path, "ep", EpisodeMeta("draw me", "human", (H, W)))
    for i, action in enumerate(ACTIONS):
        shot = np.full((H, W, 3), 200, np.uint8)  # light grey, unlike every marker colour
        writer.add_step(shot, action, time=float(i))
    return writer.finish(True, 1.0)


def marker_pixel(x: float, y: float) -> tuple[int, int]:
    return to_pixel(x, W) * SCALE + SCALE // 2, to_pixel(y, H) * SCALE + SCALE // 2


def near(pixel: np.ndarray, color: tuple[int, int, int], tol: int = 0) -> bool:
    return bool(np.abs(pixel.astype(int) - np.array(color)).max() <= tol)


def check_markers(frames: list[np.ndarray], tol: int) -> None:
    for frame, action in zip(frames, ACTIONS, strict=True):
        assert frame.shape[:2][1] == W * SCALE
        if action.point is None:
            assert near(frame[H * SCALE // 2, W * SCALE // 2], (200, 200, 200), tol)  # nothing drawn
            continue
        x, y = marker_pixel(*action.point)
        color = MARKER_COLORS[action.type]
        assert near(frame[y, x], color, tol), (action, frame[y, x])
        if action.type is ActionType.DRAG:  # the arrow reaches the release point
            assert action.end is not None
            ex, ey = marker_pixel(*action.end)
            assert near(frame[ey, ex], color, tol)
        if action.type is ActionType.SCROLL:  # the arrow points down, not up
            assert near(frame[y + 8 * SCALE, x], color, tol) and not near(frame[y - 8 * SCALE, x], color, tol)


def test_frames_draw_markers_where_actions_point(episode: Path) -> None:
    frames = [np.asarray(f) for f in render_frames(read_trajectory(episode))]
    assert len(frames) == len(ACTIONS)
    check_markers(frames, tol=0)
    # the caption bar under the screenshot carries text
    assert (frames[5][H * SCALE :] > 128).any()


def test_gif_has_one_frame_per_step(episode: Path, tmp_path: Path) -> None:
    out = view(episode, tmp_path / "ep.gif")
    frames = []
    with Image.open(out) as gif:
        assert gif.format == "GIF" and gif.n_frames == len(ACTIONS)
        for i in range(gif.n_frames):
            gif.seek(i)
            frames.append(np.asarray(gif.convert("RGB")))
    check_markers(frames, tol=24)  # the GIF palette may shift colours a little


def test_html_page_embeds_every_step(episode: Path, tmp_path: Path) -> None:
    assert main(["view", str(episode), "--out", str(tmp_path / "ep.html")]) == 0
    page = (tmp_path / "ep.html").read_text(encoding="utf-8")
    images = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", page)
    assert len(images) == len(ACTIONS)
    assert "draw me" in page and "&#x27;hello&#x27;" in page and "ctrl+a" in page

    frames = [np.asarray(Image.open(io.BytesIO(base64.b64decode(b))).convert("RGB")) for b in images]
    check_markers(frames, tol=0)


def test_partial_episodes_render_and_bad_suffix_is_refused(tmp_path: Path) -> None:
    writer = TrajectoryWriter(tmp_path, "p", EpisodeMeta("t", "human", (H, W)))
    writer.add_step(np.zeros((H, W, 3), np.uint8), Action.click(0.5, 0.5))
    writer.close()
    assert view(tmp_path / "p.partial", tmp_path / "p.gif").exists()
    with pytest.raises(ValueError, match=r"\.gif or \.html"):
        view(tmp_path / "p.partial", tmp_path / "p.png")
