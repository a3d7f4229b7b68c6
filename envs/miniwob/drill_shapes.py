"""Shape drills: MiniWoB's grids of coloured shapes, letters and digits, drawn with Pillow.

click-shape, count-shape and identify-shape ask the policy to tell a circle from a triangle and a
letter from a digit, in seven colours and two sizes; 200 episodes of each show it some hundreds of
figures, about one of each kind, colour and size per task. These pages are MiniWoB's (``shapes.js``:
a 7 x 7 grid of 20-px bins, the same colours, sizes, letters and digits, the same lossy
descriptions) drawn fresh every episode, with the DOM rows the MiniWoB experts read, so each task's
expert solves its drill unchanged. ``envs.miniwob.drill_env`` plays them.
"""

from __future__ import annotations

import dataclasses
import string
from typing import Any

import numpy as np

from deskpilot.envs.miniwob import drill_page as dp
from deskpilot.envs.miniwob.tasks.visual import CSS_COLOURS, SHAPE_BIN, SVG_KINDS

__all__ = ["CountPage", "Figure", "IdentifyPage", "ShapeGridPage", "describe"]

Element = dict[str, Any]
Rendered = tuple[np.ndarray, list[Element], list[Element]]

# shapes.js: the colours (as the browser renders their CSS names), letters, digits and kinds.
COLOURS: dict[str, tuple[int, int, int]] = {
    name: CSS_COLOURS[name] for name in ("red", "green", "blue", "aqua", "black", "magenta", "yellow")
}
LETTERS = string.ascii_lowercase + string.ascii_uppercase
DIGITS = "1234567890"
KINDS = ("circle", "rectangle", "triangle")
_TAGS = {name: tag for tag, name in SVG_KINDS.items()}  # the SVG element each kind is drawn as
# identify-shape's five buttons, where Chromium lays them out (measured on the page): label, box.
_IDENTIFY_BUTTONS = (
    ("Rectangle", (13.5625, 126.0, 89.59375, 147.0)),
    ("Circle", (96.375, 126.0, 146.4375, 147.0)),
    ("Triangle", (19.71875, 151.0, 83.390625, 172.0)),
    ("Letter", (90.171875, 151.0, 140.265625, 172.0)),
    ("Number", (48.296875, 176.0, 111.703125, 197.0)),
)


@dataclasses.dataclass(frozen=True)
class Figure:
    """One figure of a grid: its centre and size in pixels, colour name, type and text."""

    x: float
    y: float
    size: float  # the side (or diameter, or font size) in pixels
    colour: str
    type: str  # "letter", "digit" or "shape"
    text: str  # the letter, the digit, or the kind of shape

    @property
    def large(self) -> bool:
        """MiniWoB's "large" (size 1: 20 px) rather than "small" (10 px)."""
        return self.size >= SHAPE_BIN

    def box(self) -> dp.Box:
        """The pixel box the page's DOM gives the figure."""
        half = self.size / 2
        if self.type == "shape":
            return (self.x - half, self.y - half, self.x + half, self.y + half)
        # An SVG text's box is its advance by its line box (1.1 em), as the experts measure size by it.
        w = dp.font(self.size).getlength(self.text) / dp.S
        return (self.x - w / 2, self.y - 0.55 * self.size, self.x + w / 2, self.y + 0.55 * self.size)

    def draw(self, page: dp.Page) -> None:
        """Draw the figure as the SVG does: a filled shape, or its text centred on (x, y)."""
        rgb = COLOURS[self.colour]
        s, half = dp.S, self.size / 2
        if self.type != "shape":  # text is ink, so the page's text weight applies to it too
            page.pen(rgb).text(
                (self.x * s, self.y * s), self.text, font=dp.font(self.size), fill=255, anchor="mm"
            )
            return
        x0, y0, x1, y1 = (round(v * s) for v in (self.x - half, self.y - half, self.x + half, self.y + half))
        if self.text == "rectangle":
            page.draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=rgb)
        elif self.text == "circle":
            page.draw.ellipse((x0, y0, x1 - 1, y1 - 1), fill=rgb)
        else:
            page.draw.polygon([(x0, y1), ((x0 + x1) / 2, y0), (x1, y1)], fill=rgb)

    def dom(self, role: str) -> Element:
        """The DOM row the experts read (``envs.miniwob.tasks.visual``)."""
        tag = _TAGS[self.text] if self.type == "shape" else "text"
        return dp.dom_row(
            role,
            "",
            self.box(),
            tag=tag,
            text="" if self.type == "shape" else self.text,
            colour=dp.css_rgb(COLOURS[self.colour]),
        )


def _figure(
    rng: np.random.Generator, x: float, y: float, size: float, letters: float, digits: float
) -> Figure:
    r = rng.random()
    if r < letters:
        kind, text = "letter", LETTERS[int(rng.integers(len(LETTERS)))]
    elif r < letters + digits:
        kind, text = "digit", DIGITS[int(rng.integers(len(DIGITS)))]
    else:
        kind, text = "shape", KINDS[int(rng.integers(len(KINDS)))]
    return Figure(x, y, size, str(rng.choice(list(COLOURS))), kind, text)


def grid(rng: np.random.Generator, ox: float, oy: float, rows: int, most: int) -> list[Figure]:
    """``shapes.genGrid``: 3 to ``most`` - 1 figures in distinct bins of a 7 x ``rows`` grid at (ox, oy)."""
    n = int(rng.integers(3, most))
    bins = [int(b) for b in rng.choice(7 * rows, size=n, replace=False)]
    return [
        _figure(
            rng,
            ox + (b % 7) * SHAPE_BIN + SHAPE_BIN / 2,
            oy + (b // 7) * SHAPE_BIN + SHAPE_BIN / 2,
            SHAPE_BIN if rng.random() < 0.5 else SHAPE_BIN / 2,
            0.5,
            0.2,
        )
        for b in bins
    ]


def describe(rng: np.random.Generator, fig: Figure) -> tuple[str | None, str | None, str]:
    """``shapes.generalDesc``: (size, colour, what), each part left out at random."""
    size = ("large" if fig.large else "small") if rng.random() < 0.5 else None
    colour = fig.colour if rng.random() < 0.5 else None
    if rng.random() < 0.5 or (size is None and colour is None):
        what = fig.text if rng.random() < 0.5 else fig.type
    else:
        what = "item"
    return size, colour, what


def _words(desc: tuple[str | None, str | None, str]) -> str:
    return " ".join(part for part in desc if part)


def fits(fig: Figure, desc: tuple[str | None, str | None, str]) -> bool:
    """``shapes.shapeMatchesText``."""
    size, colour, what = desc
    return (
        (size is None or size == ("large" if fig.large else "small"))
        and (colour is None or colour == fig.colour)
        and what in ("item", fig.type, fig.text)
    )


def _figure_page(task: str, figures: list[Figure]) -> dp.Page:
    """A page with ``task`` in the instruction bar and ``figures`` drawn.

    Letters and digits are words too: the reader's losses learn them where they stand.
    """
    page = dp.Page()
    page.query(task)
    for fig in figures:
        fig.draw(page)
        if fig.type != "shape":
            page.words.append({"box": page.box(*fig.box()), "label": fig.text, "role": "text"})
    return page


class ShapeGridPage:
    """click-shape: 3-19 figures in a 7 x 7 grid; "Click on a <description>" of one: any that fits."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.figures = grid(rng, 2, dp.QUERY_H + 2, 7, 20)
        self.desc = describe(rng, self.figures[int(rng.integers(len(self.figures)))])
        self.task = f"Click on a {_words(self.desc)}"
        self.weight = dp.gamma(rng)
        self.rows: list[Element] = []  # the DOM rows last drawn: what a click is matched against
        self.area = dp.dom_row(
            "clickable",
            "area_svg",
            (2, dp.QUERY_H + 2, dp.W, dp.H),
            tag="svg",
            text="",
            colour=dp.css_rgb(dp.BLACK),
        )

    def render(self) -> Rendered:
        """The page as it is (screenshot, ``info["elements"]``, ``info["dom"]``)."""
        page = _figure_page(self.task, self.figures)
        self.rows = [self.area] + [fig.dom("clickable") for fig in self.figures]
        return page.screenshot(self.weight), page.words + [dp.element_row(r) for r in self.rows], self.rows

    def click(self, hit: Element) -> bool | None:
        """A click on a figure or on the grid between them ends the episode."""
        for row, fig in zip(self.rows[1:][::-1], self.figures[::-1], strict=True):
            if dp.same(row, hit):
                return fits(fig, self.desc)
        return False if dp.same(self.area, hit) else None


class CountPage:
    """count-shape: 3-9 figures in a 7 x 6 grid; "How many <description>s are there?"; five number buttons."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.figures = grid(rng, 2, dp.QUERY_H + 2, 6, 10)
        if rng.random() < 0.3:  # shapes.sampleDesc: a description of a figure that may not be there
            self.desc = describe(rng, grid(rng, 0, 0, 1, 4)[0])
        else:
            self.desc = describe(rng, self.figures[int(rng.integers(len(self.figures)))])
        self.answer = sum(fits(f, self.desc) for f in self.figures)
        others = [c for c in range(10) if c != self.answer]
        self.numbers = [int(c) for c in rng.choice(others, size=4, replace=False)]
        self.numbers.insert(int(rng.integers(5)), self.answer)
        self.task = f"How many {_words(self.desc)}s are there?"
        self.weight = dp.gamma(rng)

    def render(self) -> Rendered:
        """The page as it is (screenshot, ``info["elements"]``, ``info["dom"]``)."""
        page = _figure_page(self.task, self.figures)
        rows = [fig.dom("figure") for fig in self.figures]
        rows += [
            dp.button(page, str(c), (8.0 + 29 * i, 185.0, 33.0 + 29 * i, 206.0))
            for i, c in enumerate(self.numbers)
        ]
        return page.screenshot(self.weight), page.words + [dp.element_row(r) for r in rows], rows

    def click(self, hit: Element) -> bool | None:
        """A click on a number ends the episode."""
        return hit["label"] == str(self.answer) if hit["role"] == "button" else None


class IdentifyPage:
    """identify-shape: one large figure; click the button that names its kind."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.figure = _figure(rng, 77, 84, 30, 0.35, 0.35)  # size 2 in a 50-px svg, as the page
        kind = self.figure.text if self.figure.type == "shape" else self.figure.type
        self.answer = {"digit": "Number"}.get(kind, kind.capitalize())
        self.task = "Click the button that best describes the figure below."
        self.weight = dp.gamma(rng)

    def render(self) -> Rendered:
        """The page as it is (screenshot, ``info["elements"]``, ``info["dom"]``)."""
        page = _figure_page(self.task, [self.figure])
        rows = [self.figure.dom("figure")] + [dp.button(page, label, box) for label, box in _IDENTIFY_BUTTONS]
        return page.screenshot(self.weight), page.words + [dp.element_row(r) for r in rows], rows

    def click(self, hit: Element) -> bool | None:
        """A click on a button ends the episode."""
        return hit["label"] == self.answer if hit["role"] == "button" else None
