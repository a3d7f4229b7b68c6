"""Colour drills: click-color's boxes and click-shades' squares, drawn with Pillow.

click-color names a colour (in words, or as a swatch in the instruction) and shows four boxes of
thirteen CSS colours; click-shades asks for every square of one hue among twelve shades of red,
green and blue. 200 episodes of each show a few hundred colours, and the policy learns which words
and swatches go with which pixels from them alone. These pages are the tasks' own layouts (boxes,
squares and buttons where Chromium puts them, measured on the pages), colours drawn fresh every
episode, with the DOM rows the visual kits' experts read, so each task's expert solves its drill
unchanged. ``envs.miniwob.drill_env`` plays them.
"""

from __future__ import annotations

import colorsys
from typing import Any

import numpy as np

from deskpilot.envs.miniwob import drill_page as dp
from deskpilot.envs.miniwob.tasks.visual import CSS_COLOURS

__all__ = ["ColourPage", "ShadesPage", "hsl"]

Element = dict[str, Any]
Rendered = tuple[np.ndarray, list[Element], list[Element]]

# click-color's colours (``click-color.html``), as the browser renders their CSS names.
CSS: dict[str, tuple[int, int, int]] = {
    name: CSS_COLOURS[name]
    for name in [
        "red",
        "blue",
        "olive",
        "lime",
        "black",
        "white",
        "grey",
        "purple",
        "orange",
        "yellow",
        "cyan",
        "pink",
        "magenta",
    ]
}
_BOXES = ((23, 77, 75, 129), (85, 77, 137, 129), (23, 141, 75, 193), (85, 141, 137, 193))  # 50 px + border
_HUES = {"red": 0, "green": 120, "blue": 240}  # click-shades' hues
_SUBMIT = (42.515625, 171.0, 138.0, 202.0)  # click-shades' Submit, floated right


def hsl(hue: float, saturation: float, lightness: float) -> tuple[int, int, int]:
    """CSS ``hsl(hue, saturation%, lightness%)`` as the browser renders it (0-255 channels)."""
    r, g, b = colorsys.hls_to_rgb(hue / 360, lightness / 100, saturation / 100)
    return round(r * 255), round(g * 255), round(b * 255)


class ColourPage:
    """click-color: four boxes of distinct colours; the named or shown one is right."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.colours = [str(c) for c in rng.choice(list(CSS), size=4, replace=False)]
        self.answer = self.colours[int(rng.integers(4))]
        self.in_words = bool(rng.random() < 0.4)  # the page words it 40% of the time, else a swatch
        self.task = (
            f"Click on the {self.answer} colored box." if self.in_words else "Click on the colored box."
        )
        self.weight = dp.gamma(rng)

    def render(self) -> Rendered:
        """The page as it is (screenshot, ``info["elements"]``, ``info["dom"]``)."""
        page, rows = dp.Page(), []
        if self.in_words:
            page.query(self.task)
        else:  # "Click on the [swatch] colored box.": a 10-px box with a 1-px border in the line
            x = (
                page.flow(["Click", "on", "the"], 3, 3, dp.W - 6)[-1][2]
                + dp.font(dp.FONT_SIZE).getlength(" ") / dp.S
            )
            swatch = (x, 5.0, x + 12, 17.0)
            page.rect(swatch, CSS[self.answer], dp.BLACK, 0)
            rows.append(
                dp.dom_row(
                    "figure",
                    "query-color",
                    swatch,
                    tag="div",
                    colour=dp.css_rgb(CSS[self.answer]),
                    classes="color",
                    id="query-color",
                )
            )
            page.flow(["colored", "box."], swatch[2] + 3, 3, dp.W - 6)
        for colour, box in zip(self.colours, _BOXES, strict=True):
            page.rect(box, CSS[colour], dp.BLACK, 0)
            rows.append(
                dp.dom_row(
                    "clickable", "", box, tag="div", colour=dp.css_rgb(CSS[colour]), classes="color", id=""
                )
            )
        return page.screenshot(self.weight), page.words + [dp.element_row(r) for r in rows], rows

    def click(self, hit: Element) -> bool | None:
        """A click on a box ends the episode."""
        for colour, box in zip(self.colours, _BOXES, strict=True):
            if hit["role"] == "clickable" and hit["box"] == dp.Page.box(*box):
                return colour == self.answer
        return None


class ShadesPage:
    """click-shades: twelve squares, 3-5 shades of two hues, the rest of the third; tick one hue's, Submit."""

    def __init__(self, rng: np.random.Generator) -> None:
        order = [str(h) for h in rng.permutation(list(_HUES))]
        counts = [int(rng.integers(3, 6)), int(rng.integers(3, 6))]
        hues = [order[0]] * counts[0] + [order[1]] * counts[1] + [order[2]] * (12 - sum(counts))
        self.hues = [hues[i] for i in rng.permutation(12)]
        self.rgb = [hsl(_HUES[h], int(rng.integers(30, 90)), int(rng.integers(30, 90))) for h in self.hues]
        self.wanted = str(rng.choice(list(_HUES)))
        self.selected = [False] * 12
        self.rows: list[Element] = []  # the DOM rows last drawn: what a click is matched against
        self.task = f"Select all the shades of {self.wanted} and press Submit."
        self.weight = dp.gamma(rng)

    def render(self) -> Rendered:
        """The page as it is (screenshot, ``info["elements"]``, ``info["dom"]``)."""
        page, rows = dp.Page(), []
        page.query(self.task)
        for i, (rgb, on) in enumerate(zip(self.rgb, self.selected, strict=True)):
            x, y = 14 + 36 * (i % 4), 64 + 38 * (i // 4)
            box = (
                (x - 2, y - 2, x + 14, y + 14) if on else (x, y, x + 12, y + 12)
            )  # a selected one has a border
            if on:  # a 2-px black border around the same 12-px square
                page.rect(box, dp.BLACK, dp.BLACK, 2)
                page.rect((x, y, x + 12, y + 12), rgb, rgb, 0)
            else:
                page.rect(box, rgb, rgb, 2)
            classes = "selected" if on else ""
            rows.append(
                dp.dom_row("clickable", "", box, tag="span", colour=dp.css_rgb(rgb), classes=classes, id="")
            )
        rows.append({**dp.button(page, "Submit", _SUBMIT), "id": "submit", "classes": "secondary-action"})
        self.rows = rows
        return page.screenshot(self.weight), page.words + [dp.element_row(r) for r in rows], rows

    def click(self, hit: Element) -> bool | None:
        """A click on a square toggles it; Submit ends the episode (right when exactly the hue's are on)."""
        if hit["role"] == "button":
            return all(on == (hue == self.wanted) for on, hue in zip(self.selected, self.hues, strict=True))
        for i, row in enumerate(self.rows[:12]):
            if dp.same(row, hit):
                self.selected[i] = not self.selected[i]
        return None
