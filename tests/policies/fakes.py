"""Hand-made annotated trajectories for the policy tests (no env needed)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from deskpilot.collectors.trajectory import EpisodeMeta, Step, Trajectory
from deskpilot.envs.actions import Action

H, W = 210, 160
WORDS = ["ok", "save", "kiwi", "plum", "exit", "zebra", "fig", "lime"]


def _screen(elements: list[dict], shade: int) -> np.ndarray:
    image = Image.new("RGB", (W, H), (shade, shade, shade))
    draw = ImageDraw.Draw(image)
    for e in elements:
        x0, y0, x1, y1 = e["box"]
        draw.rectangle((x0 * W, y0 * H, x1 * W - 1, y1 * H - 1), fill=(200, 200, 200), outline=(0, 0, 0))
        draw.text((x0 * W + 2, y0 * H + 2), e["label"], fill=(0, 0, 0))
    return np.asarray(image)


def _buttons(rng: np.random.Generator, n: int) -> list[dict]:
    words = rng.choice(WORDS, n, replace=False)
    rows = rng.choice(6, n, replace=False)
    return [
        {
            "box": [0.1 + 0.4 * (i % 2), 0.1 + 0.14 * r, 0.45 + 0.4 * (i % 2), 0.2 + 0.14 * r],
            "label": str(w),
            "role": "button",
        }
        for i, (w, r) in enumerate(zip(words, rows, strict=True))
    ]


def _centre(e: dict) -> tuple[float, float]:
    x0, y0, x1, y1 = e["box"]
    return (x0 + x1) / 2, (y0 + y1) / 2


def make_episode(kind: str, seed: int) -> Trajectory:
    """One annotated episode of ``kind`` (click, form, scroll, drag)."""
    rng = np.random.default_rng(seed)
    els = _buttons(rng, 3)
    target, other = els[0], els[1]
    if kind == "click":
        task = f"Click the button '{target['label']}'."
        actions = [Action.click(*_centre(target)), Action.done()]
    elif kind == "form":
        word = str(rng.choice(WORDS))
        task = f"Type '{word}' into '{target['label']}' and press Enter."
        actions = [Action.click(*_centre(target)), Action.type_text(word), Action.press("enter")]
    elif kind == "scroll":
        ticks = int(rng.choice([-3, 2, 5]))
        task = f"Scroll '{target['label']}' by {ticks}."
        actions = [Action.scroll_at(*_centre(target), ticks), Action.wait()]
    else:
        task = f"Drag '{target['label']}' onto '{other['label']}'."
        actions = [Action.drag(*_centre(target), *_centre(other)), Action.press("ctrl+s")]
    steps = [Step(_screen(els, 240 - 10 * i), a, {"elements": els}) for i, a in enumerate(actions)]
    meta = EpisodeMeta(task=task, source="expert", obs_size=(H, W), env_id=f"test/{kind}", seed=seed)
    return Trajectory(meta, steps, success=True, reward=1.0)


def make_episodes(n: int, seed: int = 0) -> list[Trajectory]:
    kinds = ["click", "form", "scroll", "drag"]
    return [make_episode(kinds[i % 4], seed * 1000 + i) for i in range(n)]
