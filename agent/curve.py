"""Held-out success against training minutes: one demo run per budget, a JSON table and a PNG plot.

``deskpilot demo --curve 5,10,20,30,60,120`` runs the demo once per budget (each from scratch, with
its own learning-rate schedule fitted to its budget, as a user with that much time would run it)
and draws mean and worst-task success against minutes. Runs that finished are read back from their
``eval.json``, so an interrupted curve resumes where it stopped.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from deskpilot.agent.pipeline import DemoConfig, run_demo

__all__ = ["draw_curve", "learning_curve"]


def learning_curve(
    config: DemoConfig, minutes: Sequence[float], log: Callable[[str], None] = print
) -> list[dict[str, Any]]:
    """One demo per budget in ``minutes`` under ``config.out / f"{m:g}min"``; rows for the plot.

    Each row: minutes, mean and worst-task success, and per-task success. Also writes
    ``curve.json`` and ``curve.png`` in ``config.out``.
    """
    rows = []
    for m in sorted(minutes):
        out = config.out / f"{m:g}min"
        saved = out / "eval" / "eval.json"
        if not saved.exists():
            run_demo(dataclasses.replace(config, out=out, minutes=m), log=log)
        report = json.loads(saved.read_text())
        tasks = {t["env_id"]: t["success_rate"] for t in report["tasks"]}
        rows.append(
            {"minutes": m, "mean": report["mean_success"], "worst": min(tasks.values()), "tasks": tasks}
        )
        log(f"curve: {m:g} min -> mean {report['mean_success']:.1%}, worst task {min(tasks.values()):.1%}")
    config.out.mkdir(parents=True, exist_ok=True)
    (config.out / "curve.json").write_text(json.dumps(rows, indent=1) + "\n")
    draw_curve(rows, config.out / "curve.png", title=f"deskpilot demo ({config.env}, '{config.config}')")
    return rows


def draw_curve(rows: Sequence[dict[str, Any]], path: Path, title: str = "") -> Path:
    """A line plot (Pillow only) of mean and worst-task success against training minutes.

    The x axis is logarithmic in minutes, since budgets double from one point to the next.
    """
    import math

    from PIL import Image, ImageDraw, ImageFont

    w, h, left, right, top, bottom = 720, 420, 70, 30, 50, 60
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    font = ImageFont.load_default()
    xs = [math.log(r["minutes"]) for r in rows]
    x0, x1 = (min(xs), max(xs)) if len(xs) > 1 and min(xs) < max(xs) else (xs[0] - 1, xs[0] + 1)

    def px(x: float, y: float) -> tuple[float, float]:
        return (
            left + (x - x0) / (x1 - x0) * (w - left - right),
            top + (1.0 - y) * (h - top - bottom),
        )

    for tick in range(0, 101, 20):  # horizontal grid lines at 0, 20, ..., 100 %
        y = px(x0, tick / 100)[1]
        d.line([(left, y), (w - right, y)], fill=(225, 225, 225))
        d.text((left - 40, y - 6), f"{tick}%", fill="black", font=font)
    for r, x in zip(rows, xs, strict=True):
        gx = px(x, 0)[0]
        d.line([(gx, top), (gx, h - bottom)], fill=(235, 235, 235))
        d.text((gx - 10, h - bottom + 8), f"{r['minutes']:g}", fill="black", font=font)
    d.text((w / 2 - 70, h - bottom + 28), "training minutes (log scale)", fill="black", font=font)
    d.text((left, 15), title, fill="black", font=font)
    d.rectangle([left, top, w - right, h - bottom], outline="black")
    for key, colour in (("mean", (31, 119, 180)), ("worst", (214, 39, 40))):
        points = [px(x, r[key]) for r, x in zip(rows, xs, strict=True)]
        if len(points) > 1:
            d.line(points, fill=colour, width=3)
        for x, y in points:
            d.ellipse([x - 4, y - 4, x + 4, y + 4], fill=colour)
    legend_y = 12  # above the plot, beside the title
    for key, colour in (("mean over tasks", (31, 119, 180)), ("worst task", (214, 39, 40))):
        d.line([(w - right - 130, legend_y + 6), (w - right - 110, legend_y + 6)], fill=colour, width=3)
        d.text((w - right - 104, legend_y), key, fill="black", font=font)
        legend_y += 16
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return path
