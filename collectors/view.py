"""Pictures of an episode: each action drawn on the screenshot it was taken from.

``render_frames`` draws every step (a ring for a click, two rings for a double-click, a square for
a right-click, an arrow for a drag, a vertical arrow for a scroll, and a caption with the step, the
action and any typed text or key). ``write_gif`` and ``write_html`` save them as an animated GIF
(one frame per step) or a self-contained HTML page with the frames embedded as PNG data URIs;
``view`` picks one from the output's suffix.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from deskpilot.collectors.reading import read_trajectory
from deskpilot.collectors.trajectory import Step, Trajectory
from deskpilot.envs.actions import Action, ActionType, to_pixel

__all__ = ["MARKER_COLORS", "render_frames", "view", "write_gif", "write_html"]

MARKER_COLORS: dict[ActionType, tuple[int, int, int]] = {
    ActionType.CLICK: (255, 0, 0),
    ActionType.DOUBLE_CLICK: (255, 0, 255),
    ActionType.RIGHT_CLICK: (255, 140, 0),
    ActionType.DRAG: (0, 200, 0),
    ActionType.SCROLL: (0, 120, 255),
}
"""Colour of each pointer action's marker; the marker's centre pixel has exactly this colour."""
_CAPTION_BG, _CAPTION_FG = (32, 32, 32), (255, 255, 255)
_MIN_WIDTH = 320  # small observations are enlarged (nearest neighbour) to at least this width


def _scale_for(width: int) -> int:
    return max(1, math.ceil(_MIN_WIDTH / width))


def _caption(index: int, total: int, step: Step) -> str:
    a = step.action
    if a.type is ActionType.TYPE:
        what = f"TYPE {a.text!r}"
    elif a.type is ActionType.KEY:
        what = f"KEY {a.key}"
    elif a.type is ActionType.SCROLL:
        what = f"SCROLL {a.scroll:+d} ({'down' if (a.scroll or 0) > 0 else 'up'})"
    else:
        what = a.type.name
    return f"{index + 1}/{total}  t={step.time:.2f}s  {what}"


def _arrow(
    draw: ImageDraw.ImageDraw,
    start: tuple[int, int],
    end: tuple[int, int],
    color: tuple[int, ...],
    width: int,
) -> None:
    draw.line([start, end], fill=color, width=width)
    angle = math.atan2(end[1] - start[1], end[0] - start[0])
    size = 4 * width + 4
    for side in (-0.45, 0.45):
        tip = (end[0] - size * math.cos(angle + side), end[1] - size * math.sin(angle + side))
        draw.line([end, tip], fill=color, width=width)


def _marker(draw: ImageDraw.ImageDraw, action: Action, size: tuple[int, int], scale: int) -> None:
    """Draw a pointer action; its centre pixel is painted with exactly ``MARKER_COLORS[type]``."""
    if action.point is None:
        return
    w, h = size

    def px(x: float, y: float) -> tuple[int, int]:
        return to_pixel(x, w) * scale + scale // 2, to_pixel(y, h) * scale + scale // 2

    color = MARKER_COLORS[action.type]
    cx, cy = px(*action.point)
    r, lw = 4 * scale + 2, max(2, scale)
    if action.type is ActionType.DRAG and action.end is not None:
        _arrow(draw, (cx, cy), px(*action.end), color, lw)
    elif action.type is ActionType.SCROLL:
        length = (6 + 2 * min(abs(action.scroll or 0), 10)) * scale
        _arrow(draw, (cx, cy), (cx, cy + (length if (action.scroll or 0) > 0 else -length)), color, lw)
    elif action.type is ActionType.RIGHT_CLICK:
        draw.rectangle([cx - r, cy - r, cx + r, cy + r], outline=color, width=lw)
    else:
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=color, width=lw)
        if action.type is ActionType.DOUBLE_CLICK:
            r2 = r + 2 * lw + 1
            draw.ellipse([cx - r2, cy - r2, cx + r2, cy + r2], outline=color, width=lw)
    dot = max(1, scale)
    draw.rectangle([cx - dot, cy - dot, cx + dot, cy + dot], fill=color)


def render_frames(trajectory: Trajectory) -> list[Image.Image]:
    """One RGB image per step: the screenshot (enlarged when small), the marker and a caption."""
    steps = trajectory.steps
    if not steps:
        raise ValueError(f"episode {trajectory.task!r} has no steps to draw")
    font = ImageFont.load_default()
    frames = []
    for i, step in enumerate(steps):
        h, w = step.screenshot.shape[:2]
        scale = _scale_for(w)
        shot = Image.fromarray(step.screenshot).resize((w * scale, h * scale), Image.Resampling.NEAREST)
        caption_h = 34
        frame = Image.new("RGB", (shot.width, shot.height + caption_h), _CAPTION_BG)
        frame.paste(shot, (0, 0))
        draw = ImageDraw.Draw(frame)
        _marker(draw, step.action, (w, h), scale)
        draw.text((4, shot.height + 3), _caption(i, len(steps), step), fill=_CAPTION_FG, font=font)
        draw.text((4, shot.height + 18), trajectory.task[:80], fill=(180, 180, 180), font=font)
        frames.append(frame)
    return frames


def write_gif(frames: Sequence[Image.Image], path: Path | str, seconds_per_step: float = 1.0) -> Path:
    """Save ``frames`` as a looping animated GIF, one frame per step."""
    path = Path(path)
    first, *rest = frames
    first.save(
        path,
        format="GIF",
        save_all=True,
        append_images=rest,
        duration=int(seconds_per_step * 1000),
        loop=0,
        disposal=1,
        optimize=False,
    )
    return path


def write_html(trajectory: Trajectory, frames: Sequence[Image.Image], path: Path | str) -> Path:
    """Save a self-contained page: the episode's metadata, then each step's frame (embedded PNG)."""
    path = Path(path)
    meta = trajectory.meta
    outcome = "unfinished" if trajectory.success is None else ("success" if trajectory.success else "failure")
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(meta.task)}</title>",
        "<style>body{font-family:sans-serif;background:#eee}figure{display:inline-block;margin:8px;"
        "background:#fff;padding:6px}figcaption{font-family:monospace;max-width:640px}</style></head><body>",
        f"<h1>{html.escape(meta.task)}</h1>",
        f"<p>source: {html.escape(meta.source)} &middot; {len(trajectory.steps)} steps &middot; {outcome}"
        f" &middot; recorded {html.escape(meta.created)}</p>",
    ]
    for i, (step, frame) in enumerate(zip(trajectory.steps, frames, strict=True)):
        buf = io.BytesIO()
        frame.save(buf, format="PNG")
        data = base64.b64encode(buf.getvalue()).decode("ascii")
        parts.append(
            f"<figure id='step-{i}'><img alt='step {i}' src='data:image/png;base64,{data}'>"
            f"<figcaption>{html.escape(_caption(i, len(trajectory.steps), step))}<br>"
            f"{html.escape(str(step.action))}</figcaption></figure>"
        )
    parts.append("</body></html>\n")
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def view(episode: Path | str, out: Path | str, seconds_per_step: float = 1.0) -> Path:
    """Render the episode folder ``episode`` (finished or ``.partial``) to ``out`` (.gif or .html)."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".gif", ".html", ".htm"):
        # Checked before the episode is read: a wrong name should not cost a render.
        got = f"a {suffix} file" if suffix else "a name without a suffix"
        raise ValueError(f"{out}: cannot write {got}; expected a .gif or .html file name")
    trajectory = read_trajectory(episode, allow_partial=True)
    frames = render_frames(trajectory)
    if suffix == ".gif":
        return write_gif(frames, out, seconds_per_step)
    return write_html(trajectory, frames, out)
